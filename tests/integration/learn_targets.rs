//! `cdefang learn` on patches that edit lines and statements, not conditionals: the hand-made
//! patches of testdata/learn/targets/ (a removed epoll #include, a `#ifdef PR_SET_PDEATHSIG`
//! guard added around two prctl() statements, a guard spelled `#if   !defined(__sun__)` added
//! around an #undef, a removed statement) over the uWSGI-shaped files of its src/, each
//! reproduced exactly by the learned rules (snapshots of the learned TOML in snapshots/); the
//! learned rules applied to real uWSGI releases; and the patches learn cannot explain, named by
//! hunk with the reason.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::util::{
    apply_patch, assert_exit, assert_snapshot, assert_stderr, cdefang, copy_dir, files_under, root,
    run_at_root, run_with_rules, stderr_of, stdout_of, testdata, uwsgi_releases,
};

/// `cdefang learn -q PATCH --source SOURCE -o LEARNED`, which must succeed: the learned text.
fn learn_to(patch: &Path, source: &Path, learned: &Path) -> String {
    let output = cdefang(&root())
        .args(["learn", "-q"])
        .arg(patch)
        .arg("--source")
        .arg(source)
        .arg("-o")
        .arg(learned)
        .output()
        .unwrap();
    assert_exit(&output, 0);
    fs::read_to_string(learned).unwrap()
}

/// `cdefang learn testdata/learn/targets/NAME.patch --source testdata/learn/targets/src`.
fn learn(name: &str) -> Output {
    run_at_root(&[
        "learn",
        &format!("testdata/learn/targets/{name}.patch"),
        "--source",
        "testdata/learn/targets/src",
    ])
}

/// The learned rules applied to a copy of `src`: the tree equals `patched` byte for byte, and a
/// second run has nothing to do.
fn assert_reproduces(toml: &str, patched: &str) {
    let work = tempfile::tempdir().unwrap();
    let rules = work.path().join("learned.toml");
    fs::write(&rules, toml).unwrap();
    let tree = work.path().join("tree");
    copy_dir(&testdata("learn/targets/src"), &tree);
    assert_exit(&run_with_rules(work.path(), &rules, &["tree"]), 0);
    assert_eq!(
        files_under(&tree),
        files_under(&testdata(&format!("learn/targets/{patched}"))),
        "the learned rules give the patched tree"
    );
    assert_exit(
        &run_with_rules(work.path(), &rules, &["--check", "tree"]),
        0,
    );
}

#[test]
fn learns_each_hand_made_patch_and_reproduces_it_exactly() {
    for (name, wanted) in [
        (
            "epoll",
            &[
                "target = \"include\"",
                "action = \"drop\"",
                "includes = [\"sys/epoll.h\"]",
                "expect = 1",
            ][..],
        ),
        (
            "pdeathsig",
            &[
                "target = \"statement\"",
                "action = \"guard\"",
                "guard = \"#ifdef PR_SET_PDEATHSIG\"",
                "mentions = [\"PR_SET_PDEATHSIG\"]",
                "expect = 2",
            ][..],
        ),
        (
            "undef",
            &[
                "target = \"define\"",
                "guard = \"#if   !defined(__sun__)\"",
                "undefs = [\"_XOPEN_SOURCE\"]",
            ][..],
        ),
        (
            "name",
            &[
                "target = \"statement\"",
                "action = \"drop\"",
                "mentions = [\"PR_SET_NAME\"]",
            ][..],
        ),
    ] {
        let output = learn(name);
        assert_exit(&output, 0);
        let toml = stdout_of(&output);
        for line in wanted {
            assert!(toml.contains(line), "{name}: no {line:?} in\n{toml}");
        }
        assert_snapshot(
            &format!("learn-target-{name}"),
            &format!("rules learned from testdata/learn/targets/{name}.patch"),
            &toml,
        );
        assert_reproduces(&toml, &format!("patched-{name}"));
    }
}

#[test]
fn learns_a_patch_of_several_shapes_as_one_rule_each() {
    let work = tempfile::tempdir().unwrap();
    let patch = work.path().join("both.patch");
    let mut text = fs::read(testdata("learn/targets/epoll.patch")).unwrap();
    text.extend(fs::read(testdata("learn/targets/pdeathsig.patch")).unwrap());
    fs::write(&patch, text).unwrap();
    let output = cdefang(&root())
        .arg("learn")
        .arg(&patch)
        .args(["--source", "testdata/learn/targets/src"])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let toml = stdout_of(&output);
    assert_eq!(toml.matches("[[rule]]").count(), 2, "{toml}");
    assert!(toml.contains("id = \"learned-drop-sys-epoll-h\""), "{toml}");
    assert!(
        toml.contains("id = \"learned-guard-pr-set-pdeathsig\""),
        "{toml}"
    );
}

