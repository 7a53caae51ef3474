//! Matching: which conditionals of one file each rule selects, and why. Knows rules and trees,
//! nothing about the command line or the disk. [`FileFacts`] is what the matcher knows of a
//! file: the parsed file, and lazily the views and parses that body predicates need.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use std::sync::OnceLock;

use crate::c::{self, CFacts, CParser, Function, Macros, ParseFailure, TokenKind};
use crate::cond::{self, Expr, Norm};
use crate::rules::{Action, Fallback, Rule};
use crate::source::{CondTree, Conditional, ParsedFile, Scan, SourceError};

/// What the matcher knows about one file. Derived views are computed on first use.
pub struct FileFacts<'a> {
    pub source: &'a [u8],
    pub scan: &'a Scan,
    pub tree: &'a CondTree,
    /// The parsed condition of each directive (`None` for directives that have none).
    pub conditions: &'a [Option<Expr>],
    code: OnceLock<Vec<u8>>,
    /// The functions of the default view and the function around any branch body (once).
    functions: OnceLock<c::FunctionIndex>,
    macros: &'a Macros,
    base_parser: &'a CParser,
    /// The base parser plus this file's own typedef names.
    parser: OnceLock<CParser>,
    /// The last focused view, with the focus it was made for.
    focused: RefCell<Option<(Range<usize>, Rc<Focused>)>>,
}

/// A C view with one branch body active, and the functions read from it.
struct Focused {
    view: Vec<u8>,
    functions: Vec<Function>,
}

/// How a branch body's C facts were had.
pub enum BodyFacts {
    Parsed(CFacts),
    /// lang-c failed on the item holding the body.
    Unparsable(ParseFailure),
}

impl<'a> FileFacts<'a> {
    /// What the matcher knows of `parsed`, whose conditions must all be readable.
    pub fn new(
        parsed: &'a ParsedFile<'a>,
        macros: &'a Macros,
        base_parser: &'a CParser,
    ) -> Result<FileFacts<'a>, SourceError> {
        Ok(FileFacts {
            source: parsed.source,
            scan: &parsed.scan,
            tree: &parsed.tree,
            conditions: parsed.conditions()?,
            code: OnceLock::new(),
            functions: OnceLock::new(),
            macros,
            base_parser,
            parser: OnceLock::new(),
            focused: RefCell::new(None),
        })
    }

    fn parser(&self) -> &CParser {
        self.parser.get_or_init(|| {
            let mut own = c::typedef_names(self.code());
            own.extend(c::guess_type_names(self.code()));
            self.base_parser
                .with_typedefs(own.iter().map(String::as_str))
        })
    }

    /// The C facts of a branch body: the view with the body active is parsed with lang-c,
    /// one item: the function holding the body, or, for a body at the top level, the body
    /// itself (whole declarations and functions).
    pub fn body_facts(&self, body: Range<usize>) -> BodyFacts {
        // The item's bytes from the file's function index, without a view of the whole file.
        if let Some((at, window)) = self
            .index()
            .item_view(self.scan, self.tree, self.macros, &body)
        {
            return match self.parser().parse_window(&window, at) {
                Ok(parsed) => BodyFacts::Parsed(parsed.within(&body)),
                Err(failure) => BodyFacts::Unparsable(failure),
            };
        }
        let focused = self.focused(body.clone());
        let (view, functions) = (&focused.view, &focused.functions);
        let item = match c::enclosing(functions, body.start) {
            Some(function) => function.item.clone(),
            None => body.clone(),
        };
        match self.parser().parse(view, item) {
            Ok(parsed) => BodyFacts::Parsed(parsed.within(&body)),
            Err(failure) => BodyFacts::Unparsable(failure),
        }
    }

    /// The file's code view (comments and directive lines blanked), made once.
    pub fn code(&self) -> &[u8] {
        self.code.get_or_init(|| self.scan.code_view())
    }

    fn index(&self) -> &c::FunctionIndex {
        self.functions
            .get_or_init(|| c::FunctionIndex::new(self.scan, self.tree, self.macros))
    }

    fn functions(&self) -> &[Function] {
        self.index().functions()
    }

    /// The functions named `name` (a header split by conditionals is still one function).
    pub fn functions_named(&self, name: &str) -> impl Iterator<Item = &Function> {
        self.functions()
            .iter()
            .filter(move |function| function.name == name)
    }

    /// The view with `focus` active and the functions read from it; the last one is cached,
    /// since a site asks for its enclosing function and then for its body's facts.
    fn focused(&self, focus: Range<usize>) -> Rc<Focused> {
        let mut cache = self.focused.borrow_mut();
        if let Some((cached, focused)) = cache.as_ref()
            && *cached == focus
        {
            return Rc::clone(focused);
        }
        let view = c::view(self.scan, self.tree, Some(focus.clone()), self.macros);
        let functions = c::functions(&view);
        let focused = Rc::new(Focused { view, functions });
        *cache = Some((focus, Rc::clone(&focused)));
        focused
    }

    /// The `#include`s of `headers` in `within`: each directive from `#` to the end of its text.
    fn includes<'h>(
        &self,
        within: Range<usize>,
        headers: &'h [String],
    ) -> impl Iterator<Item = Range<usize>> + use<'a, 'h> {
        self.scan
            .includes(within)
            .filter(|include| {
                headers
                    .iter()
                    .any(|header| header.as_bytes() == include.header())
            })
            .map(|include| include.directive.text_span())
    }

    /// The function around a branch body, read from the view in which that body is active (so
    /// a function under `#ifndef X` is found for a block inside it, whatever the default view).
    pub fn enclosing_function(&self, body: Range<usize>) -> Option<Function> {
        match self
            .index()
            .enclosing(self.scan, self.tree, self.macros, &body)
        {
            c::Enclosing::Function(function) => return Some(function),
            c::Enclosing::TopLevel => return None,
            c::Enclosing::NeedsFocusedView => {}
        }
        let focused = self.focused(body.clone());
        c::enclosing(&focused.functions, body.start).cloned()
    }
}

