//! What an attack run on the command line found (issue 17), each a test: no byte lost
//! (`--backup`, `--report`, owner and group, an interrupt mid-run), nothing written outside where
//! it belongs (`--out` and links, `..` paths, `test --update` through a link), and `--diff` that
//! `patch -p1` applies from the directory given, whatever form its path takes.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::*;

/// A file that the rule of [`drop_x`] changes.
const CHANGES: &str = "#ifdef X\nint x;\n#endif\nint y;\n";
/// What the rule makes of it.
const CHANGED: &str = "int y;\n";

/// A rules file in `dir` that drops the `#ifdef X` blocks of every file.
fn drop_x(dir: &Path) -> std::path::PathBuf {
    let rules = dir.join("drop-x.toml");
    fs::write(
        &rules,
        "[[rule]]\nid = \"drop-x\"\nmessage = \"m\"\nfiles = [\"**\"]\naction = \"drop\"\n\
         [rule.match]\ncondition = \"defined(X)\"\n",
    )
    .unwrap();
    rules
}

/// A scratch directory with `tree/` holding `files` (path, text).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join("tree").join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// The names in `dir` (not recursive), sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn backup_refuses_an_empty_suffix_and_one_with_a_slash() {
    for suffix in ["", "z/../../outside/x", "/x"] {
        let dir = tree(&[("a.c", CHANGES)]);
        let rules = drop_x(dir.path());
        let output = run_with_rules(dir.path(), &rules, &["--backup", suffix, "tree"]);
        let stderr = assert_stderr(&output, 2, &["--backup"]);
        assert!(
            stderr.contains("empty") || stderr.contains("has a `/`"),
            "{suffix:?}: {stderr}"
        );
        assert_file(&dir.path().join("tree/a.c"), CHANGES.as_bytes());
        assert_eq!(names_in(&dir.path().join("tree")), ["a.c"], "{suffix:?}");
        assert_eq!(names_in(dir.path()), ["drop-x.toml", "tree"], "{suffix:?}");
    }
}

#[test]
fn backup_refuses_a_backup_name_that_is_a_file_of_the_run() {
    let dir = tree(&[("x.h", CHANGES), ("x.h.c", "int keep_me;\n")]);
    let rules = drop_x(dir.path());
    let output = run_with_rules(dir.path(), &rules, &["--backup", ".c", "tree"]);
    assert_stderr(
        &output,
        2,
        &["--backup .c: the backup of tree/x.h would be tree/x.h.c, a file of this run"],
    );
    assert_file(&dir.path().join("tree/x.h"), CHANGES.as_bytes());
    assert_file(&dir.path().join("tree/x.h.c"), b"int keep_me;\n");
    assert_eq!(names_in(&dir.path().join("tree")), ["x.h", "x.h.c"]);

    // A free name is used, and replaces an older backup.
    fs::write(dir.path().join("tree/x.h.orig"), "older backup").unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--backup", ".orig", "tree"]);
    assert_exit(&output, 0);
    assert_file(&dir.path().join("tree/x.h"), CHANGED.as_bytes());
    assert_file(&dir.path().join("tree/x.h.orig"), CHANGES.as_bytes());
    assert_eq!(
        names_in(&dir.path().join("tree")),
        ["x.h", "x.h.c", "x.h.orig"]
    );
}

#[test]
fn an_unwritable_report_fails_the_run_before_anything_is_written() {
    let dir = tree(&[("a.c", CHANGES)]);
    let rules = drop_x(dir.path());
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--report", "no/such/dir/report.json", "tree"],
    );
    assert_stderr(&output, 2, &["cannot write report no/such/dir/report.json"]);
    assert_file(&dir.path().join("tree/a.c"), CHANGES.as_bytes());

    // A report that opens but cannot take its bytes (a full disk) fails the run the same way:
    // it is written before the files are.
    if Path::new("/dev/full").exists() {
        let output = run_with_rules(dir.path(), &rules, &["--report", "/dev/full", "tree"]);
        assert_stderr(
            &output,
            2,
            &["cannot write report /dev/full", "no file was changed"],
        );
        assert_file(&dir.path().join("tree/a.c"), CHANGES.as_bytes());
    }

    // A report that can be written is, and tells what happened to the files.
    let output = run_with_rules(dir.path(), &rules, &["--report", "report.json", "tree"]);
    assert_exit(&output, 0);
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["files_changed"], 1);
    assert_eq!(report["exit_status"], 0);
    assert_file(&dir.path().join("tree/a.c"), CHANGED.as_bytes());

    // A run whose writing fails after the report was written says so in the report: the report
    // is written again with exit status 2.
    fs::write(dir.path().join("tree/a.c"), CHANGES).unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    fs::create_dir(dir.path().join("out/a.c")).unwrap();
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--report", "report.json", "--out", "out", "tree"],
    );
    assert_exit(&output, 2);
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["exit_status"], 2);
}

