//! Token-level facts about code: real calls, identifiers used, `#include`s, enclosing functions.
//!
//! Works on the code view of a file (comments and directive lines blanked, see
//! [`Scan::code_view`](crate::scan::Scan::code_view)), so nothing in a comment or a directive can
//! count. String and character literals are skipped as whole tokens, so nothing in a string can
//! count either. A call is an identifier followed by `(` that is not a member (`x.f(`, `p->f(`)
//! and not a declarator (`int f(`).

use std::ops::Range;

use crate::cond::Norm;
use crate::scan::{DirectiveKind, Scan};

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
    let mut tokens = Vec::new();
    let end = range.end.min(code.len());
    let mut i = range.start;
    while i < end {
        let byte = code[i];
        let start = i;
        let kind = if byte.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if byte.is_ascii_alphabetic() || byte == b'_' {
            while i < end && is_ident_byte(code[i]) {
                i += 1;
            }
            // A literal prefix (L"", u8"") belongs to the literal.
            if i < end && (code[i] == b'"' || code[i] == b'\'') {
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
        tokens.push(Token {
            kind,
            span: start..i,
        });
    }
    tokens
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

/// Keywords that may stand right before a call (`return f(x)`), unlike a type before a
/// declarator (`int f(int)`).
const CALL_PREFIX_KEYWORDS: [&[u8]; 6] = [b"return", b"else", b"do", b"case", b"sizeof", b"goto"];

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
                    TokenKind::Ident => CALL_PREFIX_KEYWORDS.contains(&text),
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
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != TokenKind::Ident || !is_one_of(&code[token.span.clone()], names) {
            continue;
        }
        let member = index.checked_sub(1).is_some_and(|previous| {
            let text = &code[tokens[previous].span.clone()];
            text == b"." || text == b"->"
        });
        if !member {
            found.push(token.span.clone());
        }
    }
    found
}

fn is_one_of(text: &[u8], names: &[String]) -> bool {
    names.iter().any(|name| name.as_bytes() == text)
}

/// The header an `#include`'s text names, without its `<>` or quotes; `None` when it has
/// neither (a macro).
pub fn include_name(header: &[u8]) -> Option<&[u8]> {
    header
        .strip_prefix(b"<")
        .and_then(|inner| inner.strip_suffix(b">"))
        .or_else(|| {
            header
                .strip_prefix(b"\"")
                .and_then(|inner| inner.strip_suffix(b"\""))
        })
}

/// The `#include`s whose header is one of `headers`, in the byte range `within`: their spans.
pub fn includes(scan: &Scan, within: Range<usize>, headers: &[String]) -> Vec<Range<usize>> {
    scan.directives
        .iter()
        .filter(|directive| {
            directive.kind == DirectiveKind::Include
                && within.start <= directive.line.start
                && directive.line.end <= within.end
        })
        .filter(|directive| {
            let header = scan.rest_text(directive);
            is_one_of(include_name(header).unwrap_or(header), headers)
        })
        .map(|directive| directive.hash..directive.rest.end)
        .collect()
}

/// A function definition found at the top level of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub name_span: Range<usize>,
    /// From the opening `{` of the body to just past its closing `}`.
    pub body: Range<usize>,
    /// The whole definition: from the first token of its header to the end of its body.
    pub item: Range<usize>,
}

/// The function definitions of a file, read from a view with one branch of each conditional
/// active (see [`crate::cview`]).
pub fn functions(view: &[u8]) -> Vec<Function> {
    let tokens = tokens(view, 0..view.len());
    let mut functions = Vec::new();
    let mut depth = 0usize;
    let mut header_start = 0usize;
    // The first token and the `{` of the open top-level item and, if it is a function, its name.
    let mut open: Option<(usize, usize, Option<FunctionName>)> = None;
    for (index, token) in tokens.iter().enumerate() {
        let text = &view[token.span.clone()];
        match text {
            b"{" => {
                if depth == 0 {
                    let header = &tokens[header_start..index];
                    let name = function_name(view, header);
                    let start = header
                        .first()
                        .map_or(token.span.start, |first| first.span.start);
                    open = Some((start, token.span.start, name));
                }
                depth += 1;
            }
            b"}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some((start, brace, Some((name, name_span)))) = open.take() {
                        functions.push(Function {
                            name,
                            name_span,
                            body: brace..token.span.end,
                            item: start..token.span.end,
                        });
                    }
                    header_start = index + 1;
                }
            }
            b";" if depth == 0 => header_start = index + 1,
            _ => {}
        }
    }
    functions
}

/// A function's name and where it is written.
type FunctionName = (String, Range<usize>);

/// The declarator name of a function header (`static int f(int a)`), or `None` when the tokens
/// before a top-level `{` are not a function header (a struct, an initializer).
fn function_name(view: &[u8], header: &[Token]) -> Option<FunctionName> {
    let last = header.last()?;
    if &view[last.span.clone()] != b")" {
        return None;
    }
    if header.iter().any(|token| &view[token.span.clone()] == b"=") {
        return None;
    }
    let position = header.windows(2).position(|pair| {
        let (name, paren) = (&pair[0], &pair[1]);
        name.kind == TokenKind::Ident
            && &view[paren.span.clone()] == b"("
            && &view[name.span.clone()] != b"__attribute__"
    })?;
    let mut name = &header[position];
    // A rewritten function-defining macro, `_ (name)`: the name is inside the parentheses.
    if &view[name.span.clone()] == crate::cview::FUNCTION_TYPE.as_bytes()
        && let Some(inner) = header.get(position + 2)
        && inner.kind == TokenKind::Ident
    {
        name = inner;
    }
    Some((
        String::from_utf8_lossy(&view[name.span.clone()]).into_owned(),
        name.span.clone(),
    ))
}

/// The function whose body holds `offset`.
pub fn enclosing(functions: &[Function], offset: usize) -> Option<&Function> {
    let index = functions.partition_point(|function| function.body.end <= offset);
    functions
        .get(index)
        .filter(|function| function.body.start <= offset)
}

/// True if a condition in normal form tests one of `names`.
pub fn condition_uses(condition: &Norm, names: &[String]) -> bool {
    names.iter().any(|name| condition.uses(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan;
    use crate::tree::build;

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
    fn functions_with_split_headers() {
        let source = b"struct s { int a; };\nint t[] = { 1 };\n#ifdef A\nint f(int a) {\n#else\nint f(long a) {\n#endif\n  { x(); }\n}\n#if 0\nvoid g() {\n#else\nvoid h(void)\n{\n#endif\n}\n";
        let scan = scan(source).unwrap();
        let tree = build(&scan.directives).unwrap();
        let view = crate::cview::view(&scan, &tree, None, &crate::cview::Macros::default());
        let functions = functions(&view);
        let found: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(found, vec!["f", "h"]);
        let inner = source.windows(3).position(|w| w == b"x()").unwrap();
        assert_eq!(enclosing(&functions, inner).unwrap().name, "f");
        assert!(enclosing(&functions, 3).is_none());
    }
}
