//! The state each rule ends a run in, from the results of every file of the run: applied,
//! already-applied (with the evidence), no-match, or drift, or undecided when a file the rule
//! selects failed; and the names a rule looks for that no file of the run has. Pure: the caller
//! reports.

use std::ops::Range;

use super::{Evidence, FileResult};
use crate::rules::{Action, NameKind, NamedSpan, Per, Rule};

/// How a rule ended the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// It matched, and its expectation (if any) holds.
    Applied,
    /// It found no match, and the files it scans show its work done (see [`Evidence`]).
    AlreadyApplied,
    /// It found no match and nothing shows it done; it expects none, or has no `expect`.
    NoMatch,
    /// Its expectation does not hold and no evidence explains it, or a name it looks for is in
    /// no file of the run.
    Drift,
    /// A file it selects failed (it could not be read or planned), and no file that did fail
    /// its per-file expectation: a match or a name may be in that file, so the run cannot say.
    Undecided,
}

impl State {
    /// As the summary and the report write it.
    pub fn name(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::AlreadyApplied => "already-applied",
            State::NoMatch => "no-match",
            State::Drift => "drift",
            State::Undecided => "undecided",
        }
    }
}

/// A rule's expectation that does not hold: over the run, or in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub found: u64,
    /// The file (its index in the run's list), for a per-file expectation.
    pub file: Option<usize>,
    /// What the files say instead (a place where the code still is, if one does).
    pub remains: Option<(usize, String, Range<usize>)>,
    /// The rule's `files` select no file of the run: nothing could be found anywhere (a file
    /// renamed or moved, a glob that no longer fits).
    pub no_file: bool,
}

/// A name of a rule that no file of the run has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    pub name: NamedSpan,
    /// The closest name in the files the rule scans (rustc's way), if one is close.
    pub suggestion: Option<String>,
    /// The suggestion is a slip of one or two characters (`unshre` for `unshare`): the name
    /// is a typo, and no evidence counts. A farther one (`UWSGI_EVENT_USE_KQUEUE` and
    /// `UWSGI_EVENT_TIMER_USE_KQUEUE`) is only a hint: the name may be what the rule removed.
    pub typo: bool,
}

/// The largest edit distance [`UnknownName::typo`] takes for a slip.
const SLIP: usize = 2;

/// Is `candidate`, `distance` edits from `name` (0: the same but for case), a slip of it? At
/// most [`SLIP`] edits and a third of the name (so a name of one or two characters slips to
/// nothing: `A` is not a typo of `B`); and a name that is the other one in capitals or in small
/// letters is another name by C's habit (the macro `FEATURE_ON` beside the variable
/// `feature_on`), not a slip.
fn is_slip(name: &str, candidate: &str, distance: usize) -> bool {
    if distance == 0 {
        return name != candidate.to_ascii_uppercase() && name != candidate.to_ascii_lowercase();
    }
    distance <= SLIP && distance * 3 <= name.chars().count()
}

/// Is `name` another version of `candidate`, a stem and its number (`pipe2` and `pipe`,
/// `accept4` and `accept`, `dup3` and `dup2`, `epoll_create1` and `epoll_create`)? The calls
/// an old-platform port removes are such, with the older call beside them. `bare`: one of them
/// must be the stem alone (`pipe2` and `pipe`, not `pipe3` and `pipe2`).
fn is_version_of(name: &str, candidate: &str, bare: bool) -> bool {
    let stem = |text: &str| text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    name != candidate
        && stem(name) == stem(candidate)
        && name[..stem(name)] == candidate[..stem(candidate)]
        && (!bare || stem(name) == name.len() || stem(candidate) == candidate.len())
}

