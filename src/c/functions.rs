//! Function definitions at the top level of a file, found by brace depth on a C view (one
//! branch of each conditional active, see [`super::view`]), and the function around an offset.

use std::ops::Range;

use super::tokens::{Token, TokenKind, tokens};
use super::view::FUNCTION_TYPE;

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
/// active (see [`crate::c::view`]).
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
    if &view[name.span.clone()] == FUNCTION_TYPE.as_bytes()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{build, scan};

    #[test]
    fn functions_with_split_headers() {
        let source = b"struct s { int a; };\nint t[] = { 1 };\n#ifdef A\nint f(int a) {\n#else\nint f(long a) {\n#endif\n  { x(); }\n}\n#if 0\nvoid g() {\n#else\nvoid h(void)\n{\n#endif\n}\n";
        let scan = scan(source).unwrap();
        let tree = build(&scan.directives).unwrap();
        let view =
            super::super::view::view(&scan, &tree, None, &super::super::view::Macros::default());
        let functions = functions(&view);
        let found: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(found, vec!["f", "h"]);
        let inner = source.windows(3).position(|w| w == b"x()").unwrap();
        assert_eq!(enclosing(&functions, inner).unwrap().name, "f");
        assert!(enclosing(&functions, 3).is_none());
    }
}
