//! The command line: modes, exit statuses, reports and diagnostics, on copies of testdata/.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    apply_patch, assert_contains, assert_exit, assert_file, assert_stderr, cdefang,
    cdefang_process, changed_files, copy_dir, el5_rules, files_under, one_rule, read_testdata,
    root, run, run_at_root, run_with_rules, scratch, stderr_of, stdout_of, testdata, write_rules,
};

#[test]
fn in_place_rewrites_only_targeted_files_and_is_idempotent() {
    let dir = scratch();
    let before = files_under(dir.path());
    let output = run_with_rules(dir.path(), &el5_rules(), &["tree"]);
    assert_stderr(
        &output,
        0,
        &[
            "cdefang: drop-unshare-blocks: 1 file, 2 matches, 2 edits",
            "cdefang: stub-inotify: 2 files, 3 matches, 4 edits",
        ],
    );
    let after = files_under(dir.path());
    let changed = changed_files(&before, &after);
    assert_eq!(
        changed,
        [
            "tree/core/event.c",
            "tree/core/fsmon.c",
            "tree/core/utils.c"
        ]
    );

    // A second run changes nothing, and --check agrees.
    let output = run_with_rules(dir.path(), &el5_rules(), &["tree"]);
    assert_exit(&output, 0);
    assert_eq!(files_under(dir.path()), after);
    assert_exit(
        &run_with_rules(dir.path(), &el5_rules(), &["--check", "tree"]),
        0,
    );
}

#[cfg(unix)]
#[test]
fn in_place_keeps_permissions() {
    let dir = scratch();
    let utils = dir.path().join("tree/core/utils.c");
    fs::set_permissions(&utils, fs::Permissions::from_mode(0o751)).unwrap();
    assert_exit(&run_with_rules(dir.path(), &el5_rules(), &["tree"]), 0);
    let mode = fs::metadata(&utils).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o751);
    assert_eq!(
        temporaries(&dir.path().join("tree/core")),
        0,
        "temporary files left behind"
    );
}

/// How many of cdefang's temporary files (`.cdefang…`) are in `dir`.
fn temporaries(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".cdefang")
        })
        .count()
}

#[test]
fn check_writes_nothing_and_exits_1_on_changes() {
    let dir = scratch();
    let before = files_under(dir.path());
    let output = run_with_rules(dir.path(), &el5_rules(), &["--check", "tree"]);
    assert_exit(&output, 1);
    assert_eq!(stdout_of(&output), "");
    assert_eq!(files_under(dir.path()), before);
}

#[test]
fn diff_applies_with_patch_and_equals_in_place() {
    let dir = scratch();
    let output = run_with_rules(dir.path(), &el5_rules(), &["--diff", "tree"]);
    assert_exit(&output, 1);
    let diff = output.stdout;
    // Labelled relative to the directory given, so that `patch -p1` applies it there.
    assert!(diff.starts_with(b"--- a/core/event.c\n+++ b/core/event.c\n"));

    // The in-place result, in a second copy.
    let expected = scratch();
    assert_exit(&run_with_rules(expected.path(), &el5_rules(), &["tree"]), 0);

    apply_patch(&dir.path().join("tree"), &diff, &["--quiet"]);
    assert_eq!(files_under(dir.path()), files_under(expected.path()));
}

