//! Reading a unified diff and applying it in memory, for [`super`]: a strict reader (GNU
//! `diff -u`, `git diff`: file headers, hunks whose line counts match their headers, `\ No
//! newline at end of file`), file names resolved under the source directory as `patch` does
//! (`-p0`, then `-p1`), and each hunk applied exactly where it says, line by line.

use std::fs;
use std::ops::Range;
use std::path::Path;
use std::rc::Rc;

use crate::diag::Problem;
use crate::engine::Edit;
use crate::files::SourceFile;
use crate::source::{CondTree, Lines, Scan};

use super::{LearnError, LearnErrorKind};

// ---------------------------------------------------------------------------------------------
// 1. Reading the patch.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LineKind {
    Context,
    Delete,
    Insert,
}

#[derive(Clone, Debug)]
pub(super) struct HunkLine {
    pub(super) kind: LineKind,
    /// The line's text with its line ending (none after `\ No newline at end of file`).
    pub(super) text: Vec<u8>,
    /// Where the line is in the patch.
    pub(super) at: Range<usize>,
}

#[derive(Clone, Debug)]
pub(super) struct Hunk {
    pub(super) old_start: usize,
    pub(super) old_count: usize,
    pub(super) at: Range<usize>,
    pub(super) lines: Vec<HunkLine>,
}

#[derive(Clone, Debug)]
pub(super) struct FilePatch {
    pub(super) old: String,
    pub(super) new: String,
    /// The `---` line in the patch.
    pub(super) at: Range<usize>,
    pub(super) hunks: Vec<Hunk>,
}

/// The patch as given, for diagnostics that point into it.
pub(super) struct PatchText<'p> {
    pub(super) name: &'p str,
    pub(super) text: &'p [u8],
}

impl PatchText<'_> {
    pub(super) fn error(
        &self,
        kind: LearnErrorKind,
        message: impl Into<String>,
        at: Range<usize>,
        label: impl Into<String>,
        help: &str,
    ) -> LearnError {
        LearnError::new(
            kind,
            Problem::error(message)
                .at(self.name, self.text, without_eol(self.text, at), label)
                .help(help),
        )
    }

    pub(super) fn line_number(&self, at: &Range<usize>) -> usize {
        Lines::new(self.text).line_column(at.start).0
    }
}

/// A span of whole lines without the last line ending, for a label on one line.
pub(super) fn without_eol(text: &[u8], mut span: Range<usize>) -> Range<usize> {
    while span.end > span.start && matches!(text.get(span.end - 1), Some(b'\n' | b'\r')) {
        span.end -= 1;
    }
    span
}

/// The file name of a `---`/`+++` line: up to a tab (GNU diff's time stamp), quotes removed.
pub(super) fn header_name(rest: &[u8]) -> String {
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
    let name = match memchr::memchr(b'\t', rest) {
        Some(tab) => &rest[..tab],
        None => rest,
    };
    let name = name.trim_ascii_end();
    let name = name
        .strip_prefix(b"\"")
        .and_then(|inner| inner.strip_suffix(b"\""))
        .unwrap_or(name);
    String::from_utf8_lossy(name).into_owned()
}

/// `-START[,COUNT]` or `+START[,COUNT]`.
pub(super) fn hunk_range(text: &str, sign: char) -> Option<(usize, usize)> {
    let text = text.strip_prefix(sign)?;
    match text.split_once(',') {
        Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
        None => Some((text.parse().ok()?, 1)),
    }
}

/// `@@ -a,b +c,d @@ …`: the old start and count, and the new count.
pub(super) fn hunk_header(line: &[u8]) -> Option<(usize, usize, usize)> {
    let line = std::str::from_utf8(line).ok()?;
    let rest = line.strip_prefix("@@ ")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(' ')?;
    let (old_start, old_count) = hunk_range(old, '-')?;
    let (_, new_count) = hunk_range(new, '+')?;
    Some((old_start, old_count, new_count))
}

const DIFF_HELP: &str = "give a unified diff, as `diff -u OLD NEW` or `git diff` write it";

