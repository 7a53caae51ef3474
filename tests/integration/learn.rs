//! `cdefang learn`: rules learned from patches over testdata/learn/ (uWSGI-shaped files written
//! for these tests), with reviewed snapshots of the learned TOML in snapshots/; the learned rules
//! applied with `cdefang --rules` reproduce the patched files; the errors (a changed code line, a
//! missing file, a malformed or mismatched diff, blocks that cannot be told apart, a parse that
//! needs hints) name the file and line. Last, the real uWSGI 2.0.17 fix learned from
//! `unifdef -DOBSOLETE_LINUX_KERNEL` and applied unchanged to 1.9.21 and 2.0.30 (and the drift
//! alarm on 1.4.9): releases from the cache, or fetched from PyPI with CDEFANG_FETCH=1 (skipped,
//! saying so, without either; see util::uwsgi_releases).

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::util::{
    assert_contains, assert_exit, assert_file, assert_snapshot, assert_stderr, cdefang, copy_dir,
    el5_rules, read_testdata, root, run_at_root, run_with_rules, scratch, stderr_of, stdout_of,
    testdata, unifdef_utils, uwsgi_releases, write_rules,
};

/// Apply a learned rules file to a copy of testdata/learn/src and return `file` as rewritten
/// (`cdefang --rules learned.toml --stdout file`); also check that a second run over the
/// rewritten tree has nothing to do and raises no drift alarm.
fn apply_learned(toml: &str, file: &str) -> Vec<u8> {
    let work = tempfile::tempdir().unwrap();
    let rules = work.path().join("learned.toml");
    fs::write(&rules, toml).unwrap();
    let tree = work.path().join("tree");
    copy_dir(&testdata("learn/src"), &tree);
    let stdout = run_with_rules(&tree, &rules, &["--stdout", file]);
    assert_exit(&stdout, 1);

    let in_place = run_with_rules(work.path(), &rules, &["tree"]);
    assert_exit(&in_place, 0);
    assert_file(&tree.join(file), &stdout.stdout);
    let again = run_with_rules(work.path(), &rules, &["--check", "tree"]);
    assert_exit(&again, 0);
    stdout.stdout
}

/// `cdefang learn testdata/learn/unshare.patch --source testdata/learn/src HINTS…` from the
/// project root.
fn learn_unshare(hints: &[&str]) -> Output {
    let learn = [
        "learn",
        "testdata/learn/unshare.patch",
        "--source",
        "testdata/learn/src",
    ];
    run_at_root(&[&learn[..], hints].concat())
}

/// The rule learned from testdata/learn/unshare.patch drops the blocks that call unshare() in
/// uwsgi_as_root, both of them, and applied to testdata/learn/src it gives the patched file.
fn assert_reproduces_the_unshare_patch(toml: &str) {
    assert_contains(
        toml,
        &[
            "calls = [\"unshare\"]",
            "inside = \"uwsgi_as_root\"",
            "\nexpect = 2\n",
        ],
    );
    let rewritten = apply_learned(toml, "core/utils.c");
    assert_eq!(rewritten, read_testdata("learn/patched/core/utils.c"));
}

#[test]
fn learns_drop_unshare_from_a_patch_and_reproduces_it() {
    // a/ b/ prefixes (-p1); two blocks call unshare() in uwsgi_as_root, a third block with the
    // same condition in the same function does not and stays, a fourth calls unshare() in
    // another function and stays.
    let output = learn_unshare(&["--statement-macro", "uwsgi_foreach"]);
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout.clone()).unwrap();
    assert_snapshot(
        "learn-drop-unshare",
        "rules learned from testdata/learn/unshare.patch (standard output of cdefang learn)",
        &toml,
    );
    assert_reproduces_the_unshare_patch(&toml);
    let stderr = stderr_of(&output);
    assert_contains(
        &stderr,
        &[
            "cdefang learn: learned-drop-unshare: drop, 2 matches in core/utils.c",
            "verified",
        ],
    );
}

