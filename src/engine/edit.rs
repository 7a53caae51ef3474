//! Edits: byte-range replacements on the original bytes, and the one planner that turns a
//! conditional plus a verdict per branch into edits.
//!
//! Every action (drop, keep, resolve, replace-condition) is a choice of verdicts; the planner
//! rewrites the group the way unifdef does: known-false branches go with their directive line,
//! a known-true branch keeps its body and ends the group, unknown branches stay (an `#elif` that
//! becomes first turns into `#if  `, a known-true branch after an unknown one into `#else`, and
//! the directive after it into `#endif`, the rest of the group going with the old `#endif`).
//! Removed text is always whole lines with their line endings; nothing else moves.

use std::ops::Range;

use crate::cond;
use crate::source::{Conditional, Directive, DirectiveKind, Scan};

/// Replace `range` of the original bytes by `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: Vec<u8>,
    /// The rule that asked for it, and which of its matches (sites), for reports.
    pub rule: usize,
    pub site: usize,
}

impl Edit {
    fn is_deletion(&self) -> bool {
        self.text.is_empty()
    }
}

/// What is decided about one branch's condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The branch is never taken: it goes.
    False,
    /// The branch is always taken when reached: its body stays, later branches go.
    True,
    /// Still conditional; `Some(text)` is a new condition to write on the directive.
    Unknown(Option<String>),
}

/// Who the edits are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub rule: usize,
    pub site: usize,
}

/// Plan the edits that rewrite `conditional` given one verdict per branch (an `#else` branch's
/// verdict is normally [`Verdict::True`]).
pub fn plan_conditional(
    scan: &Scan,
    conditional: &Conditional,
    verdicts: &[Verdict],
    owner: Owner,
    out: &mut Vec<Edit>,
) {
    let directives = &scan.directives;
    let edit = |range: Range<usize>, text: &[u8]| Edit {
        range,
        text: text.to_vec(),
        rule: owner.rule,
        site: owner.site,
    };
    let mut state = Group::Unopened;
    for (branch, verdict) in conditional.branches.iter().zip(verdicts) {
        let directive = &directives[branch.directive];
        let whole = directive.line.start..branch.body.end;
        state = match (state, verdict) {
            (Group::TakenElse, _) => {
                // The group stays a conditional: this directive becomes its `#endif` and the
                // rest, to the old `#endif` included, goes (as unifdef).
                out.push(edit(condition_range(directive), b"endif"));
                let endif = &directives[conditional.endif];
                out.push(edit(directive.line.end..endif.line.end, b""));
                return;
            }
            (Group::TakenBare, _) => {
                out.push(edit(whole, b""));
                Group::TakenBare
            }
            (state, Verdict::False) => {
                out.push(edit(whole, b""));
                state
            }
            (Group::Unopened, Verdict::True) => {
                out.push(edit(directive.line.clone(), b""));
                Group::TakenBare
            }
            (Group::Open, Verdict::True) => {
                if directive.kind != DirectiveKind::Else {
                    out.push(edit(condition_range(directive), b"else"));
                }
                Group::TakenElse
            }
            (state, Verdict::Unknown(new_condition)) => {
                let keyword = if state == Group::Open { "elif" } else { "if" };
                match new_condition {
                    Some(text) => {
                        // The old condition goes; a comment after it stays.
                        let line = format!("{keyword} {text}");
                        let condition = &scan.clean[directive.rest.clone()];
                        let end = directive.rest.start
                            + condition
                                .iter()
                                .rposition(|byte| !cond::is_c_space(byte))
                                .map_or(0, |last| last + 1);
                        out.push(edit(directive.keyword.start..end, line.as_bytes()));
                    }
                    None if state == Group::Unopened && directive.kind.continues() => {
                        // `#elif X` becoming the first branch: `#if X`, the rest of the line
                        // kept; `elif` turns into `if` and two spaces, as unifdef writes it.
                        let new_keyword: &[u8] = match directive.kind {
                            DirectiveKind::Elifdef => b"ifdef",
                            DirectiveKind::Elifndef => b"ifndef",
                            _ => b"if  ",
                        };
                        out.push(edit(directive.keyword.clone(), new_keyword));
                    }
                    None => {}
                }
                Group::Open
            }
        };
    }
    // Branches the caller gave no verdict for are unchanged; only the end needs care: with no
    // directive of the group left open, the `#endif` goes too.
    if matches!(state, Group::Unopened | Group::TakenBare) {
        out.push(edit(directives[conditional.endif].line.clone(), b""));
    }
}

