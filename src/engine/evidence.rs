//! Evidence: what a file says about a rule that found no match in it. Each rule ends a run in
//! one state (applied, already-applied, no-match, drift); "already applied" is said only on
//! positive evidence, which each action defines in its own function here:
//!
//! - [`drop_evidence`]: what the body predicates look for (the call to `unshare`) is gone from the
//!   rule's scope (its `inside` functions, or the file), so no condition guards it any more;
//! - [`kept_evidence`] (`keep`, `resolve`): no conditional selected by the condition or `uses`
//!   is left in scope, and the kept body (what the body predicates look for) is there;
//! - [`replaced_evidence`] (`replace-condition`): a branch with the `replacement` condition is in
//!   scope and holds what the body predicates look for.
//!
//! A new action adds its function and its arm in [`evidence`]. What remains of the targets in
//! scope, not where the rule looks for it, is [`Evidence::Remains`]: the code moved, drift.

use std::ops::Range;

use super::matcher::{self, FileFacts};
use super::target;
use crate::c;
use crate::cond::{self, Norm};
use crate::rules::{Action, Match, Rule};

/// What one file says about a rule that found no match in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The rule's work is done here: what shows it, and where (when one place shows it).
    Applied {
        what: String,
        at: Option<Range<usize>>,
    },
    /// What the rule is about is still here, but not where the rule looks: drift.
    Remains { what: String, at: Range<usize> },
    /// Nothing says either way (why not).
    Unknown { why: String },
}

/// The evidence for `rule` (which found no match) in the file of `facts`, by its action.
pub fn evidence(rule: &Rule, facts: &FileFacts) -> Evidence {
    // unifdef mode: a file that -D/-U change nothing in is not one where they were applied.
    if rule.from_command_line() {
        return Evidence::Unknown {
            why: "the assumptions of -D/-U decide nothing here".to_string(),
        };
    }
    match &rule.action {
        Action::Drop => drop_evidence(rule, facts),
        Action::Keep | Action::Resolve(_) => kept_evidence(rule, facts),
        Action::ReplaceCondition(replacement) => replaced_evidence(rule, replacement, facts),
        // Line and statement actions: see [`target_evidence`].
        Action::Replace(_) | Action::SetValue(_) | Action::Guard(_) => Evidence::Unknown {
            why: "a line or statement action on a conditional".to_string(),
        },
    }
}

/// A line or statement rule (`target`): the evidence its action defines
/// ([`target::already_applied`]: the guard is there, the line is gone from a scope that is
/// there, the header replaced, the value set); else what it selects is still here, unapplied
/// (drift); else nothing says either way.
pub fn target_evidence(rule_index: usize, rule: &Rule, facts: &FileFacts) -> Evidence {
    if let Some(found) = target::already_applied(rule_index, rule, facts) {
        let mut said: Vec<&str> = Vec::new();
        for (_, what) in &found {
            if !said.contains(&what.as_str()) {
                said.push(what);
            }
        }
        return Evidence::Applied {
            what: said.join(", "),
            at: found.first().map(|(at, _)| at.clone()),
        };
    }
    match target::candidates(rule_index, rule, facts)
        .map(|found| target::left_behind(rule, facts, found))
    {
        Ok(found) if !found.is_empty() => Evidence::Remains {
            what: format!(
                "the {} the rule selects is still here, under no condition the rule selects",
                rule.target.name()
            ),
            at: found[0].selected.clone(),
        },
        _ => Evidence::Unknown {
            why: format!(
                "neither the {} the rule selects nor the sign of its action is here",
                rule.target.name()
            ),
        },
    }
}

/// The rule's scope: the bodies of its `inside` functions (`None` when the file has none of
/// them), or the whole file, less its `not_inside` functions (what they hold is not the rule's
/// to remove, so it is neither evidence nor code left behind); and how to say it.
fn scope(matcher: &Match, facts: &FileFacts) -> Option<(Vec<Range<usize>>, String)> {
    let quoted = |names: &[String]| -> String {
        let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
        and_list(&names)
    };
    let (scopes, place) = if matcher.inside.is_empty() {
        (
            std::iter::once(0..facts.source.len()).collect(),
            "this file".to_string(),
        )
    } else {
        let bodies: Vec<Range<usize>> = matcher
            .inside
            .iter()
            .flat_map(|name| facts.functions_named(name))
            .map(|function| function.body)
            .collect();
        if bodies.is_empty() {
            return None;
        }
        (bodies, quoted(&matcher.inside))
    };
    if matcher.not_inside.is_empty() {
        return Some((scopes, place));
    }
    let mut excluded: Vec<Range<usize>> = matcher
        .not_inside
        .iter()
        .flat_map(|name| facts.functions_named(name))
        .map(|function| function.item)
        .collect();
    excluded.sort_by_key(|range| range.start);
    let scopes = without(scopes, &excluded);
    let place = format!("{place} outside {}", quoted(&matcher.not_inside));
    Some((scopes, place))
}

