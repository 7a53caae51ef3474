//! `cdefang test`: the shipped rules' cases pass; on copies of rules/ (and the test data their
//! cases read), wrong expectations, tampered, missing and pending snapshots, and invalid test
//! cases are reported as they must be.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{
    assert_contains, assert_exit, assert_file, assert_stderr, cdefang, copy_dir, el5_rules, root,
    run_with_rules, stderr_of, stdout_of, testdata,
};

/// The cases of rules/el5.toml, in order.
const CASES: [&str; 6] = [
    "utils-2x",
    "utils-1x",
    "utils-applied",
    "event",
    "fsmon",
    "lock-untouched",
];

/// A scratch directory with copies of rules/ and testdata/uwsgi/ (which the cases' `path`s
/// name as ../testdata/uwsgi/…).
/// What `cdefang test rules/` prints for the shipped rules files other than el5.toml.
const SHIPPED_OTHERS: [&str; 7] = [
    "rules/no-epoll.toml: 3 test cases",
    "test uwsgi-h ... ok",
    "test uwsgi-h-applied ... ok",
    "test event ... ok",
    "rules/pdeathsig.toml: 2 test cases",
    "test emperor-2x ... ok",
    "test emperor-applied ... ok",
];

fn rules_scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("rules"), &dir.path().join("rules"));
    copy_dir(&testdata("uwsgi"), &dir.path().join("testdata/uwsgi"));
    dir
}

/// `cdefang test ARGS…` run in `dir`, after checking that it exits with `code`.
fn cdefang_test(dir: &Path, args: &[&str], code: i32) -> Output {
    let output = cdefang(dir).arg("test").args(args).output().unwrap();
    assert_exit(&output, code);
    output
}

/// Edit a file of the scratch copy: `from` must occur exactly once.
fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} in {}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn line_col(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// The lines of `text` from the one equal to `first`, as many as `expected` has.
fn lines_from<'a>(text: &'a str, first: &str, count: usize) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|line| *line == first)
        .unwrap_or_else(|| panic!("no line {first:?} in:\n{text}"));
    lines[start..(start + count).min(lines.len())].to_vec()
}

fn snapshot(dir: &Path, case: &str) -> PathBuf {
    dir.join(format!("rules/snapshots/el5@{case}.snap"))
}

fn pending(dir: &Path, case: &str) -> PathBuf {
    dir.join(format!("rules/snapshots/el5@{case}.snap.new"))
}

#[test]
fn shipped_rules_pass() {
    let output = cdefang_test(&root(), &["rules/"], 0);
    let stdout = stdout_of(&output);
    // The add-ons of the EL5 profile first (its one case answers at the token level, and says so).
    let mut expected = vec![
        "rules/el5-emperor-clone.toml: 1 test case".to_string(),
        "test options-2x ... ok".to_string(),
        "    note: rule drop-emperor-use-clone: lang-c cannot parse line 4, column 2 (lang-c: unexpected token, expected one of `;`, `<typedef_name>`); answered at the token level (fallback = \"tokens\")".to_string(),
        "rules/el5-robust.toml: 1 test case".to_string(),
        "test lock ... ok".to_string(),
        "rules/el5.toml: 6 test cases".to_string(),
    ];
    expected.extend(CASES.iter().map(|case| format!("test {case} ... ok")));
    expected.extend(SHIPPED_OTHERS.iter().map(|line| line.to_string()));
    expected.push("rules/uwsgi-parse.toml: no test cases".to_string());
    expected.push(String::new());
    expected.push("13 passed, 0 failed".to_string());
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected, "{stdout}");
    // Each snapshot holds the header and the output; utils-2x lost both unshare blocks.
    let utils = fs::read_to_string(snapshot(&root(), "utils-2x")).unwrap();
    assert!(utils.starts_with("---\nsource: el5.toml\ncase: utils-2x\nfile: core/utils.c\n---\n/* Shaped like uWSGI's core/utils.c"));
    assert!(!utils.contains("unshare(uwsgi.unshare"), "{utils}");
    assert_contains(&utils, &["if (unshare(flags))"]);
}

