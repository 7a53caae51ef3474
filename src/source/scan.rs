//! Source scanner: one pass over a file's bytes that finds the preprocessor directives.
//!
//! The scanner is a small explicit state machine (code, line comment, block comment, string or
//! char literal) in the manner of unifdef. It never decodes the file as UTF-8: every position is a
//! byte offset into the original bytes. Its output is:
//!
//! - the directives, each with the byte span of its whole (possibly continued) line;
//! - `clean`, a copy of the bytes of the same length in which comments and backslash-newline
//!   continuations are blanked to spaces (newlines kept), so that later layers can read directive
//!   expressions and code by byte range and still report original offsets.

use std::ops::Range;

use crate::cond;

/// What kind of directive a line is: the conditional ones, `#include`, `#define` and `#undef`
/// matter to cdefang (the keyword read as the preprocessor reads it, continuations removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    If,
    Ifdef,
    Ifndef,
    Elif,
    /// C23 `#elifdef X`.
    Elifdef,
    /// C23 `#elifndef X`.
    Elifndef,
    Else,
    Endif,
    Include,
    Define,
    Undef,
    Other,
}

impl DirectiveKind {
    fn from_keyword(keyword: &[u8]) -> DirectiveKind {
        match keyword {
            b"if" => DirectiveKind::If,
            b"ifdef" => DirectiveKind::Ifdef,
            b"ifndef" => DirectiveKind::Ifndef,
            b"elif" => DirectiveKind::Elif,
            b"elifdef" => DirectiveKind::Elifdef,
            b"elifndef" => DirectiveKind::Elifndef,
            b"else" => DirectiveKind::Else,
            b"endif" => DirectiveKind::Endif,
            b"include" | b"include_next" | b"import" => DirectiveKind::Include,
            b"define" => DirectiveKind::Define,
            b"undef" => DirectiveKind::Undef,
            _ => DirectiveKind::Other,
        }
    }

    /// True for the directives that open a conditional.
    pub fn opens(self) -> bool {
        matches!(
            self,
            DirectiveKind::If | DirectiveKind::Ifdef | DirectiveKind::Ifndef
        )
    }

    /// True for the directives that start a further branch of an open conditional (not `#else`).
    pub fn continues(self) -> bool {
        matches!(
            self,
            DirectiveKind::Elif | DirectiveKind::Elifdef | DirectiveKind::Elifndef
        )
    }
}

/// One directive line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub kind: DirectiveKind,
    /// From the start of the physical line holding the `#` to just past the newline that ends the
    /// logical line (or to the end of the file when it has no final newline).
    pub line: Range<usize>,
    /// Offset of the `#`.
    pub hash: usize,
    /// The keyword (`if`, `elif`, ...), empty for a null directive.
    pub keyword: Range<usize>,
    /// What follows the keyword, up to but not including the line ending; read it from
    /// [`Scan::clean`], where comments and continuations are spaces.
    pub rest: Range<usize>,
}

impl Directive {
    /// From the `#` to the end of the text after the keyword (the line ending and any
    /// continuation lines' ends excluded): what a diagnostic about the directive points at.
    pub fn text_span(&self) -> Range<usize> {
        self.hash..self.rest.end
    }

    /// The line ending of this directive's line: `"\r\n"`, `"\n"` or `""` at the end of the file.
    pub fn eol<'a>(&self, source: &'a [u8]) -> &'a [u8] {
        let line = &source[self.line.clone()];
        if line.ends_with(b"\r\n") {
            b"\r\n"
        } else if line.ends_with(b"\n") {
            b"\n"
        } else {
            b""
        }
    }
}

/// An `#include` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Include<'s> {
    pub directive: &'s Directive,
    /// What follows `include`, trimmed: `<sys/inotify.h>`, `"uwsgi.h"`, or a macro.
    pub text: &'s [u8],
    /// The header without its `<>` or quotes; `None` for a computed include (a macro).
    pub name: Option<&'s [u8]>,
}

impl Include<'_> {
    /// The header as rules name it: the name, or the text of a computed include.
    pub fn header(&self) -> &[u8] {
        self.name.unwrap_or(self.text)
    }
}

/// The scanner's result for one file.
#[derive(Debug)]
pub struct Scan {
    pub directives: Vec<Directive>,
    /// Same length as the source: comments and line continuations blanked, newlines kept.
    pub clean: Vec<u8>,
}