/// Read a unified diff: every file header with its hunks. Text outside file patches (`diff`
/// command lines, `index` lines, mail headers) is skipped.
pub(super) fn parse_patch(patch: &PatchText) -> Result<Vec<FilePatch>, LearnError> {
    let text = patch.text;
    let lines = Lines::new(text);
    let line = |index: usize| &text[lines[index].clone()];
    let mut patches: Vec<FilePatch> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let current = line(index);
        if current.starts_with(b"--- ")
            && index + 1 < lines.len()
            && line(index + 1).starts_with(b"+++ ")
        {
            let at = lines[index].clone();
            let mut file = FilePatch {
                old: header_name(&current[4..]),
                new: header_name(&line(index + 1)[4..]),
                at: at.clone(),
                hunks: Vec::new(),
            };
            index += 2;
            while index < lines.len() && line(index).starts_with(b"@@ ") {
                let (hunk, next) = parse_hunk(patch, lines.as_slice(), index)?;
                file.hunks.push(hunk);
                index = next;
            }
            if file.hunks.is_empty() {
                return Err(patch.error(
                    LearnErrorKind::Malformed,
                    "malformed patch: a file header without hunks",
                    at,
                    "no `@@` hunk follows",
                    DIFF_HELP,
                ));
            }
            patches.push(file);
        } else if current.starts_with(b"@@ ") {
            return Err(patch.error(
                LearnErrorKind::Malformed,
                "malformed patch: a hunk without a file header",
                lines[index].clone(),
                "no `---`/`+++` lines before this hunk",
                DIFF_HELP,
            ));
        } else {
            index += 1;
        }
    }
    if patches.is_empty() {
        return Err(patch.error(
            LearnErrorKind::Malformed,
            "malformed patch: no unified diff in it",
            0..text.len().min(1),
            "no `---`/`+++` file header and `@@` hunk found",
            DIFF_HELP,
        ));
    }
    Ok(patches)
}

/// One hunk from its `@@` line; returns it and the index of the line after it.
pub(super) fn parse_hunk(
    patch: &PatchText,
    lines: &[Range<usize>],
    header: usize,
) -> Result<(Hunk, usize), LearnError> {
    let text = patch.text;
    let at = lines[header].clone();
    let Some((old_start, old_count, new_count)) = hunk_header(&text[at.clone()]) else {
        return Err(patch.error(
            LearnErrorKind::Malformed,
            "malformed patch: unreadable hunk header",
            at,
            "expected `@@ -START,COUNT +START,COUNT @@`",
            DIFF_HELP,
        ));
    };
    let mut hunk = Hunk {
        old_start,
        old_count,
        at: at.clone(),
        lines: Vec::new(),
    };
    let (mut old_seen, mut new_seen) = (0, 0);
    let mut index = header + 1;
    let no_newline = |hunk: &mut Hunk, at: Range<usize>| match hunk.lines.last_mut() {
        Some(last) => {
            if last.text.ends_with(b"\n") {
                last.text.pop();
            }
            Ok(())
        }
        None => Err(patch.error(
            LearnErrorKind::Malformed,
            "malformed patch: `\\ No newline at end of file` follows no line",
            at,
            "here",
            DIFF_HELP,
        )),
    };
    while old_seen < old_count || new_seen < new_count {
        let Some(range) = lines.get(index).cloned() else {
            return Err(patch.error(
                LearnErrorKind::Malformed,
                format!(
                    "malformed patch: the hunk ends early ({} old and {} new line(s) missing)",
                    old_count - old_seen,
                    new_count - new_seen
                ),
                at,
                "the counts of this header",
                DIFF_HELP,
            ));
        };
        let current = &text[range.clone()];
        let (kind, content) = match current.first() {
            Some(b' ') => (LineKind::Context, &current[1..]),
            Some(b'-') => (LineKind::Delete, &current[1..]),
            Some(b'+') => (LineKind::Insert, &current[1..]),
            Some(b'\\') => {
                no_newline(&mut hunk, range)?;
                index += 1;
                continue;
            }
            // An empty line is an empty context line whose space was trimmed (as patch reads it).
            Some(b'\n') | Some(b'\r') => (LineKind::Context, current),
            _ => {
                return Err(patch.error(
                    LearnErrorKind::Malformed,
                    "malformed patch: a line in a hunk must start with ' ', '-', '+' or '\\'",
                    range,
                    "unexpected line",
                    DIFF_HELP,
                ));
            }
        };
        match kind {
            LineKind::Context => {
                old_seen += 1;
                new_seen += 1;
            }
            LineKind::Delete => old_seen += 1,
            LineKind::Insert => new_seen += 1,
        }
        if old_seen > old_count || new_seen > new_count {
            return Err(patch.error(
                LearnErrorKind::Malformed,
                "malformed patch: the hunk has more lines than its header counts",
                range,
                "one line too many",
                DIFF_HELP,
            ));
        }
        hunk.lines.push(HunkLine {
            kind,
            text: content.to_vec(),
            at: range,
        });
        index += 1;
    }
    while let Some(range) = lines.get(index).cloned() {
        if !text[range.clone()].starts_with(b"\\") {
            break;
        }
        no_newline(&mut hunk, range)?;
        index += 1;
    }
    Ok((hunk, index))
}

