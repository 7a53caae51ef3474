//! Step 6, the verification: the learned TOML is loaded back with [`crate::rules::load`], run
//! with the engine over the original files (their parses, as learn made them) and compared with the patched ones;
//! any difference, or a match count other than the one written in `expect`, is an error.

use crate::diag::{InFile, Problem};
use crate::engine::{self, Detail, Setup};
use crate::rules;
use crate::source::{Lines, ParsedFile};

use super::draft::RuleSpec;
use super::patch::{PatchedFile, shown};
use super::{Hints, LearnError, LearnErrorKind};

/// Load the rendered rules back, run them with the engine over the original files, and check
/// that the output is the patched files and each rule's count its `expect`.
pub(super) fn verify(
    toml: &str,
    specs: &[RuleSpec],
    files: &[PatchedFile],
    parsed: &[ParsedFile],
    tree_hints: &Hints,
) -> Result<(), LearnError> {
    let failed = |problem: Problem| LearnError::new(LearnErrorKind::Verify, problem);
    let setup = run_setup(load_learned(toml)?, tree_hints);
    let mut counts = vec![0u64; setup.rules.len()];
    for (file, parsed) in files.iter().zip(parsed) {
        let result = engine::process_parsed(parsed, &file.relative, &setup, Detail::default());
        let result = result.map_err(|error| {
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
                    spec.id(),
                    spec.expect
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

/// The rules `learn` wrote, loaded as a run would load them; a failure is cdefang's bug.
/// The setup a run of the learned rules over the source directory has: the rules file's hints
/// (which repeat the request's), then its headers' (`tree_hints`: the request's hints with the
/// headers' added, as [`crate::files::add_header_hints`] gives them).
pub(super) fn run_setup(learned: rules::RulesFile, tree_hints: &Hints) -> Setup {
    let mut macros = learned.macros;
    macros.add_missing(&tree_hints.macros);
    let typedefs = [learned.typedefs.as_slice(), &tree_hints.typedefs].concat();
    Setup::new(learned.rules, macros, &typedefs)
}

pub(super) fn load_learned(toml: &str) -> Result<rules::RulesFile, LearnError> {
    rules::load(toml, 0).map_err(|error| {
        LearnError::new(
            LearnErrorKind::Verify,
            Problem::error(format!("the learned rules do not load: {}", error.message))
                .at("learned rules", toml.as_bytes(), error.span, "here")
                .help("this is a bug in cdefang learn: please report it with the patch"),
        )
    })
}