/// Where the planner stands in a group, branch by branch: unifdef's state table, named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    /// No directive of the group is in the output yet: every branch so far went.
    Unopened,
    /// A directive that opens the group stays (a branch still conditional).
    Open,
    /// A branch always taken, reached with nothing open: its body stays without its directive,
    /// every later branch goes, and so does the `#endif`.
    TakenBare,
    /// A branch always taken, reached after one still conditional: it is the group's `#else`;
    /// the next directive becomes the `#endif` and the rest goes.
    TakenElse,
}

/// From the keyword to the end of the directive's text (line ending excluded).
fn condition_range(directive: &Directive) -> Range<usize> {
    directive.keyword.start..directive.rest.end
}

/// Two edits that touch the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    pub first: Edit,
    pub second: Edit,
}

/// Edits in order, none overlapping, and how edits of several owners were made one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    pub edits: Vec<Edit>,
    /// Identical edits (same bytes, same text) of another owner: made once, credited to each.
    /// (the owner of the edit kept, the other owner's edit).
    pub shared: Vec<(Owner, Edit)>,
    /// Edits inside a deletion of another rule: they go with it (the inner owner, the owner of
    /// the deletion).
    pub subsumed: Vec<(Owner, Owner)>,
}

/// Order edits and check they do not overlap. Identical edits (same range, same text) are made
/// once and credited to each owner; an edit that lies inside a deletion is dropped (its text
/// goes anyway; for another rule's deletion it is recorded as subsumed); any other overlap is
/// an error.
pub fn settle(mut edits: Vec<Edit>) -> Result<Settled, Box<Overlap>> {
    edits.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
            .then(a.text.cmp(&b.text))
            .then((a.rule, a.site).cmp(&(b.rule, b.site)))
    });
    let owner = |edit: &Edit| Owner {
        rule: edit.rule,
        site: edit.site,
    };
    let mut result = Settled::default();
    // Identical edits first, so that merging adjacent deletions does not hide them.
    let mut unique: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        if let Some(last) = unique.last()
            && last.range == edit.range
            && last.text == edit.text
        {
            if (last.rule, last.site) != (edit.rule, edit.site) {
                result.shared.push((owner(last), edit));
            }
            continue;
        }
        unique.push(edit);
    }
    let settled = &mut result.edits;
    for edit in unique {
        if let Some(last) = settled.last() {
            let overlaps = edit.range.start < last.range.end
                || (edit.range.start == last.range.start && edit.range.is_empty());
            if overlaps {
                let inside = edit.range.end <= last.range.end;
                if inside && last.is_deletion() {
                    if last.rule != edit.rule {
                        result.subsumed.push((owner(&edit), owner(last)));
                    }
                    continue;
                }
                return Err(Box::new(Overlap {
                    first: last.clone(),
                    second: edit,
                }));
            }
        }
        // Adjacent deletions of one site are one edit.
        if let Some(last) = settled.last_mut()
            && last.range.end == edit.range.start
            && (last.rule, last.site) == (edit.rule, edit.site)
            && last.is_deletion()
            && edit.is_deletion()
        {
            last.range.end = edit.range.end;
            continue;
        }
        settled.push(edit);
    }
    Ok(result)
}

/// Apply settled edits (as [`settle`] returns them: ordered, not overlapping, inside `source`)
/// to `source`.
pub fn apply(source: &[u8], edits: &[Edit]) -> Vec<u8> {
    let applied = apply_within(source, 0..source.len(), edits);
    debug_assert!(applied.is_some(), "edits that `settle` did not return");
    applied.unwrap_or_else(|| source.to_vec())
}

