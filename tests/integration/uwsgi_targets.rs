//! The line and statement examples, rules/no-epoll.toml and rules/pdeathsig.toml (with
//! rules/uwsgi-parse.toml's hints), on real uWSGI releases: on 1.9.21 and 2.0.17 the run
//! changes exactly uwsgi.h (the epoll include line, nothing else), core/event.c (the poll
//! backend) and core/emperor.c (each prctl(PR_SET_PDEATHSIG) call guarded); core/event.c and
//! core/emperor.c fail to compile before and compile after on a system emulated without
//! <sys/epoll.h> and without PR_SET_PDEATHSIG, and event.o needs no epoll_ function; a second
//! run changes nothing. On 1.4.9 (no poll backend) the drift alarm fires and nothing is
//! written. scripts/drift.sh runs the same checks on every release.
//!
//! Needs the releases in the cache (see util::uwsgi_releases), gcc and nm.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::util::{
    assert_exit, cdefang, changed_files, copy_dir, files_under, root, stderr_of, uwsgi_releases,
};

/// `cdefang --rules uwsgi-parse --rules no-epoll --rules pdeathsig ARGS… TREE`.
fn run_examples(tree: &Path, args: &[&str]) -> Output {
    let mut command = cdefang(&root());
    for rules in ["uwsgi-parse", "no-epoll", "pdeathsig"] {
        command
            .arg("--rules")
            .arg(root().join(format!("rules/{rules}.toml")));
    }
    command.args(args).arg(tree).output().unwrap()
}

/// A system without <sys/epoll.h> and whose <sys/prctl.h> lacks PR_SET_PDEATHSIG.
fn shadow(dir: &Path) -> std::path::PathBuf {
    let shadow = dir.join("shadow");
    fs::create_dir_all(shadow.join("sys")).unwrap();
    fs::write(
        shadow.join("sys/epoll.h"),
        "#error no epoll on this system\n",
    )
    .unwrap();
    fs::write(
        shadow.join("sys/prctl.h"),
        "#include_next <sys/prctl.h>\n#undef PR_SET_PDEATHSIG\n",
    )
    .unwrap();
    shadow
}

fn compile(tree: &Path, shadow: &Path, file: &str, object: &Path) -> Output {
    Command::new("gcc")
        .arg("-c")
        .arg(format!("-I{}", shadow.display()))
        .args([
            "-I.",
            "-D_GNU_SOURCE",
            "-DUWSGI_THREADING",
            "-DUWSGI_VERSION=\"test\"",
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
fn no_epoll_and_pdeathsig_hold_on_1_9_and_2_0() {
    let Some(releases) = uwsgi_releases(&["1.9.21", "2.0.17"]) else {
        return;
    };
    for release in releases {
        let work = tempfile::tempdir().unwrap();
        let tree = work.path().join("tree");
        copy_dir(&release, &tree);
        let shadow = shadow(work.path());
        for file in ["core/event.c", "core/emperor.c"] {
            let before = compile(&tree, &shadow, file, &work.path().join("before.o"));
            assert!(
                !before.status.success(),
                "{file} compiles before the rewrite"
            );
        }
        let original = files_under(&tree);
        let output = run_examples(&tree, &[]);
        assert_exit(&output, 0);
        let rewritten = files_under(&tree);
        assert_eq!(
            changed_files(&original, &rewritten),
            ["core/emperor.c", "core/event.c", "uwsgi.h"],
            "{}",
            release.display()
        );
        let old = fs::read_to_string(release.join("uwsgi.h")).unwrap();
        let new = fs::read_to_string(tree.join("uwsgi.h")).unwrap();
        assert_eq!(new, old.replacen("#include <sys/epoll.h>\n", "", 1));
        assert!(new.contains("#include <sys/sendfile.h>\n#elif defined(__GNU_kFreeBSD__)\n"));
        let emperor = fs::read_to_string(tree.join("core/emperor.c")).unwrap();
        let calls = emperor.matches("prctl(PR_SET_PDEATHSIG").count();
        assert_eq!(calls, 2);
        assert_eq!(emperor.matches("#ifdef PR_SET_PDEATHSIG\n").count(), calls);
        for file in ["core/event.c", "core/emperor.c"] {
            let object = work.path().join(file.replace('/', "-") + ".o");
            let compiled = compile(&tree, &shadow, file, &object);
            assert!(
                compiled.status.success(),
                "{file} of {} does not compile:\n{}",
                release.display(),
                String::from_utf8_lossy(&compiled.stderr)
            );
        }
        let nm = Command::new("nm")
            .arg("-u")
            .arg(work.path().join("core-event.c.o"))
            .output()
            .expect("run nm");
        let undefined = String::from_utf8_lossy(&nm.stdout);
        assert!(!undefined.contains("epoll_"), "{undefined}");
        assert!(undefined.contains("poll"), "{undefined}");

        let again = run_examples(&tree, &["--check"]);
        assert_exit(&again, 0);
        assert_eq!(files_under(&tree), rewritten);
    }
}

#[test]
fn no_epoll_raises_the_drift_alarm_on_1_4_9() {
    let Some(releases) = uwsgi_releases(&["1.4.9"]) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    copy_dir(&releases[0], &tree);
    let original = files_under(&tree);
    let output = run_examples(&tree, &[]);
    assert_exit(&output, 2);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("drift: rule `event-backend-poll` found 3 match(es), expected at least 4"),
        "{stderr}"
    );
    assert_eq!(files_under(&tree), original, "nothing written");
    // The pdeathsig rule alone holds there (one call, guarded).
    let rules = root().join("rules");
    let output = cdefang(&root())
        .arg("--rules")
        .arg(rules.join("uwsgi-parse.toml"))
        .arg("--rules")
        .arg(rules.join("pdeathsig.toml"))
        .arg("--diff")
        .arg(&tree)
        .output()
        .unwrap();
    assert_exit(&output, 1);
    assert!(String::from_utf8_lossy(&output.stdout).contains("+#ifdef PR_SET_PDEATHSIG\n"));
}
