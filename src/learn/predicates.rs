//! Step 4a, the body predicates: what each branch body has (calls, includes, identifiers,
//! struct tags, from lang-c's facts and the directives), and the smallest set of them, at most
//! one of each kind, that every block a rule changes has and every block it would otherwise also
//! select lacks; among equals, the name rarest in the files.

use std::collections::{BTreeSet, HashMap};
use std::ops::{Index, IndexMut};

use crate::c;
use crate::diag::Problem;
use crate::engine::BodyFacts;
use crate::rules::MatchToml;
use crate::source::Branch;

use super::sites::{Spans, Study, combinations};
use super::{LearnError, LearnErrorKind};

/// A kind of body predicate: one of the lists of `[rule.match]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// The body calls the function.
    Calls,
    /// The body `#include`s the header.
    Includes,
    /// The body uses the identifier.
    Mentions,
    /// The body uses the struct or union tag.
    Structs,
}

impl Kind {
    /// Every kind, most specific first: the order in which predicates are tried and written.
    const ALL: [Kind; 4] = [Kind::Calls, Kind::Includes, Kind::Mentions, Kind::Structs];

    /// The kind's list in `[rule.match]`, under the key of the same name.
    pub(super) fn list(self, matcher: &mut MatchToml) -> &mut Vec<toml::Spanned<String>> {
        match self {
            Kind::Calls => &mut matcher.calls,
            Kind::Includes => &mut matcher.includes,
            Kind::Mentions => &mut matcher.mentions,
            Kind::Structs => &mut matcher.structs,
        }
    }

    /// What a rule's message says of the blocks with the predicate `name`.
    pub(super) fn phrase(self, name: &str) -> String {
        match self {
            Kind::Calls => format!("call {name}()"),
            Kind::Includes => format!("include <{name}>"),
            Kind::Mentions => format!("use {name}"),
            Kind::Structs => format!("use struct {name}"),
        }
    }
}

/// One value for each predicate kind, indexed by [`Kind`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct PerKind<T>([T; 4]);

impl<T> PerKind<T> {
    /// Each kind with its value, in the order of [`Kind::ALL`].
    pub(super) fn iter(&self) -> impl Iterator<Item = (Kind, &T)> {
        Kind::ALL.into_iter().map(|kind| (kind, &self[kind]))
    }
}

impl<T> Index<Kind> for PerKind<T> {
    type Output = T;

    fn index(&self, kind: Kind) -> &T {
        &self.0[kind as usize]
    }
}

impl<T> IndexMut<Kind> for PerKind<T> {
    fn index_mut(&mut self, kind: Kind) -> &mut T {
        &mut self.0[kind as usize]
    }
}

/// What a branch body has, per predicate kind.
type BodySets = PerKind<BTreeSet<String>>;

/// The body predicates of a rule: at most one name per kind.
pub(super) type Predicates = PerKind<Option<String>>;

