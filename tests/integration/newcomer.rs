//! The newcomer's path (issue 17): the README's workflow run as written from a scratch
//! directory with an installed `cdefang`, shell completions and the man page, the test cache
//! kept pristine, and the one-line summary `.ci/run` ends with.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

/// The cache of uWSGI releases the tests use (as scripts/fetch-uwsgi.sh and util do).
fn cache() -> PathBuf {
    std::env::var_os("CDEFANG_UWSGI_CACHE")
        .filter(|value| !value.is_empty())
        .map_or_else(|| root().join(".cache/uwsgi"), PathBuf::from)
}

/// scripts/fetch-uwsgi.sh VERSION with the cache `cache`; its output (it must succeed).
fn fetch(cache: &Path, version: &str) -> String {
    let output = Command::new("bash")
        .arg(root().join("scripts/fetch-uwsgi.sh"))
        .arg(version)
        .env("CDEFANG_UWSGI_CACHE", cache)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    stdout_of(&output)
}

#[test]
fn a_release_changed_in_place_in_the_cache_is_unpacked_again() {
    let sdist = cache().join("sdist/uwsgi-2.0.17.tar.gz");
    if !sdist.is_file() {
        eprintln!(
            "SKIPPED: no {} (scripts/fetch-uwsgi.sh 2.0.17 fetches it)",
            sdist.display()
        );
        return;
    }
    // A private cache holding only the sdist: nothing here touches the shared one.
    let private = tempfile::tempdir().unwrap();
    fs::create_dir_all(private.path().join("sdist")).unwrap();
    fs::copy(&sdist, private.path().join("sdist/uwsgi-2.0.17.tar.gz")).unwrap();
    let tree = PathBuf::from(fetch(private.path(), "2.0.17").trim());
    let utils = tree.join("core/utils.c");
    let pristine = fs::read(&utils).unwrap();
    // What the README's "fix a release in place" did to the cache before: rewrite it.
    let output = run_with_rules(private.path(), &el5_rules(), &[tree.to_str().unwrap()]);
    assert_exit(&output, 0);
    assert_ne!(fs::read(&utils).unwrap(), pristine);
    fs::write(tree.join("core/new.c"), "int added;\n").unwrap();
    assert_eq!(PathBuf::from(fetch(private.path(), "2.0.17").trim()), tree);
    assert_eq!(fs::read(&utils).unwrap(), pristine);
    assert!(!tree.join("core/new.c").exists());
}

#[test]
fn ci_summary_is_one_line_over_cargo_and_the_drift_check() {
    let log = "\
     Running unittests src/lib.rs
test result: ok. 78 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.16s
     Running tests/integration/main.rs
test result: FAILED. 100 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 9s
2.0.17     cdefang: PASS  fixed-line diff: clean
1.4.9      cdefang: PASS  fixed-line diff: failed  
1.9.21     cdefang: FAIL  fixed-line diff: failed  utils.c differs from unifdef's; 
";
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("log"), log).unwrap();
    let output = Command::new("bash")
        .arg(root().join("scripts/ci-summary.sh"))
        .arg(dir.path().join("log"))
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), "180 passed, 3 failed\n");
    // .ci/run ends with it, and the drift check explains its table.
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.trim_end()
            .ends_with("scripts/ci-summary.sh \"$log\"\nexit $status"),
        "{ci}"
    );
    let drift = fs::read_to_string(root().join("scripts/drift.sh")).unwrap();
    assert!(drift.contains("legend: \"cdefang: PASS\" is this check"));
}

/// The first ```sh block under `heading` in README.md.
fn readme_block(heading: &str) -> String {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find(heading).unwrap()..];
    let start = section.find("```sh\n").unwrap() + "```sh\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_string()
}

#[test]
fn the_readme_workflow_runs_as_written_from_a_scratch_directory() {
    let Some(releases) = uwsgi_releases(&["2.0.17", "2.0.30"]) else {
        return;
    };
    if Command::new("unifdef").arg("-h").output().is_err() {
        eprintln!("SKIPPED: unifdef is needed (apt-get install unifdef)");
        return;
    }
    let before: Vec<Vec<(PathBuf, Vec<u8>)>> =
        releases.iter().map(|tree| files_under(tree)).collect();
    // `cdefang` on PATH (as `cargo install --path .` puts it), scratch directories in a
    // private TMPDIR, run from the checkout as the README says.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cdefang"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let tmp = tempfile::tempdir().unwrap();
    // As written: some steps exit 1 on purpose (diff, --check, --diff, test --update with
    // pending snapshots), as they would at a prompt; the result is checked below.
    let script = readme_block("## Workflow");
    let checkout_before = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--ignored",
            "testdata",
            "snapshots",
            "rules",
        ])
        .current_dir(root())
        .output()
        .unwrap()
        .stdout;
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(root())
        .env("PATH", path)
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    // Step 4 fixed the copy of 2.0.30: core/utils.c is unifdef's.
    let scratch: Vec<PathBuf> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("uwsgi-2.0.30").is_dir())
        .collect();
    assert_eq!(scratch.len(), 1, "{scratch:?}");
    let fixed = fs::read(scratch[0].join("uwsgi-2.0.30/core/utils.c")).unwrap();
    assert_eq!(fixed, unifdef_utils(&releases[1]));
    assert!(
        scratch[0]
            .join("snapshots/el5-learned@utils-2.0.30.snap")
            .is_file()
    );
    // The cache and the checkout are as they were.
    for (tree, before) in releases.iter().zip(&before) {
        assert!(files_under(tree) == *before, "{} changed", tree.display());
    }
    let checkout_after = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--ignored",
            "testdata",
            "snapshots",
            "rules",
        ])
        .current_dir(root())
        .output()
        .unwrap()
        .stdout;
    assert_eq!(checkout_after, checkout_before);
}
