//! The C view: an offset-preserving text of a file for lang-c.
//!
//! The view has the same length as the file's bytes. Comments and directive lines are spaces
//! (newlines kept), so are the inactive branches of every conditional, and every byte outside
//! ASCII is `_`, so that the view is valid UTF-8 and every lang-c span is a byte offset in the
//! original file.
//!
//! Which branch of a conditional is active: the branch under examination (and every branch that
//! holds it) is. Elsewhere every macro is taken as defined to 1, consistently across the file, so
//! that `#ifdef X` and `#ifndef X` never both hold (a label under one and a declaration under the
//! other stay apart), and as much code as possible is seen; the first branch whose condition is
//! true under that assumption is active (`#if 0` never is). An include guard (`#ifndef X`
//! followed by `#define X`) is taken as true. A condition that cannot be evaluated
//! (`#if KERNEL_VERSION(2,6,0) > X`) makes its first branch active.
//!
//! Macros lang-c cannot read are rewritten in place, same length: a statement macro
//! (`uwsgi_foreach(x, list) {`) becomes `if` padded with spaces (`if (x, list) {` is C), a
//! function-defining macro (`XS(name) {`) becomes a type name (`_ (name) {`), a blank
//! macro and its argument list become spaces, so does an upper-case name alone on its line
//! (`UWSGI_RELEASE_GIL`, a statement macro without `;`), and an identifier beside a string
//! literal, spaced or glued on either side (`"%" PRIu64`, `"%s/"PFX"%llx"`), becomes a string
//! literal of the same length (a one-letter one, a space); `L`, `u`, `U` and `u8` glued before
//! a literal are its prefix.

use std::ops::Range;

use super::defines::defined_macros;
use super::keywords;
use super::tokens::{Token, TokenKind, top_level_item};
use crate::cond;
use crate::source::{CondTree, Conditional, DirectiveKind, Scan, blank};

/// Macros to rewrite so that lang-c can parse the view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Macros {
    /// Used as statement heads: `name(args) { … }` or `name(args) stmt;`.
    pub statements: Vec<String>,
    /// Expanding to nothing that matters for parsing (attributes, `UWSGI_UNUSED`): the name and
    /// its argument list, if any, are blanked.
    pub blank: Vec<String>,
    /// Defining a function: `XS(name) { … }` becomes `_  (name) { … }`, where `_` is declared
    /// as a type name (`FUNCTION_TYPE`).
    pub functions: Vec<String>,
    /// Wrapping a declaration's type in decorations (`#define GIT_INLINE(type) static inline
    /// type`): the name and its parentheses are blanked, the argument stays.
    pub unwrap: Vec<String>,
}

/// The type name a function-defining macro is rewritten to.
pub const FUNCTION_TYPE: &str = "_";

impl Macros {
    pub fn extend(&mut self, other: &Macros) {
        for name in &other.statements {
            if !self.statements.contains(name) {
                self.statements.push(name.clone());
            }
        }
        for name in &other.blank {
            if !self.blank.contains(name) {
                self.blank.push(name.clone());
            }
        }
        for name in &other.functions {
            if !self.functions.contains(name) {
                self.functions.push(name.clone());
            }
        }
        for name in &other.unwrap {
            if !self.unwrap.contains(name) {
                self.unwrap.push(name.clone());
            }
        }
    }

    /// Add `other`'s names that none of these lists holds: hints keep their say over what the
    /// code's own definitions suggest.
    pub fn add_missing(&mut self, other: &Macros) {
        let known = |name: &String, macros: &Macros| {
            macros.statements.contains(name)
                || macros.blank.contains(name)
                || macros.functions.contains(name)
                || macros.unwrap.contains(name)
        };
        let mut added = Macros::default();
        for name in &other.statements {
            if !known(name, self) {
                added.statements.push(name.clone());
            }
        }
        for name in &other.blank {
            if !known(name, self) {
                added.blank.push(name.clone());
            }
        }
        for name in &other.functions {
            if !known(name, self) {
                added.functions.push(name.clone());
            }
        }
        for name in &other.unwrap {
            if !known(name, self) {
                added.unwrap.push(name.clone());
            }
        }
        self.extend(&added);
    }

