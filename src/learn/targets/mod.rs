//! Learning line and statement rules (`target = "include" | "define" | "statement"`) from a
//! patch that touches no conditional's directive line: removed `#include`, `#define`/`#undef`
//! lines and statements, a changed header or macro value, and `#if…`/`#endif` lines added around
//! one statement, declaration or directive line (a guard).
//!
//! Each file's hunks are read as runs of deleted and inserted lines and each run explained as one
//! of those edits (an opening directive inserted alone, then an `#endif` inserted alone, with the
//! original lines between them, is a guard; directives are read whatever their spacing). A run
//! nothing explains is an error that names the hunk and says why. The edits are grouped into
//! rules by target and action; each group's match is searched, from the least to the most
//! specific (the names, then `inside`, then the `condition` around), by running the engine on
//! the original files: the first match whose output is exactly the group's edits is taken.
//! Finally the whole rules file is verified as [`super::verify`] does for conditional rules.
//!
//! This file reads the hunks into runs, groups the sites and writes and verifies the rules file;
//! `explain.rs` explains runs as sites and `search.rs` drafts each group's rule.

use std::ops::Range;

use crate::c::CFacts;
use crate::diag::Problem;
use crate::engine::{self, FileFacts, Setup};
use crate::rules::{Action, RuleToml, RulesToml, Target};
use crate::source::{Directive, DirectiveKind, Lines, ParsedFile};

use super::patch::{FilePatch, LineKind, PatchText};
use super::render::comment;
use super::sites::Spans;
use super::{Hints, LearnError, LearnErrorKind, Learned, LearnedRule, Request};

mod explain;
mod search;

use explain::explain_file;
use search::{files_of, search};

/// What a patch can be read as for this learner.
const HELP: &str = "learn reads, outside conditionals, removed #include, #define and #undef lines, removed statements and declarations (whole lines), a changed #include header or #define value, and #if/#ifdef/#ifndef … #endif lines added around one statement, declaration or directive line; make a patch of such changes alone";

/// One file of the patch, read.
struct FileWork {
    relative: String,
    display: String,
    original: Vec<u8>,
    patched: Vec<u8>,
    runs: Vec<Run>,
}

/// Consecutive deleted and inserted lines of a hunk.
struct Run {
    /// The original's lines deleted (an empty range at the insertion point when none are).
    deleted: Range<usize>,
    /// The lines inserted, with their line endings.
    inserted: Vec<Vec<u8>>,
    /// Where the run starts in the patch, and which hunk of its file it is in (1-based).
    at: Range<usize>,
    hunk: usize,
}

/// One edit the patch makes, explained.
#[derive(Clone, Debug)]
struct Site {
    file: usize,
    target: Target,
    action: Action,
    /// The edit on the original's bytes.
    range: Range<usize>,
    text: Vec<u8>,
    what: What,
    /// The condition of the innermost branch around it, in normal form, and the function.
    condition: Option<String>,
    function: Option<String>,
}

/// What the edit is about.
#[derive(Clone, Debug)]
enum What {
    Include(String),
    Define {
        name: String,
        undef: bool,
        value: String,
    },
    Statement(CFacts),
}

/// Learn line and statement rules, or `None` when the patch is one for the conditional learner
/// (it deletes or rewrites a conditional's directive line) or does not apply cleanly (the
/// conditional learner's reader reports that).
pub(super) fn learn_targets(
    request: &Request,
    patch: &PatchText,
    file_patches: &[FilePatch],
    relatives: &[String],
    tree_hints: &Hints,
) -> Option<Result<Learned, LearnError>> {
    let mut works = Vec::new();
    for (file_patch, relative) in file_patches.iter().zip(relatives) {
        works.push(read(request, file_patch, relative)?);
    }
    for work in &works {
        let scan = crate::source::scan(&work.original).ok()?;
        let lines = Lines::new(&work.original);
        // The runs' deleted lines as one set, so that a directive costs a binary search, not a
        // scan of the runs.
        let deleted = Spans::new(work.runs.iter().map(|run| run.deleted.clone()));
        let conditional_deleted = scan.directives.iter().any(|directive| {
            is_conditional(directive)
                && lines
                    .covering(&directive.line)
                    .any(|line| deleted.contains(line))
        });
        if conditional_deleted {
            return None;
        }
    }
    Some(learn_read(request, patch, &works, tree_hints))
}

fn is_conditional(directive: &Directive) -> bool {
    !matches!(
        directive.kind,
        DirectiveKind::Include
            | DirectiveKind::Define
            | DirectiveKind::Undef
            | DirectiveKind::Other
    )
}

