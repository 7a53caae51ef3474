//! Drafting one rule per group of sites: the names the sites share, then the least specific
//! match (names, `inside`, the `condition` around) whose edits, run by the engine over the
//! original files, are exactly the group's; and the rule's id and message.

use crate::c::CFacts;
use crate::diag::Problem;
use crate::engine;
use crate::rules::{self, Action, MatchToml, RuleToml, Target};

use super::{FileWork, Site, What, rules_text};
use crate::learn::{Hints, LearnError, LearnErrorKind};

pub(super) fn files_of(group: &[Site], works: &[FileWork]) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for site in group {
        let relative = &works[site.file].relative;
        if !files.contains(relative) {
            files.push(relative.clone());
        }
    }
    files
}

/// The names common to every site, rarest first in the group's files.
fn common(
    group: &[Site],
    works: &[FileWork],
    pick: impl Fn(&CFacts) -> Vec<String>,
) -> Vec<String> {
    let mut names: Vec<String> = match &group[0].what {
        What::Statement(facts) => pick(facts),
        _ => Vec::new(),
    };
    names.dedup();
    let mut seen = Vec::new();
    names.retain(|name| {
        let fresh = !seen.contains(name);
        seen.push(name.clone());
        fresh
            && group.iter().all(|site| match &site.what {
                What::Statement(facts) => pick(facts).contains(name),
                _ => false,
            })
    });
    let count = |name: &String| -> usize {
        files_of(group, works)
            .iter()
            .filter_map(|relative| works.iter().find(|work| work.relative == *relative))
            .map(|work| {
                String::from_utf8_lossy(&work.original)
                    .match_indices(name.as_str())
                    .count()
            })
            .sum()
    };
    names.sort_by_key(count);
    names
}

/// The same value at every site, if there is one.
fn shared<T: PartialEq + Clone>(group: &[Site], of: impl Fn(&Site) -> Option<T>) -> Option<T> {
    let first = of(&group[0])?;
    group
        .iter()
        .all(|site| of(site).as_ref() == Some(&first))
        .then_some(first)
}

