//! Directive-line targets: `#include` lines selected by header (`target = "include"`) and
//! `#define`/`#undef` lines selected by macro name and value (`target = "define"`), read from the
//! scan; the `replace` and `set` edits, which rewrite part of one line and keep the rest; and
//! whether those two actions are already applied.

use std::ops::Range;

use super::matcher::FileFacts;
use super::target::{Candidate, Evidence, scope_evidence, where_matches};
use crate::cond;
use crate::rules::Rule;
use crate::source::{Directive, DirectiveKind};

/// Every `#include` line of a header the rule names (`includes`), anywhere in the file.
pub(super) fn include_candidates(rule: &Rule, facts: &FileFacts) -> Vec<Candidate> {
    facts
        .scan
        .includes(0..facts.source.len())
        .filter(|include| {
            rule.matcher
                .includes
                .iter()
                .any(|header| header.as_bytes() == include.header())
        })
        .map(|include| {
            let directive = include.directive;
            let header = String::from_utf8_lossy(include.text);
            Candidate {
                selected: directive.text_span(),
                lines: directive.line.clone(),
                evidence: vec![(directive.text_span(), format!("includes `{header}`"))],
                function: None,
                refusal: None,
                labelled: None,
            }
        })
        .collect()
}

/// A `#define` or `#undef` line, read.
struct Definition<'s> {
    undef: bool,
    name: &'s [u8],
    /// The replacement text, from the first non-blank byte after the name (and its parameter
    /// list) to the last (comments are blanked); empty for `#define X` and `#undef X`.
    value: Range<usize>,
    /// Where the name ends (and its parameter list), for a value to be added after.
    after_name: usize,
}

fn definition<'s>(facts: &FileFacts<'s>, directive: &Directive) -> Option<Definition<'s>> {
    let undef = match directive.kind {
        DirectiveKind::Define => false,
        DirectiveKind::Undef => true,
        _ => return None,
    };
    let clean = &facts.scan.clean;
    let rest = directive.rest.clone();
    let mut at = rest.start;
    while at < rest.end && cond::is_c_space(&clean[at]) {
        at += 1;
    }
    let name_start = at;
    while at < rest.end && (clean[at].is_ascii_alphanumeric() || clean[at] == b'_') {
        at += 1;
    }
    if at == name_start {
        return None;
    }
    let name = &facts.source[name_start..at];
    if !undef && at < rest.end && clean[at] == b'(' {
        // A function-like macro: the parameter list belongs to the name.
        while at < rest.end && clean[at] != b')' {
            at += 1;
        }
        at = (at + 1).min(rest.end);
    }
    let after_name = at;
    while at < rest.end && cond::is_c_space(&clean[at]) {
        at += 1;
    }
    let mut end = rest.end;
    while end > at && cond::is_c_space(&clean[end - 1]) {
        end -= 1;
    }
    Some(Definition {
        undef,
        name,
        value: at..end,
        after_name,
    })
}

/// The text with every run of blanks (and line continuations) as one space: how values compare.
fn spaced(text: &[u8]) -> String {
    cond::fold_c_space(
        &String::from_utf8_lossy(text)
            .replace("\\\n", " ")
            .replace("\\\r\n", " "),
    )
}

/// Every `#define` of a macro in `defines` (with the value `value`, when the rule gives one) and
/// every `#undef` of a macro in `undefs`, anywhere in the file.
pub(super) fn define_candidates(rule: &Rule, facts: &FileFacts) -> Vec<Candidate> {
    let matcher = &rule.matcher;
    let named =
        |names: &[String], name: &[u8]| names.iter().any(|wanted| wanted.as_bytes() == name);
    facts
        .scan
        .directives
        .iter()
        .filter_map(|directive| {
            let definition = definition(facts, directive)?;
            let wanted = if definition.undef {
                named(&matcher.undefs, definition.name)
            } else {
                named(&matcher.defines, definition.name)
                    && matcher.value.as_ref().is_none_or(|value| {
                        spaced(&facts.scan.clean[definition.value.clone()])
                            == spaced(value.as_bytes())
                    })
            };
            if !wanted {
                return None;
            }
            let keyword = if definition.undef {
                "#undef"
            } else {
                "#define"
            };
            let name = String::from_utf8_lossy(definition.name);
            Some(Candidate {
                selected: directive.text_span(),
                lines: directive.line.clone(),
                evidence: vec![(directive.text_span(), format!("{keyword} `{name}`"))],
                function: None,
                refusal: None,
                labelled: None,
            })
        })
        .collect()
}