#[test]
fn a_wrong_expected_count_fails_naming_the_case_the_rule_and_both_counts() {
    let dir = rules_scratch();
    let rules = dir.path().join("rules/el5.toml");
    edit(
        &rules,
        "expect = { drop-unshare-blocks = 1 }",
        "expect = { drop-unshare-blocks = 2 }",
    );
    edit(
        &rules,
        "expect = { stub-inotify = 0, drop-unshare-blocks = 0 }",
        "expect = { stub-inotify = 0, drop-unshare-blocks = 1 }",
    );
    let output = cdefang_test(dir.path(), &["rules/el5.toml"], 1);
    let stdout = stdout_of(&output);
    assert_eq!(
        lines_from(&stdout, "test utils-1x ... FAILED", 3),
        [
            "test utils-1x ... FAILED",
            "    rule drop-unshare-blocks: expected 2 matches, found 1",
            "test utils-applied ... ok",
        ]
    );
    assert_eq!(
        lines_from(&stdout, "test lock-untouched ... FAILED", 2),
        [
            "test lock-untouched ... FAILED",
            "    rule drop-unshare-blocks: expected 1 match, found 0 (its `files` globs do not select core/lock.c)",
        ]
    );
    assert!(
        stdout.ends_with(
            "failures:\n    rules/el5.toml::utils-1x\n    rules/el5.toml::lock-untouched\n\n4 passed, 2 failed\n"
        ),
        "{stdout}"
    );
    // A wrong count is not a snapshot matter: the snapshot of the case still matches.
    assert!(!stdout.contains("snapshot"), "{stdout}");
}

#[test]
fn a_tampered_snapshot_fails_with_a_diff_and_nothing_is_written() {
    let dir = rules_scratch();
    let utils = snapshot(dir.path(), "utils-2x");
    edit(&utils, "\t\tin_jail = 1;\n", "\t\tin_jail = 2;\n");
    let tampered = fs::read(&utils).unwrap();
    let output = cdefang_test(dir.path(), &["rules"], 1);
    let stdout = stdout_of(&output);
    assert_eq!(
        lines_from(&stdout, "test utils-2x ... FAILED", 13),
        [
            "test utils-2x ... FAILED",
            "    snapshot rules/snapshots/el5@utils-2x.snap differs from the output (- snapshot, + output):",
            "--- rules/snapshots/el5@utils-2x.snap",
            "+++ output of test case utils-2x",
            "@@ -37,7 +37,7 @@",
            "\t\t\tuwsgi_error(\"chroot()\");",
            "\t\t\texit(1);",
            "\t\t}",
            "-\t\tin_jail = 2;",
            "+\t\tin_jail = 1;",
            "\t}",
            "",
            "",
        ]
        .map(|line| match line {
            // Context lines start with a space.
            "" => " ".to_string(),
            _ if line.starts_with('\t') => format!(" {line}"),
            _ => line.to_string(),
        })
    );
    assert_contains(&stdout, &["test utils-1x ... ok"]);
    assert!(stdout.ends_with("12 passed, 1 failed\n"), "{stdout}");
    // The line numbers are the snapshot file's.
    let text = String::from_utf8_lossy(&tampered);
    assert_eq!(line_col(&text, "\t\tin_jail = 2;").0, 40);
    assert_file(&utils, &tampered);
    assert!(!pending(dir.path(), "utils-2x").exists());
}

#[test]
fn a_missing_snapshot_fails_and_says_to_run_update() {
    let dir = rules_scratch();
    fs::remove_file(snapshot(dir.path(), "event")).unwrap();
    // A snapshot of no case is named, and fails nothing.
    fs::copy(snapshot(dir.path(), "fsmon"), snapshot(dir.path(), "gone")).unwrap();
    let output = cdefang_test(dir.path(), &["rules/el5.toml"], 1);
    let stdout = stdout_of(&output);
    assert_eq!(
        lines_from(&stdout, "test event ... FAILED", 3),
        [
            "test event ... FAILED",
            "    no snapshot rules/snapshots/el5@event.snap: run `cdefang test --update rules/el5.toml` to write one for review",
            "test fsmon ... ok",
        ]
    );
    assert_contains(
        &stdout,
        &[
            "\nnote: rules/snapshots/el5@gone.snap belongs to no test case of rules/el5.toml (delete it if the case is gone)\n",
        ],
    );
    assert!(stdout.ends_with("\n5 passed, 1 failed\n"), "{stdout}");
    assert!(!pending(dir.path(), "event").exists());
}