    /// Type names the rewritten view needs declared.
    pub fn typedefs(&self) -> Vec<&'static str> {
        if self.functions.is_empty() {
            Vec::new()
        } else {
            vec![FUNCTION_TYPE]
        }
    }
}

/// Build the view of the whole file with `focus` (a byte range, such as a branch body) active.
pub fn view(scan: &Scan, tree: &CondTree, focus: Option<Range<usize>>, macros: &Macros) -> Vec<u8> {
    let mut view = scan.code_view();
    let everything_defined = cond::Assumptions {
        others_defined: true,
        ..cond::Assumptions::default()
    };
    for conditional in tree.all() {
        let holding = focus.as_ref().and_then(|focus| {
            conditional
                .branches
                .iter()
                .position(|branch| branch.body.start <= focus.start && focus.end <= branch.body.end)
        });
        let active = holding.or_else(|| default_branch(scan, conditional, &everything_defined));
        for (index, branch) in conditional.branches.iter().enumerate() {
            if Some(index) != active {
                blank(&mut view[branch.body.clone()]);
            }
        }
    }
    for byte in view.iter_mut() {
        if !byte.is_ascii() {
            *byte = b'_';
        }
    }
    // The file's own simple definitions (`#define local static`), under the macros given.
    let mut macros = macros.clone();
    macros.add_missing(&defined_macros(&[scan], &macros, &[]).macros);
    rewrite_macros(&mut view, &macros);
    view
}

/// The view of one conditional's lines (`conditional.span`) with `focus` active, as [`view`]
/// makes them, for a caller that knows the rest of the file's view: `default_of` gives each
/// conditional's default branch (see [`default_branches`]). Costs the conditional's size.
pub fn group_view(
    scan: &Scan,
    conditional: &Conditional,
    focus: &Range<usize>,
    default_of: &dyn Fn(&Conditional) -> Option<usize>,
    macros: &Macros,
) -> (Range<usize>, Vec<u8>) {
    let span = conditional.span(&scan.directives);
    let mut view = scan.clean[span.clone()].to_vec();
    let local = |range: &Range<usize>| range.start - span.start..range.end - span.start;
    // Every directive line of the group, its own and those inside it.
    let first = conditional.branches[0].directive;
    for directive in &scan.directives[first..=conditional.endif] {
        blank(&mut view[local(&directive.line)]);
    }
    let mut inactive = Vec::new();
    conditional.walk(&mut |conditional| {
        let holding = conditional
            .branches
            .iter()
            .position(|branch| branch.body.start <= focus.start && focus.end <= branch.body.end);
        let active = holding.or_else(|| default_of(conditional));
        for (index, branch) in conditional.branches.iter().enumerate() {
            if Some(index) != active {
                inactive.push(local(&branch.body));
            }
        }
    });
    for range in inactive {
        blank(&mut view[range]);
    }
    for byte in view.iter_mut() {
        if !byte.is_ascii() {
            *byte = b'_';
        }
    }
    rewrite_macros(&mut view, macros);
    (span, view)
}

/// The default branch (see [`default_branch`]) of every conditional, by its `#endif`'s index.
pub fn default_branches(
    scan: &Scan,
    tree: &CondTree,
) -> std::collections::HashMap<usize, Option<usize>> {
    let everything_defined = cond::Assumptions {
        others_defined: true,
        ..cond::Assumptions::default()
    };
    tree.all()
        .into_iter()
        .map(|conditional| {
            (
                conditional.endif,
                default_branch(scan, conditional, &everything_defined),
            )
        })
        .collect()
}

/// The branch the view makes active when the focus is elsewhere: the first whose condition is
/// true with every macro defined (the first branch when a condition cannot be evaluated).
fn default_branch(
    scan: &Scan,
    conditional: &Conditional,
    everything_defined: &cond::Assumptions,
) -> Option<usize> {
    conditional
        .branches
        .iter()
        .enumerate()
        .position(|(index, branch)| {
            match branch_value(scan, branch.directive, everything_defined) {
                Some(value) => value,
                None => index == 0,
            }
        })
}

