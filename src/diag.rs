//! Diagnostics: one [`Problem`] type for everything cdefang tells the user, with `From` for each
//! layer's error (those that point into a file through [`InFile`]), rendered with
//! codespan-reporting (file, line, column, a snippet, what to do) to standard error or to a
//! string for tests; and the [`ExitStatus`] of every command.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use crate::engine::FileError;
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

impl From<InFile<'_, &FileError>> for Problem {
    fn from(InFile { name, bytes, error }: InFile<'_, &FileError>) -> Problem {
        match error {
            FileError::Source(error) => Problem::from(InFile::new(name, bytes, error)),
            FileError::Unparsable {
                rule,
                body,
                failure,
            } => Problem::error(format!(
                "rule `{rule}` needs a C parse here, and lang-c cannot parse it"
            ))
            .at(name, bytes, failure.offset..failure.offset + 1, failure.message.clone())
            .also(body.start..body.start, "the block the rule asks about starts here")
            .help("declare the macros or typedef names that hide C syntax (statement_macros, blank_macros, typedefs in the rules file, or --statement-macro/--blank-macro/--typedef), or set fallback = \"tokens\" on the rule"),
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
        Problem::error(format!("invalid rules file: {}", error.message))
            .at(name, bytes, error.span.clone(), "here")
            .help(&error.help)
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
    /// The file's text, the same length as its bytes (see [`text_of`]).
    pub text: String,
    pub primary: (Range<usize>, String),
    pub secondary: Vec<(Range<usize>, String)>,
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

    /// Point the problem at `span` of the file `name` whose bytes are `bytes`.
    pub fn at(
        mut self,
        name: &str,
        bytes: &[u8],
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Problem {
        self.location = Some(Box::new(Located {
            name: name.to_string(),
            text: text_of(bytes),
            primary: (clamp(span, bytes.len()), label.into()),
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
            let (span, label) = &location.primary;
            labels.push(Label::primary((), span.clone()).with_message(label));
            for (span, label) in &location.secondary {
                labels.push(Label::secondary((), span.clone()).with_message(label));
            }
        }
        diagnostic
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(self.notes.clone())
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
                let file = SimpleFile::new(location.name.as_str(), location.text.as_str());
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

/// The bytes as text of the same length: valid UTF-8 is kept, each byte of an invalid sequence
/// becomes `?`, so that byte offsets still point at the same places.
pub fn text_of(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for _ in chunk.invalid() {
            text.push('?');
        }
    }
    text
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
    fn text_of_keeps_offsets() {
        assert_eq!(text_of(b"a\xffb\xe2\x82\xacc"), "a?b\u{20ac}c");
        assert_eq!(text_of(b"\xe2\x82").len(), 2);
    }
}
