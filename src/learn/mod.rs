//! Learning a rule from a patch: read a unified diff, find which conditional branches it removes
//! or resolves in the original sources, write the TOML rule that says so, and check that the rule
//! reproduces the patched files exactly before handing it out.
//!
//! The steps, each a plain function on values (1 and 2 in [`patch`]):
//!
//! 1. `parse_patch`: a strict unified-diff reader (GNU `diff -u`, `git diff`): file headers,
//!    hunks whose line counts must match their headers, `\ No newline at end of file`.
//! 2. The file names are resolved under the source directory the way `patch` does, trying `-p0`
//!    then `-p1` (the old name first, then the new one), and each hunk is applied in memory,
//!    exactly where it says (no offset, no fuzz): the result is the patched file and, for every
//!    line of the original, whether the patch deletes it and what it writes in its place.
//! 3. Each hunk is re-aligned (among equally long alignments, deletions inside the conditionals
//!    the patch changes are preferred), then every conditional whose directive lines the patch
//!    touches is a site: the planner of [`crate::engine`] is asked what `drop`, `resolve` (under
//!    small sets of `define`/`undef`), `keep` and `replace-condition` would do to it, and the
//!    first action whose text equals the patch's on the site's own lines is the one learned. A
//!    change to any line that is not a directive line or the body of a branch removed whole is
//!    an error.
//! 4. Sites are grouped into rules (action, condition, assumptions); each rule gets the enclosing
//!    function when all its sites share one (`inside`) and the smallest set of body predicates
//!    (calls, then includes, then identifiers, then struct tags, from lang-c's facts) that every
//!    removed block has and every block the rule would otherwise also select lacks.
//! 5. The rules are rendered as TOML, loaded back with [`crate::rules::load`], run with
//!    [`crate::engine::process`] over the original files and compared with the patched ones;
//!    any difference, or a match count other than the one written in `expect`, is an error.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::c::{self, Macros, TokenKind};
use crate::cond::{Assumptions, Norm};
use crate::diag::{InFile, Problem};
use crate::engine::{self, BodyFacts, FileFacts, Owner, Setup};
use crate::files;
use crate::output::and_list;
use crate::rules::{self, Action};
use crate::source::{self, Branch, Conditional, DirectiveKind, Lines, ParsedFile, Scan};

mod patch;

use patch::{PatchText, PatchedFile, apply, parse_patch, resolve_files, shown};

/// What went wrong, in kinds a caller (or a test) can tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnErrorKind {
    /// A file could not be read or written.
    Io,
    /// The patch is not a unified diff this reader accepts.
    Malformed,
    /// A file the patch names is not under the source directory.
    MissingFile,
    /// A hunk does not match the source file.
    Mismatch,
    /// A source file cdefang cannot read (unbalanced conditionals, an unreadable condition).
    Source,
    /// The patch changes something that is not a whole conditional branch.
    NotConditional,
    /// The patch changes a conditional in a way no rule expresses.
    Unlearnable,
    /// No body predicate tells the changed blocks from those the patch leaves alone.
    Indistinct,
    /// lang-c cannot parse a block the rule must describe.
    Unparsable,
    /// The learned rules do not reproduce the patched files.
    Verify,
}

/// Why no rule was learned: the kind, and the diagnostic (file, line, what to do).
#[derive(Clone, Debug)]
pub struct LearnError {
    pub kind: LearnErrorKind,
    pub problem: Box<Problem>,
}

impl LearnError {
    pub fn new(kind: LearnErrorKind, problem: Problem) -> LearnError {
        LearnError {
            kind,
            problem: Box::new(problem),
        }
    }

    /// The diagnostic as text, without colour.
    pub fn render(&self) -> String {
        self.problem.render_plain()
    }
}

impl std::fmt::Display for LearnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem.message)
    }
}

/// What the C parser needs to read the sources (as the top-level keys of a rules file); the
/// learned file repeats them, so that it works on its own.
#[derive(Clone, Debug, Default)]
pub struct Hints {
    pub macros: Macros,
    pub typedefs: Vec<String>,
}

/// One request to learn: the patch (its name as given, for messages, and its bytes), the
/// directory it applies to, and the parsing hints.
#[derive(Clone, Debug)]
pub struct Request {
    pub patch_name: String,
    pub patch: Vec<u8>,
    pub source: PathBuf,
    pub hints: Hints,
}

/// One learned rule, for the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnedRule {
    pub id: String,
    pub action: &'static str,
    pub matches: u64,
    pub files: Vec<String>,
}

/// The learned rules file, verified.
#[derive(Clone, Debug)]
pub struct Learned {
    pub toml: String,
    pub rules: Vec<LearnedRule>,
}

// ---------------------------------------------------------------------------------------------
// 3. Sites: the conditionals the patch changes, and the action that explains each.

/// One conditional the patch changes, and how.
#[derive(Clone, Debug)]
struct Site<'a> {
    file: usize,
    conditional: &'a Conditional,
    action: Action,
    /// The branches the rule selects: for `drop` the removed ones, for `keep` the kept one, for
    /// `resolve` the first.
    selected: Vec<usize>,
}

