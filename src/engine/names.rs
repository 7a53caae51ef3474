//! The names a rule looks for (in `calls`, `uses`, `includes`, `mentions`, `structs`, `inside`,
//! `not_inside` and its condition), looked up in one file: does the file have it, and if not,
//! which of its own names is closest (as rustc suggests: the edit distance at most a third of
//! the name's length, a match that differs only in case first). The run puts the files
//! together: a name no file has is a typo or a rule for other code.

use std::collections::HashSet;

use super::matcher;
use crate::c::{self, TokenKind};
use crate::rules::{NameKind, Rule};
use crate::source::ParsedFile;

/// One name of a rule, looked up in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameLookup {
    pub found: bool,
    /// When not found and the rule applies to the file: the closest name the file has, and its
    /// edit distance.
    pub closest: Option<(String, usize)>,
    /// A name near it (as near as `closest` may be) stands where the rule looks: in a branch
    /// its `condition` or `uses` selects (anywhere, for a rule that gives neither). A misspelt
    /// name's right spelling does; the older call left beside the one a rule removed (`pipe`
    /// for `pipe2`) does not.
    pub closest_where_selected: bool,
}

/// Per rule, per name of its [`crate::rules::Match::names`]: the lookup in `parsed`.
/// `applies` says which rules' globs select the file (only they get suggestions).
pub fn look_up(rules: &[Rule], applies: &[bool], parsed: &ParsedFile) -> Vec<Vec<NameLookup>> {
    if rules.iter().all(|rule| rule.matcher.names.is_empty()) {
        return vec![Vec::new(); rules.len()];
    }
    let clean = &parsed.scan.clean;
    // Identifiers of the code and of the directives (comments blanked, literals whole).
    let identifiers: HashSet<&[u8]> = c::Tokens::new(clean, 0..clean.len())
        .filter(|token| token.kind == TokenKind::Ident)
        .map(|token| &clean[token.span])
        .collect();
    let header_names: Vec<Vec<u8>> = parsed
        .scan
        .includes(0..parsed.source.len())
        .map(|include| include.header().to_vec())
        .collect();
    let headers: HashSet<&[u8]> = header_names.iter().map(Vec::as_slice).collect();
    rules
        .iter()
        .zip(applies)
        .map(|(rule, &applies)| {
            rule.matcher
                .names
                .iter()
                .map(|named| {
                    let known = if named.kind == NameKind::Includes {
                        &headers
                    } else {
                        &identifiers
                    };
                    let found = known.contains(named.name.as_bytes());
                    let closest = if found || !applies {
                        None
                    } else {
                        closest(&named.name, known, limit(named.kind, &named.name))
                    };
                    let closest_where_selected = closest.is_some()
                        && near_names(&named.name, known, limit(named.kind, &named.name))
                            .any(|near| stands_where_selected(rule, parsed, named.kind, near));
                    NameLookup {
                        found,
                        closest,
                        closest_where_selected,
                    }
                })
                .collect()
        })
        .collect()
}

/// Does `name` (of `kind`) stand in a branch the rule's `condition` or `uses` selects (anywhere
/// in the file, for a rule that gives neither)?
fn stands_where_selected(rule: &Rule, parsed: &ParsedFile, kind: NameKind, name: &str) -> bool {
    let matcher = &rule.matcher;
    let occurs_in = |range: std::ops::Range<usize>| {
        if kind == NameKind::Includes {
            parsed
                .scan
                .includes(range)
                .any(|include| include.header() == name.as_bytes())
        } else {
            let clean = &parsed.scan.clean;
            c::Tokens::new(clean, range).any(|token| {
                token.kind == TokenKind::Ident && &clean[token.span] == name.as_bytes()
            })
        }
    };
    if matcher.condition.is_none() && matcher.uses.is_empty() {
        return occurs_in(0..parsed.source.len());
    }
    let Ok(conditions) = parsed.conditions() else {
        return true;
    };
    parsed.tree.all().into_iter().any(|conditional| {
        conditional
            .branches
            .iter()
            .enumerate()
            .any(|(index, branch)| {
                let own = conditions[branch.directive].is_some();
                matcher::taken_under(conditions, conditional, index)
                    .is_some_and(|taken| matcher.selects(&taken, own))
                    && occurs_in(branch.body.clone())
            })
    })
}

/// How far a name may be from one of the file's to be taken for a typo of it: a third of its
/// length (at least 1), as rustc's. For a header, a third of its file name's stem: the
/// directory and the `.h` they share would make `sys/epoll.h` and `sys/devpoll.h` look alike.
fn limit(kind: NameKind, name: &str) -> usize {
    let measured = if kind == NameKind::Includes {
        let file = name.rsplit('/').next().unwrap_or(name);
        file.split('.').next().unwrap_or(file)
    } else {
        name
    };
    measured.len().max(3) / 3
}

/// The names of `known` within `limit` edits of `name` (or the same but for case).
fn near_names<'k>(
    name: &'k str,
    known: &'k HashSet<&[u8]>,
    limit: usize,
) -> impl Iterator<Item = &'k str> + 'k {
    known.iter().filter_map(move |candidate| {
        let candidate = std::str::from_utf8(candidate).ok()?;
        (candidate.eq_ignore_ascii_case(name)
            || (candidate.len().abs_diff(name.len()) <= limit
                && strsim::levenshtein(name, candidate) <= limit))
            .then_some(candidate)
    })
}

/// The name of `known` closest to `name`, rustc's way: same but for case first, else the
/// smallest edit distance within `limit`.
fn closest(name: &str, known: &HashSet<&[u8]>, limit: usize) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    for candidate in known {
        let Ok(candidate) = std::str::from_utf8(candidate) else {
            continue;
        };
        if candidate.eq_ignore_ascii_case(name) {
            return Some((candidate.to_string(), 0));
        }
        if candidate.len().abs_diff(name.len()) > limit {
            continue;
        }
        let distance = strsim::levenshtein(name, candidate);
        let better = match &best {
            None => true,
            Some((best_name, best_distance)) => {
                (distance, candidate) < (*best_distance, best_name.as_str())
            }
        };
        if distance <= limit && better {
            best = Some((candidate.to_string(), distance));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_as_rustc_does() {
        let known: HashSet<&[u8]> = [&b"unshare"[..], b"uwsgi_unshare_id", b"Unshre2", b"x"]
            .into_iter()
            .collect();
        let near = |name: &str| closest(name, &known, limit(NameKind::Calls, name));
        assert_eq!(near("unshre"), Some(("unshare".to_string(), 1)));
        assert_eq!(near("UNSHARE"), Some(("unshare".to_string(), 0)));
        assert_eq!(near("completely_else"), None);
    }

    #[test]
    fn a_header_is_near_another_by_its_file_name() {
        let known: HashSet<&[u8]> = [&b"sys/devpoll.h"[..], b"sys/inotify.h"]
            .into_iter()
            .collect();
        let near = |name: &str| closest(name, &known, limit(NameKind::Includes, name));
        // Another header that shares the directory and the extension is not a typo's target.
        assert_eq!(near("sys/epoll.h"), None);
        assert_eq!(near("sys/inotfy.h"), Some(("sys/inotify.h".to_string(), 1)));
    }
}