// ---------------------------------------------------------------------------------------------
// 2. Files and hunks.

/// A source file the patch changes: its bytes before and after, and line by line what the
/// patch does to it.
pub(super) struct PatchedFile {
    /// The path under the source directory, `/`-separated (what the rule's `files` says).
    pub(super) relative: String,
    pub(super) source: SourceFile,
    /// Shared with the file's parse, which borrows it while the alignment is refined.
    pub(super) original: Rc<[u8]>,
    pub(super) patched: Vec<u8>,
    /// The original's lines.
    pub(super) lines: Lines,
    /// Per line of the original: deleted by the patch.
    pub(super) deleted: Vec<bool>,
    /// Per deleted line: the text the patch writes in place of its run of deleted lines (given
    /// to the run's last line).
    pub(super) replacement: Vec<Option<Vec<u8>>>,
    /// Per deleted line: where the patch deletes it.
    pub(super) patch_at: Vec<Option<Range<usize>>>,
    /// The hunks as applied: the original lines each covers, the lines it writes instead, and
    /// where it is in the patch.
    pub(super) hunks: Vec<AppliedHunk>,
}

#[derive(Clone, Debug)]
pub(super) struct AppliedHunk {
    pub(super) old: Range<usize>,
    pub(super) new: Vec<Vec<u8>>,
    pub(super) at: Range<usize>,
}

impl PatchedFile {
    /// The lines of a range made of whole lines.
    pub(super) fn lines_in(&self, range: &Range<usize>) -> Range<usize> {
        self.lines.covering(range)
    }

    pub(super) fn any_deleted(&self, range: &Range<usize>) -> bool {
        self.lines_in(range).any(|line| self.deleted[line])
    }

    pub(super) fn all_deleted(&self, range: &Range<usize>) -> bool {
        self.lines_in(range).all(|line| self.deleted[line])
    }

    /// What the patch makes of a range of whole lines.
    pub(super) fn patched_text(&self, range: &Range<usize>) -> Vec<u8> {
        let mut text = Vec::new();
        for line in self.lines_in(range) {
            if self.deleted[line] {
                if let Some(replacement) = &self.replacement[line] {
                    text.extend_from_slice(replacement);
                }
            } else {
                text.extend_from_slice(&self.original[self.lines[line].clone()]);
            }
        }
        text
    }

    /// The patch's own edits on the lines of `range`.
    pub(super) fn patch_edits(&self, range: &Range<usize>) -> Vec<Edit> {
        self.lines_in(range)
            .filter(|&line| self.deleted[line])
            .map(|line| Edit {
                range: self.lines[line].clone(),
                text: self.replacement[line].clone().unwrap_or_default(),
                rule: 0,
                site: 0,
            })
            .collect()
    }
}

/// Hunks larger than this (old lines × new lines) keep diff's alignment.
const REALIGN_LIMIT: usize = 4_000_000;

