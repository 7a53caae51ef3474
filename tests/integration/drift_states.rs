//! Issue 13, "a drift alarm you can trust": each rule ends a run in one state (applied,
//! already-applied with its evidence, no-match, drift), names that exist nowhere are errors with
//! a suggestion, rules files compose, selection is finer (`inside`/`files` lists, `not_inside`,
//! `exclude`, `scope`, `nested`), every match is listed (`--list`, the report's `matches`),
//! and every key problem of a rules file is told at once. One test (or group) per item (1)–(6)
//! of the issue; the real-release tests use uWSGI 2.0.17 (skipped when it is not cached).

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{
    assert_exit, copy_dir, el5_rules, files_under, root, run_with_rules, scratch, stderr_of,
    stdout_of, uwsgi_releases,
};

/// The rules text of rules/el5.toml with `from` replaced by `to` (which must be there).
fn el5_with(from: &str, to: &str) -> String {
    let text = fs::read_to_string(el5_rules()).unwrap();
    assert!(text.contains(from), "rules/el5.toml has no `{from}`");
    text.replace(from, to)
}

/// Write `text` as `dir/NAME`; its path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// The JSON report of a run written at `path`.
fn report(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// `report.rules[id]`.
fn rule<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["id"] == id)
        .unwrap_or_else(|| panic!("no rule {id} in {report}"))
}

/// A scratch directory holding an empty tree `own/` to fill: both.
fn own_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = scratch();
    let tree = dir.path().join("own");
    fs::create_dir_all(&tree).unwrap();
    (dir, tree)
}

/// Run `rules` over `dir/own` (exit 0), then again with `--check`, which must have nothing to
/// do (exit 0): the second run, whose summary says why.
fn applied_then_quiet(dir: &Path, rules: &Path) -> std::process::Output {
    assert_exit(&run_with_rules(dir, rules, &["own"]), 0);
    let again = run_with_rules(dir, rules, &["--check", "own"]);
    assert_exit(&again, 0);
    again
}

/// A copy of uWSGI 2.0.17 in a scratch directory, or `None` (skipped).
fn uwsgi_2_0_17() -> Option<(tempfile::TempDir, PathBuf)> {
    let release = uwsgi_releases(&["2.0.17"])?.remove(0);
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    copy_dir(&release, &tree);
    Some((work, tree))
}

// (1) A typo in `calls`: an error at the name, with rustc's suggestion; nothing written.

#[test]
fn a_typo_in_calls_is_an_error_at_the_name_with_a_suggestion() {
    let dir = scratch();
    let rules = write(
        dir.path(),
        "typo.toml",
        &el5_with("calls = [\"unshare\"]", "calls = [\"unshre\"]"),
    );
    let before = files_under(dir.path());
    let report_path = dir.path().join("report.json");
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--report", report_path.to_str().unwrap(), "tree"],
    );
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    let text = fs::read_to_string(&rules).unwrap();
    let line = text[..text.find("\"unshre\"").unwrap()].lines().count();
    for wanted in [
        "error: rule `drop-unshare-blocks`: `unshre` (calls) is in none of the files the rule scans",
        &format!("typo.toml:{line}:10"),
        "help: did you mean `unshare`?",
        "no file was changed",
    ] {
        assert!(stderr.contains(wanted), "no `{wanted}` in:\n{stderr}");
    }
    assert_eq!(
        files_under(dir.path()).len(),
        before.len() + 1,
        "only the report is new"
    );
    for (path, bytes) in &before {
        assert_eq!(
            &fs::read(dir.path().join(path)).unwrap(),
            bytes,
            "{path:?} changed"
        );
    }
    let report = report(&report_path);
    assert_eq!(rule(&report, "drop-unshare-blocks")["status"], "drift");
    assert_eq!(report["exit_status"], 2);
}

#[test]
fn a_typo_in_calls_on_uwsgi_2_0_17_is_an_error_and_nothing_is_written() {
    let Some((work, tree)) = uwsgi_2_0_17() else {
        return;
    };
    let rules = write(
        work.path(),
        "typo.toml",
        &el5_with("calls = [\"unshare\"]", "calls = [\"unshre\"]"),
    );
    let before = files_under(&tree);
    let output = run_with_rules(work.path(), &rules, &["tree"]);
    assert_exit(&output, 2);
    assert!(stderr_of(&output).contains("did you mean `unshare`?"));
    assert!(files_under(&tree) == before, "a file was written");
}

#[test]
fn el5_twice_over_uwsgi_2_0_17_is_quiet_and_says_already_applied() {
    let Some((work, tree)) = uwsgi_2_0_17() else {
        return;
    };
    let first = run_with_rules(work.path(), &el5_rules(), &["tree"]);
    assert_exit(&first, 0);
    let after_first = files_under(&tree);
    let report_path = work.path().join("second.json");
    let second = run_with_rules(
        work.path(),
        &el5_rules(),
        &["--report", report_path.to_str().unwrap(), "tree"],
    );
    assert_exit(&second, 0);
    let stderr = stderr_of(&second);
    assert!(
        !stderr.contains("error") && !stderr.contains("warning"),
        "not quiet:\n{stderr}"
    );
    assert!(files_under(&tree) == after_first);
    let report = report(&report_path);
    let drop = rule(&report, "drop-unshare-blocks");
    assert_eq!(drop["status"], "already-applied");
    assert_eq!(
        drop["evidence"][0]["evidence"],
        "no call to `unshare` left in `uwsgi_as_root`"
    );
    let stub = rule(&report, "stub-inotify");
    assert_eq!(stub["status"], "already-applied");
    assert_eq!(stub["evidence"].as_array().unwrap().len(), 2);
    assert!(stderr.contains(
        "cdefang: drop-unshare-blocks: 0 files, 0 matches, 0 edits: already-applied (tree/core/utils.c: no call to `unshare` left in `uwsgi_as_root`)"
    ), "{stderr}");
}

// (2) A rule that selects by condition only and finds nothing: drift, not silence.

