//! `--explain`: snapshots of the explanations (in snapshots/, reviewed before acceptance), and
//! what the flag must not change: exit statuses, what is written, what standard output carries.

use std::fs;
use std::path::Path;
use std::process::Output;

use cdefang::{Detail, ParsedFile};

use crate::util::{
    apply_patch, assert_contains, assert_exit, assert_snapshot, el5_rules, files_under,
    read_testdata, run_at_root, run_with_rules, scratch, setup, write_rules,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `cdefang ARGS… --explain --check` run from the project root: its standard output, after
/// checking the exit status.
fn explain_check(args: &[&str], code: i32) -> String {
    let output = run_at_root(&[args, &["--explain", "--check"]].concat());
    assert_exit(&output, code);
    text(&output.stdout)
}

/// keep and replace-condition on testdata/constructs/keep-replace.c.
const KEEP_REPLACE: &str = r#"
[[rule]]
id = "keep-ssl"
message = "every build has SSL: keep the UWSGI_SSL branch"
files = ["*.c"]
action = "keep"

[rule.match]
condition = "defined(UWSGI_SSL)"

[[rule]]
id = "pcre2-too"
message = "without PCRE means without PCRE and PCRE2"
files = ["*.c"]
action = "replace-condition"
replacement = "!defined(UWSGI_PCRE) && !defined(UWSGI_PCRE2)"

[rule.match]
condition = "!defined(UWSGI_PCRE)"
"#;

#[test]
fn explains_the_el5_rules_on_the_uwsgi_shaped_tree() {
    let stdout = explain_check(&["--rules", "rules/el5.toml", "testdata/uwsgi"], 1);
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
    // The points the labels must make, at the right lines.
    assert_contains(
        &stdout,
        &[
            "note[drop-unshare-blocks]: EL4's glibc 2.3.4 has no unshare(): drop the namespace blocks of uwsgi_as_root()",
            "┌─ testdata/uwsgi/core/utils.c:22:5",
            "┌─ testdata/uwsgi/core/utils.c:60:5",
            "15 │ void uwsgi_as_root() {\n   │      ------------- inside `uwsgi_as_root`",
            "25 │         if (unshare(uwsgi.unshare)) {\n   │             ------- calls `unshare`",
            "= drop: lines 22–43 (22 lines) are removed: the `#if` line, its body and the `#endif` line",
            "= drop: lines 60–72 (13 lines) are removed",
            "note[stub-inotify]:",
            "┌─ testdata/uwsgi/core/event.c:18:8",
            "25 │ #else\n   │ ----- removed with its body",
            "┌─ testdata/uwsgi/core/fsmon.c:15:9",
            "13 │ static int fsmon_add(struct uwsgi_fsmon *fs) {\n   │            --------- inside `fsmon_add`",
            "1 match explained in testdata/uwsgi/core/event.c",
            "2 matches explained in testdata/uwsgi/core/fsmon.c",
            "2 matches explained in testdata/uwsgi/core/utils.c",
            "explain: 5 matches explained in 3 of 5 files",
        ],
    );
    // The block without a call and the one outside uwsgi_as_root are not explained.
    assert!(!stdout.contains("utils.c:45:"), "{stdout}");
    assert!(!stdout.contains("utils.c:84:"), "{stdout}");
    assert_snapshot(
        "explain-el5-uwsgi",
        "standard output of cdefang --rules rules/el5.toml --explain --check testdata/uwsgi",
        stdout,
    );
}

#[test]
fn explains_keep_and_replace_condition() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write_rules(dir.path(), KEEP_REPLACE).display().to_string();
    let stdout = explain_check(
        &["--rules", &rules, "testdata/constructs/keep-replace.c"],
        1,
    );
    assert_contains(
        &stdout,
        &[
            "= keep: line 3 (the `#ifdef` line) is removed; the body of `#ifdef` (line 4) stays; \
             lines 5–7 (3 lines) are removed: the `#else` line, its body and the `#endif` line",
            "condition `!defined(UWSGI_PCRE)` matches: becomes `#if !defined(UWSGI_PCRE) && !defined(UWSGI_PCRE2)`",
        ],
    );
    assert_snapshot(
        "explain-keep-replace",
        "standard output of cdefang --rules KEEP_REPLACE --explain --check testdata/constructs/keep-replace.c",
        stdout,
    );
}