/// The parsing hints of a rules file (--hints, as the real-release test below gives
/// rules/uwsgi-parse.toml) serve as --statement-macro does, and are repeated in the learned file
/// so that it parses what it was learned on.
#[test]
fn learns_with_the_parsing_hints_of_a_rules_file() {
    let output = learn_unshare(&["--hints", "rules/uwsgi-parse.toml"]);
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_contains(
        &toml,
        &["statement_macros = [\"uwsgi_foreach\", \"uwsgi_foreach_token\"]"],
    );
    assert_reproduces_the_unshare_patch(&toml);
}

/// A rule learned on one tree applies unchanged to another where the code has moved, and its
/// exact `expect` raises the drift alarm where a block is gone (offline, what the real-release
/// test below checks on 1.9.21, 2.0.30 and 1.4.9): testdata/uwsgi's core/utils.c has the two
/// blocks at other lines, and the shipped el5 rule gives the same result there.
#[test]
fn a_learned_rule_applies_unchanged_where_the_code_moved() {
    let learned = learn_unshare(&["--statement-macro", "uwsgi_foreach"]);
    assert_exit(&learned, 0);
    let dir = scratch();
    let rules = write_rules(dir.path(), &stdout_of(&learned));
    let tree = dir.path().join("tree");
    let ours = run_with_rules(&tree, &rules, &["--stdout", "core/utils.c"]);
    assert_exit(&ours, 1);
    let shipped = run_with_rules(&tree, &el5_rules(), &["--stdout", "core/utils.c"]);
    assert_exit(&shipped, 1);
    assert!(
        ours.stdout == shipped.stdout,
        "the learned rule's core/utils.c differs from the el5 rules'"
    );

    // One of the two blocks under another condition: 1 match where the rule expects 2.
    let utils = tree.join("core/utils.c");
    let one_block = fs::read_to_string(&utils).unwrap().replacen(
        "#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\n",
        "#ifdef __linux__\n",
        1,
    );
    fs::write(&utils, one_block).unwrap();
    let drift = run_with_rules(&tree, &rules, &["--stdout", "core/utils.c"]);
    assert_stderr(
        &drift,
        2,
        &["drift: rule `learned-drop-unshare` found 1 match(es), expected 2 match(es)"],
    );
    assert!(drift.stdout.is_empty());
}

#[test]
fn learns_resolve_from_an_unifdef_patch_with_plain_paths() {
    // `diff -u event.c <(unifdef -DOBSOLETE_LINUX_KERNEL event.c)`, plain paths (-p0): both
    // conditionals keep their OBSOLETE_LINUX_KERNEL branch; diff aligned a line of the removed
    // branch with the kept one, which learn sees through. Written with --output.
    let work = tempfile::tempdir().unwrap();
    let learned = work.path().join("learned.toml");
    let output = cdefang(&root())
        .args([
            "learn",
            "testdata/learn/inotify.patch",
            "--source",
            "testdata/learn/src",
            "-q",
            "--output",
        ])
        .arg(&learned)
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty());
    assert!(output.stderr.is_empty(), "{}", stderr_of(&output));
    let toml = fs::read_to_string(&learned).unwrap();
    assert_snapshot(
        "learn-resolve-inotify",
        "rules learned from testdata/learn/inotify.patch (cdefang learn --output)",
        &toml,
    );
    assert_contains(
        &toml,
        &[
            "action = \"resolve\"",
            "define = [\"OBSOLETE_LINUX_KERNEL\"]",
        ],
    );

    let rewritten = apply_learned(&toml, "core/event.c");
    assert_eq!(rewritten, read_testdata("learn/patched/core/event.c"));
}

