//! Output: unified diffs (also as hunks), the per-rule summary, the JSON report and the
//! `--parse-stats` table; `plural` and `and_list` for every message that counts or lists.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;

use serde::Serialize;

use crate::c::HintKind;

/// Write a unified diff of one file, `a/LABEL` and `b/LABEL` (its path relative to the
/// directory given, see `SourceFile::label`), so that `patch -p1` applies it from that
/// directory. Bytes are written as they are, the label's too (a file name need not be UTF-8).
pub fn write_diff(
    out: &mut dyn Write,
    label: impl AsRef<std::ffi::OsStr>,
    old: &[u8],
    new: &[u8],
) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let label = label.as_ref().as_bytes();
    let mut old_label = b"a/".to_vec();
    old_label.extend(label);
    let mut new_label = b"b/".to_vec();
    new_label.extend(label);
    write_byte_labelled_diff(out, true, &old_label, &new_label, old, new)
}

/// Write a unified diff (3 lines of context) of `old` and `new` under the header lines
/// `--- OLD_LABEL` and `+++ NEW_LABEL`; nothing when they are equal. Bytes are written as they
/// are.
pub fn write_labelled_diff(
    out: &mut dyn Write,
    old_label: &str,
    new_label: &str,
    old: &[u8],
    new: &[u8],
) -> io::Result<()> {
    write_byte_labelled_diff(
        out,
        false,
        old_label.as_bytes(),
        new_label.as_bytes(),
        old,
        new,
    )
}

/// `file_names`: the labels are the files' names, for `patch` (see [`write_diff`]).
fn write_byte_labelled_diff(
    out: &mut dyn Write,
    file_names: bool,
    old_label: &[u8],
    new_label: &[u8],
    old: &[u8],
    new: &[u8],
) -> io::Result<()> {
    let hunks = diff_hunks(old, new)?;
    if hunks.is_empty() {
        return Ok(());
    }
    for (mark, label) in [(&b"--- "[..], old_label), (b"+++ ", new_label)] {
        out.write_all(mark)?;
        out.write_all(label)?;
        // A file name with a blank ends at a tab, as git writes it: `patch` takes a header's
        // name up to its first blank otherwise.
        if file_names && label.iter().any(|byte| byte.is_ascii_whitespace()) {
            out.write_all(b"\t")?;
        }
        out.write_all(b"\n")?;
    }
    for hunk in &hunks {
        writeln!(out, "{}", hunk.header())?;
        out.write_all(&hunk.lines)?;
    }
    Ok(())
}

/// One hunk of a unified diff (3 lines of context), as [`write_labelled_diff`] writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    /// The old and the new lines (0-based, end exclusive) it spans, context included.
    pub old: Range<usize>,
    pub new: Range<usize>,
    /// Its lines (` `, `-`, `+`, `\ No newline at end of file`) without the `@@` line, bytes
    /// as they are.
    pub lines: Vec<u8>,
}

impl Hunk {
    /// The `@@ -OLD +NEW @@` line, without its line ending, as `diff -u` writes it.
    pub fn header(&self) -> String {
        fn range(lines: &Range<usize>) -> String {
            match lines.len() {
                0 => format!("{},0", lines.start),
                1 => format!("{}", lines.start + 1),
                len => format!("{},{len}", lines.start + 1),
            }
        }
        format!("@@ -{} +{} @@", range(&self.old), range(&self.new))
    }
}

/// The hunks of the unified diff of `old` and `new`, in order (none when they are equal).
/// Lines end at `\n` only, as `patch` reads them: a lone `\r` (an old Mac line ending, or the
/// last byte of a file) stays inside its line, and a last line without `\n` is followed by
/// `\ No newline at end of file`.
pub fn diff_hunks(old: &[u8], new: &[u8]) -> io::Result<Vec<Hunk>> {
    let old_lines: Vec<&[u8]> = old.split_inclusive(|&byte| byte == b'\n').collect();
    let new_lines: Vec<&[u8]> = new.split_inclusive(|&byte| byte == b'\n').collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
    let mut hunks = Vec::new();
    for group in similar::group_diff_ops(ops, 3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let mut lines = Vec::new();
        for op in &group {
            for change in op.iter_changes(&old_lines[..], &new_lines[..]) {
                let mark: &[u8] = match change.tag() {
                    similar::ChangeTag::Equal => b" ",
                    similar::ChangeTag::Delete => b"-",
                    similar::ChangeTag::Insert => b"+",
                };
                let line = change.value();
                lines.extend_from_slice(mark);
                lines.extend_from_slice(line);
                if !line.ends_with(b"\n") {
                    lines.extend_from_slice(b"\n\\ No newline at end of file\n");
                }
            }
        }
        hunks.push(Hunk {
            old: first.old_range().start..last.old_range().end,
            new: first.new_range().start..last.new_range().end,
            lines,
        });
    }
    Ok(hunks)
}

/// What one rule did over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    pub id: String,
    /// Files the rule's globs selected.
    pub files: u64,
    /// Files where it matched at least once.
    pub files_matched: u64,
    pub matches: u64,
    pub edits: u64,
    /// How the rule ended the run: `applied`, `already-applied`, `no-match`, `drift` or
    /// `undecided` (a file it selects failed).
    pub status: String,
    /// For `already-applied`: what shows it, per file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceReport>,
}