#[test]
fn explains_resolve_from_the_command_line() {
    let stdout = explain_check(
        &[
            "-DBAR=2",
            "-DOBSOLETE_LINUX_KERNEL",
            "-UFOO",
            "testdata/constructs/resolve.c",
        ],
        1,
    );
    assert_contains(
        &stdout,
        &[
            "`BAR == 2 && defined(__linux__)` simplifies to `defined(__linux__)`: becomes `#if defined(__linux__)`",
            "16 │ #elif defined(Y)\n   │ ----- becomes `#if   defined(Y)`",
            "explain: 5 matches explained in 1 of 1 file",
        ],
    );
    // The nested `#ifdef NESTED` goes with the block around it: not explained on its own.
    assert!(!stdout.contains("resolve.c:24:"), "{stdout}");
    assert_snapshot(
        "explain-resolve",
        "standard output of cdefang -DBAR=2 -DOBSOLETE_LINUX_KERNEL -UFOO --explain --check testdata/constructs/resolve.c",
        stdout,
    );
}

#[test]
fn explains_nothing_when_nothing_matches() {
    let stdout = explain_check(
        &["--rules", "rules/el5.toml", "testdata/uwsgi/core/master.c"],
        0,
    );
    assert_eq!(stdout, "explain: no match in 1 file, nothing to explain\n");
    assert_snapshot(
        "explain-no-match",
        "standard output of cdefang --rules rules/el5.toml --explain --check testdata/uwsgi/core/master.c",
        stdout,
    );
}

fn run_el5(dir: &Path, args: &[&str]) -> Output {
    run_with_rules(dir, &el5_rules(), args)
}

#[test]
fn explain_changes_no_exit_status_and_writes_nothing_itself() {
    let dir = scratch();
    let before = files_under(dir.path());
    for mode in [&["--check"][..], &["--diff"], &["--stdout"]] {
        let path: &[&str] = if mode == ["--stdout"] {
            &["tree/core/utils.c"]
        } else {
            &["tree"]
        };
        let plain = run_el5(dir.path(), &[mode, path].concat());
        let explained = run_el5(dir.path(), &[mode, &["--explain"], path].concat());
        assert_eq!(plain.status.code(), Some(1), "{mode:?}");
        assert_eq!(explained.status.code(), plain.status.code(), "{mode:?}");
        assert_eq!(
            files_under(dir.path()),
            before,
            "{mode:?} --explain wrote a file"
        );
        if mode == ["--check"] {
            assert!(plain.stdout.is_empty());
            assert!(text(&explained.stdout).starts_with("note[stub-inotify]"));
        } else {
            // Standard output carries the result: the explanations go to standard error.
            assert_eq!(explained.stdout, plain.stdout, "{mode:?}");
            assert!(text(&explained.stderr).contains("note[drop-unshare-blocks]"));
        }
    }

    // Nothing to do: exit 0 either way.
    let quiet = run_el5(dir.path(), &["--check", "--explain", "tree/core/master.c"]);
    assert_exit(&quiet, 0);

    // Drift: exit 2, nothing written, and the explanations show what the rule found.
    let drifting = fs::read_to_string(el5_rules())
        .unwrap()
        .replace("expect = { min = 1, max = 2 }", "expect = 1");
    let rules = dir.path().join("drift.toml");
    fs::write(&rules, drifting).unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--explain", "tree"]);
    assert_exit(&output, 2);
    let stdout = text(&output.stdout);
    assert_eq!(stdout.matches("note[drop-unshare-blocks]").count(), 2);
    assert!(text(&output.stderr).contains("drift: rule `drop-unshare-blocks` found 2 match(es)"));
    let _ = fs::remove_file(&rules);
    assert_eq!(files_under(dir.path()), before, "nothing written on drift");

    // In place with --explain writes what in place without it writes.
    let explained = run_el5(dir.path(), &["--explain", "tree"]);
    assert_exit(&explained, 0);
    let other = scratch();
    run_el5(other.path(), &["tree"]);
    assert_eq!(files_under(dir.path()), files_under(other.path()));
}