impl Scan {
    /// The text after a directive's keyword, with comments and continuations as spaces, trimmed.
    pub fn rest_text(&self, directive: &Directive) -> &[u8] {
        cond::trim_c_space(&self.clean[directive.rest.clone()])
    }

    /// The `#include` lines in the byte range `within`, in order.
    pub fn includes(&self, within: Range<usize>) -> impl Iterator<Item = Include<'_>> {
        // The directives are in source order: only those from `within.start` on are looked at,
        // so that asking of many small ranges costs their size, not the file's, each time.
        let first = self
            .directives
            .partition_point(|directive| directive.line.start < within.start);
        self.directives[first..]
            .iter()
            .take_while(move |directive| directive.line.start < within.end)
            .filter(move |directive| {
                directive.kind == DirectiveKind::Include && directive.line.end <= within.end
            })
            .map(|directive| {
                let text = self.rest_text(directive);
                let name = text
                    .strip_prefix(b"<")
                    .and_then(|inner| inner.strip_suffix(b">"))
                    .or_else(|| {
                        text.strip_prefix(b"\"")
                            .and_then(|inner| inner.strip_suffix(b"\""))
                    });
                Include {
                    directive,
                    text,
                    name,
                }
            })
    }

    /// `clean` with every directive line blanked too (newlines kept): the code alone.
    pub fn code_view(&self) -> Vec<u8> {
        let mut code = self.clean.clone();
        for directive in &self.directives {
            blank(&mut code[directive.line.clone()]);
        }
        code
    }
}

/// Why a file could not be scanned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanError {
    /// A `/*` comment that is still open at the end of the file (span: the `/*`).
    UnterminatedComment(Range<usize>),
    /// A backslash that continues the last line of the file onto nothing (span: the backslash).
    ContinuationAtEof(Range<usize>),
    /// A string or character literal continued with `\` line by line to the end of the file
    /// (span: its opening quote).
    UnterminatedLiteral(Range<usize>),
}

impl ScanError {
    pub fn span(&self) -> Range<usize> {
        match self {
            ScanError::UnterminatedComment(span)
            | ScanError::ContinuationAtEof(span)
            | ScanError::UnterminatedLiteral(span) => span.clone(),
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            ScanError::UnterminatedComment(_) => "unterminated /* comment",
            ScanError::ContinuationAtEof(_) => "backslash-newline at end of file",
            ScanError::UnterminatedLiteral(_) => "unterminated literal reaches the end of the file",
        }
    }

    pub fn help(&self) -> &'static str {
        match self {
            ScanError::UnterminatedComment(_) => {
                "close the comment with */; the file may also be truncated"
            }
            ScanError::ContinuationAtEof(_) => {
                "remove the trailing backslash: it continues the line onto nothing"
            }
            ScanError::UnterminatedLiteral(_) => {
                "close the literal; its lines end in backslashes that join them to the end of the file"
            }
        }
    }
}

/// Scanner states.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    LineComment,
    BlockComment {
        start: usize,
    },
    /// In a string or character literal opened at `start` on the physical line `line_start`.
    Literal {
        quote: u8,
        start: usize,
        line_start: usize,
    },
}

