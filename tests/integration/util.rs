//! What the test modules share, each in one place: the project's paths and fixtures, copies and
//! listings of trees, the `cdefang` command and its output, rules in scratch directories, GNU
//! patch and unifdef, the real uWSGI releases (fetched from PyPI by scripts/fetch-uwsgi.sh into
//! .cache/uwsgi/), and snapshots.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cdefang::{Assumptions, Rule, RulesFile, Setup};

/// The project's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under testdata/.
pub fn testdata(path: &str) -> PathBuf {
    root().join("testdata").join(path)
}

/// The bytes of a file under testdata/.
pub fn read_testdata(path: &str) -> Vec<u8> {
    let path = testdata(path);
    fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// rules/el5.toml.
pub fn el5_rules() -> PathBuf {
    root().join("rules/el5.toml")
}

/// Copy the tree `from` to `to` (created with its parents): directories, files with their
/// permissions, and symbolic links as links.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), target).unwrap();
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A scratch directory holding a copy of testdata/uwsgi as `tree/`.
pub fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("uwsgi"), &dir.path().join("tree"));
    dir
}

/// Every file under `dir` (links not followed), by its path relative to `dir`, with its bytes,
/// sorted.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            (
                entry.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// Write `text` as `dir/rules.toml`; its path.
pub fn write_rules(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("rules.toml");
    fs::write(&path, text).unwrap();
    path
}

/// A rules file of one rule: `id`, a message, `files = ["*.c"]`, `action`, then `rule_keys`,
/// and `[rule.match]` with `match_keys`.
pub fn one_rule(id: &str, action: &str, rule_keys: &str, match_keys: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\nmessage = \"m\"\nfiles = [\"*.c\"]\naction = \"{action}\"\n\
         {rule_keys}\n[rule.match]\n{match_keys}\n"
    )
}

/// The setup of a rules file's text.
pub fn setup(rules_toml: &str) -> Setup {
    Setup::from_rules_file(cdefang::load_rules(rules_toml, 0).expect("rules load"))
}

/// The setup that resolves every conditional with the symbols `define`d and `undef`ined, as
/// `-D`/`-U` do.
pub fn resolve_setup(define: &[&str], undef: &[&str]) -> Setup {
    let mut assumptions = Assumptions::default();
    for symbol in define {
        assumptions.define(symbol);
    }
    for symbol in undef {
        assumptions.undefine(symbol);
    }
    Setup::from_rules_file(RulesFile {
        rules: vec![Rule::resolve_everywhere(assumptions)],
        ..RulesFile::default()
    })
}

/// The cdefang binary, to run in `dir`, as a plain process (for the tests that drive its pipes).
pub fn cdefang_process(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdefang"));
    command.current_dir(dir);
    command
}

/// The cdefang binary, to run in `dir`.
pub fn cdefang(dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(cdefang_process(dir))
}

/// `cdefang ARGS…` run in `dir`; its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    cdefang(dir).args(args).output().unwrap()
}

/// `cdefang ARGS…` run from the project root (so that paths in the output are `testdata/…`);
/// its output.
pub fn run_at_root(args: &[&str]) -> Output {
    run(&root(), args)
}

/// `cdefang --rules RULES ARGS…` run in `dir`; its output.
pub fn run_with_rules(dir: &Path, rules: &Path, args: &[&str]) -> Output {
    cdefang(dir)
        .arg("--rules")
        .arg(rules)
        .args(args)
        .output()
        .unwrap()
}

/// A run's standard output, as text (invalid UTF-8 replaced).
pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A run's standard error, as text (invalid UTF-8 replaced).
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Check a run's exit status, showing its standard output and error if it is not `code`.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "standard output:\n{}\nstandard error:\n{}",
        stdout_of(output),
        stderr_of(output)
    );
}

/// Check a run's exit status and that its standard error contains each of `wanted`; its
/// standard error.
#[track_caller]
pub fn assert_stderr(output: &Output, code: i32, wanted: &[&str]) -> String {
    assert_exit(output, code);
    let stderr = stderr_of(output);
    assert_contains(&stderr, wanted);
    stderr
}

