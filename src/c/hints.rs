//! Suggested C parsing hints: from where lang-c stopped in a function, the name a hint would
//! have explained (`--parse-stats --suggest-hints`).
//!
//! - in the function's header, an unknown name right before the function's name is a type
//!   (`typedefs`), one among other specifiers a decoration (`blank_macros`: `CURL_EXTERN`);
//! - in the body, `name(…) {` where lang-c stopped at the `{` is a statement macro
//!   (`statement_macros`: `uwsgi_foreach(x, list) {`), and `name other` (two names in a row) a
//!   type (`typedefs`).

use std::ops::Range;

use super::keywords;
use super::tokens::{TokenKind, tokens};

/// Which hint would name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HintKind {
    StatementMacro,
    BlankMacro,
    Typedef,
}

impl HintKind {
    /// The key of a rules file that holds such names.
    pub fn key(self) -> &'static str {
        match self {
            HintKind::StatementMacro => "statement_macros",
            HintKind::BlankMacro => "blank_macros",
            HintKind::Typedef => "typedefs",
        }
    }
}

/// The hint that would explain lang-c stopping at `offset` in the function `name` (its `item`
/// in `view`), if one can be told.
pub fn suggest_hint(
    view: &[u8],
    item: Range<usize>,
    name: &str,
    offset: usize,
) -> Option<(HintKind, String)> {
    let tokens = tokens(view, item);
    let text = |index: usize| &view[tokens[index].span.clone()];
    let unknown = |index: usize| {
        tokens.get(index).is_some_and(|token| {
            token.kind == TokenKind::Ident && !keywords::is_keyword(&view[token.span.clone()])
        })
    };
    let word = |index: usize| String::from_utf8_lossy(text(index)).into_owned();
    let at = tokens.iter().position(|token| token.span.start >= offset)?;
    let body = tokens
        .iter()
        .position(|token| &view[token.span.clone()] == b"{")?;
    if at <= body {
        // In the header: the unknown name nearest the stop.
        let name_index = tokens
            .iter()
            .position(|token| &view[token.span.clone()] == name.as_bytes())?;
        let candidate = [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .find(|&index| index < name_index && unknown(index))?;
        let mut next = candidate + 1;
        while next < tokens.len() && text(next) == b"*" {
            next += 1;
        }
        let kind = if next == name_index {
            HintKind::Typedef
        } else {
            HintKind::BlankMacro
        };
        return Some((kind, word(candidate)));
    }
    if text(at) == b"{" && at > 0 && text(at - 1) == b")" {
        let mut depth = 0usize;
        let mut index = at - 1;
        loop {
            match text(index) {
                b")" => depth += 1,
                b"(" => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            index = index.checked_sub(1)?;
        }
        let callee = index.checked_sub(1)?;
        return unknown(callee).then(|| (HintKind::StatementMacro, word(callee)));
    }
    if at > 0 && unknown(at - 1) && unknown(at) {
        return Some((HintKind::Typedef, word(at - 1)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(code: &str, name: &str, at: &str) -> Option<(HintKind, String)> {
        let offset = code.find(at).unwrap();
        suggest_hint(code.as_bytes(), 0..code.len(), name, offset)
    }

    #[test]
    fn names_that_stopped_lang_c_are_told_apart() {
        let statement = "void f(void) { uwsgi_foreach(x, list) { g(x); } }";
        assert_eq!(
            hint(statement, "f", "{ g"),
            Some((HintKind::StatementMacro, "uwsgi_foreach".into()))
        );
        let blank = "CURL_EXTERN const char *f(void) { return 0; }";
        assert_eq!(
            hint(blank, "f", "const"),
            Some((HintKind::BlankMacro, "CURL_EXTERN".into()))
        );
        let typed = "static ngx_int_t f(void) { return 0; }";
        assert_eq!(
            hint(typed, "f", "f("),
            Some((HintKind::Typedef, "ngx_int_t".into()))
        );
        let local = "void f(void) { PyObject o; }";
        assert_eq!(
            hint(local, "f", "o;"),
            Some((HintKind::Typedef, "PyObject".into()))
        );
        assert_eq!(hint("void f(void) { a = = b; }", "f", "= b"), None);
    }
}