#[test]
fn learns_replace_condition_from_a_rewritten_directive() {
    let output = run_at_root(&[
        "learn",
        "testdata/learn/el5-condition.patch",
        "--source",
        "testdata/learn/src",
    ]);
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    let rule = &toml[toml.find("[[rule]]").unwrap()..];
    for line in [
        "action = \"replace-condition\"",
        "replacement = \"defined(OBSOLETE_LINUX_KERNEL) || defined(EL5)\"",
        "expect = 1",
        "condition = \"defined(OBSOLETE_LINUX_KERNEL)\"",
    ] {
        assert!(rule.lines().any(|l| l == line), "`{line}` not in:\n{toml}");
    }
    let rewritten = apply_learned(&toml, "core/event.c");
    let original = String::from_utf8(read_testdata("learn/src/core/event.c")).unwrap();
    assert_eq!(
        String::from_utf8(rewritten).unwrap(),
        original.replace(
            "#ifdef OBSOLETE_LINUX_KERNEL\n",
            "#if defined(OBSOLETE_LINUX_KERNEL) || defined(EL5)\n"
        )
    );
}

/// `cdefang learn` on a patch of one file, both written in a scratch directory (the file under
/// `src/`, given as --source): the directory (kept while the caller holds it), `src/` and the
/// output.
fn learn_one(file: &str, original: &str, patch: &str) -> (tempfile::TempDir, PathBuf, Output) {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("src");
    fs::create_dir_all(&source).unwrap();
    fs::write(source.join(file), original).unwrap();
    let patch_file = work.path().join("learn.patch");
    fs::write(&patch_file, patch).unwrap();
    let output = cdefang(&root())
        .arg("learn")
        .arg(&patch_file)
        .arg("--source")
        .arg(&source)
        .output()
        .unwrap();
    (work, source, output)
}

#[test]
fn learns_keep_when_no_assumption_explains_the_kept_branch() {
    // `#if UWSGI_VERSION > 2` kept without its directives: no defined/undefined symbol makes
    // it true, so the rule is `keep` on that condition (and the #else goes).
    let (_work, _, output) = learn_one(
        "version.c",
        "int version(void) {\n#if UWSGI_VERSION > 2\n\treturn 2;\n#else\n\treturn 1;\n#endif\n}\n",
        "--- version.c\n+++ version.c\n@@ -1,7 +1,3 @@\n int version(void) {\n-#if UWSGI_VERSION > 2\n \treturn 2;\n-#else\n-\treturn 1;\n-#endif\n }\n",
    );
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_contains(
        &toml,
        &[
            "\naction = \"keep\"\n",
            "\ncondition = \"(UWSGI_VERSION > 2)\"\n",
            "\nexpect = 1\n",
        ],
    );
}

#[test]
fn learns_one_resolve_for_every_conditional_an_unifdef_patch_changes() {
    // `unifdef -UHAVE_ARC`: the #else body of the first conditional stays; the second is true
    // under -UHAVE_ARC (and under -DHAVE_ADD, which the patch does not mean) and keeps its
    // body; the third is false and goes whole (alone, a `drop`). One rule, as one unifdef.
    let original = "#ifdef HAVE_ARC\nint a;\n#else\nint b;\n#endif\nint m;\n\
                    #if !defined(HAVE_ARC) || defined(HAVE_ADD)\nint c;\n#endif\n\
                    #if defined(HAVE_ARC) && defined(HAVE_ADD)\nint d;\n#endif\n";
    let (work, source, output) = learn_one(
        "a.c",
        original,
        "--- a.c\n+++ a.c\n@@ -1,12 +1,3 @@\n-#ifdef HAVE_ARC\n-int a;\n-#else\n int b;\n-#endif\n int m;\n\
         -#if !defined(HAVE_ARC) || defined(HAVE_ADD)\n int c;\n-#endif\n\
         -#if defined(HAVE_ARC) && defined(HAVE_ADD)\n-int d;\n-#endif\n",
    );
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_contains(
        &toml,
        &[
            "\naction = \"resolve\"\nundef = [\"HAVE_ARC\"]\n",
            "\nexpect = 3\n",
            "\nuses = [\"HAVE_ARC\"]\n",
        ],
    );
    assert_eq!(toml.matches("[[rule]]").count(), 1, "{toml}");
    let rules = write_rules(work.path(), &toml);
    assert_exit(&run_with_rules(&source, &rules, &["a.c"]), 0);
    assert_file(&source.join("a.c"), b"int b;\nint m;\nint c;\n");
    assert_exit(&run_with_rules(&source, &rules, &["--check", "a.c"]), 0);
}