/// The body predicates that tell the `positives` (file, branch) from the `negatives` in
/// `files`, ranked by how rare each name is in those files outside the positives; `None`:
/// nothing does. With no negative, `always` still picks one (see [`choose_predicates`]).
pub(super) fn choose(
    studies: &[Study],
    positives: &[(usize, &Branch)],
    negatives: &[(usize, &Branch)],
    files: &[usize],
    always: bool,
) -> Result<Option<Predicates>, LearnError> {
    let body = |(file, branch): &(usize, &Branch)| studies[*file].body_sets(branch);
    let positive_sets = positives.iter().map(body).collect::<Result<Vec<_>, _>>()?;
    let negative_sets = negatives.iter().map(body).collect::<Result<Vec<_>, _>>()?;
    // How often a name occurs in the files outside the positives: the files' totals (counted
    // once per file) less the occurrences inside the positives, so that a rule costs the size
    // of its blocks, not the size of its files.
    let mut inside = NameCounts::default();
    for &file in files {
        let skip = Spans::new(
            positives
                .iter()
                .filter(|(positive, _)| *positive == file)
                .map(|(_, branch)| branch.body.clone()),
        );
        studies[file].count_inside(&skip, &mut inside);
    }
    let rank = |kind: Kind, name: &str| {
        let includes = kind == Kind::Includes;
        let total: usize = files
            .iter()
            .map(|&file| studies[file].names().total(includes, name))
            .sum();
        total - inside.get(includes, name)
    };
    Ok(choose_predicates(
        &positive_sets,
        &negative_sets,
        &rank,
        always,
    ))
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
                    .also(
                        self.scan().directives[branch.directive].text_span(),
                        "in the block under this directive",
                    )
                    .help("declare the macros or type names that hide C syntax: --hints FILE (the statement_macros, blank_macros, function_macros and typedefs of a rules file; for uWSGI, rules/uwsgi-parse.toml) or --statement-macro/--blank-macro/--function-macro/--typedef"),
                ));
            }
        };
        sets[Kind::Calls] = parsed.calls.into_iter().map(|(name, _)| name).collect();
        sets[Kind::Includes] = self
            .scan()
            .includes(branch.body.clone())
            .filter_map(|include| include.name)
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect();
        sets[Kind::Mentions] = parsed
            .identifiers
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        sets[Kind::Structs] = parsed.structs.into_iter().map(|(name, _)| name).collect();
        Ok(sets)
    }

    /// The file's names, read once.
    fn names(&self) -> &FileNames {
        self.names.get_or_init(|| FileNames::of(self))
    }

    /// Count the identifiers and included headers of the file that the ranges of `skip` hold.
    fn count_inside<'s>(&'s self, skip: &Spans, inside: &mut NameCounts<'s>) {
        let names = self.names();
        for (counts, found) in [
            (&mut inside.identifiers, &names.identifiers),
            (&mut inside.headers, &names.headers),
        ] {
            for range in skip.ranges() {
                let first = found.partition_point(|(offset, _)| *offset < range.start);
                for (_, name) in found[first..]
                    .iter()
                    .take_while(|(offset, _)| *offset < range.end)
                {
                    *counts.entry(name.as_str()).or_default() += 1;
                }
            }
        }
    }
}

/// Occurrences of identifiers and of included headers, by name.
#[derive(Debug, Default)]
struct NameCounts<'n> {
    identifiers: HashMap<&'n str, usize>,
    headers: HashMap<&'n str, usize>,
}

impl NameCounts<'_> {
    fn get(&self, includes: bool, name: &str) -> usize {
        let counts = if includes {
            &self.headers
        } else {
            &self.identifiers
        };
        counts.get(name).copied().unwrap_or(0)
    }
}

/// Every identifier (from its first byte) and every included header (from its directive line's
/// first byte) of a file, in source order, and how often each occurs in the whole file.
#[derive(Debug, Default)]
pub(super) struct FileNames {
    identifiers: Vec<(usize, String)>,
    identifier_totals: HashMap<String, usize>,
    headers: Vec<(usize, String)>,
    header_totals: HashMap<String, usize>,
}

impl FileNames {
    /// How often `name` occurs in the whole file, as a header (`includes`) or an identifier.
    fn total(&self, includes: bool, name: &str) -> usize {
        let totals = if includes {
            &self.header_totals
        } else {
            &self.identifier_totals
        };
        totals.get(name).copied().unwrap_or(0)
    }