/// What shows a rule's work done in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EvidenceReport {
    pub file: String,
    pub evidence: String,
    /// Where, when one place shows it.
    pub line: Option<usize>,
}

/// A rule whose match count was not what its `expect` says, or that looks for a name no file
/// has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub rule: String,
    pub expected: String,
    pub found: u64,
    /// The file, for a per-file expectation.
    pub file: Option<String>,
    /// Why, in words (what is still in the code, or the unknown name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One match of a rule (`--report`'s `matches`, `--list`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MatchReport {
    pub rule: String,
    pub file: String,
    /// Of the selected branch's directive (its `#`), from 1.
    pub line: usize,
    pub column: usize,
    /// The function around it, when known.
    pub function: Option<String>,
    pub action: String,
    /// `applied` (its edits are made), `shared` (some made by another rule too, once),
    /// `subsumed` (inside a block another rule removes), `unchanged` (no edit).
    pub state: String,
    /// For `shared` and `subsumed`: the other rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
}

/// The machine-readable report of a run (`--report FILE.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub files_scanned: u64,
    pub files_changed: u64,
    /// The files that changed (or would change), as given.
    pub changed: Vec<String>,
    pub rules: Vec<RuleSummary>,
    pub drift: Vec<Drift>,
    /// Every match, in the order of the files and within a file in file order.
    pub matches: Vec<MatchReport>,
    /// Files skipped (binary) or that failed, as given.
    pub skipped: Vec<String>,
    pub failed: Vec<String>,
    /// lang-c coverage (`--parse-stats`).
    pub parse: Option<ParseReport>,
    pub exit_status: i32,
}

/// The first of the characters that stand for a byte that is not UTF-8 in a path of the report
/// (U+10FF80 to U+10FFFF for the bytes 0x80 to 0xFF; a path holding these characters
/// themselves, private-use and noncharacters, is written as if it had those bytes).
const BYTE_MARK: u32 = 0x10_FF00;

/// A path for the JSON report: its text, with each byte that is not UTF-8 marked so that
/// [`report_json`] writes it as the escape `\udcXX`, as Python's `surrogateescape` does
/// (`os.fsencode(json.load(f)["changed"][0])` gives the bytes back).
pub fn json_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut text = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.extend(char::from_u32(BYTE_MARK + u32::from(*byte)));
        }
    }
    text
}

/// The report as JSON, paths' bytes that are not UTF-8 written as `\udcXX` (see [`json_path`]).
pub fn report_json(report: &Report) -> serde_json::Result<Vec<u8>> {
    let json = serde_json::to_string_pretty(report)?;
    let mut out = String::with_capacity(json.len());
    for character in json.chars() {
        match u32::from(character).checked_sub(BYTE_MARK) {
            Some(byte @ 0x80..=0xff) => out.push_str(&format!("\\udc{byte:02x}")),
            _ => out.push(character),
        }
    }
    Ok(out.into_bytes())
}

/// lang-c coverage over the run: totals, then each file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParseReport {
    pub functions: u64,
    pub parsed: u64,
    pub failed: u64,
    pub files: Vec<FileParse>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileParse {
    pub path: String,
    pub functions: u64,
    pub parsed: u64,
    pub failed: u64,
    /// The first error of each function that failed.
    pub errors: Vec<ParseError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParseError {
    pub function: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The coverage table printed by `--parse-stats`.
pub fn parse_table(report: &ParseReport) -> String {
    let mut text = String::new();
    for file in &report.files {
        text.push_str(&format!(
            "{}: {} functions, {} parsed, {} failed\n",
            file.path, file.functions, file.parsed, file.failed
        ));
        for error in &file.errors {
            text.push_str(&format!(
                "  {}:{}:{}: {}: {}\n",
                file.path, error.line, error.column, error.function, error.message
            ));
        }
    }
    let percent = if report.functions == 0 {
        100.0
    } else {
        100.0 * report.parsed as f64 / report.functions as f64
    };
    text.push_str(&format!(
        "total: {} functions, {} parsed, {} failed ({percent:.2}% parsed)\n",
        report.functions, report.parsed, report.failed
    ));
    text
}

/// `--suggest-hints`: the names that stopped lang-c, as the top level of a rules file (each with
/// the number of functions it stopped), most frequent first within each key.
pub fn suggested_hints(hints: &[(HintKind, String)]) -> String {
    let mut counts: BTreeMap<(HintKind, &str), u64> = BTreeMap::new();
    for (kind, name) in hints {
        *counts.entry((*kind, name)).or_default() += 1;
    }
    let mut text = String::from(
        "# C parsing hints suggested by `cdefang --parse-stats --suggest-hints`: each name stopped\n\
         # lang-c in the functions counted. Review them, save this as a rules file and pass it\n\
         # with --rules (or --hints to learn).\n",
    );
    for kind in [
        HintKind::StatementMacro,
        HintKind::BlankMacro,
        HintKind::Typedef,
    ] {
        let mut names: Vec<(&str, u64)> = counts
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, name), count)| (*name, *count))
            .collect();
        if names.is_empty() {
            continue;
        }
        names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        text.push_str(&format!("{} = [\n", kind.key()));
        for (name, count) in names {
            text.push_str(&format!(
                "    \"{name}\", # {count} {}\n",
                plural(count, "function", "functions")
            ));
        }
        text.push_str("]\n");
    }
    text
}

