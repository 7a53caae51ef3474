//! Diagnostics: one [`Problem`] type for everything cdefang tells the user, with `From` for each
//! layer's error (those that point into a file through [`InFile`]), rendered with
//! codespan-reporting (file, line, column, a snippet, what to do) to standard error or to a
//! string for tests; and the [`ExitStatus`] of every command.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use crate::engine::{FileError, ParseNeed};
use crate::files::FilesError;
use crate::rules::RulesError;
use crate::source::{ScanError, SourceError};

/// How a command ends, as unifdef and diff end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Nothing to do, or done.
    Ok = 0,
    /// `--check`/`--diff` found changes; `cdefang test`: a case failed.
    Changes = 1,
    /// Trouble: bad input, bad rules, a drift alarm, I/O; nothing was written.
    Trouble = 2,
}

impl ExitStatus {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The reader of standard output went away (`cdefang --diff … | head -1`): for a Unix filter,
/// not an error but the end of its output.
pub fn is_reader_gone(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::BrokenPipe
}

/// codespan-reporting's error as the I/O error it is (its kind kept, so that a reader that went
/// away is still seen as one), or as another error.
pub fn io_error(error: codespan_reporting::files::Error) -> std::io::Error {
    match error {
        codespan_reporting::files::Error::Io(error) => error,
        other => std::io::Error::other(other),
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

/// An error about a file, with the file's name (as the user gave it) and its bytes, so that its
/// diagnostic can show where.
#[derive(Clone, Copy, Debug)]
pub struct InFile<'a, E> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    pub error: E,
}

impl<'a, E> InFile<'a, E> {
    pub fn new(name: &'a str, bytes: &'a [u8], error: E) -> InFile<'a, E> {
        InFile { name, bytes, error }
    }
}

impl From<InFile<'_, &SourceError>> for Problem {
    fn from(InFile { name, bytes, error }: InFile<'_, &SourceError>) -> Problem {
        match error {
            SourceError::Scan(error) => {
                let label = match error {
                    ScanError::UnterminatedComment(_) => "this comment never ends",
                    ScanError::ContinuationAtEof(_) => "continues onto nothing",
                    ScanError::UnterminatedLiteral(_) => "this literal never ends",
                };
                Problem::error(error.message())
                    .at(name, bytes, error.span(), label)
                    .help(error.help())
            }
            SourceError::Tree {
                error,
                at,
                related,
                message,
            } => {
                let mut problem = Problem::error(format!("unbalanced conditionals: {message}"))
                    .at(name, bytes, at.clone(), message.clone());
                if let Some(related) = related {
                    problem = problem.also(related.clone(), "the #else of this group");
                }
                problem.help(error.help())
            }
            SourceError::Condition { error, directive } => Problem::error(format!(
                "cannot read condition: {}",
                error.message
            ))
            .at(name, bytes, error.span.clone(), error.message.clone())
            .also(directive.clone(), "in this directive")
            .help("write a valid #if expression; cdefang reads conditions of the files a rule selects"),
        }
    }
}

/// What declares the macros and typedef names that hide C syntax from lang-c.
const UNPARSABLE_HINTS: &str = "declare the macros or typedef names that hide C syntax (statement_macros, blank_macros, typedefs in the rules file, or --statement-macro/--blank-macro/--typedef; `cdefang --parse-stats --suggest-hints FILE` names those it can tell)";