/// Check that `text` contains each of `wanted`, showing `text` if not.
#[track_caller]
pub fn assert_contains(text: &str, wanted: &[&str]) {
    for needle in wanted {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

/// Check that the file at `path` holds exactly `expected`.
#[track_caller]
pub fn assert_file(path: &Path, expected: &[u8]) {
    let bytes = fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(
        bytes == expected,
        "{} holds:\n{}\nexpected:\n{}",
        path.display(),
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(expected)
    );
}

/// The paths (as text) whose bytes differ between two listings of the same files.
pub fn changed_files(before: &[(PathBuf, Vec<u8>)], after: &[(PathBuf, Vec<u8>)]) -> Vec<String> {
    assert_eq!(before.len(), after.len(), "files added or lost");
    before
        .iter()
        .zip(after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.display().to_string())
        .collect()
}

/// Run GNU patch -p1 --batch `options` with `patch` in `dir`; its standard output (it must
/// succeed).
pub fn apply_patch(dir: &Path, patch: &[u8], options: &[&str]) -> String {
    let child = Command::new("patch")
        .args(["-p1", "--batch"])
        .args(options)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        panic!("GNU patch is needed for this test (apt-get install patch)");
    };
    child.stdin.take().unwrap().write_all(patch).unwrap();
    let output = child.wait_with_output().unwrap();
    let report = stdout_of(&output);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(patch)
    );
    report
}

/// `unifdef ARGS…` run in `dir`.
pub fn unifdef(dir: &Path, args: &[&str]) -> Output {
    Command::new("unifdef")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run unifdef (apt-get install unifdef)")
}

/// `unifdef -DOBSOLETE_LINUX_KERNEL core/utils.c` of a release (exit 1: it changed the file).
pub fn unifdef_utils(release: &Path) -> Vec<u8> {
    let oracle = unifdef(release, &["-DOBSOLETE_LINUX_KERNEL", "core/utils.c"]);
    assert_eq!(oracle.status.code(), Some(1), "unifdef changed the file");
    oracle.stdout
}

/// The unpacked trees of uWSGI `versions`, in order: the only way a test gets a real release.
///
/// Releases already unpacked in the cache (.cache/uwsgi/, or CDEFANG_UWSGI_CACHE: where
/// scripts/fetch-uwsgi.sh keeps them) are used once the script has checked them against their
/// sdist (a tree changed in place is unpacked again; tests rewrite copies only). Fetching the others from PyPI (pip
/// and the network) is opt-in: with CDEFANG_FETCH=1 (which .ci/run sets) scripts/fetch-uwsgi.sh
/// fetches them; without it, the test says `SKIPPED: …` and gets `None`, and returns. So does a
/// test when CDEFANG_SKIP_UWSGI is set (a machine without the tools those tests run: gcc, nm,
/// unifdef), cache or not.
pub fn uwsgi_releases<S: AsRef<str>>(versions: &[S]) -> Option<Vec<PathBuf>> {
    let versions: Vec<&str> = versions.iter().map(AsRef::as_ref).collect();
    if std::env::var_os("CDEFANG_SKIP_UWSGI").is_some() {
        skipped("CDEFANG_SKIP_UWSGI is set");
        return None;
    }
    // As scripts/fetch-uwsgi.sh: the cache, and a release is unpacked once core/utils.c is.
    let cache = std::env::var_os("CDEFANG_UWSGI_CACHE")
        .filter(|value| !value.is_empty())
        .map_or_else(|| root().join(".cache/uwsgi"), PathBuf::from);
    let trees: Vec<PathBuf> = versions
        .iter()
        .map(|version| cache.join(format!("uwsgi-{version}")))
        .collect();
    let missing: Vec<&str> = versions
        .iter()
        .zip(&trees)
        .filter(|(_, tree)| !tree.join("core/utils.c").is_file())
        .map(|(version, _)| *version)
        .collect();
    let fetch =
        std::env::var_os("CDEFANG_FETCH").is_some_and(|value| !value.is_empty() && value != "0");
    if !missing.is_empty() && !fetch {
        skipped(&format!(
            "uWSGI {} not unpacked in {}; set CDEFANG_FETCH=1 to fetch from PyPI (pip and network)",
            missing.join(", "),
            cache.display()
        ));
        return None;
    }
    // The script also checks each tree already unpacked against its sdist (unpacking it again
    // if it was changed in place), so that every test starts from the release's own files.
    let output = Command::new("bash")
        .arg(root().join("scripts/fetch-uwsgi.sh"))
        .args(&versions)
        .output()
        .expect("run scripts/fetch-uwsgi.sh");
    assert!(
        output.status.success(),
        "fetching uWSGI failed (needs pip and PyPI):\n{}",
        stderr_of(&output)
    );
    let fetched: Vec<PathBuf> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect();
    assert_eq!(fetched.len(), versions.len());
    Some(fetched)
}

