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

use std::ops::Range;

use crate::c::CFacts;
use crate::cond::Norm;
use crate::diag::Problem;
use crate::engine::{self, FileFacts, Setup};
use crate::rules::{self, Action, Guard, MatchToml, RuleToml, RulesToml, Target};
use crate::source::{Directive, DirectiveKind, Lines, ParsedFile};

use super::patch::{FilePatch, LineKind, PatchText, shown};
use super::render::comment;
use super::sites::Spans;
use super::{Hints, LearnError, LearnErrorKind, Learned, LearnedRule, Request};

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
    tree_typedefs: &[String],
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
    Some(learn_read(request, patch, &works, tree_typedefs))
}

fn is_conditional(directive: &Directive) -> bool {
    !matches!(
        directive.kind,
        DirectiveKind::Include | DirectiveKind::Other
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
    tree_typedefs: &[String],
) -> Result<Learned, LearnError> {
    let hints = &request.hints;
    let typedefs = [tree_typedefs, &hints.typedefs].concat();
    let parsing = Setup::new(Vec::new(), hints.macros.clone(), &typedefs);
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
        let rule = search(group, works, hints, &typedefs, &patch_file, &mut used_ids)?;
        learned.push(LearnedRule {
            id: rule.id.get_ref().clone(),
            action: group[0].action.name(),
            matches: group.len() as u64,
            files: files_of(group, works),
        });
        rules.push(rule);
    }
    let toml = render(request, works, &groups, rules)?;
    verify(&toml, works, &groups, &typedefs)?;
    Ok(Learned {
        toml,
        rules: learned,
    })
}