impl From<InFile<'_, &FileError>> for Problem {
    fn from(InFile { name, bytes, error }: InFile<'_, &FileError>) -> Problem {
        match error {
            FileError::Source(error) => Problem::from(InFile::new(name, bytes, error)),
            FileError::Unparsable {
                rule,
                body,
                failure,
                need,
            } => {
                let problem = Problem::error(format!(
                    "rule `{rule}` needs a C parse here, and lang-c cannot parse it"
                ))
                .at(name, bytes, failure.offset..failure.offset + 1, failure.message.clone());
                match need {
                    ParseNeed::Branch { directive } => problem
                        .also(
                            directive.clone().unwrap_or(body.start..body.start),
                            "in the block the rule asks about",
                        )
                        .help(format!("{UNPARSABLE_HINTS}, or set fallback = \"tokens\" on the rule (its body predicates are then read from the tokens)")),
                    ParseNeed::Statement { fallback } => {
                        let tokens = if *fallback {
                            "fallback = \"tokens\" does not help here"
                        } else {
                            "fallback = \"tokens\" would not help"
                        };
                        problem
                            .also(body.start..body.start, "in the function or declaration that starts here")
                            .help(format!("a statement rule needs lang-c's parse of the code around the statement ({tokens}: only a parse says where a statement ends): {UNPARSABLE_HINTS}; or edit this code by hand"))
                    }
                }
            }
            FileError::NestedOnly {
                rule,
                branch,
                evidence: (evidence, what),
                inner,
                alternative,
            } => Problem::error(format!(
                "rule `{rule}` would drop a whole block for what only a nested conditional holds"
            ))
            .at(name, bytes, branch.clone(), "this branch would be dropped whole")
            .also(evidence.clone(), format!("{what}: the only reason it matches"))
            .also(inner.clone(), "inside this nested branch")
            .also(alternative.clone(), "whose alternative would be dropped too")
            .help("the rule's body predicates hold only inside a nested conditional that has other branches: dropping the outer block would also remove those (code that is compiled when the nested condition is the other way); select the nested conditional instead (its condition or `uses`), or say where to look in [rule.match]: scope = \"own-body\" (the branch's own code only) or scope = \"nested\" (drop the whole block anyway)"),
            FileError::Target {
                rule,
                span,
                message,
                help,
            } => Problem::error(format!("rule `{rule}` cannot act here: {message}"))
                .at(name, bytes, span.clone(), "selected by the rule")
                .help(help),
            FileError::Overlap {
                first_rule,
                first,
                second_rule,
                second,
            } => Problem::error(format!(
                "rules `{first_rule}` and `{second_rule}` edit the same lines"
            ))
            .at(name, bytes, second.clone(), format!("edited by `{second_rule}`"))
            .also(first.clone(), format!("edited by `{first_rule}`"))
            .help("narrow one of the rules (files, condition, body predicates) so they do not overlap"),
        }
    }
}

/// A rules file's error, pointing into the file.
impl From<InFile<'_, &RulesError>> for Problem {
    fn from(InFile { name, bytes, error }: InFile<'_, &RulesError>) -> Problem {
        let primary = error.label.clone().unwrap_or_else(|| "here".to_string());
        let mut problem = Problem::error(format!("invalid rules file: {}", error.message)).at(
            name,
            bytes,
            error.span.clone(),
            primary,
        );
        for (span, label) in &error.also {
            problem = problem.also(span.clone(), label.clone());
        }
        problem.help(&error.help)
    }
}

/// A problem with the paths given or the disk; the help says what to check.
impl From<&FilesError> for Problem {
    fn from(error: &FilesError) -> Problem {
        let help = match error {
            FilesError::Missing(_) => "give an existing file or directory",
            FilesError::Io { .. } | FilesError::ReadOnly(_) => "check the path and its permissions",
            FilesError::Changed(_) => {
                "another program (or another cdefang run) wrote the file meanwhile: run again on its current version"
            }
            FilesError::Link(_) => {
                "--out writes only below its directory: remove the link, or give an empty directory"
            }
            FilesError::Outside(_) => "give --out files below the directory given",
        };
        Problem::error(error.to_string()).help(help)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// A labelled place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The file's name as the user gave it.
    pub name: String,
    /// The file's text as shown, shared by every problem in the file.
    pub text: ShownText,
    /// Byte ranges in the file (not in the shown text).
    pub primary: (Range<usize>, String),
    pub secondary: Vec<(Range<usize>, String)>,
}

/// A file's text as diagnostics show it, made once per file and shared (a clone is a reference
/// count) by every problem that points into it: valid UTF-8 kept, each byte of an invalid
/// sequence `?`, control characters as the Unicode control pictures rustc shows (`␛` for
/// ESC, so that a file cannot drive the terminal), and a line longer than [`LONG_LINE`] bytes
/// cut in its middle. Byte offsets of the file are mapped to the shown text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownText {
    text: Arc<str>,
    /// The file's length in bytes.
    len: usize,
    /// Where the shown text differs in length from the bytes, in order: characters replaced,
    /// then (over that text) the middles of long lines cut.
    replaced: Arc<[Change]>,
    cut: Arc<[Change]>,
    /// Where each line of the shown text starts, so that rendering a problem does not index the
    /// whole text again (codespan-reporting's `SimpleFile` would, for every problem).
    line_starts: Arc<[usize]>,
}