/// The value of a branch's condition under `assumptions`: `None` when it cannot be evaluated.
fn branch_value(scan: &Scan, directive: usize, assumptions: &cond::Assumptions) -> Option<bool> {
    let line = &scan.directives[directive];
    let text = scan.rest_text(line);
    let name = || String::from_utf8_lossy(text).into_owned();
    match line.kind {
        DirectiveKind::Else => Some(true),
        DirectiveKind::Ifndef | DirectiveKind::Elifndef => {
            let guard = scan.directives.get(directive + 1).is_some_and(|next| {
                next.kind == DirectiveKind::Define
                    && scan.rest_text(next).split(cond::is_c_space).next() == Some(text)
            });
            Some(guard || !assumptions_define(assumptions, &name()))
        }
        DirectiveKind::Ifdef | DirectiveKind::Elifdef => {
            Some(assumptions_define(assumptions, &name()))
        }
        _ => match cond::simplify(&cond::parse(text, 0).ok()?, assumptions) {
            cond::Value::Known(value) => Some(value != 0),
            cond::Value::Unknown(_) => None,
        },
    }
}

fn assumptions_define(assumptions: &cond::Assumptions, name: &str) -> bool {
    let defined = cond::Expr {
        kind: cond::ExprKind::Defined(name.to_string()),
        span: None,
    };
    cond::simplify(&defined, assumptions) == cond::Value::Known(1)
}

/// The same-length macro rewrites described in the module documentation.
fn rewrite_macros(view: &mut [u8], macros: &Macros) {
    // Item by item (see `top_level_item`): each rewrite looks only a few tokens around, or to
    // the `)` closing a `(`, which stays in the item; the bytes after an item are unchanged
    // until their own turn, so the items' tokens are those of the view before any rewrite.
    let mut at = 0;
    loop {
        let tokens = top_level_item(view, at);
        let Some(last) = tokens.last() else {
            break;
        };
        at = last.span.end;
        rewrite_item_macros(view, &tokens, macros);
        blank_type_arguments(view, &tokens);
    }
}