/// Explain each run of one file as sites, or say which hunk cannot be and why.
fn explain_file(
    index: usize,
    work: &FileWork,
    facts: &FileFacts,
    patch: &PatchText,
    sites: &mut Vec<Site>,
) -> Result<(), LearnError> {
    let lines = Lines::new(&work.original);
    let bytes = |range: &Range<usize>| {
        let start = lines
            .get(range.start)
            .map_or(work.original.len(), |line| line.start);
        let end = if range.is_empty() {
            start
        } else {
            lines
                .get(range.end - 1)
                .map_or(work.original.len(), |line| line.end)
        };
        start..end
    };
    let unexplained = |run: &Run, why: String| {
        let at = bytes(&run.deleted);
        let (span, label) = if at.is_empty() {
            (
                at.start..at.start,
                format!("hunk {} adds lines here", run.hunk),
            )
        } else {
            let first = lines.covering(&at).start;
            let line = lines.get(first).cloned().unwrap_or(at.clone());
            (
                line.start..line.end.saturating_sub(1).max(line.start),
                format!("changed by hunk {}", run.hunk),
            )
        };
        LearnError::new(
            LearnErrorKind::Unlearnable,
            Problem::error(format!(
                "hunk {} of {} cannot be learned: {why}",
                run.hunk, work.relative
            ))
            .at(&work.display, &work.original, span, label)
            .with_note(format!(
                "the patch changes it at {}:{}",
                patch.name,
                patch.line_number(&run.at)
            ))
            .help(HELP),
        )
    };
    let mut index_run = 0;
    while index_run < work.runs.len() {
        let run = &work.runs[index_run];
        let deleted = bytes(&run.deleted);
        let context = |range: &Range<usize>| {
            (
                innermost_condition(facts, range.start),
                facts
                    .enclosing_function(range.clone())
                    .map(|function| function.name),
            )
        };
        if run.deleted.is_empty() {
            // A guard: an opening directive inserted alone, the original lines, `#endif` alone.
            let opening = match run.inserted.as_slice() {
                [line] if opening_keyword(line).is_some() => line,
                [line] if is_endif(line) => {
                    return Err(unexplained(
                        run,
                        "it adds an #endif with no #if added before it".into(),
                    ));
                }
                _ => {
                    return Err(unexplained(
                        run,
                        format!(
                            "it adds {} line(s) ({}) without removing any, and they are not one #if, #ifdef or #ifndef line opening a guard",
                            run.inserted.len(),
                            run.inserted
                                .first()
                                .map(|line| format!("`{}`", shown(line)))
                                .unwrap_or_default()
                        ),
                    ));
                }
            };
            let Some(close) = work.runs.get(index_run + 1).filter(|next| {
                next.deleted.is_empty()
                    && matches!(next.inserted.as_slice(), [line] if is_endif(line))
            }) else {
                return Err(unexplained(
                    run,
                    format!(
                        "it adds `{}`, and the next change is not an #endif line added alone",
                        shown(opening)
                    ),
                ));
            };
            let guard_text = shown(opening).trim_start().to_string();
            let Some(guard) = parse_guard(&guard_text) else {
                return Err(unexplained(
                    run,
                    format!("`{guard_text}` is not a condition cdefang reads"),
                ));
            };
            // diff may align an added line with an equal one beside it (`+#endif` after an
            // `#endif` it duplicates): each equal alignment is tried, the nearest first.
            let line_text =
                |line: usize| lines.get(line).map(|range| &work.original[range.clone()]);
            let mut starts = vec![run.deleted.start];
            while let Some(&last) = starts.last()
                && line_text(last) == Some(opening.as_slice())
            {
                starts.push(last + 1);
            }
            let mut ends = vec![close.deleted.start];
            while let Some(&last) = ends.last()
                && last > 0
                && line_text(last - 1) == Some(close.inserted[0].as_slice())
            {
                ends.push(last - 1);
            }
            let mut explained = None;
            let mut why = "the guard it adds wraps no line".to_string();
            'alignments: for &start in &starts {
                for &end in &ends {
                    if start >= end {
                        continue;
                    }
                    let wrapped = bytes(&(start..end));
                    let found = match directive_on(facts, &wrapped) {
                        Some(what) => Ok(what),
                        None => {
                            statement_what(facts, &wrapped).map(|what| (Target::Statement, what))
                        }
                    };
                    match found {
                        Ok((target, what)) => {
                            explained = Some((wrapped, target, what));
                            break 'alignments;
                        }
                        Err(message) => why = message,
                    }
                }
            }
            let Some((wrapped, target, what)) = explained else {
                return Err(unexplained(run, why));
            };
            let (condition, function) = context(&wrapped);
            let mut text = opening.clone();
            text.extend_from_slice(&work.original[wrapped.clone()]);
            text.extend_from_slice(&close.inserted[0]);
            sites.push(Site {
                file: index,
                target,
                action: Action::Guard(guard),
                range: wrapped,
                text,
                what,
                condition,
                function,
            });
            index_run += 2;
            continue;
        }
        if run.inserted.is_empty() {
            // Removed lines: a directive line, or whole statements one after the other.
            if let Some((target, what)) = directive_on(facts, &deleted) {
                let (condition, function) = context(&deleted);
                sites.push(Site {
                    file: index,
                    target,
                    action: Action::Drop,
                    range: deleted,
                    text: Vec::new(),
                    what,
                    condition,
                    function,
                });
                index_run += 1;
                continue;
            }
            let statements =
                engine::statements_on_lines(facts, deleted.clone()).map_err(|failure| {
                    unexplained(
                        run,
                        format!(
                            "lang-c cannot parse the code around it ({})",
                            failure.message
                        ),
                    )
                })?;
            let mut at = deleted.start;
            while at < deleted.end {
                let Some(statement) = statements.iter().find(|on| on.lines.start == at) else {
                    let line = lines.index(at);
                    return Err(unexplained(
                        run,
                        format!(
                            "line {} (`{}`) is not the start of a whole statement or declaration it removes",
                            line + 1,
                            shown(&work.original[lines.get(line).cloned().unwrap_or(at..at)])
                        ),
                    ));
                };
                let (condition, function) = context(&statement.lines);
                sites.push(Site {
                    file: index,
                    target: Target::Statement,
                    action: Action::Drop,
                    range: statement.lines.clone(),
                    text: Vec::new(),
                    what: What::Statement(statement.facts.clone()),
                    condition,
                    function,
                });
                at = statement.lines.end;
            }
            index_run += 1;
            continue;
        }
        // One line rewritten: a header or a macro value.
        let old = directive_on(facts, &deleted);
        let explained = match (run.deleted.len(), run.inserted.as_slice(), old) {
            (1, [new], Some((Target::Include, What::Include(_)))) => {
                new_header(new).map(|header| (Target::Include, Action::Replace(header)))
            }
            (
                1,
                [new],
                Some((
                    Target::Define,
                    What::Define {
                        name, undef: false, ..
                    },
                )),
            ) => {
                new_define_value(new, &name).map(|value| (Target::Define, Action::SetValue(value)))
            }
            _ => None,
        };
        let Some((target, action)) = explained else {
            return Err(unexplained(
                run,
                format!(
                    "it replaces {} line(s) by {}, which is neither a changed #include header nor a changed #define value",
                    run.deleted.len(),
                    run.inserted.len()
                ),
            ));
        };
        let Some((_, what)) = directive_on(facts, &deleted) else {
            return Err(unexplained(
                run,
                "the line it replaces is not a directive".into(),
            ));
        };
        let (condition, function) = context(&deleted);
        // The engine rewrites part of the line; the site records the whole line's new text.
        let text = run.inserted[0].clone();
        sites.push(Site {
            file: index,
            target,
            action,
            range: deleted,
            text,
            what,
            condition,
            function,
        });
        index_run += 1;
    }
    Ok(())
}