#[test]
fn a_condition_only_rule_that_finds_nothing_is_drift() {
    let dir = scratch();
    let rules = write(
        dir.path(),
        "nx.toml",
        "[[rule]]\nid = \"nx\"\nmessage = \"m\"\nfiles = [\"core/*.c\"]\naction = \"drop\"\nexpect = 3\n\
         [rule.match]\ncondition = \"defined(NONEXISTENT_XYZ)\"\n",
    );
    let report_path = dir.path().join("report.json");
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--report", report_path.to_str().unwrap(), "tree"],
    );
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("error: drift: rule `nx` found 0 match(es), expected 3"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`NONEXISTENT_XYZ` (condition) is in none of the files"),
        "{stderr}"
    );
    assert_eq!(rule(&report(&report_path), "nx")["status"], "drift");

    // With --allow-drift: warnings, exit 0.
    let output = run_with_rules(dir.path(), &rules, &["--allow-drift", "--check", "tree"]);
    assert_exit(&output, 0);
    assert!(stderr_of(&output).contains("warning: drift: rule `nx`"));

    // A condition that exists, but in no conditional: no evidence of anything done, drift.
    let rules = write(
        dir.path(),
        "moved.toml",
        "[[rule]]\nid = \"moved\"\nmessage = \"m\"\nfiles = [\"core/*.c\"]\naction = \"drop\"\n\
         expect = 3\n[rule.match]\ncondition = \"defined(__linux__) && defined(OBSOLETE_LINUX_KERNEL)\"\n",
    );
    let output = run_with_rules(dir.path(), &rules, &["--check", "tree"]);
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("drift: rule `moved` found 0 match(es)"),
        "{stderr}"
    );
    assert!(stderr.contains("not already applied"), "{stderr}");
}

// (3) replace-condition is idempotent, and sees a tree that already carries the fix.

const REPLACE_RULES: &str = r#"
[[rule]]
id = "guard-foo"
message = "foo() only without NO_FOO"
files = ["*.c"]
action = "replace-condition"
replacement = "defined(HAVE_FOO) && !defined(NO_FOO)"
expect = 1

[rule.match]
condition = "defined(HAVE_FOO)"
calls = ["foo"]
"#;

#[test]
fn replace_condition_twice_and_over_the_upstream_fix_is_already_applied() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "rules.toml", REPLACE_RULES);
    let source = "int foo(void);\nvoid f(void) {\n#ifdef HAVE_FOO\n\tfoo();\n#endif\n}\n";
    let file = write(dir.path(), "a.c", source);
    let output = run_with_rules(dir.path(), &rules, &["a.c"]);
    assert_exit(&output, 0);
    let once = fs::read_to_string(&file).unwrap();
    assert!(
        once.contains("#if defined(HAVE_FOO) && !defined(NO_FOO)\n"),
        "{once}"
    );

    let report_path = dir.path().join("report.json");
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--report", report_path.to_str().unwrap(), "a.c"],
    );
    assert_exit(&output, 0);
    assert_eq!(fs::read_to_string(&file).unwrap(), once);
    let report = report(&report_path);
    let guard = rule(&report, "guard-foo");
    assert_eq!(guard["status"], "already-applied");
    assert_eq!(guard["evidence"][0]["line"], 3);
    assert!(
        guard["evidence"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("replacement condition"),
        "{guard}"
    );

    // Upstream wrote the same fix its own way (operands swapped, spaced): the same state.
    let upstream = "int foo(void);\nvoid f(void) {\n#if !defined NO_FOO &&  defined(HAVE_FOO)\n\tfoo();\n#endif\n}\n";
    write(dir.path(), "a.c", upstream);
    let output = run_with_rules(dir.path(), &rules, &["--check", "a.c"]);
    assert_exit(&output, 0);
    assert!(stderr_of(&output).contains("guard-foo: 0 files, 0 matches, 0 edits: already-applied"));

    // The fix gone, the call still there under another condition: drift, saying where.
    let moved = "int foo(void);\nvoid f(void) {\n#ifdef HAVE_BAR\n\tfoo();\n#endif\n}\n";
    write(dir.path(), "a.c", moved);
    let output = run_with_rules(dir.path(), &rules, &["--check", "a.c"]);
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("not already applied: a.c:4:2: a call to `foo` is still in this file"),
        "{stderr}"
    );
}

// (4) Composition: identical edits are one, credited to each; an edit inside another rule's
// deletion is subsumed; only a real disagreement is an error.