/// The least specific rule whose edits, run by the engine over the original files, are exactly
/// the group's.
pub(super) fn search(
    group: &[Site],
    works: &[FileWork],
    hints: &Hints,
    tree_hints: &Hints,
    patch_file: &str,
    used_ids: &mut Vec<String>,
) -> Result<RuleToml, LearnError> {
    let first = &group[0];
    let mut bases: Vec<MatchToml> = Vec::new();
    let unique = |list: Vec<String>| {
        let mut out: Vec<String> = Vec::new();
        for item in list {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    };
    match first.target {
        Target::Include => bases.push(MatchToml {
            includes: unique(
                group
                    .iter()
                    .filter_map(|site| match &site.what {
                        What::Include(header) => Some(header.clone()),
                        _ => None,
                    })
                    .collect(),
            )
            .into_iter()
            .map(rules::unspanned)
            .collect(),
            ..MatchToml::default()
        }),
        Target::Define => {
            let names = |undef: bool| {
                unique(
                    group
                        .iter()
                        .filter_map(|site| match &site.what {
                            What::Define { name, undef: u, .. } if *u == undef => {
                                Some(name.clone())
                            }
                            _ => None,
                        })
                        .collect(),
                )
            };
            let base = MatchToml {
                defines: names(false),
                undefs: names(true),
                ..MatchToml::default()
            };
            bases.push(base.clone());
            if !matches!(first.action, Action::SetValue(_))
                && let Some(value) = shared(group, |site| match &site.what {
                    What::Define {
                        value,
                        undef: false,
                        ..
                    } => Some(value.clone()),
                    _ => None,
                })
            {
                bases.push(MatchToml {
                    value: Some(value),
                    ..base
                });
            }
        }
        Target::Statement => {
            let calls = common(group, works, |facts| {
                facts.calls.iter().map(|(name, _)| name.clone()).collect()
            });
            let mentions = common(group, works, |facts| {
                facts
                    .identifiers
                    .iter()
                    .map(|(name, _)| name.clone())
                    .collect()
            });
            for call in calls.iter().take(4) {
                bases.push(MatchToml {
                    calls: vec![rules::unspanned(call.clone())],
                    ..MatchToml::default()
                });
            }
            for mention in mentions.iter().filter(|name| !calls.contains(name)).take(4) {
                bases.push(MatchToml {
                    mentions: vec![rules::unspanned(mention.clone())],
                    ..MatchToml::default()
                });
            }
            for call in calls.iter().take(3) {
                for mention in mentions.iter().filter(|name| !calls.contains(name)).take(4) {
                    bases.push(MatchToml {
                        calls: vec![rules::unspanned(call.clone())],
                        mentions: vec![rules::unspanned(mention.clone())],
                        ..MatchToml::default()
                    });
                }
            }
        }
        Target::Conditional => {}
    }
    let inside = shared(group, |site| site.function.clone());
    let condition = shared(group, |site| site.condition.clone());
    let files = files_of(group, works);
    for base in &bases {
        let mut variants = vec![base.clone()];
        if let Some(inside) = &inside {
            variants.push(MatchToml {
                inside: Some(rules::unspanned(rules::StringList::of(vec![
                    inside.clone(),
                ]))),
                ..base.clone()
            });
        }
        if let Some(condition) = &condition {
            for variant in variants.clone() {
                variants.push(MatchToml {
                    condition: Some(rules::unspanned(condition.clone())),
                    ..variant
                });
            }
        }
        for matcher in variants {
            let (id, message) = naming(group, &matcher, patch_file, used_ids);
            let rule = RuleToml::new(
                id.clone(),
                message.clone(),
                files
                    .iter()
                    .map(|file| glob::Pattern::escape(file))
                    .collect(),
                &first.action,
                matcher,
                Some(rules::ExpectToml::Exactly(group.len() as u64)),
            )
            .with_target(first.target);
            if reproduces(&rule, group, works, hints, tree_hints) {
                used_ids.push(id);
                return Ok(rule);
            }
        }
    }
    let place = &works[first.file];
    Err(LearnError::new(
        LearnErrorKind::Indistinct,
        Problem::error(format!(
            "no rule selects exactly the {} {} the patch changes in {}",
            group.len(),
            match first.target {
                Target::Include => "#include line(s)",
                Target::Define => "#define/#undef line(s)",
                _ => "statement(s)",
            },
            files.join(", ")
        ))
        .at(&place.display, &place.original, first.range.clone(), "changed by the patch")
        .help("the names, the function and the condition around it select other places the patch leaves alone (or lang-c reads the code otherwise): write the rule by hand (README.md, \"Rules\")"),
    ))
}

/// The id and message of a group's rule, from what its match names.
fn naming(
    group: &[Site],
    matcher: &MatchToml,
    patch_file: &str,
    used_ids: &[String],
) -> (String, String) {
    let first = &group[0];
    fn quoted<S: std::borrow::Borrow<str>>(names: &[S], open: &str, close: &str) -> String {
        names
            .iter()
            .map(|name| format!("{open}{}{close}", name.borrow()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let (slug, what) = match first.target {
        Target::Include => (
            matcher.includes.first().map(|name| name.get_ref().clone()),
            format!(
                "the #include line of {}",
                quoted(&matcher.includes, "<", ">")
            ),
        ),
        Target::Define => {
            let mut lines = Vec::new();
            if !matcher.defines.is_empty() {
                lines.push(format!("#define {}", quoted(&matcher.defines, "", "")));
            }
            if !matcher.undefs.is_empty() {
                lines.push(format!("#undef {}", quoted(&matcher.undefs, "", "")));
            }
            (
                matcher.defines.first().or(matcher.undefs.first()).cloned(),
                format!("the {} line", lines.join(" and ")),
            )
        }
        _ => {
            let mut parts = Vec::new();
            if !matcher.calls.is_empty() {
                parts.push(format!("call {}", quoted(&matcher.calls, "", "()")));
            }
            if !matcher.mentions.is_empty() {
                parts.push(format!("use {}", quoted(&matcher.mentions, "", "")));
            }
            (
                matcher
                    .mentions
                    .first()
                    .or(matcher.calls.first())
                    .map(|name| name.get_ref().clone()),
                format!("the statements that {}", parts.join(" and ")),
            )
        }
    };
    let mut place = String::new();
    if let Some(inside) = &matcher.inside {
        for name in &inside.get_ref().0 {
            place.push_str(&format!(" in {}()", name.get_ref()));
        }
    }
    if let Some(condition) = &matcher.condition {
        place.push_str(&format!(" under `{}`", condition.get_ref()));
    }
    let message = match &first.action {
        Action::Guard(guard) => format!(
            "guard {what}{place} with `{}` (learned from {patch_file})",
            guard.opening
        ),
        Action::SetValue(value) => {
            format!("give {what}{place} the value `{value}` (learned from {patch_file})")
        }
        Action::Replace(header) => {
            format!("include {header} in place of {what}{place} (learned from {patch_file})")
        }
        _ => format!("remove {what}{place} (learned from {patch_file})"),
    };
    let mut slug_text = String::new();
    for c in slug.unwrap_or_default().chars() {
        if c.is_ascii_alphanumeric() {
            slug_text.push(c.to_ascii_lowercase());
        } else if !slug_text.is_empty() && !slug_text.ends_with('-') {
            slug_text.push('-');
        }
    }
    let base = format!(
        "learned-{}-{}",
        first.action.name(),
        slug_text.trim_end_matches('-')
    );
    let mut id = base.clone();
    let mut number = 2;
    while used_ids.contains(&id) {
        id = format!("{base}-{number}");
        number += 1;
    }
    (id, message)
}

/// Does the rule alone, run over the original files, make exactly the group's edits?
fn reproduces(
    rule: &RuleToml,
    group: &[Site],
    works: &[FileWork],
    hints: &Hints,
    tree_hints: &Hints,
) -> bool {
    let Ok(toml) = rules_text(vec![rule.clone()], hints) else {
        return false;
    };
    let Ok(loaded) = rules::load(&toml, 0) else {
        return false;
    };
    let setup = crate::learn::verify::run_setup(loaded, tree_hints);
    let mut found = 0;
    for (index, work) in works.iter().enumerate() {
        let mut edits: Vec<&Site> = group.iter().filter(|site| site.file == index).collect();
        edits.sort_by_key(|site| site.range.start);
        let mut expected = Vec::with_capacity(work.original.len());
        let mut at = 0;
        for site in edits {
            expected.extend_from_slice(&work.original[at..site.range.start]);
            expected.extend_from_slice(&site.text);
            at = site.range.end;
        }
        expected.extend_from_slice(&work.original[at..]);
        let Ok(result) = engine::process(&work.original, &work.relative, &setup) else {
            return false;
        };
        found += result.counts.first().map_or(0, |count| count.matches);
        if result.output.as_deref().unwrap_or(&work.original) != expected.as_slice() {
            return false;
        }
    }
    found == group.len() as u64
}