/// A range of the text before and its replacement's range in the text after.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Change {
    before: Range<usize>,
    after: Range<usize>,
}

/// Lines longer than this many bytes are cut in the middle when shown.
pub const LONG_LINE: usize = 400;
/// What is kept of a long line: its first and last bytes (about).
const KEPT_HEAD: usize = 240;
const KEPT_TAIL: usize = 80;

/// Where `offset` of the text before `changes` is in the text after them (an offset inside a
/// replaced range is the start of its replacement).
fn map_offset(changes: &[Change], offset: usize) -> usize {
    let index = changes.partition_point(|change| change.before.start <= offset);
    let Some(change) = index.checked_sub(1).map(|index| &changes[index]) else {
        return offset;
    };
    if offset < change.before.end {
        change.after.start
    } else {
        offset - change.before.end + change.after.end
    }
}

/// How a control character is shown: its control picture (rustc's way), `\r` only before `\n`.
fn picture(character: char, next: Option<char>) -> Option<char> {
    match character {
        '\t' | '\n' => None,
        '\r' if next == Some('\n') => None,
        '\0'..='\x1f' => char::from_u32(0x2400 + character as u32),
        '\x7f' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' => Some('\u{fffd}'),
        _ => None,
    }
}

impl ShownText {
    /// The shown text of a file's bytes (one pass over them, and one over long lines).
    pub fn new(bytes: &[u8]) -> ShownText {
        let mut text = String::with_capacity(bytes.len());
        let mut replaced = Vec::new();
        let mut at = 0;
        for chunk in bytes.utf8_chunks() {
            let valid = chunk.valid();
            let mut characters = valid.char_indices().peekable();
            while let Some((index, character)) = characters.next() {
                let next = characters.peek().map(|(_, next)| *next);
                match picture(character, next) {
                    Some(shown) => {
                        let start = text.len();
                        text.push(shown);
                        let before = at + index;
                        replaced.push(Change {
                            before: before..before + character.len_utf8(),
                            after: start..text.len(),
                        });
                    }
                    None => text.push(character),
                }
            }
            at += valid.len();
            for _ in chunk.invalid() {
                text.push('?');
            }
            at += chunk.invalid().len();
        }
        let (text, cut) = cut_long_lines(text);
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1))
            .collect();
        ShownText {
            line_starts: line_starts.into(),
            text: Arc::from(text),
            len: bytes.len(),
            replaced: replaced.into(),
            cut: cut.into(),
        }
    }

    /// The text, as codespan-reporting renders it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where a byte range of the file is in the shown text.
    pub fn shown(&self, span: &Range<usize>) -> Range<usize> {
        let map = |offset| map_offset(&self.cut, map_offset(&self.replaced, offset));
        let start = map(span.start);
        start..map(span.end).max(start)
    }
}

/// A file for codespan-reporting: a name and a [`ShownText`], its lines indexed once.
struct ShownFile<'a> {
    name: &'a str,
    text: &'a ShownText,
}

impl ShownFile<'_> {
    fn line_start(&self, line_index: usize) -> Result<usize, codespan_reporting::files::Error> {
        let starts = &self.text.line_starts;
        match line_index.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[line_index]),
            std::cmp::Ordering::Equal => Ok(self.text.text.len()),
            std::cmp::Ordering::Greater => Err(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: starts.len() - 1,
            }),
        }
    }
}

impl<'a> codespan_reporting::files::Files<'a> for ShownFile<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.text.text())
    }

    fn line_index(
        &'a self,
        (): (),
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let after = self
            .text
            .line_starts
            .partition_point(|start| *start <= byte_index);
        Ok(after.saturating_sub(1))
    }

    fn line_range(
        &'a self,
        (): (),
        line_index: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        Ok(self.line_start(line_index)?..self.line_start(line_index + 1)?)
    }
}