    fn of(study: &Study) -> FileNames {
        let mut names = FileNames::default();
        let code = study.facts.code();
        let tokens = c::tokens(code, 0..code.len());
        for span in c::names_used(code, &tokens) {
            let name = String::from_utf8_lossy(&code[span.clone()]).into_owned();
            *names.identifier_totals.entry(name.clone()).or_default() += 1;
            names.identifiers.push((span.start, name));
        }
        for include in study.scan().includes(0..study.file.original.len()) {
            if let Some(name) = include.name {
                let name = String::from_utf8_lossy(name).into_owned();
                *names.header_totals.entry(name.clone()).or_default() += 1;
                names.headers.push((include.directive.line.start, name));
            }
        }
        // In source order already; sorted (stably) so that the binary search holds regardless.
        names.identifiers.sort_by_key(|(offset, _)| *offset);
        names.headers.sort_by_key(|(offset, _)| *offset);
        names
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
    rank: &dyn Fn(Kind, &str) -> usize,
    always: bool,
) -> Option<Predicates> {
    let mut candidates: PerKind<Vec<String>> = PerKind::default();
    for kind in Kind::ALL {
        let Some((first, rest)) = positives.split_first() else {
            break;
        };
        let mut shared: Vec<String> = first[kind]
            .iter()
            .filter(|name| rest.iter().all(|body| body[kind].contains(*name)))
            .cloned()
            .collect();
        if kind == Kind::Mentions {
            // An identifier that is also a shared call says nothing more as a mention.
            shared.retain(|name| !candidates[Kind::Calls].contains(name));
        }
        shared.sort_by_key(|name| (rank(kind, name), name.clone()));
        candidates[kind] = shared;
    }
    let mut chosen = Predicates::default();
    if negatives.is_empty() {
        if always
            && let Some(kind) = Kind::ALL
                .into_iter()
                .find(|&kind| !candidates[kind].is_empty())
        {
            chosen[kind] = candidates[kind].first().cloned();
        }
        return Some(chosen);
    }
    let excludes_all = |choice: &[Predicate]| {
        negatives.iter().all(|body| {
            choice
                .iter()
                .any(|(kind, name)| !body[*kind].contains(*name))
        })
    };
    for size in 1..=Kind::ALL.len() {
        let limit = if size == 1 { usize::MAX } else { 12 };
        for kinds in combinations(Kind::ALL.len(), size) {
            let lists: Vec<Vec<Predicate>> = kinds
                .iter()
                .map(|&index| {
                    let kind = Kind::ALL[index];
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

/// One body predicate: its kind and name.
type Predicate<'n> = (Kind, &'n String);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_are_the_smallest_discriminating_set() {
        let body = |calls: &[&str], includes: &[&str], mentions: &[&str]| {
            let set = |names: &[&str]| names.iter().map(|name| name.to_string()).collect();
            PerKind([set(calls), set(includes), set(mentions), BTreeSet::new()])
        };
        let rank = |_: Kind, name: &str| usize::from(name == "exit") * 10;
        let positives = [
            body(&["unshare", "exit"], &[], &["flags"]),
            body(&["unshare", "exit", "log"], &[], &["flags"]),
        ];
        // No negative: the rarest shared call.
        let chosen = choose_predicates(&positives, &[], &rank, true).unwrap();
        assert_eq!(chosen[Kind::Calls].as_deref(), Some("unshare"));
        assert_eq!(
            choose_predicates(&positives, &[], &rank, false).unwrap()[Kind::Calls],
            None
        );
        // A negative that calls unshare too: exit tells them apart.
        let negatives = [body(&["unshare"], &[], &["flags"])];
        let chosen = choose_predicates(&positives, &negatives, &rank, true).unwrap();
        assert_eq!(chosen[Kind::Calls].as_deref(), Some("exit"));
        // Two negatives, each lacking a different one: a call and a mention together.
        let negatives = [
            body(&["unshare", "exit"], &[], &[]),
            body(&["log"], &[], &["flags"]),
        ];
        let chosen = choose_predicates(&positives, &negatives, &rank, true).unwrap();
        assert_eq!(chosen[Kind::Calls].as_deref(), Some("unshare"));
        assert_eq!(chosen[Kind::Mentions].as_deref(), Some("flags"));
        // A negative with everything: nothing discriminates.
        let negatives = [body(&["unshare", "exit"], &[], &["flags"])];
        assert!(choose_predicates(&positives, &negatives, &rank, true).is_none());
    }
}