/// Whether the tests run as root (chown to another user works only then).
fn is_root() -> bool {
    let probe = tempfile::NamedTempFile::new().unwrap();
    fs::metadata(probe.path()).unwrap().uid() == 0
}

#[test]
fn a_rewritten_file_keeps_its_owner_group_and_mode() {
    if !is_root() {
        eprintln!("SKIPPED: changing a file's owner needs root");
        return;
    }
    let dir = tree(&[("a.c", CHANGES)]);
    let file = dir.path().join("tree/a.c");
    std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let rules = drop_x(dir.path());
    assert_exit(&run_with_rules(dir.path(), &rules, &["tree"]), 0);
    assert_file(&file, CHANGED.as_bytes());
    let metadata = fs::metadata(&file).unwrap();
    assert_eq!((metadata.uid(), metadata.gid()), (65534, 65534));
    assert_eq!(metadata.mode() & 0o7777, 0o640);
}

/// The `.cdefang-*` temporary files under `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".cdefang-"))
        .collect()
}

#[test]
fn sigterm_while_staging_removes_the_temporaries_and_changes_nothing() {
    // Files big enough that staging them (write and sync) takes a while.
    let filler = "int filler_line_of_some_length;\n".repeat(100_000);
    let text = format!("{CHANGES}{filler}");
    let names: Vec<String> = (0..12).map(|n| format!("f{n:02}.c")).collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .map(|name| (name.as_str(), text.as_str()))
        .collect();
    let dir = tree(&files);
    let rules = drop_x(dir.path());
    let before = files_under(&dir.path().join("tree"));
    let mut child = cdefang_process(dir.path())
        .arg("--rules")
        .arg(&rules)
        .arg("tree")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the first temporary file, then send SIGTERM.
    let deadline = Instant::now() + Duration::from_secs(120);
    while temporaries(dir.path()).is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it staged a file"
        );
        assert!(Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(1));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    // Caught: exit status 128 + 15, temporaries removed, every file as it was.
    assert_eq!(status.code(), Some(143), "{status:?}");
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    assert!(
        files_under(&dir.path().join("tree")) == before,
        "a file changed"
    );
}