/// `text` with the middle of each line longer than [`LONG_LINE`] bytes replaced by
/// `…[N bytes]…`, and the changes made.
fn cut_long_lines(text: String) -> (String, Vec<Change>) {
    let floor = |at: usize| {
        (0..=at)
            .rev()
            .find(|at| text.is_char_boundary(*at))
            .unwrap_or(0)
    };
    let mut cuts = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if line.len() > LONG_LINE {
            let from = floor(start + KEPT_HEAD);
            let to = floor(start + line.len() - KEPT_TAIL);
            cuts.push(from..to);
        }
        start += line.len();
    }
    if cuts.is_empty() {
        return (text, Vec::new());
    }
    let mut shown =
        String::with_capacity(text.len().min(cuts.len() * (LONG_LINE + 40) + text.len()));
    let mut changes = Vec::with_capacity(cuts.len());
    let mut copied = 0;
    for cut in cuts {
        shown.push_str(&text[copied..cut.start]);
        let after = shown.len();
        shown.push_str(&format!("…[{} bytes]…", cut.len()));
        changes.push(Change {
            before: cut.clone(),
            after: after..shown.len(),
        });
        copied = cut.end;
    }
    shown.push_str(&text[copied..]);
    (shown, changes)
}

/// `text` with its control characters (but line ends and tabs) escaped as `\u{1b}`, for
/// messages, labels and names that come from files and arguments.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let is_control = |character: char| character.is_control() && !matches!(character, '\n' | '\t');
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if is_control(character) {
            escaped.push_str(&format!("\\u{{{:x}}}", character as u32));
        } else {
            escaped.push(character);
        }
    }
    Cow::Owned(escaped)
}

/// One thing to tell the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub message: String,
    /// Boxed: most problems are passed around far more than they are located.
    pub location: Option<Box<Located>>,
    /// Further lines: `help: …`, `note: …`.
    pub notes: Vec<String>,
}