/// [`rewrite_macros`] on one top-level item's tokens.
fn rewrite_item_macros(view: &mut [u8], tokens: &[Token], macros: &Macros) {
    let text = |view: &[u8], index: usize| view[tokens[index].span.clone()].to_vec();
    let is = |view: &[u8], index: usize, wanted: &[u8]| {
        tokens
            .get(index)
            .is_some_and(|token| &view[token.span.clone()] == wanted)
    };
    let mut index = 0;
    // Brace depth: a statement macro stands only inside a body.
    let mut depth = 0usize;
    while index < tokens.len() {
        let token = &tokens[index];
        if token.kind != TokenKind::Ident {
            match &view[token.span.clone()] {
                b"{" => depth += 1,
                b"}" => depth = depth.saturating_sub(1),
                _ => {}
            }
            index += 1;
            continue;
        }
        let name = text(view, index);
        let named = |list: &[String]| list.iter().any(|entry| entry.as_bytes() == name);
        if named(&macros.functions) && is(view, index + 1, b"(") {
            let span = token.span.clone();
            view[span.start] = FUNCTION_TYPE.as_bytes()[0];
            blank(&mut view[span.start + 1..span.end]);
        } else if named(&macros.statements) && is(view, index + 1, b"(") && name.len() >= 2 {
            let span = token.span.clone();
            view[span.start] = b'i';
            view[span.start + 1] = b'f';
            blank(&mut view[span.start + 2..span.end]);
        } else if named(&macros.unwrap)
            && is(view, index + 1, b"(")
            && let Some(close) = closing(view, tokens, index + 1)
        {
            let (open, close) = (tokens[index + 1].span.clone(), tokens[close].span.clone());
            blank(&mut view[token.span.start..open.end]);
            blank(&mut view[close]);
        } else if named(&macros.blank) {
            let mut end = token.span.end;
            if is(view, index + 1, b"(") {
                let mut depth = 0usize;
                let mut close = index + 1;
                while close < tokens.len() {
                    match &view[tokens[close].span.clone()] {
                        b"(" => depth += 1,
                        b")" => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    close += 1;
                }
                if let Some(last) = tokens.get(close) {
                    end = last.span.end;
                    index = close;
                }
            }
            blank(&mut view[token.span.start..end]);
        } else if depth > 0
            && !keywords::is_keyword(&name)
            && alone_on_its_line(view, &token.span)
            && (is_macro_name(&name) || between_statements(view, tokens, index))
        {
            // `UWSGI_RELEASE_GIL` or `kill_on_error` on a line of its own in a body: a statement
            // macro without `;` (at the top level, a name alone on its line is a return type,
            // `ngx_int_t` / `ngx_foo(…)`).
            blank(&mut view[token.span.clone()]);
        } else if !keywords::may_stand_beside_string(&name)
            && !is(view, index + 1, b"(")
            && (literal_at(view, tokens, index.wrapping_sub(1))
                || literal_at(view, tokens, index + 1))
        {
            // A macro standing for a string (`PRIu64`, `UWSGI_VERSION`) next to a literal, on
            // either side or both, spaced or glued (`"%s/"PFX"%llx"`: the tokens never take a
            // name for a literal's prefix but `L`, `u`, `U`, `u8`). A one-letter name has no
            // room for `""`: it becomes a space, which the literal beside it keeps valid.
            let span = token.span.clone();
            if span.len() >= 2 {
                view[span.start] = b'"';
                view[span.end - 1] = b'"';
                blank(&mut view[span.start + 1..span.end - 1]);
            } else {
                blank(&mut view[span]);
            }
        }
        index += 1;
    }
}

/// The index of the `)` that closes the `(` at `open`.
fn closing(view: &[u8], tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match &view[token.span.clone()] {
            b"(" => depth += 1,
            b")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// A type passed to a macro in a body (`va_arg(ap, char *)`, `offsetof(struct s, m)`,
/// `DO_POPCOUNT(x, unsigned long)`), which only the preprocessor expands: the argument becomes
/// `0` and spaces, so the call parses as one. An argument counts as a type when it cannot be an
/// expression: type keywords, `struct`/`union`/`enum` with a tag, or a name followed by `*`s
/// alone, with `*`s and qualifiers. Declarations' parameter lists (at the top level) and
/// `sizeof`, casts and the like are not calls and stay.
fn blank_type_arguments(view: &mut [u8], tokens: &[Token]) {
    let mut depth = 0usize;
    // For each open `(`: is it a call's, and where its current argument starts.
    let mut calls: Vec<(bool, usize)> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let text = view[token.span.clone()].to_vec();
        match text.as_slice() {
            b"{" => depth += 1,
            b"}" => depth = depth.saturating_sub(1),
            b"(" => {
                // A callee preceded by a name or a type word is a declarator (`int f(int);`).
                let declarator = index > 1 && {
                    let before = &view[tokens[index - 2].span.clone()];
                    tokens[index - 2].kind == TokenKind::Ident
                        && !keywords::may_precede_call(before)
                };
                let call = depth > 0
                    && index > 0
                    && tokens[index - 1].kind == TokenKind::Ident
                    && !keywords::is_keyword(&view[tokens[index - 1].span.clone()])
                    && !declarator;
                calls.push((call, index + 1));
            }
            b"," | b")" => {
                if let Some(&(true, start)) = calls.last()
                    && is_type(view, &tokens[start..index])
                {
                    let span = tokens[start].span.start..tokens[index - 1].span.end;
                    blank(&mut view[span.clone()]);
                    view[span.start] = b'0';
                }
                if text == b")" {
                    calls.pop();
                } else if let Some(last) = calls.last_mut() {
                    last.1 = index + 1;
                }
            }
            _ => {}
        }
    }
}

fn is_type(view: &[u8], argument: &[Token]) -> bool {
    let text = |token: &Token| &view[token.span.clone()];
    let Some(first) = argument.first() else {
        return false;
    };
    let qualifier = |token: &Token| matches!(text(token), b"*" | b"const" | b"volatile");
    if argument
        .iter()
        .all(|token| keywords::is_type_word(text(token)) || qualifier(token))
    {
        return argument
            .iter()
            .any(|token| keywords::is_type_word(text(token)))
            && !argument.iter().all(qualifier)
            && argument
                .iter()
                .any(|token| !matches!(text(token), b"*" | b"const" | b"volatile"));
    }
    let rest = match text(first) {
        b"struct" | b"union" | b"enum" => {
            if argument
                .get(1)
                .is_none_or(|tag| tag.kind != TokenKind::Ident)
            {
                return false;
            }
            &argument[2..]
        }
        _ if first.kind == TokenKind::Ident && !keywords::is_keyword(text(first)) => {
            // A name alone is an expression; a name and `*`s alone is not.
            if argument.len() == 1 || text(&argument[1]) != b"*" {
                return false;
            }
            &argument[1..]
        }
        _ => return false,
    };
    rest.iter().all(qualifier)
}

/// An upper-case name, as macros are written (`UWSGI_GET_GIL`).
fn is_macro_name(name: &[u8]) -> bool {
    name.len() >= 2
        && name.iter().any(u8::is_ascii_uppercase)
        && name
            .iter()
            .all(|&byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_')
}

/// The token at `index` stands where a statement ends and the next one begins.
fn between_statements(view: &[u8], tokens: &[Token], index: usize) -> bool {
    let text = |index: usize| tokens.get(index).map(|token| &view[token.span.clone()]);
    let after_statement = index
        .checked_sub(1)
        .and_then(text)
        .is_some_and(|previous| matches!(previous, b";" | b"{" | b"}" | b":"));
    let before_statement = tokens
        .get(index + 1)
        .is_some_and(|next| next.kind == TokenKind::Ident || &view[next.span.clone()] == b"}");
    after_statement && before_statement
}

/// Only blanks stand between the span and the line's ends.
fn alone_on_its_line(view: &[u8], span: &Range<usize>) -> bool {
    let before = view[..span.start]
        .iter()
        .rev()
        .take_while(|&&byte| byte != b'\n')
        .all(u8::is_ascii_whitespace);
    let after = view[span.end..]
        .iter()
        .take_while(|&&byte| byte != b'\n')
        .all(u8::is_ascii_whitespace);
    before && after
}

fn literal_at(view: &[u8], tokens: &[Token], index: usize) -> bool {
    tokens.get(index).is_some_and(|token| {
        token.kind == TokenKind::Literal && view[token.span.clone()].ends_with(b"\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{build, scan};

    fn show(source: &str, focus: Option<Range<usize>>, macros: &Macros) -> String {
        let scan = scan(source.as_bytes()).unwrap();
        let tree = build(&scan.directives).unwrap();
        let view = view(&scan, &tree, focus, macros);
        assert_eq!(view.len(), source.len());
        String::from_utf8(view).unwrap()
    }

    #[test]
    fn blanks_comments_directives_and_inactive_branches() {
        let source =
            "int a; /* c */\n#if 0\nx\n#else\ny;\n#endif\n#ifdef A\nb;\n#else\nc;\n#endif\n";
        assert_eq!(
            show(source, None, &Macros::default()),
            "int a;        \n     \n \n     \ny;\n      \n        \nb;\n     \n  \n      \n"
        );
        let focus = source.find("c;").unwrap();
        let focused = show(source, Some(focus..focus + 3), &Macros::default());
        assert!(focused.contains("\n  \n     \nc;\n"), "{focused:?}");
    }

    #[test]
    fn a_focus_active_by_default_gives_the_default_view() {
        let source = "#ifndef H\n#define H\n#ifdef A\nint a;\n#if 0\nint z;\n#else\nint y;\n#endif\n#else\nint b;\n#endif\n#endif\n";
        let scan = scan(source.as_bytes()).unwrap();
        let tree = build(&scan.directives).unwrap();
        let default = view(&scan, &tree, None, &Macros::default());
        let macros = Macros::default();
        let index = super::super::functions::FunctionIndex::new(&scan, &tree, &macros);
        let mut active = Vec::new();
        for conditional in tree.all() {
            for branch in &conditional.branches {
                let body = branch.body.clone();
                let by_default = index.active_by_default(&body);
                if by_default {
                    assert_eq!(
                        view(&scan, &tree, Some(body.clone()), &Macros::default()),
                        default
                    );
                }
                active.push((
                    source[body].lines().next().unwrap_or("").to_string(),
                    by_default,
                ));
            }
        }
        let active: Vec<(&str, bool)> = active
            .iter()
            .map(|(line, on)| (line.as_str(), *on))
            .collect();
        assert_eq!(
            active,
            [
                ("#define H", true),
                ("int a;", true),
                ("int b;", false),
                ("int z;", false),
                ("int y;", true),
            ]
        );
    }

    #[test]
    fn one_value_per_symbol_and_include_guards() {
        let source = "#ifndef H\n#define H\n#ifndef DEBUG\nunsafe:\n#endif\n#ifdef DEBUG\nint d;\n#endif\n#if !defined(X)\na;\n#else\nb;\n#endif\n#endif\n";
        let view = show(source, None, &Macros::default());
        assert!(!view.contains("unsafe:"), "{view:?}");
        assert!(view.contains("int d;"), "{view:?}");
        assert!(!view.contains("a;") && view.contains("b;"), "{view:?}");
    }

    #[test]
    fn non_ascii_bytes_become_underscores() {
        let source = "char *s = \"caf\u{e9}\";\n";
        assert_eq!(
            show(source, None, &Macros::default()),
            "char *s = \"caf__\";\n"
        );
    }

    #[test]
    fn macros_are_rewritten_in_place() {
        let macros = Macros {
            statements: vec!["uwsgi_foreach".into()],
            blank: vec!["UWSGI_UNUSED".into()],
            functions: vec!["XS".into()],
            unwrap: vec!["GIT_INLINE".into()],
        };
        assert_eq!(show("XS(XS_x) {\n}\n", None, &macros), "_ (XS_x) {\n}\n");
        assert_eq!(
            show("GIT_INLINE(int) f(void) {}\n", None, &macros),
            "           int  f(void) {}\n"
        );
        // A type passed to a macro in a body becomes `0`; declarations and casts stay.
        assert_eq!(
            show(
                "int f(int, char *);\nvoid g(void) { int k(int); p = va_arg(ap, char *); o = offsetof(struct s, m); x = (T *)y; h(a, b * c, T); }\n",
                None,
                &macros
            ),
            "int f(int, char *);\nvoid g(void) { int k(int); p = va_arg(ap, 0     ); o = offsetof(0       , m); x = (T *)y; h(a, b * c, T); }\n"
        );
        let source =
            "void f(int x UWSGI_UNUSED(1)) { uwsgi_foreach(a, b) { g(\"%\" PRIu64 \"\\n\", a); } }";
        let view = show(source, None, &macros);
        assert_eq!(
            view,
            "void f(int x                ) { if           (a, b) { g(\"%\" \"    \" \"\\n\", a); } }"
        );
        // Glued on either side or both, in a chain; real prefixes stay the literal's.
        assert_eq!(
            show(
                "void g(void) { s(\"%s/\"PFX\"%llx\"); t(\"a\"B\"c\"DD); u(L\"x\", u8\"y\", U\"z\"); }",
                None,
                &Macros::default()
            ),
            "void g(void) { s(\"%s/\"\" \"\"%llx\"); t(\"a\" \"c\"\"\"); u(L\"x\", u8\"y\", U\"z\"); }"
        );
    }
}