#[test]
fn the_same_edit_from_two_rules_files_is_made_once_and_credited_to_each() {
    let dir = scratch();
    // The rule `cdefang learn` writes from 2.0.17's unifdef patch, shaped as it writes it.
    let learned = write(
        dir.path(),
        "learned.toml",
        "statement_macros = [\"uwsgi_foreach\"]\n[[rule]]\nid = \"learned-drop-unshare\"\n\
         message = \"drop the blocks that call unshare()\"\nfiles = [\"core/utils.c\"]\n\
         action = \"drop\"\nexpect = 2\n[rule.match]\n\
         condition = \"defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\"\ncalls = [\"unshare\"]\n\
         inside = \"uwsgi_as_root\"\n",
    );
    let before = files_under(&dir.path().join("tree"));
    let report_path = dir.path().join("report.json");
    let output = crate::util::cdefang(dir.path())
        .arg("--rules")
        .arg(el5_rules())
        .arg("--rules")
        .arg(&learned)
        .args(["--report", report_path.to_str().unwrap(), "tree"])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let report = report(&report_path);
    for id in ["drop-unshare-blocks", "learned-drop-unshare"] {
        assert_eq!(rule(&report, id)["matches"], 2, "{report}");
        assert_eq!(rule(&report, id)["edits"], 2, "{report}");
        assert_eq!(rule(&report, id)["status"], "applied");
    }
    let shared: Vec<&serde_json::Value> = report["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|found| found["state"] == "shared")
        .collect();
    assert_eq!(shared.len(), 4, "{report}");
    // The result is el5.toml's alone.
    let alone = scratch();
    assert_exit(&run_with_rules(alone.path(), &el5_rules(), &["tree"]), 0);
    assert!(files_under(&dir.path().join("tree")) == files_under(&alone.path().join("tree")));
    assert!(files_under(&dir.path().join("tree")) != before);
}

const NESTED_SOURCE: &str = "\
#ifdef FEATURE
int a;
#ifdef OLD
int b;
#else
int c;
#endif
#endif
";

#[test]
fn a_drop_around_another_rules_resolve_wins_with_a_note_and_real_conflicts_stay_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.c", NESTED_SOURCE);
    let drop = write(
        dir.path(),
        "drop.toml",
        "[[rule]]\nid = \"drop-feature\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n[rule.match]\nuses = [\"FEATURE\"]\n",
    );
    let resolve = write(
        dir.path(),
        "resolve.toml",
        "[[rule]]\nid = \"take-old\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"resolve\"\ndefine = [\"OLD\"]\n[rule.match]\n",
    );
    let report_path = dir.path().join("report.json");
    let output = crate::util::cdefang(dir.path())
        .args([
            "--rules",
            "drop.toml",
            "--rules",
            "resolve.toml",
            "--report",
        ])
        .arg(&report_path)
        .arg("a.c")
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let _ = (&drop, &resolve);
    assert_eq!(fs::read_to_string(dir.path().join("a.c")).unwrap(), "");
    let report = report(&report_path);
    let take_old = report["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|found| found["rule"] == "take-old")
        .unwrap();
    assert_eq!(take_old["state"], "subsumed");
    assert_eq!(take_old["with"][0], "drop-feature");

    // Two rules that write different conditions on the same line: an error naming both.
    write(dir.path(), "a.c", NESTED_SOURCE);
    let one = write(
        dir.path(),
        "one.toml",
        "[[rule]]\nid = \"to-x\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"replace-condition\"\nreplacement = \"defined(X)\"\n[rule.match]\nuses = [\"OLD\"]\n",
    );
    let two = write(
        dir.path(),
        "two.toml",
        "[[rule]]\nid = \"to-y\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"replace-condition\"\nreplacement = \"defined(Y)\"\n[rule.match]\nuses = [\"OLD\"]\n",
    );
    let output = crate::util::cdefang(dir.path())
        .arg("--rules")
        .arg(&one)
        .arg("--rules")
        .arg(&two)
        .arg("a.c")
        .output()
        .unwrap();
    assert_exit(&output, 2);
    assert!(stderr_of(&output).contains("rules `to-x` and `to-y` edit the same lines"));
    assert_eq!(
        fs::read_to_string(dir.path().join("a.c")).unwrap(),
        NESTED_SOURCE
    );
}

#[test]
fn the_el5_profile_composes_a_base_and_an_add_on() {
    let dir = tempfile::tempdir().unwrap();
    // Shaped like uWSGI 2.0.x's core/uwsgi.c option table and core/utils.c.
    copy_dir(&root().join("testdata/uwsgi"), &dir.path().join("tree"));
    let option_table = "\
static struct uwsgi_option uwsgi_base_options[] = {
	{\"emperor\", required_argument, 0, \"run the Emperor\", uwsgi_opt_add_string_list, &uwsgi.emperor, 0},
#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)
	{\"emperor-use-clone\", required_argument, 0, \"use clone() instead of fork() passing the specified unshare() flags\", uwsgi_opt_set_unshare, &uwsgi.emperor_clone, 0},
#endif
	{0, 0, 0, 0, 0, 0, 0},
};
";
    write(&dir.path().join("tree/core"), "uwsgi.c", option_table);
    let report_path = dir.path().join("report.json");
    let output = crate::util::cdefang(dir.path())
        .arg("--rules")
        .arg(el5_rules())
        .arg("--rules")
        .arg(root().join("rules/el5-emperor-clone.toml"))
        .args(["--report", report_path.to_str().unwrap(), "tree"])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let report = report(&report_path);
    assert_eq!(rule(&report, "drop-unshare-blocks")["status"], "applied");
    assert_eq!(rule(&report, "drop-emperor-use-clone")["status"], "applied");
    let table = fs::read_to_string(dir.path().join("tree/core/uwsgi.c")).unwrap();
    assert!(!table.contains("emperor-use-clone"), "{table}");
    assert!(table.contains("\"emperor\""));
    // And again: both already applied, quiet.
    let output = crate::util::cdefang(dir.path())
        .arg("--rules")
        .arg(el5_rules())
        .arg("--rules")
        .arg(root().join("rules/el5-emperor-clone.toml"))
        .args(["--check", "tree"])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("drop-emperor-use-clone: 0 files, 0 matches, 0 edits: already-applied"),
        "{stderr}"
    );
}

// (5) Selection.

const INOTIFY_EVENT_C: &str = "\
#ifdef UWSGI_EVENT_FILEMONITOR_USE_INOTIFY
#ifdef OBSOLETE_LINUX_KERNEL
int event_queue_add_file_monitor(int eq, char *filename, int *id) {
	return -1;
}
#else
#include <sys/inotify.h>
int event_queue_add_file_monitor(int eq, char *filename, int *id) {
	return inotify_init();
}
#endif
#endif
";

fn inotify_rule(extra: &str) -> String {
    format!(
        "[[rule]]\nid = \"no-inotify\"\nmessage = \"EL5 has no sys/inotify.h\"\nfiles = [\"core/event.c\"]\n\
         action = \"drop\"\n[rule.match]\nuses = [\"UWSGI_EVENT_FILEMONITOR_USE_INOTIFY\"]\n\
         includes = [\"sys/inotify.h\"]\n{extra}"
    )
}

#[test]
fn the_natural_inotify_rule_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("core")).unwrap();
    let file = write(&dir.path().join("core"), "event.c", INOTIFY_EVENT_C);
    let rules = write(dir.path(), "rules.toml", &inotify_rule(""));
    let output = run_with_rules(dir.path(), &rules, &["."]);
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    for wanted in [
        "error: rule `no-inotify` would drop a whole block for what only a nested conditional holds",
        "core/event.c:1:1",
        "this branch would be dropped whole",
        "whose alternative would be dropped too",
        "scope = \"own-body\"",
    ] {
        assert!(stderr.contains(wanted), "no `{wanted}` in:\n{stderr}");
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), INOTIFY_EVENT_C);

    // Own body: the outer branch's own code has no #include, so it is not a match.
    let rules = write(
        dir.path(),
        "rules.toml",
        &inotify_rule("scope = \"own-body\"\n"),
    );
    let output = run_with_rules(dir.path(), &rules, &["--check", "."]);
    assert_exit(&output, 0);
    assert!(stderr_of(&output).contains("no-inotify: 0 files, 0 matches, 0 edits"));
    // Nested, said on purpose: the whole block goes.
    let rules = write(
        dir.path(),
        "rules.toml",
        &inotify_rule("scope = \"nested\"\n"),
    );
    let output = run_with_rules(dir.path(), &rules, &["."]);
    assert_exit(&output, 0);
    assert_eq!(fs::read_to_string(&file).unwrap(), "");
}

#[test]
fn the_natural_inotify_rule_on_uwsgi_2_0_17_is_refused() {
    let Some((work, tree)) = uwsgi_2_0_17() else {
        return;
    };
    let rules = write(work.path(), "rules.toml", &inotify_rule(""));
    let before = files_under(&tree);
    let output = run_with_rules(
        work.path(),
        &rules,
        &["--statement-macro", "uwsgi_foreach", "tree"],
    );
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(stderr.contains("tree/core/event.c:1101:1"), "{stderr}");
    assert!(
        stderr.contains("whose alternative would be dropped too"),
        "{stderr}"
    );
    assert!(files_under(&tree) == before);
}

const TWO_FUNCTIONS: &str = "\
int unshare(int);
void one(void) {
#ifdef NS
\tunshare(1);
#endif
}
void two(void) {
#ifdef NS
\tunshare(2);
#endif
}
void three(void) {
#ifdef NS
\tunshare(3);
#endif
}
";

