//! `--explain`: why each match matched and what its action will do, for review before a rewrite.
//!
//! For every match of a file, in file order: a note-level codespan-reporting diagnostic on the
//! original source, `note[RULE-ID]: MESSAGE`, whose labels show the condition that matched (the
//! primary label), what satisfied the body predicates (a call, an `#include`), the enclosing
//! function and what becomes of each directive line of the group; a note that says in line
//! numbers what the action removes, rewrites and keeps; then the hunks of the file's unified
//! diff that hold the match's edits. One line per file and one for the run close it.
//!
//! It only reads what the engine recorded ([`MatchRecord`]) and the file's diff: it decides
//! nothing and writes no file.

use std::io::{self, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};
use termcolor::{Color, ColorSpec, WriteColor};

use crate::diag::{ShownText, escape_controls, io_error};
use crate::engine::{Edit, GroupLine, MatchRecord, Verdict, apply_within};
use crate::files::PlannedFile;
use crate::output::{self, Hunk, and_list, plural};
use crate::rules::{Action, Rule};
use crate::source::Lines;

/// Explain the matches of every file, then close with one line for the run. Returns the number
/// of matches explained (counted as the per-rule summary counts them).
pub fn write(out: &mut dyn WriteColor, files: &[PlannedFile], rules: &[Rule]) -> io::Result<u64> {
    let mut total = 0;
    let mut files_matched = 0usize;
    for file in files {
        let count = write_file(out, file, rules)?;
        if count > 0 {
            total += count;
            files_matched += 1;
        }
    }
    let scanned = files.len();
    if total == 0 {
        writeln!(
            out,
            "explain: no match in {scanned} {}, nothing to explain",
            plural(scanned as u64, "file", "files")
        )?;
    } else {
        writeln!(
            out,
            "explain: {total} {} explained in {files_matched} of {scanned} {}",
            plural(total, "match", "matches"),
            plural(scanned as u64, "file", "files")
        )?;
    }
    Ok(total)
}