#[test]
fn out_mirrors_the_tree_and_leaves_the_input_alone() {
    let dir = scratch();
    let before = files_under(&dir.path().join("tree"));
    assert_exit(
        &run_with_rules(dir.path(), &el5_rules(), &["--out", "fixed", "tree"]),
        0,
    );
    assert_eq!(files_under(&dir.path().join("tree")), before);
    let written: Vec<String> = files_under(&dir.path().join("fixed"))
        .into_iter()
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert_eq!(written, ["core/event.c", "core/fsmon.c", "core/utils.c"]);
    let utils = fs::read_to_string(dir.path().join("fixed/core/utils.c")).unwrap();
    assert!(!utils.contains("unshare(uwsgi.unshare)"));
    // New files get 0666 less the umask, as any program's new files do (not tempfile's 0600).
    let umask = Command::new("sh").args(["-c", "umask"]).output().unwrap();
    let umask = u32::from_str_radix(String::from_utf8_lossy(&umask.stdout).trim(), 8).unwrap();
    let mode = fs::metadata(dir.path().join("fixed/core/utils.c"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o666 & !umask);
}

#[test]
fn report_has_the_named_keys() {
    let dir = scratch();
    assert_exit(
        &run_with_rules(
            dir.path(),
            &el5_rules(),
            &["--check", "--report", "run.json", "tree"],
        ),
        1,
    );
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(report["files_scanned"], 5);
    assert_eq!(report["files_changed"], 3);
    assert_eq!(report["rules"][0]["id"], "drop-unshare-blocks");
    assert_eq!(report["rules"][0]["matches"], 2);
    assert_eq!(report["rules"][0]["edits"], 2);
    assert_eq!(report["rules"][1]["id"], "stub-inotify");
    assert_eq!(report["rules"][1]["matches"], 3);
    assert_eq!(report["exit_status"], 1);
}

#[test]
fn jobs_gives_the_same_result() {
    let one = scratch();
    let two = scratch();
    assert_exit(
        &run_with_rules(one.path(), &el5_rules(), &["-j", "1", "tree"]),
        0,
    );
    assert_exit(
        &run_with_rules(two.path(), &el5_rules(), &["--jobs", "2", "tree"]),
        0,
    );
    assert_eq!(files_under(one.path()), files_under(two.path()));
}

#[test]
fn drift_alarm_exits_2_and_writes_nothing_unless_allowed() {
    let dir = scratch();
    let rules = fs::read_to_string(el5_rules())
        .unwrap()
        .replace("expect = { min = 1, max = 2 }", "expect = 3");
    let rules = write_rules(dir.path(), &rules);
    let before = files_under(&dir.path().join("tree"));
    let output = run_with_rules(dir.path(), &rules, &["tree"]);
    let stderr = assert_stderr(
        &output,
        2,
        &[
            "error: drift: rule `drop-unshare-blocks` found 2 match(es), expected 3 match(es) in the run",
            "rules.toml:",
        ],
    );
    assert!(
        stderr.contains("expect = 3"),
        "the snippet shows the expectation: {stderr}"
    );
    assert_eq!(files_under(&dir.path().join("tree")), before);

    let output = run_with_rules(dir.path(), &rules, &["--allow-drift", "tree"]);
    assert_exit(&output, 0);
    assert!(stderr_of(&output).contains("warning: drift"));
    assert_ne!(files_under(&dir.path().join("tree")), before);
}

#[test]
fn per_file_expectation_names_the_file() {
    let dir = scratch();
    let rules = fs::read_to_string(el5_rules()).unwrap().replace(
        "expect = { min = 1 }",
        "expect = { min = 2, per = \"file\" }",
    );
    let rules = write_rules(dir.path(), &rules);
    let output = run_with_rules(dir.path(), &rules, &["--check", "tree"]);
    assert_stderr(
        &output,
        2,
        &[
            "rule `stub-inotify` found 1 match(es) in tree/core/event.c, expected at least 2 match(es) in each file",
        ],
    );
}

#[test]
fn overlapping_rules_are_an_error_naming_both() {
    let dir = scratch();
    let mut rules = fs::read_to_string(el5_rules()).unwrap();
    rules.push_str(
        "\n[[rule]]\nid = \"keep-linux\"\nmessage = \"m\"\nfiles = [\"core/utils.c\"]\naction = \"keep\"\n[rule.match]\ncondition = \"defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\"\n",
    );
    let rules = write_rules(dir.path(), &rules);
    let before = files_under(&dir.path().join("tree"));
    let output = run_with_rules(dir.path(), &rules, &["tree"]);
    assert_stderr(
        &output,
        2,
        &[
            "rules `drop-unshare-blocks` and `keep-linux` edit the same lines",
            "tree/core/utils.c:",
        ],
    );
    assert_eq!(files_under(&dir.path().join("tree")), before);
}

/// Run on one bad input; returns stderr after checking exit 2 and that nothing changed.
fn fails_with(rules: &Path, inputs: &[&str]) -> String {
    let dir = scratch();
    let before = files_under(dir.path());
    let tree = dir.path().join("tree");
    let args: Vec<&str> = inputs.iter().copied().chain(tree.to_str()).collect();
    let output = run_with_rules(&root(), rules, &args);
    assert_exit(&output, 2);
    assert_eq!(
        files_under(dir.path()),
        before,
        "a failed run changed files"
    );
    stderr_of(&output)
}

fn broad_rules(dir: &Path) -> PathBuf {
    write_rules(
        dir,
        &one_rule("all", "drop", "", "condition = \"defined(__linux__)\""),
    )
}

#[test]
fn unbalanced_conditionals_are_diagnosed_with_location_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rules = broad_rules(dir.path());
    for (fixture, message, location) in [
        ("stray-endif.c", "#endif without #if", "stray-endif.c:2:1"),
        (
            "else-after-else.c",
            "#else after #else",
            "else-after-else.c:5:1",
        ),
        (
            "elif-after-else.c",
            "#elif after #else",
            "elif-after-else.c:5:1",
        ),
        (
            "missing-endif.c",
            "#if without #endif",
            "missing-endif.c:2:1",
        ),
        (
            "unterminated-comment.c",
            "unterminated /* comment",
            "unterminated-comment.c:2:1",
        ),
        (
            "bad-condition.c",
            "cannot read condition",
            "bad-condition.c:1:",
        ),
        (
            "continuation-at-eof.c",
            "backslash-newline at end of file",
            "continuation-at-eof.c:2:",
        ),
        (
            "unterminated-string.c",
            "unterminated literal reaches the end of the file",
            "unterminated-string.c:2:28",
        ),
    ] {
        let path = format!("testdata/bad/{fixture}");
        let stderr = fails_with(&rules, &[&path]);
        assert!(stderr.contains(message), "{fixture}: {stderr}");
        assert!(stderr.contains(location), "{fixture}: {stderr}");
        assert!(stderr.contains("help:"), "{fixture}: {stderr}");
    }
}

