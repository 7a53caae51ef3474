//! Inputs the fuzz targets (fuzz/, see README.md "Fuzzing") found trouble with, kept in
//! testdata/fuzz/<target>/ and run through what the target runs, with what each must now give.

use cdefang::FileError;

use crate::util::{read_testdata, resolve_setup, setup};

/// What the `engine` target runs on one input; the rewritten bytes, resolved again, must stay.
fn engine_target(data: &[u8]) -> Result<(), FileError> {
    let text = String::from_utf8(read_testdata("fuzz/engine.toml")).unwrap();
    let rules = setup(&text);
    let resolve = resolve_setup(&["A"], &["B"]);
    if let Ok(result) = cdefang::process(data, "x.c", &resolve)
        && let Some(output) = result.output
    {
        let again = cdefang::process(&output, "x.c", &resolve).unwrap();
        assert!(again.output.is_none());
    }
    cdefang::process(data, "core/utils.c", &rules).map(|_| ())
}

/// A run of 51 `+` before an `if` in a block the rule must parse: lang-c backtracked over every
/// way to split it into `++` and `+` (exponential: the target hung). Now refused before lang-c
/// sees it, as code the rule cannot parse, at the run.
#[test]
fn a_long_run_of_plus_signs_is_refused_not_parsed_for_an_hour() {
    let data = read_testdata("fuzz/engine/plus-run-hang.c");
    match engine_target(&data) {
        Err(FileError::Unparsable { failure, .. }) => {
            assert!(
                failure
                    .message
                    .contains("more than 12 `+` and `-` in a row"),
                "{}",
                failure.message
            );
            let plus = data.windows(13).position(|run| run == b"+++++++++++++");
            assert_eq!(Some(failure.offset), plus.map(|start| start + 12));
        }
        other => panic!("expected the run to be refused, got {other:?}"),
    }
}