#[test]
fn a_patch_learn_cannot_explain_names_the_hunk_and_why() {
    let src = testdata("learn/targets/src");
    let emperor = fs::read_to_string(src.join("core/emperor.c")).unwrap();
    for (patched, wanted) in [
        (
            emperor.replace("\tint has_children = 0;\n", "\tint has_children = 0;\n\tsignal(SIGPIPE, SIG_IGN);\n"),
            "hunk 1 of core/emperor.c cannot be learned: it adds 1 line(s) (`\tsignal(SIGPIPE, SIG_IGN);`) without removing any",
        ),
        (
            emperor.replace("uwsgi_log(\"*** starting", "uwsgi_log(\"*** Starting"),
            "hunk 1 of core/emperor.c cannot be learned: it replaces 1 line(s) by 1, which is neither a changed #include header nor a changed #define value",
        ),
        (
            emperor.replace(
                "\tuwsgi_log(\"*** starting uWSGI Emperor ***\\n\");\n\tfor (;;) {",
                "#ifdef X\n\tuwsgi_log(\"*** starting uWSGI Emperor ***\\n\");\n\tfor (;;) {\n#endif",
            ),
            "are not one whole statement, declaration or #include/#define line",
        ),
        (
            emperor.replace("\t\t\tuwsgi_error(\"prctl()\");\n\t\t}\n#endif\n\t\temperor_loop();", "\t\t\tuwsgi_error(\"prctl()\");\n#endif\n\t\temperor_loop();"),
            "line 41 (`\t\t}`) is not the start of a whole statement or declaration it removes",
        ),
    ] {
        let work = tempfile::tempdir().unwrap();
        fs::create_dir_all(work.path().join("new/core")).unwrap();
        fs::write(work.path().join("new/core/emperor.c"), &patched).unwrap();
        let diff = std::process::Command::new("diff")
            .args(["-u", "--label", "a/core/emperor.c", "--label", "b/core/emperor.c"])
            .arg(src.join("core/emperor.c"))
            .arg(work.path().join("new/core/emperor.c"))
            .output()
            .unwrap();
        let patch = work.path().join("change.patch");
        fs::write(&patch, &diff.stdout).unwrap();
        let output = cdefang(&root())
            .arg("learn")
            .arg(&patch)
            .arg("--source")
            .arg(&src)
            .output()
            .unwrap();
        assert_stderr(
            &output,
            2,
            &[wanted, "emperor.c:", "note: the patch changes it at ", "change.patch:", "= help: learn reads"],
        );
        assert!(output.stdout.is_empty());
    }
}

/// The rules learned from the hand-made patches, applied unchanged to real releases (with
/// uWSGI's parse hints): the same edits the shipped examples make.
#[test]
fn learned_rules_apply_to_real_releases() {
    let Some(releases) = uwsgi_releases(&["1.9.21", "2.0.17", "2.0.30"]) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut learned = Vec::new();
    for name in ["epoll", "pdeathsig", "undef"] {
        let output = learn(name);
        assert_exit(&output, 0);
        let path = work.path().join(format!("{name}.toml"));
        fs::write(&path, &output.stdout).unwrap();
        learned.push(path);
    }
    for release in releases {
        let tree = work.path().join("tree");
        let _ = fs::remove_dir_all(&tree);
        copy_dir(&release, &tree);
        let mut command = cdefang(&root());
        command
            .arg("--rules")
            .arg(root().join("rules/uwsgi-parse.toml"));
        for rules in &learned {
            command.arg("--rules").arg(rules);
        }
        let output = command.arg(&tree).output().unwrap();
        assert_exit(&output, 0);
        let read = |path: &Path| fs::read_to_string(path).unwrap();
        let header = read(&release.join("uwsgi.h"))
            .replacen("#include <sys/epoll.h>\n", "", 1)
            .replacen(
                "#undef _XOPEN_SOURCE\n",
                "#if   !defined(__sun__)\n#undef _XOPEN_SOURCE\n#endif\n",
                1,
            );
        assert_eq!(read(&tree.join("uwsgi.h")), header, "{}", release.display());
        // The same guards as rules/pdeathsig.toml makes.
        let shipped = cdefang(&root())
            .args([
                "--rules",
                "rules/uwsgi-parse.toml",
                "--rules",
                "rules/pdeathsig.toml",
                "--stdout",
            ])
            .arg(release.join("core/emperor.c"))
            .output()
            .unwrap();
        assert_exit(&shipped, 1);
        assert_eq!(
            read(&tree.join("core/emperor.c")).as_bytes(),
            shipped.stdout.as_slice()
        );
    }
}