/// Explain to standard output, or to standard error when standard output carries the result
/// (`--diff`, `--stdout`); colour only on a terminal (and `NO_COLOR` is honoured).
pub fn print(files: &[PlannedFile], rules: &[Rule], to_stderr: bool) -> io::Result<u64> {
    let terminal = if to_stderr {
        io::IsTerminal::is_terminal(&io::stderr())
    } else {
        io::IsTerminal::is_terminal(&io::stdout())
    };
    let choice = if terminal {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    let stream = if to_stderr {
        termcolor::StandardStream::stderr(choice)
    } else {
        termcolor::StandardStream::stdout(choice)
    };
    let mut lock = stream.lock();
    let count = write(&mut lock, files, rules)?;
    lock.flush()?;
    Ok(count)
}

/// Explain one file's matches; returns how many there were.
fn write_file(out: &mut dyn WriteColor, file: &PlannedFile, rules: &[Rule]) -> io::Result<u64> {
    let mut records: Vec<&MatchRecord> = file.result.matches.iter().collect();
    if records.is_empty() {
        return Ok(0);
    }
    records.sort_by_key(|record| (record.span.start, record.rule));
    let shown = ShownText::new(&file.source);
    let name = escape_controls(&file.file.display);
    let simple = SimpleFile::new(name.as_ref(), shown.text());
    let lines = Lines::new(&file.source);
    let config = term::Config::default();
    let mut count = 0;
    for record in &records {
        let Some(rule) = rules.get(record.rule) else {
            continue;
        };
        count += record.branches.len() as u64;
        let mut diagnostic = diagnostic(record, rule, &file.source, &lines);
        // Spans of the file into the text shown; messages from the rules file escaped.
        diagnostic.message = escape_controls(&diagnostic.message).into_owned();
        diagnostic.code = diagnostic
            .code
            .map(|code| escape_controls(&code).into_owned());
        for label in &mut diagnostic.labels {
            label.range = shown.shown(&label.range);
            label.message = escape_controls(&label.message).into_owned();
        }
        term::emit_to_write_style(out, &config, &simple, &diagnostic).map_err(io_error)?;
        for hunk in hunks(record, &file.source, &lines)? {
            write_hunk(out, &hunk)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{count} {} explained in {name}",
        plural(count, "match", "matches"),
    )?;
    writeln!(out)?;
    Ok(count)
}

/// The diff hunks of one match's edits alone, applied to the original: a patch that makes
/// this match's change and nothing else, so both sides number the original's lines. Only the
/// lines around the edits are diffed (with 3 lines of context, as `--diff`), so a file with
/// many matches costs no more than its matches.
fn hunks(record: &MatchRecord, source: &[u8], lines: &Lines) -> io::Result<Vec<Hunk>> {
    let (Some(first), Some(last)) = (record.edits.first(), record.edits.last()) else {
        return Ok(Vec::new());
    };
    let touched: Vec<Range<usize>> = record
        .edits
        .iter()
        .map(|edit| lines.covering(&edit.range))
        .collect();
    let from = touched
        .first()
        .map_or(0, |lines| lines.start)
        .saturating_sub(3);
    let to = touched.last().map_or(0, |lines| lines.end) + 3;
    let window = lines.start(from)..lines.start(to).max(last.range.end).min(source.len());
    if first.range.start < window.start {
        return Ok(Vec::new());
    }
    let Some(new) = apply_within(source, window.clone(), &record.edits) else {
        return Ok(Vec::new());
    };
    let old = &source[window];
    let mut hunks = output::diff_hunks(old, &new)?;
    for hunk in &mut hunks {
        hunk.old = hunk.old.start + from..hunk.old.end + from;
        hunk.new = hunk.new.start + from..hunk.new.end + from;
    }
    Ok(hunks)
}

/// A diff hunk, coloured as `git diff` colours it when the writer takes colour.
fn write_hunk(out: &mut dyn WriteColor, hunk: &Hunk) -> io::Result<()> {
    let colour = out.supports_color();
    if colour {
        out.set_color(ColorSpec::new().set_fg(Some(Color::Cyan)))?;
    }
    write!(out, "{}", hunk.header())?;
    if colour {
        out.reset()?;
    }
    writeln!(out)?;
    if !colour {
        return out.write_all(&hunk.lines);
    }
    for line in hunk.lines.split_inclusive(|&byte| byte == b'\n') {
        let colour = match line.first() {
            Some(b'-') => Some(Color::Red),
            Some(b'+') => Some(Color::Green),
            _ => None,
        };
        match colour {
            Some(colour) => {
                out.set_color(ColorSpec::new().set_fg(Some(colour)))?;
                out.write_all(line)?;
                out.reset()?;
            }
            None => out.write_all(line)?,
        }
    }
    Ok(())
}

/// The note for one match: labels on the source, and what the action does.
fn diagnostic(record: &MatchRecord, rule: &Rule, source: &[u8], lines: &Lines) -> Diagnostic<()> {
    if record.group.is_empty() {
        return target_diagnostic(record, rule, source, lines);
    }
    let resolve = matches!(rule.action, Action::Resolve(_));
    let mut labels: Vec<Label<()>> = Vec::new();
    let mut labelled: Vec<(Range<usize>, String)> = Vec::new();
    let on_a_selected_line = |span: &Range<usize>| {
        record
            .group
            .iter()
            .any(|line| line.selected && line.line.start <= span.start && span.end <= line.line.end)
    };
    for line in &record.group {
        let fate = directive_fate(record, line, source);
        // For resolve, what the condition came to under the assumptions.
        let verdict = match (&line.verdict, resolve && !is_else(source, &line.keyword)) {
            (Some(Verdict::True), true) => Some("true"),
            (Some(Verdict::False), true) => Some("false"),
            _ => None,
        };
        if !line.selected {
            let message = match verdict {
                Some(verdict) => format!("{verdict}: {fate}"),
                None => fate,
            };
            labels.push(Label::secondary((), line.keyword.clone()).with_message(message));
            continue;
        }
        let mut what: Vec<&str> = Vec::new();
        let mut span: Option<Range<usize>> = None;
        for (at, said) in &record.evidence {
            if line.line.start <= at.start && at.end <= line.line.end {
                if !what.contains(&said.as_str()) {
                    what.push(said);
                }
                span = Some(match span {
                    Some(span) => span.start.min(at.start)..span.end.max(at.end),
                    None => at.clone(),
                });
            }
        }
        let span = span.unwrap_or_else(|| line.keyword.start..content_end(source, &line.line));
        let what = if what.is_empty() {
            "selected by the rule".to_string()
        } else {
            what.join("; ")
        };
        let message = match verdict {
            // `X is false` already says it (a resolve rule with no other selector).
            Some(verdict) if !what.ends_with(&format!(" is {verdict}")) => {
                format!("{what} ({verdict}): {fate}")
            }
            _ => format!("{what}: {fate}"),
        };
        labels.push(Label::primary((), span).with_message(message));
    }
    for (span, said) in &record.evidence {
        if on_a_selected_line(span) || labelled.iter().any(|(at, _)| at == span) {
            continue;
        }
        labelled.push((span.clone(), said.clone()));
        labels.push(Label::secondary((), span.clone()).with_message(said));
    }
    if let (Some(name), Some(span)) = (&record.function, &record.function_name)
        && !labelled.iter().any(|(at, _)| at == span)
    {
        labels.push(Label::secondary((), span.clone()).with_message(format!("inside `{name}`")));
    }
    Diagnostic::note()
        .with_code(&rule.id)
        .with_message(&rule.message)
        .with_labels(labels)
        .with_notes(vec![format!(
            "{}: {}",
            action_name(&rule.action),
            what_happens(record, source, lines)
        )])
}

/// The note of a line or statement rule's match (no group): the selected line or statement
/// with what selected it, the other evidence, the function, and what the edit does in lines.
fn target_diagnostic(
    record: &MatchRecord,
    rule: &Rule,
    source: &[u8],
    lines: &Lines,
) -> Diagnostic<()> {
    let Some(selected) = record.branches.first() else {
        return Diagnostic::note()
            .with_code(&rule.id)
            .with_message(&rule.message);
    };
    let within = |span: &Range<usize>| selected.start <= span.start && span.end <= selected.end;
    let said: Vec<&str> = record
        .evidence
        .iter()
        .filter(|(span, _)| within(span) && !span.is_empty())
        .map(|(_, said)| said.as_str())
        .collect();
    let fate = if record.edits.iter().all(|edit| edit.text.is_empty()) {
        "removed"
    } else {
        match &rule.action {
            Action::Guard(_) => "guarded",
            _ => "rewritten",
        }
    };
    let what = if said.is_empty() {
        format!("selected by the rule: {fate}")
    } else {
        format!("{}: {fate}", said.join("; "))
    };
    let mut labels = vec![Label::primary((), selected.clone()).with_message(what)];
    for (span, said) in &record.evidence {
        if !within(span) && !span.is_empty() {
            labels.push(Label::secondary((), span.clone()).with_message(said));
        }
    }
    if let (Some(name), Some(span)) = (&record.function, &record.function_name)
        && !record.evidence.iter().any(|(at, _)| at == span)
    {
        labels.push(Label::secondary((), span.clone()).with_message(format!("inside `{name}`")));
    }
    let (first, last) = line_span(lines, &record.span);
    let at = if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}–{last}")
    };
    let happens = match (&rule.action, record.edits.first()) {
        (_, None) => "nothing changes here".to_string(),
        (Action::Drop, _) if first == last => format!("{at} is removed, nothing else"),
        (Action::Drop, _) => format!(
            "{at} ({} lines) are removed, nothing else",
            last - first + 1
        ),
        (Action::Guard(guard), _) => {
            format!("{at} are wrapped in `{}` … `#endif` lines", guard.opening)
        }
        (_, Some(edit)) => match fate_of_line(record, source, &record.span) {
            Some(new) => format!("{at} becomes `{new}`"),
            None => format!(
                "{at} is changed by `{}`",
                String::from_utf8_lossy(&edit.text)
            ),
        },
    };
    Diagnostic::note()
        .with_code(&rule.id)
        .with_message(&rule.message)
        .with_labels(labels)
        .with_notes(vec![format!("{}: {happens}", action_name(&rule.action))])
}