#[test]
fn malformed_rules_files_point_into_the_toml() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs::read_to_string(el5_rules()).unwrap();
    for (broken, message, snippet) in [
        (
            good.replace("action = \"drop\"", "action = \"dorp\""),
            "unknown variant",
            "\"dorp\"",
        ),
        (good.replace("calls =", "callz ="), "unknown field", "callz"),
        (
            good.replace("&& !defined", "&& !!&defined"),
            "invalid condition",
            "&&",
        ),
        (
            good.replace("[[rule]]\nid = \"drop", "[[rule]\nid = \"drop"),
            "invalid rules file",
            "[[rule]",
        ),
        (
            good.replace("expect = { min = 1 }", "expect = \"one\""),
            "expect",
            "\"one\"",
        ),
    ] {
        let rules = write_rules(dir.path(), &broken);
        let stderr = fails_with(&rules, &[]);
        assert!(stderr.contains(message), "{message}: {stderr}");
        assert!(stderr.contains("rules.toml:"), "{message}: {stderr}");
        assert!(stderr.contains(snippet), "{message}: {stderr}");
    }
}

#[test]
fn missing_path_and_missing_rules_file_are_errors() {
    let stderr = fails_with(&el5_rules(), &["no/such/dir"]);
    assert_contains(&stderr, &["no/such/dir: no such file or directory"]);
    let stderr = fails_with(Path::new("no-such-rules.toml"), &[]);
    assert_contains(&stderr, &["cannot read rules file no-such-rules.toml"]);
}

#[test]
fn binary_files_are_skipped_with_a_note_and_globs_matching_nothing_warn() {
    let dir = scratch();
    fs::write(dir.path().join("tree/core/blob.c"), b"\x00\x01#if\n").unwrap();
    let output = run_with_rules(
        dir.path(),
        &el5_rules(),
        &["--check", "tree/core/blob.c", "tree/core/utils.c"],
    );
    assert_stderr(
        &output,
        1,
        &[
            "tree/core/blob.c: binary file",
            "warning: rule `stub-inotify`: glob `core/event.c` matches no file",
        ],
    );
}

/// Diagnostics come in the order the files were found, whatever became of each: a file that
/// fails before a binary one that is skipped, and so in the report.
#[test]
fn diagnostics_come_in_the_order_of_the_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("t")).unwrap();
    fs::write(dir.path().join("t/a.c"), "#if X\nint a;\n").unwrap();
    fs::write(dir.path().join("t/b.c"), b"x\0y").unwrap();
    fs::write(dir.path().join("t/c.c"), "#endif\n").unwrap();
    let output = run(dir.path(), &["-DX", "--check", "--report", "r.json", "t"]);
    let stderr = assert_stderr(
        &output,
        2,
        &["t/a.c:1:1", "t/b.c: binary file", "t/c.c:1:1"],
    );
    let at = |needle: &str| stderr.find(needle).unwrap();
    assert!(at("t/a.c:1:1") < at("t/b.c: binary") && at("t/b.c: binary") < at("t/c.c:1:1"));
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(report["failed"], serde_json::json!(["t/a.c", "t/c.c"]));
    assert_eq!(report["skipped"], serde_json::json!(["t/b.c"]));
}