#[test]
fn out_does_not_follow_links_inside_its_directory() {
    let dir = tree(&[("a.c", CHANGES), ("sub/b.c", CHANGES)]);
    let rules = drop_x(dir.path());
    fs::write(dir.path().join("outside.c"), "precious\n").unwrap();
    fs::create_dir(dir.path().join("elsewhere")).unwrap();
    // A link at a file's place, then at a directory's place.
    fs::create_dir(dir.path().join("o1")).unwrap();
    std::os::unix::fs::symlink("../outside.c", dir.path().join("o1/a.c")).unwrap();
    fs::create_dir(dir.path().join("o2")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", dir.path().join("o2/sub")).unwrap();
    for out in ["o1", "o2"] {
        let output = run_with_rules(dir.path(), &rules, &["--out", out, "tree"]);
        assert_stderr(
            &output,
            2,
            &["a symbolic link inside the --out directory; not followed"],
        );
    }
    assert_file(&dir.path().join("outside.c"), b"precious\n");
    assert_eq!(
        names_in(&dir.path().join("elsewhere")),
        Vec::<String>::new()
    );
    assert_eq!(names_in(&dir.path().join("o1")), ["a.c"]);
    assert!(
        fs::symlink_metadata(dir.path().join("o1/a.c"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn out_resolves_dot_dot_and_refuses_two_files_for_one_place() {
    let dir = tree(&[("a.c", CHANGES), ("o/t/a.c", CHANGES)]);
    let rules = drop_x(dir.path());
    fs::write(dir.path().join("a.c"), CHANGES).unwrap();
    let tree_dir = dir.path().join("tree");
    // `../a.c` and `a.c` would both be X/a.c: refused, nothing written.
    let output = run_with_rules(&tree_dir, &rules, &["--out", "X", "../a.c", "a.c"]);
    assert_stderr(
        &output,
        2,
        &["--out would write ../a.c and a.c to the same file X/a.c"],
    );
    assert!(!tree_dir.join("X").exists());
    // `o/t/../t/a.c` is o/t/a.c.
    let output = run_with_rules(&tree_dir, &rules, &["--out", "X", "o/t/../t/a.c"]);
    assert_exit(&output, 0);
    assert_file(&tree_dir.join("X/o/t/a.c"), CHANGED.as_bytes());
    assert_eq!(names_in(&tree_dir.join("X/o")), ["t"]);
}

#[test]
fn test_update_replaces_a_link_at_the_pending_snapshot_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rules/snapshots")).unwrap();
    fs::write(
        dir.path().join("rules/r.toml"),
        "[[rule]]\nid = \"drop-x\"\nmessage = \"m\"\nfiles = [\"**\"]\naction = \"drop\"\n\
         [rule.match]\ncondition = \"defined(X)\"\n\n\
         [[test]]\nname = \"one\"\nfile = \"a.c\"\ncode = \"#ifdef X\\nint x;\\n#endif\\n\"\nexpect = { drop-x = 1 }\n",
    )
    .unwrap();
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "precious\n").unwrap();
    let pending = dir.path().join("rules/snapshots/r@one.snap.new");
    std::os::unix::fs::symlink(&victim, &pending).unwrap();
    let output = cdefang(dir.path())
        .args(["test", "--update", "rules/r.toml"])
        .output()
        .unwrap();
    assert_exit(&output, 1);
    assert_file(&victim, b"precious\n");
    let metadata = fs::symlink_metadata(&pending).unwrap();
    assert!(metadata.is_file(), "the link was not replaced");
    assert!(fs::read_to_string(&pending).unwrap().starts_with("---\n"));
}

/// `cdefang --diff ARG` run in `from`, then `patch -p1` of its output in `apply_in` (a copy of
/// the tree made before), which must then equal the in-place result.
fn diff_applies_from(dir: &Path, from: &Path, arg: &str, apply_in: &Path) {
    let rules = drop_x(dir);
    let output = run_with_rules(from, &rules, &["--diff", arg]);
    assert_exit(&output, 1);
    let diff = String::from_utf8(output.stdout.clone()).unwrap();
    for line in diff
        .lines()
        .filter(|line| line.starts_with("--- ") || line.starts_with("+++ "))
    {
        assert!(
            !line.contains("//") && !line.contains("/./") && !line.contains("/../"),
            "{arg}: {line}"
        );
    }
    apply_patch(apply_in, &output.stdout, &["--quiet"]);
    let expected = tree(&[("a.c", CHANGED), ("sub/b.c", CHANGED)]);
    assert_eq!(
        files_under(apply_in),
        files_under(&expected.path().join("tree")),
        "{arg}"
    );
}

#[test]
fn diff_labels_are_relative_to_the_directory_given_so_patch_p1_applies_there() {
    let files = [("a.c", CHANGES), ("sub/b.c", CHANGES)];
    // An absolute path, a `../` path, `.`, a plain one and one through `x/..`.
    let dir = tree(&files);
    let tree_dir = dir.path().join("tree");
    let absolute = tree_dir.display().to_string();
    let copy = tree(&files);
    diff_applies_from(dir.path(), dir.path(), &absolute, &copy.path().join("tree"));
    let copy = tree(&files);
    diff_applies_from(
        dir.path(),
        &tree_dir.join("sub"),
        "..",
        &copy.path().join("tree"),
    );
    let copy = tree(&files);
    diff_applies_from(dir.path(), &tree_dir, ".", &copy.path().join("tree"));
    let copy = tree(&files);
    diff_applies_from(dir.path(), dir.path(), "tree", &copy.path().join("tree"));
    let copy = tree(&files);
    diff_applies_from(
        dir.path(),
        dir.path(),
        "tree/sub/../",
        &copy.path().join("tree"),
    );

    // The labels themselves.
    let rules = drop_x(dir.path());
    let output = run_with_rules(dir.path(), &rules, &["--diff", "./tree"]);
    assert!(
        stdout_of(&output).starts_with("--- a/a.c\n+++ b/a.c\n"),
        "{}",
        stdout_of(&output)
    );
    // A file given directly: its path when it is below the current directory, else its name.
    let output = run_with_rules(dir.path(), &rules, &["--diff", "./tree/sub/../a.c"]);
    assert!(stdout_of(&output).starts_with("--- a/tree/a.c\n+++ b/tree/a.c\n"));
    let output = run_with_rules(&tree_dir.join("sub"), &rules, &["--diff", "../a.c"]);
    assert!(stdout_of(&output).starts_with("--- a/a.c\n+++ b/a.c\n"));
}

#[test]
fn the_same_file_named_several_ways_is_planned_once() {
    let dir = tree(&[("dup/a.c", CHANGES)]);
    let rules = drop_x(dir.path());
    let tree_dir = dir.path().join("tree");
    std::os::unix::fs::symlink("dup/a.c", tree_dir.join("link.c")).unwrap();
    let output = run_with_rules(
        &tree_dir,
        &rules,
        &["--diff", "dup", "./dup/a.c", "dup/../dup", "link.c"],
    );
    assert_exit(&output, 1);
    let stdout = stdout_of(&output);
    assert_eq!(stdout.matches("--- a/").count(), 1, "{stdout}");
    assert_contains(&stderr_of(&output), &["1 file scanned, 1 would change"]);
}

#[test]
fn jobs_never_start_more_threads_than_files() {
    let dir = tree(&[("a.c", CHANGES), ("b.c", CHANGES)]);
    let rules = drop_x(dir.path());
    let output = run_with_rules(dir.path(), &rules, &["--jobs", "30000", "--check", "tree"]);
    assert_exit(&output, 1);
    assert_contains(&stderr_of(&output), &["2 files scanned, 2 would change"]);
}

#[test]
fn file_names_that_are_not_utf8_keep_their_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[]);
    let tree_dir = dir.path().join("tree");
    fs::create_dir_all(&tree_dir).unwrap();
    let name = OsStr::from_bytes(b"b\xffd.c");
    fs::write(tree_dir.join(name), CHANGES).unwrap();
    let rules = drop_x(dir.path());

    // --diff: the label's bytes as they are, and patch -p1 applies it in the directory given.
    let output = run_with_rules(dir.path(), &rules, &["--diff", "tree"]);
    assert_exit(&output, 1);
    assert!(
        output
            .stdout
            .starts_with(b"--- a/b\xffd.c\n+++ b/b\xffd.c\n"),
        "{}",
        stdout_of(&output)
    );
    apply_patch(&tree_dir, &output.stdout, &["--quiet"]);
    assert_file(&tree_dir.join(name), CHANGED.as_bytes());
    fs::write(tree_dir.join(name), CHANGES).unwrap();

    // --out: the same name under the directory.
    let output = run_with_rules(
        dir.path(),
        &rules,
        &["--out", "X", "--report", "r.json", "tree"],
    );
    assert_exit(&output, 0);
    assert_file(&dir.path().join("X").join(name), CHANGED.as_bytes());
    // --report: JSON, the byte escaped as Python's surrogateescape does.
    let report = fs::read_to_string(dir.path().join("r.json")).unwrap();
    assert!(report.contains(r#""tree/b\udcffd.c""#), "{report}");
}

#[test]
fn escape_sequences_from_files_and_rules_never_reach_the_terminal_raw() {
    let dir = tree(&[("a.c", "int a;\n#if X \x1b[2J\x1b]0;pwned\x07 +\n#endif\n")]);
    // A rule id with an escape (TOML's \u001b), whose glob matches nothing: a warning names it.
    fs::write(
        dir.path().join("r.toml"),
        "[[rule]]\nid = \"evil\\u001b[31m\"\nmessage = \"m\"\nfiles = [\"none/*.c\"]\n\
         action = \"drop\"\n[rule.match]\ncondition = \"defined(X)\"\n",
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &dir.path().join("r.toml"), &["--check", "tree"]);
    let stderr = stderr_of(&output);
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "{stderr:?}"
    );
    assert_contains(&stderr, &["rule `evil\\u{1b}[31m`"]);
    // The C line, in the snippet of the warning about its condition (a condition cdefang
    // cannot read is left as it is in unifdef mode: exit 0, nothing would change).
    let output = run(dir.path(), &["-DX", "--check", "tree"]);
    let stderr = assert_stderr(&output, 0, &["#if X \u{241b}[2J\u{241b}]0;pwned\u{2407} +"]);
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "{stderr:?}"
    );
}

/// `cdefang --rules RULES --check tree` with `rules` as the rules file's bytes, in a tree with
/// one file that the drop rule changes; its output.
fn run_rules_bytes(rules: &[u8]) -> std::process::Output {
    let dir = tree(&[("a.c", CHANGES)]);
    fs::write(dir.path().join("r.toml"), rules).unwrap();
    run_with_rules(dir.path(), &dir.path().join("r.toml"), &["--check", "tree"])
}

#[test]
fn rules_files_that_say_nothing_or_contradict_themselves_are_refused() {
    // Empty.
    let output = run_rules_bytes(b"\n");
    assert_stderr(
        &output,
        2,
        &["the rules file has no rule, no test case and no parsing hint"],
    );
    // Not UTF-8: located at the byte, with the help that fits.
    let output = run_rules_bytes(b"[[rule]]\nid = \"caf\xe9\"\n");
    assert_stderr(
        &output,
        2,
        &[
            "not UTF-8 text",
            "r.toml:2:10",
            "save the rules file as UTF-8",
        ],
    );
    let resolve = |keys: &str| {
        format!(
            "[[rule]]\nid = \"r\"\nmessage = \"m\"\nfiles = [\"**\"]\naction = \"resolve\"\n{keys}\n"
        )
    };
    // `define` and `undef` of the same name.
    let output = run_rules_bytes(resolve("define = [\"X\"]\nundef = [\"X\"]").as_bytes());
    assert_stderr(
        &output,
        2,
        &["`X` is both defined and undefined", "r.toml:7:"],
    );
    // A value that is no value.
    let output = run_rules_bytes(resolve("define = [\"X=Y=Z\"]").as_bytes());
    assert_stderr(
        &output,
        2,
        &["`Y=Z` is not a value `X` can have in a condition"],
    );
    // A resolve rule needs no [rule.match]; it selects by its assumptions.
    let output = run_rules_bytes(resolve("define = [\"X\"]").as_bytes());
    assert_exit(&output, 1);
    // Other rules do: said at the rule.
    let output = run_rules_bytes(
        b"[[rule]]\nid = \"d\"\nmessage = \"m\"\nfiles = [\"**\"]\naction = \"drop\"\n",
    );
    assert_stderr(&output, 2, &["the match selects no conditional"]);
}

#[test]
fn messages_say_what_is_so() {
    // `cdefang` alone: its forms, not "--rules is required".
    let dir = tree(&[("a.c", CHANGES)]);
    let output = run(dir.path(), &[]);
    let stderr = assert_stderr(
        &output,
        2,
        &["usage: cdefang --rules FILE", "(unifdef mode)"],
    );
    assert!(!stderr.contains("required"), "{stderr}");
    // --out at a file.
    fs::write(dir.path().join("out"), "").unwrap();
    let rules = drop_x(dir.path());
    let output = run_with_rules(dir.path(), &rules, &["--out", "out", "tree"]);
    let stderr = assert_stderr(&output, 2, &["--out out: a file, not a directory"]);
    assert!(!stderr.contains("os error"), "{stderr}");
    // One file is one file.
    let output = run_with_rules(dir.path(), &rules, &["--check", "tree"]);
    assert_contains(&stderr_of(&output), &["1 file scanned, 1 would change"]);
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_itself() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["completions", "bash"]);
    assert_exit(&output, 0);
    let script = stdout_of(&output);
    assert!(
        script.contains("_cdefang()") && script.contains("--backup"),
        "{script}"
    );
    let output = run(dir.path(), &["man"]);
    assert_exit(&output, 0);
    let page = stdout_of(&output);
    assert!(
        page.contains(".TH cdefang 1") && page.contains("\\-\\-rules"),
        "{page}"
    );
    assert_exit(&run(dir.path(), &["completions", "no-such-shell"]), 2);
}

