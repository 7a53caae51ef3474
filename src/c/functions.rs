//! Function definitions at the top level of a file, found by brace depth on a C view (one
//! branch of each conditional active, see [`super::view`]), and the function around an offset.

use std::collections::HashMap;
use std::ops::Range;

use super::tokens::{Token, TokenKind, Tokens, tokens};
use super::view::{FUNCTION_TYPE, Macros, default_branches, group_view, view};
use crate::source::{CondTree, Conditional, Scan};

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
    let mut functions = Vec::new();
    let mut depth = 0usize;
    // The tokens of the top-level item being read, up to its `{` (only those are kept: a
    // file's tokens are not held at once).
    let mut header: Vec<Token> = Vec::new();
    // The first token and the `{` of the open top-level item and, if it is a function, its name.
    let mut open: Option<(usize, usize, Option<FunctionName>)> = None;
    for token in Tokens::new(view, 0..view.len()) {
        match &view[token.span.clone()] {
            b"{" => {
                if depth == 0 {
                    let name = function_name(view, &header);
                    let start = header
                        .first()
                        .map_or(token.span.start, |first| first.span.start);
                    open = Some((start, token.span.start, name));
                    header.clear();
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
                    header.clear();
                }
            }
            b";" if depth == 0 => header.clear(),
            _ if depth == 0 => header.push(token),
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

/// The functions of a file, and what it takes to find the function around any branch body
/// without building another view of the whole file: made once per file, in time linear in its
/// size.
///
/// A body active in the default view is in the default view's functions. Another body differs
/// from the default view only inside the outermost conditional whose default branch does not
/// hold it (its *group*): the view of that group alone with the body active is read, and when
/// its braces balance inside a function of the default view, that is the function; when the
/// group stands at the top level after a complete item, the functions are those of the group's
/// view. Only when neither holds (a group that opens or closes a function's braces) does the
/// caller need the view of the whole file ([`Enclosing::NeedsFocusedView`]). Each lookup costs
/// the size of the body's group.
pub struct FunctionIndex {
    view: Vec<u8>,
    functions: Vec<Function>,
    /// After each top-level `{`/`}` (offset past it), the brace depth there, in order.
    depths: Vec<(usize, usize)>,
    /// Each conditional's default branch, by its `#endif`'s index.
    defaults: HashMap<usize, Option<usize>>,
    /// Each branch by the start of its body: whether the default view has it active, and
    /// otherwise its group (by its `#endif`'s index).
    branches: HashMap<usize, Option<usize>>,
}

/// The function around a body, as [`FunctionIndex::enclosing`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enclosing {
    Function(Function),
    TopLevel,
    /// The body's group opens or closes braces of the code around it: build the view of the
    /// whole file with the body active and read its functions.
    NeedsFocusedView,
}

/// The conditional whose `#endif` is `endif`, on the way from the roots of `tree` to `offset`.
fn conditional_towards(tree: &CondTree, offset: usize, endif: usize) -> Option<&Conditional> {
    let mut level = &tree.roots;
    loop {
        let index = level
            .partition_point(|conditional| conditional.branches[0].body.start <= offset)
            .checked_sub(1)?;
        let conditional = &level[index];
        if conditional.endif == endif {
            return Some(conditional);
        }
        let branch = conditional
            .branches
            .iter()
            .rev()
            .find(|branch| branch.body.start <= offset)?;
        level = &branch.children;
    }
}

impl FunctionIndex {
    pub fn new(scan: &Scan, tree: &CondTree, macros: &Macros) -> FunctionIndex {
        let view = view(scan, tree, None, macros);
        let functions = functions(&view);
        let mut depths = Vec::new();
        let mut depth = 0usize;
        for token in Tokens::new(&view, 0..view.len()) {
            match &view[token.span.clone()] {
                b"{" => depth += 1,
                b"}" => depth = depth.saturating_sub(1),
                _ => continue,
            }
            depths.push((token.span.end, depth));
        }
        let defaults = default_branches(scan, tree);
        let mut branches = HashMap::new();
        fn visit(
            conditional: &Conditional,
            group: Option<usize>,
            defaults: &HashMap<usize, Option<usize>>,
            branches: &mut HashMap<usize, Option<usize>>,
        ) {
            let default = defaults.get(&conditional.endif).copied().flatten();
            for (index, branch) in conditional.branches.iter().enumerate() {
                let group = group.or((Some(index) != default).then_some(conditional.endif));
                branches.insert(branch.body.start, group);
                for child in &branch.children {
                    visit(child, group, defaults, branches);
                }
            }
        }
        for root in &tree.roots {
            visit(root, None, &defaults, &mut branches);
        }
        FunctionIndex {
            view,
            functions,
            depths,
            defaults,
            branches,
        }
    }

    /// The branch of `conditional` that a view makes active when its focus is elsewhere (see
    /// [`crate::c::view`]); `None` when no branch is (`#if 0` alone).
    pub fn default_branch(&self, conditional: &Conditional) -> Option<usize> {
        self.defaults.get(&conditional.endif).copied().flatten()
    }

    /// The functions of the default view.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// Whether `body` (a branch body) is active in the default view.
    pub fn active_by_default(&self, body: &Range<usize>) -> bool {
        self.branches.get(&body.start) == Some(&None)
    }

    /// The bytes of the view with `body` active that lang-c is given for it: those of the
    /// function holding it, or of the body itself at the top level, and the offset where they
    /// start. Borrowed from the default view when `body` is active there; otherwise the
    /// function's bytes with the body's group read with the body active (see
    /// [`FunctionIndex::enclosing`]). `None`: the view of the whole file is needed.
    pub fn item_view(
        &self,
        scan: &Scan,
        tree: &CondTree,
        macros: &Macros,
        body: &Range<usize>,
    ) -> Option<(usize, std::borrow::Cow<'_, [u8]>)> {
        use std::borrow::Cow;
        let group = match self.branches.get(&body.start)? {
            None => {
                let item = enclosing(&self.functions, body.start)
                    .map_or(body.clone(), |function| function.item.clone());
                return Some((item.start, Cow::Borrowed(&self.view[item])));
            }
            Some(endif) => conditional_towards(tree, body.start, *endif)?,
        };
        let (span, group_bytes) = self.group(scan, macros, group, body)?;
        match self.enclosing_given(&span, &group_bytes, body) {
            Enclosing::Function(function) if function.item.start < span.start => {
                // A function of the default view around the group: its bytes, the group's
                // replaced.
                let item = function.item;
                let mut window = self.view[item.clone()].to_vec();
                window[span.start - item.start..span.end - item.start]
                    .copy_from_slice(&group_bytes);
                Some((item.start, Cow::Owned(window)))
            }
            Enclosing::Function(function) => {
                let local = function.item.start - span.start..function.item.end - span.start;
                Some((function.item.start, Cow::Owned(group_bytes[local].to_vec())))
            }
            Enclosing::TopLevel => {
                let local = body.start - span.start..body.end - span.start;
                Some((body.start, Cow::Owned(group_bytes[local].to_vec())))
            }
            Enclosing::NeedsFocusedView => None,
        }
    }

    /// The view of `group` with `body` active, and its span.
    fn group(
        &self,
        scan: &Scan,
        macros: &Macros,
        group: &Conditional,
        body: &Range<usize>,
    ) -> Option<(Range<usize>, Vec<u8>)> {
        let default_of =
            |conditional: &Conditional| self.defaults.get(&conditional.endif).copied().flatten();
        Some(group_view(scan, group, body, &default_of, macros))
    }

    /// The brace depth of the default view at `offset`.
    fn depth_at(&self, offset: usize) -> usize {
        let index = self.depths.partition_point(|(end, _)| *end <= offset);
        index.checked_sub(1).map_or(0, |index| self.depths[index].1)
    }

    /// The function whose body holds `body` (a branch body) in the view with `body` active
    /// (`scan`, `tree` and `macros`: those the index was made with).
    pub fn enclosing(
        &self,
        scan: &Scan,
        tree: &CondTree,
        macros: &Macros,
        body: &Range<usize>,
    ) -> Enclosing {
        let found = |function: Option<&Function>| match function {
            Some(function) => Enclosing::Function(function.clone()),
            None => Enclosing::TopLevel,
        };
        let group = match self.branches.get(&body.start) {
            None => return Enclosing::NeedsFocusedView,
            Some(None) => return found(enclosing(&self.functions, body.start)),
            Some(Some(endif)) => match conditional_towards(tree, body.start, *endif) {
                Some(group) => group,
                None => return Enclosing::NeedsFocusedView,
            },
        };
        match self.group(scan, macros, group, body) {
            Some((span, view)) => self.enclosing_given(&span, &view, body),
            None => Enclosing::NeedsFocusedView,
        }
    }

    /// The function around `body`, given the view of its group (`span`, `view`).
    fn enclosing_given(&self, span: &Range<usize>, view: &[u8], body: &Range<usize>) -> Enclosing {
        let span = span.clone();
        let tokens = tokens(view, 0..view.len());
        let mut depth = 0isize;
        let mut balanced = true;
        for token in &tokens {
            match &view[token.span.clone()] {
                b"{" => depth += 1,
                b"}" => depth -= 1,
                _ => {}
            }
            balanced &= depth >= 0;
        }
        balanced &= depth == 0;
        // Inside a function of the default view, braces balanced: that function.
        if let Some(function) = enclosing(&self.functions, span.start)
            && balanced
            && span.end <= function.body.end
        {
            return Enclosing::Function(function.clone());
        }
        // At the top level after a complete item (or at the start): the group's own functions.
        let before = self.view[..span.start]
            .iter()
            .rev()
            .find(|byte| !byte.is_ascii_whitespace());
        let after_item = matches!(before, None | Some(b';' | b'}'));
        if balanced && after_item && self.depth_at(span.start) == 0 {
            let inside = functions(view);
            let local = body.start - span.start;
            return match enclosing(&inside, local) {
                Some(function) => {
                    let shift =
                        |range: &Range<usize>| range.start + span.start..range.end + span.start;
                    Enclosing::Function(Function {
                        name: function.name.clone(),
                        name_span: shift(&function.name_span),
                        body: shift(&function.body),
                        item: shift(&function.item),
                    })
                }
                None => Enclosing::TopLevel,
            };
        }
        Enclosing::NeedsFocusedView
    }
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

    /// The function around every branch body of `source`, found by the index and by the view
    /// of the whole file with that body active: the same, or the index defers to the view.
    fn index_agrees_with_focused_views(source: &[u8]) -> (usize, usize) {
        let scan = scan(source).unwrap();
        let tree = build(&scan.directives).unwrap();
        let macros = super::super::view::Macros::default();
        let index = FunctionIndex::new(&scan, &tree, &macros);
        let (mut answered, mut deferred) = (0, 0);
        for conditional in tree.all() {
            for branch in &conditional.branches {
                let view =
                    super::super::view::view(&scan, &tree, Some(branch.body.clone()), &macros);
                let focused = functions(&view);
                let expected = enclosing(&focused, branch.body.start);
                // The bytes lang-c would get: those of the view of the whole file.
                if let Some((at, window)) = index.item_view(&scan, &tree, &macros, &branch.body) {
                    let item =
                        expected.map_or(branch.body.clone(), |function| function.item.clone());
                    assert_eq!(at, item.start, "{:?}", branch.body);
                    assert_eq!(&window[..], &view[item], "{:?}", branch.body);
                }
                match index.enclosing(&scan, &tree, &macros, &branch.body) {
                    Enclosing::Function(function) => {
                        assert_eq!(Some(&function), expected, "{:?}", branch.body);
                        answered += 1;
                    }
                    Enclosing::TopLevel => {
                        assert_eq!(None, expected, "{:?}", branch.body);
                        answered += 1;
                    }
                    Enclosing::NeedsFocusedView => deferred += 1,
                }
            }
        }
        (answered, deferred)
    }

    #[test]
    fn the_index_finds_what_the_focused_view_finds() {
        let source = b"struct s { int a;\n#ifndef B\nint b;\n#endif\n};\n#ifdef A\nint f(int a) {\n#else\nint f(long a) {\n#endif\n#ifndef X\n  x();\n#else\n  y();\n#endif\n  { z(); }\n}\n#ifndef Y\nstatic void g(void)\n{\n#if 0\n  q();\n#endif\n}\n#endif\nint h(void) {\n#if defined(A) && !defined(B)\n  if (a) {\n#else\n  if (b) {\n#endif\n    w();\n  }\n}\n";
        let (answered, deferred) = index_agrees_with_focused_views(source);
        assert!(
            answered >= 6 && deferred <= 3,
            "{answered} answered, {deferred} deferred"
        );
        // Every C file of the test data.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut total = (0, 0);
        for entry in walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if !matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "h")) {
                continue;
            }
            let bytes = std::fs::read(path).unwrap();
            let Ok(scanned) = scan(&bytes) else { continue };
            if build(&scanned.directives).is_err() {
                continue;
            }
            let (answered, deferred) = index_agrees_with_focused_views(&bytes);
            total = (total.0 + answered, total.1 + deferred);
        }
        eprintln!("testdata: {total:?} (answered, deferred)");
        assert!(total.0 > 10 * total.1.max(1), "{total:?}");
    }

    #[test]
    fn the_index_finds_what_the_focused_view_finds_on_uwsgi() {
        let cache = std::env::var_os("CDEFANG_UWSGI_CACHE")
            .filter(|value| !value.is_empty())
            .map_or_else(
                || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/uwsgi"),
                std::path::PathBuf::from,
            );
        let core = cache.join("uwsgi-2.0.17/core");
        let Ok(entries) = std::fs::read_dir(&core) else {
            eprintln!(
                "SKIPPED: no {} (scripts/fetch-uwsgi.sh 2.0.17)",
                core.display()
            );
            return;
        };
        let mut total = (0, 0);
        for entry in entries {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let (answered, deferred) = index_agrees_with_focused_views(&bytes);
            total = (total.0 + answered, total.1 + deferred);
        }
        eprintln!("uWSGI 2.0.17 core: {total:?} (answered, deferred)");
        assert!(total.0 > 20 * total.1.max(1), "{total:?}");
    }
}
