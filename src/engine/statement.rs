//! Statement targets (`target = "statement"`): the statements and declarations that call or use
//! what the rule names, through lang-c's spans.
//!
//! The names are first found at the token level (all branches); the item around each (the
//! function, or the conditional body at the top level) is parsed with lang-c in the view where
//! that place is active, and each call, identifier or struct tag of a wanted name selects the
//! innermost statement or declaration holding it (a top-level declaration or definition when
//! no statement does). A statement selected inside another selected one goes with it. All of
//! the rule's body predicates (`calls`, `mentions`, `structs`) must hold within the statement.
//!
//! A selected statement that cannot be edited alone as whole lines is refused with a diagnostic,
//! but only where the rule would act: one that shares a line with other code, one that starts
//! or ends inside a conditional it does not hold whole, and the unbraced body of an `if`,
//! `else`, `while`, `for` or `do` (guarding or removing it alone would make the next statement
//! the body; the help says to select the whole statement or add braces). A statement after a
//! label (`case 1:`, `default:`, `out:`) is refused when, without it and the items after it
//! that the rule acts on too, the label would end its block or stand before a declaration: C
//! before C23 wants a statement after a label, and gcc before 11 rejects "label at end of
//! compound statement". That refusal depends on which other statements the rule acts on, so it
//! is decided in `target::find` ([`label_refusal`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::matcher::{self, FileFacts};
use super::target::{Candidate, Evidence, Refusal, TargetProblem, whole_lines};
use crate::c::{self, CStatement, Followed, StatementKind, TokenKind};
use crate::rules::Rule;

/// The statements the rule's body predicates select, in file order.
pub(super) fn candidates(
    rule_index: usize,
    rule: &Rule,
    facts: &FileFacts,
) -> Result<Vec<Candidate>, TargetProblem> {
    let matcher = &rule.matcher;
    let names: Vec<&String> = matcher
        .calls
        .iter()
        .chain(&matcher.mentions)
        .chain(&matcher.structs)
        .collect();
    let code = facts.code();
    let offsets: Vec<usize> = c::Tokens::new(code, 0..code.len())
        .filter(|token| {
            token.kind == TokenKind::Ident
                && names
                    .iter()
                    .any(|name| name.as_bytes() == &code[token.span.clone()])
        })
        .map(|token| token.span.start)
        .collect();

    // Each item once per view (the innermost branch around the name decides the view).
    let mut parsed: HashSet<(Range<usize>, Option<Range<usize>>)> = HashSet::new();
    let mut selected: Vec<(CStatement, Evidence, Option<Labelled>)> = Vec::new();
    for offset in offsets {
        let branch = matcher::innermost_branch(facts.tree, offset)
            .map(|(conditional, index)| conditional.branches[index].body.clone());
        let Some((item, syntax)) = facts.syntax_at(offset) else {
            continue;
        };
        if !parsed.insert((item.clone(), branch)) {
            continue;
        }
        let syntax = syntax.map_err(|failure| TargetProblem::Unparsable {
            rule: rule_index,
            item: item.clone(),
            failure,
        })?;
        let wanted = |found: &[(String, Range<usize>)], names: &[String]| {
            found
                .iter()
                .filter(|(name, _)| names.contains(name))
                .cloned()
                .collect::<Vec<_>>()
        };
        let mut hits = wanted(&syntax.facts.calls, &matcher.calls);
        if matcher.references {
            hits.extend(wanted(&syntax.facts.identifiers, &matcher.calls));
        }
        hits.extend(wanted(&syntax.facts.identifiers, &matcher.mentions));
        hits.extend(wanted(&syntax.facts.structs, &matcher.structs));
        let before = selected.len();
        for (_, span) in hits {
            let Some(statement) = innermost(&syntax.statements, &span) else {
                continue;
            };
            if selected
                .iter()
                .any(|(known, _, _)| known.span == statement.span)
            {
                continue;
            }
            let within = syntax.facts.within(&statement.span);
            let Some(evidence) = predicates_hold(rule, &within) else {
                continue;
            };
            selected.push((statement.clone(), evidence, None));
        }
        if selected[before..]
            .iter()
            .any(|(statement, _, _)| statement.labels.is_some())
        {
            let here: HashSet<Range<usize>> = selected[before..]
                .iter()
                .map(|(statement, _, _)| statement.span.clone())
                .collect();
            // The items of the item's blocks, by span, once for all its labelled statements.
            let items: HashMap<&Range<usize>, &CStatement> = syntax
                .statements
                .iter()
                .filter(|item| item.followed_by.is_some())
                .map(|item| (&item.span, item))
                .collect();
            for (statement, _, labelled) in &mut selected[before..] {
                *labelled = after_labels(facts, &items, statement, &here);
            }
        }
    }
    selected.sort_by_key(|(statement, _, _)| statement.span.start);
    let outer: Vec<Range<usize>> = selected.iter().map(|(s, _, _)| s.span.clone()).collect();
    Ok(selected
        .into_iter()
        .filter(|(statement, _, _)| {
            !outer.iter().any(|span| {
                *span != statement.span
                    && span.start <= statement.span.start
                    && statement.span.end <= span.end
            })
        })
        .map(|(statement, evidence, labelled)| candidate(facts, statement, evidence, labelled))
        .collect())
}