/// Blank a byte slice to spaces, keeping newlines (and carriage returns, so CRLF stays CRLF).
pub fn blank(bytes: &mut [u8]) {
    for byte in bytes {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
}

/// Length of a backslash-newline continuation starting at `i` (2 or 3 bytes), or 0.
fn continuation_len(bytes: &[u8], i: usize) -> usize {
    if bytes[i] != b'\\' {
        return 0;
    }
    match bytes.get(i + 1) {
        Some(b'\n') => 2,
        Some(b'\r') if bytes.get(i + 2) == Some(&b'\n') => 3,
        _ => 0,
    }
}

/// Scan a file's bytes.
pub fn scan(source: &[u8]) -> Result<Scan, ScanError> {
    let mut clean = source.to_vec();
    let mut directives = Vec::new();
    let mut state = State::Code;
    // Start of the current logical line, whether only blanks were seen on it so far, and the `#`
    // of the directive it holds, if any.
    let mut line_start = 0;
    let mut at_line_start = true;
    let mut directive_hash: Option<usize> = None;
    // Start of the current physical line.
    let mut physical_line_start = 0;

    let mut i = 0;
    let len = source.len();
    while i < len {
        let byte = source[i];
        let cont = continuation_len(source, i);
        if cont > 0 {
            // A continuation joins two physical lines in every state.
            clean[i] = b' ';
            i += cont;
            physical_line_start = i;
            continue;
        }
        if byte == b'\\' && i + 1 == len {
            return Err(ScanError::ContinuationAtEof(i..i + 1));
        }
        match state {
            State::Code => match byte {
                b'/' if source.get(i + 1) == Some(&b'*') => {
                    state = State::BlockComment { start: i };
                    clean[i] = b' ';
                    clean[i + 1] = b' ';
                    i += 2;
                    continue;
                }
                b'/' if source.get(i + 1) == Some(&b'/') => {
                    state = State::LineComment;
                    clean[i] = b' ';
                    clean[i + 1] = b' ';
                    i += 2;
                    continue;
                }
                b'"' | b'\'' => {
                    state = State::Literal {
                        quote: byte,
                        start: i,
                        line_start: physical_line_start,
                    };
                    at_line_start = false;
                }
                b'\n' => {
                    if let Some(hash) = directive_hash.take() {
                        directives.push(directive(source, &clean, line_start, hash, i + 1));
                    }
                    line_start = i + 1;
                    at_line_start = true;
                }
                b'#' if at_line_start => {
                    directive_hash = Some(i);
                    at_line_start = false;
                }
                b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => {}
                _ => at_line_start = false,
            },
            State::LineComment => {
                if byte == b'\n' {
                    // The newline ends the comment and, in code state, the logical line.
                    state = State::Code;
                    continue;
                }
                if byte != b'\r' {
                    clean[i] = b' ';
                }
            }
            State::BlockComment { .. } => {
                if byte == b'*' && source.get(i + 1) == Some(&b'/') {
                    clean[i] = b' ';
                    clean[i + 1] = b' ';
                    state = State::Code;
                    i += 2;
                    continue;
                }
                if byte != b'\n' && byte != b'\r' {
                    clean[i] = b' ';
                }
            }
            State::Literal { quote, .. } => match byte {
                // An escape: skip the escaped byte unless it ends the line.
                b'\\' if source.get(i + 1).is_some_and(|&next| next != b'\n') => i += 1,
                b'\n' => {
                    // An unterminated literal ends at the end of its line, as in a skipped group
                    // (`#error don't`, English text under `#if 0`).
                    state = State::Code;
                    continue;
                }
                _ if byte == quote => state = State::Code,
                _ => {}
            },
        }
        if byte == b'\n' {
            physical_line_start = i + 1;
        }
        i += 1;
    }
    match state {
        State::BlockComment { start } => {
            return Err(ScanError::UnterminatedComment(start..start + 2));
        }
        // A literal left open on the last line is tolerated (as in `#error don't`); one carried
        // there from an earlier line by continuations has swallowed everything after it.
        State::Literal {
            start, line_start, ..
        } if line_start < physical_line_start => {
            return Err(ScanError::UnterminatedLiteral(start..start + 1));
        }
        _ => {}
    }
    if let Some(hash) = directive_hash {
        directives.push(directive(source, &clean, line_start, hash, len));
    }
    Ok(Scan { directives, clean })
}

/// Build a directive from its logical line `line_start..line_end` and the offset of its `#`.
/// The keyword is read as the preprocessor reads it, with line continuations removed:
/// `#ifd\<newline>ef A` is `#ifdef A` (its range then holds the continuation).
fn directive(
    source: &[u8],
    clean: &[u8],
    line_start: usize,
    hash: usize,
    line_end: usize,
) -> Directive {
    let mut content_end = line_end;
    if content_end > hash && clean[content_end - 1] == b'\n' {
        content_end -= 1;
    }
    if content_end > hash && clean[content_end - 1] == b'\r' {
        content_end -= 1;
    }
    // Blanks and continuations (in `clean`, a space and the line ending) before the keyword.
    let mut keyword_start = hash + 1;
    while keyword_start < content_end && cond::is_c_space(&clean[keyword_start]) {
        keyword_start += 1;
    }
    let mut keyword = Vec::new();
    let mut keyword_end = keyword_start;
    while keyword_end < content_end {
        let byte = source[keyword_end];
        if byte.is_ascii_alphanumeric() || byte == b'_' {
            keyword.push(byte);
            keyword_end += 1;
            continue;
        }
        let continuation = continuation_len(source, keyword_end);
        let word_goes_on = source
            .get(keyword_end + continuation)
            .is_some_and(|&next| next.is_ascii_alphanumeric() || next == b'_');
        if continuation == 0 || !word_goes_on {
            break;
        }
        keyword_end += continuation;
    }
    Directive {
        kind: DirectiveKind::from_keyword(&keyword),
        line: line_start..line_end,
        hash,
        keyword: keyword_start..keyword_end,
        rest: keyword_end..content_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &[u8]) -> Vec<(DirectiveKind, String)> {
        let scan = scan(source).unwrap();
        scan.directives
            .iter()
            .map(|d| {
                (
                    d.kind,
                    String::from_utf8_lossy(scan.rest_text(d)).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn finds_directives_with_spacing_comments_and_continuations() {
        let source = b"  #  if A /* c */ && \\\n B\nint x;\n\t#else // x\n#endif\n";
        assert_eq!(
            kinds(source),
            vec![
                (DirectiveKind::If, "A         &&  \n B".to_string()),
                (DirectiveKind::Else, String::new()),
                (DirectiveKind::Endif, String::new()),
            ]
        );
        let scan = scan(source).unwrap();
        assert_eq!(scan.directives[0].line, 0..26);
        assert_eq!(scan.clean.len(), source.len());
    }

    #[test]
    fn ignores_hashes_in_comments_strings_and_mid_line() {
        let source =
            b"/*\n#if A\n*/\nchar *s = \"\\\n#if B\";\nx = y # z;\n// #if C\n#if D\n#endif";
        assert_eq!(
            kinds(source),
            vec![
                (DirectiveKind::If, "D".to_string()),
                (DirectiveKind::Endif, String::new())
            ]
        );
    }

    #[test]
    fn a_keyword_split_by_continuations_is_one_word() {
        let source = b"#ifd\\\nef A\n#el\\\r\nse\n# \\\nendif\\\n\n#if\\\n B\n#endif\n";
        assert_eq!(
            kinds(source),
            vec![
                (DirectiveKind::Ifdef, "A".to_string()),
                (DirectiveKind::Else, String::new()),
                (DirectiveKind::Endif, String::new()),
                (DirectiveKind::If, "B".to_string()),
                (DirectiveKind::Endif, String::new()),
            ]
        );
        let scan = scan(source).unwrap();
        assert_eq!(scan.directives[0].keyword, 1..8);
        assert_eq!(scan.directives[0].rest, 8..10);
    }

    #[test]
    fn vertical_tab_and_form_feed_are_blanks() {
        let source = b"#\x0bifdef\x0bA\x0c\n#\x0c endif\x0b\n";
        assert_eq!(
            kinds(source),
            vec![
                (DirectiveKind::Ifdef, "A".to_string()),
                (DirectiveKind::Endif, String::new())
            ]
        );
    }

    #[test]
    fn directive_comment_spanning_lines_extends_the_line() {
        let source = b"#endif /* a\n b */\nx;\n";
        let scan = scan(source).unwrap();
        assert_eq!(scan.directives[0].line, 0..18);
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let source = b"#ifdef A\r\nx;\r\n#endif";
        let scan = scan(source).unwrap();
        assert_eq!(scan.directives[0].line, 0..10);
        assert_eq!(scan.directives[0].eol(source), b"\r\n");
        assert_eq!(scan.directives[1].line, 14..20);
        assert_eq!(scan.directives[1].eol(source), b"");
        assert_eq!(scan.rest_text(&scan.directives[0]), b"A");
    }

    #[test]
    fn apostrophe_in_error_directive_does_not_swallow_the_file() {
        let source = b"#if 0\n#error don't\n#endif\n";
        assert_eq!(kinds(source).len(), 3);
    }

    #[test]
    fn errors_carry_spans() {
        assert_eq!(
            scan(b"int x; /* open").unwrap_err(),
            ScanError::UnterminatedComment(7..9)
        );
        assert_eq!(
            scan(b"#define X 1 \\").unwrap_err(),
            ScanError::ContinuationAtEof(12..13)
        );
        assert_eq!(
            scan(b"char *s = \"abc\\\n#if X\\\r\n#endif").unwrap_err(),
            ScanError::UnterminatedLiteral(10..11)
        );
        // Open on the last line only: tolerated, as `#error don't` there would be.
        assert!(scan(b"#if 0\n#endif\n#error don't").is_ok());
    }

    #[test]
    fn non_utf8_bytes_are_kept() {
        let source = b"/* \xff */ char c = '\xfe';\n#if A\n#endif\n";
        let scan = scan(source).unwrap();
        assert_eq!(scan.directives.len(), 2);
        assert_eq!(scan.clean[18], 0xfe);
    }
}
