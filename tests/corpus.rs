//! Whole-corpus invariants on real uWSGI releases (their sdists, fetched from PyPI at test time
//! by scripts/fetch-uwsgi.sh into .cache/uwsgi/):
//! - the scanner and the conditional tree accept every .c and .h file of every release (no
//!   unterminated comment, no unbalanced conditional);
//! - a run in place with rules that match nothing exits 0 and leaves every byte of the tree as it
//!   was, every file (not only C), with its permissions.
//!
//! By default the quick set (scripts/uwsgi-quick.txt, a dozen releases; CI runs it); with
//! CDEFANG_CORPUS=all, every release in scripts/uwsgi-versions.txt. Set CDEFANG_SKIP_UWSGI=1 to
//! skip it on a machine without pip and PyPI.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;

mod common;
use common::{fetch_uwsgi, skip_uwsgi};

const NOTHING_MATCHES: &str = r#"
[[rule]]
id = "drop-nothing"
message = "drops blocks of a symbol no release tests"
files = ["*.c", "*.h"]
action = "drop"
[rule.match]
condition = "defined(CDEFANG_NO_SUCH_SYMBOL) && !defined(OBSOLETE_LINUX_KERNEL)"
calls = ["unshare"]

[[rule]]
id = "resolve-nothing"
message = "resolves a symbol no release tests"
files = ["*.c", "*.h"]
action = "resolve"
define = ["CDEFANG_NEVER_TESTED"]
[rule.match]
uses = ["CDEFANG_NEVER_TESTED"]
"#;

fn versions() -> Vec<String> {
    let list = match std::env::var("CDEFANG_CORPUS").as_deref() {
        Ok("all") => "scripts/uwsgi-versions.txt",
        _ => "scripts/uwsgi-quick.txt",
    };
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(list)).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Every file under `dir`: its path relative to `dir`, bytes and mode.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, u32)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let mode = entry.metadata().unwrap().permissions().mode();
            (
                entry.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(entry.path()).unwrap(),
                mode,
            )
        })
        .collect()
}

fn is_c(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("c" | "h")
    )
}

#[test]
fn every_release_scans_and_a_rewrite_that_matches_nothing_changes_no_byte() {
    if skip_uwsgi("the corpus invariants") {
        return;
    }
    let versions = versions();
    let trees = fetch_uwsgi(&versions);
    let work = tempfile::tempdir().unwrap();
    let rules = work.path().join("nothing.toml");
    fs::write(&rules, NOTHING_MATCHES).unwrap();
    let mut c_files = 0;
    for (version, release) in versions.iter().zip(&trees) {
        let before = snapshot(release);
        for (path, bytes, _) in before.iter().filter(|(path, _, _)| is_c(path)) {
            let found = cdefang::scan(bytes)
                .unwrap_or_else(|error| panic!("uWSGI {version}: {}: {error:?}", path.display()));
            cdefang::build_tree(&found.directives)
                .unwrap_or_else(|error| panic!("uWSGI {version}: {}: {error:?}", path.display()));
            c_files += 1;
        }

        let copy = work.path().join(format!("uwsgi-{version}"));
        let status = Command::new("cp")
            .arg("-a")
            .arg(release)
            .arg(&copy)
            .status()
            .unwrap();
        assert!(status.success());
        let run = cargo_bin_cmd!("cdefang")
            .arg("--rules")
            .arg(&rules)
            .arg("--quiet")
            .arg(&copy)
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "uWSGI {version}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let after = snapshot(&copy);
        assert_eq!(
            before.len(),
            after.len(),
            "uWSGI {version}: files added or lost"
        );
        for (old, new) in before.iter().zip(&after) {
            assert!(
                old == new,
                "uWSGI {version}: {} changed (bytes or mode)",
                old.0.display()
            );
        }
        fs::remove_dir_all(&copy).unwrap();
    }
    eprintln!(
        "{} releases, {c_files} .c/.h files: all scanned, none changed",
        versions.len()
    );
}