/// Labels in front of a selected statement, and what follows it in its block as far as the rule
/// may select it too: C wants a statement after a label, so the statement cannot go alone when
/// nothing but the rule's own statements would follow the label.
#[derive(Clone, Debug)]
pub(super) struct Labelled {
    /// The labels, as the diagnostic names them (`default:`, `out: case 1:`).
    pub labels: String,
    /// The labelled statement, where the diagnostic points.
    pub span: Range<usize>,
    /// What the labelled statement is (`statement`, `declaration`).
    pub what: &'static str,
    /// The items after the labelled one that the rule selects too, in order, with their kind.
    pub selected_after: Vec<(Range<usize>, StatementKind)>,
    /// What follows those.
    pub then: AfterLabels,
}

/// What follows a labelled statement (and the items after it the rule selects too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AfterLabels {
    /// A statement: the label keeps one whatever the rule does.
    Statement,
    /// A declaration, which a label cannot label before C23.
    Declaration,
    /// The block's closing brace.
    End,
    /// Nothing: the labelled statement is no item of a block (the body of a `switch` or an
    /// `if` without braces), so the label would take whatever statement comes next.
    Nothing,
}

/// The labels in front of `statement` and what follows it in its block (`items`: the block
/// items of the item parsed, by span; `selected`: the spans this parse selected for the rule),
/// or `None` when no label stands in front of it.
fn after_labels(
    facts: &FileFacts,
    items: &HashMap<&Range<usize>, &CStatement>,
    statement: &CStatement,
    selected: &HashSet<Range<usize>>,
) -> Option<Labelled> {
    let labels = statement.labels.clone()?;
    let labelled_item = labels.start..statement.span.end;
    let mut selected_after = Vec::new();
    let mut followed = items
        .get(&labelled_item)
        .and_then(|item| item.followed_by.clone());
    let then = loop {
        match followed {
            None => break AfterLabels::Nothing,
            Some(Followed::End) => break AfterLabels::End,
            Some(Followed::Item(span)) => {
                let Some(item) = items.get(&span) else {
                    break AfterLabels::Statement;
                };
                if !selected.contains(&span) {
                    break match item.kind {
                        StatementKind::Declaration => AfterLabels::Declaration,
                        _ => AfterLabels::Statement,
                    };
                }
                selected_after.push((span, item.kind));
                followed = item.followed_by.clone();
            }
        }
    };
    if then == AfterLabels::Statement && selected_after.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&facts.source[labels]);
    Some(Labelled {
        labels: text.split_whitespace().collect::<Vec<_>>().join(" "),
        span: statement.span.clone(),
        what: statement.kind.name(),
        selected_after,
        then,
    })
}