/// Say that the running test skipped its checks, and why: on standard error itself, not through
/// the test harness's capture, so that it shows whether the test passes or not.
fn skipped(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(io::stderr().lock(), "SKIPPED: {test}: {why}");
}

/// Check `content` against the snapshot snapshots/<name>.snap, kept as `cdefang test` keeps
/// its snapshots (cdefang::snapshot_bytes: a header saying where it comes from, then the bytes
/// exactly; only the bytes are compared). `of` says what the content is, for the header.
///
/// A missing or different snapshot fails the test with the diff, and the output is written
/// beside it as the pending snapshots/<name>.snap.new (not when CI is set), for review: read it,
/// then accept it with scripts/accept-snapshots.sh. Nothing here ever writes an accepted
/// snapshot. A pending snapshot left over from an earlier failure is removed once the test
/// passes.
#[track_caller]
pub fn assert_snapshot(name: &str, of: &str, content: impl AsRef<[u8]>) {
    let content = content.as_ref();
    let source = std::panic::Location::caller().file();
    let shown = format!("snapshots/{name}.snap");
    let path = root().join(&shown);
    let pending = cdefang::pending_path(&path);
    let stored = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => panic!("cannot read {shown}: {error}"),
    };
    let accepted = stored.as_deref().map(|bytes| {
        cdefang::snapshot_content(bytes)
            .unwrap_or_else(|| panic!("{shown} is not a snapshot: it has no `---` header"))
    });
    let ci = std::env::var_os("CI").is_some();
    if accepted == Some(content) {
        if !ci && pending.exists() {
            fs::remove_file(&pending).unwrap();
        }
        return;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("the test")
        .to_string();
    let mut message = match accepted {
        None => format!("no snapshot {shown}; the output of {test} (+):\n"),
        Some(_) => format!("snapshot {shown} differs from the output (- snapshot, + output):\n"),
    };
    // The whole files, so that line numbers are those of the snapshot file (as `cdefang test`).
    let snapshot = cdefang::snapshot_bytes(source, name, of, content);
    let mut diff = Vec::new();
    cdefang::write_labelled_diff(
        &mut diff,
        &shown,
        &format!("output of {test}"),
        stored.as_deref().unwrap_or_default(),
        &snapshot,
    )
    .unwrap();
    message.push_str(&String::from_utf8_lossy(&diff));
    if !message.ends_with('\n') {
        message.push('\n');
    }
    if ci {
        message.push_str("CI is set: no pending snapshot written\n");
    } else {
        fs::create_dir_all(root().join("snapshots")).unwrap();
        fs::write(&pending, snapshot).unwrap();
        message.push_str(&format!(
            "wrote {shown}.new for review: read it, then accept it with scripts/accept-snapshots.sh\n"
        ));
    }
    panic!("{message}");
}

/// Where scripts/fetch-corpora.sh keeps the real code bases: .cache/corpora/, or
/// CDEFANG_CORPORA_CACHE.
fn corpora_cache() -> PathBuf {
    std::env::var_os("CDEFANG_CORPORA_CACHE")
        .map_or_else(|| root().join(".cache/corpora"), PathBuf::from)
}

/// The corpus directory, fetched when missing and CDEFANG_FETCH is set; `None` (and a
/// `SKIPPED:` line) otherwise.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let dir = corpora_cache().join(name);
    if !dir.is_dir() && std::env::var_os("CDEFANG_FETCH").is_some() {
        let status = Command::new("bash")
            .arg(root().join("scripts/fetch-corpora.sh"))
            .arg(name)
            .status()
            .expect("run scripts/fetch-corpora.sh");
        assert!(status.success(), "scripts/fetch-corpora.sh {name} failed");
    }
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {name}: {} is absent (run scripts/fetch-corpora.sh, or set CDEFANG_FETCH=1)",
            dir.display()
        );
        None
    }
}
