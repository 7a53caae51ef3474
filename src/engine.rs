//! The pipeline for one file: scan → conditional tree → conditions → matching → edits → new bytes.
//!
//! Pure: takes bytes and rules, returns the new bytes and what each rule did. Reading and writing
//! files is the caller's job, so a run can plan every file before it writes any.

use std::ops::Range;

use crate::cond;
use crate::cparse::{CParser, ParseFailure};
use crate::cview::Macros;
use crate::edit::{self, Owner, Verdict};
use crate::matcher::{self, ConditionError, FileFacts, ParseWarning, Site, Unparsable};
use crate::rules::{Action, Rule, RulesFile};
use crate::scan::{self, DirectiveKind, ScanError};
use crate::tree::{self, Conditional, TreeError};

/// What one rule did in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleCount {
    pub matches: u64,
    pub edits: u64,
}

/// One match, kept for explanations (`--explain`) and reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchRecord {
    pub rule: usize,
    /// The conditional's span (from `#if` line to `#endif` line).
    pub span: Range<usize>,
    /// The spans of the selected branches' directive lines.
    pub branches: Vec<Range<usize>>,
    /// What satisfied the rule: (span, what) pairs, from the matcher.
    pub evidence: Vec<(Range<usize>, String)>,
    /// The enclosing function's name, when the rule asked for one (`inside`) or the caller
    /// asked for details ([`Detail::functions`]) and there is one.
    pub function: Option<String>,
    /// The span of that function's name in its definition.
    pub function_name: Option<Range<usize>>,
    /// The group's directive lines in order, each branch's then the `#endif`'s, with the
    /// verdict the action gave each branch.
    pub group: Vec<GroupLine>,
    /// The edits this match makes, as settled: byte ranges of the original and their new text,
    /// in file order. Empty when the match changes nothing.
    pub edits: Vec<(Range<usize>, Vec<u8>)>,
}

/// One directive line of a matched conditional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupLine {
    /// The whole line, with its continuations and line ending.
    pub line: Range<usize>,
    /// From the `#` to the end of the keyword (`#if`, `#  elif`, `#endif`).
    pub keyword: Range<usize>,
    /// The body that follows, up to the group's next directive line (empty for `#endif`).
    pub body: Range<usize>,
    /// Did the rule select this branch?
    pub selected: bool,
    /// The planner's verdict on this branch (`None` for the `#endif`).
    pub verdict: Option<Verdict>,
}

/// What [`process_with`] records beyond what a rewrite needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// Find the function around every match, not only for rules with `inside` (it costs a C
    /// view of the file per match; `--explain` asks for it).
    pub functions: bool,
}

/// The outcome for one file.
#[derive(Clone, Debug, Default)]
pub struct FileResult {
    /// The rewritten bytes, or `None` if nothing changed.
    pub output: Option<Vec<u8>>,
    /// Per rule (indexed like the rules slice): counts; zero for rules that do not apply.
    pub counts: Vec<RuleCount>,
    /// Which rules apply to the file (their globs match).
    pub applies: Vec<bool>,
    /// Per rule: no match here, but what its body predicates look for is still in its scope
    /// (see [`matcher::residue`]).
    pub residue: Vec<bool>,
    /// Sites where lang-c failed and a rule fell back to tokens.
    pub warnings: Vec<ParseWarning>,
    /// lang-c coverage of the file's functions, when asked for (`--parse-stats`).
    pub parse: Option<ParseStats>,
    pub matches: Vec<MatchRecord>,
}

/// Why a file could not be processed; each variant carries byte spans in the file.
#[derive(Clone, Debug)]
pub enum FileError {
    Scan(ScanError),
    Tree {
        error: TreeError,
        /// The spans of the directives the error names: the main one, then any earlier one.
        at: Range<usize>,
        related: Option<Range<usize>>,
        message: String,
    },
    Condition {
        error: cond::ParseError,
        directive: Range<usize>,
    },
    /// lang-c could not parse the code a rule needed.
    Unparsable {
        rule: usize,
        body: Range<usize>,
        failure: ParseFailure,
    },
    Overlap {
        first_rule: usize,
        first: Range<usize>,
        second_rule: usize,
        second: Range<usize>,
    },
}

/// Does a rule's glob list select the file at `relative` (a `/`-separated path)? A glob
/// matches the path itself or any trailing part of it that starts at a directory boundary, so
/// `core/utils.c` selects `uwsgi-2.0.17/core/utils.c` as well.
pub fn rule_applies(rule: &Rule, relative: &str) -> bool {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let mut suffixes = vec![relative];
    suffixes.extend(
        relative
            .match_indices('/')
            .map(|(index, _)| &relative[index + 1..]),
    );
    rule.files.iter().any(|glob| {
        suffixes
            .iter()
            .any(|suffix| glob.pattern.matches_with(suffix, options))
    })
}

