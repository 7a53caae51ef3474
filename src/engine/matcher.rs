//! Matching: which conditionals of one file each rule selects, and why. Knows rules and trees,
//! nothing about the command line or the disk. [`FileFacts`] is what the matcher knows of a
//! file: the parsed file, and lazily the views and parses that body predicates need.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use std::sync::OnceLock;

use crate::c::{self, CFacts, CParser, Function, Macros, ParseFailure, TokenKind};
use crate::cond::{self, Expr, Norm};
use crate::rules::{Action, BodyScope, Fallback, Match, Nesting, Rule};
use crate::source::{Branch, CondTree, Conditional, ParsedFile, Scan, SourceError};

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
    /// The top-level items of the default view (see [`c::top_level_item`]), once.
    top_items: OnceLock<Vec<Range<usize>>>,
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
            top_items: OnceLock::new(),
        })
    }

    /// The condition under which branch `index` of `conditional` is taken, in normal form, as
    /// a rule's `condition` is compared with it: an `#if` or `#elif`'s own condition, and for an
    /// `#else` the negation of every condition before it (`#ifdef X … #else` is `!defined(X)`;
    /// `#if A … #elif B … #else` is `!A && !B`).
    pub fn taken_under(&self, conditional: &Conditional, index: usize) -> Option<Norm> {
        taken_under(self.conditions, conditional, index)
    }

    fn parser(&self) -> &CParser {
        self.parser.get_or_init(|| {
            let mut own = c::typedef_names(self.code());
            own.extend(c::guess_type_names(self.code()));
            own.extend(c::defined_macros(&[self.scan], self.macros, &[]).typedefs);
            self.base_parser
                .with_typedefs(own.iter().map(String::as_str))
        })
    }

    /// The C facts of a branch body: the view with the body active is parsed with lang-c,
    /// one item: the function holding the body, or, for a body at the top level, the body
    /// itself (whole declarations and functions); with the facts of the bodies of the
    /// `#define`s in it (see [`c::define_facts`]).
    pub fn body_facts(&self, body: Range<usize>) -> BodyFacts {
        let with_defines = |parsed: CFacts| {
            let mut facts = parsed.within(&body);
            facts.extend(c::define_facts(self.scan, body.clone()));
            BodyFacts::Parsed(facts)
        };
        // The item's bytes from the file's function index, without a view of the whole file.
        if let Some((at, window)) = self
            .index()
            .item_view(self.scan, self.tree, self.macros, &body)
        {
            return match self.parser().parse_window(&window, at) {
                Ok(parsed) => with_defines(parsed),
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
            Ok(parsed) => with_defines(parsed),
            Err(failure) => BodyFacts::Unparsable(failure),
        }
    }

    /// The bodies of the branches nested in `branch`, at any depth, that the view with `branch`
    /// active leaves out (the `#else` beside a nested `#if` that view takes): what the whole
    /// body holds is the facts of `branch`'s view and of each of these, read with its own view.
    fn alternatives(&self, branch: &Branch) -> Vec<Range<usize>> {
        fn walk(index: &c::FunctionIndex, children: &[Conditional], out: &mut Vec<Range<usize>>) {
            for child in children {
                let default = index.default_branch(child);
                for (position, nested) in child.branches.iter().enumerate() {
                    if Some(position) != default {
                        out.push(nested.body.clone());
                    }
                    walk(index, &nested.children, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.index(), &branch.children, &mut out);
        out
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

    /// The functions named `name` (a header split by conditionals is still one function),
    /// wherever they stand: those of the default view, and those in a branch the default view
    /// leaves out (a function under `#ifndef X`, or the `#else` definition of a function), read
    /// from the view with that branch active. Only such branches whose text holds the name as a
    /// word are read.
    pub fn functions_named(&self, name: &str) -> Vec<Function> {
        let mut found: Vec<Function> = self
            .functions()
            .iter()
            .filter(|function| function.name == name)
            .cloned()
            .collect();
        for conditional in self.tree.all() {
            for branch in &conditional.branches {
                if self.index().active_by_default(&branch.body)
                    || !holds_word(&self.source[branch.body.clone()], &[name])
                {
                    continue;
                }
                let focused = self.focused(branch.body.clone());
                for function in &focused.functions {
                    let inside = branch.body.start <= function.item.start
                        && function.item.end <= branch.body.end;
                    if function.name == name
                        && inside
                        && !found
                            .iter()
                            .any(|known| known.name_span == function.name_span)
                    {
                        found.push(function.clone());
                    }
                }
            }
        }
        found.sort_by_key(|function| function.name_span.start);
        found
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
    pub(super) fn includes<'h>(
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

    /// lang-c's syntax of the item around `offset`, read from the view in which `offset` is
    /// active: the function holding it, or, outside any function, the innermost branch body
    /// holding it (whole declarations, as [`FileFacts::body_facts`] parses them). `None` at
    /// the top level outside any conditional (line and statement rules act inside functions and
    /// conditional bodies). Returns the item's range with the parse.
    pub(super) fn syntax_at(
        &self,
        offset: usize,
    ) -> Option<(Range<usize>, Result<c::CSyntax, ParseFailure>)> {
        let branch = innermost_branch(self.tree, offset)
            .map(|(conditional, index)| conditional.branches[index].body.clone());
        // Outside every branch the view is the default one, whatever the offset: one focus for
        // all of them (offset 0 is in no branch body), so that it is made once.
        let focus = branch.clone().unwrap_or(0..0);
        let focused = self.focused(focus);
        let item = match (c::enclosing(&focused.functions, offset), branch) {
            (Some(function), _) => function.item.clone(),
            (None, Some(branch)) => branch,
            // A top-level declaration or definition outside any conditional.
            (None, None) => self
                .top_level_items(&focused.view)
                .iter()
                .find(|item| item.start <= offset && offset < item.end)?
                .clone(),
        };
        let syntax = self.parser().syntax(&focused.view, item.clone());
        Some((item, syntax))
    }

    /// The top-level items of `view` (the default view), from their first token to their last.
    fn top_level_items(&self, view: &[u8]) -> &[Range<usize>] {
        self.top_items.get_or_init(|| {
            c::top_level_items(view)
                .filter_map(|item| Some(item.first()?.span.start..item.last()?.span.end))
                .collect()
        })
    }

    /// The function of the default view (one branch of each conditional active) whose body
    /// holds `offset`: cheap, and right for what stands outside conditionals or on a directive
    /// line (a directive is in no view).
    pub fn default_function_at(&self, offset: usize) -> Option<Function> {
        c::enclosing(self.functions(), offset).cloned()
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

/// See [`FileFacts::taken_under`]; `conditions`: the parsed condition of each directive.
pub(super) fn taken_under(
    conditions: &[Option<cond::Expr>],
    conditional: &Conditional,
    index: usize,
) -> Option<Norm> {
    let branch = conditional.branches.get(index)?;
    if let Some(condition) = &conditions[branch.directive] {
        return Some(Norm::of(condition));
    }
    conditional.branches[..index]
        .iter()
        .map(|branch| Some(Norm::of(conditions[branch.directive].as_ref()?).negated()))
        .collect::<Option<Vec<Norm>>>()
        .map(Norm::all)
}

/// Does `text` hold one of `names` as a whole word (a cheap test before a parse)?
fn holds_word(text: &[u8], names: &[&str]) -> bool {
    let word = |byte: &u8| byte.is_ascii_alphanumeric() || *byte == b'_';
    names.iter().any(|name| {
        memchr::memmem::find_iter(text, name.as_bytes()).any(|at| {
            let before = at.checked_sub(1).and_then(|before| text.get(before));
            !before.is_some_and(word) && !text.get(at + name.len()).is_some_and(word)
        })
    })
}

/// The innermost conditional branch whose body holds `offset`: the conditional and the
/// branch's index.
pub(super) fn innermost_branch(tree: &CondTree, offset: usize) -> Option<(&Conditional, usize)> {
    enclosing_branches(tree, offset).pop()
}

/// Every conditional branch whose body holds `offset`, outermost first.
pub(super) fn enclosing_branches(tree: &CondTree, offset: usize) -> Vec<(&Conditional, usize)> {
    let mut found = Vec::new();
    let mut level = &tree.roots;
    loop {
        let holding = level.iter().find_map(|conditional| {
            conditional
                .branches
                .iter()
                .position(|branch| branch.body.start <= offset && offset < branch.body.end)
                .map(|index| (conditional, index))
        });
        let Some((conditional, index)) = holding else {
            return found;
        };
        found.push((conditional, index));
        level = &conditional.branches[index].children;
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

/// Every site where `rule` (index `rule_index`) matches in the file, with `nested` applied
/// when its matches nest.
pub fn find<'t>(
    rule_index: usize,
    rule: &Rule,
    facts: &FileFacts<'t>,
    warnings: &mut Vec<ParseWarning>,
) -> Result<Vec<Site<'t>>, FindError> {
    let mut sites = Vec::new();
    for conditional in facts.tree.all() {
        let mut site: Option<Site<'t>> = None;
        for (index, branch) in conditional.branches.iter().enumerate() {
            let mut evidence = Vec::new();
            if !branch_matches(rule, facts, conditional, index, &mut evidence) {
                continue;
            }
            let Some(function) = function_matches(rule, facts, branch.body.clone(), &mut evidence)
            else {
                continue;
            };
            if !body_matches(rule, rule_index, facts, branch, &mut evidence, warnings)? {
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
    Ok(choose_nested(rule.matcher.nested, sites))
}

/// `inside` and `not_inside`: `None` when `span` (a branch's body, a line, a statement) is not
/// where the rule wants it, else the function around it when the rule asked about one.
pub(super) fn function_matches(
    rule: &Rule,
    facts: &FileFacts,
    span: Range<usize>,
    evidence: &mut Vec<(Range<usize>, String)>,
) -> Option<Option<Function>> {
    let matcher = &rule.matcher;
    if matcher.inside.is_empty() && matcher.not_inside.is_empty() {
        return Some(None);
    }
    let function = facts.enclosing_function(span);
    if !matcher.inside.is_empty() {
        let function = function.filter(|function| matcher.inside.contains(&function.name))?;
        evidence.push((
            function.name_span.clone(),
            format!("inside `{}`", function.name),
        ));
        return Some(Some(function));
    }
    match function {
        Some(function) if matcher.not_inside.contains(&function.name) => None,
        function => Some(function),
    }
}

/// The sites `nested` keeps: all, or only the innermost or the outermost of those that nest
/// (a site nests in another when its conditional lies in one of the other's selected bodies).
fn choose_nested(nested: Nesting, sites: Vec<Site>) -> Vec<Site> {
    if nested == Nesting::All {
        return sites;
    }
    let span = |site: &Site| {
        let branches = &site.conditional.branches;
        let first = branches.first().map_or(0, |branch| branch.body.start);
        first..branches.last().map_or(first, |branch| branch.body.end)
    };
    let holds = |outer: &Site, inner: &Site| {
        let inner = span(inner);
        outer.branches.iter().any(|&index| {
            let body = &outer.conditional.branches[index].body;
            body.start <= inner.start && inner.end <= body.end
        })
    };
    let keep: Vec<bool> = (0..sites.len())
        .map(|index| {
            let site = &sites[index];
            !sites.iter().enumerate().any(|(other, candidate)| {
                other != index
                    && match nested {
                        Nesting::Innermost => holds(site, candidate),
                        _ => holds(candidate, site),
                    }
            })
        })
        .collect();
    sites
        .into_iter()
        .zip(keep)
        .filter_map(|(site, keep)| keep.then_some(site))
        .collect()
}

/// Why a rule's matches could not be found.
#[derive(Clone, Debug)]
pub enum FindError {
    Unparsable(Unparsable),
    NestedOnly(NestedOnly),
}

impl From<Unparsable> for FindError {
    fn from(error: Unparsable) -> FindError {
        FindError::Unparsable(error)
    }
}

/// A `drop` whose body predicates hold only inside a nested conditional's branch that has
/// alternatives: dropping the outer branch would drop the alternatives too (the
/// `OBSOLETE_LINUX_KERNEL` stubs around `#include <sys/inotify.h>` in uWSGI's core/event.c).
#[derive(Clone, Debug)]
pub struct NestedOnly {
    pub rule: usize,
    /// The outer branch's directive (from `#` to the end of its text).
    pub branch: Range<usize>,
    /// What satisfied the predicate, and what it was.
    pub evidence: (Range<usize>, String),
    /// The nested conditional's branch holding it (its directive), and another branch of that
    /// conditional, which the drop would also remove.
    pub inner: Range<usize>,
    pub alternative: Range<usize>,
}

/// lang-c could not parse what a rule needed, and the rule has no fallback.
#[derive(Clone, Debug)]
pub struct Unparsable {
    pub rule: usize,
    /// The branch body whose facts were needed.
    pub body: Range<usize>,
    /// The directive line of that branch, when the body is a branch's.
    pub directive: Option<Range<usize>>,
    pub failure: ParseFailure,
}

/// lang-c could not parse what a rule needed; the rule fell back to tokens.
#[derive(Clone, Debug)]
pub struct ParseWarning {
    pub rule: usize,
    pub body: Range<usize>,
    pub failure: ParseFailure,
}

/// The rule's `condition` and `uses` asked of branch `index` of `conditional`: of its
/// directive's condition, or, for an `#else`, of the condition it is taken under.
pub(super) fn branch_matches(
    rule: &Rule,
    facts: &FileFacts,
    conditional: &Conditional,
    index: usize,
    evidence: &mut Vec<(Range<usize>, String)>,
) -> bool {
    match &facts.conditions[conditional.branches[index].directive] {
        Some(condition) => condition_matches(rule, condition, facts.source, evidence),
        None => else_matches(rule, facts, conditional, index, evidence),
    }
}

/// An `#else` is selected by the rule's `condition` only, when it is the condition the `#else`
/// is taken under (with `uses`, if given, among its symbols): `condition = "!defined(X)"`
/// selects the `#else` of `#ifdef X` as it selects `#ifndef X`; not for every action (see
/// [`Action::selects_else`]).
fn else_matches(
    rule: &Rule,
    facts: &FileFacts,
    conditional: &Conditional,
    index: usize,
    evidence: &mut Vec<(Range<usize>, String)>,
) -> bool {
    let (Some(wanted), true) = (&rule.matcher.condition, rule.action.selects_else()) else {
        return false;
    };
    if !facts
        .taken_under(conditional, index)
        .is_some_and(|taken| rule.matcher.selects(&taken, false))
    {
        return false;
    }
    let directive = &facts.scan.directives[conditional.branches[index].directive];
    evidence.push((
        directive.text_span(),
        format!("condition `{wanted}` matches: this `#else` is taken when it holds"),
    ));
    true
}

pub(super) fn condition_matches(
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
    branch: &Branch,
    evidence: &mut Vec<(Range<usize>, String)>,
    warnings: &mut Vec<ParseWarning>,
) -> Result<bool, FindError> {
    let matcher = &rule.matcher;
    if !matcher.has_body_predicates() {
        return Ok(true);
    }
    let body = branch.body.clone();
    let mut read = |body: Range<usize>| match facts.body_facts(body.clone()) {
        BodyFacts::Parsed(parsed) => Ok(parsed),
        BodyFacts::Unparsable(failure) => {
            if rule.fallback == Fallback::None {
                let directive = facts
                    .scan
                    .directives
                    .iter()
                    .find(|directive| directive.line.end == body.start)
                    .map(|directive| directive.text_span());
                return Err(FindError::Unparsable(Unparsable {
                    rule: rule_index,
                    body,
                    directive,
                    failure,
                }));
            }
            warnings.push(ParseWarning {
                rule: rule_index,
                body: body.clone(),
                failure,
            });
            Ok(token_facts(facts, body))
        }
    };
    let parsed = if matcher.needs_parse() {
        let mut parsed = read(body.clone())?;
        // The whole body (any scope but the own body's) holds the nested branches the view
        // leaves out too: those whose text has a name the predicates look for are read.
        if matcher.scope != BodyScope::OwnBody {
            let names: Vec<&str> = [&matcher.calls, &matcher.mentions, &matcher.structs]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            for alternative in facts.alternatives(branch) {
                if holds_word(&facts.source[alternative.clone()], &names) {
                    parsed.extend(read(alternative)?);
                }
            }
        }
        Some(parsed)
    } else {
        None
    };
    // The nested conditionals of the branch, which the own body leaves out.
    let directives = &facts.scan.directives;
    let nested: Vec<Range<usize>> = branch
        .children
        .iter()
        .map(|child| child.span(directives))
        .collect();
    let found = |exclude: &[Range<usize>]| {
        body_evidence(matcher, facts, body.clone(), parsed.as_ref(), exclude)
    };
    match matcher.scope {
        BodyScope::OwnBody => match found(&nested) {
            Some(found) => {
                evidence.extend(found);
                Ok(true)
            }
            None => Ok(false),
        },
        BodyScope::Nested => match found(&[]) {
            Some(found) => {
                evidence.extend(found);
                Ok(true)
            }
            None => Ok(false),
        },
        BodyScope::Default => {
            let Some(whole) = found(&[]) else {
                return Ok(false);
            };
            if matches!(rule.action, Action::Drop)
                && found(&nested).is_none()
                && let Some(refusal) = nested_only(rule_index, facts, branch, &whole)
            {
                return Err(FindError::NestedOnly(refusal));
            }
            evidence.extend(whole);
            Ok(true)
        }
    }
}

/// When the first thing that satisfied a body predicate lies in a nested conditional's branch
/// that has another branch beside it (at any depth), that branch and the other.
fn nested_only(
    rule: usize,
    facts: &FileFacts,
    branch: &Branch,
    found: &[(Range<usize>, String)],
) -> Option<NestedOnly> {
    let directives = &facts.scan.directives;
    let (span, what) = found.first()?.clone();
    let mut children = &branch.children;
    loop {
        let child = children.iter().find(|child| {
            let whole = child.span(directives);
            whole.start <= span.start && span.end <= whole.end
        })?;
        let (index, holder) = child
            .branches
            .iter()
            .enumerate()
            .find(|(_, inner)| inner.body.start <= span.start && span.end <= inner.body.end)?;
        if child.branches.len() > 1 {
            let other = if index == 0 { 1 } else { 0 };
            return Some(NestedOnly {
                rule,
                branch: directives[branch.directive].text_span(),
                evidence: (span, what),
                inner: directives[holder.directive].text_span(),
                alternative: directives[child.branches[other].directive].text_span(),
            });
        }
        children = &holder.children;
    }
}

/// What satisfies every body predicate of `matcher` in `body`, leaving out the ranges
/// `exclude` (nested conditionals, for the own body); `None` when some predicate fails.
fn body_evidence(
    matcher: &Match,
    facts: &FileFacts,
    body: Range<usize>,
    parsed: Option<&CFacts>,
    exclude: &[Range<usize>],
) -> Option<Vec<(Range<usize>, String)>> {
    let outside = |span: &Range<usize>| {
        !exclude
            .iter()
            .any(|range| range.start <= span.start && span.end <= range.end)
    };
    let mut evidence = Vec::new();
    if !matcher.includes.is_empty() {
        let first = facts
            .includes(body.clone(), &matcher.includes)
            .find(|include| outside(include))?;
        let text = String::from_utf8_lossy(&facts.source[first.clone()]);
        let header = text
            .find(['<', '"'])
            .map_or(text.as_ref(), |start| text[start..].trim_end());
        evidence.push((first.clone(), format!("includes `{header}`")));
    }
    let Some(parsed) = parsed else {
        return Some(evidence);
    };
    let wanted = |found: &[(String, Range<usize>)], names: &[String]| {
        found
            .iter()
            .find(|(name, span)| names.contains(name) && outside(span))
            .cloned()
    };
    if !matcher.calls.is_empty() {
        let found = wanted(&parsed.calls, &matcher.calls).or_else(|| {
            if matcher.references {
                wanted(&parsed.identifiers, &matcher.calls)
            } else {
                None
            }
        });
        let (name, span) = found?;
        evidence.push((span, format!("calls `{name}`")));
    }
    if !matcher.mentions.is_empty() {
        let (name, span) = wanted(&parsed.identifiers, &matcher.mentions)?;
        evidence.push((span, format!("uses `{name}`")));
    }
    if !matcher.structs.is_empty() {
        let (name, span) = wanted(&parsed.structs, &matcher.structs)?;
        evidence.push((span, format!("uses `struct {name}`")));
    }
    Some(evidence)
}

/// The token-level answer to the same questions, for `fallback = "tokens"`.
fn token_facts(facts: &FileFacts, body: Range<usize>) -> CFacts {
    let code = facts.code();
    let tokens = c::tokens(code, body.clone());
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
    let mut found = CFacts {
        calls: named(c::calls(code, &tokens, &identifiers)),
        identifiers: named(c::mentions(code, &tokens, &identifiers)),
        structs: named(structs),
    };
    found.extend(c::define_facts(facts.scan, body));
    found
}