/// A destination that is a directory (the backup name, or the file's place under `--out`) is
/// found before anything is written: exit 2, and no file of the run changed or written, where
/// the rename used to fail halfway through the commit.
#[test]
fn a_backup_or_out_target_that_is_a_directory_stops_the_run_before_any_write() {
    let dir = tree(&[("a.c", CHANGES), ("b.c", CHANGES), ("c.c", CHANGES)]);
    let rules = drop_x(dir.path());
    fs::create_dir(dir.path().join("tree/b.c.bk")).unwrap();
    let before = files_under(&dir.path().join("tree"));
    let output = run_with_rules(dir.path(), &rules, &["--backup", ".bk", "tree"]);
    assert_stderr(
        &output,
        2,
        &["tree/b.c.bk, which is a directory", "no file was changed"],
    );
    assert_eq!(files_under(&dir.path().join("tree")), before);
    assert!(!dir.path().join("tree/a.c.bk").exists());

    fs::create_dir_all(dir.path().join("out/b.c")).unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--out", "out", "tree"]);
    assert_stderr(
        &output,
        2,
        &["out/b.c, which is a directory", "no file was written"],
    );
    assert_eq!(names_in(&dir.path().join("out")), ["b.c"]);
}

/// `--report` naming an input of the run (a source file, the rules file) is refused before
/// anything is written: the report would replace the input, or be lost under its rewrite.
#[test]
fn a_report_that_names_an_input_is_refused() {
    let dir = tree(&[("a.c", CHANGES), ("b.h", "#ifdef Y\ny\n#endif\n")]);
    let rules = drop_x(dir.path());
    for report in ["tree/b.h", "tree/a.c", "drop-x.toml"] {
        let before = files_under(dir.path());
        let output = run_with_rules(dir.path(), &rules, &["--report", report, "tree"]);
        assert_stderr(&output, 2, &["an input of this run", "no file was changed"]);
        assert_eq!(files_under(dir.path()), before, "--report {report}");
    }
}

