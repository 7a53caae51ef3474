//! The test command, `cdefang test RULES…`: run the `[[test]]` cases of rules files and compare what
//! the rules make of each case with a snapshot kept beside the rules file.
//!
//! A case's input (inline `code`, or a `path` relative to the rules file's directory) goes
//! through `cdefang::process` with the rules of its own rules file, under the case's `file`
//! name (so the rules' globs select it). The case passes when every rule named in its `expect`
//! found exactly that many matches and the output (the rewritten bytes, or the input when
//! nothing changed) equals the content of `<rules dir>/snapshots/<rules stem>@<case>.snap`.
//!
//! A snapshot is a short header then the output's bytes, exactly:
//!
//! ```text
//! ---
//! source: el5.toml
//! case: utils-2x
//! file: core/utils.c
//! ---
//! <the output>
//! ```
//!
//! Only the content is compared; the header says where the snapshot comes from. Accepted
//! snapshots are never overwritten: `--update` writes `<snapshot>.new` beside each snapshot
//! that is missing or differs, for review, and `--accept` renames the pending ones into place,
//! as `cargo insta` does. Every write is atomic (`stage` then `commit`, or a
//! rename).
//!
//! Exit status: 0 every case passed (or, with `--accept`, done), 1 some case failed, 2 trouble
//! (a path that cannot be read, an invalid rules file, a case the engine cannot process, a
//! snapshot that cannot be read or written), rendered as [`Problem`]s.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use cdefang::{
    ExitStatus, FilesError, InFile, Lines, Problem, RulesError, RulesFile, Setup, TestCase,
    TestInput, pending_path, plural, snapshot_bytes, snapshot_content,
};

/// What `cdefang test` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Run the cases; write nothing.
    Check,
    /// Run the cases; write `<snapshot>.new` for each snapshot that is missing or differs.
    Update,
    /// Rename every pending `<snapshot>.new` of the rules files into place; run nothing.
    Accept,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Rules files, or directories whose `*.toml` files are taken (not recursively).
    pub paths: Vec<PathBuf>,
    pub mode: Mode,
}

/// Trouble that stops a rules file or a case from being tested (exit status 2).
#[derive(Debug)]
pub enum TestError {
    /// A path given cannot be read.
    Path { path: PathBuf, error: io::Error },
    /// A directory given holds no `*.toml` file.
    NoRulesFiles(PathBuf),
    /// A rules file is not valid.
    Rules {
        name: String,
        text: String,
        error: Box<RulesError>,
    },
    /// A case's `path` cannot be read.
    Input {
        rules: String,
        text: String,
        case: String,
        path: PathBuf,
        span: Range<usize>,
        error: io::Error,
    },
    /// The engine cannot process a case's input (unbalanced conditionals, an unreadable
    /// condition, overlapping rules, code lang-c cannot parse): the diagnostic, pointing into
    /// the case's input.
    Process { case: String, problem: Box<Problem> },
    /// A snapshot cannot be read, written or renamed.
    Snapshot { path: PathBuf, error: io::Error },
    /// A pending snapshot cannot be written.
    Write(FilesError),
}

impl TestError {
    /// The error as a diagnostic.
    pub fn problem(&self) -> Problem {
        match self {
            TestError::Path { path, error } => {
                Problem::error(format!("cannot read {}: {error}", path.display()))
                    .help("give rules files, or directories holding them")
            }
            TestError::NoRulesFiles(path) => Problem::error(format!(
                "{}: no rules file (*.toml) in this directory",
                path.display()
            ))
            .help("give rules files, or the directory that holds them (it is not searched recursively)"),
            TestError::Rules { name, text, error } => {
                Problem::from(InFile::new(name, text.as_bytes(), error.as_ref()))
            }
            TestError::Input {
                rules,
                text,
                case,
                path,
                span,
                error,
            } => Problem::error(format!(
                "test case `{case}`: cannot read {}: {error}",
                path.display()
            ))
            .at(rules, text.as_bytes(), span.clone(), "this file")
            .help("a case's `path` is relative to the directory of its rules file"),
            TestError::Process { case, problem } => {
                (**problem).clone().with_note(format!("in test case `{case}`"))
            }
            TestError::Snapshot { path, error } => Problem::error(format!(
                "snapshot {}: {error}",
                path.display()
            ))
            .help("check the permissions of the snapshots directory"),
            TestError::Write(error) => Problem::error(format!("cannot write a snapshot: {error}"))
                .help("check the permissions of the snapshots directory and free space"),
        }
    }
}

