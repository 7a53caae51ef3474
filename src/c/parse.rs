//! lang-c on the C view: parse one item (a function definition, or the declarations of a
//! top-level branch) and pull facts out of its syntax tree, with spans in file offsets.
//!
//! lang-c 0.15 does not let a caller register typedef names, so the known ones are declared in a
//! prelude of `typedef int NAME;` put in front of the item; spans are shifted back by the
//! prelude's length.
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use lang_c::ast::{
    BlockItem, CallExpression, Expression, ExternalDeclaration, Statement, StructType,
};
use lang_c::driver::{Config, parse_preprocessed};
use lang_c::span::Span;
use lang_c::visit::{self, Visit};

use super::typedefs::LIBC_TYPEDEFS;

/// Facts from a syntax tree. Spans are byte offsets in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CFacts {
    /// Callee names of call expressions whose callee is a plain identifier.
    pub calls: Vec<(String, Range<usize>)>,
    /// Identifiers used as expressions (not members, not declarator names).
    pub identifiers: Vec<(String, Range<usize>)>,
    /// Struct and union tags used.
    pub structs: Vec<(String, Range<usize>)>,
}

impl CFacts {
    /// Add `other`'s facts, each list kept in the order of the file, each fact once (a nested
    /// branch read with its own view brings again the `#define`s, or with the token fallback
    /// the code, its enclosing body's facts already hold).
    pub fn extend(&mut self, other: CFacts) {
        for (list, more) in [
            (&mut self.calls, other.calls),
            (&mut self.identifiers, other.identifiers),
            (&mut self.structs, other.structs),
        ] {
            list.extend(more);
            list.sort_by(|(a, span_a), (b, span_b)| {
                (span_a.start, span_a.end, a).cmp(&(span_b.start, span_b.end, b))
            });
            list.dedup();
        }
    }

    /// The facts whose span lies in `range`.
    pub fn within(&self, range: &Range<usize>) -> CFacts {
        let keep = |list: &[(String, Range<usize>)]| {
            list.iter()
                .filter(|(_, span)| range.start <= span.start && span.end <= range.end)
                .cloned()
                .collect()
        };
        CFacts {
            calls: keep(&self.calls),
            identifiers: keep(&self.identifiers),
            structs: keep(&self.structs),
        }
    }
}

/// A statement or declaration of a syntax tree, for the rules that act on statements. Spans are
/// byte offsets in the file; a statement's span ends after its `;` or `}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CStatement {
    pub span: Range<usize>,
    pub kind: StatementKind,
    /// When the statement is the unbraced body of an `if`, `else`, `while`, `for` or `do`: that
    /// statement's span and keyword. Guarding or removing such a body alone would make the next
    /// statement the body.
    pub bare_body_of: Option<(Range<usize>, &'static str)>,
    /// When labels (`case 1:`, `default:`, `out:`, several in a row) stand in front of the
    /// statement: from the first of them to the statement. C wants a statement after a label
    /// (before C23, gcc before 11).
    pub labels: Option<Range<usize>>,
    /// When the statement (labels included) is an item of a `{ … }` block: what follows it there.
    pub followed_by: Option<Followed>,
}

/// What follows an item of a `{ … }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Followed {
    /// The next item: its span, as the [`CStatement`] of that span has it.
    Item(Range<usize>),
    /// The block's closing brace.
    End,
}

/// What kind of syntax a [`CStatement`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// A statement in a function body (not a `{ … }` block).
    Statement,
    /// A declaration in a function body.
    Declaration,
    /// A declaration or function definition at the top level of the item parsed.
    TopLevel,
}

impl StatementKind {
    pub fn name(self) -> &'static str {
        match self {
            StatementKind::Statement => "statement",
            StatementKind::Declaration => "declaration",
            StatementKind::TopLevel => "top-level definition",
        }
    }
}

/// The facts of an item and its statements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CSyntax {
    pub facts: CFacts,
    pub statements: Vec<CStatement>,
}

/// lang-c could not parse an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFailure {
    /// Where, as a byte offset in the file.
    pub offset: usize,
    pub message: String,
}

