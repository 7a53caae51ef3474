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