/// The refusal of a labelled statement when the rule also acts on every item after it that it
/// selects (`acting`: the selected spans of the statements the rule acts on, or that a guard
/// already wraps) and what then follows the label is no statement.
pub(super) fn label_refusal(labelled: &Labelled, acting: &[Range<usize>]) -> Option<Refusal> {
    let stays = labelled
        .selected_after
        .iter()
        .find(|(span, _)| !acting.contains(span));
    let left = match stays {
        Some((_, StatementKind::Declaration)) => AfterLabels::Declaration,
        Some(_) => AfterLabels::Statement,
        None => labelled.then,
    };
    let (labels, what) = (&labelled.labels, labelled.what);
    let fate = match left {
        AfterLabels::Statement => return None,
        AfterLabels::Declaration => "would stand before a declaration",
        AfterLabels::End => "would end its block",
        AfterLabels::Nothing => "would label the statement after it",
    };
    Some(Refusal {
        span: labelled.span.clone(),
        message: format!("without the {what} after it, the label `{labels}` {fate}"),
        help: format!(
            "C before C23 wants a statement after a label (gcc before 11: \"label at end of \
             compound statement\"), so the {what} after `{labels}` cannot be removed or guarded \
             alone: write `;` after the label in the source (`{labels} ;`), select a statement \
             that holds the label (by what it calls or uses), or narrow the rule (`inside`, \
             `condition`) and edit this place by hand"
        ),
    })
}

/// The innermost statement or declaration holding `span`; a top-level one only when no
/// statement of a function body does.
fn innermost<'s>(statements: &'s [CStatement], span: &Range<usize>) -> Option<&'s CStatement> {
    let holding = |statement: &&CStatement| {
        statement.span.start <= span.start && span.end <= statement.span.end
    };
    statements
        .iter()
        .filter(|statement| statement.kind != StatementKind::TopLevel)
        .filter(holding)
        .min_by_key(|statement| statement.span.len())
        .or_else(|| {
            statements
                .iter()
                .filter(|statement| statement.kind == StatementKind::TopLevel)
                .filter(holding)
                .min_by_key(|statement| statement.span.len())
        })
}

/// Every body predicate the rule gives holds within the statement: the evidence, one per kind.
fn predicates_hold(rule: &Rule, within: &c::CFacts) -> Option<Vec<(Range<usize>, String)>> {
    let matcher = &rule.matcher;
    let first = |found: &[(String, Range<usize>)], names: &[String]| {
        found.iter().find(|(name, _)| names.contains(name)).cloned()
    };
    let mut evidence = Vec::new();
    if !matcher.calls.is_empty() {
        let found = first(&within.calls, &matcher.calls).or_else(|| {
            matcher
                .references
                .then(|| first(&within.identifiers, &matcher.calls))
                .flatten()
        })?;
        evidence.push((found.1, format!("calls `{}`", found.0)));
    }
    if !matcher.mentions.is_empty() {
        let (name, span) = first(&within.identifiers, &matcher.mentions)?;
        evidence.push((span, format!("uses `{name}`")));
    }
    if !matcher.structs.is_empty() {
        let (name, span) = first(&within.structs, &matcher.structs)?;
        evidence.push((span, format!("uses `struct {name}`")));
    }
    Some(evidence)
}