/// One place a rule matched: a conditional and the branches it selected there.
#[derive(Clone, Debug)]
pub struct Site<'t> {
    pub rule: usize,
    pub conditional: &'t Conditional,
    /// Indices of the selected branches (for `resolve`, the first branch that tests a symbol).
    pub branches: Vec<usize>,
    /// What satisfied the body predicates: (span, what) pairs, for explanations.
    pub evidence: Vec<(Range<usize>, String)>,
    /// The enclosing function's name, when the rule asked for one.
    pub function: Option<String>,
    /// The span of that function's name in its definition.
    pub function_name: Option<Range<usize>>,
}

/// Every site where `rule` (index `rule_index`) matches in the file.
pub fn find<'t>(
    rule_index: usize,
    rule: &Rule,
    facts: &FileFacts<'t>,
    warnings: &mut Vec<ParseWarning>,
) -> Result<Vec<Site<'t>>, Unparsable> {
    let mut sites = Vec::new();
    for conditional in facts.tree.all() {
        let mut site: Option<Site<'t>> = None;
        for (index, branch) in conditional.branches.iter().enumerate() {
            let Some(condition) = &facts.conditions[branch.directive] else {
                continue; // `#else`
            };
            let mut evidence = Vec::new();
            if !condition_matches(rule, condition, facts.source, &mut evidence) {
                continue;
            }
            let function = match &rule.matcher.inside {
                Some(wanted) => match facts.enclosing_function(branch.body.clone()) {
                    Some(function) if function.name == *wanted => {
                        evidence.push((function.name_span.clone(), format!("inside `{wanted}`")));
                        Some(function)
                    }
                    _ => continue,
                },
                None => None,
            };
            let body = branch.body.clone();
            if !body_matches(rule, rule_index, facts, body, &mut evidence, warnings)? {
                continue;
            }
            match &mut site {
                Some(site) => {
                    site.branches.push(index);
                    site.evidence.extend(evidence);
                }
                None => {
                    site = Some(Site {
                        rule: rule_index,
                        conditional,
                        branches: vec![index],
                        evidence,
                        function_name: function.as_ref().map(|f| f.name_span.clone()),
                        function: function.map(|f| f.name),
                    })
                }
            }
            if matches!(rule.action, Action::Resolve(_)) {
                break; // resolve acts on the whole group once
            }
        }
        sites.extend(site);
    }
    Ok(sites)
}

/// lang-c could not parse what a rule needed, and the rule has no fallback.
#[derive(Clone, Debug)]
pub struct Unparsable {
    pub rule: usize,
    /// The branch body whose facts were needed.
    pub body: Range<usize>,
    pub failure: ParseFailure,
}

/// lang-c could not parse what a rule needed; the rule fell back to tokens.
#[derive(Clone, Debug)]
pub struct ParseWarning {
    pub rule: usize,
    pub body: Range<usize>,
    pub failure: ParseFailure,
}

fn condition_matches(
    rule: &Rule,
    condition: &Expr,
    source: &[u8],
    evidence: &mut Vec<(Range<usize>, String)>,
) -> bool {
    let norm = Norm::of(condition);
    let span = condition.span.clone().unwrap_or(0..0);
    if let Some(wanted) = &rule.matcher.condition {
        if *wanted != norm {
            return false;
        }
        evidence.push((span.clone(), format!("condition `{wanted}` matches")));
    }
    if !rule.matcher.uses.is_empty() {
        let used: Vec<String> = rule
            .matcher
            .uses
            .iter()
            .filter(|name| norm.uses(name))
            .map(|name| format!("`{name}`"))
            .collect();
        if used.is_empty() {
            return false;
        }
        evidence.push((span.clone(), format!("tests {}", used.join(", "))));
    }
    if let Action::Resolve(assumptions) = &rule.action
        && rule.matcher.condition.is_none()
        && rule.matcher.uses.is_empty()
    {
        let text = cond::render(condition, source);
        match cond::resolve(condition, assumptions) {
            cond::Value::Unknown(rest) if rest == *condition => return false,
            cond::Value::Unknown(rest) => {
                let rest = cond::render(&rest, source);
                evidence.push((span, format!("`{text}` simplifies to `{rest}`")));
            }
            cond::Value::Known(value) => {
                let value = if value == 0 { "false" } else { "true" };
                evidence.push((span, format!("`{text}` is {value}")));
            }
        }
    }
    true
}

