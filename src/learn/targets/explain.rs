//! Reading a patch's runs of deleted and inserted lines as edits (sites): which directive line
//! or statement each run removes, changes or guards, and why a run nothing explains cannot be
//! learned.

use std::ops::Range;

use crate::diag::Problem;
use crate::engine::{self, FileFacts};
use crate::rules::{self, Action, Guard, Target};
use crate::source::{DirectiveKind, Lines};

use super::{FileWork, HELP, Run, Site, What, toml_string};
use crate::learn::patch::{PatchText, shown};
use crate::learn::{LearnError, LearnErrorKind};

/// Explain each run of one file as sites, or say which hunk cannot be and why.
pub(super) fn explain_file(
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
            let closing_text = shown(&close.inserted[0]).trim().to_string();
            let Some(guard) = parse_guard(&guard_text, &closing_text) else {
                return Err(unexplained(
                    run,
                    format!(
                        "`{guard_text}` … `{closing_text}` is not a guard cdefang reads (a condition, and #endif with at most a comment)"
                    ),
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

/// The guard of an added opening line and its closing line, as a rule's `guard` and
/// `guard_end` read them (`guard_end` only when the closing line is more than `#endif`).
fn parse_guard(opening: &str, closing: &str) -> Option<Guard> {
    let plain = closing.strip_prefix('#').map(str::trim_start) == Some("endif");
    let guard_end = if plain {
        String::new()
    } else {
        format!("guard_end = {}\n", toml_string(closing))
    };
    let toml = format!(
        "[[rule]]\nid = \"g\"\nmessage = \"\"\nfiles = [\"*\"]\ntarget = \"statement\"\naction = \"guard\"\nguard = {}\n{guard_end}[rule.match]\ncalls = [\"g\"]\n",
        toml_string(opening)
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
        DirectiveKind::Define | DirectiveKind::Undef => {
            let undef = directive.kind == DirectiveKind::Undef;
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

/// The condition the innermost branch around `offset` is taken under, in normal form (an
/// `#else` by the negation of the conditions before it, as a rule's `condition` selects it).
fn innermost_condition(facts: &FileFacts, offset: usize) -> Option<String> {
    let mut level = &facts.tree.roots;
    let mut found = None;
    loop {
        let holding = level.iter().find_map(|conditional| {
            conditional
                .branches
                .iter()
                .position(|branch| branch.body.start <= offset && offset < branch.body.end)
                .map(|index| (conditional, index))
        });
        let Some((conditional, index)) = holding else {
            return found;
        };
        found = facts
            .taken_under(conditional, index)
            .map(|condition| condition.to_string());
        level = &conditional.branches[index].children;
    }
}