impl PatchedFile {
    /// Re-align each hunk's lines, preferring deletions inside the conditionals the patch
    /// changes. `diff` chooses among equally short alignments without knowing about
    /// conditionals: where a blank line ends both a removed branch and the code after it, it may
    /// delete the second and keep the first, which would read as a change outside any branch.
    /// The hunk's text is unchanged; only which of two equal lines goes is decided again: the
    /// longest alignment (as diff) whose deleted lines are least often outside the conditionals
    /// whose directive lines the patch deletes.
    pub(super) fn realign(&mut self, scan: &Scan, tree: &CondTree) {
        let count = self.lines.len();
        // The innermost conditional around each line, and whether the patch touches it.
        let mut owner: Vec<Option<usize>> = vec![None; count];
        let mut touched = Vec::new();
        for (index, conditional) in tree.all().into_iter().enumerate() {
            let directives = conditional
                .branches
                .iter()
                .map(|branch| branch.directive)
                .chain([conditional.endif]);
            let mut hit = false;
            for directive in directives {
                hit |= self.any_deleted(&scan.directives[directive].line);
            }
            touched.push(hit);
            for line in self.lines_in(&conditional.span(&scan.directives)) {
                owner[line] = Some(index);
            }
        }
        let cost = |line: usize| u32::from(!owner[line].is_some_and(|index| touched[index]));
        for hunk in self.hunks.clone() {
            let old = hunk.old.clone();
            let (rows, columns) = (old.len(), hunk.new.len());
            if rows.saturating_mul(columns) > REALIGN_LIMIT {
                continue;
            }
            // best[i][j]: (matches, -cost) of the best alignment of old[i..] with new[j..].
            let width = columns + 1;
            let mut best = vec![(0u32, 0i64); (rows + 1) * width];
            let text = |row: usize| &self.original[self.lines[old.start + row].clone()];
            for i in (0..=rows).rev() {
                for j in (0..=columns).rev() {
                    let mut cell = (0u32, i64::MIN);
                    if i < rows && j < columns && text(i) == hunk.new[j].as_slice() {
                        let (matches, penalty) = best[(i + 1) * width + j + 1];
                        cell = cell.max((matches + 1, penalty));
                    }
                    if i < rows {
                        let (matches, penalty) = best[(i + 1) * width + j];
                        cell = cell.max((matches, penalty - i64::from(cost(old.start + i))));
                    }
                    if j < columns {
                        cell = cell.max(best[i * width + j + 1]);
                    }
                    if i == rows && j == columns {
                        cell = (0, 0);
                    }
                    best[i * width + j] = cell;
                }
            }
            // Walk the best alignment: matches first, then deletions, then insertions.
            // `Some(true)`: keep old line i; `Some(false)`: delete it; `None`: insert new line j.
            let mut steps: Vec<Option<bool>> = Vec::with_capacity(rows + columns);
            let (mut i, mut j) = (0, 0);
            while i < rows || j < columns {
                let here = best[i * width + j];
                let matched = i < rows && j < columns && text(i) == hunk.new[j].as_slice() && {
                    let (matches, penalty) = best[(i + 1) * width + j + 1];
                    (matches + 1, penalty) == here
                };
                let deleted = !matched && i < rows && {
                    let (matches, penalty) = best[(i + 1) * width + j];
                    (matches, penalty - i64::from(cost(old.start + i))) == here
                };
                if matched {
                    steps.push(Some(true));
                    i += 1;
                    j += 1;
                } else if deleted {
                    steps.push(Some(false));
                    i += 1;
                } else {
                    steps.push(None);
                    j += 1;
                }
            }
            // Every run of inserted lines must replace deleted ones, as in the patch as read.
            let pure_insertion = steps
                .split(|step| *step == Some(true))
                .any(|run| run.contains(&None) && !run.contains(&Some(false)));
            if pure_insertion {
                continue;
            }
            let patch_at: Vec<Option<Range<usize>>> = self.patch_at[old.clone()].to_vec();
            for line in old.clone() {
                self.deleted[line] = false;
                self.replacement[line] = None;
                self.patch_at[line] = None;
            }
            let (mut i, mut j) = (0, 0);
            let mut last_deleted: Option<usize> = None;
            let mut inserted: Vec<u8> = Vec::new();
            for step in steps {
                match step {
                    Some(true) => {
                        if let Some(line) = last_deleted.take()
                            && !inserted.is_empty()
                        {
                            self.replacement[line] = Some(std::mem::take(&mut inserted));
                        }
                        i += 1;
                        j += 1;
                    }
                    Some(false) => {
                        let line = old.start + i;
                        self.deleted[line] = true;
                        self.patch_at[line] =
                            Some(patch_at[i].clone().unwrap_or_else(|| hunk.at.clone()));
                        last_deleted = Some(line);
                        i += 1;
                    }
                    None => {
                        inserted.extend_from_slice(&hunk.new[j]);
                        j += 1;
                    }
                }
            }
            if let Some(line) = last_deleted
                && !inserted.is_empty()
            {
                self.replacement[line] = Some(inserted);
            }
        }
    }
}