/// The guard of an added opening line, as a rule's `guard` reads it.
fn parse_guard(text: &str) -> Option<Guard> {
    let toml = format!(
        "[[rule]]\nid = \"g\"\nmessage = \"\"\nfiles = [\"*\"]\ntarget = \"statement\"\naction = \"guard\"\nguard = {}\n[rule.match]\ncalls = [\"g\"]\n",
        toml_string(text)
    );
    let file = rules::load(&toml, 0).ok()?;
    match &file.rules.first()?.action {
        Action::Guard(guard) => Some(guard.clone()),
        _ => None,
    }
}

/// The keyword of an opening conditional line (`#if`, `#  ifdef`, …), whatever its spacing.
fn opening_keyword(line: &[u8]) -> Option<&'static str> {
    let text = shown(line);
    let rest = text.trim_start().strip_prefix('#')?.trim_start();
    let keyword = rest.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    ["if", "ifdef", "ifndef"]
        .into_iter()
        .find(|wanted| *wanted == keyword)
}

fn is_endif(line: &[u8]) -> bool {
    let text = shown(line);
    text.trim_start()
        .strip_prefix('#')
        .map(str::trim_start)
        .is_some_and(|rest| {
            rest.strip_prefix("endif").is_some_and(|after| {
                after.is_empty()
                    || !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        })
}

/// The directive line that `range` is exactly, if it is an `#include`, `#define` or `#undef`.
fn directive_on(facts: &FileFacts, range: &Range<usize>) -> Option<(Target, What)> {
    let directive = facts
        .scan
        .directives
        .iter()
        .find(|directive| directive.line == *range)?;
    let rest = facts.scan.rest_text(directive);
    let rest_text = String::from_utf8_lossy(rest).into_owned();
    match directive.kind {
        DirectiveKind::Include => {
            let header = rest_text
                .trim_matches(|c| c == '<' || c == '>' || c == '"')
                .to_string();
            Some((Target::Include, What::Include(header)))
        }
        DirectiveKind::Other => {
            let keyword = &facts.source[directive.keyword.clone()];
            let undef = match keyword {
                b"define" => false,
                b"undef" => true,
                _ => return None,
            };
            let name: String = rest_text
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                return None;
            }
            let after = &rest_text[name.len()..];
            let value = if !undef && after.starts_with('(') {
                after.split_once(')').map_or("", |(_, value)| value)
            } else {
                after
            };
            Some((
                Target::Define,
                What::Define {
                    name,
                    undef,
                    value: value.split_whitespace().collect::<Vec<_>>().join(" "),
                },
            ))
        }
        _ => None,
    }
}

/// The header of a new `#include` line, with its brackets or quotes.
fn new_header(line: &[u8]) -> Option<String> {
    let text = shown(line);
    let rest = text
        .trim_start()
        .strip_prefix('#')?
        .trim_start()
        .strip_prefix("include")?;
    let header = rest.trim();
    let header = header.split("//").next()?.split("/*").next()?.trim();
    let bracketed = (header.starts_with('<') && header.ends_with('>'))
        || (header.starts_with('"') && header.ends_with('"') && header.len() > 1);
    bracketed.then(|| header.to_string())
}

/// The value of a new `#define NAME …` line of the same macro.
fn new_define_value(line: &[u8], name: &str) -> Option<String> {
    let text = shown(line);
    let rest = text
        .trim_start()
        .strip_prefix('#')?
        .trim_start()
        .strip_prefix("define")?;
    let rest = rest.trim_start().strip_prefix(name)?;
    if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let value = rest.split("//").next()?.split("/*").next()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The one statement or declaration whose whole lines are exactly `lines`.
fn statement_what(facts: &FileFacts, lines: &Range<usize>) -> Result<What, String> {
    let statements = engine::statements_on_lines(facts, lines.clone()).map_err(|failure| {
        format!(
            "lang-c cannot parse the code around it ({})",
            failure.message
        )
    })?;
    statements
        .into_iter()
        .find(|on| on.lines == *lines)
        .map(|on| What::Statement(on.facts))
        .ok_or_else(|| {
            "the lines its guard wraps are not one whole statement, declaration or #include/#define line (a guard around several is learned as one per statement: add a guard to each)".to_string()
        })
}

/// The condition of the innermost branch around `offset`, in normal form.
fn innermost_condition(facts: &FileFacts, offset: usize) -> Option<String> {
    let mut level = &facts.tree.roots;
    let mut found = None;
    loop {
        let holding = level.iter().find_map(|conditional| {
            conditional
                .branches
                .iter()
                .find(|branch| branch.body.start <= offset && offset < branch.body.end)
        });
        let Some(branch) = holding else {
            return found;
        };
        found = facts.conditions[branch.directive]
            .as_ref()
            .map(|condition| Norm::of(condition).to_string());
        level = &branch.children;
    }
}

fn files_of(group: &[Site], works: &[FileWork]) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for site in group {
        let relative = &works[site.file].relative;
        if !files.contains(relative) {
            files.push(relative.clone());
        }
    }
    files
}

/// The names common to every site, rarest first in the group's files.
fn common(
    group: &[Site],
    works: &[FileWork],
    pick: impl Fn(&CFacts) -> Vec<String>,
) -> Vec<String> {
    let mut names: Vec<String> = match &group[0].what {
        What::Statement(facts) => pick(facts),
        _ => Vec::new(),
    };
    names.dedup();
    let mut seen = Vec::new();
    names.retain(|name| {
        let fresh = !seen.contains(name);
        seen.push(name.clone());
        fresh
            && group.iter().all(|site| match &site.what {
                What::Statement(facts) => pick(facts).contains(name),
                _ => false,
            })
    });
    let count = |name: &String| -> usize {
        files_of(group, works)
            .iter()
            .filter_map(|relative| works.iter().find(|work| work.relative == *relative))
            .map(|work| {
                String::from_utf8_lossy(&work.original)
                    .match_indices(name.as_str())
                    .count()
            })
            .sum()
    };
    names.sort_by_key(count);
    names
}

/// The same value at every site, if there is one.
fn shared<T: PartialEq + Clone>(group: &[Site], of: impl Fn(&Site) -> Option<T>) -> Option<T> {
    let first = of(&group[0])?;
    group
        .iter()
        .all(|site| of(site).as_ref() == Some(&first))
        .then_some(first)
}

/// The least specific rule whose edits, run by the engine over the original files, are exactly
/// the group's.
fn search(
    group: &[Site],
    works: &[FileWork],
    hints: &Hints,
    typedefs: &[String],
    patch_file: &str,
    used_ids: &mut Vec<String>,
) -> Result<RuleToml, LearnError> {
    let first = &group[0];
    let mut bases: Vec<MatchToml> = Vec::new();
    let unique = |list: Vec<String>| {
        let mut out: Vec<String> = Vec::new();
        for item in list {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    };
    match first.target {
        Target::Include => bases.push(MatchToml {
            includes: unique(
                group
                    .iter()
                    .filter_map(|site| match &site.what {
                        What::Include(header) => Some(header.clone()),
                        _ => None,
                    })
                    .collect(),
            )
            .into_iter()
            .map(rules::unspanned)
            .collect(),
            ..MatchToml::default()
        }),
        Target::Define => {
            let names = |undef: bool| {
                unique(
                    group
                        .iter()
                        .filter_map(|site| match &site.what {
                            What::Define { name, undef: u, .. } if *u == undef => {
                                Some(name.clone())
                            }
                            _ => None,
                        })
                        .collect(),
                )
            };
            let base = MatchToml {
                defines: names(false),
                undefs: names(true),
                ..MatchToml::default()
            };
            bases.push(base.clone());
            if !matches!(first.action, Action::SetValue(_))
                && let Some(value) = shared(group, |site| match &site.what {
                    What::Define {
                        value,
                        undef: false,
                        ..
                    } => Some(value.clone()),
                    _ => None,
                })
            {
                bases.push(MatchToml {
                    value: Some(value),
                    ..base
                });
            }
        }
        Target::Statement => {
            let calls = common(group, works, |facts| {
                facts.calls.iter().map(|(name, _)| name.clone()).collect()
            });
            let mentions = common(group, works, |facts| {
                facts
                    .identifiers
                    .iter()
                    .map(|(name, _)| name.clone())
                    .collect()
            });
            for call in calls.iter().take(4) {
                bases.push(MatchToml {
                    calls: vec![rules::unspanned(call.clone())],
                    ..MatchToml::default()
                });
            }
            for mention in mentions.iter().filter(|name| !calls.contains(name)).take(4) {
                bases.push(MatchToml {
                    mentions: vec![rules::unspanned(mention.clone())],
                    ..MatchToml::default()
                });
            }
            for call in calls.iter().take(3) {
                for mention in mentions.iter().filter(|name| !calls.contains(name)).take(4) {
                    bases.push(MatchToml {
                        calls: vec![rules::unspanned(call.clone())],
                        mentions: vec![rules::unspanned(mention.clone())],
                        ..MatchToml::default()
                    });
                }
            }
        }
        Target::Conditional => {}
    }
    let inside = shared(group, |site| site.function.clone());
    let condition = shared(group, |site| site.condition.clone());
    let files = files_of(group, works);
    for base in &bases {
        let mut variants = vec![base.clone()];
        if let Some(inside) = &inside {
            variants.push(MatchToml {
                inside: Some(rules::unspanned(rules::StringList::of(vec![
                    inside.clone(),
                ]))),
                ..base.clone()
            });
        }
        if let Some(condition) = &condition {
            for variant in variants.clone() {
                variants.push(MatchToml {
                    condition: Some(rules::unspanned(condition.clone())),
                    ..variant
                });
            }
        }
        for matcher in variants {
            let (id, message) = naming(group, &matcher, patch_file, used_ids);
            let rule = RuleToml::new(
                id.clone(),
                message.clone(),
                files
                    .iter()
                    .map(|file| glob::Pattern::escape(file))
                    .collect(),
                &first.action,
                matcher,
                Some(rules::ExpectToml::Exactly(group.len() as u64)),
            )
            .with_target(first.target);
            if reproduces(&rule, group, works, hints, typedefs) {
                used_ids.push(id);
                return Ok(rule);
            }
        }
    }
    let place = &works[first.file];
    Err(LearnError::new(
        LearnErrorKind::Indistinct,
        Problem::error(format!(
            "no rule selects exactly the {} {} the patch changes in {}",
            group.len(),
            match first.target {
                Target::Include => "#include line(s)",
                Target::Define => "#define/#undef line(s)",
                _ => "statement(s)",
            },
            files.join(", ")
        ))
        .at(&place.display, &place.original, first.range.clone(), "changed by the patch")
        .help("the names, the function and the condition around it select other places the patch leaves alone (or lang-c reads the code otherwise): write the rule by hand (README.md, \"Rules\")"),
    ))
}

/// The id and message of a group's rule, from what its match names.
fn naming(
    group: &[Site],
    matcher: &MatchToml,
    patch_file: &str,
    used_ids: &[String],
) -> (String, String) {
    let first = &group[0];
    fn quoted<S: std::borrow::Borrow<str>>(names: &[S], open: &str, close: &str) -> String {
        names
            .iter()
            .map(|name| format!("{open}{}{close}", name.borrow()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let (slug, what) = match first.target {
        Target::Include => (
            matcher.includes.first().map(|name| name.get_ref().clone()),
            format!(
                "the #include line of {}",
                quoted(&matcher.includes, "<", ">")
            ),
        ),
        Target::Define => {
            let mut lines = Vec::new();
            if !matcher.defines.is_empty() {
                lines.push(format!("#define {}", quoted(&matcher.defines, "", "")));
            }
            if !matcher.undefs.is_empty() {
                lines.push(format!("#undef {}", quoted(&matcher.undefs, "", "")));
            }
            (
                matcher.defines.first().or(matcher.undefs.first()).cloned(),
                format!("the {} line", lines.join(" and ")),
            )
        }
        _ => {
            let mut parts = Vec::new();
            if !matcher.calls.is_empty() {
                parts.push(format!("call {}", quoted(&matcher.calls, "", "()")));
            }
            if !matcher.mentions.is_empty() {
                parts.push(format!("use {}", quoted(&matcher.mentions, "", "")));
            }
            (
                matcher
                    .mentions
                    .first()
                    .or(matcher.calls.first())
                    .map(|name| name.get_ref().clone()),
                format!("the statements that {}", parts.join(" and ")),
            )
        }
    };
    let mut place = String::new();
    if let Some(inside) = &matcher.inside {
        for name in &inside.get_ref().0 {
            place.push_str(&format!(" in {}()", name.get_ref()));
        }
    }
    if let Some(condition) = &matcher.condition {
        place.push_str(&format!(" under `{}`", condition.get_ref()));
    }
    let message = match &first.action {
        Action::Guard(guard) => format!(
            "guard {what}{place} with `{}` (learned from {patch_file})",
            guard.opening
        ),
        Action::SetValue(value) => {
            format!("give {what}{place} the value `{value}` (learned from {patch_file})")
        }
        Action::Replace(header) => {
            format!("include {header} in place of {what}{place} (learned from {patch_file})")
        }
        _ => format!("remove {what}{place} (learned from {patch_file})"),
    };
    let mut slug_text = String::new();
    for c in slug.unwrap_or_default().chars() {
        if c.is_ascii_alphanumeric() {
            slug_text.push(c.to_ascii_lowercase());
        } else if !slug_text.is_empty() && !slug_text.ends_with('-') {
            slug_text.push('-');
        }
    }
    let base = format!(
        "learned-{}-{}",
        first.action.name(),
        slug_text.trim_end_matches('-')
    );
    let mut id = base.clone();
    let mut number = 2;
    while used_ids.contains(&id) {
        id = format!("{base}-{number}");
        number += 1;
    }
    (id, message)
}

/// Does the rule alone, run over the original files, make exactly the group's edits?
fn reproduces(
    rule: &RuleToml,
    group: &[Site],
    works: &[FileWork],
    hints: &Hints,
    typedefs: &[String],
) -> bool {
    let Ok(toml) = rules_text(vec![rule.clone()], hints) else {
        return false;
    };
    let Ok(loaded) = rules::load(&toml, 0) else {
        return false;
    };
    let setup = Setup::new(loaded.rules, loaded.macros, typedefs);
    let mut found = 0;
    for (index, work) in works.iter().enumerate() {
        let mut edits: Vec<&Site> = group.iter().filter(|site| site.file == index).collect();
        edits.sort_by_key(|site| site.range.start);
        let mut expected = Vec::with_capacity(work.original.len());
        let mut at = 0;
        for site in edits {
            expected.extend_from_slice(&work.original[at..site.range.start]);
            expected.extend_from_slice(&site.text);
            at = site.range.end;
        }
        expected.extend_from_slice(&work.original[at..]);
        let Ok(result) = engine::process(&work.original, &work.relative, &setup) else {
            return false;
        };
        found += result.counts.first().map_or(0, |count| count.matches);
        if result.output.as_deref().unwrap_or(&work.original) != expected.as_slice() {
            return false;
        }
    }
    found == group.len() as u64
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
    typedefs: &[String],
) -> Result<(), LearnError> {
    let failed = |problem: Problem| LearnError::new(LearnErrorKind::Verify, problem);
    let loaded = super::verify::load_learned(toml)?;
    let setup = Setup::new(loaded.rules, loaded.macros, typedefs);
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