/// `--stdout` has nothing to print for a binary file: exit 2, not 0 ("unchanged") with an
/// empty output that a redirection back into place would turn into an empty file.
#[test]
fn stdout_on_a_binary_file_is_an_error() {
    let dir = tree(&[("t.c", "#if A\nx\0y\n#endif\n")]);
    let output = run(dir.path(), &["-DA", "--stdout", "tree/t.c"]);
    assert_stderr(&output, 2, &["is a binary file", "nothing to print"]);
    assert!(output.stdout.is_empty());
}

/// `--diff` as `patch -p1` reads it: a file whose last line ends in a lone `\r`, a `\r` inside
/// a line, and names with blanks (the label ends at a tab) all apply to give the in-place result.
#[test]
fn diffs_of_odd_line_ends_and_names_with_blanks_apply_with_patch() {
    let dir = tree(&[
        ("a.c", "#ifdef X\nx\n#endif\r"),
        ("mac.c", "int p;\rint q;\n#ifdef X\nx\n#endif\n"),
        ("dir with space/f 1.c", "#ifdef X\nx\n#endif\nint y;\n"),
    ]);
    let rules = drop_x(dir.path());
    let output = run_with_rules(dir.path(), &rules, &["--diff", "tree"]);
    assert_exit(&output, 1);
    let patched = dir.path().join("patched");
    copy_dir(&dir.path().join("tree"), &patched);
    apply_patch(&patched, &output.stdout, &[]);
    assert_exit(&run_with_rules(dir.path(), &rules, &["tree"]), 0);
    assert_eq!(files_under(&patched), files_under(&dir.path().join("tree")));
}