/// `name` without its first `strip` components, as `patch -pN`; `None` when nothing is left or
/// the rest leaves the directory (absolute, `..`).
pub(super) fn strip_components(name: &str, strip: usize) -> Option<String> {
    let mut rest = name;
    for _ in 0..strip {
        rest = &rest[rest.find('/')? + 1..];
    }
    let parts: Vec<&str> = rest
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if rest.starts_with('/') || parts.is_empty() || parts.contains(&"..") {
        return None;
    }
    Some(parts.join("/"))
}

/// The path under `source` of every file patch, trying `-p0` then `-p1` for the whole patch,
/// and for each file its old name, then its new one.
pub(super) fn resolve_files(
    patch: &PatchText,
    patches: &[FilePatch],
    source: &Path,
) -> Result<Vec<String>, LearnError> {
    for file in patches {
        let created = file.old == "/dev/null";
        if created || file.new == "/dev/null" {
            let (what, name) = if created {
                ("creates", &file.new)
            } else {
                ("deletes", &file.old)
            };
            return Err(patch.error(
                LearnErrorKind::Unlearnable,
                format!("the patch {what} {name}: no rule about conditionals says that"),
                file.at.clone(),
                format!("{what} a file"),
                "learn reads patches that change existing files; leave this file out of the patch",
            ));
        }
    }
    let find = |file: &FilePatch, strip: usize| {
        [&file.old, &file.new].into_iter().find_map(|name| {
            let relative = strip_components(name, strip)?;
            source.join(&relative).is_file().then_some(relative)
        })
    };
    for strip in [0, 1] {
        let found: Option<Vec<String>> = patches.iter().map(|file| find(file, strip)).collect();
        if let Some(found) = found {
            return Ok(found);
        }
    }
    let missing = patches
        .iter()
        .find(|file| find(file, 0).is_none() && find(file, 1).is_none())
        .unwrap_or(&patches[0]);
    let tried: Vec<String> = [0, 1]
        .iter()
        .filter_map(|&strip| strip_components(&missing.old, strip))
        .map(|relative| source.join(relative).display().to_string())
        .collect();
    let message = if tried.is_empty() {
        format!(
            "{}: not a path under {} (absolute, or it climbs out with `..`)",
            missing.old,
            source.display()
        )
    } else {
        format!(
            "{}: no such file under {} (tried -p0 and -p1: {})",
            missing.old,
            source.display(),
            tried.join(", ")
        )
    };
    Err(patch.error(
        LearnErrorKind::MissingFile,
        message,
        missing.at.clone(),
        "names a file that is not there",
        "give --source the directory the patch's paths are relative to (as `patch -d DIR`)",
    ))
}

