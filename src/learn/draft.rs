//! Step 4, the rules: the sites grouped into drafts (action, condition, assumptions), the blocks
//! each draft would also select though the patch leaves them alone, and each draft finished as
//! a rule: the enclosing function when all its sites share one (`inside`), the body predicates
//! ([`super::predicates`]) when they are needed, an id, a message, and the notes its comments
//! give.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

use crate::cond::{Assumptions, Norm};
use crate::diag::Problem;
use crate::output::{and_list, plural};
use crate::rules::{Action, BodyScope, ExpectToml, MatchToml, RuleToml, StringList, unspanned};
use crate::source::{Branch, Conditional};

use super::predicates::{self, Predicates};
use super::sites::{Site, Study};
use super::{LearnError, LearnErrorKind};

/// A rule being learned: its action and selection, and the sites it stands for.
pub(super) struct Draft<'a> {
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

    /// The selected branches as (file, address of the conditional, branch index), to ask of
    /// any branch of the files whether it is one of them without a scan of the sites.
    fn positive_keys(&self) -> HashSet<(usize, *const Conditional, usize)> {
        self.sites
            .iter()
            .flat_map(|site| {
                let conditional: *const Conditional = site.conditional;
                site.selected
                    .iter()
                    .map(move |&index| (site.file, conditional, index))
            })
            .collect()
    }

    /// Would the rule's condition (or `uses`) select a branch with this condition?
    fn selects(&self, norm: &Norm) -> bool {
        match &self.condition {
            Some(condition) => condition == norm,
            None => norm.uses_any(&self.uses),
        }
    }
}