/// Is `candidate`, near the rule's `name` that no file has, the older version of a call left
/// where the rule removed `name` (not a slip)? For a rule with a `condition` or `uses`: a
/// version that stands outside every branch they select (`epoll_create` beside the
/// `#ifdef HAVE_EPOLL_CREATE1` block the rule emptied; while `pipe2` stands in the
/// `#ifdef HAVE_PIPE2` the rule selects, `pipe3` is a slip of it). For a rule without: the
/// stem and the stem with a number only (`epoll_create1` and `epoll_create`; `pipe3` is a slip
/// of `pipe2`, `crc31` of `crc32`).
fn left_version(rule: &Rule, name: &str, candidate: &str, near_where_selected: bool) -> bool {
    let selects = rule.matcher.condition.is_some() || !rule.matcher.uses.is_empty();
    if selects {
        is_version_of(name, candidate, false) && !near_where_selected
    } else {
        is_version_of(name, candidate, true)
    }
}

/// Does the rule itself write `name` (the header a `replace` puts in, a name in the new
/// condition, the guard or the value)? Then finding it where the rule's own name is gone is the
/// rule's work done, not a typo (`sys/epoll.h` replaced by `sys/poll.h`).
fn writes(rule: &Rule, name: &str) -> bool {
    let has_word = |text: &str| {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word == name)
    };
    match &rule.action {
        Action::Replace(header) => header.trim_matches(['<', '>', '"']) == name,
        Action::ReplaceCondition(text) | Action::SetValue(text) => has_word(text),
        Action::Guard(guard) => has_word(&guard.opening) || has_word(&guard.closing),
        Action::Drop | Action::Keep | Action::Resolve(_) => false,
    }
}

/// Does the rule's evidence of being applied find what the rule itself wrote (the new
/// header, the guard, the value)? Then a name of the rule gone from the files is its work done,
/// whatever name is near it: a misspelt rule could not have written it.
fn shows_what_it_wrote(rule: &Rule) -> bool {
    matches!(
        rule.action,
        Action::Replace(_) | Action::Guard(_) | Action::SetValue(_)
    )
}

/// A `keep` without body predicates whose every name of its selection (`condition`, `uses`)
/// is in no file of the run: applied, or the macro renamed upstream? Its evidence (no
/// conditional tests them) is the same either way, so it does not count: the rule needs a body
/// predicate (what the kept code calls) to be told applied. (A `resolve` acts on every
/// conditional that tests its symbols, whose branches hold different code, so it has no body
/// to look for: it keeps this evidence, and a macro renamed upstream where no conditional
/// tests its symbols any more goes unseen; the README says so.)
fn selection_gone_without_trace(rule: &Rule, unknown: &[UnknownName]) -> bool {
    if !matches!(rule.action, Action::Keep) || rule.matcher.has_body_predicates() {
        return false;
    }
    let selecting = |kind: NameKind| matches!(kind, NameKind::Condition | NameKind::Uses);
    let mut names = rule
        .matcher
        .names
        .iter()
        .filter(|named| selecting(named.kind))
        .peekable();
    names.peek().is_some()
        && names.all(|named| {
            unknown
                .iter()
                .any(|gone| gone.name.kind == named.kind && gone.name.name == named.name)
        })
}

/// How one rule ended the run, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleStatus {
    pub state: State,
    /// Per file (index in the run's list) with no match: the evidence that it is done there.
    pub evidence: Vec<(usize, String, Option<Range<usize>>)>,
    pub shortfalls: Vec<Shortfall>,
    pub unknown_names: Vec<UnknownName>,
}

