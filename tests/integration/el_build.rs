//! The EL4/EL5 build check and the workflow for the real box (README, "Building for EL4 and
//! EL5"):
//! - scripts/el-build.sh builds uWSGI 2.0.17's core binary against EL4's glibc (zig's C
//!   compiler and the header layer of scripts/el/): the pristine tree does not link (no
//!   inotify, no unshare in glibc 2.3.4), the tree cdefang rewrote with rules/el5.toml does.
//!   Needs zig's C compiler (`python3 -m pip install ziglang`; fetched when CDEFANG_FETCH=1,
//!   as .ci/run sets; otherwise the test is skipped, saying so).
//! - `--rule ID` runs one rule of the files; scripts/patch-series.sh writes one patch per rule
//!   (rules/el5.toml and its add-on rules/el5-robust.toml on uWSGI 2.0.31: three patches), and
//!   the series applied in order with `patch -p1` to a pristine copy gives exactly the tree
//!   cdefang rewrites in place; so does the single `--diff` patch.
//! - README's build table has a row per release of scripts/uwsgi-versions.txt, and every
//!   rewritten core in it links for both targets.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    apply_patch, assert_exit, assert_stderr, copy_dir, el5_rules, files_under, root, run,
    run_with_rules, scratch, stdout_of, uwsgi_releases,
};

const VERSION: &str = "2.0.17";

/// Whether zig's C compiler answers (`python3 -m ziglang version`).
fn zig_present() -> bool {
    Command::new("python3")
        .args(["-m", "ziglang", "version"])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// zig's C compiler, installed from PyPI when absent and CDEFANG_FETCH=1; `false` (having said
/// the test is skipped) when absent and not fetching.
fn zig_available() -> bool {
    if zig_present() {
        return true;
    }
    let fetch =
        std::env::var_os("CDEFANG_FETCH").is_some_and(|value| !value.is_empty() && value != "0");
    if !fetch {
        eprintln!(
            "SKIPPED: {}: zig's C compiler is absent (python3 -m pip install ziglang, or set \
             CDEFANG_FETCH=1)",
            std::thread::current().name().unwrap_or("a test")
        );
        return false;
    }
    let install = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "ziglang"])
        .status()
        .expect("run pip");
    assert!(
        install.success() && zig_present(),
        "pip install ziglang failed"
    );
    true
}

#[test]
fn el_build_pristine_2_0_17_fails_on_el4_and_links_once_rewritten() {
    let Some(release) = uwsgi_releases(&[VERSION]).map(|mut trees| trees.remove(0)) else {
        return;
    };
    if !zig_available() {
        return;
    }
    let output = Command::new("bash")
        .arg(root().join("scripts/el-build.sh"))
        .arg(&release)
        .args(["--target", "el4"])
        .env("CDEFANG", env!("CARGO_BIN_EXE_cdefang"))
        .output()
        .expect("run scripts/el-build.sh");
    let report = stdout_of(&output);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The pristine tree fails on what glibc 2.3.4 lacks: its first stop is the inotify header
    // (the compile stops there), or, past it, unshare at link time.
    let pristine = lines[0];
    assert!(
        pristine.starts_with(&format!("{VERSION} el4 pristine: ")),
        "{report}"
    );
    assert!(
        pristine.ends_with("missing header sys/inotify.h")
            || (pristine.contains("undefined:") && pristine.contains("unshare")),
        "the pristine tree must fail where the real box does: {report}"
    );
    assert_eq!(
        lines[1],
        format!("{VERSION} el4 rewritten: links"),
        "{report}"
    );
    assert_exit(&output, 0);
}

/// The release the workflow tests use: the newest, which every rule of the two files changes.
const NEWEST: &str = "2.0.31";

/// rules/el5.toml and its add-on rules/el5-robust.toml, in that order.
fn el_rules() -> [PathBuf; 2] {
    [el5_rules(), root().join("rules/el5-robust.toml")]
}

/// The rule ids of the two files, in order.
const EL_RULE_IDS: [&str; 3] = [
    "drop-unshare-blocks",
    "stub-inotify",
    "robust-mutexes-need-new-glibc",
];

/// `cdefang --rules FILE… ARGS…` run in `dir` with both files.
fn run_with_el_rules(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = crate::util::cdefang(dir);
    for file in el_rules() {
        command.arg("--rules").arg(file);
    }
    command.args(args).output().unwrap()
}

#[test]
fn rule_option_runs_only_the_rule_named() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let before = files_under(&tree);
    let output = run_with_rules(
        &tree,
        &el5_rules(),
        &["-q", "--rule", "stub-inotify", "--diff", "."],
    );
    assert_exit(&output, 1);
    let diff = stdout_of(&output);
    assert!(diff.contains("core/event.c"), "{diff}");
    assert!(
        !diff.contains("core/utils.c"),
        "drop-unshare-blocks ran: {diff}"
    );
    assert_eq!(before, files_under(&tree), "--diff wrote something");
}