#[test]
fn resolves_that_assume_a_symbol_both_ways_are_told_apart() {
    // A hand-made patch takes the #else of one `#ifdef B` (-UB) and the body of another (-DB):
    // two rules, and neither selects the other's conditional (each by its condition and a call).
    let (work, source, output) = learn_one(
        "b.c",
        "void f(void)\n{\n#ifdef B\n\tx();\n#else\n\ty();\n#endif\n\tm();\n#ifdef B\n\tw();\n#endif\n}\n",
        "--- b.c\n+++ b.c\n@@ -1,12 +1,6 @@\n void f(void)\n {\n-#ifdef B\n-\tx();\n-#else\n \ty();\n-#endif\n \tm();\n\
         -#ifdef B\n \tw();\n-#endif\n }\n",
    );
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_contains(
        &toml,
        &[
            "undef = [\"B\"]",
            "define = [\"B\"]",
            "calls = [\"x\"]",
            "calls = [\"w\"]",
        ],
    );
    let rules = write_rules(work.path(), &toml);
    assert_exit(&run_with_rules(&source, &rules, &["b.c"]), 0);
    assert_file(
        &source.join("b.c"),
        b"void f(void)\n{\n\ty();\n\tm();\n\tw();\n}\n",
    );
}

#[test]
fn learns_the_drop_of_an_else_by_the_condition_it_is_taken_under() {
    // The `#else` of `#ifdef HAVE_ACCEPT4` removed whole: `drop` on `!defined(HAVE_ACCEPT4)`;
    // after an `#elif`, the negation of both conditions. Verified by learn itself (the rules
    // reproduce the patch), and applied here again; a second run finds them applied.
    let original = "#ifdef HAVE_ACCEPT4\nint a4;\n#else\nstruct no_accept4 no_a4;\n#endif\n\
                    #if A\nint a;\n#elif B\nint b;\n#else\nstruct only_c c;\n#endif\n";
    let (work, source, output) = learn_one(
        "net.c",
        original,
        "--- net.c\n+++ net.c\n@@ -1,12 +1,8 @@\n #ifdef HAVE_ACCEPT4\n int a4;\n-#else\n-struct no_accept4 no_a4;\n #endif\n \
         #if A\n int a;\n #elif B\n int b;\n-#else\n-struct only_c c;\n #endif\n",
    );
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_contains(
        &toml,
        &[
            "\ncondition = \"!defined(HAVE_ACCEPT4)\"\nstructs = [\"no_accept4\"]\n",
            "\ncondition = \"!A && !B\"\nstructs = [\"only_c\"]\n",
        ],
    );
    let rules = write_rules(work.path(), &toml);
    let rewritten = run_with_rules(&source, &rules, &["net.c"]);
    assert_exit(&rewritten, 0);
    assert_file(
        &source.join("net.c"),
        b"#ifdef HAVE_ACCEPT4\nint a4;\n#endif\n#if A\nint a;\n#elif B\nint b;\n#endif\n",
    );
    assert_exit(&run_with_rules(&source, &rules, &["--check", "net.c"]), 0);
}

