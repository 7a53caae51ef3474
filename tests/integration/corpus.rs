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
//! The same invariants are checked offline on the fixture trees of testdata/.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::util::{copy_dir, files_under, root, run_with_rules, testdata, uwsgi_releases};

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

/// The invariants on one tree, named `label` in messages: every .c and .h file scans and nests;
/// a copy of the tree (under `work`) run in place with rules that match nothing exits 0 and keeps
/// every file, bytes and mode. The number of .c and .h files.
fn check_tree(label: &str, tree: &Path, work: &Path, rules: &Path) -> usize {
    let before = snapshot(tree);
    let mut c_files = 0;
    for (path, bytes, _) in before.iter().filter(|(path, _, _)| is_c(path)) {
        let found = cdefang::scan(bytes)
            .unwrap_or_else(|error| panic!("{label}: {}: {error:?}", path.display()));
        cdefang::build_tree(&found.directives)
            .unwrap_or_else(|error| panic!("{label}: {}: {error:?}", path.display()));
        c_files += 1;
    }

    let name = label.replace([' ', '/'], "-");
    let copy = work.join(&name);
    copy_dir(tree, &copy);
    // The rules' symbols are in no file: a name check that --allow-drift makes a warning.
    let run = run_with_rules(work, rules, &["--quiet", "--allow-drift", &name]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{label}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let after = snapshot(&copy);
    assert_eq!(before.len(), after.len(), "{label}: files added or lost");
    for (old, new) in before.iter().zip(&after) {
        assert!(
            old == new,
            "{label}: {} changed (bytes or mode)",
            old.0.display()
        );
    }
    fs::remove_dir_all(&copy).unwrap();
    c_files
}

/// The rules that match nothing, written in `work`.
fn nothing_matches(work: &Path) -> PathBuf {
    let rules = work.join("nothing.toml");
    fs::write(&rules, NOTHING_MATCHES).unwrap();
    rules
}

#[test]
fn every_release_scans_and_a_rewrite_that_matches_nothing_changes_no_byte() {
    let versions = versions();
    let Some(trees) = uwsgi_releases(&versions) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let rules = nothing_matches(work.path());
    let mut c_files = 0;
    for (version, release) in versions.iter().zip(&trees) {
        c_files += check_tree(&format!("uWSGI {version}"), release, work.path(), &rules);
    }
    eprintln!(
        "{} releases, {c_files} .c/.h files: all scanned, none changed",
        versions.len()
    );
}

/// The same invariants offline, on the fixture trees that must scan (not testdata/bad/), with
/// files of other modes than the checkout's and a file that is not C.
#[test]
fn every_fixture_tree_scans_and_a_rewrite_that_matches_nothing_changes_no_byte() {
    let work = tempfile::tempdir().unwrap();
    let rules = nothing_matches(work.path());
    let mut c_files = 0;
    for fixture in ["uwsgi", "constructs", "learn"] {
        let tree = work.path().join("fixtures").join(fixture);
        copy_dir(&testdata(fixture), &tree);
        for (file, mode) in [("executable", 0o755), ("private", 0o600)] {
            let path = tree.join(format!("{file}.c"));
            fs::write(
                &path,
                format!("#ifdef {}\nint {file};\n#endif\n", file.to_uppercase()),
            )
            .unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        }
        c_files += check_tree(&format!("testdata/{fixture}"), &tree, work.path(), &rules);
    }
    assert!(c_files > 20, "{c_files} .c/.h files");
}
