//! Whole-corpus invariants on real uWSGI releases (their sdists from PyPI, unpacked in
//! .cache/uwsgi/ by scripts/fetch-uwsgi.sh; see util::uwsgi_releases):
//! - the scanner and the conditional tree accept every .c and .h file of every release (no
//!   unterminated comment, no unbalanced conditional);
//! - a run in place with rules that match nothing exits 0 and leaves every byte of the tree as it
//!   was, every file (not only C), with its permissions.
//!
//! By default the quick set (scripts/uwsgi-quick.txt, a dozen releases; CI runs it); with
//! CDEFANG_CORPUS=all, every release in scripts/uwsgi-versions.txt. Releases not in the cache
//! are fetched only with CDEFANG_FETCH=1 (CI sets it); without it the test is skipped, saying so.
//! Offline, the same invariants hold on testdata/ (cli::in_place_rewrites_only_targeted_files…,
//! properties::scanner_and_tree_never_panic, properties::no_rules_change_nothing).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::util::{copy_dir, files_under, root, run_with_rules, uwsgi_releases};

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
    let text = fs::read_to_string(root().join(list)).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Every file under `dir`: its path relative to `dir`, bytes and mode.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, u32)> {
    files_under(dir)
        .into_iter()
        .map(|(path, bytes)| {
            let mode = fs::metadata(dir.join(&path)).unwrap().permissions().mode();
            (path, bytes, mode)
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
    let versions = versions();
    let Some(trees) = uwsgi_releases(&versions) else {
        return;
    };
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

        let name = format!("uwsgi-{version}");
        let copy = work.path().join(&name);
        copy_dir(release, &copy);
        let run = run_with_rules(work.path(), &rules, &["--quiet", &name]);
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