/// The engine and the warning match a glob against the same path: the file's, relative to the
/// directory given. (Before the restructuring, at 7be8996, the engine matched the path as
/// shown, `uw/core/utils.c`: one run warned that `uw/core/utils.c` matched no file and applied
/// the rule to that very file.)
#[test]
fn a_glob_is_matched_against_the_path_relative_to_the_directory_given() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("uwsgi"), &dir.path().join("uw"));
    // The el5 unshare rule alone, with its parsing hints.
    let el5 = fs::read_to_string(el5_rules()).unwrap();
    let unshare = &el5[..el5.find("\n[[rule]]\nid = \"stub-inotify\"").unwrap()];
    assert!(
        unshare.contains("\nfiles = [\"core/utils.c\"]\n"),
        "{unshare}"
    );
    let run_glob = |glob: &str| -> (std::process::Output, serde_json::Value) {
        let rules = unshare.replace(
            "files = [\"core/utils.c\"]",
            &format!("files = [\"{glob}\"]"),
        );
        let rules = write_rules(dir.path(), &rules);
        let output = run_with_rules(
            dir.path(),
            &rules,
            &["--check", "--report", "report.json", "uw"],
        );
        let json = fs::read(dir.path().join("report.json")).unwrap();
        (output, serde_json::from_slice(&json).unwrap())
    };

    // Named with the directory given: the glob selects nothing and says so; the rule expects
    // matches, so selecting no file of the tree is drift (a renamed file must not make the fix
    // pass unseen), exit 2.
    let (output, report) = run_glob("uw/core/utils.c");
    assert_stderr(
        &output,
        2,
        &[
            "warning: rule `drop-unshare-blocks`: glob `uw/core/utils.c` matches no file",
            "error: drift: rule `drop-unshare-blocks` found 0 match(es)",
            "its `files` select no file of the run",
            "cdefang: drop-unshare-blocks: 0 files, 0 matches, 0 edits: drift",
        ],
    );
    assert_eq!(report["rules"][0]["id"], "drop-unshare-blocks");
    assert_eq!(report["rules"][0]["matches"], 0);
    assert_eq!(report["rules"][0]["status"], "drift");
    assert_eq!(
        report["drift"][0]["reason"],
        "its `files` select no file of the run"
    );
    assert_eq!(report["files_changed"], 0);
    // The file given by name: the rule was not asked about other files, no drift.
    let rules = write_rules(dir.path(), &unshare.replace("core/utils.c", "core/other.c"));
    assert_exit(
        &run_with_rules(dir.path(), &rules, &["--check", "uw/core/utils.c"]),
        0,
    );

    // Relative to it: both blocks, and no warning.
    let (output, report) = run_glob("core/utils.c");
    let stderr = assert_stderr(
        &output,
        1,
        &["cdefang: drop-unshare-blocks: 1 file, 2 matches, 2 edits"],
    );
    assert!(!stderr.contains("matches no file"), "{stderr}");
    assert_eq!(report["rules"][0]["matches"], 2);
    assert_eq!(report["files_changed"], 1);
}