/// One line a rule, for standard error.
pub fn summary_lines(rules: &[RuleSummary]) -> Vec<String> {
    rules
        .iter()
        .map(|rule| {
            let mut line = format!(
                "{}: {} {}, {} {}, {} {}: {}",
                rule.id,
                rule.files_matched,
                plural(rule.files_matched, "file", "files"),
                rule.matches,
                plural(rule.matches, "match", "matches"),
                rule.edits,
                plural(rule.edits, "edit", "edits"),
                rule.status,
            );
            if rule.status == "undecided" {
                line.push_str(" (a file it selects failed: see the error above)");
            }
            if let Some(first) = rule.evidence.first() {
                line.push_str(&format!(" ({}: {})", first.file, first.evidence));
                if rule.evidence.len() > 1 {
                    let more = rule.evidence.len() as u64 - 1;
                    line.push_str(&format!(
                        " and {more} more {}",
                        plural(more, "file", "files")
                    ));
                }
            }
            line
        })
        .collect()
}

/// `one` or `many`, as `count` asks.
pub fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

/// "a", "a and b", "a, b and c".
pub fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_has_prefixes_and_keeps_bytes() {
        let mut out = Vec::new();
        write_diff(&mut out, "core/x.c", b"a\r\nb\xff\r\nc", b"a\r\nc").unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("--- a/core/x.c\n+++ b/core/x.c\n@@ -1,3 +1,2 @@\n"));
        assert!(out.windows(4).any(|w| w == b"-b\xff\r"));
        assert!(text.contains("\\ No newline at end of file"));
        let mut none = Vec::new();
        write_diff(&mut none, "x", b"same", b"same").unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_lone_carriage_return_stays_inside_its_line() {
        // The last line ends in `\r` without `\n`; an old Mac line ending mid-file.
        let mut written = Vec::new();
        write_labelled_diff(&mut written, "a", "b", b"#if A\nx\n#endif\r", b"x\n").unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "--- a\n+++ b\n@@ -1,3 +1 @@\n-#if A\n x\n-#endif\r\n\\ No newline at end of file\n"
        );
        let mut written = Vec::new();
        write_labelled_diff(&mut written, "a", "b", b"p\rq\nr\n", b"p\rq\ns\n").unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n p\rq\n-r\n+s\n"
        );
    }

    #[test]
    fn hunks_are_the_unified_diff_in_pieces() {
        let old = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
        let new = b"1\n3\n4\n5\n6\n7\n8\n9\n10\n11\nXII\nXIII\n";
        let hunks = diff_hunks(old, new).unwrap();
        assert_eq!(hunks.len(), 2);
        assert_eq!((hunks[0].old.clone(), hunks[0].new.clone()), (0..5, 0..4));
        assert_eq!(hunks[0].header(), "@@ -1,5 +1,4 @@");
        assert!(hunks[0].lines.starts_with(b" 1\n-2\n 3\n"));
        // similar's own writer, the reference the hunks must reproduce (where lines end in
        // `\n`: it also ends lines at a lone `\r`, which `patch` does not).
        let diff = similar::TextDiff::from_lines(&old[..], &new[..]);
        let mut unified = diff.unified_diff();
        let mut whole = Vec::new();
        unified
            .context_radius(3)
            .header("a", "b")
            .to_writer(&mut whole)
            .unwrap();
        let mut written = Vec::new();
        write_labelled_diff(&mut written, "a", "b", old, new).unwrap();
        assert_eq!(written, whole);
        let mut joined = b"--- a\n+++ b\n".to_vec();
        for hunk in &hunks {
            joined.extend_from_slice(hunk.header().as_bytes());
            joined.push(b'\n');
            joined.extend_from_slice(&hunk.lines);
        }
        assert_eq!(
            String::from_utf8_lossy(&joined),
            String::from_utf8_lossy(&whole)
        );
        let one_line = diff_hunks(b"a\n", b"b\n").unwrap();
        assert_eq!(one_line[0].header(), "@@ -1 +1 @@");
        let added = diff_hunks(b"", b"x\n").unwrap();
        assert_eq!(added[0].header(), "@@ -0,0 +1 @@");
        assert!(diff_hunks(b"same", b"same").unwrap().is_empty());
    }

    #[test]
    fn summary_is_one_line_a_rule() {
        let lines = summary_lines(&[RuleSummary {
            id: "r".into(),
            files: 2,
            files_matched: 1,
            matches: 2,
            edits: 4,
            status: "applied".into(),
            evidence: Vec::new(),
        }]);
        assert_eq!(lines, vec!["r: 1 file, 2 matches, 4 edits: applied"]);
    }
}
