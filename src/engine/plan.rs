//! Verdicts: what an action makes of each branch of a conditional it matched (`drop`: the
//! selected branches are false; `keep`: the branches before the selected one are false, the rest
//! true; `resolve`: each condition evaluated under the assumptions; `replace-condition`: the
//! selected branch unknown with its new condition; an `#else` is true). The edit planner turns
//! verdicts into edits; `learn` plans its hypotheses with the same verdicts.

use super::matcher::{FileFacts, Site};
use super::{GroupLine, MatchRecord, Verdict};
use crate::cond;
use crate::rules::Action;
use crate::source::{Conditional, DirectiveKind, Scan};

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
        // Line and statement actions never plan a conditional: nothing changes.
        Action::Replace(_) | Action::SetValue(_) | Action::Guard(_) => {
            vec![Verdict::Unknown(None); branches.len()]
        }
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

/// What a run keeps of a site (its edits are added by the caller).
pub(super) fn record(site: &Site, verdicts: Vec<Verdict>, scan: &Scan) -> MatchRecord {
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
        shared_with: Vec::new(),
        subsumed_by: None,
    }
}
