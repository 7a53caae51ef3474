//! Step 5, the TOML text: the learned rules as a rules file, written from the same serde model
//! that reads one ([`RulesToml::to_document`]), with comments saying where the rules come from,
//! what the patch does in each file and what `expect` is for.

use std::collections::BTreeSet;

use toml_edit::Item;

use crate::diag::Problem;
use crate::output::plural;
use crate::rules::RulesToml;

use super::draft::{RuleSpec, counted};
use super::patch::PatchedFile;
use super::{LearnError, LearnErrorKind, Request};

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
pub(super) fn comment(out: &mut String, text: &str) {
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

/// The rules file: a header comment, the C parsing hints (repeated so that the file works on
/// its own), then each rule after a comment on what the patch does, with one on `expect`.
pub(super) fn render(
    specs: &[RuleSpec],
    request: &Request,
    files: &[PatchedFile],
) -> Result<String, LearnError> {
    let hints = &request.hints;
    let model = RulesToml {
        statement_macros: unique(&hints.macros.statements),
        blank_macros: unique(&hints.macros.blank),
        function_macros: unique(&hints.macros.functions),
        typedefs: unique(&hints.typedefs),
        rule: specs.iter().map(|spec| spec.toml.clone()).collect(),
        test: Vec::new(),
    };
    let mut document = model.to_document().map_err(|error| {
        LearnError::new(
            LearnErrorKind::Verify,
            Problem::error(format!("the learned rules cannot be written: {error}"))
                .help("this is a bug in cdefang learn: please report it with the patch"),
        )
    })?;

    let changed: Vec<&str> = files.iter().map(|file| file.relative.as_str()).collect();
    let mut header = String::new();
    comment(
        &mut header,
        &format!(
            "Learned by `cdefang learn` from the patch {} against the sources in {}. Verified before writing: run with cdefang over those sources, these rules give exactly the patched {}: {}.",
            request.patch_name,
            request.source.display(),
            plural(changed.len() as u64, "file", "files"),
            changed.join(", ")
        ),
    );
    document.decor_mut().set_prefix(header);
    let root = document.as_table_mut();
    // The hints are the top-level values; the rules are tables.
    if let Some((mut first, _)) = root.iter_mut().find(|(_, item)| item.is_value()) {
        first.leaf_decor_mut().set_prefix(
            "\n# C parsing hints given to learn (lang-c needs them to read these sources).\n",
        );
    }
    let tables = root.get_mut("rule").and_then(Item::as_array_of_tables_mut);
    for (table, spec) in tables
        .into_iter()
        .flat_map(|tables| tables.iter_mut())
        .zip(specs)
    {
        let mut notes = String::from("\n");
        for note in &spec.notes {
            comment(&mut notes, &format!("{note}."));
        }
        table.decor_mut().set_prefix(notes);
        let mut about_expect = String::new();
        comment(
            &mut about_expect,
            &format!(
                "The patch changes {}. Another count (on another release, say) fires the drift alarm: exit 2, nothing written. Check the rule there, then adjust `expect` (e.g. {}) if the rule is still right.",
                counted(spec.expect, &spec.action),
                format!("{{ min = 1, max = {} }}", spec.expect.max(2))
                    .replace(' ', &GLUE.to_string())
            ),
        );
        if let Some(mut expect) = table.key_mut("expect") {
            expect.leaf_decor_mut().set_prefix(about_expect);
        }
    }
    Ok(document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::and_list;

    #[test]
    fn comments() {
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