#[test]
fn update_writes_pending_snapshots_for_review_and_accept_moves_them_in() {
    let dir = rules_scratch();
    let accepted_event = fs::read(snapshot(dir.path(), "event")).unwrap();
    let accepted_utils = fs::read(snapshot(dir.path(), "utils-2x")).unwrap();
    fs::remove_file(snapshot(dir.path(), "event")).unwrap();
    edit(
        &snapshot(dir.path(), "utils-2x"),
        "\t\tin_jail = 1;\n",
        "\t\tin_jail = 2;\n",
    );
    let tampered = fs::read(snapshot(dir.path(), "utils-2x")).unwrap();

    let output = cdefang_test(dir.path(), &["--update", "rules/el5.toml"], 1);
    let stdout = stdout_of(&output);
    assert_eq!(
        lines_from(&stdout, "test event ... FAILED", 3),
        [
            "test event ... FAILED",
            "    no snapshot rules/snapshots/el5@event.snap",
            "    wrote rules/snapshots/el5@event.snap.new for review: read it, then run `cdefang test --accept rules/el5.toml`",
        ]
    );
    assert!(stdout.contains("    wrote rules/snapshots/el5@utils-2x.snap.new for review"));
    assert!(stdout.ends_with("4 passed, 2 failed\n2 new snapshots written for review: read each .snap.new, then run `cdefang test --accept rules/el5.toml`\n"), "{stdout}");
    // The pending snapshots hold what was accepted before; the accepted (tampered) one is
    // not overwritten; the cases that pass get no pending snapshot.
    assert_file(&pending(dir.path(), "event"), &accepted_event);
    assert_file(&pending(dir.path(), "utils-2x"), &accepted_utils);
    assert_file(&snapshot(dir.path(), "utils-2x"), &tampered);
    assert!(!snapshot(dir.path(), "event").exists());
    for case in ["utils-1x", "utils-applied", "fsmon", "lock-untouched"] {
        assert!(!pending(dir.path(), case).exists(), "{case}");
    }

    // Until accepted, the cases still fail, and say what is pending.
    let output = cdefang_test(dir.path(), &["rules/el5.toml"], 1);
    let stdout = stdout_of(&output);
    assert_contains(
        &stdout,
        &[
            "    rules/snapshots/el5@event.snap.new is pending: read it, then run `cdefang test --accept rules/el5.toml`\n",
        ],
    );

    // A pending snapshot of a case that does not exist is not accepted.
    fs::write(pending(dir.path(), "gone"), "---\n---\nx\n").unwrap();
    let output = cdefang_test(dir.path(), &["--accept", "rules/"], 0);
    let stdout = stdout_of(&output);
    assert_eq!(
        stdout,
        "rules/el5-emperor-clone.toml: no pending snapshots\n\
         rules/el5-robust.toml: no pending snapshots\n\
         accepted rules/snapshots/el5@event.snap.new -> rules/snapshots/el5@event.snap\n\
         rules/el5.toml: rules/snapshots/el5@gone.snap.new has no test case `gone`; left alone\n\
         accepted rules/snapshots/el5@utils-2x.snap.new -> rules/snapshots/el5@utils-2x.snap\n\
         rules/no-epoll.toml: no pending snapshots\n\
         rules/pdeathsig.toml: no pending snapshots\n\
         rules/uwsgi-parse.toml: no pending snapshots\n\
         2 snapshots accepted\n"
    );
    assert!(pending(dir.path(), "gone").exists());
    assert!(!snapshot(dir.path(), "gone").exists());
    assert_file(&snapshot(dir.path(), "event"), &accepted_event);
    assert_file(&snapshot(dir.path(), "utils-2x"), &accepted_utils);
    assert!(!pending(dir.path(), "event").exists());
    cdefang_test(dir.path(), &["rules/"], 0);

    // A pending snapshot left over for a case that now matches is removed by --update.
    fs::copy(snapshot(dir.path(), "fsmon"), pending(dir.path(), "fsmon")).unwrap();
    let output = cdefang_test(dir.path(), &["--update", "rules/"], 0);
    let stdout = stdout_of(&output);
    assert_contains(
        &stdout,
        &[
            "test fsmon ... ok\n    removed rules/snapshots/el5@fsmon.snap.new: the snapshot matches\n",
        ],
    );
    assert!(!pending(dir.path(), "fsmon").exists());
}

#[test]
fn invalid_test_cases_exit_2_pointing_into_the_rules_file() {
    let event_path = "path = \"../testdata/uwsgi/core/event.c\"";
    for (from, to, message, needle) in [
        (
            event_path,
            "path = \"../testdata/uwsgi/core/event.c\"\ncode = \"int a;\"",
            "error: invalid rules file: test case `event` has both `code` and `path`",
            "\"../testdata/uwsgi/core/event.c\"",
        ),
        (
            "expect = { stub-inotify = 2 }",
            "expect = { stub-inotfy = 2 }",
            "error: invalid rules file: test case `fsmon` expects a rule `stub-inotfy` that does not exist",
            "stub-inotfy",
        ),
    ] {
        let dir = rules_scratch();
        let rules = dir.path().join("rules/el5.toml");
        edit(&rules, from, to);
        let text = fs::read_to_string(&rules).unwrap();
        let output = cdefang_test(dir.path(), &["rules/"], 2);
        let (stdout, stderr) = (stdout_of(&output), stderr_of(&output));
        assert_contains(&stderr, &[message]);
        let (line, column) = line_col(&text, needle);
        assert!(
            stderr.contains(&format!("rules/el5.toml:{line}:{column}")),
            "{line}:{column}: {stderr}"
        );
        let source_line = text.lines().nth(line - 1).unwrap();
        assert_contains(&stderr, &[&format!("{line} │ {source_line}"), "= help: "]);
        assert_eq!(
            stdout,
            format!(
                "rules/el5-emperor-clone.toml: 1 test case\n\
                 test options-2x ... ok\n    note: rule drop-emperor-use-clone: lang-c cannot parse line 4, column 2 (lang-c: unexpected token, expected one of `;`, `<typedef_name>`); answered at the token level (fallback = \"tokens\")\n\
                 rules/el5-robust.toml: 1 test case\n\
                 test lock ... ok\n\
                 rules/el5.toml: not tested (see its error on standard error)\n{}\n\
                 rules/uwsgi-parse.toml: no test cases\n\
                 \n7 passed, 0 failed, 1 error (see above)\n",
                SHIPPED_OTHERS.join("\n")
            )
        );
    }
}