/// Each explanation's hunk is a patch of the original that makes that match's change alone:
/// alone, it applies exactly where it says (no offset, no fuzz); together, in order, they make
/// what a run makes.
#[test]
fn the_hunks_of_the_explanations_are_patches_of_the_original() {
    let dir = scratch();
    let output = run_el5(dir.path(), &["--check", "--explain", "tree/core/utils.c"]);
    let stdout = text(&output.stdout);
    let mut hunks: Vec<String> = Vec::new();
    let mut in_hunk = false;
    for line in stdout.lines() {
        if line.starts_with("@@ ") {
            in_hunk = true;
            hunks.push(String::new());
        } else if line.is_empty() || !matches!(line.as_bytes()[0], b' ' | b'-' | b'+' | b'\\') {
            in_hunk = false;
        }
        if in_hunk && let Some(hunk) = hunks.last_mut() {
            hunk.push_str(line);
            hunk.push('\n');
        }
    }
    assert_eq!(hunks.len(), 2, "{stdout}");
    let header = "--- a/tree/core/utils.c\n+++ b/tree/core/utils.c\n";
    for hunk in &hunks {
        let alone = scratch();
        let report = apply_patch(
            alone.path(),
            format!("{header}{hunk}").as_bytes(),
            &["--fuzz=0"],
        );
        assert!(
            !report.contains("offset") && !report.contains("fuzz"),
            "{report}"
        );
    }
    apply_patch(
        dir.path(),
        format!("{header}{}", hunks.concat()).as_bytes(),
        &["--fuzz=0"],
    );
    let patched = fs::read(dir.path().join("tree/core/utils.c")).unwrap();
    let rewritten = scratch();
    run_el5(rewritten.path(), &["tree/core/utils.c"]);
    assert_eq!(
        patched,
        fs::read(rewritten.path().join("tree/core/utils.c")).unwrap()
    );
}

/// The engine records, for --explain, the function around a match even when the rule does not
/// ask for one, the span of its name, and the match's own edits.
#[test]
fn match_records_carry_what_explanations_need() {
    let setup = setup(KEEP_REPLACE);
    let source = read_testdata("constructs/keep-replace.c");
    let plain = cdefang::process(&source, "keep-replace.c", &setup).unwrap();
    assert_eq!(plain.matches[0].function, None);
    let detailed = cdefang::process_parsed(
        &ParsedFile::new(&source).unwrap(),
        "keep-replace.c",
        &setup,
        Detail { functions: true },
    )
    .unwrap();
    let keep = &detailed.matches[0];
    assert_eq!(keep.function.as_deref(), Some("uwsgi_setup"));
    let name = keep.function_name.clone().unwrap();
    assert_eq!(&source[name], b"uwsgi_setup");
    // keep: the `#ifdef` line, then `#else` to `#endif`.
    assert_eq!(keep.edits.len(), 2);
    assert!(keep.edits.iter().all(|edit| edit.text.is_empty()));
    assert_eq!(keep.group.len(), 3);
    assert!(keep.group[0].selected && !keep.group[1].selected);
    assert_eq!(&source[keep.group[2].keyword.clone()], b"#endif");
    let replace = &detailed.matches[1];
    assert_eq!(replace.edits.len(), 1);
    assert_eq!(
        replace.edits[0].text,
        b"if !defined(UWSGI_PCRE) && !defined(UWSGI_PCRE2)".to_vec()
    );
    assert_eq!(detailed.output, plain.output);
}