/// `scopes` less the `excluded` ranges (sorted by start), as the ranges that are left.
fn without(scopes: Vec<Range<usize>>, excluded: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut left = Vec::new();
    for scope in scopes {
        let mut start = scope.start;
        for cut in excluded {
            if cut.end <= start || cut.start >= scope.end {
                continue;
            }
            if cut.start > start {
                left.push(start..cut.start);
            }
            start = start.max(cut.end);
        }
        if start < scope.end {
            left.push(start..scope.end);
        }
    }
    left
}

/// The first thing in `scopes` that the body predicates look for (token level, as the residue
/// of a rule that has lost track of its code), with what it is.
fn target_in(
    matcher: &Match,
    facts: &FileFacts,
    scopes: &[Range<usize>],
) -> Option<(Range<usize>, String)> {
    let code = facts.code();
    for scope in scopes {
        if let Some(include) = facts.includes(scope.clone(), &matcher.includes).next() {
            let text = String::from_utf8_lossy(&facts.source[include.clone()]).into_owned();
            return Some((include, format!("`{}`", text.trim())));
        }
        let tokens = c::tokens(code, scope.clone());
        let named = |span: &Range<usize>| String::from_utf8_lossy(&code[span.clone()]).into_owned();
        if let Some(span) = c::calls(code, &tokens, &matcher.calls).first() {
            return Some((span.clone(), format!("a call to `{}`", named(span))));
        }
        if let Some(span) = c::mentions(code, &tokens, &matcher.mentions).first() {
            return Some((span.clone(), format!("`{}`", named(span))));
        }
        if let Some(span) = tokens.windows(2).find_map(|pair| {
            (matches!(&code[pair[0].span.clone()], b"struct" | b"union")
                && matcher
                    .structs
                    .iter()
                    .any(|name| name.as_bytes() == &code[pair[1].span.clone()]))
            .then(|| pair[1].span.clone())
        }) {
            return Some((span.clone(), format!("`struct {}`", named(&span))));
        }
        // What a `#define`'s body calls or names is left behind too.
        let defined = c::define_facts(facts.scan, scope.clone());
        let wanted = |list: &[(String, Range<usize>)], names: &[String]| {
            list.iter()
                .find(|(name, _)| names.contains(name))
                .map(|(name, span)| (name.clone(), span.clone()))
        };
        if let Some((name, span)) = wanted(&defined.calls, &matcher.calls) {
            return Some((span, format!("a call to `{name}` in a `#define`")));
        }
        if let Some((name, span)) = wanted(&defined.identifiers, &matcher.mentions) {
            return Some((span, format!("`{name}` in a `#define`")));
        }
        if let Some((name, span)) = wanted(&defined.structs, &matcher.structs) {
            return Some((span, format!("`struct {name}` in a `#define`")));
        }
    }
    None
}

/// What the body predicates look for, said as a list ("a call to `unshare`").
fn targets(matcher: &Match) -> String {
    let mut parts = Vec::new();
    let quoted = |names: &[String]| {
        and_list(
            &names
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>(),
        )
    };
    if !matcher.calls.is_empty() {
        parts.push(format!("call to {}", quoted(&matcher.calls)));
    }
    if !matcher.includes.is_empty() {
        parts.push(format!("#include of {}", quoted(&matcher.includes)));
    }
    if !matcher.mentions.is_empty() {
        parts.push(format!("use of {}", quoted(&matcher.mentions)));
    }
    if !matcher.structs.is_empty() {
        parts.push(format!("use of struct {}", quoted(&matcher.structs)));
    }
    parts.join(", ")
}