/// Spawn `cdefang ARGS…` in `dir`, read the first line of its standard output and close the
/// pipe, as `| head -1` does; the line, the exit status and standard error.
fn read_one_line_then_close(dir: &Path, args: &[&str]) -> (String, Option<i32>, String) {
    use std::io::BufRead;
    let mut child = cdefang_process(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    (line, output.status.code(), stderr_of(&output))
}

/// A reader of standard output that goes away (`cdefang --diff … | head -1`) ends the run
/// quietly, exit 0, as a Unix filter does, for --diff, --stdout and --symbols alike. Each output
/// is made larger than any pipe buffer (a comment of long lines in a block the rule drops and at
/// the top of the file; a header of many symbols), so that cdefang is still writing when the
/// pipe closes. (At 7be8996, --diff and --stdout said "Broken pipe" and exited 2.)
#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let dir = scratch();
    let utils = dir.path().join("tree/core/utils.c");
    let padding: String = (0..32)
        .map(|line| format!(" * {line:02} {}\n", "x".repeat(64 << 10)))
        .collect();
    let padding = format!("/*\n{padding} */\n");
    let block = "#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\n";
    let text = fs::read_to_string(&utils).unwrap();
    assert!(text.contains(block), "the fixture has the unshare blocks");
    fs::write(
        &utils,
        format!(
            "{padding}{}",
            text.replacen(block, &format!("{block}{padding}"), 1)
        ),
    )
    .unwrap();
    let symbols: String = (0..150_000)
        .map(|n| format!("#ifdef S_{n:06}\n#endif\n"))
        .collect();
    fs::write(dir.path().join("tree/core/symbols.h"), symbols).unwrap();

    let el5 = el5_rules();
    let el5 = el5.to_str().unwrap();
    for (args, first) in [
        (
            &["--diff", "--rules", el5, "tree"][..],
            "--- a/core/event.c\n",
        ),
        (
            &["-DOBSOLETE_LINUX_KERNEL", "--stdout", "tree/core/utils.c"],
            "/*\n",
        ),
        (&["--symbols", "tree/core/symbols.h"], "S_000000 1\n"),
    ] {
        let (line, code, stderr) = read_one_line_then_close(dir.path(), args);
        assert_eq!(line, first, "{args:?}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }

    // Where standard output is not the result (the explanations, the coverage table), a reader
    // that goes away stops that output only: the run still decides, writes and reports as the
    // mode says.
    let report = dir.path().join("report.json");
    let report_arg = report.to_str().unwrap();
    for (args, first, code) in [
        (
            &[
                "--explain",
                "--check",
                "--rules",
                el5,
                "--report",
                report_arg,
                "tree",
            ][..],
            "note[stub-inotify]: EL4's glibc 2.3.4 has no <sys/inotify.h>: take the OBSOLETE_LINUX_KERNEL branches of the file monitor\n",
            1,
        ),
        (
            &[
                "--parse-stats",
                "--check",
                "--rules",
                el5,
                "--report",
                report_arg,
                "tree",
            ],
            "tree/core/event.c: 3 functions, 3 parsed, 0 failed\n",
            1,
        ),
        (
            &["--diff", "--rules", el5, "--report", report_arg, "tree"],
            "--- a/core/event.c\n",
            0,
        ),
    ] {
        let _ = fs::remove_file(&report);
        let (line, status, stderr) = read_one_line_then_close(dir.path(), args);
        assert_eq!(line, first, "{args:?}");
        assert_eq!(status, Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        assert_eq!(json["files_changed"], 3, "{args:?}");
        assert_eq!(json["exit_status"], code, "{args:?}");
    }
    // In place, the files are still rewritten.
    let before = fs::read(&utils).unwrap();
    let (_, status, stderr) =
        read_one_line_then_close(dir.path(), &["--explain", "--rules", el5, "tree"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(fs::read(&utils).unwrap().len() < before.len(), "{stderr}");
}

#[test]
fn help_has_examples_and_bad_flags_exit_2() {
    let output = run_at_root(&["--help"]);
    assert_exit(&output, 0);
    let help = String::from_utf8_lossy(&output.stdout);
    assert_contains(&help, &["Examples:", "--allow-drift"]);
    assert_exit(&run_at_root(&["--bogus"]), 2);
    assert_exit(&run_at_root(&["--rules", "x.toml"]), 2);
    // --symbols explains nothing: asking for both is an error, not a silent no-op.
    let output = run_at_root(&["--symbols", "--explain", "x.c"]);
    assert_exit(&output, 2);
    assert!(
        stderr_of(&output).contains("cannot be used with"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn no_match_is_drift_while_the_calls_remain_but_not_once_applied() {
    // The code moved: the blocks are now under another condition, the calls are still there.
    let dir = scratch();
    let utils = dir.path().join("tree/core/utils.c");
    let moved = fs::read_to_string(&utils).unwrap().replace(
        "#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)",
        "#ifdef __linux__",
    );
    fs::write(&utils, moved).unwrap();
    let output = run_with_rules(dir.path(), &el5_rules(), &["--check", "tree"]);
    assert_stderr(
        &output,
        2,
        &["drift: rule `drop-unshare-blocks` found 0 match(es)"],
    );

    // Already applied: no match, and no call to unshare left in uwsgi_as_root.
    let dir = scratch();
    assert_exit(&run_with_rules(dir.path(), &el5_rules(), &["tree"]), 0);
    let output = run_with_rules(dir.path(), &el5_rules(), &["--check", "tree"]);
    assert_exit(&output, 0);
    assert!(!stderr_of(&output).contains("drift"));
}

/// The rule dropping the blocks that call unshare(), after `extra` top-level keys, with
/// `matcher_extra` keys in its match.
fn unshare_rule(extra: &str, matcher_extra: &str) -> String {
    let matcher = format!(
        "condition = \"defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\"\n\
         calls = [\"unshare\"]\n{matcher_extra}"
    );
    format!(
        "{extra}\n{}",
        one_rule("drop-unshare", "drop", "", &matcher)
    )
}

#[test]
fn unparsable_code_a_rule_needs_fails_unless_the_rule_falls_back_or_the_macro_is_declared() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(testdata("constructs/unparsable.c"), dir.path().join("u.c")).unwrap();
    let before = fs::read(dir.path().join("u.c")).unwrap();

    let rules = write_rules(dir.path(), &unshare_rule("", ""));
    let output = run_with_rules(dir.path(), &rules, &["u.c"]);
    let stderr = assert_stderr(
        &output,
        2,
        &["rule `drop-unshare` needs a C parse here, and lang-c cannot parse it"],
    );
    assert!(
        stderr.contains("u.c:3:30"),
        "the lang-c error in the original file: {stderr}"
    );
    assert_file(&dir.path().join("u.c"), &before);

    // fallback = "tokens": a warning, and the token-level answer.
    let rules = fs::read_to_string(&rules)
        .unwrap()
        .replace("[rule.match]", "fallback = \"tokens\"\n[rule.match]");
    let rules = write_rules(dir.path(), &rules);
    let output = run_with_rules(dir.path(), &rules, &["--check", "u.c"]);
    assert_exit(&output, 1);
    assert!(stderr_of(&output).contains("warning: rule `drop-unshare`: lang-c cannot parse this"));

    // Declaring the macro, in the rules file or on the command line, makes it parse.
    let rules = write_rules(
        dir.path(),
        &unshare_rule("statement_macros = [\"uwsgi_each\"]", ""),
    );
    let output = run_with_rules(dir.path(), &rules, &["--check", "u.c"]);
    assert_exit(&output, 1);
    assert!(!stderr_of(&output).contains("warning"));
    let rules = write_rules(dir.path(), &unshare_rule("", ""));
    assert_exit(
        &run_with_rules(
            dir.path(),
            &rules,
            &["--check", "--statement-macro", "uwsgi_each", "u.c"],
        ),
        1,
    );
}

#[test]
fn references_count_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("r.c"),
        "void f(void) {\n#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\n\tint (*g)(int) = unshare;\n#endif\n}\n",
    )
    .unwrap();
    let rules = write_rules(dir.path(), &unshare_rule("", ""));
    assert_exit(&run_with_rules(dir.path(), &rules, &["--check", "r.c"]), 0);
    let rules = write_rules(dir.path(), &unshare_rule("", "references = true"));
    assert_exit(&run_with_rules(dir.path(), &rules, &["--check", "r.c"]), 1);
}

#[test]
fn parse_stats_reports_per_file_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let output = cdefang(&root())
        .args(["--parse-stats", "--report"])
        .arg(dir.path().join("r.json"))
        .arg("testdata/constructs/unparsable.c")
        .arg("testdata/uwsgi/core/utils.c")
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_contains(
        &stdout,
        &[
            "testdata/constructs/unparsable.c: 1 functions, 0 parsed, 1 failed",
            "testdata/constructs/unparsable.c:3:30: uwsgi_as_root: lang-c:",
            "testdata/uwsgi/core/utils.c: 3 functions, 3 parsed, 0 failed",
            "total: 4 functions, 3 parsed, 1 failed (75.00% parsed)",
        ],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(report["parse"]["functions"], 4);
    assert_eq!(report["parse"]["parsed"], 3);
    assert_eq!(report["parse"]["failed"], 1);
}

#[test]
fn define_and_undef_without_rules_resolve_like_unifdef() {
    let output = cdefang(&root())
        .args([
            "-q",
            "-DBAR=2",
            "-DOBSOLETE_LINUX_KERNEL",
            "-UFOO",
            "--stdout",
            "testdata/constructs/resolve.c",
        ])
        .output()
        .unwrap();
    assert_exit(&output, 1);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("/* resolve under FOO undefined, BAR=2 and OBSOLETE_LINUX_KERNEL defined. */\nint foo = 0;\n"), "{text}");
    assert!(!text.contains("inotify"));

    // Unchanged: the bytes as they are, exit 0.
    let output = cdefang(&root())
        .args([
            "-q",
            "-DNOT_TESTED",
            "--stdout",
            "testdata/constructs/crlf.c",
        ])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(output.stdout, read_testdata("constructs/crlf.c"));

    // `#if 0` blocks stay unless -k, as unifdef.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zero.c");
    fs::write(
        &file,
        "#if 0\nold();\n#endif\n#if A && 0\nnever();\n#endif\n",
    )
    .unwrap();
    let run_zero = |args: &[&str]| {
        let output = run(dir.path(), &[args, &["--stdout", "zero.c"]].concat());
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    assert_eq!(
        run_zero(&["-UX"]),
        (Some(1), "#if 0\nold();\n#endif\n".to_string())
    );
    assert_eq!(run_zero(&["-k"]), (Some(1), String::new()));

    // --stdout takes one file.
    assert_exit(&run_at_root(&["-DX", "--stdout", "testdata/uwsgi"]), 2);
}

#[test]
fn symbols_lists_what_the_conditionals_test() {
    let output = run_at_root(&["--symbols", "testdata/constructs/resolve.c"]);
    assert_exit(&output, 0);
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "BAR 3\nFOO 2\nNESTED 1\nOBSOLETE_LINUX_KERNEL 1\nX 1\nY 1\nZ 1\n__linux__ 2\n"
    );
    // A condition that does not read is an error for --symbols (what it tests is unknown),
    // with the diagnostic a rule that depends on it gets; in unifdef mode it is a warning
    // at the same place (issue #16).
    let bad = "testdata/bad/bad-condition.c";
    let symbols = stderr_of(&run_at_root(&["--symbols", bad]));
    let rewrite = stderr_of(&run_at_root(&["-q", "-DX", "--check", bad]));
    assert!(symbols.contains("in this directive"), "{symbols}");
    let location = |text: &str| {
        text.lines()
            .find(|line| line.contains("bad-condition.c:"))
            .map(str::trim)
            .map(str::to_string)
    };
    assert!(
        symbols.starts_with("error: cannot read condition"),
        "{symbols}"
    );
    assert!(
        rewrite.starts_with("warning: cannot read condition"),
        "{rewrite}"
    );
    assert_eq!(
        location(&symbols),
        location(&rewrite),
        "{symbols}\n---\n{rewrite}"
    );
    // It reads no rules and writes nothing, so the options that do are refused.
    for option in [
        &["--rules", "rules/el5.toml"][..],
        &["-DX"],
        &["--diff"],
        &["--report", "r.json"],
    ] {
        let output = run_at_root(&[&["--symbols"][..], option, &[bad]].concat());
        assert_exit(&output, 2);
        assert!(
            stderr_of(&output).contains("cannot be used with"),
            "{option:?}"
        );
    }
}

#[test]
fn backup_keeps_the_originals_of_rewritten_files_only() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let before = files_under(&tree);
    assert_exit(
        &run_with_rules(&tree, &el5_rules(), &["-q", "--backup", ".orig", "."]),
        0,
    );
    let after = files_under(&tree);
    let backups: Vec<&PathBuf> = after
        .iter()
        .map(|(path, _)| path)
        .filter(|path| path.to_string_lossy().ends_with(".orig"))
        .collect();
    assert_eq!(
        backups,
        [
            Path::new("core/event.c.orig"),
            Path::new("core/fsmon.c.orig"),
            Path::new("core/utils.c.orig")
        ]
    );
    for (path, bytes) in &before {
        let backup = tree.join(format!("{}.orig", path.display()));
        if backup.exists() {
            assert_eq!(&fs::read(&backup).unwrap(), bytes, "{}", path.display());
            assert_ne!(&fs::read(tree.join(path)).unwrap(), bytes);
        }
    }
    // Only in place.
    assert_exit(
        &run_with_rules(&tree, &el5_rules(), &["--backup", ".orig", "--check", "."]),
        2,
    );
}

#[test]
fn a_read_only_file_fails_the_run_and_nothing_is_written() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let utils = tree.join("core/utils.c");
    let mut permissions = fs::metadata(&utils).unwrap().permissions();
    permissions.set_readonly(true);
    fs::set_permissions(&utils, permissions).unwrap();
    let before = files_under(&tree);
    let output = run_with_rules(&tree, &el5_rules(), &["."]);
    assert_stderr(
        &output,
        2,
        &[
            "core/utils.c: read-only file, not rewritten",
            "help: make it writable",
            "no file was changed",
        ],
    );
    assert_eq!(files_under(&tree), before);
    assert_eq!(
        temporaries(&tree.join("core")),
        0,
        "temporary files were left behind"
    );
}

#[cfg(unix)]
#[test]
fn links_out_of_the_tree_and_link_loops_are_not_followed() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let outside = dir.path().join("outside");
    copy_dir(&testdata("uwsgi"), &outside);
    std::os::unix::fs::symlink(&outside, tree.join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(&tree, tree.join("core/loop")).unwrap();
    std::os::unix::fs::symlink(outside.join("core/utils.c"), tree.join("linked.c")).unwrap();
    let outside_before = files_under(&outside);
    let output = cdefang(&tree)
        .arg("--rules")
        .arg(el5_rules())
        .args(["--report", "../report.json", "."])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(
        files_under(&outside),
        outside_before,
        "wrote outside the tree"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["files_scanned"], 5);
}

#[test]
fn empty_files_and_a_file_named_through_a_link_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.c"), "").unwrap();
    assert_exit(&run(dir.path(), &["-q", "-DX", "empty.c"]), 0);
    assert_file(&dir.path().join("empty.c"), b"");

    #[cfg(unix)]
    {
        let real = dir.path().join("real.c");
        fs::write(&real, "#ifdef X\nx();\n#endif\n").unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link.c")).unwrap();
        assert_exit(&run(dir.path(), &["-q", "-DX", "link.c"]), 0);
        assert_file(&real, b"x();\n");
        assert!(
            fs::symlink_metadata(dir.path().join("link.c"))
                .unwrap()
                .is_symlink()
        );
    }
}

#[test]
fn a_100_mb_file_works() {
    let dir = tempfile::tempdir().unwrap();
    let small = read_testdata("uwsgi/core/utils.c");
    let copies = (100 << 20) / small.len() + 1;
    fs::write(dir.path().join("big.c"), small.repeat(copies)).unwrap();
    let resolve = |file: &str| run(dir.path(), &["-DOBSOLETE_LINUX_KERNEL", "--stdout", file]);
    fs::write(dir.path().join("small.c"), &small).unwrap();
    let expected = resolve("small.c");
    let output = resolve("big.c");
    assert_exit(&output, 1);
    assert_exit(&expected, 1);
    assert!(output.stdout == expected.stdout.repeat(copies));
}

/// `uwsgi_as_root` with a namespace block whose body holds `statement`.
fn deep_utils(statement: &str) -> String {
    format!(
        "void uwsgi_as_root(void) {{\n#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\n\
         \tx = {statement};\n\tunshare(0);\n#endif\n}}\n"
    )
}

#[test]
fn code_nested_beyond_the_limits_is_a_diagnostic_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("core")).unwrap();
    let check = |text: &str| {
        fs::write(dir.path().join("core/utils.c"), text).unwrap();
        run_with_rules(dir.path(), &el5_rules(), &["--check", "-q", "core/utils.c"])
    };
    // Within the limits (cparse::MAX_NESTING and the others): parsed, the block is dropped.
    for statement in [
        format!("{}1{}", "(".repeat(250), ")".repeat(250)),
        format!("{}1", "!".repeat(250)),
        format!("1{}", " + 1".repeat(4000)),
    ] {
        let output = check(&deep_utils(&statement));
        assert_exit(&output, 1);
    }
    // Beyond them: lang-c is not handed the code; the rule needs it, so the run fails at it.
    for (statement, why) in [
        (
            format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000)),
            "nested more than 256 levels deep",
        ),
        (
            format!("{}1", "!".repeat(20_000)),
            "more than 256 prefix operators in a row",
        ),
        (
            format!("1{}", " + 1".repeat(200_000)),
            "more than 4096 operators in one expression",
        ),
        // lang-c's backtracking over `++`/`+ +` is exponential: 50 signs would take an hour.
        (
            format!("{}if", "++".repeat(25)),
            "more than 12 `+` and `-` in a row",
        ),
    ] {
        let output = check(&deep_utils(&statement));
        assert_stderr(&output, 2, &[why, "core/utils.c:3:"]);
    }

    // A condition nested too deeply is a diagnostic too (a warning in unifdef mode: the
    // group is left as it is, issue #16); deeply nested conditionals are fine.
    let deep_condition = format!(
        "#if {}A{}\nint x;\n#endif\n",
        "(".repeat(300),
        ")".repeat(300)
    );
    fs::write(dir.path().join("cond.c"), deep_condition).unwrap();
    let output = run(dir.path(), &["-DA", "--check", "cond.c"]);
    assert_stderr(
        &output,
        0,
        &[
            "warning: cannot read condition: condition nested more than 256 levels deep",
            "cond.c:1:",
        ],
    );
    let nested = format!(
        "{}int x;\n{}",
        "#ifdef A\n".repeat(50_000),
        "#endif\n".repeat(50_000)
    );
    fs::write(dir.path().join("nested.c"), nested).unwrap();
    let output = run(dir.path(), &["-DA", "--stdout", "nested.c"]);
    assert_exit(&output, 1);
    assert_eq!(output.stdout, b"int x;\n");
}