#[test]
fn inside_and_files_take_lists_with_not_inside_and_exclude() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("src/gen")).unwrap();
    write(&dir.path().join("src"), "a.c", TWO_FUNCTIONS);
    write(&dir.path().join("src/gen"), "b.c", TWO_FUNCTIONS);
    let list = |match_keys: &str, rule_keys: &str| {
        let rules = write(
            dir.path(),
            "rules.toml",
            &format!(
                "[[rule]]\nid = \"r\"\nmessage = \"m\"\naction = \"drop\"\n{rule_keys}\n[rule.match]\n\
                 uses = [\"NS\"]\ncalls = [\"unshare\"]\n{match_keys}\n"
            ),
        );
        let output = run_with_rules(dir.path(), &rules, &["--list", "src"]);
        assert_exit(&output, 0);
        stdout_of(&output)
    };
    // `files` omitted: every file given; `inside` a list.
    assert_eq!(
        list("inside = [\"one\", \"three\"]", ""),
        "src/a.c:3:1: r: drop\nsrc/a.c:13:1: r: drop\nsrc/gen/b.c:3:1: r: drop\nsrc/gen/b.c:13:1: r: drop\n"
    );
    // `inside` a string, `files` a string, `exclude` a glob.
    assert_eq!(
        list("inside = \"two\"", "files = \"*.c\"\nexclude = [\"gen/*\"]"),
        "src/a.c:8:1: r: drop\n"
    );
    assert_eq!(
        list("not_inside = [\"one\", \"two\"]", "files = [\"a.c\"]"),
        "src/a.c:13:1: r: drop\n"
    );
    // --list wrote nothing.
    assert_eq!(
        fs::read_to_string(dir.path().join("src/a.c")).unwrap(),
        TWO_FUNCTIONS
    );
    // The report names the function around each match, whether or not the rule asks for one.
    let report_path = dir.path().join("report.json");
    let output = run_with_rules(
        dir.path(),
        &dir.path().join("rules.toml"),
        &["--check", "--report", report_path.to_str().unwrap(), "src"],
    );
    assert_exit(&output, 1);
    let report = report(&report_path);
    assert_eq!(report["matches"][0]["function"], "three", "{report}");
    assert_eq!(report["matches"][0]["line"], 13);
}

#[test]
fn nested_chooses_the_innermost_or_the_outermost_match() {
    let dir = tempfile::tempdir().unwrap();
    let source = "#ifdef A\nint a;\n#ifdef A_MORE\nint b;\n#endif\n#endif\n";
    write(dir.path(), "x.c", source);
    let run = |nested: &str| {
        let rules = write(
            dir.path(),
            "rules.toml",
            &format!(
                "[[rule]]\nid = \"keep-a\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"keep\"\n[rule.match]\nuses = [\"A\", \"A_MORE\"]\n{nested}\n"
            ),
        );
        let output = run_with_rules(dir.path(), &rules, &["--stdout", "x.c"]);
        (stdout_of(&output), stderr_of(&output))
    };
    let (all, _) = run("");
    assert_eq!(all, "int a;\nint b;\n");
    let (inner, stderr) = run("nested = \"innermost\"");
    assert_eq!(inner, "#ifdef A\nint a;\nint b;\n#endif\n");
    assert!(stderr.contains("keep-a: 1 file, 1 match"), "{stderr}");
    let (outer, stderr) = run("nested = \"outermost\"");
    assert_eq!(outer, "int a;\n#ifdef A_MORE\nint b;\n#endif\n");
    assert!(stderr.contains("keep-a: 1 file, 1 match"), "{stderr}");
}

#[test]
fn the_report_lists_every_match_and_list_prints_them_for_grep() {
    let report_path = tempfile::NamedTempFile::new().unwrap();
    let output = crate::util::run_at_root(&[
        "--rules",
        "rules/el5.toml",
        "--check",
        "--report",
        report_path.path().to_str().unwrap(),
        "testdata/uwsgi",
    ]);
    assert_exit(&output, 1);
    let report = report(report_path.path());
    let matches = report["matches"].as_array().unwrap();
    assert_eq!(
        matches.len() as u64,
        report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| rule["matches"].as_u64().unwrap())
            .sum::<u64>()
    );
    let first_drop = matches
        .iter()
        .find(|found| found["rule"] == "drop-unshare-blocks")
        .unwrap();
    assert_eq!(first_drop["file"], "testdata/uwsgi/core/utils.c");
    assert_eq!(first_drop["line"], 22);
    assert_eq!(first_drop["column"], 1);
    assert_eq!(first_drop["function"], "uwsgi_as_root");
    assert_eq!(first_drop["action"], "drop");
    assert_eq!(first_drop["state"], "applied");

    let list = crate::util::run_at_root(&["--rules", "rules/el5.toml", "--list", "testdata/uwsgi"]);
    assert_exit(&list, 0);
    let lines: Vec<String> = stdout_of(&list).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), matches.len());
    assert!(
        lines.contains(&"testdata/uwsgi/core/utils.c:22:1: drop-unshare-blocks: drop".to_string()),
        "{lines:?}"
    );
    for (line, found) in lines.iter().zip(matches) {
        assert_eq!(
            *line,
            format!(
                "{}:{}:{}: {}: {}",
                found["file"].as_str().unwrap(),
                found["line"],
                found["column"],
                found["rule"].as_str().unwrap(),
                found["action"].as_str().unwrap()
            )
        );
    }
}

// (6) Every missing or unknown key, at once.

#[test]
fn every_missing_and_unknown_key_is_told_in_one_diagnostic() {
    let dir = scratch();
    let rules = write(
        dir.path(),
        "bad.toml",
        "[[rule]]\nid = \"a\"\nfiles = [\"*.c\"]\nexpect = { mim = 1 }\n[rule.match]\ncallz = [\"f\"]\nuses = [\"X\"]\n\
         \n[[rule]]\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n[rule.match]\nuses = [\"Y\"]\n",
    );
    let output = run_with_rules(dir.path(), &rules, &["--check", "tree"]);
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    for wanted in [
        "error: invalid rules file: 5 problems with the keys of this file, each labelled below",
        "bad.toml:1:1",
        "1 │ [[rule]]",
        "missing field `message` in this [[rule]]",
        "missing field `action` in this [[rule]]",
        "4 │ expect = { mim = 1 }",
        "--- unknown field `mim` (did you mean `min`?); this table takes `min`, `max`, `per`",
        "6 │ callz = [\"f\"]",
        "----- unknown field `callz` (did you mean `calls`?); this table takes `condition`, `uses`, `calls`,",
        "9 │ [[rule]]",
        "-------- missing field `id` in this [[rule]]",
    ] {
        assert!(stderr.contains(wanted), "no `{wanted}` in:\n{stderr}");
    }
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert!(stderr.contains("= note: no file was changed"), "{stderr}");
}