/// The state of `rule` (index `index`) after the run whose file results are `files`, in the
/// run's order. `trees`: a directory was among the paths given, so a rule whose `files` select
/// none of its files has lost them (with an `expect` of matches: drift); when only files are
/// given, the rule was not asked about them.
pub fn rule_status(index: usize, rule: &Rule, files: &[&FileResult], trees: bool) -> RuleStatus {
    let selected: Vec<(usize, &FileResult)> = files
        .iter()
        .enumerate()
        .filter(|(_, file)| file.applies[index])
        .map(|(position, file)| (position, *file))
        .collect();
    // A rule whose globs select no file is the glob warning's business.
    let unknown_names = if selected.is_empty() {
        Vec::new()
    } else {
        unknown_names(index, rule, files)
    };
    let mut status = RuleStatus {
        state: State::NoMatch,
        evidence: Vec::new(),
        shortfalls: Vec::new(),
        unknown_names,
    };
    let mut remains = None;
    let mut applied_files = Vec::new();
    for &(position, file) in &selected {
        match &file.evidence[index] {
            Some(Evidence::Applied { what, at }) => {
                applied_files.push(position);
                status.evidence.push((position, what.clone(), at.clone()));
            }
            Some(Evidence::Remains { what, at }) if remains.is_none() => {
                remains = Some((position, what.clone(), at.clone()));
            }
            _ => {}
        }
    }
    // A name no file has but that is a slip away from one the scanned files have is a typo:
    // no evidence counts. One with nothing that near may be what the rule itself removed (the
    // last call to `unshare`): it is told only when the rule is not shown done.
    let known = status.unknown_names.iter().all(|unknown| !unknown.typo)
        && !selection_gone_without_trace(rule, &status.unknown_names);
    let found: u64 = selected
        .iter()
        .map(|(_, file)| file.counts[index].matches)
        .sum();
    // Done before: no match anywhere, evidence somewhere, nothing left behind, names known.
    let done =
        |found: u64, evidence: bool, remains: bool| found == 0 && evidence && !remains && known;
    let mut drift = !status.unknown_names.is_empty() && found == 0 && !selected.is_empty();
    if let Some(expect) = &rule.expect
        && !selected.is_empty()
    {
        match expect.per {
            Per::Run => {
                if !expect.holds(found)
                    && !done(found, !applied_files.is_empty(), remains.is_some())
                {
                    drift = true;
                    status.shortfalls.push(Shortfall {
                        found,
                        file: None,
                        remains: remains.clone(),
                        no_file: false,
                    });
                }
            }
            Per::File => {
                for &(position, file) in &selected {
                    let here = file.counts[index].matches;
                    let applied = applied_files.contains(&position);
                    let left = matches!(file.evidence[index], Some(Evidence::Remains { .. }));
                    if !expect.holds(here) && !done(here, applied, left) {
                        drift = true;
                        let remains = match &file.evidence[index] {
                            Some(Evidence::Remains { what, at }) => {
                                Some((position, what.clone(), at.clone()))
                            }
                            _ => None,
                        };
                        status.shortfalls.push(Shortfall {
                            found: here,
                            file: Some(position),
                            remains,
                            no_file: false,
                        });
                    }
                }
            }
        }
    }
    // An expectation of matches with no file to look in: the silence #13 is about (a renamed
    // file must not make the fix pass unseen). The glob warning says which glob.
    if let Some(expect) = &rule.expect
        && trees
        && selected.is_empty()
        && !expect.holds(0)
    {
        drift = true;
        status.shortfalls.push(Shortfall {
            found: 0,
            file: None,
            remains: None,
            no_file: true,
        });
    }
    let shown_done = done(found, !applied_files.is_empty(), remains.is_some());
    if shown_done {
        // Only names with no slip near them are left: the rule removed their last occurrence.
        status.unknown_names.clear();
        drift = !status.shortfalls.is_empty();
    }
    status.state = if drift {
        State::Drift
    } else if found > 0 {
        State::Applied
    } else if shown_done {
        State::AlreadyApplied
    } else {
        State::NoMatch
    };
    if status.state != State::AlreadyApplied {
        status.evidence.clear();
    }
    status
}

impl RuleStatus {
    /// This status, for a rule that also selects files that failed (they could not be read or
    /// planned, and the run fails on them): what only all of its files could tell (names that
    /// no planned file has, run-wide expectations, evidence) is not judged, since the failed
    /// files may hold the name, the match or the code left behind; a per-file expectation
    /// that a planned file fails is still drift.
    pub fn with_failed_files(mut self) -> RuleStatus {
        self.unknown_names.clear();
        self.shortfalls.retain(|shortfall| shortfall.file.is_some());
        self.evidence.clear();
        self.state = if self.shortfalls.is_empty() {
            State::Undecided
        } else {
            State::Drift
        };
        self
    }
}

