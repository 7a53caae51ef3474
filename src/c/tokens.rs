//! C tokens on a code view: identifiers, numbers, literals (whole, so nothing in a string
//! counts) and punctuation, with spans in file offsets; and the token-level answers to "is this
//! name called, or mentioned?" for `fallback = "tokens"` and the residue check.
//!
//! Works on the code view of a file (comments and directive lines blanked, see
//! [`Scan::code_view`](crate::source::Scan::code_view)), so nothing in a comment or a directive
//! can count. A call is an identifier followed by `(` that is not a member (`x.f(`, `p->f(`) and
//! not a declarator (`int f(`).

use std::ops::Range;

use super::keywords;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Number,
    Literal,
    Punct,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The tokens of `code[range]`, with spans in file offsets.
pub fn tokens(code: &[u8], range: Range<usize>) -> Vec<Token> {
    Tokens::new(code, range).collect()
}

/// The tokens of `code[range]` one at a time, for a pass over a whole file that keeps none (or
/// a few) of them: a file's tokens take about twice its size in memory when collected.
pub struct Tokens<'c> {
    code: &'c [u8],
    at: usize,
    end: usize,
}

/// C's string and character literal prefixes: `L`, `u`, `U`, `u8`.
pub fn is_literal_prefix(word: &[u8]) -> bool {
    matches!(word, b"L" | b"u" | b"U" | b"u8")
}

impl<'c> Tokens<'c> {
    pub fn new(code: &'c [u8], range: Range<usize>) -> Tokens<'c> {
        Tokens {
            code,
            at: range.start,
            end: range.end.min(code.len()),
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let (code, end) = (self.code, self.end);
        let mut i = self.at;
        while i < end && code[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= end {
            self.at = end;
            return None;
        }
        let byte = code[i];
        let start = i;
        let kind = if byte.is_ascii_alphabetic() || byte == b'_' {
            while i < end && is_ident_byte(code[i]) {
                i += 1;
            }
            // A literal prefix (L"", u8"") belongs to the literal; any other name glued to a
            // literal (`"%s/"PFX"%llx"`, a macro) is a name of its own.
            if i < end
                && (code[i] == b'"' || code[i] == b'\'')
                && is_literal_prefix(&code[start..i])
            {
                i = skip_literal(code, i, end);
                TokenKind::Literal
            } else {
                TokenKind::Ident
            }
        } else if byte.is_ascii_digit() {
            while i < end && (is_ident_byte(code[i]) || code[i] == b'.') {
                i += 1;
            }
            TokenKind::Number
        } else if byte == b'"' || byte == b'\'' {
            i = skip_literal(code, i, end);
            TokenKind::Literal
        } else {
            i += if code[i..end].starts_with(b"->") {
                2
            } else {
                1
            };
            TokenKind::Punct
        };
        self.at = i;
        Some(Token {
            kind,
            span: start..i,
        })
    }
}

/// The tokens of the top-level item of `code` that starts at `at`: up to and including the
/// first `;` outside all braces and parentheses, or the `}` that closes all braces (a function
/// body, a struct's braces) outside parentheses; empty at the end of `code`. A pass that looks a
/// few tokens around each one, item by item, holds one item's tokens, not the file's: the item
/// after it starts at the end of the last token, at depth 0, and the token before its first is
/// a `;` or a `}`. Unbalanced parentheses make the rest of the file one item.
pub fn top_level_item(code: &[u8], at: usize) -> Vec<Token> {
    let mut item = Vec::new();
    let (mut braces, mut parens) = (0usize, 0usize);
    for token in Tokens::new(code, at..code.len()) {
        let ends = match &code[token.span.clone()] {
            b"{" => {
                braces += 1;
                false
            }
            b"}" => {
                braces = braces.saturating_sub(1);
                braces == 0 && parens == 0
            }
            b"(" => {
                parens += 1;
                false
            }
            b")" => {
                parens = parens.saturating_sub(1);
                false
            }
            b";" => braces == 0 && parens == 0,
            _ => false,
        };
        item.push(token);
        if ends {
            break;
        }
    }
    item
}

/// [`top_level_item`] one after another, over the whole of `code`.
pub fn top_level_items(code: &[u8]) -> impl Iterator<Item = Vec<Token>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let item = top_level_item(code, at);
        at = item.last()?.span.end;
        Some(item)
    })
}