/// A guard whose `#endif` carries a comment (`#endif /* PR_SET_PDEATHSIG */`, as many porting
/// patches write it) is learned with `guard_end`, and the learned rule writes that line: the
/// patched file is reproduced byte for byte, and a second run has nothing to do.
#[test]
fn learns_a_guard_whose_endif_carries_a_comment() {
    let work = tempfile::tempdir().unwrap();
    // The first hunk of pdeathsig.patch, its #endif commented.
    let whole = fs::read_to_string(testdata("learn/targets/pdeathsig.patch")).unwrap();
    let second = whole
        .match_indices("\n@@ ")
        .nth(1)
        .map_or(whole.len(), |(at, _)| at + 1);
    let patch = whole[..second].replacen("+#endif\n", "+#endif /* PR_SET_PDEATHSIG */\n", 1);
    assert!(
        patch.contains("+#endif /* PR_SET_PDEATHSIG */\n"),
        "{patch}"
    );
    let patch_path = work.path().join("commented.patch");
    fs::write(&patch_path, &patch).unwrap();
    let patched = work.path().join("patched");
    copy_dir(&testdata("learn/targets/src"), &patched);
    apply_patch(&patched, patch.as_bytes(), &[]);

    let learned = work.path().join("learned.toml");
    let toml = learn_to(&patch_path, &testdata("learn/targets/src"), &learned);
    assert!(toml.contains("action = \"guard\""), "{toml}");
    assert!(
        toml.contains("guard = \"#ifdef PR_SET_PDEATHSIG\""),
        "{toml}"
    );
    assert!(
        toml.contains("guard_end = \"#endif /* PR_SET_PDEATHSIG */\""),
        "{toml}"
    );

    let tree = work.path().join("tree");
    copy_dir(&testdata("learn/targets/src"), &tree);
    assert_exit(&run_with_rules(work.path(), &learned, &["tree"]), 0);
    assert_eq!(files_under(&tree), files_under(&patched));
    let again = run_with_rules(work.path(), &learned, &["--check", "tree"]);
    assert_exit(&again, 0);
    assert!(
        stderr_of(&again).contains("already-applied"),
        "{}",
        stderr_of(&again)
    );
}

/// A statement removed from an `#else` that another branch elsewhere also has is told apart
/// by the condition the `#else` is taken under: the learned rule says
/// `condition = "!defined(HAVE_PIPE2)"`, reproduces the patch, and is quiet on a second run.
#[test]
fn learns_a_statement_in_an_else_by_the_condition_it_is_taken_under() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("src");
    fs::create_dir_all(&source).unwrap();
    let original = "void f(void) {\n#ifdef HAVE_PIPE2\n\tpipe2(fds, 0);\n#else\n\tpipe(fds);\n#endif\n#ifdef HAVE_FOO\n\tpipe(fds);\n#endif\n}\n";
    fs::write(source.join("a.c"), original).unwrap();
    let patch = "--- a/a.c\n+++ b/a.c\n@@ -2,7 +2,6 @@\n #ifdef HAVE_PIPE2\n \tpipe2(fds, 0);\n #else\n-\tpipe(fds);\n #endif\n #ifdef HAVE_FOO\n \tpipe(fds);\n";
    let patch_path = work.path().join("p.patch");
    fs::write(&patch_path, patch).unwrap();
    let learned = work.path().join("learned.toml");
    let toml = learn_to(&patch_path, &source, &learned);
    assert!(
        toml.contains("condition = \"!defined(HAVE_PIPE2)\""),
        "{toml}"
    );
    assert_exit(&run_with_rules(work.path(), &learned, &["src"]), 0);
    assert_eq!(
        fs::read_to_string(source.join("a.c")).unwrap(),
        original.replacen("#else\n\tpipe(fds);\n", "#else\n", 1)
    );
    let again = run_with_rules(work.path(), &learned, &["--check", "src"]);
    assert_exit(&again, 0);
}