/// `drop`: the body predicates' targets are gone from the scope. A drop without body
/// predicates has nothing to look for, so it never counts as applied.
pub fn drop_evidence(rule: &Rule, facts: &FileFacts) -> Evidence {
    let matcher = &rule.matcher;
    if !matcher.has_body_predicates() {
        return Evidence::Unknown {
            why:
                "a `drop` rule without body predicates (`calls`, `includes`, …) leaves nothing to \
                  look for once applied"
                    .to_string(),
        };
    }
    let Some((scopes, place)) = scope(matcher, facts) else {
        return Evidence::Unknown {
            why: format!("no function {} here", and_list(&matcher.inside)),
        };
    };
    match target_in(matcher, facts, &scopes) {
        Some((at, what)) => Evidence::Remains {
            what: format!("{what} is still in {place}, under no conditional the rule selects"),
            at,
        },
        None => Evidence::Applied {
            what: format!("no {} left in {place}", targets(matcher)),
            at: None,
        },
    }
}

/// `keep` and `resolve`: no conditional in scope is selected by the condition or `uses` (for a
/// `resolve` without them: none tests an assumed symbol), and the kept body is there (what the
/// body predicates look for, when there are some).
pub fn kept_evidence(rule: &Rule, facts: &FileFacts) -> Evidence {
    let matcher = &rule.matcher;
    let Some((scopes, place)) = scope(matcher, facts) else {
        return Evidence::Unknown {
            why: format!("no function {} here", and_list(&matcher.inside)),
        };
    };
    let in_scope = |at: usize| scopes.iter().any(|scope| scope.contains(&at));
    for conditional in facts.tree.all() {
        for (index, branch) in conditional.branches.iter().enumerate() {
            if in_scope(branch.body.start)
                && matcher::branch_matches(rule, facts, conditional, index, &mut Vec::new())
            {
                let line = facts.scan.directives[branch.directive].line.clone();
                return Evidence::Remains {
                    what: "a conditional the rule selects is still here, without what its body \
                           predicates look for"
                        .to_string(),
                    at: line,
                };
            }
        }
    }
    // A bare `resolve` leaves alone a condition that tests an assumed symbol but has no value
    // under the assumptions (`#if A/0 || B`): that symbol is still tested, so the rule is not
    // shown applied.
    if let Action::Resolve(assumptions) = &rule.action
        && matcher.condition.is_none()
        && matcher.uses.is_empty()
    {
        let symbols = assumptions.symbols();
        if let Some(text) = still_tested(facts, &in_scope, &symbols, |_| true) {
            return Evidence::Unknown {
                why: format!(
                    "`{text}` tests {} but has no value under the assumptions, so it stays as it is",
                    and_list(&quoted(&symbols))
                ),
            };
        }
    }
    // A `keep` on a condition leaves no conditional that tests its symbols where it looks
    // (each selected branch went without its directives): one that still does is code the
    // rule no longer fits (`#if HAVE_X && !defined(NO_X)` where the rule keeps `!HAVE_X`). The
    // plain complement of the condition (`#ifndef STDC` beside a kept `defined(STDC)`) is code
    // the rule never selects, there before it ran.
    if let (Action::Keep, Some(condition)) = (&rule.action, &matcher.condition) {
        let mut symbols = Vec::new();
        condition.symbols(&mut symbols);
        let symbols: Vec<String> = symbols.into_iter().map(str::to_string).collect();
        let other = |taken: &Norm| taken.clone().negated() != *condition;
        if let Some(text) = still_tested(facts, &in_scope, &symbols, other) {
            return Evidence::Unknown {
                why: format!(
                    "`{text}` still tests {}, under another condition than `{condition}`",
                    and_list(&quoted(&symbols))
                ),
            };
        }
    }
    let selection = selection(rule);
    if !matcher.has_body_predicates() {
        return Evidence::Applied {
            what: format!("no conditional in {place} {selection}"),
            at: None,
        };
    }
    match target_in(matcher, facts, &scopes) {
        Some((at, what)) => Evidence::Applied {
            what: format!(
                "no conditional in {place} {selection}, and the kept body is here ({what})"
            ),
            at: Some(at),
        },
        None => Evidence::Unknown {
            why: format!(
                "no conditional in {place} {selection}, but neither is the kept body ({})",
                targets(matcher)
            ),
        },
    }
}

