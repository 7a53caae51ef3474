//! The engine: one file's pipeline from a [`ParsedFile`] and the rules to the new bytes.
//!
//! `matcher` finds where each rule matches (and why), `plan` gives each branch of a matched
//! conditional its verdict under the rule's action, `edit` turns verdicts into byte-range edits
//! (unifdef's state table), settles them and applies them; `inspect` reports what lang-c makes
//! of a file (`--parse-stats`, the facts tests) and which symbols its conditions test.
//!
//! Pure: bytes and rules in, new bytes and what each rule did out. Reading and writing files is
//! the caller's job, so a run can plan every file before it writes any.

mod edit;
mod inspect;
mod lines;
mod matcher;
mod plan;
mod statement;
mod target;

use std::ops::Range;

pub use edit::{Edit, Owner, Verdict, apply, apply_within, plan_conditional, settle};
pub use inspect::{
    BranchFacts, FailedFunction, FunctionFacts, ParseStats, branch_facts, condition_symbols,
    function_facts, parse_stats,
};
pub use matcher::{BodyFacts, FileFacts, ParseWarning};
pub use plan::plan_verdicts;
pub use statement::statements_on_lines;

use crate::c::{CParser, Macros, ParseFailure};
use crate::rules::{Rule, RulesFile, Target};
use crate::source::{ParsedFile, SourceError};
use matcher::{Site, Unparsable};
use target::{TargetProblem, TargetSite};

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
    /// The edits this match makes, as settled, in file order. Empty when the match changes
    /// nothing.
    pub edits: Vec<Edit>,
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

/// What [`process_parsed`] records beyond what a rewrite needs.
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
    /// (the residue check of the matcher).
    pub residue: Vec<bool>,
    /// Per line or statement rule (`target`): no match here, and positive evidence that the
    /// rule was applied ([`target::already_applied`]: the guard is there, the line is gone from
    /// a scope that is there, the value is set). Always false for conditional rules, whose
    /// "applied" is the absence of residue.
    pub applied: Vec<bool>,
    /// Sites where lang-c failed and a rule fell back to tokens.
    pub warnings: Vec<ParseWarning>,
    /// lang-c coverage of the file's functions, when asked for (`--parse-stats`).
    pub parse: Option<ParseStats>,
    pub matches: Vec<MatchRecord>,
}

/// Why a file could not be processed; each variant carries byte spans in the file and names
/// the rules concerned by their ids.
#[derive(Clone, Debug)]
pub enum FileError {
    /// The file does not scan, nest or have readable conditions.
    Source(SourceError),
    /// lang-c could not parse the code a rule needed.
    Unparsable {
        rule: String,
        body: Range<usize>,
        failure: ParseFailure,
    },
    /// A line or statement rule selected something it cannot edit alone (a statement sharing
    /// its line, the unbraced body of an `if`).
    Target {
        rule: String,
        span: Range<usize>,
        message: String,
        help: String,
    },
    /// Two rules edit the same bytes.
    Overlap {
        first_rule: String,
        first: Range<usize>,
        second_rule: String,
        second: Range<usize>,
    },
}