/// Apply a file's hunks, strictly: each hunk where its header says, every context and deleted
/// line equal to the file's.
pub(super) fn apply(
    patch: &PatchText,
    file_patch: &FilePatch,
    relative: String,
    source: &Path,
) -> Result<PatchedFile, LearnError> {
    let path = source.join(&relative);
    let display = path.display().to_string();
    let original = fs::read(&path).map_err(|error| {
        LearnError::new(
            LearnErrorKind::Io,
            Problem::error(format!("cannot read {display}: {error}"))
                .help("check the file's permissions"),
        )
    })?;
    let lines = Lines::new(&original);
    let count = lines.len();
    let start_of = |line: usize| lines.get(line).map_or(original.len(), |range| range.start);
    let mut file = PatchedFile {
        relative: relative.clone(),
        source: SourceFile {
            path,
            display: display.clone(),
            label: std::path::PathBuf::from(&relative),
            relative,
        },
        patched: Vec::with_capacity(original.len()),
        deleted: vec![false; count],
        replacement: vec![None; count],
        patch_at: vec![None; count],
        lines: lines.clone(),
        original: Rc::from(&[][..]),
        hunks: Vec::new(),
    };
    let mismatch = |line: usize, hunk_line: &HunkLine| {
        let found = lines.get(line).map_or_else(
            || "the end of the file".to_string(),
            |range| format!("`{}`", shown(&original[range.clone()])),
        );
        let bare = |text: &[u8]| -> Vec<u8> {
            let text = text.strip_suffix(b"\n").unwrap_or(text);
            text.strip_suffix(b"\r").unwrap_or(text).to_vec()
        };
        let endings_differ = lines
            .get(line)
            .is_some_and(|range| bare(&original[range.clone()]) == bare(&hunk_line.text));
        LearnError::new(
            LearnErrorKind::Mismatch,
            Problem::error(format!(
                "the patch does not match {display}: line {} is {found}",
                line + 1
            ))
            .at(
                patch.name,
                patch.text,
                without_eol(patch.text, hunk_line.at.clone()),
                format!("expected at line {} of {display}", line + 1),
            )
            .help(if endings_differ {
                "the line endings differ (CRLF on one side, LF on the other): make the patch from these files as they are, without converting line endings"
            } else {
                "learn needs the patch of exactly these sources (diff -u ORIGINAL PATCHED); it applies hunks without offset or fuzz"
            }),
        )
    };
    let mut position = 0usize;
    for hunk in &file_patch.hunks {
        let start = if hunk.old_count == 0 {
            hunk.old_start
        } else {
            hunk.old_start.saturating_sub(1)
        };
        if start < position || (hunk.old_start == 0 && hunk.old_count > 0) {
            return Err(patch.error(
                LearnErrorKind::Malformed,
                "malformed patch: hunks overlap or are out of order",
                hunk.at.clone(),
                "this hunk starts before the end of the previous one",
                DIFF_HELP,
            ));
        }
        if start > count {
            return Err(patch.error(
                LearnErrorKind::Mismatch,
                format!(
                    "the patch does not match {display}: the hunk starts at line {}, the file has {count}",
                    hunk.old_start
                ),
                hunk.at.clone(),
                "starts after the end of the file",
                "learn needs the patch of exactly these sources (diff -u ORIGINAL PATCHED)",
            ));
        }
        file.patched
            .extend_from_slice(&original[start_of(position)..start_of(start)]);
        position = start;
        // A run: consecutive deleted and inserted lines. Its inserted text replaces its last
        // deleted line; a run that deletes nothing adds code, which no rule learns.
        let mut last_deleted: Option<usize> = None;
        let mut inserted: Option<(Vec<u8>, Range<usize>)> = None;
        let flush = |last_deleted: &mut Option<usize>,
                     inserted: &mut Option<(Vec<u8>, Range<usize>)>,
                     position: usize,
                     file: &mut PatchedFile|
         -> Result<(), LearnError> {
            if let Some((text, at)) = inserted.take() {
                match last_deleted {
                    Some(line) => file.replacement[*line] = Some(text),
                    None => {
                        return Err(added_code(patch, &file.source, &original, position, at));
                    }
                }
            }
            *last_deleted = None;
            Ok(())
        };
        for hunk_line in &hunk.lines {
            match hunk_line.kind {
                LineKind::Context | LineKind::Delete => {
                    if hunk_line.kind == LineKind::Context {
                        flush(&mut last_deleted, &mut inserted, position, &mut file)?;
                    }
                    let Some(range) = lines.get(position) else {
                        return Err(mismatch(position, hunk_line));
                    };
                    if original[range.clone()] != hunk_line.text[..] {
                        return Err(mismatch(position, hunk_line));
                    }
                    if hunk_line.kind == LineKind::Context {
                        file.patched.extend_from_slice(&hunk_line.text);
                    } else {
                        file.deleted[position] = true;
                        file.patch_at[position] = Some(hunk_line.at.clone());
                        last_deleted = Some(position);
                    }
                    position += 1;
                }
                LineKind::Insert => {
                    file.patched.extend_from_slice(&hunk_line.text);
                    let (text, _) =
                        inserted.get_or_insert_with(|| (Vec::new(), hunk_line.at.clone()));
                    text.extend_from_slice(&hunk_line.text);
                }
            }
        }
        flush(&mut last_deleted, &mut inserted, position, &mut file)?;
        file.hunks.push(AppliedHunk {
            old: start..position,
            new: hunk
                .lines
                .iter()
                .filter(|line| line.kind != LineKind::Delete)
                .map(|line| line.text.clone())
                .collect(),
            at: hunk.at.clone(),
        });
    }
    file.patched
        .extend_from_slice(&original[start_of(position)..]);
    file.original = Rc::from(original);
    Ok(file)
}