/// A file the rule selects fails (its conditionals do not balance): the rule's code and names
/// may be in it, so the run says `undecided`, not `no-match`, and raises no drift alarm about
/// names "in no file of the run"; the failed file's error is the run's, exit 2, nothing written.
/// A rule whose globs do not select the failed file keeps its state; a per-file expectation a
/// planned file fails is still drift.
#[test]
fn a_rule_whose_file_failed_is_undecided_not_no_match_nor_drift() {
    let (dir, tree) = own_tree();
    fs::write(tree.join("good.c"), "#include <stdio.h>\nint g;\n").unwrap();
    let broken = "#ifdef HAVE_NEW\nint f(void) { return unshare(1); }\n#endif\n#if\n";
    fs::write(tree.join("broken.c"), broken).unwrap();
    fs::write(tree.join("other.h"), "#ifdef HAVE_NEW\nint h;\n#endif\n").unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"in-c\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n\
         [rule.match]\ncondition = \"defined(HAVE_NEW)\"\ncalls = [\"unshare\"]\n\n\
         [[rule]]\nid = \"in-h\"\nmessage = \"m\"\nfiles = [\"*.h\"]\naction = \"drop\"\n\
         [rule.match]\ncondition = \"defined(HAVE_NEW)\"\n\n\
         [[rule]]\nid = \"per-file\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n\
         expect = { min = 1, per = \"file\" }\n[rule.match]\ncondition = \"defined(HAVE_NEW)\"\n",
    );
    let report_path = dir.path().join("report.json");
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--report", report_path.to_str().unwrap(), "own"],
    );
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(stderr.contains("#if without #endif"), "{stderr}");
    assert!(!stderr.contains("is in none of the files"), "{stderr}");
    assert!(
        stderr.contains("in-c: 0 files, 0 matches, 0 edits: undecided (a file it selects failed: see the error above)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cdefang: 2 files scanned, 1 failed, nothing written"),
        "{stderr}"
    );
    let report = report(&report_path);
    assert_eq!(rule(&report, "in-c")["status"], "undecided");
    assert_eq!(rule(&report, "in-h")["status"], "applied");
    // good.c has no HAVE_NEW block: its own expectation fails, whatever broken.c holds.
    assert_eq!(rule(&report, "per-file")["status"], "drift");
    let drift = report["drift"].as_array().unwrap();
    assert!(
        drift.iter().all(|entry| entry["rule"] == "per-file"),
        "{drift:?}"
    );
    assert_eq!(
        fs::read_to_string(tree.join("broken.c")).unwrap(),
        broken,
        "nothing written"
    );
    assert_eq!(
        fs::read_to_string(tree.join("other.h")).unwrap(),
        "#ifdef HAVE_NEW\nint h;\n#endif\n"
    );
}

/// `not_inside` leaves code alone on purpose: on the second run the call kept in that function
/// is neither code left behind (drift) nor in the way of the evidence, so the rule says
/// `already-applied`; a call outside it that comes back is still drift.
#[test]
fn code_kept_by_not_inside_is_not_drift_on_the_second_run() {
    let (dir, tree) = own_tree();
    let source = "#include <sched.h>\nint keep(void)\n{\n#ifdef __linux__\n\treturn unshare(1);\n#endif\n\treturn 0;\n}\nint go(void)\n{\n#ifdef __linux__\n\treturn unshare(2);\n#endif\n\treturn 0;\n}\n";
    fs::write(tree.join("a.c"), source).unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"drop-unshare\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\nexpect = 1\n\
         [rule.match]\ncondition = \"defined(__linux__)\"\ncalls = [\"unshare\"]\nnot_inside = \"keep\"\n",
    );
    let output = run_with_rules(dir.path(), &rules, &["own"]);
    assert_exit(&output, 0);
    let once = fs::read_to_string(tree.join("a.c")).unwrap();
    assert!(
        once.contains("unshare(1)") && !once.contains("unshare(2)"),
        "{once}"
    );

    let report_path = dir.path().join("report.json");
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--check", "--report", report_path.to_str().unwrap(), "own"],
    );
    assert_exit(&output, 0);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(
            "already-applied (own/a.c: no call to `unshare` left in this file outside `keep`)"
        ),
        "{stderr}"
    );
    assert_eq!(
        rule(&report(&report_path), "drop-unshare")["status"],
        "already-applied"
    );

    // The call comes back outside `keep`, unguarded: code the rule is about, left behind.
    fs::write(
        tree.join("a.c"),
        once.replace("\treturn 0;\n}\n", "\tunshare(3);\n\treturn 0;\n}\n"),
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(stderr_of(&output).contains("a call to `unshare` is still in this file"));
}

/// Second runs stay quiet when the name a rule looks for is gone and a near name is there for
/// a reason the rule itself explains or C's habits do: the header a `replace` wrote
/// (`sys/epoll.h` → `sys/poll.h`, one edit apart), and a macro beside a variable of the same
/// name in small letters (`FEATURE_ON`, `feature_on`). A real slip (`unshre`) stays drift.
#[test]
fn near_names_the_rule_wrote_or_c_habits_explain_are_not_typos() {
    let (dir, tree) = own_tree();
    fs::write(
        tree.join("i.c"),
        "#ifdef __linux__\n#include <sys/epoll.h>\n#endif\n",
    )
    .unwrap();
    fs::write(
        tree.join("k.c"),
        "int feature_on;\n#ifdef FEATURE_ON\nint a = feature_a;\n#else\nint b;\n#endif\n",
    )
    .unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"poll\"\nmessage = \"m\"\nfiles = [\"i.c\"]\ntarget = \"include\"\n\
         action = \"replace\"\nreplacement = \"<sys/poll.h>\"\nexpect = 1\n\
         [rule.match]\nincludes = [\"sys/epoll.h\"]\n\n\
         [[rule]]\nid = \"feature\"\nmessage = \"m\"\nfiles = [\"k.c\"]\naction = \"keep\"\n\
         [rule.match]\nuses = [\"FEATURE_ON\"]\nmentions = [\"feature_a\"]\n",
    );
    assert_exit(&run_with_rules(dir.path(), &rules, &["own"]), 0);
    let report_path = dir.path().join("report.json");
    let again = run_with_rules(
        dir.path(),
        &rules,
        &["--check", "--report", report_path.to_str().unwrap(), "own"],
    );
    assert_exit(&again, 0);
    let report = report(&report_path);
    assert_eq!(rule(&report, "poll")["status"], "already-applied");
    assert_eq!(rule(&report, "feature")["status"], "already-applied");

    // A slip of one letter in a name of the code is still a typo: drift, whatever the evidence.
    let typo = write(
        dir.path(),
        "typo.toml",
        "[[rule]]\nid = \"feature\"\nmessage = \"m\"\nfiles = [\"k.c\"]\naction = \"keep\"\n\
         [rule.match]\nuses = [\"feature_onn\"]\n",
    );
    let output = run_with_rules(dir.path(), &typo, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(stderr_of(&output).contains("did you mean `feature_on`?"));
}