/// `source[window]` with `edits` applied: edits ordered, not overlapping, and inside `window`
/// (`None` when they are not), in offsets of the whole `source`.
pub fn apply_within(source: &[u8], window: Range<usize>, edits: &[Edit]) -> Option<Vec<u8>> {
    let mut output = Vec::with_capacity(window.len());
    let mut position = window.start;
    for edit in edits {
        if edit.range.start < position || edit.range.end > window.end {
            return None;
        }
        output.extend_from_slice(source.get(position..edit.range.start)?);
        output.extend_from_slice(&edit.text);
        position = edit.range.end;
    }
    output.extend_from_slice(source.get(position..window.end)?);
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{build, scan};

    fn rewrite(source: &str, verdicts: &[Verdict]) -> String {
        let scan = scan(source.as_bytes()).unwrap();
        let tree = build(&scan.directives).unwrap();
        let mut edits = Vec::new();
        let owner = Owner { rule: 0, site: 0 };
        plan_conditional(&scan, &tree.roots[0], verdicts, owner, &mut edits);
        let edits = settle(edits).unwrap().edits;
        String::from_utf8(apply(source.as_bytes(), &edits)).unwrap()
    }

    use Verdict::{False, True, Unknown};

    #[test]
    fn drop_a_lone_block_removes_whole_lines() {
        let source = "a;\n#if A\n  b;\n#endif\nc;\n";
        assert_eq!(rewrite(source, &[False]), "a;\nc;\n");
    }

    #[test]
    fn drop_the_if_branch_keeps_the_else_body() {
        let source = "#if A\nb;\n#else\nc;\n#endif\nd;\n";
        assert_eq!(rewrite(source, &[False, True]), "c;\nd;\n");
    }

    #[test]
    fn drop_the_if_branch_of_an_elif_chain() {
        let source = "#if A\na;\n#elif B /* b */\nb;\n#else\nc;\n#endif\n";
        assert_eq!(
            rewrite(source, &[False, Unknown(None), True]),
            "#if   B /* b */\nb;\n#else\nc;\n#endif\n"
        );
    }

    #[test]
    fn the_directive_after_a_decided_branch_becomes_the_endif() {
        let source = "#if A\na;\n#elif B /* b */\nb;\n#else /* e */\nc;\n#endif /* A */";
        assert_eq!(
            rewrite(source, &[Unknown(None), True, True]),
            "#if A\na;\n#else\nb;\n#endif\n"
        );
    }

    #[test]
    fn drop_a_middle_elif_and_the_else() {
        let source = "#if A\na;\n#elif B\nb;\n#else\nc;\n#endif\n";
        assert_eq!(
            rewrite(source, &[Unknown(None), False, True]),
            "#if A\na;\n#else\nc;\n#endif\n"
        );
        assert_eq!(
            rewrite(source, &[Unknown(None), Unknown(None), False]),
            "#if A\na;\n#elif B\nb;\n#endif\n"
        );
    }

    #[test]
    fn keep_a_branch() {
        let source = "#if A\na;\n#elif B\nb;\n#else\nc;\n#endif\n";
        assert_eq!(rewrite(source, &[True, True, True]), "a;\n");
        assert_eq!(rewrite(source, &[False, True, True]), "b;\n");
    }

    #[test]
    fn true_after_unknown_becomes_else() {
        let source = "#if A\na;\n#elif B\nb;\n#elif C\nc;\n#endif\n";
        assert_eq!(
            rewrite(source, &[Unknown(None), True, Unknown(None)]),
            "#if A\na;\n#else\nb;\n#endif\n"
        );
    }

    #[test]
    fn new_conditions_keep_indentation_and_line_endings() {
        let source = "  #  ifdef A\r\na;\r\n  #  endif\r\n";
        assert_eq!(
            rewrite(source, &[Unknown(Some("defined(B)".into()))]),
            "  #  if defined(B)\r\na;\r\n  #  endif\r\n"
        );
    }

    #[test]
    fn missing_final_newline_is_kept() {
        let source = "x;\n#ifdef A\na;\n#endif";
        assert_eq!(rewrite(source, &[True]), "x;\na;\n");
        assert_eq!(
            rewrite("#ifdef A\na;\n#else\nb;\n#endif", &[False, True]),
            "b;\n"
        );
    }

    #[test]
    fn overlaps_between_rules_are_errors() {
        let a = Edit {
            range: 0..10,
            text: vec![],
            rule: 0,
            site: 0,
        };
        let inner = Edit {
            range: 2..4,
            text: b"x".to_vec(),
            rule: 0,
            site: 1,
        };
        assert_eq!(
            settle(vec![inner.clone(), a.clone()]).unwrap().edits,
            vec![a.clone()]
        );
        // Inside another rule's deletion: subsumed, not an error.
        let other = Edit {
            rule: 1,
            ..inner.clone()
        };
        let settled = settle(vec![a.clone(), other.clone()]).unwrap();
        assert_eq!(settled.edits, vec![a.clone()]);
        assert_eq!(settled.subsumed.len(), 1);
        // The same edit from two rules: made once, credited to both.
        let same = Edit {
            rule: 1,
            site: 7,
            ..a.clone()
        };
        let settled = settle(vec![same, a.clone()]).unwrap();
        assert_eq!(settled.edits, vec![a.clone()]);
        assert_eq!((settled.shared[0].1.rule, settled.shared[0].1.site), (1, 7));
        // The same bytes, another text: an error naming both.
        let clash = Edit {
            range: 2..4,
            text: b"y".to_vec(),
            rule: 1,
            site: 0,
        };
        let overlap = settle(vec![inner, clash]).unwrap_err();
        assert_eq!((overlap.first.rule, overlap.second.rule), (0, 1));
        let partial = Edit {
            range: 5..12,
            text: Vec::new(),
            rule: 1,
            site: 0,
        };
        assert!(settle(vec![a, partial]).is_err());
    }
}