fn body_matches(
    rule: &Rule,
    rule_index: usize,
    facts: &FileFacts,
    body: Range<usize>,
    evidence: &mut Vec<(Range<usize>, String)>,
    warnings: &mut Vec<ParseWarning>,
) -> Result<bool, Unparsable> {
    let matcher = &rule.matcher;
    if !matcher.includes.is_empty() {
        let Some(first) = facts.includes(body.clone(), &matcher.includes).next() else {
            return Ok(false);
        };
        let text = String::from_utf8_lossy(&facts.source[first.clone()]);
        let header = text
            .find(['<', '"'])
            .map_or(text.as_ref(), |start| text[start..].trim_end());
        evidence.push((first.clone(), format!("includes `{header}`")));
    }
    if !matcher.needs_parse() {
        return Ok(true);
    }
    let parsed = match facts.body_facts(body.clone()) {
        BodyFacts::Parsed(parsed) => parsed,
        BodyFacts::Unparsable(failure) => {
            if rule.fallback == Fallback::None {
                return Err(Unparsable {
                    rule: rule_index,
                    body,
                    failure,
                });
            }
            warnings.push(ParseWarning {
                rule: rule_index,
                body: body.clone(),
                failure,
            });
            token_facts(facts, body)
        }
    };
    let wanted = |found: &[(String, Range<usize>)], names: &[String]| {
        found.iter().find(|(name, _)| names.contains(name)).cloned()
    };
    if !matcher.calls.is_empty() {
        let found = wanted(&parsed.calls, &matcher.calls).or_else(|| {
            if matcher.references {
                wanted(&parsed.identifiers, &matcher.calls)
            } else {
                None
            }
        });
        let Some((name, span)) = found else {
            return Ok(false);
        };
        evidence.push((span, format!("calls `{name}`")));
    }
    if !matcher.mentions.is_empty() {
        let Some((name, span)) = wanted(&parsed.identifiers, &matcher.mentions) else {
            return Ok(false);
        };
        evidence.push((span, format!("uses `{name}`")));
    }
    if !matcher.structs.is_empty() {
        let Some((name, span)) = wanted(&parsed.structs, &matcher.structs) else {
            return Ok(false);
        };
        evidence.push((span, format!("uses `struct {name}`")));
    }
    Ok(true)
}

/// The token-level answer to the same questions, for `fallback = "tokens"`.
fn token_facts(facts: &FileFacts, body: Range<usize>) -> CFacts {
    let code = facts.code();
    let tokens = c::tokens(code, body);
    let named = |spans: Vec<Range<usize>>| {
        spans
            .into_iter()
            .map(|span| {
                (
                    String::from_utf8_lossy(&code[span.clone()]).into_owned(),
                    span,
                )
            })
            .collect()
    };
    let identifiers: Vec<String> = tokens
        .iter()
        .filter(|token| token.kind == TokenKind::Ident)
        .map(|token| String::from_utf8_lossy(&code[token.span.clone()]).into_owned())
        .collect();
    let structs = tokens
        .windows(2)
        .filter(|pair| {
            matches!(&code[pair[0].span.clone()], b"struct" | b"union")
                && pair[1].kind == TokenKind::Ident
        })
        .map(|pair| pair[1].span.clone())
        .collect();
    CFacts {
        calls: named(c::calls(code, &tokens, &identifiers)),
        identifiers: named(c::mentions(code, &tokens, &identifiers)),
        structs: named(structs),
    }
}

/// Does anything the rule's body predicates look for remain in its scope (the function named by
/// `inside`, or the whole file)? A rule with no match and no residue has already been applied;
/// a rule with no match but residue has lost track of the code: drift. A rule without body
/// predicates leaves no residue to look for.
pub fn residue(rule: &Rule, facts: &FileFacts) -> bool {
    let matcher = &rule.matcher;
    if !matcher.needs_parse() && matcher.includes.is_empty() {
        return false;
    }
    let scopes: Vec<Range<usize>> = match &matcher.inside {
        Some(name) => facts
            .functions_named(name)
            .map(|function| function.body.clone())
            .collect(),
        None => std::iter::once(0..facts.source.len()).collect(),
    };
    let code = facts.code();
    scopes.into_iter().any(|scope| {
        if facts
            .includes(scope.clone(), &matcher.includes)
            .next()
            .is_some()
        {
            return true;
        }
        let tokens = c::tokens(code, scope);
        !c::calls(code, &tokens, &matcher.calls).is_empty()
            || !c::mentions(code, &tokens, &matcher.mentions).is_empty()
    })
}
