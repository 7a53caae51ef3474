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
mod evidence;
mod inspect;
mod lines;
mod matcher;
mod names;
mod plan;
mod statement;
mod status;
mod target;

use std::ops::Range;

pub use edit::{Edit, Owner, Verdict, apply, apply_within, plan_conditional, settle};
pub use evidence::Evidence;
pub use inspect::{
    BranchFacts, FailedFunction, FunctionFacts, ParseStats, branch_facts, condition_symbols,
    function_facts, parse_stats,
};
pub use matcher::{BodyFacts, FileFacts, ParseWarning};
pub use names::NameLookup;
pub use plan::plan_verdicts;
pub use statement::statements_on_lines;
pub use status::{RuleStatus, Shortfall, State, UnknownName, explain_removed_names, rule_status};

use crate::c::{CParser, Macros, ParseFailure};
use crate::cond::Norm;
use crate::rules::{Fallback, Rule, RulesFile, Target};
use crate::source::{ParsedFile, SourceError};
use matcher::{FindError, NestedOnly, Site, Unparsable};
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
    /// Other rules that make some of the same edits (made once, credited to each).
    pub shared_with: Vec<usize>,
    /// The rule whose deletion holds this match's edits, when another rule's does: the match
    /// goes with that block.
    pub subsumed_by: Option<usize>,
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
    /// Per rule that applies and found no match here: what the file says about it (see
    /// [`evidence`]); `None` otherwise.
    pub evidence: Vec<Option<Evidence>>,
    /// Per rule, per name it looks for: found in this file? (and the closest name if not).
    pub names: Vec<Vec<NameLookup>>,
    /// Sites where lang-c failed and a rule fell back to tokens.
    pub warnings: Vec<ParseWarning>,
    /// lang-c coverage of the file's functions, when asked for (`--parse-stats`).
    pub parse: Option<ParseStats>,
    pub matches: Vec<MatchRecord>,
    /// Conditions cdefang cannot read that a rule applying here left alone (each a
    /// [`SourceError::Condition`]): warnings, the group stays as it is.
    pub unreadable: Vec<SourceError>,
}

