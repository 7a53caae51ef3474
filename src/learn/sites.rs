//! Step 3, the sites: every conditional whose directive lines the patch changes, and the action
//! that explains the patch's text on its lines. Each hunk has been re-aligned (see
//! [`PatchedFile::realign`]); the engine's planner is asked what `drop`, `resolve` (under small
//! sets of `define`/`undef`), `keep` and `replace-condition` would do to the conditional, and
//! the first action whose text equals the patch's is the one learned. A change to any line that
//! is not a directive line or the body of a branch removed whole is an error.

use std::ops::Range;

use crate::cond::{Assumptions, Norm};
use crate::diag::Problem;
use crate::engine::{self, FileFacts, Owner};
use crate::rules::Action;
use crate::source::{self, Branch, Conditional, DirectiveKind, Scan};

use super::patch::{self, PatchText, PatchedFile};
use super::{LearnError, LearnErrorKind};

/// One conditional the patch changes, and how.
#[derive(Clone, Debug)]
pub(super) struct Site<'a> {
    pub(super) file: usize,
    pub(super) conditional: &'a Conditional,
    pub(super) action: Action,
    /// The branches the rule selects: for `drop` the removed ones, for `keep` the kept one, for
    /// `resolve` the first.
    pub(super) selected: Vec<usize>,
    /// The symbols the conditional tests, in the order they appear.
    symbols: Vec<String>,
    /// Every set of assumptions (over `symbols`) under which `resolve` writes the patch's text
    /// on the conditional, fewest first: `action` holds the first, or, for a conditional
    /// removed whole, `drop`. The drafts choose among them, so that one set explains as many
    /// conditionals as it can (one `unifdef -U X` patch, one rule).
    resolves: Vec<Assumptions>,
}

impl Site<'_> {
    /// Whether `resolve` under `assumptions` writes the patch's text on the conditional: the
    /// assumptions on the symbols it tests are one of the sets that do (those on other symbols
    /// do not touch it).
    pub(super) fn resolved_by(&self, assumptions: &Assumptions) -> bool {
        let wanted = canonical(assumptions, &self.symbols);
        self.resolves
            .iter()
            .any(|known| canonical(known, &self.symbols) == wanted)
    }

    /// Learn the conditional as `resolve` under `assumptions` (one of those it is resolved by).
    pub(super) fn resolve_under(&mut self, assumptions: &Assumptions) {
        self.action = Action::Resolve(assumptions.clone());
        self.selected = vec![0];
    }

    /// The sets of assumptions under which `resolve` explains the conditional.
    pub(super) fn resolves(&self) -> &[Assumptions] {
        &self.resolves
    }
}