/// The first branch in scope whose condition (an `#else`: the one it is taken under) tests one
/// of `symbols` and passes `also`: its directive's text.
fn still_tested(
    facts: &FileFacts,
    in_scope: &dyn Fn(usize) -> bool,
    symbols: &[String],
    also: impl Fn(&Norm) -> bool,
) -> Option<String> {
    facts.tree.all().into_iter().find_map(|conditional| {
        conditional
            .branches
            .iter()
            .enumerate()
            .find_map(|(index, branch)| {
                let taken = facts.taken_under(conditional, index)?;
                (in_scope(branch.body.start) && taken.uses_any(symbols) && also(&taken)).then(
                    || {
                        let directive = &facts.scan.directives[branch.directive];
                        String::from_utf8_lossy(&facts.source[directive.text_span()])
                            .trim()
                            .to_string()
                    },
                )
            })
    })
}

/// The rule's selection, said after "no conditional in SCOPE".
fn selection(rule: &Rule) -> String {
    let matcher = &rule.matcher;
    let mut parts = Vec::new();
    if let Some(condition) = &matcher.condition {
        parts.push(format!("has the condition `{condition}`"));
    }
    if !matcher.uses.is_empty() {
        parts.push(format!("tests {}", and_list(&quoted(&matcher.uses))));
    }
    if parts.is_empty()
        && let Action::Resolve(assumptions) = &rule.action
    {
        parts.push(format!(
            "tests {}",
            and_list(&quoted(&assumptions.symbols()))
        ));
    }
    parts.join(" and ")
}

/// `replace-condition`: a branch with the `replacement` condition is in scope (where the rule
/// would look) and its body holds what the body predicates look for.
pub fn replaced_evidence(rule: &Rule, replacement: &str, facts: &FileFacts) -> Evidence {
    let Ok(expr) = cond::parse(replacement.as_bytes(), 0) else {
        return Evidence::Unknown {
            why: format!("the replacement `{replacement}` does not parse"),
        };
    };
    let mut replaced = rule.clone();
    replaced.matcher.condition = Some(Norm::of(&expr));
    replaced.matcher.uses.clear();
    // Found as a match would be, but without failing the run on code lang-c cannot parse
    // (that is the rule's own matching's business).
    replaced.fallback = crate::rules::Fallback::Tokens;
    let mut warnings = Vec::new();
    if let Ok(sites) = matcher::find(0, &replaced, facts, &mut warnings)
        && let Some(site) = sites.first()
    {
        let branch = &site.conditional.branches[site.branches[0]];
        let line = facts.scan.directives[branch.directive].line.clone();
        let holds = if rule.matcher.has_body_predicates() {
            format!(" and holds the {}", targets(&rule.matcher))
        } else {
            String::new()
        };
        return Evidence::Applied {
            what: format!("a branch has the replacement condition `{replacement}`{holds}"),
            at: Some(line),
        };
    }
    if let Some((scopes, place)) = scope(&rule.matcher, facts)
        && rule.matcher.has_body_predicates()
        && let Some((at, what)) = target_in(&rule.matcher, facts, &scopes)
    {
        return Evidence::Remains {
            what: format!(
                "{what} is still in {place}, under no condition the rule selects nor its replacement"
            ),
            at,
        };
    }
    Evidence::Unknown {
        why: format!("no branch in scope has the replacement condition `{replacement}`"),
    }
}

/// "a", "a and b", "a, b and c" (the output layer's own is above this one).
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Each name in backticks.
fn quoted(names: &[String]) -> Vec<String> {
    names.iter().map(|name| format!("`{name}`")).collect()
}

#[cfg(test)]
// One-range scopes are what the cases are about.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::without;

    #[test]
    fn without_cuts_the_excluded_ranges_out_of_each_scope() {
        assert_eq!(
            without(vec![0..100], &[10..20, 50..60]),
            [0..10, 20..50, 60..100]
        );
        assert_eq!(without(vec![0..100], &[0..20, 90..120]), [20..90]);
        assert_eq!(without(vec![0..10, 30..40], &[5..35]), [0..5, 35..40]);
        assert_eq!(
            without(vec![10..20], &[0..30]),
            Vec::<std::ops::Range<usize>>::new()
        );
        assert_eq!(without(vec![10..20], &[]), [10..20]);
    }
}