/// Everything processing a file needs besides its bytes.
#[derive(Clone, Debug)]
pub struct Setup {
    pub rules: Vec<Rule>,
    /// Macros the C view rewrites so that lang-c can parse it.
    pub macros: Macros,
    /// lang-c with the typedef names known for the whole run.
    pub parser: CParser,
}

impl Setup {
    /// The rules and macros, with a parser that knows the typedef names `typedefs` and those the
    /// macros declare.
    pub fn new(rules: Vec<Rule>, macros: Macros, typedefs: &[String]) -> Setup {
        let names = typedefs.iter().map(String::as_str);
        Setup {
            parser: CParser::new(names.chain(macros.typedefs())),
            rules,
            macros,
        }
    }

    /// The rules, macros and typedef names of one rules file.
    pub fn from_rules_file(file: RulesFile) -> Setup {
        Setup::new(file.rules, file.macros, &file.typedefs)
    }
}

/// Process one file's bytes with the rules that apply to it.
pub fn process(source: &[u8], relative: &str, setup: &Setup) -> Result<FileResult, FileError> {
    process_with(source, relative, setup, Detail::default())
}

/// [`process`], recording the details `detail` asks for in each [`MatchRecord`].
pub fn process_with(
    source: &[u8],
    relative: &str,
    setup: &Setup,
    detail: Detail,
) -> Result<FileResult, FileError> {
    let rules = &setup.rules;
    let applies: Vec<bool> = rules
        .iter()
        .map(|rule| rule_applies(rule, relative))
        .collect();
    let mut result = FileResult {
        output: None,
        counts: vec![RuleCount::default(); rules.len()],
        applies: applies.clone(),
        residue: vec![false; rules.len()],
        warnings: Vec::new(),
        parse: None,
        matches: Vec::new(),
    };
    let scan = scan::scan(source).map_err(FileError::Scan)?;
    let tree = tree::build(&scan.directives).map_err(|error| tree_error(&scan, error))?;
    if !applies.contains(&true) {
        return Ok(result);
    }
    let facts = FileFacts::new(source, &scan, &tree, &setup.macros, &setup.parser).map_err(
        |ConditionError { directive, error }| {
            let directive = &scan.directives[directive];
            FileError::Condition {
                error,
                directive: directive.hash..directive.rest.end,
            }
        },
    )?;

    let mut sites: Vec<Site> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if applies[index] {
            let found = matcher::find(index, rule, &facts, &mut result.warnings).map_err(
                |Unparsable {
                     rule,
                     body,
                     failure,
                 }| FileError::Unparsable {
                    rule,
                    body,
                    failure,
                },
            )?;
            sites.extend(found);
        }
    }
    let mut edits = Vec::new();
    let mut site_verdicts = Vec::with_capacity(sites.len());
    for (site_index, site) in sites.iter().enumerate() {
        let rule = &rules[site.rule];
        let verdicts = verdicts(rule, site, &facts);
        let owner = Owner {
            rule: site.rule,
            site: site_index,
        };
        edit::plan_conditional(&scan, site.conditional, &verdicts, owner, &mut edits);
        site_verdicts.push(verdicts);
    }
    let planned_sites: Vec<bool> = {
        let mut planned = vec![false; sites.len()];
        for edit in &edits {
            planned[edit.site] = true;
        }
        planned
    };
    let edits = edit::settle(edits).map_err(|overlap| FileError::Overlap {
        first_rule: overlap.first.rule,
        first: overlap.first.range.clone(),
        second_rule: overlap.second.rule,
        second: overlap.second.range.clone(),
    })?;

    // A site whose every edit fell inside a deletion by the same rule was swallowed by it.
    let mut site_edits: Vec<Vec<(Range<usize>, Vec<u8>)>> = vec![Vec::new(); sites.len()];
    for edit in &edits {
        site_edits[edit.site].push((edit.range.clone(), edit.text.clone()));
        result.counts[edit.rule].edits += 1;
    }
    for (index, (site, verdicts)) in sites.iter().zip(site_verdicts).enumerate() {
        if planned_sites[index] && site_edits[index].is_empty() {
            continue;
        }
        result.counts[site.rule].matches += site.branches.len() as u64;
        let mut record = record(site, verdicts, &scan);
        record.edits = std::mem::take(&mut site_edits[index]);
        if record.function.is_none()
            && detail.functions
            && let Some(&first) = site.branches.first()
            && let Some(function) =
                facts.enclosing_function(site.conditional.branches[first].body.clone())
        {
            record.function = Some(function.name);
            record.function_name = Some(function.name_span);
        }
        result.matches.push(record);
    }
    for (index, rule) in rules.iter().enumerate() {
        if applies[index] && result.counts[index].matches == 0 {
            result.residue[index] = matcher::residue(rule, &facts);
        }
    }
    if !edits.is_empty() {
        let output = edit::apply(source, &edits);
        if output != source {
            result.output = Some(output);
        }
    }
    Ok(result)
}