/// Composition on a second run: a rule whose name went with another rule's edit (a guard of
/// the `prctl` call inside a block a drop removes) is not a drift alarm when that other rule
/// shows its work done; it has nothing to do (`no-match`), exit 0.
#[test]
fn a_name_removed_by_another_rule_is_not_drift_on_the_second_run() {
    let (dir, tree) = own_tree();
    fs::write(
        tree.join("c.c"),
        "void f(void)\n{\n#ifdef __linux__\n\tprctl(PR_SET_PDEATHSIG, 9);\n#endif\n}\n",
    )
    .unwrap();
    let drop = write(
        dir.path(),
        "d1.toml",
        "[[rule]]\nid = \"d1\"\nmessage = \"m\"\naction = \"drop\"\n\
         [rule.match]\ncondition = \"defined(__linux__)\"\ncalls = [\"prctl\"]\n",
    );
    let guard = write(
        dir.path(),
        "g1.toml",
        "[[rule]]\nid = \"g1\"\nmessage = \"m\"\ntarget = \"statement\"\naction = \"guard\"\n\
         guard = \"#ifdef PR_SET_PDEATHSIG\"\n[rule.match]\ncalls = [\"prctl\"]\n",
    );
    let both = |extra: &[&str]| {
        let mut command = crate::util::cdefang(dir.path());
        command.arg("--rules").arg(&drop).arg("--rules").arg(&guard);
        command.args(extra).output().unwrap()
    };
    assert_exit(&both(&["own"]), 0);
    let again = both(&["--check", "--report", "report.json", "own"]);
    assert_exit(&again, 0);
    let report = report(&dir.path().join("report.json"));
    assert_eq!(rule(&report, "d1")["status"], "already-applied");
    assert_eq!(rule(&report, "g1")["status"], "no-match");
    assert!(report["drift"].as_array().unwrap().is_empty());
    // The guard alone on that output: its name is in no file and nothing explains it.
    let alone = run_with_rules(dir.path(), &guard, &["--check", "own"]);
    assert_exit(&alone, 2);
}

/// The usual porting drop (`pipe2` gone with its `HAVE_PIPE2` block, `pipe` beside it, one
/// edit away) is quiet on the second run: every name the edit removes went together, so the
/// near name is no slip. A slip among names the file still has stays a typo.
#[test]
fn names_that_went_together_with_the_rules_edit_are_not_typos() {
    let (dir, tree) = own_tree();
    let source = "int mkpipe(int fds[2])\n{\n#ifdef HAVE_PIPE2\n\tif (pipe2(fds, 1) == 0)\n\t\treturn 0;\n#endif\n\treturn pipe(fds);\n}\n";
    fs::write(tree.join("a.c"), source).unwrap();
    let rule_text = |calls: &str| {
        format!(
            "[[rule]]\nid = \"no-pipe2\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n\
             expect = 1\n[rule.match]\ncondition = \"defined(HAVE_PIPE2)\"\ncalls = [\"{calls}\"]\n\
             inside = \"mkpipe\"\n"
        )
    };
    let rules = write(dir.path(), "r.toml", &rule_text("pipe2"));
    let again = applied_then_quiet(dir.path(), &rules);
    assert!(
        stderr_of(&again)
            .contains("already-applied (own/a.c: no call to `pipe2` left in `mkpipe`)"),
        "{}",
        stderr_of(&again)
    );

    // On the original, `HAVE_PIPE2` is there and `pipe3` is not: a slip of `pipe2`.
    fs::write(tree.join("a.c"), source).unwrap();
    let typo = write(dir.path(), "typo.toml", &rule_text("pipe3"));
    let output = run_with_rules(dir.path(), &typo, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(stderr_of(&output).contains("is in none of the files the rule scans"));
}

/// A function `inside` names that stands in a branch the default view leaves out (under
/// `#ifndef X`: every macro is taken as defined there) is still the rule's scope: the second run
/// finds the rule applied in it, not drift.
#[test]
fn inside_a_function_under_ifndef_the_second_run_is_already_applied() {
    let (dir, tree) = own_tree();
    fs::write(
        tree.join("a.c"),
        "#ifndef DISABLE_MK\nint mk(int domain, int type)\n{\n#ifdef SOCK_NONBLOCK\n\ttype |= SOCK_NONBLOCK;\n#endif\n\treturn socket(domain, type, 0);\n}\n#endif\n",
    )
    .unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"no-nonblock\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n\
         expect = 1\n[rule.match]\ncondition = \"defined(SOCK_NONBLOCK)\"\nmentions = [\"SOCK_NONBLOCK\"]\n\
         inside = \"mk\"\n\n\
         [[rule]]\nid = \"no-socket\"\nmessage = \"m\"\nfiles = [\"*.c\"]\ntarget = \"statement\"\n\
         action = \"drop\"\nexpect = 1\n[rule.match]\ncalls = [\"socket\"]\ninside = \"mk\"\n",
    );
    let again = applied_then_quiet(dir.path(), &rules);
    let stderr = stderr_of(&again);
    assert!(
        stderr.contains("no-nonblock: 0 files, 0 matches, 0 edits: already-applied")
            && stderr.contains("no-socket: 0 files, 0 matches, 0 edits: already-applied"),
        "{stderr}"
    );
}

/// The whole body of a branch holds its nested conditionals' other branches too (the `#else`
/// of a nested `#if` that the default view leaves out): `scope = "nested"` finds a call there
/// and drops the block; without `scope`, a drop for what only that `#else` holds is refused.
#[test]
fn a_call_in_a_nested_else_is_in_the_whole_body() {
    let (dir, tree) = own_tree();
    let source = "void ka(int fd)\n{\n#if defined(SIO_KEEPALIVE_VALS)\n#if defined(KEEP_SSO)\n\tsetsockopt(fd, 1, 2, 0, 0);\n#else\n\tWSAIoctl(fd, SIO_KEEPALIVE_VALS, 0);\n#endif\n#else\n\tsetsockopt(fd, 3, 4, 0, 0);\n#endif\n}\n";
    fs::write(tree.join("a.c"), source).unwrap();
    let rule_text = |scope: &str| {
        format!(
            "[[rule]]\nid = \"no-wsa\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n\
             expect = 1\n[rule.match]\ncondition = \"defined(SIO_KEEPALIVE_VALS)\"\n\
             calls = [\"WSAIoctl\"]\n{scope}\n"
        )
    };
    let nested = write(dir.path(), "nested.toml", &rule_text("scope = \"nested\""));
    let output = run_with_rules(dir.path(), &nested, &["--stdout", "own/a.c"]);
    assert_exit(&output, 1);
    assert_eq!(
        stdout_of(&output),
        "void ka(int fd)\n{\n\tsetsockopt(fd, 3, 4, 0, 0);\n}\n"
    );

    let default = write(dir.path(), "default.toml", &rule_text(""));
    let output = run_with_rules(dir.path(), &default, &["--check", "own"]);
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("would drop a whole block for what only a nested conditional holds")
            && stderr.contains("calls `WSAIoctl`"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(tree.join("a.c")).unwrap(), source);
}