pub(super) fn added_code(
    patch: &PatchText,
    source: &SourceFile,
    original: &[u8],
    line: usize,
    at: Range<usize>,
) -> LearnError {
    let offset = Lines::new(original).start(line);
    LearnError::new(
        LearnErrorKind::NotConditional,
        Problem::error(format!(
            "the patch adds code to {} without removing any: not a change to a conditional branch",
            source.display
        ))
        .at(
            &source.display,
            original,
            offset..offset,
            "lines are added here",
        )
        .with_note(format!(
            "{}:{}: the added lines",
            patch.name,
            patch.line_number(&at)
        ))
        .help(NOT_CONDITIONAL_HELP),
    )
}

pub(super) const NOT_CONDITIONAL_HELP: &str = "learn learns patches that only remove conditional branches whole or remove directives around a branch kept (as unifdef does); make the patch of that change alone, and write other changes as a patch of their own";

/// A line for a message: lossy UTF-8, without its line ending.
pub(super) fn shown(line: &[u8]) -> String {
    String::from_utf8_lossy(line.trim_ascii_end()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(text: &str) -> Result<Vec<FilePatch>, LearnError> {
        parse_patch(&PatchText {
            name: "test.patch",
            text: text.as_bytes(),
        })
    }

    #[test]
    fn reads_headers_hunks_and_the_no_newline_marker() {
        let text = "diff -u a/x.c b/x.c\n--- a/x.c\t2024-01-01 00:00:00\n+++ b/x.c\n@@ -1,3 +1,2 @@\n a\n-b\n-c\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n--- y.c\n+++ y.c\n@@ -2 +1,0 @@\n--- a comment line that starts like a header\n";
        let files = patch(text).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            (files[0].old.as_str(), files[0].new.as_str()),
            ("a/x.c", "b/x.c")
        );
        let lines = &files[0].hunks[0].lines;
        let kinds: Vec<LineKind> = lines.iter().map(|line| line.kind).collect();
        use LineKind::*;
        assert_eq!(kinds, vec![Context, Delete, Delete, Insert]);
        assert_eq!(lines[2].text, b"c");
        assert_eq!(lines[3].text, b"c");
        // A deleted line that starts with "-- " is read by the counts, not as a header.
        assert_eq!(files[1].hunks[0].old_start, 2);
        assert_eq!(files[1].hunks[0].lines[0].kind, Delete);
        assert_eq!(
            files[1].hunks[0].lines[0].text,
            b"-- a comment line that starts like a header\n"
        );
    }

    #[test]
    fn malformed_diffs_are_errors() {
        let kind = |text: &str| patch(text).unwrap_err().kind;
        assert_eq!(kind("just text\n"), LearnErrorKind::Malformed);
        assert_eq!(kind("@@ -1 +1 @@\n-a\n+b\n"), LearnErrorKind::Malformed);
        assert_eq!(
            kind("--- x\n+++ x\n@@ -1,2 +1 @@\n-a\n"),
            LearnErrorKind::Malformed
        );
        assert_eq!(
            kind("--- x\n+++ x\n@@ -1 +1 @@\n-a\n-b\n+c\n"),
            LearnErrorKind::Malformed
        );
        assert_eq!(kind("--- x\n+++ x\n@@ bad @@\n"), LearnErrorKind::Malformed);
        assert_eq!(kind("--- x\n+++ x\n"), LearnErrorKind::Malformed);
        let error = patch("--- x\n+++ x\n@@ -1,2 +1,2 @@\n a\n*b\n").unwrap_err();
        assert!(
            error.render().contains("test.patch:5:1"),
            "{}",
            error.render()
        );
    }

    #[test]
    fn strips_path_components_as_patch_does() {
        assert_eq!(
            strip_components("a/core/utils.c", 1).as_deref(),
            Some("core/utils.c")
        );
        assert_eq!(
            strip_components("core/utils.c", 0).as_deref(),
            Some("core/utils.c")
        );
        assert_eq!(
            strip_components("./core//utils.c", 0).as_deref(),
            Some("core/utils.c")
        );
        assert_eq!(strip_components("/dev/fd/63", 0), None);
        assert_eq!(strip_components("utils.c", 1), None);
        assert_eq!(strip_components("a/../etc/passwd", 1), None);
    }
}