/// A file and its hunks as runs; `None` when a hunk does not match the file.
fn read(request: &Request, file_patch: &FilePatch, relative: &str) -> Option<FileWork> {
    let path = request.source.join(relative);
    let original = std::fs::read(&path).ok()?;
    let lines = Lines::new(&original);
    let mut patched = Vec::with_capacity(original.len());
    let mut runs = Vec::new();
    let mut position = 0usize;
    let start_of = |line: usize| lines.get(line).map_or(original.len(), |range| range.start);
    for (number, hunk) in file_patch.hunks.iter().enumerate() {
        let start = if hunk.old_count == 0 {
            hunk.old_start
        } else {
            hunk.old_start.checked_sub(1)?
        };
        if start < position || start > lines.len() {
            return None;
        }
        patched.extend_from_slice(&original[start_of(position)..start_of(start)]);
        position = start;
        let mut run: Option<Run> = None;
        for line in &hunk.lines {
            match line.kind {
                LineKind::Context => {
                    if original.get(lines.get(position)?.clone())? != line.text.as_slice() {
                        return None;
                    }
                    runs.extend(run.take());
                    patched.extend_from_slice(&line.text);
                    position += 1;
                }
                LineKind::Delete => {
                    if original.get(lines.get(position)?.clone())? != line.text.as_slice() {
                        return None;
                    }
                    let current = run.get_or_insert_with(|| Run {
                        deleted: position..position,
                        inserted: Vec::new(),
                        at: line.at.clone(),
                        hunk: number + 1,
                    });
                    if !current.inserted.is_empty() && current.deleted.end != position {
                        return None;
                    }
                    current.deleted.end = position + 1;
                    position += 1;
                }
                LineKind::Insert => {
                    let current = run.get_or_insert_with(|| Run {
                        deleted: position..position,
                        inserted: Vec::new(),
                        at: line.at.clone(),
                        hunk: number + 1,
                    });
                    current.inserted.push(line.text.clone());
                    patched.extend_from_slice(&line.text);
                }
            }
        }
        runs.extend(run.take());
    }
    patched.extend_from_slice(&original[start_of(position)..]);
    Some(FileWork {
        relative: relative.to_string(),
        display: path.display().to_string(),
        original,
        patched,
        runs,
    })
}

fn learn_read(
    request: &Request,
    patch: &PatchText,
    works: &[FileWork],
    tree_hints: &Hints,
) -> Result<Learned, LearnError> {
    let hints = &request.hints;
    let parsing = Setup::new(Vec::new(), tree_hints.macros.clone(), &tree_hints.typedefs);
    let mut sites = Vec::new();
    for (index, work) in works.iter().enumerate() {
        let parsed = ParsedFile::new(&work.original).map_err(|error| {
            LearnError::new(
                LearnErrorKind::Source,
                Problem::from(crate::diag::InFile::new(
                    &work.display,
                    &work.original,
                    &error,
                )),
            )
        })?;
        let facts = FileFacts::new(&parsed, &parsing.macros, &parsing.parser).map_err(|error| {
            LearnError::new(
                LearnErrorKind::Source,
                Problem::from(crate::diag::InFile::new(
                    &work.display,
                    &work.original,
                    &error,
                )),
            )
        })?;
        explain_file(index, work, &facts, patch, &mut sites)?;
    }
    if sites.is_empty() {
        return Err(patch.error(
            LearnErrorKind::Unlearnable,
            "the patch changes nothing",
            0..patch.text.len().min(1),
            "its hunks change no line",
            "give the patch of a change",
        ));
    }
    // Groups: one rule per target and action.
    let mut groups: Vec<Vec<Site>> = Vec::new();
    for site in sites {
        match groups
            .iter_mut()
            .find(|group| group[0].target == site.target && group[0].action == site.action)
        {
            Some(group) => group.push(site),
            None => groups.push(vec![site]),
        }
    }
    let patch_file = std::path::Path::new(&request.patch_name)
        .file_name()
        .map_or_else(
            || request.patch_name.clone(),
            |name| name.to_string_lossy().into_owned(),
        );
    let mut rules = Vec::new();
    let mut learned = Vec::new();
    let mut used_ids: Vec<String> = Vec::new();
    for group in &groups {
        let rule = search(group, works, hints, tree_hints, &patch_file, &mut used_ids)?;
        learned.push(LearnedRule {
            id: rule.id.get_ref().clone(),
            action: group[0].action.name(),
            matches: group.len() as u64,
            files: files_of(group, works),
        });
        rules.push(rule);
    }
    let toml = render(request, works, &groups, rules)?;
    verify(&toml, works, &groups, tree_hints)?;
    Ok(Learned {
        toml,
        rules: learned,
    })
}

