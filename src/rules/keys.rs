//! The keys of a rules file, checked before the serde model reads it, so that every unknown and
//! every missing key of the file is told at once (one diagnostic, one label a key) rather than
//! one per run. The key lists are those of the serde model (`schema.rs`), in its order.

use std::ops::Range;

use toml_edit::{Document, Item, Table, TableLike};

use super::RulesError;

const TOP: &[&str] = &[
    "rule",
    "statement_macros",
    "blank_macros",
    "function_macros",
    "typedefs",
    "test",
];
const RULE: &[&str] = &[
    "id",
    "message",
    "files",
    "exclude",
    "target",
    "match",
    "action",
    "define",
    "undef",
    "replacement",
    "value",
    "guard",
    "guard_end",
    "expect",
    "fallback",
];
/// `[rule.match]` is not among them: a `resolve` rule may select by its assumptions alone, and
/// validation tells any other rule that it needs a condition or `uses`.
const RULE_REQUIRED: &[&str] = &["id", "message", "action"];
const MATCH: &[&str] = &[
    "condition",
    "uses",
    "calls",
    "includes",
    "mentions",
    "structs",
    "references",
    "inside",
    "not_inside",
    "scope",
    "nested",
    "defines",
    "undefs",
    "value",
];
const EXPECT: &[&str] = &["min", "max", "per"];
const TEST: &[&str] = &["name", "file", "code", "path", "expect"];
const TEST_REQUIRED: &[&str] = &["name", "file", "expect"];

/// One key that is wrong.
struct KeyProblem {
    /// As serde says it (the message when it is the only one).
    message: String,
    /// Short, for its label.
    label: String,
    span: Range<usize>,
}

/// Every unknown key and every missing required key of the rules file `text`, in one error.
/// Text that is not TOML is left to the serde model, which says where.
pub(super) fn check(text: &str) -> Result<(), RulesError> {
    let Ok(document) = Document::parse(text) else {
        return Ok(());
    };
    let mut problems = Vec::new();
    let root = document.as_table();
    unknown(root, TOP, &mut problems);
    if let Some(rules) = root.get("rule").and_then(Item::as_array_of_tables) {
        for rule in rules.iter() {
            unknown(rule, RULE, &mut problems);
            missing(
                rule,
                table_span(rule),
                RULE_REQUIRED,
                "[[rule]]",
                &mut problems,
            );
            if let Some(matcher) = rule.get("match").and_then(Item::as_table_like) {
                unknown(matcher, MATCH, &mut problems);
                empty_lists(matcher, &mut problems);
            }
            if let Some(expect) = rule.get("expect").and_then(Item::as_table_like) {
                unknown(expect, EXPECT, &mut problems);
            }
        }
    }
    if let Some(tests) = root.get("test").and_then(Item::as_array_of_tables) {
        for test in tests.iter() {
            unknown(test, TEST, &mut problems);
            missing(
                test,
                table_span(test),
                TEST_REQUIRED,
                "[[test]]",
                &mut problems,
            );
        }
    }
    problems.sort_by_key(|problem| problem.span.start);
    let Some((first, rest)) = problems.split_first() else {
        return Ok(());
    };
    if rest.is_empty() {
        return Err(RulesError {
            message: first.message.clone(),
            span: first.span.clone(),
            help: "see README.md, section \"Rules\", for the format of a rules file".to_string(),
            label: None,
            also: Vec::new(),
        });
    }
    Err(RulesError {
        message: format!(
            "{} problems with the keys of this file, each labelled below",
            problems.len()
        ),
        span: first.span.clone(),
        label: Some(first.label.clone()),
        help: "every one is shown here; see README.md, section \"Rules\", for the keys of a rules file"
            .to_string(),
        also: rest
            .iter()
            .map(|problem| (problem.span.clone(), problem.label.clone()))
            .collect(),
    })
}

fn table_span(table: &Table) -> Range<usize> {
    table.span().unwrap_or(0..0)
}

/// The keys of `table` that are not in `known`, told as serde tells them.
fn unknown(table: &dyn TableLike, known: &[&str], problems: &mut Vec<KeyProblem>) {
    for (key, _) in table.iter() {
        if known.contains(&key) {
            continue;
        }
        let span = table
            .get_key_value(key)
            .and_then(|(key, _)| key.span())
            .unwrap_or(0..0);
        let expected: Vec<String> = known.iter().map(|key| format!("`{key}`")).collect();
        // The key meant, as rustc suggests a name: the closest, a third of the key's length
        // away at most (`mesage` for `message`).
        let meant = known
            .iter()
            .map(|known| (strsim::levenshtein(key, known), *known))
            .filter(|(distance, _)| *distance <= (key.chars().count() / 3).max(1))
            .min()
            .map_or(String::new(), |(_, known)| {
                format!(" (did you mean `{known}`?)")
            });
        problems.push(KeyProblem {
            message: format!(
                "unknown field `{key}`{meant}, expected one of {}",
                expected.join(", ")
            ),
            label: format!(
                "unknown field `{key}`{meant}; this table takes {}",
                expected.join(", ")
            ),
            span,
        });
    }
}

/// The lists of names that `[rule.match]` gives empty (`calls = []`): read as if absent, they
/// would quietly widen the rule (a `drop` with no body predicate left).
fn empty_lists(table: &dyn TableLike, problems: &mut Vec<KeyProblem>) {
    for (key, item) in table.iter() {
        let empty = item
            .as_value()
            .and_then(toml_edit::Value::as_array)
            .is_some_and(toml_edit::Array::is_empty);
        if !empty {
            continue;
        }
        let span = table
            .get_key_value(key)
            .and_then(|(key, _)| key.span())
            .unwrap_or(0..0);
        problems.push(KeyProblem {
            message: format!("`{key}` is empty: give at least one name, or leave the key out"),
            label: format!("`{key}` is empty"),
            span,
        });
    }
}

/// The keys of `required` that `table` (whose header is at `span`) lacks.
fn missing(
    table: &dyn TableLike,
    span: Range<usize>,
    required: &[&str],
    what: &str,
    problems: &mut Vec<KeyProblem>,
) {
    for key in required {
        if table.get(key).is_none() {
            problems.push(KeyProblem {
                message: format!("missing field `{key}`"),
                label: format!("missing field `{key}` in this {what}"),
                span: span.clone(),
            });
        }
    }
}