/// What a run keeps of a site (its edits are added by the caller).
fn record(site: &Site, verdicts: Vec<Verdict>, scan: &scan::Scan) -> MatchRecord {
    let directives = &scan.directives;
    let conditional = site.conditional;
    let keyword = |index: usize| {
        let directive = &directives[index];
        directive.hash..directive.keyword.end.max(directive.hash + 1)
    };
    let mut group: Vec<GroupLine> = conditional
        .branches
        .iter()
        .zip(
            verdicts
                .into_iter()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .enumerate()
        .map(|(index, (branch, verdict))| GroupLine {
            line: directives[branch.directive].line.clone(),
            keyword: keyword(branch.directive),
            body: branch.body.clone(),
            selected: site.branches.contains(&index),
            verdict,
        })
        .collect();
    let endif = &directives[conditional.endif];
    group.push(GroupLine {
        line: endif.line.clone(),
        keyword: keyword(conditional.endif),
        body: endif.line.end..endif.line.end,
        selected: false,
        verdict: None,
    });
    MatchRecord {
        rule: site.rule,
        span: conditional.span(directives),
        branches: site
            .branches
            .iter()
            .map(|&branch| {
                directives[conditional.branches[branch].directive]
                    .line
                    .clone()
            })
            .collect(),
        evidence: site.evidence.clone(),
        function: site.function.clone(),
        function_name: site.function_name.clone(),
        group,
        edits: Vec::new(),
    }
}

/// A tree error with the spans of the directives it names.
pub fn tree_error(scan: &scan::Scan, error: TreeError) -> FileError {
    let line = |index: usize| {
        let directive = &scan.directives[index];
        directive.hash..directive.rest.end
    };
    FileError::Tree {
        at: line(error.directive()),
        related: match error {
            TreeError::AfterElse { first_else, .. } => Some(line(first_else)),
            _ => None,
        },
        message: error.message(&scan.directives),
        error,
    }
}

/// The verdict on each branch of a site's conditional under the site's rule.
fn verdicts(rule: &Rule, site: &Site, facts: &FileFacts) -> Vec<Verdict> {
    plan_verdicts(&rule.action, site.conditional, &site.branches, facts)
}

/// The verdict on each branch of `conditional` when `action` selects the branches `selected`
/// (indices; for `resolve`, every branch is evaluated whatever is selected). `learn` plans
/// hypotheses with it, so a learned rule means what the engine will do.
pub fn plan_verdicts(
    action: &Action,
    conditional: &Conditional,
    selected: &[usize],
    facts: &FileFacts,
) -> Vec<Verdict> {
    let branches = &conditional.branches;
    let selected = |index: usize| selected.contains(&index);
    match action {
        Action::Drop => (0..branches.len())
            .map(|index| {
                if selected(index) {
                    Verdict::False
                } else if is_else(facts, branches[index].directive) {
                    Verdict::True
                } else {
                    Verdict::Unknown(None)
                }
            })
            .collect(),
        Action::Keep => {
            let first = (0..branches.len())
                .find(|&index| selected(index))
                .unwrap_or(0);
            (0..branches.len())
                .map(|index| {
                    if index < first {
                        Verdict::False
                    } else {
                        Verdict::True
                    }
                })
                .collect()
        }
        Action::ReplaceCondition(replacement) => (0..branches.len())
            .map(|index| {
                if selected(index) {
                    Verdict::Unknown(Some(replacement.clone()))
                } else if is_else(facts, branches[index].directive) {
                    Verdict::True
                } else {
                    Verdict::Unknown(None)
                }
            })
            .collect(),
        Action::Resolve(assumptions) => branches
            .iter()
            .map(|branch| match &facts.conditions[branch.directive] {
                None => Verdict::True,
                Some(condition) => match cond::resolve(condition, assumptions) {
                    cond::Value::Known(0) => Verdict::False,
                    cond::Value::Known(_) => Verdict::True,
                    cond::Value::Unknown(rest) if rest == *condition => Verdict::Unknown(None),
                    cond::Value::Unknown(rest) => {
                        Verdict::Unknown(Some(cond::render(&rest, &facts.scan.clean)))
                    }
                },
            })
            .collect(),
    }
}

fn is_else(facts: &FileFacts, directive: usize) -> bool {
    facts.scan.directives[directive].kind == DirectiveKind::Else
}

/// One branch of a conditional and what lang-c made of its body, with the branch active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchFacts {
    /// The branch's directive line.
    pub directive: Range<usize>,
    pub function: Option<String>,
    pub facts: Result<crate::cparse::CFacts, ParseFailure>,
}