/// One file's analysis.
struct Study<'a> {
    index: usize,
    file: &'a PatchedFile,
    facts: &'a FileFacts<'a>,
    patch: &'a PatchText<'a>,
    /// The file's code view (comments and directives blanked), for counting names.
    code: Vec<u8>,
}

impl<'a> Study<'a> {
    fn scan(&self) -> &'a Scan {
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
        let spans: Vec<Range<usize>> = children
            .iter()
            .map(|child| child.span(&self.scan().directives))
            .collect();
        for line in self.file.lines_in(range) {
            let start = self.file.lines[line].start;
            if self.file.deleted[line] && !spans.iter().any(|span| span.contains(&start)) {
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
            sites.push(Site {
                file: self.index,
                conditional,
                action,
                selected,
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
            directive.hash..directive.rest.end,
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
        let removed: Vec<usize> = (0..conditional.branches.len())
            .filter(|&index| {
                let branch = &conditional.branches[index];
                has_condition(branch) && directive_gone(branch) && file.all_deleted(&branch.body)
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
            .position(|branch| has_condition(branch) && body_stays(branch))
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
        let mut edits = engine::settle(planned).ok()?;
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

/// The `size`-element subsets of `0..count`, in lexicographic order.
fn combinations(count: usize, size: usize) -> Vec<Vec<usize>> {
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

// ---------------------------------------------------------------------------------------------
// 4. Rules: grouping sites, `inside`, body predicates.

/// The body predicate kinds, most specific first, as `[rule.match]` keys.
const KINDS: [&str; 4] = ["calls", "includes", "mentions", "structs"];

/// What a branch body has, per predicate kind (indexed like [`KINDS`]).
#[derive(Clone, Debug, Default)]
struct BodySets {
    sets: [BTreeSet<String>; 4],
}

/// A rule being learned: its action and selection, and the sites it stands for.
struct Draft<'a> {
    action: Action,
    condition: Option<Norm>,
    uses: Vec<String>,
    sites: Vec<Site<'a>>,
}

impl<'a> Draft<'a> {
    fn files(&self) -> Vec<usize> {
        let files: BTreeSet<usize> = self.sites.iter().map(|site| site.file).collect();
        files.into_iter().collect()
    }

    /// The selected branches: (file, branch).
    fn positives(&self) -> Vec<(usize, &'a Branch)> {
        self.sites
            .iter()
            .flat_map(|site| {
                let conditional: &'a Conditional = site.conditional;
                site.selected
                    .iter()
                    .map(move |&index| (site.file, &conditional.branches[index]))
            })
            .collect()
    }

    fn is_positive(&self, file: usize, conditional: &Conditional, index: usize) -> bool {
        self.sites.iter().any(|site| {
            site.file == file
                && std::ptr::eq(site.conditional, conditional)
                && site.selected.contains(&index)
        })
    }

    /// Would the rule's condition (or `uses`) select a branch with this condition?
    fn selects(&self, norm: &Norm) -> bool {
        match &self.condition {
            Some(condition) => condition == norm,
            None => norm.uses_any(&self.uses),
        }
    }
}

/// The condition of a branch, normalised (`None` for `#else`).
fn norm_of(study: &Study, branch: &Branch) -> Option<Norm> {
    study.facts.conditions[branch.directive]
        .as_ref()
        .map(Norm::of)
}

/// Group the sites into drafts: one per action and condition (for `resolve`, per assumption
/// set, selecting with `uses` unless that would also select a conditional the patch leaves
/// alone, then per condition).
fn drafts<'a>(
    mut sites: Vec<Site<'a>>,
    studies: &[Study<'a>],
) -> Result<Vec<Draft<'a>>, LearnError> {
    sites.sort_by_key(|site| {
        let directives = &studies[site.file].scan().directives;
        (site.file, site.conditional.span(directives).start)
    });
    let mut drafts: Vec<Draft<'a>> = Vec::new();
    for site in sites {
        let study = &studies[site.file];
        let (condition, uses) = match &site.action {
            Action::Resolve(assumptions) => (None, assumptions.symbols()),
            _ => {
                let norms: BTreeSet<Norm> = site
                    .selected
                    .iter()
                    .filter_map(|&index| norm_of(study, &site.conditional.branches[index]))
                    .collect();
                if norms.len() != 1 {
                    let directive =
                        &study.scan().directives[site.conditional.branches[0].directive];
                    return Err(LearnError::new(
                        LearnErrorKind::Unlearnable,
                        Problem::error("the patch removes branches with different conditions from one conditional")
                            .at(&study.file.source.display, &study.file.original, directive.hash..directive.rest.end, "this conditional")
                            .help("one rule selects branches by one condition: make a patch per condition, or write the rule by hand"),
                    ));
                }
                (norms.into_iter().next(), Vec::new())
            }
        };
        match drafts.iter_mut().find(|draft| {
            draft.action == site.action && draft.condition == condition && draft.uses == uses
        }) {
            Some(draft) => draft.sites.push(site),
            None => drafts.push(Draft {
                action: site.action.clone(),
                condition,
                uses,
                sites: vec![site],
            }),
        }
    }
    // A `resolve` draft selecting by `uses` must not reach a conditional the patch leaves alone;
    // if it would, it becomes one draft per condition of the conditionals it resolves.
    let mut settled = Vec::new();
    for draft in drafts {
        if draft.condition.is_some() || negatives(&draft, studies, None).is_empty() {
            settled.push(draft);
            continue;
        }
        let mut split: Vec<Draft<'a>> = Vec::new();
        for site in draft.sites {
            let condition = norm_of(&studies[site.file], &site.conditional.branches[0]);
            match split.iter_mut().find(|draft| draft.condition == condition) {
                Some(draft) => draft.sites.push(site),
                None => split.push(Draft {
                    action: draft.action.clone(),
                    condition,
                    uses: Vec::new(),
                    sites: vec![site],
                }),
            }
        }
        settled.extend(split);
    }
    Ok(settled)
}

/// The branches the draft's selection (condition or `uses`, and `inside`) also reaches in its
/// files although the patch leaves them alone. A branch whose directive the patch deletes is
/// part of some site (or inside a removed block) and is not one of them.
fn negatives<'a>(
    draft: &Draft<'a>,
    studies: &[Study<'a>],
    inside: Option<&str>,
) -> Vec<(usize, &'a Branch)> {
    let first_only = matches!(draft.action, Action::Resolve(_));
    let mut found = Vec::new();
    for file in draft.files() {
        let study = &studies[file];
        for conditional in study.facts.tree.all() {
            for (index, branch) in conditional.branches.iter().enumerate() {
                let Some(norm) = norm_of(study, branch) else {
                    continue;
                };
                if !draft.selects(&norm) {
                    continue;
                }
                if let Some(wanted) = inside {
                    let function = study.facts.enclosing_function(branch.body.clone());
                    if function.is_none_or(|function| function.name != wanted) {
                        continue;
                    }
                }
                let directive = &study.scan().directives[branch.directive];
                if !draft.is_positive(file, conditional, index)
                    && !study.file.any_deleted(&directive.line)
                {
                    found.push((file, branch));
                }
                if first_only {
                    break;
                }
            }
        }
    }
    found
}

impl Study<'_> {
    /// What lang-c (and the directives) find in a branch body.
    fn body_sets(&self, branch: &Branch) -> Result<BodySets, LearnError> {
        let mut sets = BodySets::default();
        if branch.body.is_empty() {
            return Ok(sets);
        }
        let parsed = match self.facts.body_facts(branch.body.clone()) {
            BodyFacts::Parsed(parsed) => parsed,
            BodyFacts::Unparsable(failure) => {
                let file = self.file;
                return Err(LearnError::new(
                    LearnErrorKind::Unparsable,
                    Problem::error(format!(
                        "lang-c cannot parse the code around a block of {} the rule must describe",
                        file.source.display
                    ))
                    .at(
                        &file.source.display,
                        &file.original,
                        failure.offset..failure.offset + 1,
                        failure.message.clone(),
                    )
                    .also(branch.body.start..branch.body.start, "the block starts here")
                    .help("declare the macros or type names that hide C syntax: --hints FILE (the statement_macros, blank_macros, function_macros and typedefs of a rules file; for uWSGI, rules/uwsgi-parse.toml) or --statement-macro/--blank-macro/--function-macro/--typedef"),
                ));
            }
        };
        sets.sets[0] = parsed.calls.into_iter().map(|(name, _)| name).collect();
        sets.sets[1] = self
            .scan()
            .includes(branch.body.clone())
            .filter_map(|include| include.name)
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect();
        sets.sets[2] = parsed
            .identifiers
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        sets.sets[3] = parsed.structs.into_iter().map(|(name, _)| name).collect();
        Ok(sets)
    }

    /// How often each identifier and each included header occurs in the file outside `skip`.
    fn occurrences(
        &self,
        skip: &[Range<usize>],
        identifiers: &mut HashMap<String, usize>,
        headers: &mut HashMap<String, usize>,
    ) {
        let outside = |offset: usize| !skip.iter().any(|range| range.contains(&offset));
        let code = &self.code;
        let tokens = c::tokens(code, 0..code.len());
        for (index, token) in tokens.iter().enumerate() {
            // Members (`uwsgi.unshare`, `p->unshare`) are other names.
            let member = index > 0 && matches!(&code[tokens[index - 1].span.clone()], b"." | b"->");
            if token.kind == TokenKind::Ident && !member && outside(token.span.start) {
                let name = String::from_utf8_lossy(&code[token.span.clone()]).into_owned();
                *identifiers.entry(name).or_default() += 1;
            }
        }
        for include in self.scan().includes(0..self.file.original.len()) {
            if outside(include.directive.line.start)
                && let Some(name) = include.name
            {
                let name = String::from_utf8_lossy(name).into_owned();
                *headers.entry(name).or_default() += 1;
            }
        }
    }
}

/// The smallest set of body predicates (at most one per kind: a list means "any of") that every
/// positive has and that every negative lacks in at least one kind. Candidates are tried by
/// kind (calls, includes, mentions, structs) and, within a kind, rarest in the files first.
/// With no negative, `always` still picks the first candidate (so a `drop` rule says what it
/// removes, and a second run finds nothing left to remove). `None`: nothing discriminates.
fn choose_predicates(
    positives: &[BodySets],
    negatives: &[BodySets],
    rank: &dyn Fn(usize, &str) -> usize,
    always: bool,
) -> Option<[Option<String>; 4]> {
    let mut candidates: [Vec<String>; 4] = Default::default();
    for kind in 0..KINDS.len() {
        let Some((first, rest)) = positives.split_first() else {
            break;
        };
        let mut shared: Vec<String> = first.sets[kind]
            .iter()
            .filter(|name| rest.iter().all(|body| body.sets[kind].contains(*name)))
            .cloned()
            .collect();
        if kind == 2 {
            // An identifier that is also a shared call says nothing more as a mention.
            shared.retain(|name| !candidates[0].contains(name));
        }
        shared.sort_by_key(|name| (rank(kind, name), name.clone()));
        candidates[kind] = shared;
    }
    let mut chosen: [Option<String>; 4] = Default::default();
    if negatives.is_empty() {
        if always && let Some(kind) = (0..KINDS.len()).find(|&kind| !candidates[kind].is_empty()) {
            chosen[kind] = candidates[kind].first().cloned();
        }
        return Some(chosen);
    }
    let excludes_all = |choice: &[Predicate]| {
        negatives.iter().all(|body| {
            choice
                .iter()
                .any(|(kind, name)| !body.sets[*kind].contains(*name))
        })
    };
    for size in 1..=KINDS.len() {
        let limit = if size == 1 { usize::MAX } else { 12 };
        for kinds in combinations(KINDS.len(), size) {
            let lists: Vec<Vec<Predicate>> = kinds
                .iter()
                .map(|&kind| {
                    candidates[kind]
                        .iter()
                        .take(limit)
                        .map(|name| (kind, name))
                        .collect()
                })
                .collect();
            if let Some(choice) = first_product(&lists, &mut Vec::new(), &excludes_all) {
                for (kind, name) in choice {
                    chosen[kind] = Some(name.clone());
                }
                return Some(chosen);
            }
        }
    }
    None
}

/// One body predicate: its kind (index into [`KINDS`]) and name.
type Predicate<'n> = (usize, &'n String);

/// The first element (in order) of the product of `lists` that `accept`s.
fn first_product<'n>(
    lists: &[Vec<Predicate<'n>>],
    prefix: &mut Vec<Predicate<'n>>,
    accept: &dyn Fn(&[Predicate]) -> bool,
) -> Option<Vec<Predicate<'n>>> {
    let Some((list, rest)) = lists.split_first() else {
        return accept(prefix).then(|| prefix.clone());
    };
    for &item in list {
        prefix.push(item);
        let found = first_product(rest, prefix, accept);
        prefix.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// A learned rule, ready to render.
#[derive(Clone, Debug)]
struct RuleSpec {
    id: String,
    message: String,
    files: Vec<String>,
    action: Action,
    condition: Option<String>,
    uses: Vec<String>,
    predicates: [Option<String>; 4],
    inside: Option<String>,
    expect: u64,
    /// Per file: what the patch does there, for a comment.
    notes: Vec<String>,
}

/// Finish a draft: `inside`, body predicates, id, message.
fn spec(draft: &Draft, studies: &[Study], patch_file: &str) -> Result<RuleSpec, LearnError> {
    let positives = draft.positives();
    let functions: Vec<Option<String>> = positives
        .iter()
        .map(|(file, branch)| {
            studies[*file]
                .facts
                .enclosing_function(branch.body.clone())
                .map(|function| function.name)
        })
        .collect();
    let inside = match functions.split_first() {
        Some((Some(first), rest)) if rest.iter().all(|name| name.as_ref() == Some(first)) => {
            Some(first.clone())
        }
        _ => None,
    };
    let negatives = negatives(draft, studies, inside.as_deref());
    let always = draft.action == Action::Drop;
    let mut predicates: [Option<String>; 4] = Default::default();
    if always || !negatives.is_empty() {
        let body = |(file, branch): &(usize, &Branch)| studies[*file].body_sets(branch);
        let positive_sets = positives.iter().map(body).collect::<Result<Vec<_>, _>>()?;
        let negative_sets = negatives.iter().map(body).collect::<Result<Vec<_>, _>>()?;
        let mut identifiers = HashMap::new();
        let mut headers = HashMap::new();
        for file in draft.files() {
            let skip: Vec<Range<usize>> = positives
                .iter()
                .filter(|(positive, _)| *positive == file)
                .map(|(_, branch)| branch.body.clone())
                .collect();
            studies[file].occurrences(&skip, &mut identifiers, &mut headers);
        }
        let rank = |kind: usize, name: &str| {
            let counts = if kind == 1 { &headers } else { &identifiers };
            counts.get(name).copied().unwrap_or(0)
        };
        predicates = match choose_predicates(&positive_sets, &negative_sets, &rank, always) {
            Some(chosen) => chosen,
            None => return Err(indistinct(draft, studies, &negatives)),
        };
    }

    let condition = draft.condition.as_ref().map(Norm::to_string);
    let expect = positives.len() as u64;
    let mut notes = Vec::new();
    for file in draft.files() {
        let study = &studies[file];
        let lines: Vec<String> = positives
            .iter()
            .filter(|(positive, _)| *positive == file)
            .map(|(_, branch)| {
                let directive = &study.scan().directives[branch.directive];
                study.file.lines.line_column(directive.hash).0.to_string()
            })
            .collect();
        let count = lines.len();
        let what = match &draft.action {
            Action::Drop => format!(
                "removes {} whole, directive and body",
                counted(count, "block", "blocks")
            ),
            Action::Keep => format!(
                "keeps {} without their directives",
                counted(count, "branch", "branches")
            ),
            Action::Resolve(assumptions) => format!(
                "resolves {} as unifdef {} would",
                counted(count, "conditional", "conditionals"),
                unifdef_flags(assumptions)
            ),
            Action::ReplaceCondition(_) => format!(
                "rewrites the condition of {}",
                counted(count, "branch", "branches")
            ),
        };
        notes.push(format!(
            "{}: the patch {what}, at {} {}",
            study.file.relative,
            if count == 1 { "line" } else { "lines" },
            and_list(&lines)
        ));
    }
    let files = draft
        .files()
        .into_iter()
        .map(|file| glob::Pattern::escape(&studies[file].file.relative))
        .collect();
    let describe = describe_predicates(&predicates, inside.as_deref());
    let message = match &draft.action {
        Action::Drop => format!(
            "drop the `{}` blocks{describe} (learned from {patch_file})",
            condition.as_deref().unwrap_or_default()
        ),
        Action::Keep => format!(
            "keep the `{}` branches{describe}, without their directives (learned from {patch_file})",
            condition.as_deref().unwrap_or_default()
        ),
        Action::Resolve(assumptions) => match &condition {
            Some(condition) => format!(
                "resolve the `{condition}` conditionals{describe} as unifdef {} does (learned from {patch_file})",
                unifdef_flags(assumptions)
            ),
            None => format!(
                "resolve the conditionals that test {}{describe} as unifdef {} does (learned from {patch_file})",
                draft.uses.join(", "),
                unifdef_flags(assumptions)
            ),
        },
        Action::ReplaceCondition(replacement) => format!(
            "give the `{}` branches{describe} the condition `{replacement}` (learned from {patch_file})",
            condition.as_deref().unwrap_or_default()
        ),
    };
    let slug_source = predicates
        .iter()
        .flatten()
        .next()
        .cloned()
        .or_else(|| match &draft.action {
            Action::Resolve(assumptions) => Some(assumptions.symbols().join("-")),
            _ => None,
        })
        .or_else(|| {
            draft.condition.as_ref().map(|norm| {
                let mut names = Vec::new();
                norm.symbols(&mut names);
                names.join("-")
            })
        })
        .unwrap_or_default();
    Ok(RuleSpec {
        id: format!("learned-{}-{}", draft.action.name(), slug(&slug_source)),
        message,
        files,
        action: draft.action.clone(),
        condition,
        uses: draft.uses.clone(),
        predicates,
        inside,
        expect,
        notes,
    })
}

fn indistinct(draft: &Draft, studies: &[Study], negatives: &[(usize, &Branch)]) -> LearnError {
    let (file, branch) = negatives[0];
    let study = &studies[file];
    let directive = &study.scan().directives[branch.directive];
    let mut problem = Problem::error(format!(
        "cannot tell the blocks the patch changes from a block of {} it leaves alone",
        study.file.source.display
    ))
    .at(
        &study.file.source.display,
        &study.file.original,
        directive.hash..directive.rest.end,
        "left alone by the patch, yet it has everything the changed blocks share",
    );
    if let Some((positive_file, positive)) = draft.positives().first().copied()
        && positive_file == file
    {
        let directive = &study.scan().directives[positive.directive];
        problem = problem.also(directive.hash..directive.rest.end, "changed by the patch");
    }
    LearnError::new(
        LearnErrorKind::Indistinct,
        problem.help("learn picks a call, an #include, an identifier or a struct tag (at most one of each) that every changed block has and no left-alone block with the same condition has; there is none here: write the rule by hand"),
    )
}

/// "1 block", "2 blocks".
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `-DX -UY` for messages.
fn unifdef_flags(assumptions: &Assumptions) -> String {
    assumptions.flags().join(" ")
}

/// " of f() that call g()" for messages.
fn describe_predicates(predicates: &[Option<String>; 4], inside: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(function) = inside {
        let _ = write!(text, " of {function}()");
    }
    let mut parts = Vec::new();
    if let Some(name) = &predicates[0] {
        parts.push(format!("call {name}()"));
    }
    if let Some(name) = &predicates[1] {
        parts.push(format!("include <{name}>"));
    }
    if let Some(name) = &predicates[2] {
        parts.push(format!("use {name}"));
    }
    if let Some(name) = &predicates[3] {
        parts.push(format!("use struct {name}"));
    }
    if !parts.is_empty() {
        let _ = write!(text, " that {}", parts.join(" and "));
    }
    text
}

/// A name as part of a rule id: lower case, runs of anything else than letters and digits as
/// one `-`.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "rule".to_string()
    } else {
        slug
    }
}

// ---------------------------------------------------------------------------------------------
// 5. The TOML text.

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A TOML array of strings: on one line when `key = [...]` fits in 100 columns, else wrapped
/// as the shipped rules files write long lists.
fn toml_list(key: &str, items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    let line = format!("{key} = [{}]", items.join(", "));
    if line.len() <= 100 {
        return line;
    }
    let mut text = format!("{key} = [\n");
    let mut row = String::new();
    for item in items {
        if !row.is_empty() && 4 + row.len() + item.len() + 2 > 100 {
            let _ = writeln!(text, "    {}", row.trim_end());
            row.clear();
        }
        row.push_str(&item);
        row.push_str(", ");
    }
    if !row.is_empty() {
        let _ = writeln!(text, "    {}", row.trim_end().trim_end_matches(','));
    }
    text.push(']');
    text
}

/// Keep the first of each.
fn unique(items: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .filter(|item| seen.insert(item.as_str()))
        .cloned()
        .collect()
}

/// A space [`comment`] does not break a line at.
const GLUE: char = '\u{1}';

/// `text` as `# ` comment lines of at most 96 columns (a longer word stays whole; [`GLUE`]
/// joins words that stay on one line).
fn comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split(' ') {
        let word = word.replace(GLUE, " ");
        if line.len() > 1 && line.len() + 1 + word.len() > 96 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(&word);
    }
    out.push_str(&line);
    out.push('\n');
}

fn render(specs: &[RuleSpec], request: &Request, files: &[PatchedFile]) -> String {
    let mut text = String::new();
    let changed: Vec<&str> = files.iter().map(|file| file.relative.as_str()).collect();
    comment(
        &mut text,
        &format!(
            "Learned by `cdefang learn` from the patch {} against the sources in {}. Verified before writing: run with cdefang over those sources, these rules give exactly the patched {}: {}.",
            request.patch_name,
            request.source.display(),
            if changed.len() == 1 { "file" } else { "files" },
            changed.join(", ")
        ),
    );
    let hints = &request.hints;
    let lists = [
        ("statement_macros", unique(&hints.macros.statements)),
        ("blank_macros", unique(&hints.macros.blank)),
        ("function_macros", unique(&hints.macros.functions)),
        ("typedefs", unique(&hints.typedefs)),
    ];
    if lists.iter().any(|(_, list)| !list.is_empty()) {
        let _ = writeln!(
            text,
            "\n# C parsing hints given to learn (lang-c needs them to read these sources)."
        );
        for (key, list) in &lists {
            if !list.is_empty() {
                let _ = writeln!(text, "{}", toml_list(key, list));
            }
        }
    }
    for spec in specs {
        text.push('\n');
        for note in &spec.notes {
            comment(&mut text, &format!("{note}."));
        }
        let _ = writeln!(text, "[[rule]]");
        let _ = writeln!(text, "id = {}", toml_string(&spec.id));
        let _ = writeln!(text, "message = {}", toml_string(&spec.message));
        let _ = writeln!(text, "{}", toml_list("files", &spec.files));
        let _ = writeln!(text, "action = {}", toml_string(spec.action.name()));
        if let Action::ReplaceCondition(replacement) = &spec.action {
            let _ = writeln!(text, "replacement = {}", toml_string(replacement));
        }
        if let Action::Resolve(assumptions) = &spec.action {
            let define = assumptions.definitions();
            if !define.is_empty() {
                let _ = writeln!(text, "{}", toml_list("define", &define));
            }
            if !assumptions.undefined.is_empty() {
                let _ = writeln!(text, "{}", toml_list("undef", &assumptions.undefined));
            }
        }
        let (one, many) = match spec.action {
            Action::Resolve(_) => ("conditional", "conditionals"),
            Action::Keep | Action::ReplaceCondition(_) => ("branch", "branches"),
            _ => ("block", "blocks"),
        };
        comment(
            &mut text,
            &format!(
                "The patch changes {}. Another count (on another release, say) fires the drift alarm: exit 2, nothing written. Check the rule there, then adjust `expect` (e.g. {}) if the rule is still right.",
                counted(
                    usize::try_from(spec.expect).unwrap_or(usize::MAX),
                    one,
                    many
                ),
                format!("{{ min = 1, max = {} }}", spec.expect.max(2))
                    .replace(' ', &GLUE.to_string())
            ),
        );
        let _ = writeln!(text, "expect = {}", spec.expect);
        let _ = writeln!(text, "\n[rule.match]");
        if let Some(condition) = &spec.condition {
            let _ = writeln!(text, "condition = {}", toml_string(condition));
        }
        if !spec.uses.is_empty() {
            let _ = writeln!(text, "{}", toml_list("uses", &spec.uses));
        }
        for (kind, predicate) in spec.predicates.iter().enumerate() {
            if let Some(name) = predicate {
                let _ = writeln!(
                    text,
                    "{}",
                    toml_list(KINDS[kind], std::slice::from_ref(name))
                );
            }
        }
        if let Some(function) = &spec.inside {
            let _ = writeln!(text, "inside = {}", toml_string(function));
        }
    }
    text
}

// ---------------------------------------------------------------------------------------------
// 6. Verification.

/// Load the rendered rules back, run them with the engine over the original files, and check
/// that the output is the patched files and each rule's count its `expect`.
fn verify(
    toml: &str,
    specs: &[RuleSpec],
    files: &[PatchedFile],
    tree_typedefs: &[String],
) -> Result<(), LearnError> {
    let failed = |problem: Problem| LearnError::new(LearnErrorKind::Verify, problem);
    let loaded = rules::load(toml, 0).map_err(|error| {
        failed(
            Problem::error(format!("the learned rules do not load: {}", error.message))
                .at("learned rules", toml.as_bytes(), error.span, "here")
                .help("this is a bug in cdefang learn: please report it with the patch"),
        )
    })?;
    // The setup a run over the source directory would have.
    let typedefs = [tree_typedefs, &loaded.typedefs].concat();
    let setup = Setup::new(loaded.rules, loaded.macros, &typedefs);
    let mut counts = vec![0u64; setup.rules.len()];
    for file in files {
        let result = engine::process(&file.original, &file.relative, &setup).map_err(|error| {
            failed(Problem::from(InFile::new(
                &file.source.display,
                &file.original,
                &error,
            )))
        })?;
        for (count, found) in counts.iter_mut().zip(&result.counts) {
            *count += found.matches;
        }
        let output = result.output.as_deref().unwrap_or(&file.original);
        if output != file.patched {
            return Err(failed(difference(file, output)));
        }
    }
    for (spec, found) in specs.iter().zip(counts) {
        if found != spec.expect {
            return Err(failed(
                Problem::error(format!(
                    "the learned rule `{}` finds {found} block(s) where the patch changes {}",
                    spec.id, spec.expect
                ))
                .help("this is a limit of learn: write the rule by hand (README.md, \"Rules\")"),
            ));
        }
    }
    Ok(())
}

/// Where the learned rules' output first differs from the patched file.
fn difference(file: &PatchedFile, output: &[u8]) -> Problem {
    let expected = Lines::new(&file.patched);
    let got = Lines::new(output);
    let index = expected
        .iter()
        .zip(got.iter())
        .position(|(a, b)| file.patched[a.clone()] != output[b.clone()])
        .unwrap_or(expected.len().min(got.len()));
    let span = expected
        .get(index)
        .map_or(file.patched.len()..file.patched.len(), |line| {
            line.start..line.end.saturating_sub(1).max(line.start)
        });
    let theirs = got.get(index).map_or_else(
        || "the end of the file".to_string(),
        |line| format!("`{}`", shown(&output[line.clone()])),
    );
    Problem::error(format!(
        "the learned rules do not reproduce the patched {}",
        file.relative
    ))
    .at(
        &format!("{} (patched)", file.source.display),
        &file.patched,
        span,
        "the patched file has this",
    )
    .with_note(format!("the learned rules give {theirs} here"))
    .help("this is a limit of learn: write the rule by hand (README.md, \"Rules\"), or make the patch of the conditional change alone")
}

// ---------------------------------------------------------------------------------------------
// 7. The whole job.

/// Learn the rules a patch expresses, and verify them.
pub fn learn(request: &Request) -> Result<Learned, LearnError> {
    let patch = PatchText {
        name: &request.patch_name,
        text: &request.patch,
    };
    let file_patches = parse_patch(&patch)?;
    let relatives = resolve_files(&patch, &file_patches, &request.source)?;
    let mut files: Vec<PatchedFile> = Vec::new();
    for (file_patch, relative) in file_patches.iter().zip(relatives) {
        if files.iter().any(|file| file.relative == relative) {
            return Err(patch.error(
                LearnErrorKind::Malformed,
                format!("malformed patch: it changes {relative} twice"),
                file_patch.at.clone(),
                "again here",
                "give each file's changes once, in one file patch",
            ));
        }
        files.push(apply(&patch, file_patch, relative, &request.source)?);
    }

    let found = files::discover(std::slice::from_ref(&request.source)).map_err(|error| {
        LearnError::new(
            LearnErrorKind::Io,
            Problem::error(error.to_string()).help("check the directory given to --source"),
        )
    })?;
    let tree_typedefs = files::header_typedefs(&found);
    let hints = &request.hints;
    let parsing = Setup::new(
        Vec::new(),
        hints.macros.clone(),
        &[tree_typedefs.as_slice(), &hints.typedefs].concat(),
    );

    // Each file read once: its parse borrows the original while the patch's alignment is
    // refined against the conditionals it found.
    let originals: Vec<Rc<[u8]>> = files.iter().map(|file| Rc::clone(&file.original)).collect();
    let mut parsed: Vec<ParsedFile> = Vec::new();
    for (file, original) in files.iter().zip(&originals) {
        let source_error = |error| {
            let error = engine::FileError::Source(error);
            LearnError::new(
                LearnErrorKind::Source,
                Problem::from(InFile::new(&file.source.display, original, &error)),
            )
        };
        parsed.push(ParsedFile::new(original).map_err(source_error)?);
    }
    for (file, parsed) in files.iter_mut().zip(&parsed) {
        file.realign(&parsed.scan, &parsed.tree);
    }
    let mut facts: Vec<FileFacts> = Vec::new();
    for (file, parsed) in files.iter().zip(&parsed) {
        let file_facts = FileFacts::new(parsed, &parsing.macros, &parsing.parser);
        facts.push(file_facts.map_err(|error| {
            LearnError::new(
                LearnErrorKind::Source,
                Problem::from(InFile::new(
                    &file.source.display,
                    &file.original,
                    &engine::FileError::Source(error),
                )),
            )
        })?);
    }
    let studies: Vec<Study> = files
        .iter()
        .zip(&facts)
        .enumerate()
        .map(|(index, (file, facts))| Study {
            index,
            file,
            facts,
            patch: &patch,
            code: facts.scan.code_view(),
        })
        .collect();

    let mut sites = Vec::new();
    for study in &studies {
        study.region(
            &(0..study.file.original.len()),
            &study.facts.tree.roots,
            &mut sites,
        )?;
    }
    if sites.is_empty() {
        return Err(patch.error(
            LearnErrorKind::Unlearnable,
            "the patch changes nothing",
            0..request.patch.len().min(1),
            "its hunks delete no line",
            "give the patch of a change",
        ));
    }
    let drafts = drafts(sites, &studies)?;
    let patch_file = Path::new(&request.patch_name).file_name().map_or_else(
        || request.patch_name.clone(),
        |name| name.to_string_lossy().into_owned(),
    );
    let mut specs: Vec<RuleSpec> = Vec::new();
    for draft in &drafts {
        let mut spec = spec(draft, &studies, &patch_file)?;
        let base = spec.id.clone();
        let mut number = 2;
        while specs.iter().any(|earlier| earlier.id == spec.id) {
            spec.id = format!("{base}-{number}");
            number += 1;
        }
        specs.push(spec);
    }
    let toml = render(&specs, request, &files);
    verify(&toml, &specs, &files, &tree_typedefs)?;
    Ok(Learned {
        toml,
        rules: specs
            .iter()
            .map(|spec| LearnedRule {
                id: spec.id.clone(),
                action: spec.action.name(),
                matches: spec.expect,
                files: spec.files.clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_are_the_smallest_discriminating_set() {
        let body = |calls: &[&str], includes: &[&str], mentions: &[&str]| {
            let set = |names: &[&str]| names.iter().map(|name| name.to_string()).collect();
            BodySets {
                sets: [set(calls), set(includes), set(mentions), BTreeSet::new()],
            }
        };
        let rank = |_: usize, name: &str| usize::from(name == "exit") * 10;
        let positives = [
            body(&["unshare", "exit"], &[], &["flags"]),
            body(&["unshare", "exit", "log"], &[], &["flags"]),
        ];
        // No negative: the rarest shared call.
        let chosen = choose_predicates(&positives, &[], &rank, true).unwrap();
        assert_eq!(chosen[0].as_deref(), Some("unshare"));
        assert_eq!(
            choose_predicates(&positives, &[], &rank, false).unwrap()[0],
            None
        );
        // A negative that calls unshare too: exit tells them apart.
        let negatives = [body(&["unshare"], &[], &["flags"])];
        let chosen = choose_predicates(&positives, &negatives, &rank, true).unwrap();
        assert_eq!(chosen[0].as_deref(), Some("exit"));
        // Two negatives, each lacking a different one: a call and a mention together.
        let negatives = [
            body(&["unshare", "exit"], &[], &[]),
            body(&["log"], &[], &["flags"]),
        ];
        let chosen = choose_predicates(&positives, &negatives, &rank, true).unwrap();
        assert_eq!(chosen[0].as_deref(), Some("unshare"));
        assert_eq!(chosen[2].as_deref(), Some("flags"));
        // A negative with everything: nothing discriminates.
        let negatives = [body(&["unshare", "exit"], &[], &["flags"])];
        assert!(choose_predicates(&positives, &negatives, &rank, true).is_none());
    }

    #[test]
    fn names_and_comments() {
        assert_eq!(slug("OBSOLETE_LINUX_KERNEL"), "obsolete-linux-kernel");
        assert_eq!(slug("sys/inotify.h"), "sys-inotify-h");
        assert_eq!(slug("__"), "rule");
        assert_eq!(toml_string("a \"b\" \\ \t"), "\"a \\\"b\\\" \\\\ \\u0009\"");
        assert_eq!(
            and_list(&["1".into(), "2".into(), "3".into()]),
            "1, 2 and 3"
        );
        let mut text = String::new();
        comment(&mut text, &"word ".repeat(40));
        assert!(
            text.lines()
                .all(|line| line.len() <= 96 && line.starts_with("# "))
        );
    }
}