/// The `replace` edit: the header of the `#include` line becomes `header`, the rest of the line
/// stays.
pub(super) fn replace_header(
    facts: &FileFacts,
    candidate: &Candidate,
    header: &str,
) -> Option<(Range<usize>, Vec<u8>)> {
    let directive = directive_at(facts, candidate)?;
    let clean = &facts.scan.clean;
    let rest = directive.rest.clone();
    let start = (rest.start..rest.end).find(|&at| !cond::is_c_space(&clean[at]))?;
    let mut end = rest.end;
    while end > start && cond::is_c_space(&clean[end - 1]) {
        end -= 1;
    }
    Some((start..end, header.as_bytes().to_vec()))
}

/// The `set` edit: the `#define`'s value becomes `value` (after one space when it had none);
/// `None` when it has that value already, or the line is an `#undef`.
pub(super) fn set_value(
    facts: &FileFacts,
    candidate: &Candidate,
    value: &str,
) -> Option<(Range<usize>, Vec<u8>)> {
    let directive = directive_at(facts, candidate)?;
    let definition = definition(facts, directive)?;
    if definition.undef
        || spaced(&facts.scan.clean[definition.value.clone()]) == spaced(value.as_bytes())
    {
        return None;
    }
    if definition.value.is_empty() {
        let at = definition.after_name;
        return Some((at..at, format!(" {value}").into_bytes()));
    }
    Some((definition.value, value.as_bytes().to_vec()))
}

fn directive_at<'f>(facts: &'f FileFacts, candidate: &Candidate) -> Option<&'f Directive> {
    facts
        .scan
        .directives
        .iter()
        .find(|directive| directive.line == candidate.lines)
}

/// `replace`: no `#include` of the old headers is left in the rule's scope, and the new header
/// is included where the rule's `condition`/`uses` (and `inside`) select.
pub fn replace_already_applied(rule: &Rule, facts: &FileFacts, header: &str) -> Option<Evidence> {
    if !include_candidates(rule, facts).is_empty() {
        return None;
    }
    let mut replaced = rule.clone();
    replaced.matcher.includes = vec![header[1..header.len() - 1].to_string()];
    let evidence: Evidence = super::target::candidates(usize::MAX, &replaced, facts)
        .ok()?
        .into_iter()
        .filter_map(|candidate| {
            let mut evidence = where_matches(rule, facts, candidate.selected.start)?;
            evidence.push((candidate.selected, format!("already includes `{header}`")));
            Some(evidence)
        })
        .flatten()
        .collect();
    if evidence.is_empty() {
        return None;
    }
    scope_evidence(rule, facts).map(|mut scope| {
        scope.extend(evidence);
        scope
    })
}

/// `set`: a `#define` of the macro that the rule selects (`condition`/`uses`, `inside`) has the
/// new value, and none has another.
pub fn set_already_applied(rule: &Rule, facts: &FileFacts, value: &str) -> Option<Evidence> {
    // The value the rule selects by is gone once it is applied: ask for any value.
    let mut any_value = rule.clone();
    any_value.matcher.value = None;
    let candidates = super::target::candidates(usize::MAX, &any_value, facts).ok()?;
    let mut evidence = Vec::new();
    for candidate in candidates {
        if where_matches(rule, facts, candidate.selected.start).is_none() {
            continue;
        }
        if set_value(facts, &candidate, value).is_some() {
            return None; // another value: a match, not applied
        }
        let directive = directive_at(facts, &candidate)?;
        if definition(facts, directive).is_some_and(|definition| !definition.undef) {
            evidence.push((candidate.selected, format!("already defined to `{value}`")));
        }
    }
    (!evidence.is_empty()).then_some(evidence)
}