/// Run `cdefang test`; returns the exit status. The report goes to standard output,
/// diagnostics to standard error, then the summary.
pub fn run(options: &Options) -> ExitStatus {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut problems = Vec::new();
    let outcome = run_to(options, &mut out, &mut problems);
    let _ = out.flush();
    cdefang::print_problems(&problems);
    let _ = out.write_all(outcome.summary.as_bytes());
    let _ = out.flush();
    outcome.status
}

/// What a run ends with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: ExitStatus,
    /// The lines printed after the diagnostics: the failed cases and the counts.
    pub summary: String,
}

/// Run `cdefang test`, writing the report to `out` and the trouble to `problems`.
pub fn run_to(options: &Options, out: &mut dyn Write, problems: &mut Vec<Problem>) -> Outcome {
    let mut tally = Tally::default();
    let (paths, errors) = rules_files(&options.paths);
    for error in errors {
        tally.errors += 1;
        problems.push(error.problem());
    }
    for path in &paths {
        let loaded = match load(path) {
            Ok(loaded) => loaded,
            Err(error) => {
                let _ = writeln!(
                    out,
                    "{}: not tested (see its error on standard error)",
                    path.display()
                );
                tally.errors += 1;
                problems.push(error.problem());
                continue;
            }
        };
        match options.mode {
            Mode::Accept => accept(&loaded, out, problems, &mut tally),
            Mode::Check | Mode::Update => {
                test_file(loaded, options.mode, out, problems, &mut tally);
            }
        }
    }
    tally.outcome(options)
}

/// Counts over the run.
#[derive(Default)]
struct Tally {
    passed: u64,
    /// `rules::case` of each failed case.
    failed: Vec<String>,
    errors: u64,
    written: u64,
    accepted: u64,
}

impl Tally {
    fn outcome(&self, options: &Options) -> Outcome {
        let mut summary = String::new();
        let paths: Vec<String> = options
            .paths
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        let paths = paths.join(" ");
        if options.mode == Mode::Accept {
            let _ = writeln!(
                summary,
                "{} {} accepted",
                self.accepted,
                plural(self.accepted, "snapshot", "snapshots")
            );
        } else {
            if !self.failed.is_empty() {
                let _ = writeln!(summary, "\nfailures:");
                for case in &self.failed {
                    let _ = writeln!(summary, "    {case}");
                }
            }
            let _ = write!(
                summary,
                "\n{} passed, {} failed",
                self.passed,
                self.failed.len()
            );
            if self.errors > 0 {
                let _ = write!(
                    summary,
                    ", {} {} (see above)",
                    self.errors,
                    plural(self.errors, "error", "errors")
                );
            }
            summary.push('\n');
            if self.written > 0 {
                let _ = writeln!(
                    summary,
                    "{} new {} written for review: read each .snap.new, then run `cdefang test --accept {paths}`",
                    self.written,
                    plural(self.written, "snapshot", "snapshots")
                );
            }
        }
        let status = if self.errors > 0 {
            ExitStatus::Trouble
        } else if !self.failed.is_empty() {
            ExitStatus::Changes
        } else {
            ExitStatus::Ok
        };
        Outcome { status, summary }
    }
}

/// The rules files the paths name: files as given, directories' `*.toml` files by name.
fn rules_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<TestError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for path in paths {
        match rules_files_named(path) {
            Ok(files) => found.extend(files.into_iter().filter(|file| seen.insert(file.clone()))),
            Err(error) => errors.push(error),
        }
    }
    (found, errors)
}