impl From<SourceError> for FileError {
    fn from(error: SourceError) -> FileError {
        FileError::Source(error)
    }
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

/// Process one file's bytes with the rules that apply to it (`relative`: its path, which the
/// rules' `files` globs are matched against).
pub fn process(source: &[u8], relative: &str, setup: &Setup) -> Result<FileResult, FileError> {
    process_parsed(
        &ParsedFile::new(source)?,
        relative,
        setup,
        Detail::default(),
    )
}

/// [`process`] on a file already parsed, recording the details `detail` asks for in each
/// [`MatchRecord`].
pub fn process_parsed(
    parsed: &ParsedFile,
    relative: &str,
    setup: &Setup,
    detail: Detail,
) -> Result<FileResult, FileError> {
    let rules = &setup.rules;
    let applies: Vec<bool> = rules.iter().map(|rule| rule.applies_to(relative)).collect();
    let mut result = FileResult {
        output: None,
        counts: vec![RuleCount::default(); rules.len()],
        applies: applies.clone(),
        residue: vec![false; rules.len()],
        applied: vec![false; rules.len()],
        warnings: Vec::new(),
        parse: None,
        matches: Vec::new(),
    };
    if !applies.contains(&true) {
        return Ok(result);
    }
    let facts = FileFacts::new(parsed, &setup.macros, &setup.parser)?;

    let mut sites: Vec<Site> = Vec::new();
    let mut target_sites: Vec<TargetSite> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if applies[index] && rule.target != Target::Conditional {
            let found = target::find(index, rule, &facts)
                .map_err(|problem| target_error(problem, rules))?;
            target_sites.extend(found);
        } else if applies[index] {
            let found = matcher::find(index, rule, &facts, &mut result.warnings).map_err(
                |Unparsable {
                     rule,
                     body,
                     failure,
                 }| FileError::Unparsable {
                    rule: rules[rule].id.clone(),
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
        let verdicts = plan_verdicts(
            &rules[site.rule].action,
            site.conditional,
            &site.branches,
            &facts,
        );
        let owner = Owner {
            rule: site.rule,
            site: site_index,
        };
        plan_conditional(&parsed.scan, site.conditional, &verdicts, owner, &mut edits);
        site_verdicts.push(verdicts);
    }
    // Line and statement sites are numbered after the conditional ones.
    for (offset, site) in target_sites.iter().enumerate() {
        edits.push(Edit {
            range: site.range.clone(),
            text: site.text.clone(),
            rule: site.rule,
            site: sites.len() + offset,
        });
    }
    let mut planned_sites = vec![false; sites.len() + target_sites.len()];
    for edit in &edits {
        planned_sites[edit.site] = true;
    }
    let edits = settle(edits).map_err(|overlap| FileError::Overlap {
        first_rule: rules[overlap.first.rule].id.clone(),
        first: overlap.first.range.clone(),
        second_rule: rules[overlap.second.rule].id.clone(),
        second: overlap.second.range.clone(),
    })?;

    // A site whose every edit fell inside a deletion by the same rule was swallowed by it.
    let mut site_edits: Vec<Vec<Edit>> = vec![Vec::new(); sites.len() + target_sites.len()];
    for edit in &edits {
        site_edits[edit.site].push(edit.clone());
        result.counts[edit.rule].edits += 1;
    }
    for (index, (site, verdicts)) in sites.iter().zip(site_verdicts).enumerate() {
        if planned_sites[index] && site_edits[index].is_empty() {
            continue;
        }
        result.counts[site.rule].matches += site.branches.len() as u64;
        let mut record = plan::record(site, verdicts, &parsed.scan);
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
    for (offset, site) in target_sites.into_iter().enumerate() {
        let index = sites.len() + offset;
        if planned_sites[index] && site_edits[index].is_empty() {
            continue;
        }
        result.counts[site.rule].matches += 1;
        let edits = std::mem::take(&mut site_edits[index]);
        result.matches.push(target::record(site, edits));
    }
    for (index, rule) in rules.iter().enumerate() {
        if applies[index] && result.counts[index].matches == 0 {
            if rule.target == Target::Conditional {
                result.residue[index] = matcher::residue(rule, &facts);
            } else {
                // Residue: what the rule selects is here (under another condition), unapplied.
                result.applied[index] = target::already_applied(index, rule, &facts).is_some();
                result.residue[index] = !result.applied[index]
                    && target::candidates(index, rule, &facts).is_ok_and(|found| !found.is_empty());
            }
        }
    }
    if !edits.is_empty() {
        let output = apply(parsed.source, &edits);
        if output != parsed.source {
            result.output = Some(output);
        }
    }
    Ok(result)
}

/// A line or statement rule's problem as the file's error.
fn target_error(problem: TargetProblem, rules: &[Rule]) -> FileError {
    match problem {
        TargetProblem::Unparsable {
            rule,
            item,
            failure,
        } => FileError::Unparsable {
            rule: rules[rule].id.clone(),
            body: item,
            failure,
        },
        TargetProblem::Refused {
            rule,
            span,
            message,
            help,
        } => FileError::Target {
            rule: rules[rule].id.clone(),
            span,
            message,
            help,
        },
    }
}