/// A lang-c parser that knows a set of typedef names.
#[derive(Clone, Debug)]
pub struct CParser {
    prelude: String,
    config: Config,
}

impl CParser {
    pub fn new<'a>(typedefs: impl IntoIterator<Item = &'a str>) -> CParser {
        let mut names: BTreeSet<&str> = LIBC_TYPEDEFS.iter().copied().collect();
        names.extend(typedefs);
        CParser {
            prelude: prelude(String::new(), names),
            config: Config::with_gcc(),
        }
    }

    /// This parser with more typedef names.
    pub fn with_typedefs<'a>(&self, typedefs: impl IntoIterator<Item = &'a str>) -> CParser {
        CParser {
            prelude: prelude(self.prelude.trim_end().to_string(), typedefs),
            config: self.config.clone(),
        }
    }

    /// Parse `view[item]` (ASCII, see [`crate::c::view`]) as a translation unit.
    pub fn parse(&self, view: &[u8], item: Range<usize>) -> Result<CFacts, ParseFailure> {
        self.parse_window(&view[item.clone()], item.start)
    }

    /// As [`CParser::parse`], given only the item's bytes of the view (`window`, which starts
    /// at offset `at` of the file).
    pub fn parse_window(&self, window: &[u8], at: usize) -> Result<CFacts, ParseFailure> {
        self.syntax_window(window, at).map(|syntax| syntax.facts)
    }

    /// [`CParser::parse`], with the statements and declarations of the item.
    pub fn syntax(&self, view: &[u8], item: Range<usize>) -> Result<CSyntax, ParseFailure> {
        self.syntax_window(&view[item.clone()], item.start)
    }

    /// [`CParser::syntax`], given only the item's bytes of the view (`window`, which starts at
    /// offset `at` of the file).
    pub fn syntax_window(&self, window: &[u8], at: usize) -> Result<CSyntax, ParseFailure> {
        let item = at..at + window.len();
        if let Some((offset, why)) = beyond_limits(window) {
            return Err(ParseFailure {
                offset: item.start + offset,
                message: format!(
                    "{why}: beyond what cdefang hands to lang-c (see README.md, \"C parsing\")"
                ),
            });
        }
        let text = String::from_utf8_lossy(window);
        let mut source = String::with_capacity(self.prelude.len() + text.len());
        source.push_str(&self.prelude);
        source.push_str(&text);
        let shift = |offset: usize| offset.saturating_sub(self.prelude.len()) + item.start;
        match parse_preprocessed(&self.config, source) {
            Ok(parse) => {
                let mut collector = Collector {
                    syntax: CSyntax::default(),
                    shift: &shift,
                    prelude: self.prelude.len(),
                    text: parse.source.as_bytes(),
                    labels: HashMap::new(),
                    followers: HashMap::new(),
                };
                collector.visit_translation_unit(&parse.unit);
                Ok(collector.syntax)
            }
            Err(error) => {
                let mut expected: Vec<&str> = error
                    .expected
                    .iter()
                    .map(|token| token.trim())
                    .filter(|token| !token.is_empty())
                    .collect();
                expected.sort_unstable();
                expected.dedup();
                expected.truncate(8);
                let expected: Vec<String> =
                    expected.iter().map(|token| format!("`{token}`")).collect();
                Err(ParseFailure {
                    offset: shift(error.offset).min(item.end),
                    message: format!(
                        "lang-c: unexpected token, expected one of {}",
                        expected.join(", ")
                    ),
                })
            }
        }
    }
}

/// `start` followed by `typedef int NAME;` for each name, and a newline: what lang-c reads
/// before an item so that it knows those names as types.
fn prelude<'a>(mut start: String, names: impl IntoIterator<Item = &'a str>) -> String {
    for name in names {
        start.push_str("typedef int ");
        start.push_str(name);
        start.push(';');
    }
    start.push('\n');
    start
}

/// The deepest nesting of `(`, `[` and `{` handed to lang-c.
pub const MAX_NESTING: usize = 256;

/// The longest run of prefix operators (`!`, `~`, `-`, `+`, `*`, `&`) handed to lang-c.
pub const MAX_PREFIX_RUN: usize = 256;