/// Across the run's rules: a name that no file has (and is no slip of one) is explained when
/// another rule that looks for the same name shows its work done (`already-applied`): the name
/// went with that rule's edit, as a `prctl` call guarded by one rule goes with the block
/// another rule drops. Such a name is not told, and a rule it alone put in drift has found
/// nothing to do: `no-match`.
pub fn explain_removed_names(rules: &[Rule], statuses: &mut [RuleStatus]) {
    let done: Vec<(bool, String)> = rules
        .iter()
        .zip(statuses.iter())
        .filter(|(_, status)| status.state == State::AlreadyApplied)
        .flat_map(|(rule, _)| {
            rule.matcher
                .names
                .iter()
                .map(|named| (named.kind == NameKind::Includes, named.name.clone()))
        })
        .collect();
    for status in statuses.iter_mut() {
        let before = status.unknown_names.len();
        status.unknown_names.retain(|unknown| {
            unknown.typo
                || !done.iter().any(|(header, name)| {
                    *header == (unknown.name.kind == NameKind::Includes)
                        && *name == unknown.name.name
                })
        });
        if status.unknown_names.len() < before
            && status.unknown_names.is_empty()
            && status.shortfalls.is_empty()
            && status.state == State::Drift
        {
            status.state = State::NoMatch;
        }
    }
}

/// The names of `rule` that no file of the run has, each with the closest name of the files
/// the rule scans.
fn unknown_names(index: usize, rule: &Rule, files: &[&FileResult]) -> Vec<UnknownName> {
    let mut unknown = Vec::new();
    for (position, name) in rule.matcher.names.iter().enumerate() {
        let lookups = files
            .iter()
            .filter_map(|file| file.names.get(index).and_then(|names| names.get(position)));
        let mut found = false;
        let mut best: Option<(usize, String)> = None;
        let mut near_where_selected = false;
        for lookup in lookups {
            found |= lookup.found;
            near_where_selected |= lookup.closest_where_selected;
            if let Some((candidate, distance)) = &lookup.closest
                && best
                    .as_ref()
                    .is_none_or(|(d, c)| (*distance, candidate) < (*d, c))
            {
                best = Some((*distance, candidate.clone()));
            }
        }
        if !found && !files.is_empty() {
            unknown.push(UnknownName {
                name: name.clone(),
                typo: !shows_what_it_wrote(rule)
                    && best.as_ref().is_some_and(|(distance, candidate)| {
                        is_slip(&name.name, candidate, *distance)
                            && !writes(rule, candidate)
                            && !left_version(rule, &name.name, candidate, near_where_selected)
                    }),
                suggestion: best.map(|(_, name)| name),
            });
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::{is_slip, is_version_of};

    #[test]
    fn slips_are_small_next_to_the_name_and_not_a_change_of_case_convention() {
        assert!(is_slip("unshre", "unshare", 1));
        assert!(is_slip("Unshare", "unshare", 0));
        assert!(!is_slip("FEATURE_ON", "feature_on", 0));
        assert!(!is_slip("unshare", "UNSHARE", 0));
        assert!(!is_slip("A", "B", 1));
        assert!(!is_slip("AB", "AC", 1));
        assert!(is_slip("ABC", "ABD", 1));
        assert!(!is_slip("unshare", "unsha", 2 + 1));
        assert!(is_version_of("pipe2", "pipe", true));
        assert!(is_version_of("accept4", "accept", true));
        assert!(is_version_of("dup3", "dup2", false));
        assert!(!is_version_of("dup3", "dup2", true));
        assert!(!is_version_of("pipe3", "pipe2", true));
        assert!(!is_version_of("crc3", "crc32", true));
        assert!(is_version_of("epoll_create1", "epoll_create", true));
        assert!(!is_version_of("epol_create1", "epoll_create1", false));
        assert!(!is_version_of("unshre", "unshare", false));
    }
}