/// A rules file of these rules and the hints, as TOML text.
fn rules_text(rule: Vec<RuleToml>, hints: &Hints) -> Result<String, toml_edit::ser::Error> {
    let model = RulesToml {
        statement_macros: hints.macros.statements.clone(),
        blank_macros: hints.macros.blank.clone(),
        function_macros: hints.macros.functions.clone(),
        typedefs: hints.typedefs.clone(),
        rule,
        test: Vec::new(),
    };
    Ok(model.to_document()?.to_string())
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    toml_edit::Value::from(text).to_string()
}

/// The rules file with its comments: where it comes from, and per rule what the patch does.
fn render(
    request: &Request,
    works: &[FileWork],
    groups: &[Vec<Site>],
    rules: Vec<RuleToml>,
) -> Result<String, LearnError> {
    let text = rules_text(rules, &request.hints).map_err(|error| {
        LearnError::new(
            LearnErrorKind::Verify,
            Problem::error(format!("the learned rules cannot be written: {error}"))
                .help("this is a bug in cdefang learn: please report it with the patch"),
        )
    })?;
    let mut document: toml_edit::DocumentMut = text.parse().map_err(|error| {
        LearnError::new(
            LearnErrorKind::Verify,
            Problem::error(format!("the learned rules cannot be written: {error}"))
                .help("this is a bug in cdefang learn: please report it with the patch"),
        )
    })?;
    let changed: Vec<&str> = works.iter().map(|work| work.relative.as_str()).collect();
    let mut header = String::new();
    comment(
        &mut header,
        &format!(
            "Learned by `cdefang learn` from the patch {} against the sources in {}. Verified before writing: run with cdefang over those sources, these rules give exactly the patched files: {}.",
            request.patch_name,
            request.source.display(),
            changed.join(", ")
        ),
    );
    document.decor_mut().set_prefix(header);
    if let Some(tables) = document
        .as_table_mut()
        .get_mut("rule")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
    {
        for (table, group) in tables.iter_mut().zip(groups) {
            let lines: Vec<String> = group
                .iter()
                .map(|site| {
                    let work = &works[site.file];
                    let line = Lines::new(&work.original).line_column(site.range.start).0;
                    format!("{}:{line}", work.relative)
                })
                .collect();
            let mut notes = String::from("\n");
            comment(
                &mut notes,
                &format!(
                    "The patch makes this change at {}. Another count (on another release, say) fires the drift alarm: exit 2, nothing written.",
                    lines.join(", ")
                ),
            );
            table.decor_mut().set_prefix(notes);
        }
    }
    Ok(document.to_string())
}

/// The whole rules file, loaded back and run over the original files, gives the patched files
/// and each rule its count.
fn verify(
    toml: &str,
    works: &[FileWork],
    groups: &[Vec<Site>],
    tree_hints: &Hints,
) -> Result<(), LearnError> {
    let failed = |problem: Problem| LearnError::new(LearnErrorKind::Verify, problem);
    let setup = super::verify::run_setup(super::verify::load_learned(toml)?, tree_hints);
    let mut counts = vec![0u64; setup.rules.len()];
    for work in works {
        let result = engine::process(&work.original, &work.relative, &setup).map_err(|error| {
            failed(Problem::from(crate::diag::InFile::new(
                &work.display,
                &work.original,
                &error,
            )))
        })?;
        for (count, found) in counts.iter_mut().zip(&result.counts) {
            *count += found.matches;
        }
        if result.output.as_deref().unwrap_or(&work.original) != work.patched.as_slice() {
            return Err(failed(
                Problem::error(format!(
                    "the learned rules do not reproduce the patched {}",
                    work.relative
                ))
                .help("the rules learned for each change interfere: write the rules by hand (README.md, \"Rules\")"),
            ));
        }
    }
    for (group, found) in groups.iter().zip(counts) {
        if found != group.len() as u64 {
            return Err(failed(
                Problem::error(format!(
                    "a learned rule finds {found} place(s) where the patch changes {}",
                    group.len()
                ))
                .help("this is a limit of learn: write the rule by hand (README.md, \"Rules\")"),
            ));
        }
    }
    Ok(())
}
