//! Helpers the integration tests share: the project root, copying a tree, and the real uWSGI
//! releases (fetched from PyPI by scripts/fetch-uwsgi.sh into .cache/uwsgi/).

// Each test crate uses some of these.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the tree `from` to `to` (created), files and directories only.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// True (and says so) when CDEFANG_SKIP_UWSGI is set: `what` needs pip, PyPI or a warm cache,
/// and the tools .ci/run installs.
pub fn skip_uwsgi(what: &str) -> bool {
    if std::env::var_os("CDEFANG_SKIP_UWSGI").is_some() {
        eprintln!("SKIPPED: CDEFANG_SKIP_UWSGI is set; {what} did not run");
        return true;
    }
    false
}

/// The unpacked trees of uWSGI `versions`, in order.
pub fn fetch_uwsgi<S: AsRef<str>>(versions: &[S]) -> Vec<PathBuf> {
    let output = Command::new("bash")
        .arg(root().join("scripts/fetch-uwsgi.sh"))
        .args(versions.iter().map(AsRef::as_ref))
        .output()
        .expect("run scripts/fetch-uwsgi.sh");
    assert!(
        output.status.success(),
        "fetching uWSGI failed (needs pip and PyPI, or a warm .cache/uwsgi):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let trees: Vec<PathBuf> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect();
    assert_eq!(trees.len(), versions.len());
    trees
}

/// The unpacked tree of one uWSGI release.
pub fn fetch_one(version: &str) -> PathBuf {
    fetch_uwsgi(&[version]).remove(0)
}