/// The rules files one path names: the file itself, or the `*.toml` files of the directory, by
/// name (not recursively).
fn rules_files_named(path: &Path) -> Result<Vec<PathBuf>, TestError> {
    let error = |error| TestError::Path {
        path: path.to_path_buf(),
        error,
    };
    if !fs::metadata(path).map_err(error)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut inside = Vec::new();
    for entry in fs::read_dir(path).map_err(error)? {
        let file = entry.map_err(error)?.path();
        if file
            .extension()
            .is_some_and(|extension| extension == "toml")
            && file.is_file()
        {
            inside.push(file);
        }
    }
    if inside.is_empty() {
        return Err(TestError::NoRulesFiles(path.to_path_buf()));
    }
    inside.sort();
    Ok(inside)
}

/// A rules file, loaded.
struct Loaded {
    path: PathBuf,
    display: String,
    text: String,
    rules: RulesFile,
}

impl Loaded {
    /// `<rules dir>/snapshots/<rules stem>@<case>.snap`.
    fn snapshot_path(&self, case: &str) -> PathBuf {
        self.snapshot_dir()
            .join(format!("{}@{case}.snap", self.stem()))
    }

    fn snapshot_dir(&self) -> PathBuf {
        self.directory().join("snapshots")
    }

    fn directory(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The snapshots of this rules file in its snapshots directory (`ending` is `.snap` or
    /// `.snap.new`), by case name.
    fn snapshots_on_disk(&self, ending: &str) -> Vec<(String, PathBuf)> {
        let prefix = format!("{}@", self.stem());
        let Ok(entries) = fs::read_dir(self.snapshot_dir()) else {
            return Vec::new();
        };
        let mut found: Vec<(String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let case = name.strip_prefix(&prefix)?.strip_suffix(ending)?;
                Some((case.to_string(), entry.path()))
            })
            .collect();
        found.sort();
        found
    }
}

fn load(path: &Path) -> Result<Loaded, TestError> {
    let display = path.display().to_string();
    let bytes = fs::read(path).map_err(|error| TestError::Path {
        path: path.to_path_buf(),
        error,
    })?;
    let text = match cdefang::rules_text(&bytes) {
        Ok(text) => text.to_string(),
        Err(error) => {
            return Err(TestError::Rules {
                name: display,
                // Up to the first byte that is not UTF-8, where the error points, as it is.
                text: String::from_utf8_lossy(&bytes).into_owned(),
                error: Box::new(error),
            });
        }
    };
    let rules = cdefang::load_rules(&text, 0).map_err(|error| TestError::Rules {
        name: display.clone(),
        text: text.clone(),
        error: Box::new(error),
    })?;
    Ok(Loaded {
        path: path.to_path_buf(),
        display,
        text,
        rules,
    })
}

fn test_file(
    mut loaded: Loaded,
    mode: Mode,
    out: &mut dyn Write,
    problems: &mut Vec<Problem>,
    tally: &mut Tally,
) {
    let cases = std::mem::take(&mut loaded.rules.tests);
    if cases.is_empty() {
        let _ = writeln!(out, "{}: no test cases", loaded.display);
        return;
    }
    let _ = writeln!(
        out,
        "{}: {} test {}",
        loaded.display,
        cases.len(),
        plural(cases.len() as u64, "case", "cases")
    );
    let setup = Setup::from_rules_file(std::mem::take(&mut loaded.rules));
    for case in &cases {
        match run_case(&loaded, &setup, case, mode) {
            Ok(report) => {
                let verdict = if report.passed { "ok" } else { "FAILED" };
                let _ = writeln!(out, "test {} ... {verdict}", case.name);
                let _ = out.write_all(&report.details);
                if report.passed {
                    tally.passed += 1;
                } else {
                    tally
                        .failed
                        .push(format!("{}::{}", loaded.display, case.name));
                }
                tally.written += u64::from(report.wrote);
            }
            Err(error) => {
                let _ = writeln!(
                    out,
                    "test {} ... ERROR (see its error on standard error)",
                    case.name
                );
                tally.errors += 1;
                problems.push(error.problem());
            }
        }
    }
    let known: BTreeSet<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    for (case, path) in loaded.snapshots_on_disk(".snap") {
        if !known.contains(case.as_str()) {
            let _ = writeln!(
                out,
                "note: {} belongs to no test case of {} (delete it if the case is gone)",
                path.display(),
                loaded.display
            );
        }
    }
}

/// What one case gave.
struct CaseReport {
    passed: bool,
    /// Lines under the case's line: what failed, with the snapshot diff; what was written.
    details: Vec<u8>,
    /// A pending snapshot was written.
    wrote: bool,
}

fn run_case(
    loaded: &Loaded,
    setup: &Setup,
    case: &TestCase,
    mode: Mode,
) -> Result<CaseReport, TestError> {
    let (input, input_name) = match &case.input {
        TestInput::Code { text, .. } => (
            text.as_bytes().to_vec(),
            format!("{} (test case `{}`)", loaded.display, case.name),
        ),
        TestInput::Path { path, span } => {
            let full = loaded.directory().join(path);
            let bytes = fs::read(&full).map_err(|error| TestError::Input {
                rules: loaded.display.clone(),
                text: loaded.text.clone(),
                case: case.name.clone(),
                path: full.clone(),
                span: span.clone(),
                error,
            })?;
            (bytes, full.display().to_string())
        }
    };
    let result = cdefang::process(&input, &case.file, setup).map_err(|error| {
        let problem = Problem::from(InFile::new(&input_name, &input, &error));
        let problem = match &case.input {
            TestInput::Code { text, span } => match code_offset(&loaded.text, span, text) {
                Some(offset) => relocate(problem, &loaded.display, &loaded.text, offset),
                None => problem,
            },
            TestInput::Path { .. } => problem,
        };
        TestError::Process {
            case: case.name.clone(),
            problem: Box::new(problem),
        }
    })?;

    let mut passed = true;
    let mut details = String::new();
    for expected in &case.expect {
        let Some(rule) = setup.rules.get(expected.rule) else {
            continue;
        };
        let found = result
            .counts
            .get(expected.rule)
            .map_or(0, |count| count.matches);
        if found == expected.matches {
            continue;
        }
        passed = false;
        let _ = write!(
            details,
            "    rule {}: expected {} {}, found {found}",
            rule.id,
            expected.matches,
            plural(expected.matches, "match", "matches"),
        );
        if !result.applies.get(expected.rule).copied().unwrap_or(false) {
            let _ = write!(details, " (its `files` globs do not select {})", case.file);
        }
        details.push('\n');
    }
    let lines = Lines::new(&input);
    for warning in &result.warnings {
        if let Some(rule) = setup.rules.get(warning.rule) {
            let (line, column) = lines.line_column(warning.failure.offset);
            let _ = writeln!(
                details,
                "    note: rule {}: lang-c cannot parse line {line}, column {column} ({}); answered at the token level (fallback = \"tokens\")",
                rule.id, warning.failure.message
            );
        }
    }
    let mut details = details.into_bytes();

    let actual = result.output.as_deref().unwrap_or(&input);
    let snapshot = loaded.snapshot_path(&case.name);
    let pending = pending_path(&snapshot);
    let snapshot_shown = snapshot.display().to_string();
    let accept_hint = format!(
        "read it, then run `cdefang test --accept {}`",
        loaded.display
    );
    let update_hint = match mode {
        Mode::Update => String::new(),
        _ => format!(
            ": run `cdefang test --update {}` to write one for review",
            loaded.display
        ),
    };
    let new_snapshot = snapshot_bytes(&loaded.file_name(), &case.name, &case.file, actual);
    let stored = match fs::read(&snapshot) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(TestError::Snapshot {
                path: snapshot,
                error,
            });
        }
    };
    let matches_snapshot = match &stored {
        None => {
            let _ = writeln!(details, "    no snapshot {snapshot_shown}{update_hint}");
            false
        }
        Some(bytes) => match snapshot_content(bytes) {
            None => {
                let _ = writeln!(
                    details,
                    "    {snapshot_shown} is not a snapshot (it does not start with a `---` header){update_hint}"
                );
                false
            }
            Some(content) if content == actual => true,
            Some(_) => {
                // The whole files, so that line numbers are those of the snapshot file.
                let _ = writeln!(
                    details,
                    "    snapshot {snapshot_shown} differs from the output (- snapshot, + output):"
                );
                let _ = cdefang::write_labelled_diff(
                    &mut details,
                    &snapshot_shown,
                    &format!("output of test case {}", case.name),
                    bytes,
                    &new_snapshot,
                );
                if !details.ends_with(b"\n") {
                    details.push(b'\n');
                }
                false
            }
        },
    };
    passed &= matches_snapshot;

    let mut wrote = false;
    let pending_exists = pending.exists();
    match (mode, matches_snapshot) {
        (Mode::Update, false) => {
            let staged = cdefang::stage_new(&pending, &new_snapshot).map_err(TestError::Write)?;
            cdefang::commit(staged).map_err(TestError::Write)?;
            wrote = true;
            let _ = writeln!(
                details,
                "    wrote {} for review: {accept_hint}",
                pending.display()
            );
        }
        (Mode::Update, true) if pending_exists => {
            fs::remove_file(&pending).map_err(|error| TestError::Snapshot {
                path: pending.clone(),
                error,
            })?;
            let _ = writeln!(
                details,
                "    removed {}: the snapshot matches",
                pending.display()
            );
        }
        (_, false) if pending_exists => {
            let _ = writeln!(
                details,
                "    {} is pending: {accept_hint}",
                pending.display()
            );
        }
        _ => {}
    }
    Ok(CaseReport {
        passed,
        details,
        wrote,
    })
}