/// Group the sites into drafts: one per action and condition (for `resolve`, per assumption
/// set, selecting with `uses` unless that would also select a conditional the patch leaves
/// alone, then per condition).
pub(super) fn drafts<'a>(
    mut sites: Vec<Site<'a>>,
    studies: &[Study<'a>],
) -> Result<Vec<Draft<'a>>, LearnError> {
    sites.sort_by_key(|site| {
        let directives = &studies[site.file].scan().directives;
        (site.file, site.conditional.span(directives).start)
    });
    choose_assumptions(&mut sites);
    let mut drafts: Vec<Draft<'a>> = Vec::new();
    for site in sites {
        let study = &studies[site.file];
        let (condition, uses) = match &site.action {
            Action::Resolve(assumptions) => (None, assumptions.symbols()),
            _ => {
                let norms: BTreeSet<Norm> = site
                    .selected
                    .iter()
                    .filter_map(|&index| study.facts.taken_under(site.conditional, index))
                    .collect();
                if norms.len() != 1 {
                    let directive =
                        &study.scan().directives[site.conditional.branches[0].directive];
                    return Err(LearnError::new(
                        LearnErrorKind::Unlearnable,
                        Problem::error("the patch removes branches with different conditions from one conditional")
                            .at(&study.file.source.display, &study.file.original, directive.text_span(), "this conditional")
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
    let sites = site_keys(&drafts);
    let mut settled = Vec::new();
    for draft in drafts {
        if draft.condition.is_some() || negatives(&draft, studies, &sites, None).is_empty() {
            settled.push(draft);
            continue;
        }
        let mut split: Vec<Draft<'a>> = Vec::new();
        for site in draft.sites {
            let condition = studies[site.file].facts.taken_under(site.conditional, 0);
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

/// The assumptions of the `resolve` sites, chosen together: a conditional is often resolved
/// by more than one set (`#if !defined(A) || defined(B)` is true under `-UA` and under `-DB`),
/// and the patch of one `unifdef -UA` is one rule. The set that resolves the most sites learned
/// as `resolve` is taken for all of them (ties: the fewest assumptions, then the first found),
/// then the next for those left; a conditional removed whole, learned as `drop`, that a chosen
/// set also resolves joins its rule (unifdef removes it too).
fn choose_assumptions(sites: &mut [Site]) {
    let is_resolve = |site: &Site| matches!(site.action, Action::Resolve(_));
    let mut open: Vec<usize> = (0..sites.len())
        .filter(|&i| is_resolve(&sites[i]))
        .collect();
    let mut chosen: Vec<Assumptions> = Vec::new();
    while !open.is_empty() {
        let mut best: Option<(usize, usize, &Assumptions)> = None;
        for &index in &open {
            for candidate in sites[index].resolves() {
                let count = open
                    .iter()
                    .filter(|&&other| sites[other].resolved_by(candidate))
                    .count();
                let size = candidate.symbols().len();
                if best.is_none_or(|(best_count, best_size, _)| {
                    count > best_count || (count == best_count && size < best_size)
                }) {
                    best = Some((count, size, candidate));
                }
            }
        }
        // A resolve site lists the set it was learned with, so there is always one.
        let Some((_, _, assumptions)) = best else {
            break;
        };
        let assumptions = assumptions.clone();
        open.retain(|&index| {
            let resolved = sites[index].resolved_by(&assumptions);
            if resolved {
                sites[index].resolve_under(&assumptions);
            }
            !resolved
        });
        chosen.push(assumptions);
    }
    for site in sites.iter_mut().filter(|site| site.action == Action::Drop) {
        if let Some(assumptions) = chosen.iter().find(|set| site.resolved_by(set)) {
            site.resolve_under(assumptions);
        }
    }
}

/// Every conditional the drafts learn, as (file, address of the conditional).
fn site_keys(drafts: &[Draft]) -> HashSet<(usize, *const Conditional)> {
    drafts
        .iter()
        .flat_map(|draft| &draft.sites)
        .map(|site| (site.file, site.conditional as *const Conditional))
        .collect()
}

/// The branches the draft's selection (condition or `uses`, and `inside`) also reaches in its
/// files although the patch does not ask it to change them: those the patch leaves alone, and
/// those of a conditional another draft learns (`sites`: every draft's conditionals), which two
/// rules would both edit. Any other branch whose directive the patch deletes is inside a block
/// removed whole, and is not one of them.
fn negatives<'a>(
    draft: &Draft<'a>,
    studies: &[Study<'a>],
    sites: &HashSet<(usize, *const Conditional)>,
    inside: Option<&str>,
) -> Vec<(usize, &'a Branch)> {
    let first_only = matches!(draft.action, Action::Resolve(_));
    let positives = draft.positive_keys();
    let own: HashSet<(usize, *const Conditional)> = draft
        .sites
        .iter()
        .map(|site| (site.file, site.conditional as *const Conditional))
        .collect();
    let mut found = Vec::new();
    for file in draft.files() {
        let study = &studies[file];
        for conditional in study.facts.tree.all() {
            for (index, branch) in conditional.branches.iter().enumerate() {
                // An `#else` is selected by a `condition` only, and not by every action.
                let is_else = study.facts.conditions[branch.directive].is_none();
                if is_else && (draft.condition.is_none() || !draft.action.selects_else()) {
                    continue;
                }
                let Some(norm) = study.facts.taken_under(conditional, index) else {
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
                let key: (usize, *const Conditional, usize) = (file, conditional, index);
                let whose: (usize, *const Conditional) = (file, conditional);
                let elsewhere = sites.contains(&whose) && !own.contains(&whose);
                if !positives.contains(&key)
                    && (elsewhere || !study.file.any_deleted(&directive.line))
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

/// A learned rule: as the rules file writes it, and what the file's comments and the summary
/// say of it.
pub(super) struct RuleSpec {
    pub(super) toml: RuleToml,
    /// The rule's action (written in `toml` as `action` and its parameters).
    pub(super) action: Action,
    /// How many blocks the patch changes: the rule's `expect`.
    pub(super) expect: u64,
    /// Per file: what the patch does there, for the comment above the rule.
    pub(super) notes: Vec<String>,
}

impl RuleSpec {
    pub(super) fn id(&self) -> &str {
        self.toml.id.get_ref()
    }

    /// The rule's `files` globs.
    pub(super) fn files(&self) -> Vec<String> {
        let files = self.toml.files.as_ref().map(|files| &files.get_ref().0[..]);
        files
            .unwrap_or_default()
            .iter()
            .map(|file| file.get_ref().clone())
            .collect()
    }
}

/// Finish the drafts, each rule's id made unique with a number (`learned-drop-x-2`).
pub(super) fn specs(
    drafts: &[Draft],
    studies: &[Study],
    patch_file: &str,
) -> Result<Vec<RuleSpec>, LearnError> {
    let mut specs: Vec<RuleSpec> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    let sites = site_keys(drafts);
    for draft in drafts {
        let mut spec = spec(draft, studies, &sites, patch_file)?;
        let base = spec.id().to_string();
        let mut number = 2;
        while taken.contains(spec.id()) {
            spec.toml.id = unspanned(format!("{base}-{number}"));
            number += 1;
        }
        taken.insert(spec.id().to_string());
        specs.push(spec);
    }
    Ok(specs)
}

/// Finish a draft: `inside`, body predicates, id, message.
fn spec(
    draft: &Draft,
    studies: &[Study],
    sites: &HashSet<(usize, *const Conditional)>,
    patch_file: &str,
) -> Result<RuleSpec, LearnError> {
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
    let negatives = negatives(draft, studies, sites, inside.as_deref());
    let always = draft.action == Action::Drop;
    let mut predicates = Predicates::default();
    if always || !negatives.is_empty() {
        let chosen = predicates::choose(studies, &positives, &negatives, &draft.files(), always)?;
        predicates = match chosen {
            Some(chosen) => chosen,
            None => return Err(indistinct(draft, studies, &negatives)),
        };
    }
    if always && predicates.iter().all(|(_, name)| name.is_none()) {
        return Err(unnamed(draft, studies));
    }

    let condition = draft.condition.as_ref().map(Norm::to_string);
    let expect = positives.len() as u64;
    // Each file's changed lines, in the order of the positives.
    let mut lines_of: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (file, branch) in &positives {
        let study = &studies[*file];
        let directive = &study.scan().directives[branch.directive];
        let line = study.file.lines.line_column(directive.hash).0;
        lines_of.entry(*file).or_default().push(line.to_string());
    }
    let mut notes = Vec::new();
    for (file, lines) in lines_of {
        let study = &studies[file];
        let count = lines.len() as u64;
        let changes = counted(count, &draft.action);
        let what = match &draft.action {
            Action::Drop => format!("removes {changes} whole, directive and body"),
            Action::Keep => format!("keeps {changes} without their directives"),
            Action::Resolve(assumptions) => format!(
                "resolves {changes} as unifdef {} would",
                unifdef_flags(assumptions)
            ),
            Action::ReplaceCondition(_) => format!("rewrites the condition of {changes}"),
            // Line and statement rules are drafted by `lines.rs`, not here.
            Action::Replace(_) | Action::SetValue(_) | Action::Guard(_) => {
                format!("changes {changes}")
            }
        };
        notes.push(format!(
            "{}: the patch {what}, at {} {}",
            study.file.relative,
            plural(count, "line", "lines"),
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
        Action::Replace(_) | Action::SetValue(_) | Action::Guard(_) => format!(
            "{} lines{describe} (learned from {patch_file})",
            draft.action.name()
        ),
    };
    let slug_source = predicates
        .iter()
        .find_map(|(_, name)| name.clone())
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
    // The patch removed the blocks whole, nested conditionals and their alternatives with
    // them: that is `scope = "nested"`, which a drop needs when what names it stands in a nested
    // conditional that has other branches (else the run refuses it).
    let has_alternatives =
        |branch: &Branch| branch.children.iter().any(|child| child.branches.len() > 1);
    let scope = (draft.action == Action::Drop
        && positives.iter().any(|(_, branch)| has_alternatives(branch)))
    .then(|| unspanned(BodyScope::Nested));
    let mut matcher = MatchToml {
        condition: condition.map(unspanned),
        uses: draft.uses.iter().cloned().map(unspanned).collect(),
        inside: inside.map(|name| unspanned(StringList::of(vec![name]))),
        scope,
        ..MatchToml::default()
    };
    for (kind, name) in predicates.iter() {
        if let Some(name) = name {
            kind.list(&mut matcher).push(unspanned(name.clone()));
        }
    }
    let id = format!("learned-{}-{}", draft.action.name(), slug(&slug_source));
    Ok(RuleSpec {
        toml: RuleToml::new(
            id,
            message,
            files,
            &draft.action,
            matcher,
            Some(ExpectToml::Exactly(expect)),
        ),
        action: draft.action.clone(),
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
        directive.text_span(),
        "left alone by the patch, yet it has everything the changed blocks share",
    );
    if let Some((positive_file, positive)) = draft.positives().first().copied()
        && positive_file == file
    {
        let directive = &study.scan().directives[positive.directive];
        problem = problem.also(directive.text_span(), "changed by the patch");
    }
    LearnError::new(
        LearnErrorKind::Indistinct,
        problem.help("learn picks a call, an #include, an identifier or a struct tag (at most one of each) that every changed block has and no left-alone block with the same condition has; there is none here: write the rule by hand"),
    )
}

/// A `drop` rule with nothing to say what it removes: the blocks share no call, #include,
/// identifier or struct tag. Without one, a second run could not tell the blocks gone (no
/// evidence of the drop), and would raise the drift alarm.
fn unnamed(draft: &Draft, studies: &[Study]) -> LearnError {
    let positives = draft.positives();
    let (file, _) = positives[0];
    let study = &studies[file];
    let mut blocks = positives
        .iter()
        .filter(|(positive_file, _)| *positive_file == file)
        .map(|(_, branch)| study.scan().directives[branch.directive].text_span());
    let which = if positives.len() == 1 {
        "the block"
    } else {
        "every block"
    };
    let mut problem = Problem::error(format!(
        "cannot name what the patch removes from {}: no call, #include, identifier or struct tag is in {which} it removes",
        study.file.source.display
    ));
    if let Some(first) = blocks.next() {
        problem = problem.at(
            &study.file.source.display,
            &study.file.original,
            first,
            "removed by the patch",
        );
    }
    for other in blocks {
        problem = problem.also(other, "removed too");
    }
    LearnError::new(
        LearnErrorKind::Unnamed,
        problem.help("a learned `drop` rule names what it removes, a call, an #include, an identifier or a struct tag that every removed block has, so that a second run finds it gone and does not raise the drift alarm (README, \"Expectations and drift\"); here there is none (a name a block only declares is not an identifier it uses): write the rule by hand (README, \"Rules\")"),
    )
}

/// "1 block", "2 conditionals": a number of what `action` changes (a `resolve` rule changes
/// conditionals, `keep` and `replace-condition` branches, `drop` blocks).
pub(super) fn counted(count: u64, action: &Action) -> String {
    let (one, many) = match action {
        Action::Drop => ("block", "blocks"),
        Action::Keep | Action::ReplaceCondition(_) => ("branch", "branches"),
        Action::Resolve(_) => ("conditional", "conditionals"),
        Action::Replace(_) | Action::SetValue(_) => ("line", "lines"),
        Action::Guard(_) => ("place", "places"),
    };
    format!("{count} {}", plural(count, one, many))
}

/// `-DX -UY` for messages.
fn unifdef_flags(assumptions: &Assumptions) -> String {
    assumptions.flags().join(" ")
}

/// " of f() that call g()" for messages.
fn describe_predicates(predicates: &Predicates, inside: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(function) = inside {
        let _ = write!(text, " of {function}()");
    }
    let parts: Vec<String> = predicates
        .iter()
        .filter_map(|(kind, name)| Some(kind.phrase(name.as_ref()?)))
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(slug("OBSOLETE_LINUX_KERNEL"), "obsolete-linux-kernel");
        assert_eq!(slug("sys/inotify.h"), "sys-inotify-h");
        assert_eq!(slug("__"), "rule");
    }
}