#[test]
fn learn_parses_with_the_macros_of_the_trees_headers_as_a_run_does() {
    // util.h says `#define local static`; a run over src/ reads `local int f(…)` with it, and so
    // does learn, for a block (the conditional learner) and for a statement (the line and
    // statement learner).
    let original = "#include \"util.h\"\n#include <unistd.h>\nlocal int f(int fd)\n{\n#ifdef HAVE_FSYNC\n    fsync(fd);\n#endif\n    sync();\n    return close(fd);\n}\n";
    for (patch, patched) in [
        (
            "--- a.c\n+++ a.c\n@@ -2,9 +2,6 @@\n #include <unistd.h>\n local int f(int fd)\n {\n-#ifdef HAVE_FSYNC\n-    fsync(fd);\n-#endif\n     sync();\n     return close(fd);\n }\n",
            "#include \"util.h\"\n#include <unistd.h>\nlocal int f(int fd)\n{\n    sync();\n    return close(fd);\n}\n",
        ),
        (
            "--- a.c\n+++ a.c\n@@ -6,5 +6,4 @@\n     fsync(fd);\n #endif\n-    sync();\n     return close(fd);\n }\n",
            "#include \"util.h\"\n#include <unistd.h>\nlocal int f(int fd)\n{\n#ifdef HAVE_FSYNC\n    fsync(fd);\n#endif\n    return close(fd);\n}\n",
        ),
    ] {
        let work = tempfile::tempdir().unwrap();
        let source = work.path().join("src");
        fs::create_dir_all(&source).unwrap();
        fs::write(source.join("util.h"), "#define local static\n").unwrap();
        fs::write(source.join("a.c"), original).unwrap();
        fs::write(work.path().join("learn.patch"), patch).unwrap();
        let output = cdefang(work.path())
            .args([
                "learn",
                "learn.patch",
                "--source",
                "src",
                "-o",
                "learned.toml",
            ])
            .output()
            .unwrap();
        assert_exit(&output, 0);
        let rules = work.path().join("learned.toml");
        let rewritten = run_with_rules(work.path(), &rules, &["src"]);
        assert_exit(&rewritten, 0);
        assert_file(&source.join("a.c"), patched.as_bytes());
    }
}

/// Exit 2, nothing on standard output, and each of `wanted` in the diagnostics.
fn assert_refused(output: &Output, wanted: &[&str]) {
    let stderr = stderr_of(output);
    assert_exit(output, 2);
    assert!(output.stdout.is_empty(), "nothing is written on trouble");
    assert_contains(&stderr, wanted);
}

#[test]
fn a_hunk_changing_a_code_line_is_refused_with_its_location() {
    let output = run_at_root(&[
        "learn",
        "testdata/learn/code-line.patch",
        "--source",
        "testdata/learn/src",
    ]);
    assert_refused(
        &output,
        &[
            // It touches no conditional: the line and statement learner says which hunk and why.
            "error: hunk 1 of core/utils.c cannot be learned: it replaces 1 line(s) by 1, which is neither a changed #include header nor a changed #define value",
            "┌─ testdata/learn/src/core/utils.c:60:1",
            "uwsgi_error(\"setuid()\");",
            "changed by hunk 1",
            "note: the patch changes it at testdata/learn/code-line.patch:7",
            "help: learn reads, outside conditionals, removed #include",
        ],
    );
}

#[test]
fn a_patch_for_a_missing_file_is_refused() {
    let output = run_at_root(&[
        "learn",
        "testdata/learn/missing-file.patch",
        "--source",
        "testdata/learn/src",
    ]);
    assert_refused(
        &output,
        &[
            "error: a/core/missing.c: no such file under testdata/learn/src (tried -p0 and -p1: testdata/learn/src/a/core/missing.c, testdata/learn/src/core/missing.c)",
            "┌─ testdata/learn/missing-file.patch:1:1",
            "help: give --source the directory the patch's paths are relative to",
        ],
    );
}

#[test]
fn a_malformed_diff_is_refused() {
    let output = run_at_root(&[
        "learn",
        "testdata/learn/malformed.patch",
        "--source",
        "testdata/learn/src",
    ]);
    assert_refused(
        &output,
        &[
            "error: malformed patch: a line in a hunk must start with ' ', '-', '+' or '\\'",
            "┌─ testdata/learn/malformed.patch:18:1",
            "this line is not part of a unified diff",
            "help: give a unified diff",
        ],
    );

    let work = tempfile::tempdir().unwrap();
    let not_a_diff = work.path().join("notes.txt");
    fs::write(&not_a_diff, "fix the unshare blocks\n").unwrap();
    let output = cdefang(&root())
        .arg("learn")
        .arg(&not_a_diff)
        .args(["--source", "testdata/learn/src"])
        .output()
        .unwrap();
    assert_refused(&output, &["error: malformed patch: no unified diff in it"]);
}