/// `--accept`: rename each pending snapshot of the file's cases into place.
fn accept(loaded: &Loaded, out: &mut dyn Write, problems: &mut Vec<Problem>, tally: &mut Tally) {
    let known: BTreeSet<&str> = loaded
        .rules
        .tests
        .iter()
        .map(|case| case.name.as_str())
        .collect();
    let pending = loaded.snapshots_on_disk(".snap.new");
    if pending.is_empty() {
        let _ = writeln!(out, "{}: no pending snapshots", loaded.display);
        return;
    }
    for (case, path) in pending {
        if !known.contains(case.as_str()) {
            let _ = writeln!(
                out,
                "{}: {} has no test case `{case}`; left alone",
                loaded.display,
                path.display()
            );
            continue;
        }
        let snapshot = loaded.snapshot_path(&case);
        match fs::rename(&path, &snapshot) {
            Ok(()) => {
                tally.accepted += 1;
                let _ = writeln!(out, "accepted {} -> {}", path.display(), snapshot.display());
            }
            Err(error) => {
                tally.errors += 1;
                problems.push(TestError::Snapshot { path, error }.problem());
            }
        }
    }
}

/// Where an inline `code` string's text starts in the TOML text, when the string is written
/// without escapes (a literal string, or a basic one without `\`): then offsets in the code are
/// offsets in the rules file from there.
fn code_offset(toml: &str, span: &Range<usize>, code: &str) -> Option<usize> {
    let raw = toml.get(span.clone())?;
    let multi_line = raw.starts_with("'''") || raw.starts_with("\"\"\"");
    let mut start = span.start + if multi_line { 3 } else { 1 };
    if multi_line {
        // TOML drops a line ending right after the opening delimiter.
        let rest = toml.get(start..)?;
        if rest.starts_with("\r\n") {
            start += 2;
        } else if rest.starts_with('\n') {
            start += 1;
        }
    }
    (toml.get(start..start + code.len())? == code).then_some(start)
}

/// Move a diagnostic about an inline case's code into the rules file, where the code is written.
fn relocate(mut problem: Problem, name: &str, text: &str, offset: usize) -> Problem {
    if let Some(location) = &mut problem.location {
        let shift = |span: &mut Range<usize>| *span = span.start + offset..span.end + offset;
        location.name = name.to_string();
        location.text = cdefang::ShownText::new(text.as_bytes());
        shift(&mut location.primary.0);
        for (span, _) in &mut location.secondary {
            shift(span);
        }
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_offsets_point_into_the_toml() {
        let toml = "code = '''\nint a;\n#endif\n'''\nother = \"x\"\n";
        let start = toml.find("'''").unwrap();
        let end = toml.rfind("'''").unwrap() + 3;
        let offset = code_offset(toml, &(start..end), "int a;\n#endif\n").unwrap();
        assert_eq!(&toml[offset..offset + 6], "int a;");
        // An escaped basic string does not map byte for byte.
        let toml = "code = \"a\\tb\"\n";
        assert_eq!(code_offset(toml, &(7..13), "a\tb"), None);
    }
}