/// The facts of every branch body of a file, as rules see them.
pub fn branch_facts(source: &[u8], setup: &Setup) -> Result<Vec<BranchFacts>, FileError> {
    let scan = scan::scan(source).map_err(FileError::Scan)?;
    let tree = tree::build(&scan.directives).map_err(|error| tree_error(&scan, error))?;
    let facts = FileFacts::new(source, &scan, &tree, &setup.macros, &setup.parser).map_err(
        |ConditionError { directive, error }| FileError::Condition {
            error,
            directive: scan.directives[directive].line.clone(),
        },
    )?;
    let mut all = Vec::new();
    for conditional in tree.all() {
        for branch in &conditional.branches {
            all.push(BranchFacts {
                directive: scan.directives[branch.directive].line.clone(),
                function: facts
                    .enclosing_function(branch.body.clone())
                    .map(|function| function.name),
                facts: match facts.body_facts(branch.body.clone()) {
                    matcher::BodyFacts::Parsed(parsed) => Ok(parsed),
                    matcher::BodyFacts::Unparsable(failure) => Err(failure),
                },
            });
        }
    }
    Ok(all)
}

/// How many of a file's function definitions lang-c parses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseStats {
    pub functions: u64,
    pub parsed: u64,
    /// The functions that failed: name and the first error.
    pub failed: Vec<FailedFunction>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedFunction {
    pub name: String,
    pub failure: ParseFailure,
}

/// One function definition and what lang-c made of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionFacts {
    pub name: String,
    pub item: Range<usize>,
    pub facts: Result<crate::cparse::CFacts, ParseFailure>,
}

/// Parse every function definition of a file with lang-c, on the default view (see
/// [`crate::cview`]).
pub fn function_facts(source: &[u8], setup: &Setup) -> Result<Vec<FunctionFacts>, FileError> {
    let scan = scan::scan(source).map_err(FileError::Scan)?;
    let tree = tree::build(&scan.directives).map_err(|error| tree_error(&scan, error))?;
    let view = crate::cview::view(&scan, &tree, None, &setup.macros);
    let code = scan.code_view();
    let mut own = crate::cparse::typedef_names(&code);
    own.extend(crate::cparse::guess_type_names(&code));
    let parser = setup.parser.with_typedefs(own.iter().map(String::as_str));
    Ok(crate::facts::functions(&view)
        .into_iter()
        .map(|function| FunctionFacts {
            facts: parser.parse(&view, function.item.clone()),
            name: function.name,
            item: function.item,
        })
        .collect())
}

/// How many of a file's function definitions lang-c parses. A file that does not scan has no
/// functions to count.
pub fn parse_stats(source: &[u8], setup: &Setup) -> ParseStats {
    let mut stats = ParseStats::default();
    for function in function_facts(source, setup).unwrap_or_default() {
        stats.functions += 1;
        match function.facts {
            Ok(_) => stats.parsed += 1,
            Err(failure) => stats.failed.push(FailedFunction {
                name: function.name,
                failure,
            }),
        }
    }
    stats
}

/// Every symbol the file's conditions test, once per test.
pub fn condition_symbols(source: &[u8]) -> Result<Vec<String>, FileError> {
    let scan = scan::scan(source).map_err(FileError::Scan)?;
    let tree = tree::build(&scan.directives).map_err(|error| tree_error(&scan, error))?;
    let no_macros = Macros::default();
    let no_parser = CParser::new([]);
    let facts = FileFacts::new(source, &scan, &tree, &no_macros, &no_parser).map_err(
        |ConditionError { directive, error }| FileError::Condition {
            error,
            directive: scan.directives[directive].line.clone(),
        },
    )?;
    let mut symbols = Vec::new();
    for condition in facts.conditions.iter().flatten() {
        let norm = cond::Norm::of(condition);
        let mut names = Vec::new();
        norm.symbols(&mut names);
        symbols.extend(names.into_iter().map(str::to_string));
    }
    Ok(symbols)
}