#[test]
fn a_macro_glued_to_string_literals_parses_and_the_help_on_a_failed_parse_fits_the_rule() {
    // `"%s/"PFX"%llx"` (sqlite3.c's unixGetTempname): the name glued on both sides is read as
    // a string, as `"%s/" PFX "%llx"` is; `L"x"` and `u8"y"` stay prefixed literals.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.c"),
        "#define PFX \"etilqs_\"\nstatic void g(char *b)\n{\n\tfchown(3, 0, 0);\n\
         \tsprintf(b, \"%s/\"PFX\"%llx\"\"a\"B\"c\"D, \"x\", 1ULL);\n\tw(L\"x\", u8\"y\");\n}\n",
    )
    .unwrap();
    let statement = |extra: &str| {
        one_rule(
            "no-fchown",
            "drop",
            &format!("target = \"statement\"\n{extra}"),
            "calls = [\"fchown\"]\ninside = \"g\"",
        )
    };
    let rules = write_rules(dir.path(), &statement("fallback = \"tokens\""));
    let output = run_with_rules(dir.path(), &rules, &["--stdout", "a.c"]);
    assert_exit(&output, 1);
    assert!(
        !stdout_of(&output).contains("fchown"),
        "{}",
        stdout_of(&output)
    );

    // Code no hint explains: a statement rule is not told to fall back to tokens (it has, and
    // that cannot find a statement's end); a block's rule is, and its label is the directive.
    fs::write(
        dir.path().join("a.c"),
        "static void g(char *b)\n{\n\tfchown(3, 0, 0);\n\tFOO BAR BAZ(b) {;\n}\n\
         void h(void)\n{\n#if SQLITE_OS_UNIX\n\n\tfchmod(1);\n\tQUUX a b c d(;\n#endif\n}\n",
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &rules, &["a.c"]);
    let stderr = assert_stderr(
        &output,
        2,
        &[
            "rule `no-fchown` needs a C parse here",
            "fallback = \"tokens\" does not help here",
            "or edit this code by hand",
        ],
    );
    assert!(!stderr.contains("or set fallback"), "{stderr}");
    let rules = write_rules(
        dir.path(),
        &one_rule(
            "k",
            "drop",
            "",
            "condition = \"SQLITE_OS_UNIX\"\ncalls = [\"fchmod\"]",
        ),
    );
    let output = run_with_rules(dir.path(), &rules, &["a.c"]);
    assert_stderr(
        &output,
        2,
        &[
            "8 │ #if SQLITE_OS_UNIX\n   │ ------------------ in the block the rule asks about",
            "or set fallback = \"tokens\" on the rule",
        ],
    );
}