/// The new text of a one-line span under the match's edits.
fn fate_of_line(record: &MatchRecord, source: &[u8], span: &Range<usize>) -> Option<String> {
    match fate(record, span, source) {
        Fate::Rewritten(new) => Some(new),
        Fate::Removed | Fate::Kept => None,
    }
}

/// The action as the note names it: `drop`, `resolve with X defined`, ….
fn action_name(action: &Action) -> String {
    match action {
        Action::Drop => "drop".to_string(),
        Action::Keep => "keep".to_string(),
        Action::Resolve(assumptions) => match and_list(&assumptions.in_words()) {
            assumed if assumed.is_empty() => "resolve".to_string(),
            assumed => format!("resolve with {assumed}"),
        },
        Action::ReplaceCondition(condition) => format!("replace-condition with `{condition}`"),
        Action::Replace(header) => format!("replace with `{header}`"),
        Action::SetValue(value) => format!("set to `{value}`"),
        Action::Guard(guard) => format!("guard with `{}`", guard.opening),
    }
}

/// What becomes of a piece of the original under the match's edits.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    Removed,
    /// The line's new text (without its line ending).
    Rewritten(String),
    Kept,
}

fn fate(record: &MatchRecord, range: &Range<usize>, source: &[u8]) -> Fate {
    let removed = record.edits.iter().any(|edit| {
        edit.text.is_empty() && edit.range.start <= range.start && range.end <= edit.range.end
    });
    if removed {
        return Fate::Removed;
    }
    let touching: Vec<&Edit> = record
        .edits
        .iter()
        .filter(|edit| {
            edit.range.start < range.end && range.start < edit.range.end.max(edit.range.start + 1)
        })
        .collect();
    if touching.is_empty() {
        return Fate::Kept;
    }
    let mut new = Vec::new();
    let mut at = range.start;
    for edit in touching {
        let start = edit.range.start.clamp(at, range.end);
        new.extend_from_slice(&source[at..start]);
        new.extend_from_slice(&edit.text);
        at = edit.range.end.clamp(start, range.end);
    }
    new.extend_from_slice(&source[at..range.end]);
    Fate::Rewritten(String::from_utf8_lossy(&new).trim_end().to_string())
}