/// The candidate for a selected statement: its whole lines, or a refusal saying why it cannot
/// be edited alone.
fn candidate(
    facts: &FileFacts,
    statement: CStatement,
    evidence: Vec<(Range<usize>, String)>,
    labelled: Option<Labelled>,
) -> Candidate {
    let span = statement.span.clone();
    let what = statement.kind.name();
    let lines = whole_lines(facts.source, facts.code(), &span);
    let refusal = if let Some((parent, keyword)) = &statement.bare_body_of {
        Some(Refusal {
            span: span.clone(),
            message: format!("this {what} is the unbraced body of `{keyword}`"),
            help: format!(
                "guarding or removing it alone would make the next statement the body of `{keyword}`: \
                 select the whole `{}…` statement (by what its condition calls or uses), or add braces \
                 around the body in the source",
                String::from_utf8_lossy(
                    &facts.source[parent.start..(parent.start + 2).min(parent.end)]
                )
            ),
        })
    } else if lines.is_none() {
        Some(Refusal {
            span: span.clone(),
            message: format!("this {what} shares a line with other code"),
            help: "a statement is guarded or removed as whole lines: put it on lines of its own"
                .to_string(),
        })
    } else {
        None
    };
    let lines = lines.unwrap_or_else(|| span.clone());
    let refusal = refusal.or_else(|| {
        crosses_a_conditional(facts, &lines).map(|directive| Refusal {
            span: directive,
            message: format!("this conditional starts or ends inside the selected {what}"),
            help: "a statement is guarded or removed with the conditionals it holds whole: \
                   narrow the rule, or edit this one by hand"
                .to_string(),
        })
    });
    Candidate {
        selected: span,
        lines,
        evidence,
        function: None,
        refusal,
        labelled,
    }
}

/// A directive of a conditional that the lines hold only in part (and that does not hold them
/// within one branch body): what a guard or a removal of the lines would unbalance.
fn crosses_a_conditional(facts: &FileFacts, lines: &Range<usize>) -> Option<Range<usize>> {
    let directives = &facts.scan.directives;
    facts.tree.all().into_iter().find_map(|conditional| {
        let whole = conditional.span(directives);
        let apart = whole.end <= lines.start || lines.end <= whole.start;
        let held = lines.start <= whole.start && whole.end <= lines.end;
        let holding = conditional
            .branches
            .iter()
            .any(|branch| branch.body.start <= lines.start && lines.end <= branch.body.end);
        (!apart && !held && !holding)
            .then(|| directives[conditional.branches[0].directive].text_span())
    })
}

/// A statement and where it stands, for `learn`: its whole lines and the lang-c facts within it.
#[derive(Clone, Debug)]
pub struct StatementOnLines {
    pub statement: CStatement,
    pub lines: Range<usize>,
    pub facts: c::CFacts,
}

/// The statements and declarations that occupy whole lines within `lines` (a range of whole
/// lines), in file order, outer ones before the ones they hold; read from the item around the
/// first code in `lines`, in the view where it is active. Bare bodies of `if`/loops are left
/// out (a rule cannot act on them alone). `Ok(empty)` when `lines` hold no code.
pub fn statements_on_lines(
    facts: &FileFacts,
    lines: Range<usize>,
) -> Result<Vec<StatementOnLines>, crate::c::ParseFailure> {
    let code = facts.code();
    let Some(first) = (lines.start..lines.end).find(|&at| !code[at].is_ascii_whitespace()) else {
        return Ok(Vec::new());
    };
    let Some((_, syntax)) = facts.syntax_at(first) else {
        return Ok(Vec::new());
    };
    let syntax = syntax?;
    let mut found: Vec<StatementOnLines> = syntax
        .statements
        .iter()
        .filter(|statement| statement.bare_body_of.is_none())
        .filter_map(|statement| {
            let whole = whole_lines(facts.source, code, &statement.span)?;
            (lines.start <= whole.start && whole.end <= lines.end).then(|| StatementOnLines {
                statement: statement.clone(),
                lines: whole,
                facts: syntax.facts.within(&statement.span),
            })
        })
        .collect();
    found.sort_by_key(|on| (on.lines.start, std::cmp::Reverse(on.lines.end)));
    found.dedup_by(|a, b| a.statement.span == b.statement.span);
    Ok(found)
}