#[test]
fn a_case_the_engine_cannot_process_exits_2_pointing_at_its_code_or_path() {
    let dir = rules_scratch();
    let rules = dir.path().join("rules/el5.toml");
    // An #endif too many in the inline code of utils-1x.
    edit(
        &rules,
        "\t\t\tuwsgi_log(\"bind-mount /proc in the chroot for memory reports\\n\");\n#endif\n",
        "\t\t\tuwsgi_log(\"bind-mount /proc in the chroot for memory reports\\n\");\n#endif\n#endif\n",
    );
    // A path that does not exist for fsmon.
    edit(
        &rules,
        "\"../testdata/uwsgi/core/fsmon.c\"",
        "\"../testdata/uwsgi/core/fsmon2.c\"",
    );
    let text = fs::read_to_string(&rules).unwrap();
    let output = cdefang_test(dir.path(), &["rules/el5.toml"], 2);
    let (stdout, stderr) = (stdout_of(&output), stderr_of(&output));
    assert_contains(
        &stdout,
        &[
            "test utils-1x ... ERROR (see its error on standard error)\n",
            "test fsmon ... ERROR (see its error on standard error)\n",
        ],
    );
    assert!(
        stdout.ends_with("\n4 passed, 0 failed, 2 errors (see above)\n"),
        "{stdout}"
    );
    // The extra #endif is the second of the two adjacent ones.
    let (line, _) = line_col(&text, "#endif\n#endif\n");
    let endif = line + 1;
    assert_contains(
        &stderr,
        &["error: unbalanced conditionals: #endif without #if"],
    );
    assert!(
        stderr.contains(&format!("rules/el5.toml:{endif}:1")),
        "{endif}: {stderr}"
    );
    assert_contains(&stderr, &["= note: in test case `utils-1x`"]);
    let (line, column) = line_col(&text, "\"../testdata/uwsgi/core/fsmon2.c\"");
    assert_contains(
        &stderr,
        &[
            "error: test case `fsmon`: cannot read rules/../testdata/uwsgi/core/fsmon2.c",
            &format!("rules/el5.toml:{line}:{column}"),
            "= help: a case's `path` is relative to the directory of its rules file",
        ],
    );
}

#[test]
fn unreadable_paths_and_directories_without_rules_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let output = cdefang_test(dir.path(), &["empty", "missing.toml"], 2);
    assert_contains(
        &stderr_of(&output),
        &[
            "error: empty: no rules file (*.toml) in this directory",
            "error: cannot read missing.toml: No such file or directory",
        ],
    );
    assert_eq!(
        stdout_of(&output),
        "\n0 passed, 0 failed, 2 errors (see above)\n"
    );
}

#[test]
fn test_is_a_subcommand_only_in_first_place() {
    // After an option, `test` is a path as before: here a tree holding a utils.c to rewrite.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("uwsgi"), &dir.path().join("test"));
    let output = run_with_rules(dir.path(), &el5_rules(), &["--check", "test"]);
    assert_stderr(&output, 1, &["cdefang: 5 files scanned, 3 would change"]);
    // The subcommand takes no run option.
    cdefang_test(&root(), &["--check", "rules/"], 2);
    let output = cdefang_test(&root(), &["--update", "--accept", "rules/"], 2);
    assert!(stderr_of(&output).contains("cannot be used with"));
}

#[test]
fn a_case_named_after_a_release_goes_through_update_and_accept() {
    let dir = rules_scratch();
    edit(
        &dir.path().join("rules/el5.toml"),
        "name = \"event\"",
        "name = \"event-2.0.30\"",
    );
    fs::remove_file(snapshot(dir.path(), "event")).unwrap();
    cdefang_test(dir.path(), &["--update", "rules/el5.toml"], 1);
    assert!(pending(dir.path(), "event-2.0.30").exists());
    let output = cdefang_test(dir.path(), &["--accept", "rules/el5.toml"], 0);
    assert!(stdout_of(&output).contains("1 snapshot accepted"));
    let output = cdefang_test(dir.path(), &["rules/el5.toml"], 0);
    assert!(stdout_of(&output).contains("test event-2.0.30 ... ok"));
}
