//! What lang-c makes of each fixture: per function, the calls, identifiers and struct tags it
//! uses, kept as snapshots in snapshots/.

use std::fmt::Write;

use cdefang::{Macros, ParsedFile, Setup};

use crate::util::{assert_snapshot, read_testdata};

/// A setup without rules, macros or type names: lang-c's view of the fixtures as they are.
fn no_rules() -> Setup {
    Setup::new(Vec::new(), Macros::default(), &[])
}

/// The facts of every function of a fixture under the default view, then of every branch with
/// that branch active; one block each.
fn facts_of(fixture: &str, setup: &Setup) -> String {
    let source = read_testdata(fixture);
    let mut text = String::new();
    let parsed = ParsedFile::new(&source).unwrap();
    let functions = cdefang::function_facts(&parsed, setup);
    let branches = cdefang::branch_facts(&parsed, setup).unwrap();
    let blocks = functions
        .iter()
        .map(|function| {
            let (line, _) = cdefang::Lines::new(&source).line_column(function.item.start);
            (
                format!("function {} (line {line})", function.name),
                &function.facts,
            )
        })
        .chain(branches.iter().map(|branch| {
            let (line, _) = cdefang::Lines::new(&source).line_column(branch.directive.start);
            let directive = String::from_utf8_lossy(&source[branch.directive.clone()]);
            let inside = branch
                .function
                .as_ref()
                .map_or(String::new(), |name| format!(" in {name}"));
            (
                format!("branch `{}` (line {line}){inside}", directive.trim_end()),
                &branch.facts,
            )
        }));
    for (title, facts) in blocks {
        writeln!(text, "{title}").unwrap();
        match facts {
            Ok(facts) => {
                let list = |items: &[(String, std::ops::Range<usize>)]| {
                    items
                        .iter()
                        .map(|(name, span)| {
                            assert_eq!(
                                &source[span.clone()],
                                name.as_bytes(),
                                "span is a file offset"
                            );
                            let (line, column) =
                                cdefang::Lines::new(&source).line_column(span.start);
                            format!("{name}@{line}:{column}")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                writeln!(text, "  calls: {}", list(&facts.calls)).unwrap();
                writeln!(text, "  identifiers: {}", list(&facts.identifiers)).unwrap();
                writeln!(text, "  structs: {}", list(&facts.structs)).unwrap();
            }
            Err(failure) => {
                let (line, column) = cdefang::Lines::new(&source).line_column(failure.offset);
                writeln!(text, "  unparsable at {line}:{column}: {}", failure.message).unwrap();
            }
        }
    }
    text
}

#[test]
fn facts_of_every_fixture() {
    let setup = no_rules();
    for fixture in [
        "constructs/not-calls.c",
        "constructs/split-function.c",
        "constructs/directive-forms.c",
        "constructs/non-utf8.c",
        "constructs/unparsable.c",
        "uwsgi/core/utils.c",
        "uwsgi/core/event.c",
        "uwsgi/core/fsmon.c",
    ] {
        let facts = facts_of(fixture, &setup);
        let name = format!("facts-{}", fixture.replace('/', "-"));
        assert_snapshot(&name, &format!("facts of testdata/{fixture}"), facts);
    }
}

#[test]
fn the_branch_under_examination_is_parsed_not_only_the_default_one() {
    // event.c's inotify functions sit in the #else of `#ifdef OBSOLETE_LINUX_KERNEL`: under the
    // default view (every macro defined) they are inactive, with their branch active they are
    // parsed, and `struct inotify_event` is found there.
    let source = read_testdata("uwsgi/core/event.c");
    let parsed = ParsedFile::new(&source).unwrap();
    let functions = cdefang::function_facts(&parsed, &no_rules());
    assert!(functions.iter().all(|function| {
        function
            .facts
            .as_ref()
            .unwrap()
            .calls
            .iter()
            .all(|(name, _)| name != "inotify_init")
    }));
    let branches = cdefang::branch_facts(&parsed, &no_rules()).unwrap();
    let inotify = branches
        .iter()
        .find(|branch| source[branch.directive.clone()].starts_with(b"#else"))
        .unwrap();
    let facts = inotify.facts.as_ref().unwrap();
    assert!(facts.calls.iter().any(|(name, _)| name == "inotify_init"));
    assert!(
        facts
            .structs
            .iter()
            .any(|(name, _)| name == "inotify_event")
    );
}

#[test]
fn a_declared_statement_macro_makes_the_function_parse() {
    let mut setup = no_rules();
    let source = read_testdata("constructs/unparsable.c");
    let branch = |setup: &Setup| {
        cdefang::branch_facts(&ParsedFile::new(&source).unwrap(), setup)
            .unwrap()
            .remove(0)
            .facts
    };
    let failure = branch(&setup).unwrap_err();
    assert_eq!(
        cdefang::Lines::new(&source).line_column(failure.offset).0,
        3
    );
    setup.macros.statements.push("uwsgi_each".into());
    let calls: Vec<String> = branch(&setup)
        .unwrap()
        .calls
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(calls, ["unshare", "exit"]);
}