#[test]
fn a_patch_of_other_sources_is_refused() {
    // unshare.patch against testdata/uwsgi, whose core/utils.c is another file.
    let output = run_at_root(&[
        "learn",
        "testdata/learn/unshare.patch",
        "--source",
        "testdata/uwsgi",
    ]);
    assert_refused(
        &output,
        &[
            "error: the patch does not match testdata/uwsgi/core/utils.c: line 11 is",
            "┌─ testdata/learn/unshare.patch:4:1",
            "help: learn needs the patch of exactly these sources",
        ],
    );
}

#[test]
fn a_block_that_needs_parsing_hints_is_refused_with_the_way_out() {
    // uwsgi_as_root uses uwsgi_foreach(…) { … }, which lang-c reads only as a statement macro:
    // learn reads it from uwsgi.h's `#define`, as a run does; in a tree whose headers do not
    // define it, only a hint says so.
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("src");
    copy_dir(&testdata("learn/src"), &source);
    let header = fs::read_to_string(source.join("uwsgi.h")).unwrap();
    let without = header.replace(
        "#define uwsgi_foreach(x, y) for (x = y; x; x = x->next)\n",
        "",
    );
    assert_ne!(header, without);
    fs::write(source.join("uwsgi.h"), without).unwrap();
    let output = cdefang(work.path())
        .arg("learn")
        .arg(testdata("learn/unshare.patch"))
        .args(["--source", "src"])
        .output()
        .unwrap();
    assert_refused(
        &output,
        &[
            "error: lang-c cannot parse the code around a block of src/core/utils.c the rule must describe",
            "┌─ src/core/utils.c:54:",
            "help: declare the macros or type names that hide C syntax: --hints FILE",
        ],
    );
    assert_exit(&learn_unshare(&[]), 0);
}

#[test]
fn blocks_that_cannot_be_told_apart_are_refused() {
    // The patch removes one of two blocks that share condition, function and body.
    let block = "#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\n\tif (unshare(flags))\n\t\treturn -1;\n#endif\n";
    let original = format!("int jail(int flags) {{\n{block}\tflags++;\n{block}\treturn 0;\n}}\n");
    let (_work, source, output) = learn_one(
        "jail.c",
        &original,
        "--- jail.c\n+++ jail.c\n@@ -6,7 +6,3 @@\n \tflags++;\n-#if defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\n-\tif (unshare(flags))\n-\t\treturn -1;\n-#endif\n \treturn 0;\n }\n",
    );
    let name = source.join("jail.c").display().to_string();
    assert_refused(
        &output,
        &[
            &format!(
                "error: cannot tell the blocks the patch changes from a block of {name} it leaves alone"
            ),
            &format!("┌─ {name}:2:"),
            "left alone by the patch, yet it has everything the changed blocks share",
            "changed by the patch",
        ],
    );
}