/// What a rule needed lang-c's parse for, which decides what can help when it fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseNeed {
    /// A branch's body predicates (`body` is the branch's body; `directive` its directive
    /// line): hints, or `fallback = "tokens"`, which reads the body by tokens.
    Branch { directive: Option<Range<usize>> },
    /// The statements of a statement rule (`body` is the function or declaration around them):
    /// only a parse finds a statement's bounds, so tokens cannot stand in; `fallback` says
    /// whether the rule sets `fallback = "tokens"` all the same.
    Statement { fallback: bool },
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
        need: ParseNeed,
    },
    /// A `drop` whose body predicates hold only inside a nested conditional with alternatives.
    NestedOnly {
        rule: String,
        /// The outer branch's directive line.
        branch: Range<usize>,
        evidence: (Range<usize>, String),
        inner: Range<usize>,
        alternative: Range<usize>,
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
        evidence: vec![None; rules.len()],
        names: names::look_up(rules, &applies, parsed),
        warnings: Vec::new(),
        parse: None,
        matches: Vec::new(),
        unreadable: Vec::new(),
    };
    if !applies.contains(&true) {
        return Ok(result);
    }
    let facts = FileFacts::new(parsed, &setup.macros, &setup.parser)?;
    // A condition cdefang cannot read is unknown: a rule whose selection depends on it (its
    // `condition` or `uses` names a symbol the text mentions) cannot decide and fails; for
    // every other rule it is left as it is, with a warning.
    for error in parsed.unreadable() {
        let SourceError::Condition { directive, .. } = error else {
            continue;
        };
        let text =
            Norm::Opaque(String::from_utf8_lossy(&parsed.source[directive.clone()]).into_owned());
        let depends = rules.iter().zip(&applies).any(|(rule, applies)| {
            let mut symbols: Vec<&str> = Vec::new();
            if let Some(condition) = &rule.matcher.condition {
                condition.symbols(&mut symbols);
            }
            symbols.extend(rule.matcher.uses.iter().map(String::as_str));
            *applies && symbols.iter().any(|symbol| text.uses(symbol))
        });
        if depends {
            return Err(FileError::Source(error.clone()));
        }
        result.unreadable.push(error.clone());
    }

    let mut sites: Vec<Site> = Vec::new();
    let mut target_sites: Vec<TargetSite> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if applies[index] && rule.target != Target::Conditional {
            let found = target::find(index, rule, &facts)
                .map_err(|problem| target_error(problem, rules))?;
            target_sites.extend(found);
        } else if applies[index] {
            let found = matcher::find(index, rule, &facts, &mut result.warnings)
                .map_err(|error| find_error(rules, error))?;
            sites.extend(found);
        }
    }
    let mut edits = Vec::new();
    let mut site_verdicts = Vec::with_capacity(sites.len());
    // Sites whose every edit would write what is already there: done before, not matches.
    let mut done_sites = vec![false; sites.len()];
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
        let mut planned = Vec::new();
        plan_conditional(
            &parsed.scan,
            site.conditional,
            &verdicts,
            owner,
            &mut planned,
        );
        let changing: Vec<Edit> = planned
            .iter()
            .filter(|edit| parsed.source.get(edit.range.clone()) != Some(&edit.text[..]))
            .cloned()
            .collect();
        done_sites[site_index] = !planned.is_empty() && changing.is_empty();
        edits.extend(changing);
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
    let settled = settle(edits).map_err(|overlap| FileError::Overlap {
        first_rule: rules[overlap.first.rule].id.clone(),
        first: overlap.first.range.clone(),
        second_rule: rules[overlap.second.rule].id.clone(),
        second: overlap.second.range.clone(),
    })?;
    let edits = settled.edits;

    // A site whose every edit fell inside a deletion by the same rule was swallowed by it; one
    // whose edits fell inside another rule's deletion was subsumed (it counts, and says so);
    // an edit two rules make is credited to both.
    let mut site_edits: Vec<Vec<Edit>> = vec![Vec::new(); sites.len() + target_sites.len()];
    for edit in &edits {
        site_edits[edit.site].push(edit.clone());
        result.counts[edit.rule].edits += 1;
    }
    let all_sites = sites.len() + target_sites.len();
    let mut shared_with: Vec<Vec<usize>> = vec![Vec::new(); all_sites];
    let mut credited: Vec<Vec<Edit>> = vec![Vec::new(); all_sites];
    for (kept, other) in &settled.shared {
        credited[other.site].push(other.clone());
        if kept.rule != other.rule {
            shared_with[kept.site].push(other.rule);
            shared_with[other.site].push(kept.rule);
        }
    }
    // Subsumed means nested: another rule's edit on the very conditional that a deletion
    // removes is a disagreement about that conditional (drop it, keep it).
    // Credited edits counted as the site's own would be: adjacent deletions are one.
    for (index, mut edits) in credited.into_iter().enumerate() {
        edits.sort_by_key(|edit| edit.range.start);
        for edit in edits {
            match site_edits[index].last_mut() {
                Some(last)
                    if last.range.end == edit.range.start
                        && last.text.is_empty()
                        && edit.text.is_empty() =>
                {
                    last.range.end = edit.range.end;
                }
                _ => {
                    result.counts[edit.rule].edits += 1;
                    site_edits[index].push(edit);
                }
            }
        }
    }
    let mut subsumed_by: Vec<Option<usize>> = vec![None; all_sites];
    for (inner, outer) in &settled.subsumed {
        // Line and statement sites are numbered after the conditional ones.
        if let (Some(inner_site), Some(outer_site)) = (sites.get(inner.site), sites.get(outer.site))
            && std::ptr::eq(inner_site.conditional, outer_site.conditional)
        {
            let span = inner_site.conditional.span(&parsed.scan.directives);
            return Err(FileError::Overlap {
                first_rule: rules[outer.rule].id.clone(),
                first: span.clone(),
                second_rule: rules[inner.rule].id.clone(),
                second: span,
            });
        }
        subsumed_by[inner.site] = Some(outer.rule);
    }
    for (index, (site, verdicts)) in sites.iter().zip(site_verdicts).enumerate() {
        if done_sites[index]
            || (planned_sites[index]
                && site_edits[index].is_empty()
                && subsumed_by[index].is_none())
        {
            continue;
        }
        result.counts[site.rule].matches += site.branches.len() as u64;
        let mut record = plan::record(site, verdicts, &parsed.scan);
        let mut own = std::mem::take(&mut site_edits[index]);
        own.sort_by_key(|edit| edit.range.start);
        record.edits = own;
        record.shared_with = std::mem::take(&mut shared_with[index]);
        record.shared_with.sort_unstable();
        record.shared_with.dedup();
        record.subsumed_by = subsumed_by[index];
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
        if planned_sites[index] && site_edits[index].is_empty() && subsumed_by[index].is_none() {
            continue;
        }
        result.counts[site.rule].matches += 1;
        let mut edits = std::mem::take(&mut site_edits[index]);
        edits.sort_by_key(|edit| edit.range.start);
        let mut record = target::record(site, edits);
        record.shared_with = std::mem::take(&mut shared_with[index]);
        record.shared_with.sort_unstable();
        record.shared_with.dedup();
        record.subsumed_by = subsumed_by[index];
        result.matches.push(record);
    }
    for (index, rule) in rules.iter().enumerate() {
        if !applies[index] || result.counts[index].matches > 0 {
            continue;
        }
        if rule.target != Target::Conditional {
            result.evidence[index] = Some(evidence::target_evidence(index, rule, &facts));
            continue;
        }
        let done_here = sites
            .iter()
            .zip(&done_sites)
            .find(|(site, done)| **done && site.rule == index);
        result.evidence[index] = Some(match done_here {
            Some((site, _)) => Evidence::Applied {
                what: "the block already reads as the rule would write it".to_string(),
                at: site.branches.first().map(|&branch| {
                    parsed.scan.directives[site.conditional.branches[branch].directive]
                        .line
                        .clone()
                }),
            },
            None => evidence::evidence(rule, &facts),
        });
    }
    if !edits.is_empty() {
        let output = apply(parsed.source, &edits);
        if output != parsed.source {
            result.output = Some(output);
        }
    }
    Ok(result)
}

/// A matcher's error as the file's, naming the rule.
fn find_error(rules: &[Rule], error: FindError) -> FileError {
    match error {
        FindError::Unparsable(Unparsable {
            rule,
            body,
            directive,
            failure,
        }) => FileError::Unparsable {
            rule: rules[rule].id.clone(),
            body,
            failure,
            need: ParseNeed::Branch { directive },
        },
        FindError::NestedOnly(NestedOnly {
            rule,
            branch,
            evidence,
            inner,
            alternative,
        }) => FileError::NestedOnly {
            rule: rules[rule].id.clone(),
            branch,
            evidence,
            inner,
            alternative,
        },
    }
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
            need: ParseNeed::Statement {
                fallback: rules[rule].fallback != Fallback::None,
            },
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