/// The body of a `#define` is code the body predicates see: a block that defines a macro
/// calling `gmtime_r` is selected by `calls = ["gmtime_r"]` (a parameter called in the body is
/// no call), and such a definition left outside the blocks the rule selects is code left
/// behind (drift), not a sign that the rule was applied.
#[test]
fn calls_in_a_define_body_are_seen() {
    let (dir, tree) = own_tree();
    let source = "#include <time.h>\n#if defined(USE_POSIX)\n#define my_gmtime(t, r) gmtime_r(t, r)\n#else\n#define my_gmtime(t, r) gmtime(t)\n#endif\n#ifdef APPLY\n#define CALL(gmtime_r, x) gmtime_r(x)\n#endif\n";
    fs::write(tree.join("a.c"), source).unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"no-gmtime-r\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\n\
         expect = 1\n[rule.match]\nuses = [\"USE_POSIX\", \"APPLY\"]\ncalls = [\"gmtime_r\"]\n",
    );
    let output = run_with_rules(dir.path(), &rules, &["own"]);
    assert_exit(&output, 0);
    let once = fs::read_to_string(tree.join("a.c")).unwrap();
    assert_eq!(
        once,
        "#include <time.h>\n#define my_gmtime(t, r) gmtime(t)\n#ifdef APPLY\n#define CALL(gmtime_r, x) gmtime_r(x)\n#endif\n"
    );
    let again = run_with_rules(dir.path(), &rules, &["--check", "own"]);
    assert_exit(&again, 0);
    assert!(
        stderr_of(&again).contains("already-applied"),
        "{}",
        stderr_of(&again)
    );

    // The definition comes back outside any conditional: left behind, drift.
    fs::write(
        tree.join("a.c"),
        format!("{once}#define my_gmtime_r(t, r) gmtime_r(t, r)\n"),
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(
        stderr_of(&output).contains("a call to `gmtime_r` in a `#define` is still in this file"),
        "{}",
        stderr_of(&output)
    );
}

/// A rules file named twice (`--rules el5.toml --rules ./el5.toml`, a profile that repeats its
/// base) is read once: no "rule id used twice" against itself.
#[test]
fn a_rules_file_given_twice_is_read_once() {
    let (dir, tree) = own_tree();
    fs::write(tree.join("a.c"), "#ifdef X\nint x;\n#endif\n").unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"x\"\nmessage = \"m\"\naction = \"drop\"\n[rule.match]\ncondition = \"defined(X)\"\n",
    );
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--rules", "./r.toml", "--stdout", "own/a.c"],
    );
    assert_exit(&output, 1);
    assert_eq!(stdout_of(&output), "");
    assert!(
        stderr_of(&output).contains("x: 1 file, 1 match, 1 edit: applied"),
        "{}",
        stderr_of(&output)
    );
}

/// A `keep` on a condition gives no sign of its work but that no conditional tests the
/// condition's names any more, which a macro renamed upstream gives too: without a body
/// predicate (what the kept code calls or uses) it is not told applied when those names are in
/// no file of the run, and a conditional that still tests them under another condition
/// (`#if HAVE_X && !defined(NO_X)` for a rule keeping `!HAVE_X`) is not its work done.
#[test]
fn a_keep_is_not_told_applied_on_absence_alone() {
    let (dir, tree) = own_tree();
    let source = |condition: &str| {
        format!(
            "void fmt(const char *s)\n{{\n#if {condition}\n\ts = strchrnul(s, '%');\n#else\n\twhile (*s && *s != '%') s++;\n#endif\n}}\n"
        )
    };
    let rule_text = |predicate: &str| {
        format!(
            "[[rule]]\nid = \"no-strchrnul\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"keep\"\n\
             expect = 1\n[rule.match]\ncondition = \"!HAVE_STRCHRNUL\"\ninside = \"fmt\"\n{predicate}\n"
        )
    };
    let rules = write(dir.path(), "r.toml", &rule_text(""));
    // The macro renamed upstream: the rule's name is nowhere, nothing was kept.
    fs::write(tree.join("a.c"), source("SQLITE_HAVE_STRCHRNUL")).unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(
        stderr_of(&output).contains("`HAVE_STRCHRNUL` (condition) is in none of the files"),
        "{}",
        stderr_of(&output)
    );
    // The condition widened: the name is still tested, under another condition.
    fs::write(
        tree.join("a.c"),
        source("HAVE_STRCHRNUL && !defined(NO_STRCHRNUL)"),
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(
        stderr_of(&output).contains("still tests `HAVE_STRCHRNUL`, under another condition"),
        "{}",
        stderr_of(&output)
    );
    // With a body predicate, the kept loop is the sign of the work done: a second run is quiet.
    fs::write(tree.join("a.c"), source("HAVE_STRCHRNUL")).unwrap();
    let rules = write(dir.path(), "r.toml", &rule_text("mentions = [\"s\"]"));
    let again = applied_then_quiet(dir.path(), &rules);
    assert!(
        stderr_of(&again).contains("already-applied"),
        "{}",
        stderr_of(&again)
    );
}

/// Second runs of the usual port rules stay quiet: the older call beside the one dropped
/// (`epoll_create` for `epoll_create1`, `accept` for `accept4` while `SOCK_CLOEXEC` stays) is
/// another version, not a slip; a header replaced by one near another header is the rule's
/// own work; a line dropped under `defined(__linux__)` that another platform's branch also has
/// is not left behind.
#[test]
fn second_runs_of_port_rules_are_quiet() {
    let (dir, tree) = own_tree();
    fs::write(
        tree.join("a.c"),
        "#include <sys/poll.h>\n#include <sys/epoll.h>\n\
         #if defined(__FreeBSD__)\n# define my_accept4 accept4\n#endif\n\
         #if defined(__linux__)\n# define my_accept4 accept4\n#endif\n\
         int make_poller(void)\n{\n\tint fd = -1;\n#ifdef HAVE_EPOLL_CREATE1\n\tfd = epoll_create1(0);\n#endif\n\
         \tif (fd == -1)\n\t\tfd = epoll_create(32);\n\treturn fd;\n}\n\
         int acc(int s)\n{\n\tint r;\n#if defined(HAVE_ACCEPT4) && defined(SOCK_CLOEXEC)\n\tr = accept4(s, 0, 0, SOCK_CLOEXEC);\n\
         \tif (r >= 0)\n\t\treturn r;\n#endif\n\tr = accept(s, 0, 0);\n#ifdef SOCK_CLOEXEC\n\tset_cloexec(r);\n#endif\n\treturn r;\n}\n",
    )
    .unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"no-epoll-create1\"\nmessage = \"m\"\nfiles = [\"*.c\"]\ntarget = \"statement\"\n\
         action = \"drop\"\nexpect = 1\n[rule.match]\ncalls = [\"epoll_create1\"]\ninside = \"make_poller\"\n\n\
         [[rule]]\nid = \"no-accept4\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\nexpect = 1\n\
         [rule.match]\ncondition = \"defined(HAVE_ACCEPT4) && defined(SOCK_CLOEXEC)\"\ncalls = [\"accept4\"]\ninside = \"acc\"\n\n\
         [[rule]]\nid = \"compat-epoll\"\nmessage = \"m\"\nfiles = [\"*.c\"]\ntarget = \"include\"\n\
         action = \"replace\"\nreplacement = \"\\\"compat/epoll.h\\\"\"\nexpect = 1\n[rule.match]\nincludes = [\"sys/epoll.h\"]\n\n\
         [[rule]]\nid = \"no-accept4-define\"\nmessage = \"m\"\nfiles = [\"*.c\"]\ntarget = \"define\"\n\
         action = \"drop\"\nexpect = 1\n[rule.match]\ndefines = [\"my_accept4\"]\ncondition = \"defined(__linux__)\"\n",
    );
    let first = run_with_rules(dir.path(), &rules, &["own"]);
    assert_exit(&first, 0);
    let once = fs::read_to_string(tree.join("a.c")).unwrap();
    assert!(
        !once.contains("epoll_create1")
            && !once.contains("accept4(")
            && once.contains("#include \"compat/epoll.h\"")
            && once.matches("# define my_accept4").count() == 1,
        "{once}"
    );
    let again = run_with_rules(dir.path(), &rules, &["--check", "own"]);
    assert_exit(&again, 0);
    let stderr = stderr_of(&again);
    for id in [
        "no-epoll-create1",
        "no-accept4",
        "compat-epoll",
        "no-accept4-define",
    ] {
        assert!(
            stderr.contains(&format!(
                "{id}: 0 files, 0 matches, 0 edits: already-applied"
            )),
            "{id}: {stderr}"
        );
    }
}