impl Problem {
    pub fn error(message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(message)
        }
    }

    pub fn note(message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Note,
            ..Problem::error(message)
        }
    }

    /// Point the problem at `span` of the file `name` whose bytes are `bytes` (for one problem
    /// in a file; [`Problem::at_text`] shares the file's text among many).
    pub fn at(
        self,
        name: &str,
        bytes: &[u8],
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Problem {
        self.at_text(name, &ShownText::new(bytes), span, label)
    }

    /// Point the problem at `span` of the file `name` whose text, as shown, is `text`.
    pub fn at_text(
        mut self,
        name: &str,
        text: &ShownText,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Problem {
        self.location = Some(Box::new(Located {
            name: name.to_string(),
            primary: (clamp(span, text.len()), label.into()),
            text: text.clone(),
            secondary: Vec::new(),
        }));
        self
    }

    /// Add a secondary label in the same file (ignored when the problem has no location).
    pub fn also(mut self, span: Range<usize>, label: impl Into<String>) -> Problem {
        if let Some(location) = &mut self.location {
            let span = clamp(span, location.text.len());
            location.secondary.push((span, label.into()));
        }
        self
    }

    pub fn help(mut self, text: impl AsRef<str>) -> Problem {
        self.notes.push(format!("help: {}", text.as_ref()));
        self
    }

    pub fn with_note(mut self, text: impl AsRef<str>) -> Problem {
        self.notes.push(format!("note: {}", text.as_ref()));
        self
    }

    fn diagnostic(&self) -> Diagnostic<()> {
        let diagnostic = match self.severity {
            Severity::Error => Diagnostic::error(),
            Severity::Warning => Diagnostic::warning(),
            Severity::Note => Diagnostic::note(),
        };
        let mut labels = Vec::new();
        if let Some(location) = &self.location {
            let text = &location.text;
            let (span, label) = &location.primary;
            labels.push(Label::primary((), text.shown(span)).with_message(escape_controls(label)));
            for (span, label) in &location.secondary {
                labels.push(
                    Label::secondary((), text.shown(span)).with_message(escape_controls(label)),
                );
            }
        }
        diagnostic
            .with_message(escape_controls(&self.message))
            .with_labels(labels)
            .with_notes(
                self.notes
                    .iter()
                    .map(|note| escape_controls(note).into_owned())
                    .collect(),
            )
    }

    /// Render without colour, as the tests see it.
    pub fn render_plain(&self) -> String {
        let mut buffer = Vec::new();
        let _ = self.emit(&mut termcolor::NoColor::new(&mut buffer));
        String::from_utf8_lossy(&buffer).into_owned()
    }

    /// Render to `writer` (colour when it supports it).
    pub fn emit(&self, writer: &mut dyn termcolor::WriteColor) -> std::io::Result<()> {
        let config = term::Config::default();
        let diagnostic = self.diagnostic();
        let result = match &self.location {
            Some(location) => {
                let name = escape_controls(&location.name);
                let file = ShownFile {
                    name: name.as_ref(),
                    text: &location.text,
                };
                term::emit_to_write_style(writer, &config, &file, &diagnostic)
            }
            None => {
                let file = SimpleFile::new("", "");
                term::emit_to_write_style(writer, &config, &file, &diagnostic)
            }
        };
        result.map_err(io_error)
    }
}

fn clamp(span: Range<usize>, len: usize) -> Range<usize> {
    let start = span.start.min(len);
    start..span.end.clamp(start, len)
}

/// Print problems to standard error.
pub fn print(problems: &[Problem]) {
    let choice = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    let stream = termcolor::StandardStream::stderr(choice);
    let mut lock = stream.lock();
    for problem in problems {
        let _ = problem.emit(&mut lock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column_and_snippet() {
        let problem = Problem::error("#endif without #if")
            .at(
                "core/x.c",
                b"int a;\n#endif\n",
                7..13,
                "no #if is open here",
            )
            .help("remove it");
        let text = problem.render_plain();
        assert!(text.contains("error: #endif without #if"), "{text}");
        assert!(text.contains("core/x.c:2:1"), "{text}");
        assert!(text.contains("#endif"), "{text}");
        assert!(text.contains("help: remove it"), "{text}");
    }

    #[test]
    fn shown_text_maps_offsets_past_invalid_bytes_and_control_pictures() {
        let shown = ShownText::new(b"a\xffb\xe2\x82\xacc\x1b[31mX\r\n");
        assert_eq!(shown.text(), "a?b\u{20ac}c\u{241b}[31mX\r\n");
        let x = shown.shown(&(12..13));
        assert_eq!(&shown.text()[x], "X");
        let escape = shown.shown(&(7..8));
        assert_eq!(&shown.text()[escape], "\u{241b}");
        assert_eq!(ShownText::new(b"\xe2\x82").text().len(), 2);
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let problem = Problem::error("rule `a\x1b[2Jb`")
            .at(
                "f\x07.c",
                b"int a;\n#if X\x1b]0;pwned\x07\n",
                7..24,
                "label \x1b",
            )
            .help("do \u{9b}this");
        let text = problem.render_plain();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("rule `a\\u{1b}[2Jb`"), "{text}");
        assert!(text.contains("#if X\u{241b}]0;pwned\u{2407}"), "{text}");
        assert!(text.contains("f\\u{7}.c:2:1"), "{text}");
    }

    #[test]
    fn long_lines_are_cut_in_the_middle_and_offsets_still_point() {
        let mut bytes = b"int a;\n#if ".to_vec();
        bytes.extend(std::iter::repeat_n(b'A', 2_000_000));
        bytes.extend(b" && +\n#endif\n");
        let error = bytes.len() - 10;
        let problem = Problem::error("bad").at("f.c", &bytes, error..error + 1, "here");
        let text = problem.render_plain();
        assert!(text.len() < 2_000, "{} bytes", text.len());
        assert!(text.contains("…[1999") && text.contains(" && +"), "{text}");
        assert!(text.contains("f.c:2:"), "{text}");
        // A span inside the cut points at the cut.
        let middle = Problem::error("bad").at("f.c", &bytes, 100_000..100_001, "here");
        assert!(middle.render_plain().len() < 2_000);
    }

    #[test]
    fn problems_in_one_file_share_its_text() {
        let shown = ShownText::new(&vec![b'x'; 1 << 20]);
        let problems: Vec<Problem> = (0..1000)
            .map(|n| Problem::warning("w").at_text("f.c", &shown, n..n + 1, "here"))
            .collect();
        let texts: std::collections::HashSet<*const u8> = problems
            .iter()
            .map(|problem| problem.location.as_ref().unwrap().text.text().as_ptr())
            .collect();
        assert_eq!(texts.len(), 1);
    }
}