/// Skip a string or char literal starting at the quote `i`; it ends at its closing quote or, if
/// unterminated, at the end of its line.
fn skip_literal(code: &[u8], mut i: usize, end: usize) -> usize {
    let quote = code[i];
    i += 1;
    while i < end {
        match code[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            byte if byte == quote => return i + 1,
            _ => i += 1,
        }
    }
    end.min(i)
}

/// The spans of the identifiers in `names` that are called in `tokens`.
pub fn calls(code: &[u8], tokens: &[Token], names: &[String]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != TokenKind::Ident || !is_one_of(&code[token.span.clone()], names) {
            continue;
        }
        let next_is_paren = tokens
            .get(index + 1)
            .is_some_and(|next| &code[next.span.clone()] == b"(");
        if !next_is_paren {
            continue;
        }
        let called = match index.checked_sub(1).map(|previous| &tokens[previous]) {
            None => true,
            Some(previous) => {
                let text = &code[previous.span.clone()];
                match previous.kind {
                    TokenKind::Ident => keywords::may_precede_call(text),
                    TokenKind::Punct => text != b"." && text != b"->",
                    TokenKind::Number | TokenKind::Literal => false,
                }
            }
        };
        if called {
            found.push(token.span.clone());
        }
    }
    found
}

/// The spans of the identifiers in `names` used in `tokens`, members (`x.name`) excepted.
pub fn mentions(code: &[u8], tokens: &[Token], names: &[String]) -> Vec<Range<usize>> {
    names_used(code, tokens)
        .filter(|span| is_one_of(&code[span.clone()], names))
        .collect()
}

/// The spans of every identifier used in `tokens` as a name of its own: members (`x.name`,
/// `p->name`) are other names.
pub fn names_used<'t>(
    code: &'t [u8],
    tokens: &'t [Token],
) -> impl Iterator<Item = Range<usize>> + 't {
    tokens.iter().enumerate().filter_map(move |(index, token)| {
        let member = index.checked_sub(1).is_some_and(|previous| {
            let text = &code[tokens[previous].span.clone()];
            text == b"." || text == b"->"
        });
        (token.kind == TokenKind::Ident && !member).then(|| token.span.clone())
    })
}

fn is_one_of(text: &[u8], names: &[String]) -> bool {
    names.iter().any(|name| name.as_bytes() == text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::scan;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    fn called(source: &[u8]) -> usize {
        let scan = scan(source).unwrap();
        let code = scan.code_view();
        let tokens = tokens(&code, 0..code.len());
        calls(&code, &tokens, &names(&["unshare"])).len()
    }

    #[test]
    fn only_real_calls_count() {
        assert_eq!(called(b"if (unshare(m)) x();"), 1);
        assert_eq!(called(b"(void) unshare(m);"), 1);
        assert_eq!(called(b"return unshare /* c */\n (m);"), 1);
        assert_eq!(called(b"if (uwsgi.unshare && p->unshare(1)) {}"), 0);
        assert_eq!(called(b"log(\"unshare()\");"), 0);
        assert_eq!(called(b"/* unshare( */ x();"), 0);
        assert_eq!(called(b"uwsgi_build_unshare(x);"), 0);
        assert_eq!(called(b"int unshare(int);"), 0);
        assert_eq!(called(b"f = unshare;"), 0);
        assert_eq!(called(b"#define U unshare(1)\n"), 0);
    }

    #[test]
    fn top_level_items_end_at_a_semicolon_or_a_closing_brace_outside_parentheses() {
        let code = b"int a; static int f(int b) { g(); return b; }\nstruct s { int c; } d;\nWRAP(int e; int f;) x; tail";
        let items: Vec<String> = top_level_items(code)
            .map(|item| {
                let (first, last) = (item[0].span.start, item[item.len() - 1].span.end);
                String::from_utf8_lossy(&code[first..last]).into_owned()
            })
            .collect();
        assert_eq!(
            items,
            [
                "int a;",
                "static int f(int b) { g(); return b; }",
                "struct s { int c; }",
                "d;",
                "WRAP(int e; int f;) x;",
                "tail",
            ]
        );
        // Together they are the file's tokens, each once.
        let all: Vec<Token> = top_level_items(code).flatten().collect();
        assert_eq!(all, tokens(code, 0..code.len()));
        assert!(top_level_item(code, code.len()).is_empty());
    }
}