/// Typos and versions of a call, by where the near name stands: a statement drop of
/// `epoll_create1` under its own `#ifdef HAVE_EPOLL_CREATE1` (which stays) is quiet on its
/// second run, `epoll_create` standing outside that branch; a digit slip (`pipe3`, `crc31`) in a
/// rule without a condition is a typo, only the stem and the stem with a number are versions;
/// a typo stays loud when the condition's macro went upstream (`unshre` where `HAVE_UNSHARE`
/// is gone and `unshare()` stands unguarded).
#[test]
fn versions_of_a_call_and_slips_are_told_by_where_the_near_name_stands() {
    let (dir, tree) = own_tree();
    let rule = |keys: &str| {
        format!(
            "[[rule]]\nid = \"r\"\nmessage = \"m\"\nfiles = [\"*.c\"]\ntarget = \"statement\"\n\
             action = \"drop\"\nexpect = 1\n[rule.match]\n{keys}\n"
        )
    };
    fs::write(
        tree.join("a.c"),
        "int mk(void)\n{\n\tint fd = -1;\n#ifdef HAVE_EPOLL_CREATE1\n\tfd = epoll_create1(0);\n\tlog_it(fd);\n#endif\n\tif (fd == -1)\n\t\tfd = epoll_create(32);\n\treturn fd;\n}\n",
    )
    .unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        &rule("condition = \"defined(HAVE_EPOLL_CREATE1)\"\ncalls = [\"epoll_create1\"]"),
    );
    let again = applied_then_quiet(dir.path(), &rules);
    assert!(
        stderr_of(&again).contains("already-applied"),
        "{}",
        stderr_of(&again)
    );

    fs::write(
        tree.join("a.c"),
        "int f(int p[2])\n{\n\tpipe2(p, 0);\n\treturn crc32(0);\n}\n",
    )
    .unwrap();
    for typo in ["pipe3", "pipe22", "crc31", "crc3"] {
        let rules = write(
            dir.path(),
            "t.toml",
            &rule(&format!("calls = [\"{typo}\"]")),
        );
        let output = run_with_rules(dir.path(), &rules, &["--check", "own"]);
        assert_exit(&output, 2);
        assert!(
            stderr_of(&output).contains("did you mean"),
            "{typo}: {}",
            stderr_of(&output)
        );
    }

    fs::write(tree.join("a.c"), "void jail(void)\n{\n\tunshare(0);\n}\n").unwrap();
    let typo = write(
        dir.path(),
        "u.toml",
        "[[rule]]\nid = \"u\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"drop\"\nexpect = 1\n\
         [rule.match]\ncondition = \"defined(HAVE_UNSHARE)\"\ncalls = [\"unshre\"]\n",
    );
    let output = run_with_rules(dir.path(), &typo, &["--check", "own"]);
    assert_exit(&output, 2);
    assert!(
        stderr_of(&output).contains("did you mean `unshare`?"),
        "{}",
        stderr_of(&output)
    );
}

/// A `keep` of `defined(STDC)` leaves the plain complement `#ifndef STDC … #endif` it never
/// selects: that is no sign of code the rule no longer fits, the second run is quiet.
#[test]
fn a_keep_beside_the_complement_of_its_condition_is_quiet_on_its_second_run() {
    let (dir, tree) = own_tree();
    fs::write(
        tree.join("a.h"),
        "#ifdef STDC\n#  include <string.h>\n#endif\n#ifndef STDC\nextern void *memcpy();\n#endif\n",
    )
    .unwrap();
    let rules = write(
        dir.path(),
        "r.toml",
        "[[rule]]\nid = \"stdc\"\nmessage = \"m\"\nfiles = [\"*.h\"]\naction = \"keep\"\nexpect = 1\n\
         [rule.match]\ncondition = \"defined(STDC)\"\nincludes = [\"string.h\"]\n",
    );
    let again = applied_then_quiet(dir.path(), &rules);
    assert!(
        stderr_of(&again).contains("already-applied"),
        "{}",
        stderr_of(&again)
    );
}