#[test]
fn a_drop_with_nothing_to_name_what_it_removes_is_refused() {
    // `int cloexec = 0;` declares cloexec (no identifier it uses), `cloexec = 1;` uses it: the
    // blocks share no name, and a `drop` rule without one would raise the drift alarm on its
    // second run (no evidence of the drop). Nothing is written.
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("src");
    fs::create_dir_all(&source).unwrap();
    fs::write(
        source.join("a.c"),
        "#include <fcntl.h>\nint op(const char *p, int e)\n{\n    int fl = 0;\n#ifdef O_CLOEXEC\n    int cloexec = 0;\n#endif\n    if (e) {\n#ifdef O_CLOEXEC\n        cloexec = 1;\n#endif\n    }\n    return open(p, fl);\n}\n",
    )
    .unwrap();
    fs::write(
        work.path().join("learn.patch"),
        "--- a.c\n+++ a.c\n@@ -2,13 +2,7 @@\n int op(const char *p, int e)\n {\n     int fl = 0;\n-#ifdef O_CLOEXEC\n-    int cloexec = 0;\n-#endif\n     if (e) {\n-#ifdef O_CLOEXEC\n-        cloexec = 1;\n-#endif\n     }\n     return open(p, fl);\n }\n",
    )
    .unwrap();
    let output = cdefang(work.path())
        .args([
            "learn",
            "learn.patch",
            "--source",
            "src",
            "-o",
            "learned.toml",
        ])
        .output()
        .unwrap();
    let name = PathBuf::from("src").join("a.c").display().to_string();
    assert_refused(
        &output,
        &[
            &format!(
                "error: cannot name what the patch removes from {name}: no call, #include, identifier or struct tag is in every block it removes"
            ),
            &format!("┌─ {name}:5:1"),
            "removed by the patch",
            "removed too",
            "does not raise the drift alarm",
            "write the rule by hand",
        ],
    );
    assert!(!work.path().join("learned.toml").exists());
}

#[test]
fn plain_usage_still_works_next_to_the_subcommand() {
    // `cdefang [OPTIONS] PATH...` is unchanged; options of the top level and the subcommand do
    // not mix.
    let output = run_at_root(&["--symbols", "testdata/learn/src/core/event.c"]);
    assert_exit(&output, 0);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "OBSOLETE_LINUX_KERNEL 2\n__linux__ 1\n"
    );
    let output = run_at_root(&[
        "--rules",
        "rules/el5.toml",
        "learn",
        "testdata/learn/unshare.patch",
        "--source",
        "testdata/learn/src",
    ]);
    assert_exit(&output, 2);
    let output = run_at_root(&["learn", "testdata/learn/unshare.patch"]);
    assert_exit(&output, 2);
    assert!(stderr_of(&output).contains("--source <DIR>"));
}

// The real release.

#[test]
fn rule_learned_from_uwsgi_2_0_17_gives_unifdef_output_on_1_9_21_and_2_0_30() {
    let Some(releases) = uwsgi_releases(&["2.0.17", "1.9.21", "2.0.30", "1.4.9"]) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let release = &releases[0];

    // The fixed-line fix people use: core/utils.c against its unifdef output.
    let fixed = work.path().join("utils.c");
    fs::write(&fixed, unifdef_utils(release)).unwrap();
    let diff = Command::new("diff")
        .arg("-u")
        .arg("core/utils.c")
        .arg(&fixed)
        .current_dir(release)
        .output()
        .expect("run diff");
    assert_eq!(diff.status.code(), Some(1), "diff found the differences");
    let patch = work.path().join("utils.patch");
    fs::write(&patch, &diff.stdout).unwrap();

    let learned = work.path().join("learned.toml");
    let output = cdefang(&root())
        .arg("learn")
        .arg(&patch)
        .arg("--source")
        .arg(release)
        .arg("--hints")
        .arg(root().join("rules/uwsgi-parse.toml"))
        .arg("--output")
        .arg(&learned)
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let toml = fs::read_to_string(&learned).unwrap();
    let rule = &toml[toml.find("[[rule]]").unwrap()..];
    for line in [
        "id = \"learned-drop-unshare\"",
        "files = [\"core/utils.c\"]",
        "action = \"drop\"",
        "expect = 2",
        "condition = \"defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)\"",
        "calls = [\"unshare\"]",
        "inside = \"uwsgi_as_root\"",
    ] {
        assert!(rule.lines().any(|l| l == line), "`{line}` not in:\n{toml}");
    }

    // The learned rule, unchanged, on other releases: the oracle's result where the code has
    // moved (1.9.21, 2.0.30: two blocks each, at other lines).
    for (version, release) in ["2.0.17", "1.9.21", "2.0.30"].iter().zip(&releases) {
        let ours = run_with_rules(release, &learned, &["--stdout", "core/utils.c"]);
        assert_eq!(
            ours.status.code(),
            Some(1),
            "{version}: {}",
            stderr_of(&ours)
        );
        assert!(
            ours.stdout == unifdef_utils(release),
            "{version}: the learned rule's core/utils.c differs from unifdef's"
        );
    }

    // 1.4.9 has one such block: the exact `expect = 2` raises the drift alarm there, on purpose.
    let drift = run_with_rules(&releases[3], &learned, &["--stdout", "core/utils.c"]);
    assert_exit(&drift, 2);
    assert!(drift.stdout.is_empty());
    assert!(
        stderr_of(&drift)
            .contains("drift: rule `learned-drop-unshare` found 1 match(es), expected 2 match(es)"),
        "{}",
        stderr_of(&drift)
    );
}