/// A directive line's fate, with its body's, as a label says it.
fn directive_fate(record: &MatchRecord, line: &GroupLine, source: &[u8]) -> String {
    let body = if line.body.is_empty() {
        None
    } else {
        Some(fate(record, &line.body, source))
    };
    match (fate(record, &line.line, source), body) {
        (Fate::Removed, Some(Fate::Removed)) => "removed with its body".to_string(),
        (Fate::Removed, Some(_)) => "removed, its body stays".to_string(),
        (Fate::Removed, None) => "removed".to_string(),
        (Fate::Rewritten(new), Some(Fate::Removed)) => {
            format!("becomes `{new}`, its body is removed")
        }
        (Fate::Rewritten(new), _) => format!("becomes `{new}`"),
        (Fate::Kept, _) => "stays".to_string(),
    }
}

/// One piece of the group: a directive line or a branch body.
struct Piece {
    range: Range<usize>,
    /// The directive's keyword, `#if`, `#else`, … (of the branch, for a body).
    keyword: String,
    body: bool,
    fate: Fate,
}

/// What the match's edits do to the group, in line numbers, in file order.
fn what_happens(record: &MatchRecord, source: &[u8], lines: &Lines) -> String {
    if record.edits.is_empty() {
        return "nothing changes here".to_string();
    }
    let mut pieces = Vec::new();
    for line in &record.group {
        let keyword = keyword_name(source, &line.keyword);
        pieces.push(Piece {
            range: line.line.clone(),
            keyword: keyword.clone(),
            body: false,
            fate: fate(record, &line.line, source),
        });
        if !line.body.is_empty() {
            pieces.push(Piece {
                range: line.body.clone(),
                keyword,
                body: true,
                fate: fate(record, &line.body, source),
            });
        }
    }
    let mut sentences = Vec::new();
    let mut index = 0;
    while index < pieces.len() {
        let piece = &pieces[index];
        match &piece.fate {
            Fate::Removed => {
                let mut end = index;
                while end + 1 < pieces.len() && pieces[end + 1].fate == Fate::Removed {
                    end += 1;
                }
                let run = &pieces[index..=end];
                let names: Vec<String> = run
                    .iter()
                    .enumerate()
                    .map(|(at, piece)| match (piece.body, at) {
                        (false, _) => format!("the `{}` line", piece.keyword),
                        (true, at) if at > 0 && !run[at - 1].body => "its body".to_string(),
                        (true, _) => format!("the body of `{}`", piece.keyword),
                    })
                    .collect();
                let span = run[0].range.start..run[run.len() - 1].range.end;
                let (first, last) = line_span(lines, &span);
                sentences.push(if first == last {
                    format!("line {first} ({}) is removed", and_list(&names))
                } else {
                    format!(
                        "lines {first}–{last} ({} lines) are removed: {}",
                        last - first + 1,
                        and_list(&names)
                    )
                });
                index = end + 1;
                continue;
            }
            Fate::Rewritten(new) if !piece.body => {
                let (first, _) = line_span(lines, &piece.range);
                sentences.push(format!(
                    "line {first} (the `{}` line) becomes `{new}`",
                    piece.keyword
                ));
            }
            Fate::Rewritten(_) => {
                let (first, last) = line_span(lines, &piece.range);
                sentences.push(format!(
                    "the body of `{}` (lines {first}–{last}) is changed",
                    piece.keyword
                ));
            }
            Fate::Kept if piece.body => {
                // A body stays without comment unless its directive (the piece before it)
                // went or changed.
                if index > 0 && pieces[index - 1].fate != Fate::Kept {
                    let (first, last) = line_span(lines, &piece.range);
                    let at = if first == last {
                        format!("line {first}")
                    } else {
                        format!("lines {first}–{last}")
                    };
                    sentences.push(format!("the body of `{}` ({at}) stays", piece.keyword));
                }
            }
            Fate::Kept => {}
        }
        index += 1;
    }
    sentences.join("; ")
}

