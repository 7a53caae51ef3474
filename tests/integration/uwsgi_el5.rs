//! rules/el5.toml on the real uWSGI 2.0.17 release (its sdist from PyPI, unpacked in
//! .cache/uwsgi/ by scripts/fetch-uwsgi.sh; see util::uwsgi_releases): the rewrite touches
//! exactly core/utils.c, core/event.c and core/fsmon.c; core/utils.c equals
//! `unifdef -DOBSOLETE_LINUX_KERNEL`; the three files compile under an EL5 emulation (a
//! `sys/inotify.h` that is an `#error`) and the utils object needs no `unshare`; a second run
//! changes nothing.
//!
//! Needs the release in the cache, or CDEFANG_FETCH=1 with python3, pip and network access to
//! PyPI (without either, each test is skipped, saying so); and unifdef, gcc and nm. .ci/run
//! installs them and sets CDEFANG_FETCH=1. Set CDEFANG_SKIP_UWSGI=1 to skip them on a machine
//! without the tools.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    assert_exit, cdefang, changed_files, copy_dir, el5_rules, files_under, root, run,
    run_with_rules, unifdef, unifdef_utils, uwsgi_releases,
};

const VERSION: &str = "2.0.17";
const TARGETED: [&str; 3] = ["core/utils.c", "core/event.c", "core/fsmon.c"];

/// The tree of uWSGI 2.0.17, or `None` if the test is skipped.
fn release() -> Option<PathBuf> {
    uwsgi_releases(&[VERSION]).map(|mut trees| trees.remove(0))
}

/// Compile `file` of `tree` the way EL5 would see it: `<sys/inotify.h>` is an `#error`.
fn el5_compile(tree: &Path, shadow: &Path, file: &str, object: &Path) -> std::process::Output {
    Command::new("gcc")
        .arg("-c")
        .arg(format!("-I{}", shadow.display()))
        .args([
            "-I.",
            "-D_GNU_SOURCE",
            "-DUWSGI_EVENT_USE_EPOLL",
            "-DUWSGI_EVENT_FILEMONITOR_USE_INOTIFY",
            "-w",
            file,
            "-o",
        ])
        .arg(object)
        .current_dir(tree)
        .output()
        .expect("run gcc")
}

#[test]
fn el5_rules_make_uwsgi_2_0_17_build_on_el5() {
    let Some(release) = release() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    copy_dir(&release, &tree);
    let shadow = work.path().join("shadow");
    fs::create_dir_all(shadow.join("sys")).unwrap();
    fs::write(shadow.join("sys/inotify.h"), "#error no inotify on EL5\n").unwrap();

    // Before: the emulation bites.
    let before = el5_compile(&tree, &shadow, "core/event.c", &work.path().join("event.o"));
    assert!(
        !before.status.success(),
        "event.c must fail under EL5 before the rewrite"
    );
    assert!(String::from_utf8_lossy(&before.stderr).contains("no inotify on EL5"));

    let original = files_under(&tree);
    let output = run_with_rules(work.path(), &el5_rules(), &["tree"]);
    assert_exit(&output, 0);
    let rewritten = files_under(&tree);
    let changed = changed_files(&original, &rewritten);
    let mut expected = TARGETED.to_vec();
    expected.sort();
    assert_eq!(changed, expected, "exactly the targeted files change");

    // The oracle: unifdef on the original core/utils.c.
    assert_eq!(
        fs::read(tree.join("core/utils.c")).unwrap(),
        unifdef_utils(&release),
        "core/utils.c equals unifdef -DOBSOLETE_LINUX_KERNEL"
    );

    // EL5 emulation: the three files compile, and utils.o needs no unshare.
    for file in TARGETED {
        let object = work.path().join(file.replace('/', "-") + ".o");
        let compiled = el5_compile(&tree, &shadow, file, &object);
        assert!(
            compiled.status.success(),
            "{file} does not compile under EL5:\n{}",
            String::from_utf8_lossy(&compiled.stderr)
        );
    }
    let nm = Command::new("nm")
        .arg("-u")
        .arg(work.path().join("core-utils.c.o"))
        .output()
        .expect("run nm");
    assert!(nm.status.success());
    let undefined = String::from_utf8_lossy(&nm.stdout);
    assert!(!undefined.contains("unshare"), "{undefined}");
    assert!(
        undefined.contains("chroot"),
        "nm lists the object's undefined symbols"
    );

    // A second run changes nothing.
    let again = run_with_rules(work.path(), &el5_rules(), &["--check", "tree"]);
    assert_exit(&again, 0);
    assert_eq!(files_under(&tree), rewritten);
}

/// lang-c coverage of uWSGI 2.0.17 with rules/uwsgi-parse.toml: a floor, so that a change to
/// the C view that loses coverage fails (figures in README.md).
#[test]
fn lang_c_parses_uwsgi_2_0_17() {
    let Some(release) = release() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let coverage = |parts: &[&str]| {
        let report = work.path().join("parse.json");
        let output = cdefang(&root())
            .args(["--parse-stats", "-q", "--rules"])
            .arg(root().join("rules/uwsgi-parse.toml"))
            .arg("--report")
            .arg(&report)
            .args(parts.iter().map(|part| release.join(part)))
            .output()
            .unwrap();
        assert_exit(&output, 0);
        let report: serde_json::Value =
            serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        let functions = report["parse"]["functions"].as_f64().unwrap();
        let parsed = report["parse"]["parsed"].as_f64().unwrap();
        (functions, parsed / functions)
    };
    let (functions, core) = coverage(&["core"]);
    assert!(functions > 1500.0, "{functions} functions found in core/");
    assert!(core >= 0.995, "core/: {:.2}% parsed", core * 100.0);
    let (functions, all) = coverage(&["core", "plugins"]);
    assert!(
        functions > 3000.0,
        "{functions} functions found in core/ and plugins/"
    );
    assert!(
        all >= 0.995,
        "core/ and plugins/: {:.2}% parsed",
        all * 100.0
    );
}

/// `cdefang -DOBSOLETE_LINUX_KERNEL --stdout FILE` equals `unifdef -DOBSOLETE_LINUX_KERNEL FILE`
/// on the files of 2.0.17 whose conditionals test the symbol, exit status included.
#[test]
fn define_mode_equals_unifdef_on_uwsgi_2_0_17() {
    let Some(release) = release() else {
        return;
    };
    for file in [
        "core/utils.c",
        "core/event.c",
        "core/fsmon.c",
        "core/lock.c",
        "core/emperor.c",
        "core/daemons.c",
    ] {
        let ours = run(
            &release,
            &["-q", "-DOBSOLETE_LINUX_KERNEL", "--stdout", file],
        );
        let theirs = unifdef(&release, &["-DOBSOLETE_LINUX_KERNEL", file]);
        assert_eq!(ours.status.code(), theirs.status.code(), "{file}");
        assert!(
            ours.stdout == theirs.stdout,
            "{file} differs from unifdef's output"
        );
    }
}