/// The longest run of `+` and `-` handed to lang-c: its parser backtracks over each way to split
/// a run into `++`, `--`, `+` and `-`, which takes time exponential in the run's length (32
/// characters: half a second; 48: minutes). Real code has a few (`i++ + ++j`, `a - -b`).
pub const MAX_SIGN_RUN: usize = 12;

/// The most operators one expression (between `;`, `,`, `{` and `}`) may have for lang-c.
pub const MAX_OPERATORS: usize = 4096;

/// Where code goes beyond what lang-c can take, and how: nesting its recursive parser (and the
/// recursive walks of its tree) cannot take on a thread's stack, or a run of `+`/`-` it takes
/// exponential time over; `None` when it is within the limits. Real code is far inside them;
/// generated or hostile input is answered with a parse failure, not a crash or a hang.
fn beyond_limits(code: &[u8]) -> Option<(usize, String)> {
    let mut depth = Count::new(MAX_NESTING, "nested more than {} levels deep");
    let mut operators = Count::new(MAX_OPERATORS, "more than {} operators in one expression");
    let mut sign_run = Count::new(MAX_SIGN_RUN, "more than {} `+` and `-` in a row");
    let mut prefix_run = Count::new(MAX_PREFIX_RUN, "more than {} prefix operators in a row");
    let mut index = 0;
    while let Some(&byte) = code.get(index) {
        let over = match byte {
            b'"' | b'\'' => {
                // Skip the literal, escapes included; it ends at its quote or the line's end.
                index += 1;
                while let Some(&inner) = code.get(index) {
                    if inner == b'\\' {
                        index += 1;
                    } else if inner == byte || inner == b'\n' {
                        break;
                    }
                    index += 1;
                }
                prefix_run.reset();
                sign_run.reset();
                None
            }
            b'(' | b'[' | b'{' => {
                prefix_run.reset();
                sign_run.reset();
                if byte == b'{' {
                    operators.reset();
                }
                depth.add()
            }
            b')' | b']' | b'}' => {
                depth.remove();
                prefix_run.reset();
                sign_run.reset();
                if byte == b'}' {
                    operators.reset();
                }
                None
            }
            b';' | b',' => {
                operators.reset();
                prefix_run.reset();
                sign_run.reset();
                None
            }
            b'!' | b'~' | b'-' | b'+' | b'*' | b'&' | b'/' | b'%' | b'<' | b'>' | b'=' | b'|'
            | b'^' | b'?' => operators
                .add()
                .or_else(|| sign_run.add_if(matches!(byte, b'+' | b'-')))
                .or_else(|| {
                    prefix_run.add_if(matches!(byte, b'!' | b'~' | b'-' | b'+' | b'*' | b'&'))
                }),
            b' ' | b'\t' | b'\n' | b'\r' => None,
            _ => {
                prefix_run.reset();
                sign_run.reset();
                None
            }
        };
        if let Some(why) = over {
            return Some((index, why));
        }
        index += 1;
    }
    None
}

/// A count with a limit, for [`beyond_limits`].
struct Count {
    now: usize,
    most: usize,
    /// What going over means, `{}` standing for the limit.
    what: &'static str,
}

impl Count {
    fn new(most: usize, what: &'static str) -> Count {
        Count { now: 0, most, what }
    }

    /// One more; what going over means when it goes over.
    fn add(&mut self) -> Option<String> {
        self.now += 1;
        (self.now > self.most).then(|| self.what.replace("{}", &self.most.to_string()))
    }

    /// One more if `counts`, else back to none (a run broken).
    fn add_if(&mut self, counts: bool) -> Option<String> {
        if counts {
            self.add()
        } else {
            self.reset();
            None
        }
    }

    fn remove(&mut self) {
        self.now = self.now.saturating_sub(1);
    }

    fn reset(&mut self) {
        self.now = 0;
    }
}

struct Collector<'s> {
    syntax: CSyntax,
    shift: &'s dyn Fn(usize) -> usize,
    /// The prelude's length: top-level declarations before it are the prelude's.
    prelude: usize,
    /// What lang-c parsed (the prelude, then the item).
    text: &'s [u8],
    /// The labels in front of a statement, by its span (found at the outermost label).
    labels: HashMap<Range<usize>, Range<usize>>,
    /// What follows each item of a block, by its span (found at the block).
    followers: HashMap<Range<usize>, Followed>,
}