/// `#if`, `#else`, … from the keyword span (`#  if` is written `#if`), read as the preprocessor
/// reads it, line continuations removed (`#el\<newline>se` is `#else`).
fn keyword_name(source: &[u8], keyword: &Range<usize>) -> String {
    let text = String::from_utf8_lossy(source.get(keyword.clone()).unwrap_or_default())
        .replace("\\\r\n", "")
        .replace("\\\n", "");
    let word = text.trim_start_matches('#').trim();
    format!("#{word}")
}

fn is_else(source: &[u8], keyword: &Range<usize>) -> bool {
    keyword_name(source, keyword) == "#else"
}

/// The end of a line's text, before its line ending.
fn content_end(source: &[u8], line: &Range<usize>) -> usize {
    let text = &source[line.clone()];
    let trimmed = text
        .strip_suffix(b"\n")
        .map(|text| text.strip_suffix(b"\r").unwrap_or(text))
        .unwrap_or(text);
    line.start + trimmed.len()
}

/// The first and last 1-based lines a non-empty span covers.
fn line_span(lines: &Lines, span: &Range<usize>) -> (usize, usize) {
    let last = span.end.max(span.start + 1) - 1;
    (lines.line_column(span.start).0, lines.line_column(last).0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, Setup};

    const RULES: &str = r#"
[[rule]]
id = "drop-unshare"
message = "no unshare() here"
files = ["*.c"]
action = "drop"

[rule.match]
condition = "defined(__linux__)"
calls = ["unshare"]
"#;

    const SOURCE: &[u8] =
        b"void f(void) {\n#if defined(__linux__)\n\tunshare(0);\n#else\n\tx();\n#endif\n}\n";

    fn explained(out: &mut dyn WriteColor) -> u64 {
        let setup = Setup::from_rules_file(crate::rules::load(RULES, 0).unwrap());
        let parsed = crate::source::ParsedFile::new(SOURCE).unwrap();
        let result =
            engine::process_parsed(&parsed, "f.c", &setup, engine::Detail { functions: true })
                .unwrap();
        let files = [PlannedFile {
            file: crate::files::SourceFile {
                path: "f.c".into(),
                display: "f.c".into(),
                relative: "f.c".into(),
                label: "f.c".into(),
            },
            source: SOURCE.to_vec(),
            read_as: None,
            result,
        }];
        write(out, &files, &setup.rules).unwrap()
    }

    #[test]
    fn plain_writer_gets_no_colour() {
        let mut buffer = termcolor::NoColor::new(Vec::new());
        assert_eq!(explained(&mut buffer), 1);
        let text = String::from_utf8(buffer.into_inner()).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        for expected in [
            "note[drop-unshare]: no unshare() here\n  ┌─ f.c:2:5",
            "1 │ void f(void) {\n  │      - inside `f`",
            "3 │     unshare(0);\n  │     ------- calls `unshare`",
            "4 │ #else\n  │ ----- removed, its body stays",
            "= drop: lines 2–4 (3 lines) are removed: the `#if` line, its body and the `#else` line; \
             the body of `#else` (line 5) stays; line 6 (the `#endif` line) is removed",
            "@@ -1,7 +1,3 @@\n void f(void) {\n-#if defined(__linux__)\n",
            "1 match explained in f.c\n",
            "explain: 1 match explained in 1 of 1 file\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn colour_writer_gets_colour() {
        let mut buffer = termcolor::Ansi::new(Vec::new());
        explained(&mut buffer);
        let text = String::from_utf8(buffer.into_inner()).unwrap();
        assert!(
            text.contains("\u{1b}[31m-#if defined(__linux__)\n"),
            "{text}"
        );
        assert!(text.contains("\u{1b}[36m@@ -1,7 +1,3 @@"), "{text}");
    }

    #[test]
    fn lists_read_as_prose() {
        let list =
            |parts: &[&str]| and_list(&parts.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(list(&[]), "");
        assert_eq!(list(&["a"]), "a");
        assert_eq!(list(&["a", "b"]), "a and b");
        assert_eq!(list(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn line_spans_are_first_and_last_lines() {
        let lines = Lines::new(b"a\nbb\nc");
        assert_eq!(line_span(&lines, &(2..5)), (2, 2));
        assert_eq!(line_span(&lines, &(1..6)), (1, 3));
        assert_eq!(line_span(&lines, &(5..5)), (3, 3));
    }
}