/// `-D`/`-U`: the last word on a name wins, as in unifdef; a name that is not a C identifier is
/// refused, as in a rules file.
#[test]
fn command_line_assumptions_are_ordered_and_checked() {
    let dir = tree(&[("d.c", "#if A\nx\n#else\ny\n#endif\n")]);
    let output = run(dir.path(), &["-UA", "-DA", "--stdout", "tree/d.c"]);
    assert_eq!(stdout_of(&output), "x\n");
    let output = run(dir.path(), &["-DA", "-UA", "--stdout", "tree/d.c"]);
    assert_eq!(stdout_of(&output), "y\n");
    for bad in ["-DA B", "-D=1", "-DF(x)", "-U1A"] {
        let output = run(dir.path(), &[bad, "--stdout", "tree/d.c"]);
        assert_stderr(&output, 2, &["is not a macro name"]);
        assert!(output.stdout.is_empty(), "{bad}");
    }
}

/// `--explain` shows a rule id and a file name with control characters escaped, as every
/// diagnostic does: nothing from the input reaches the terminal as an escape sequence.
#[test]
fn explain_escapes_control_characters_of_ids_and_names() {
    let dir = tree(&[("b\u{1b}[1m.c", CHANGES)]);
    let rules = dir.path().join("esc.toml");
    fs::write(
        &rules,
        "[[rule]]\nid = \"x\\u001b[31m\"\nmessage = \"m\"\nfiles = [\"**\"]\naction = \"drop\"\n\
         [rule.match]\ncondition = \"defined(X)\"\n",
    )
    .unwrap();
    let output = run_with_rules(dir.path(), &rules, &["--check", "--explain", "tree"]);
    assert_exit(&output, 1);
    let all = format!("{}{}", stdout_of(&output), stderr_of(&output));
    assert!(!all.contains('\u{1b}'), "{all:?}");
    assert!(all.contains("\\u{1b}"), "{all}");
}