/// The assumptions on `symbols` alone, in an order-free form to compare.
fn canonical(
    assumptions: &Assumptions,
    symbols: &[String],
) -> (Vec<(String, String)>, Vec<String>) {
    let defined = assumptions
        .defined
        .iter()
        .filter(|(name, _)| symbols.contains(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut undefined: Vec<String> = assumptions
        .undefined
        .iter()
        .filter(|name| symbols.contains(name))
        .cloned()
        .collect();
    undefined.sort();
    (defined, undefined)
}

/// One file's analysis.
pub(super) struct Study<'a> {
    index: usize,
    pub(super) file: &'a PatchedFile,
    pub(super) facts: &'a FileFacts<'a>,
    patch: &'a PatchText<'a>,
    /// Every identifier and included header of the file with its offset, read once (see
    /// [`super::predicates`]).
    pub(super) names: std::cell::OnceCell<super::predicates::FileNames>,
}

impl<'a> Study<'a> {
    pub(super) fn new(
        index: usize,
        file: &'a PatchedFile,
        facts: &'a FileFacts<'a>,
        patch: &'a PatchText<'a>,
    ) -> Study<'a> {
        Study {
            index,
            file,
            facts,
            patch,
            names: std::cell::OnceCell::new(),
        }
    }

    pub(super) fn scan(&self) -> &'a Scan {
        self.facts.scan
    }

    /// Check that the patch changes nothing in `range` but conditionals (`children`), and learn
    /// each changed conditional.
    fn region(
        &self,
        range: &Range<usize>,
        children: &'a [Conditional],
        sites: &mut Vec<Site<'a>>,
    ) -> Result<(), LearnError> {
        let spans = Spans::new(
            children
                .iter()
                .map(|child| child.span(&self.scan().directives)),
        );
        for line in self.file.lines_in(range) {
            let start = self.file.lines[line].start;
            if self.file.deleted[line] && !spans.contains(start) {
                return Err(self.not_conditional(line));
            }
        }
        for child in children {
            self.conditional(child, sites)?;
        }
        Ok(())
    }

    fn not_conditional(&self, line: usize) -> LearnError {
        let file = self.file;
        let mut problem = Problem::error(format!(
            "the patch changes a line of {} that is not a conditional branch",
            file.source.display
        ))
        .at(
            &file.source.display,
            &file.original,
            file.lines[line].start..file.lines[line].end.saturating_sub(1),
            "changed by the patch, outside any branch it removes",
        );
        if let Some(at) = &file.patch_at[line] {
            problem = problem.with_note(format!(
                "the patch changes it at {}:{}",
                self.patch.name,
                self.patch.line_number(at)
            ));
        }
        LearnError::new(
            LearnErrorKind::NotConditional,
            problem.help(patch::NOT_CONDITIONAL_HELP),
        )
    }

    /// Learn one conditional: untouched (look inside), or a site with the action that explains
    /// the patch's text on its lines.
    fn conditional(
        &self,
        conditional: &'a Conditional,
        sites: &mut Vec<Site<'a>>,
    ) -> Result<(), LearnError> {
        let directives = &self.scan().directives;
        let directive_line = |index: usize| directives[index].line.clone();
        let touched = conditional
            .branches
            .iter()
            .map(|branch| directive_line(branch.directive))
            .chain([directive_line(conditional.endif)])
            .any(|line| self.file.any_deleted(&line));
        if !touched {
            for branch in &conditional.branches {
                self.region(&branch.body, &branch.children, sites)?;
            }
            return Ok(());
        }
        for (action, selected) in self.hypotheses(conditional) {
            let verdicts = engine::plan_verdicts(&action, conditional, &selected, self.facts);
            let Some((kept, nested)) = self.explains(conditional, &verdicts) else {
                continue;
            };
            if nested {
                for index in kept {
                    let branch = &conditional.branches[index];
                    self.region(&branch.body, &branch.children, sites)?;
                }
            }
            // Every other resolve that writes the same text, for the drafts to choose from.
            let resolves = match &action {
                Action::Resolve(_) | Action::Drop => self
                    .assumption_sets(conditional)
                    .into_iter()
                    .filter(|assumptions| {
                        let resolve = Action::Resolve(assumptions.clone());
                        let verdicts =
                            engine::plan_verdicts(&resolve, conditional, &[0], self.facts);
                        self.explains(conditional, &verdicts).is_some()
                    })
                    .collect(),
                _ => Vec::new(),
            };
            sites.push(Site {
                file: self.index,
                conditional,
                action,
                selected,
                symbols: self.symbols(conditional),
                resolves,
            });
            return Ok(());
        }
        Err(self.unlearnable(conditional))
    }

    fn unlearnable(&self, conditional: &Conditional) -> LearnError {
        let directives = &self.scan().directives;
        let file = self.file;
        let first = conditional
            .branches
            .iter()
            .map(|branch| branch.directive)
            .chain([conditional.endif])
            .find(|&index| file.any_deleted(&directives[index].line))
            .unwrap_or(conditional.endif);
        let directive = &directives[first];
        let partly = conditional
            .branches
            .iter()
            .find(|branch| file.any_deleted(&branch.body) && !file.all_deleted(&branch.body));
        let mut problem = Problem::error(format!(
            "cannot learn this change to a conditional of {}",
            file.source.display
        ))
        .at(
            &file.source.display,
            &file.original,
            directive.text_span(),
            "the patch changes this directive",
        );
        if let Some(branch) = partly {
            let line = file
                .lines_in(&branch.body)
                .find(|&line| file.deleted[line])
                .unwrap_or(0);
            problem = problem.also(
                file.lines[line].start..file.lines[line].end.saturating_sub(1),
                "and only part of this branch's body",
            );
        }
        LearnError::new(
            LearnErrorKind::Unlearnable,
            problem.help("learn explains a change to a conditional as `drop` (branches removed whole, directive and body), `resolve` (directives removed and branches kept or removed as unifdef -D/-U would) or `keep`; this change is none of them: write the rule by hand, or make the patch of one such change"),
        )
    }

    /// The actions that could explain a changed conditional, most likely first: when a branch's
    /// body stays while its directive goes (unifdef's shape), `resolve` under each small set of
    /// assumptions, then `drop`, then `keep`; otherwise `drop` first.
    fn hypotheses(&self, conditional: &Conditional) -> Vec<(Action, Vec<usize>)> {
        let file = self.file;
        let directives = &self.scan().directives;
        let has_condition = |branch: &Branch| self.facts.conditions[branch.directive].is_some();
        let directive_gone = |branch: &Branch| file.any_deleted(&directives[branch.directive].line);
        // `drop` and `keep` select an `#else` too, by the condition it is taken under.
        let removed: Vec<usize> = (0..conditional.branches.len())
            .filter(|&index| {
                let branch = &conditional.branches[index];
                directive_gone(branch) && file.all_deleted(&branch.body)
            })
            .collect();
        let body_stays = |branch: &Branch| {
            directive_gone(branch) && !branch.body.is_empty() && !file.all_deleted(&branch.body)
        };
        let unifdef_shape = conditional.branches.iter().any(body_stays);
        let mut drop = Vec::new();
        if !removed.is_empty() {
            drop.push((Action::Drop, removed));
        }
        let resolve = self
            .assumption_sets(conditional)
            .into_iter()
            .map(|assumptions| (Action::Resolve(assumptions), vec![0]));
        let keep = conditional
            .branches
            .iter()
            .position(body_stays)
            .map(|index| (Action::Keep, vec![index]));
        // A directive line rewritten into another condition, its body untouched.
        let replace = conditional
            .branches
            .iter()
            .enumerate()
            .filter_map(|(index, branch)| {
                let line = file.lines_in(&directives[branch.directive].line).last()?;
                let text = file.replacement[line].as_deref()?;
                let unchanged_body = !file.any_deleted(&branch.body);
                (has_condition(branch) && unchanged_body)
                    .then(|| new_condition(text))
                    .flatten()
                    .map(|condition| (Action::ReplaceCondition(condition), vec![index]))
            });
        let mut all = Vec::new();
        if unifdef_shape {
            all.extend(resolve);
            all.extend(drop);
        } else {
            all.extend(drop);
            all.extend(resolve);
        }
        all.extend(keep);
        all.extend(replace);
        all
    }

    /// Every way of assuming the conditional's symbols defined (to 1) or undefined, fewest
    /// assumptions first, in the order the symbols appear, defined before undefined.
    fn assumption_sets(&self, conditional: &Conditional) -> Vec<Assumptions> {
        let symbols = self.symbols(conditional);
        let most = if symbols.len() <= 6 { symbols.len() } else { 2 };
        let mut sets = Vec::new();
        for size in 1..=most {
            for chosen in combinations(symbols.len(), size) {
                for pattern in 0..(1u32 << size) {
                    let mut assumptions = Assumptions::default();
                    for (bit, &symbol) in chosen.iter().enumerate() {
                        if pattern & (1 << (size - 1 - bit)) == 0 {
                            assumptions.define(&symbols[symbol]);
                        } else {
                            assumptions.undefine(&symbols[symbol]);
                        }
                    }
                    sets.push(assumptions);
                }
            }
        }
        sets
    }

    /// The symbols the conditional's conditions test, each once, in the order they appear.
    fn symbols(&self, conditional: &Conditional) -> Vec<String> {
        let mut symbols: Vec<String> = Vec::new();
        for branch in &conditional.branches {
            if let Some(condition) = &self.facts.conditions[branch.directive] {
                let norm = Norm::of(condition);
                let mut names = Vec::new();
                norm.symbols(&mut names);
                for name in names {
                    if !symbols.iter().any(|known| known == name) {
                        symbols.push(name.to_string());
                    }
                }
            }
        }
        symbols
    }

    /// Whether planning `verdicts` on the conditional writes exactly what the patch writes on
    /// the conditional's lines. Returns the kept branches, and whether the patch also changes
    /// something inside them (to be learned on its own). The text is compared first with the
    /// kept bodies as they are, so that how `diff` aligned lines inside the conditional does not
    /// matter (unifdef's output often repeats a line of the removed branch in the kept one).
    fn explains(
        &self,
        conditional: &Conditional,
        verdicts: &[engine::Verdict],
    ) -> Option<(Vec<usize>, bool)> {
        let scan = self.scan();
        let mut planned = Vec::new();
        let owner = Owner { rule: 0, site: 0 };
        engine::plan_conditional(scan, conditional, verdicts, owner, &mut planned);
        let mut edits = engine::settle(planned).ok()?.edits;
        let span = conditional.span(&scan.directives);
        let kept: Vec<usize> = (0..conditional.branches.len())
            .filter(|&index| {
                let body = &conditional.branches[index].body;
                !body.is_empty()
                    && !edits
                        .iter()
                        .any(|edit| edit.range.start < body.end && body.start < edit.range.end)
            })
            .collect();
        let wanted = self.file.patched_text(&span);
        if engine::apply_within(&self.file.original, span.clone(), &edits)? == wanted {
            return Some((kept, false));
        }
        for &index in &kept {
            edits.extend(self.file.patch_edits(&conditional.branches[index].body));
        }
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        (engine::apply_within(&self.file.original, span, &edits)? == wanted).then_some((kept, true))
    }
}

