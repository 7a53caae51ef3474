//! Step 5, the TOML text: the learned rules as a rules file, with comments saying where they
//! come from, what the patch does in each file and what `expect` is for.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::rules::Action;

use super::Request;
use super::draft::{RuleSpec, counted};
use super::patch::PatchedFile;

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

pub(super) fn render(specs: &[RuleSpec], request: &Request, files: &[PatchedFile]) -> String {
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
        for (kind, predicate) in spec.predicates.iter() {
            if let Some(name) = predicate {
                let _ = writeln!(
                    text,
                    "{}",
                    toml_list(kind.key(), std::slice::from_ref(name))
                );
            }
        }
        if let Some(function) = &spec.inside {
            let _ = writeln!(text, "inside = {}", toml_string(function));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::and_list;

    #[test]
    fn comments() {
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