impl Collector<'_> {
    fn span(&self, span: &Span) -> Range<usize> {
        (self.shift)(span.start)..(self.shift)(span.end)
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_expression(&mut self, expression: &'ast Expression, span: &'ast Span) {
        if let Expression::Identifier(identifier) = expression {
            let range = self.span(&identifier.span);
            self.syntax
                .facts
                .identifiers
                .push((identifier.node.name.clone(), range));
        }
        visit::visit_expression(self, expression, span);
    }

    fn visit_call_expression(&mut self, call: &'ast CallExpression, span: &'ast Span) {
        if let Expression::Identifier(identifier) = &call.callee.node {
            let range = self.span(&identifier.span);
            self.syntax
                .facts
                .calls
                .push((identifier.node.name.clone(), range));
        }
        visit::visit_call_expression(self, call, span);
    }

    fn visit_struct_type(&mut self, struct_type: &'ast StructType, span: &'ast Span) {
        if let Some(identifier) = &struct_type.identifier {
            let range = self.span(&identifier.span);
            self.syntax
                .facts
                .structs
                .push((identifier.node.name.clone(), range));
        }
        visit::visit_struct_type(self, struct_type, span);
    }

    fn visit_external_declaration(
        &mut self,
        declaration: &'ast ExternalDeclaration,
        span: &'ast Span,
    ) {
        if span.start >= self.prelude {
            self.push(span, StatementKind::TopLevel, None);
        }
        visit::visit_external_declaration(self, declaration, span);
    }

    fn visit_block_item(&mut self, item: &'ast BlockItem, span: &'ast Span) {
        if let BlockItem::Declaration(_) = item {
            self.push(span, StatementKind::Declaration, None);
        }
        visit::visit_block_item(self, item, span);
    }

    fn visit_statement(&mut self, statement: &'ast Statement, span: &'ast Span) {
        if !matches!(statement, Statement::Compound(_)) {
            // Its bare body, if it is one, was recorded by its parent below.
            let this = self.trimmed(span);
            let recorded = self
                .syntax
                .statements
                .iter()
                .any(|known| known.bare_body_of.is_some() && known.span == this);
            if !recorded {
                self.push(span, StatementKind::Statement, None);
            }
        }
        let this = self.trimmed(span);
        match statement {
            Statement::Compound(items) => {
                let spans: Vec<Range<usize>> =
                    items.iter().map(|item| self.trimmed(&item.span)).collect();
                for (at, item) in spans.iter().enumerate() {
                    let next = spans
                        .get(at + 1)
                        .cloned()
                        .map_or(Followed::End, Followed::Item);
                    self.followers.insert(item.clone(), next);
                }
            }
            Statement::Labeled(labeled) if !self.labels.contains_key(&this) => {
                // The outermost label of a row: each statement after it is labelled from here.
                let mut inner = &labeled.node.statement;
                loop {
                    let labelled = self.trimmed(&inner.span);
                    let labels = this.start..labelled.start;
                    self.labels.insert(labelled, labels);
                    match &inner.node {
                        Statement::Labeled(next) => inner = &next.node.statement,
                        _ => break,
                    }
                }
            }
            _ => {}
        }
        let mut bodies: Vec<(&Span, &'static str)> = Vec::new();
        match statement {
            Statement::If(node) => {
                bodies.push((&node.node.then_statement.span, "if"));
                if let Some(otherwise) = &node.node.else_statement {
                    bodies.push((&otherwise.span, "else"));
                }
            }
            Statement::While(node) => bodies.push((&node.node.statement.span, "while")),
            Statement::DoWhile(node) => bodies.push((&node.node.statement.span, "do")),
            Statement::For(node) => bodies.push((&node.node.statement.span, "for")),
            _ => {}
        }
        let bare = |body: &Span| match statement {
            Statement::If(node) => {
                let then = &node.node.then_statement;
                let otherwise = node.node.else_statement.as_deref();
                [Some(then.as_ref()), otherwise]
                    .into_iter()
                    .flatten()
                    .any(|child| {
                        child.span == *body && !matches!(child.node, Statement::Compound(_))
                    })
            }
            Statement::While(node) => !matches!(node.node.statement.node, Statement::Compound(_)),
            Statement::DoWhile(node) => !matches!(node.node.statement.node, Statement::Compound(_)),
            Statement::For(node) => !matches!(node.node.statement.node, Statement::Compound(_)),
            _ => false,
        };
        for (body, keyword) in bodies {
            if bare(body) {
                self.push(
                    body,
                    StatementKind::Statement,
                    Some((this.clone(), keyword)),
                );
            }
        }
        visit::visit_statement(self, statement, span);
    }
}

impl Collector<'_> {
    /// A statement's span without the blanks lang-c may end it with.
    fn trimmed(&self, span: &Span) -> Range<usize> {
        let mut end = span.end.min(self.text.len());
        while end > span.start && self.text[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        self.span(&Span::span(span.start, end))
    }

    fn push(
        &mut self,
        span: &Span,
        kind: StatementKind,
        bare_body_of: Option<(Range<usize>, &'static str)>,
    ) {
        // lang-c ends some statements (an `if` without `else`) after the blanks that follow.
        let span = self.trimmed(span);
        self.syntax.statements.push(CStatement {
            labels: self.labels.get(&span).cloned(),
            followed_by: self.followers.get(&span).cloned(),
            span,
            kind,
            bare_body_of,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_facts_are_in_file_order_and_once() {
        let fact = |name: &str, at: usize| (name.to_string(), at..at + name.len());
        let mut facts = CFacts {
            calls: vec![fact("b", 20), fact("a", 2)],
            ..CFacts::default()
        };
        facts.extend(CFacts {
            calls: vec![fact("a", 2), fact("c", 9)],
            ..CFacts::default()
        });
        assert_eq!(facts.calls, [fact("a", 2), fact("c", 9), fact("b", 20)]);
    }

    #[test]
    fn depth_limits_count_code_not_literals() {
        let parens = "(".repeat(MAX_NESTING);
        let in_literals = format!("char *s = \"{parens}\\\"{parens}\"; char c = '(';");
        assert_eq!(beyond_limits(in_literals.as_bytes()), None);
        let deep = format!(
            "int x = {}1{};",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            beyond_limits(deep.as_bytes()).map(|(offset, _)| offset),
            Some(8 + MAX_NESTING)
        );
        // Operators are counted per expression: a long table is not one expression.
        let table = format!("int t[] = {{ {} }};", "1 + 1, ".repeat(MAX_OPERATORS * 2));
        assert_eq!(beyond_limits(table.as_bytes()), None);
        let signs = format!(
            "int x = y{}z; int w = i++ + ++j - -k;",
            "+".repeat(MAX_SIGN_RUN + 1)
        );
        assert!(
            beyond_limits(signs.as_bytes()).is_some_and(|(offset, _)| offset == 9 + MAX_SIGN_RUN)
        );
        assert_eq!(beyond_limits(&signs.as_bytes()[MAX_SIGN_RUN..]), None);
        let chain = format!("int x = 1{};", " - 1".repeat(MAX_OPERATORS + 1));
        assert!(beyond_limits(chain.as_bytes()).is_some_and(|(_, why)| why.contains("operators")));
    }

    fn facts_of(source: &str, typedefs: &[&str]) -> Result<CFacts, ParseFailure> {
        let parser = CParser::new(typedefs.iter().copied());
        parser.parse(source.as_bytes(), 0..source.len())
    }

    fn names(list: &[(String, Range<usize>)]) -> Vec<&str> {
        list.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn calls_are_call_expressions_only() {
        let source = "void f(void) { int unshare(int); if (unshare(m)) x.unshare = 1; g = unshare; (void) h(\"unshare()\"); }";
        let facts = facts_of(source, &[]).unwrap();
        assert_eq!(names(&facts.calls), vec!["unshare", "h"]);
        let (_, span) = &facts.calls[0];
        assert_eq!(&source[span.clone()], "unshare");
        assert!(names(&facts.identifiers).contains(&"g"));
        assert_eq!(
            names(&facts.identifiers)
                .iter()
                .filter(|name| **name == "unshare")
                .count(),
            2,
            "the callee and the reference `g = unshare`, not the member or the declarator"
        );
    }

    #[test]
    fn structs_and_failure_offsets() {
        let source = "\n\nvoid f(void) { struct inotify_event ie; read(0, &ie, sizeof(struct inotify_event)); }";
        let facts = facts_of(source, &[]).unwrap();
        assert_eq!(
            names(&facts.structs),
            vec!["inotify_event", "inotify_event"]
        );
        let broken = "void f(void) { x = ; }";
        let failure = facts_of(broken, &[]).unwrap_err();
        assert_eq!(failure.offset, broken.find(';').unwrap());
    }
}

#[cfg(test)]
mod statement_tests {
    use super::*;

    fn statements(source: &str) -> Vec<(String, StatementKind, Option<&'static str>)> {
        let parser = CParser::new([]);
        let syntax = parser.syntax(source.as_bytes(), 0..source.len()).unwrap();
        syntax
            .statements
            .into_iter()
            .map(|statement| {
                (
                    source[statement.span].to_string(),
                    statement.kind,
                    statement.bare_body_of.map(|(_, keyword)| keyword),
                )
            })
            .collect()
    }

    #[test]
    fn statements_declarations_and_bare_bodies() {
        let source = "int g;\nvoid f(void) {\n\tint x = h();\n\tif (a) b(); else { c(); }\n\twhile (d) e();\n}\n";
        let found = statements(source);
        use StatementKind::*;
        assert!(found.contains(&("int g;".into(), TopLevel, None)));
        assert!(found.contains(&("int x = h();".into(), Declaration, None)));
        assert!(found.contains(&("if (a) b(); else { c(); }".into(), Statement, None)));
        assert!(found.contains(&("b();".into(), Statement, Some("if"))));
        assert!(found.contains(&("c();".into(), Statement, None)));
        assert!(found.contains(&("e();".into(), Statement, Some("while"))));
        // An `if` without `else` ends at its body, not at the blanks after it.
        let source = "void f(void) {\n\tif (a) {\n\t\tb();\n\t}\n\n\tc();\n}\n";
        assert!(statements(source).contains(&("if (a) {\n\t\tb();\n\t}".into(), Statement, None)));
        assert_eq!(
            found.iter().filter(|(text, _, _)| text == "b();").count(),
            1,
            "a bare body is recorded once: {found:?}"
        );
    }

    #[test]
    fn labels_and_what_follows_each_block_item() {
        let source = "void f(int k) {\n\tswitch (k) {\n\tcase 0:\n\t\tbreak;\n\tdefault:\n\t\tx();\n\t}\nout: a: y();\n\tint z;\n}\n";
        let syntax = CParser::new([])
            .syntax(source.as_bytes(), 0..source.len())
            .unwrap();
        let at = |text: &str| {
            syntax
                .statements
                .iter()
                .find(|statement| &source[statement.span.clone()] == text)
                .unwrap_or_else(|| panic!("no statement {text:?}: {:?}", syntax.statements))
        };
        let labels = |text: &str| at(text).labels.clone().map(|span| &source[span]);
        assert_eq!(labels("x();"), Some("default:\n\t\t"));
        assert_eq!(labels("break;"), Some("case 0:\n\t\t"));
        assert_eq!(labels("y();"), Some("out: a: "));
        assert_eq!(labels("a: y();"), Some("out: "));
        assert_eq!(labels("out: a: y();"), None);
        let followed = |text: &str| match at(text).followed_by.clone() {
            Some(Followed::Item(span)) => Some(&source[span]),
            Some(Followed::End) => Some("}"),
            None => None,
        };
        assert_eq!(followed("case 0:\n\t\tbreak;"), Some("default:\n\t\tx();"));
        assert_eq!(followed("default:\n\t\tx();"), Some("}"));
        assert_eq!(followed("x();"), None, "the item is the labelled statement");
        assert_eq!(followed("out: a: y();"), Some("int z;"));
        assert_eq!(followed("int z;"), Some("}"));
    }
}