#[test]
fn a_crlf_copy_of_a_patch_and_a_path_out_of_the_source_are_refused_saying_why() {
    let work = tempfile::tempdir().unwrap();
    let patch = read_testdata("learn/unshare.patch");
    let crlf: Vec<u8> = patch
        .split_inclusive(|&byte| byte == b'\n')
        .flat_map(|line| match line.strip_suffix(b"\n") {
            Some(text) => [text, b"\r\n"].concat(),
            None => line.to_vec(),
        })
        .collect();
    let crlf_patch = work.path().join("crlf.patch");
    fs::write(&crlf_patch, crlf).unwrap();
    let crlf_patch = crlf_patch.display().to_string();
    let output = run_at_root(&["learn", &crlf_patch, "--source", "testdata/learn/src"]);
    assert_refused(
        &output,
        &[
            "error: the patch does not match",
            "help: the line endings differ (CRLF on one side, LF on the other)",
        ],
    );

    let text = String::from_utf8(patch).unwrap();
    let climbing = text
        .replace("--- a/core/utils.c", "--- a/../../etc/passwd")
        .replace("+++ b/core/utils.c", "+++ b/../../etc/passwd");
    assert_ne!(climbing, text, "the fixture names a/core/utils.c");
    let climbing_patch = work.path().join("climbing.patch");
    fs::write(&climbing_patch, climbing).unwrap();
    let climbing_patch = climbing_patch.display().to_string();
    let output = run_at_root(&["learn", &climbing_patch, "--source", "testdata/learn/src"]);
    assert_refused(
        &output,
        &[
            "a/../../etc/passwd: not a path under testdata/learn/src (absolute, or it climbs out with `..`)",
        ],
    );
}

/// A block removed whole whose only name sits in a nested conditional that has an `#else`:
/// the patch took the alternatives with it, so the learned drop says `scope = "nested"` (the
/// run would refuse it otherwise), reproduces the patch and is quiet on a second run.
#[test]
fn learns_scope_nested_for_a_block_removed_with_its_nested_alternatives() {
    let (work, source, output) = learn_one(
        "a.c",
        "void f(void) {\n#ifdef A\n#ifdef B\n\tb();\n#else\n\tc();\n#endif\n#endif\n\tz();\n}\n",
        "--- a.c\n+++ a.c\n@@ -1,10 +1,3 @@\n void f(void) {\n-#ifdef A\n-#ifdef B\n-\tb();\n-#else\n-\tc();\n-#endif\n-#endif\n \tz();\n }\n",
    );
    assert_exit(&output, 0);
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_contains(
        &toml,
        &["\nscope = \"nested\"\n", "\ncondition = \"defined(A)\"\n"],
    );
    let rules = write_rules(work.path(), &toml);
    assert_exit(&run_with_rules(&source, &rules, &["a.c"]), 0);
    assert_eq!(
        fs::read_to_string(source.join("a.c")).unwrap(),
        "void f(void) {\n\tz();\n}\n"
    );
    assert_exit(&run_with_rules(&source, &rules, &["--check", "a.c"]), 0);
}