#[test]
fn rule_option_with_an_unknown_id_is_an_error_naming_the_ids() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let before = files_under(&tree);
    let output = run_with_rules(&tree, &el5_rules(), &["--rule", "no-such-rule", "."]);
    assert_stderr(
        &output,
        2,
        &[
            "no rule has the id `no-such-rule`",
            "drop-unshare-blocks, stub-inotify",
        ],
    );
    assert_eq!(before, files_under(&tree), "something was written");
}

#[test]
fn rule_option_needs_rules() {
    let dir = scratch();
    let output = run(&dir.path().join("tree"), &["--rule", "stub-inotify", "."]);
    assert_exit(&output, 2);
}

/// The tree cdefang rewrites in place with both files, from a copy of `release`.
fn rewritten_in_place(release: &Path, work: &Path) -> PathBuf {
    let tree = work.join("in-place");
    copy_dir(release, &tree);
    let output = run_with_el_rules(&tree, &["-q", "."]);
    assert_exit(&output, 0);
    tree
}

#[test]
fn patch_series_applied_in_order_equals_the_in_place_rewrite() {
    let Some(release) = uwsgi_releases(&[NEWEST]).map(|mut trees| trees.remove(0)) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let expected = files_under(&rewritten_in_place(&release, work.path()));

    let series = work.path().join("series");
    let [base, add_on] = el_rules();
    let output = Command::new("bash")
        .arg(root().join("scripts/patch-series.sh"))
        .arg("--rules")
        .arg(base)
        .arg("--rules")
        .arg(add_on)
        .arg(&release)
        .arg(&series)
        .env("CDEFANG", env!("CARGO_BIN_EXE_cdefang"))
        .output()
        .expect("run scripts/patch-series.sh");
    assert_exit(&output, 0);
    let spec = stdout_of(&output);
    let names: Vec<String> = EL_RULE_IDS
        .iter()
        .enumerate()
        .map(|(index, id)| format!("{:04}-{id}.patch", index + 1))
        .collect();
    let mut lines = Vec::new();
    for (index, name) in names.iter().enumerate() {
        lines.push(format!("Patch{}: {name}", index + 1));
    }
    for index in 1..=names.len() {
        lines.push(format!("%patch{index} -p1"));
    }
    assert_eq!(spec, lines.join("\n") + "\n");

    let tree = work.path().join("patched");
    copy_dir(&release, &tree);
    for name in &names {
        let patch = fs::read(series.join(name)).unwrap();
        apply_patch(&tree, &patch, &[]);
    }
    assert!(
        files_under(&tree) == expected,
        "the series applied in order is not the in-place result"
    );
    assert!(
        files_under(&release) != expected,
        "the rules changed nothing"
    );
}

#[test]
fn diff_applied_with_patch_p1_equals_the_in_place_rewrite() {
    let Some(release) = uwsgi_releases(&[NEWEST]).map(|mut trees| trees.remove(0)) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let expected = files_under(&rewritten_in_place(&release, work.path()));
    // On the modern machine: the diff, run from the top of a copy of the tree as the box will
    // apply it.
    let modern = work.path().join("modern");
    copy_dir(&release, &modern);
    let output = run_with_el_rules(&modern, &["-q", "--diff", "."]);
    assert_exit(&output, 1);
    // On the EL4/EL5 box: patch -p1 at the top of a pristine tree.
    let tree = work.path().join("box");
    copy_dir(&release, &tree);
    apply_patch(&tree, &output.stdout, &[]);
    assert!(files_under(&tree) == expected);
}

/// README's build table (made by `scripts/el-build.sh`, see its text) has a row per release of
/// scripts/uwsgi-versions.txt, in that order, and says what the build check demands of each:
/// the rewritten core links for both targets and the pristine one fails on EL4.
#[test]
fn the_readme_build_table_covers_every_release_and_every_rewritten_core_links() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let header = "| release | EL4 pristine | EL4 rewritten | EL5 pristine | EL5 rewritten |";
    let start = readme
        .find(header)
        .expect("README.md has the EL4/EL5 build table");
    let rows: Vec<Vec<&str>> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with("| "))
        .map(|line| line.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let versions = fs::read_to_string(root().join("scripts/uwsgi-versions.txt")).unwrap();
    let versions: Vec<&str> = versions
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let released: Vec<&str> = rows.iter().map(|row| row[0]).collect();
    assert_eq!(released, versions, "one row per release, in order");
    for row in &rows {
        assert_eq!(row.len(), 5, "{row:?}");
        assert_ne!(row[1], "links", "{}: pristine EL4 must fail", row[0]);
        assert_eq!(row[2], "links", "{}: rewritten EL4", row[0]);
        assert_eq!(row[4], "links", "{}: rewritten EL5", row[0]);
    }
}