/// Every conditional the patch changes in the files, with the action that explains it; an error
/// for a change to anything else.
pub(super) fn sites<'a>(studies: &[Study<'a>]) -> Result<Vec<Site<'a>>, LearnError> {
    let mut sites = Vec::new();
    for study in studies {
        let whole = 0..study.file.original.len();
        study.region(&whole, &study.facts.tree.roots, &mut sites)?;
    }
    Ok(sites)
}

/// The condition of a lone `#if`/`#elif` line (comments blanked, trimmed).
fn new_condition(line: &[u8]) -> Option<String> {
    let scan = source::scan(line).ok()?;
    let [directive] = scan.directives.as_slice() else {
        return None;
    };
    if !matches!(directive.kind, DirectiveKind::If | DirectiveKind::Elif) {
        return None;
    }
    let condition = scan.rest_text(directive);
    (!condition.is_empty()).then(|| String::from_utf8_lossy(condition).into_owned())
}

/// A set of byte ranges, sorted and merged, that answers "does one of them hold this offset?" by
/// binary search: learn asks it once per line or name of a file, so a linear scan of the ranges
/// would make the work grow with the square of the blocks.
pub(super) struct Spans(Vec<Range<usize>>);

impl Spans {
    pub(super) fn new(ranges: impl IntoIterator<Item = Range<usize>>) -> Spans {
        let mut ranges: Vec<Range<usize>> = ranges
            .into_iter()
            .filter(|range| !range.is_empty())
            .collect();
        ranges.sort_by_key(|range| range.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        Spans(merged)
    }

    /// The ranges, sorted and disjoint.
    pub(super) fn ranges(&self) -> &[Range<usize>] {
        &self.0
    }

    /// Whether one of the ranges holds `offset`.
    pub(super) fn contains(&self, offset: usize) -> bool {
        let after = self.0.partition_point(|range| range.start <= offset);
        after > 0 && offset < self.0[after - 1].end
    }
}

/// The `size`-element subsets of `0..count`, in lexicographic order.
pub(super) fn combinations(count: usize, size: usize) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    let mut current = Vec::with_capacity(size);
    fn extend(
        start: usize,
        count: usize,
        size: usize,
        current: &mut Vec<usize>,
        all: &mut Vec<Vec<usize>>,
    ) {
        if current.len() == size {
            all.push(current.clone());
            return;
        }
        for next in start..count {
            current.push(next);
            extend(next + 1, count, size, current, all);
            current.pop();
        }
    }
    extend(0, count, size, &mut current, &mut all);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_hold_what_their_ranges_hold() {
        // Unsorted, overlapping, adjacent and empty ranges.
        let spans = Spans::new([20..30, 5..10, 8..12, 12..14, 40..40, 50..51]);
        let held: Vec<usize> = (0..60).filter(|&offset| spans.contains(offset)).collect();
        let expected: Vec<usize> = (5..14).chain(20..30).chain([50]).collect();
        assert_eq!(held, expected);
        assert!(!Spans::new([]).contains(0));
    }
}
