//! The rewrite command, `cdefang [--rules FILE…] PATH…` (and unifdef mode, `-D`/`-U` without
//! rules): load the rules, find the files, read and parse each once, plan every file in
//! parallel, check expectations, then write (or diff, or check). Nothing is written unless every
//! file was planned without error.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use cdefang::{
    Action, Assumptions, Detail, Drift, ExitStatus, FileError, FileResult, InFile, Macros,
    ParsedFile, PlannedFile, Problem, Report, Rule, RuleStatus, Scan, Setup, SourceError,
    SourceFile,
};
use rayon::prelude::*;

mod report;
mod write;
use report::{
    drift_of, drift_problem, match_reports, parse_report, summarise, unknown_name_problem,
    warn_fallbacks,
};
use write::{check_report_is_free, emit, expected_status, identity, open_report, write_report};

/// What to do with the rewritten files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Replace the files (the default).
    InPlace,
    /// Write nothing; exit 1 if anything would change.
    Check,
    /// Print a unified diff; write nothing; exit 1 if anything would change.
    Diff,
    /// Write rewritten copies of changed files under this directory.
    Out(PathBuf),
    /// Print the one file's result to standard output, as unifdef does; write nothing; exit 1
    /// if it changed.
    Stdout,
    /// Print one line per match, `file:line:col: rule: action`; write nothing.
    List,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub rules: Vec<PathBuf>,
    /// `--rule ID`: run only the rules with these ids (all of the files' rules when empty).
    pub only_rules: Vec<String>,
    pub paths: Vec<PathBuf>,
    pub mode: Mode,
    pub jobs: Option<usize>,
    pub report: Option<PathBuf>,
    pub allow_drift: bool,
    pub quiet: bool,
    /// Parse every function with lang-c and report the coverage.
    pub parse_stats: bool,
    /// With `parse_stats`: print the hints that would explain the failures, as TOML.
    pub suggest_hints: bool,
    /// Extra macros and typedef names for the C view (added to the rules files' own).
    pub macros: Macros,
    pub typedefs: Vec<String>,
    /// `-D`/`-U`: with rules, added to every `resolve` rule's assumptions; without rules, every
    /// conditional that tests one of these symbols is resolved, as unifdef does.
    pub assumptions: Assumptions,
    /// In place: keep each rewritten file's original as FILE + this suffix (as `patch -b`).
    pub backup: Option<String>,
    /// Explain every match: to standard output, or to standard error when standard output
    /// carries the result (`--diff`, `--stdout`).
    pub explain: bool,
}

/// The stack of each planning thread (reserved, not used, until deep code needs it): lang-c
/// recurses on the deepest code it is handed.
const THREAD_STACK: usize = 64 << 20;

/// A rules file as read, for diagnostics that point into it.
struct RulesSource {
    name: String,
    /// Its text as diagnostics show it, made once and shared by every problem in it.
    shown: cdefang::ShownText,
}

/// What the rules files (and `-D`/`-U`) give a run.
struct Loaded {
    rules: Vec<Rule>,
    macros: Macros,
    typedefs: Vec<String>,
}

/// Standard output, for the results and tables a run prints there. When its reader goes away
/// (`| head -1`) the run stops writing to it and goes on: files and the report are still
/// written, and the exit status is the mode's (0 where standard output was the result).
#[derive(Default)]
struct Stdout {
    reader_gone: bool,
}

impl Stdout {
    /// Write with `write`, unless the reader went away; another error is trouble, said as
    /// `message: error`.
    fn write(
        &mut self,
        message: &str,
        write: impl FnOnce() -> io::Result<()>,
    ) -> Result<(), Problem> {
        if self.reader_gone {
            return Ok(());
        }
        match write() {
            Err(error) if cdefang::is_reader_gone(&error) => {
                self.reader_gone = true;
                Ok(())
            }
            Err(error) => Err(Problem::error(format!("{message}: {error}"))),
            Ok(()) => Ok(()),
        }
    }
}

/// Run cdefang; returns the exit status. Diagnostics go to standard error, diffs to standard
/// output.
pub fn run(options: &Options) -> ExitStatus {
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    let status = match run_steps(options, &mut problems, &mut summary) {
        Ok(status) => status,
        Err(problem) => {
            problems.push(problem);
            ExitStatus::Trouble
        }
    };
    cdefang::print_problems(&problems);
    if !options.quiet {
        let mut stderr = io::stderr().lock();
        for line in summary {
            let _ = writeln!(stderr, "cdefang: {}", cdefang::escape_controls(&line));
        }
    }
    status
}

fn run_steps(
    options: &Options,
    problems: &mut Vec<Problem>,
    summary: &mut Vec<String>,
) -> Result<ExitStatus, Problem> {
    if let Mode::Out(directory) = &options.mode
        && fs::metadata(directory).is_ok_and(|metadata| !metadata.is_dir())
    {
        return Err(Problem::error(format!(
            "--out {}: a file, not a directory",
            directory.display()
        ))
        .help("give --out a directory (it is created when missing), where the changed files are written"));
    }
    let (sources, loaded) = load_rules(options)?;
    let found = cdefang::discover(&options.paths).map_err(|error| Problem::from(&error))?;
    if options.mode == Mode::Stdout && found.len() != 1 {
        return Err(Problem::error(format!(
            "--stdout takes one file, {} were given",
            found.len()
        ))
        .help("name a single file, or use --diff or --out for several"));
    }
    warn_unused_globs(&loaded.rules, &sources, &found, problems);
    if let Some(report) = &options.report {
        check_report_is_free(report, &options.rules, &found)?;
    }
    let pool = thread_pool(options.jobs, found.len())?;
    let (setup, outcomes) = plan_all(&pool, options, loaded, found);
    let rules = &setup.rules;
    let mut report = Report::default();
    let (planned, failed_files) = sort_out(outcomes, &mut report, problems);
    // `--stdout` prints the one file's result: a file skipped has none, and printing nothing
    // with exit 0 ("unchanged") would empty a file redirected back into place.
    if options.mode == Mode::Stdout
        && let Some(skipped) = report.skipped.first()
    {
        return Err(Problem::error(format!(
            "--stdout: {skipped} is a binary file (it has a NUL byte), not C: nothing to print"
        ))
        .help("give --stdout a C source file"));
    }
    let mut failed = !report.failed.is_empty();
    report.files_scanned = planned.len() as u64;
    warn_fallbacks(&planned, rules, problems);
    let mut stdout = Stdout::default();
    if options.parse_stats {
        let parse = parse_report(&planned);
        let hints: Vec<(cdefang::HintKind, String)> = planned
            .iter()
            .filter_map(|file| file.result.parse.as_ref())
            .flat_map(|stats| stats.failed.iter().filter_map(|failed| failed.hint.clone()))
            .collect();
        stdout.write("cannot write the coverage table", || {
            let mut out = io::stdout().lock();
            out.write_all(cdefang::parse_table(&parse).as_bytes())?;
            if options.suggest_hints {
                out.write_all(b"\n")?;
                out.write_all(cdefang::suggested_hints(&hints).as_bytes())?;
            }
            out.flush()
        })?;
        report.parse = Some(parse);
    }

    // Per-rule totals, states and expectations.
    let results: Vec<&FileResult> = planned.iter().map(|file| &file.result).collect();
    let trees = options.paths.iter().any(|path| path.is_dir());
    let mut statuses: Vec<RuleStatus> = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let status = cdefang::rule_status(index, rule, &results, trees);
            if failed_files
                .iter()
                .any(|relative| rule.applies_to(relative))
            {
                status.with_failed_files()
            } else {
                status
            }
        })
        .collect();
    cdefang::explain_removed_names(rules, &mut statuses);
    report.rules = summarise(rules, &planned, &statuses);
    report.matches = match_reports(rules, &planned);
    for (index, (rule, status)) in rules.iter().zip(&statuses).enumerate() {
        for unknown in &status.unknown_names {
            problems.push(unknown_name_problem(
                rule,
                unknown,
                &sources,
                options.allow_drift,
            ));
            report.drift.push(Drift {
                rule: rule.id.clone(),
                expected: rule
                    .expect
                    .as_ref()
                    .map_or_else(|| "a match".to_string(), |expect| expect.describe()),
                found: report
                    .rules
                    .iter()
                    .find(|summary| summary.id == rule.id)
                    .map_or(0, |summary| summary.matches),
                file: None,
                reason: Some(format!(
                    "`{}` ({}) is in no file of the run",
                    unknown.name.name,
                    unknown.name.kind.key()
                )),
            });
        }
        for shortfall in &status.shortfalls {
            let drift = drift_of(rule, shortfall, &planned);
            problems.push(drift_problem(
                index,
                rule,
                &drift,
                shortfall,
                &planned,
                &sources,
                options.allow_drift,
            ));
            report.drift.push(drift);
        }
    }
    if !report.drift.is_empty() && !options.allow_drift {
        failed = true;
    }
    if options.mode == Mode::List {
        stdout.write("cannot write the list", || {
            let mut out = io::stdout().lock();
            for found in &report.matches {
                writeln!(
                    out,
                    "{}:{}:{}: {}: {}",
                    found.file, found.line, found.column, found.rule, found.action
                )?;
            }
            out.flush()
        })?;
    }
    // --explain: what each match is and does, whatever happens next (a drift alarm is best
    // understood by looking at what the rule found).
    if options.explain {
        if matches!(options.mode, Mode::Diff | Mode::Stdout) {
            cdefang::print_explanations(&planned, rules, true).map_err(|error| {
                Problem::error(format!("cannot write the explanations: {error}"))
            })?;
        } else {
            stdout.write("cannot write the explanations", || {
                cdefang::print_explanations(&planned, rules, false).map(|_| ())
            })?;
        }
    }
    let changed: Vec<&PlannedFile> = planned
        .iter()
        .filter(|planned| planned.result.output.is_some())
        .collect();
    report.files_changed = changed.len() as u64;
    report.changed = changed
        .iter()
        .map(|planned| cdefang::json_path(&planned.file.path))
        .collect();

    // The report is written before any file is: a report that cannot be written (a full disk,
    // /dev/full) fails the run while nothing has changed. It is written with the status the run
    // expects, and again if what happens next changes it.
    let expected = if failed {
        ExitStatus::Trouble
    } else {
        expected_status(&options.mode, &changed)
    };
    report.exit_status = i32::from(expected.code());
    let mut report_file = match &options.report {
        Some(path) => {
            let mut file = open_report(path)?;
            write_report(&mut file, path, &report)?;
            Some(file)
        }
        None => None,
    };
    let status = if failed {
        ExitStatus::Trouble
    } else {
        match emit(options, &planned, &changed, &mut stdout) {
            // Standard output was the result, and its reader has all it wanted of it.
            Ok(_) if stdout.reader_gone && matches!(options.mode, Mode::Diff | Mode::Stdout) => {
                ExitStatus::Ok
            }
            Ok(status) => status,
            Err(problem) => {
                problems.push(problem);
                ExitStatus::Trouble
            }
        }
    };
    report.exit_status = i32::from(status.code());
    if status != expected
        && let (Some(path), Some(file)) = (&options.report, &mut report_file)
        && file.metadata().is_ok_and(|metadata| metadata.is_file())
    {
        // A pipe or a device took the report once and keeps it: the run's exit status and
        // its diagnostics tell the rest.
        write_report(file, path, &report)?;
    }

    summary.extend(cdefang::summary_lines(&report.rules));
    let outcome = match (&options.mode, status) {
        (_, ExitStatus::Trouble) => "nothing written".to_string(),
        (Mode::InPlace, _) => format!("{} changed", report.files_changed),
        (Mode::Out(_), _) => format!("{} written", report.files_changed),
        (Mode::Check | Mode::Diff | Mode::Stdout | Mode::List, _) => {
            format!("{} would change", report.files_changed)
        }
    };
    let failed = match report.failed.len() as u64 {
        0 => String::new(),
        count => format!(", {count} failed"),
    };
    summary.push(format!(
        "{} {} scanned{failed}, {outcome}",
        report.files_scanned,
        cdefang::plural(report.files_scanned, "file", "files")
    ));
    Ok(status)
}

/// What became of one file, in the order found.
enum Outcome {
    Planned(PlannedFile),
    /// It has a NUL byte: skipped, with a note.
    Binary(SourceFile),
    /// It cannot be read: the run fails.
    Unreadable(SourceFile, io::Error),
    /// It cannot be planned (it does not parse, a rule cannot parse it, rules overlap): the run
    /// fails.
    Failed(SourceFile, Vec<u8>, FileError),
}

impl Outcome {
    /// The outcome of `file`, read as `read` and, if it was, planned as `plan`.
    fn of(file: SourceFile, read: Read, plan: Option<Result<FileResult, FileError>>) -> Outcome {
        match (read, plan) {
            (Read::Bytes(source, read_as), Some(Ok(result))) => Outcome::Planned(PlannedFile {
                file,
                source,
                read_as: Some(read_as),
                result,
            }),
            (Read::Bytes(source, _), Some(Err(error))) => Outcome::Failed(file, source, error),
            (Read::Failed(error), _) => Outcome::Unreadable(file, error),
            (Read::Binary | Read::Bytes(..), _) => Outcome::Binary(file),
        }
    }
}

/// Read, parse and plan every file once, in parallel, with the rules and the typedef names of
/// the tree's headers. When anything will be parsed with lang-c, the headers are read and parsed
/// first (their typedefs are needed before any file is planned) and those parses are planned
/// too; every other file is read, parsed and planned in one go, so a run holds every file's
/// bytes (for the diff and the explanation) but only the parses it is working on.
fn plan_all(
    pool: &rayon::ThreadPool,
    options: &Options,
    loaded: Loaded,
    found: Vec<SourceFile>,
) -> (Setup, Vec<Outcome>) {
    let needs_typedefs =
        options.parse_stats || loaded.rules.iter().any(|rule| rule.matcher.needs_parse());
    let ahead = |file: &SourceFile| needs_typedefs && file.is_header();
    let headers: Vec<Option<Read>> = pool.install(|| {
        found
            .par_iter()
            .map(|file| ahead(file).then(|| read(file)))
            .collect()
    });
    let parsed: Vec<Option<Result<ParsedFile, SourceError>>> = pool.install(|| {
        headers
            .par_iter()
            .map(|read| match read {
                Some(Read::Bytes(bytes, _)) => Some(ParsedFile::new(bytes)),
                _ => None,
            })
            .collect()
    });
    let mut typedefs = loaded.typedefs;
    let mut macros = loaded.macros;
    if needs_typedefs {
        // The headers that are C and parse: their typedef names and their simple macro
        // definitions (`#define local static`), under the hints, as `learn` takes them.
        let scans: Vec<&Scan> = parsed
            .iter()
            .flatten()
            .filter_map(|parsed| parsed.as_ref().ok().map(|parsed| &parsed.scan))
            .collect();
        pool.install(|| cdefang::add_header_hints(&scans, &mut macros, &mut typedefs));
    }
    let setup = Setup::new(loaded.rules, macros, &typedefs);
    let detail = Detail {
        // The function around each match: for the explanations, the report's `matches`.
        functions: options.explain || options.report.is_some(),
    };
    let plan = |file: &SourceFile, parsed: &Result<ParsedFile, SourceError>| {
        let parsed = parsed.as_ref().map_err(|error| error.clone())?;
        let mut result = cdefang::process_parsed(parsed, &file.relative, &setup, detail)?;
        if options.parse_stats {
            result.parse = Some(cdefang::parse_stats(parsed, &setup));
        }
        Ok(result)
    };
    // A header read ahead is planned from its parse; any other file is read, parsed and planned
    // here, its parse dropped once it is planned.
    type Planned = (Option<Read>, Option<Result<FileResult, FileError>>);
    let plans: Vec<Planned> = pool.install(|| {
        found
            .par_iter()
            .zip(&parsed)
            .map(|(file, parsed)| match parsed {
                Some(parsed) => (None, Some(plan(file, parsed))),
                None if ahead(file) => (None, None),
                None => match read(file) {
                    Read::Bytes(bytes, read_as) => {
                        let planned = plan(file, &ParsedFile::new(&bytes));
                        (Some(Read::Bytes(bytes, read_as)), Some(planned))
                    }
                    other => (Some(other), None),
                },
            })
            .collect()
    });
    drop(parsed);
    let outcomes = found
        .into_iter()
        .zip(headers)
        .zip(plans)
        // Every file was read once: ahead (a header) or where it was planned.
        .map(|((file, header), (read, plan))| match header.or(read) {
            Some(read) => Outcome::of(file, read, plan),
            None => Outcome::Unreadable(file, io::Error::other("read neither ahead nor planned")),
        })
        .collect();
    (setup, outcomes)
}

/// The files planned, in order, and the paths (relative, as rule globs see them) of those that
/// failed; the others told, in order, and listed in the report.
fn sort_out(
    outcomes: Vec<Outcome>,
    report: &mut Report,
    problems: &mut Vec<Problem>,
) -> (Vec<PlannedFile>, Vec<String>) {
    let mut planned = Vec::new();
    let mut failed = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Planned(file) => planned.push(file),
            Outcome::Binary(file) => {
                report.skipped.push(cdefang::json_path(&file.path));
                problems.push(Problem::note(format!(
                    "{}: binary file (it has a NUL byte), skipped",
                    file.display
                )));
            }
            Outcome::Unreadable(file, error) => {
                report.failed.push(cdefang::json_path(&file.path));
                failed.push(file.relative.clone());
                problems.push(
                    Problem::error(format!("cannot read {}: {error}", file.display))
                        .help("check the file's permissions"),
                );
            }
            Outcome::Failed(file, source, error) => {
                report.failed.push(cdefang::json_path(&file.path));
                failed.push(file.relative.clone());
                problems.push(
                    Problem::from(InFile::new(&file.display, &source, &error))
                        .with_note(NOTHING_CHANGED),
                );
            }
        }
    }
    (planned, failed)
}

/// Read the rules files; turn `-D`/`-U` into assumptions of every `resolve` rule, or into one
/// resolve-everywhere rule when there are no rules files.
fn load_rules(options: &Options) -> Result<(Vec<RulesSource>, Loaded), Problem> {
    let mut sources = Vec::new();
    let mut loaded = Loaded {
        rules: Vec::new(),
        macros: options.macros.clone(),
        typedefs: options.typedefs.clone(),
    };
    let mut read = HashSet::new();
    for path in &options.rules {
        // A rules file named twice (a profile that repeats the base) is read once.
        if let Some(file) = identity(path)
            && !read.insert(file)
        {
            continue;
        }
        let index = sources.len();
        let name = path.display().to_string();
        let bytes = fs::read(path).map_err(|error| {
            Problem::error(format!("cannot read rules file {name}: {error}"))
                .help("check the path given to --rules")
        })?;
        let text = cdefang::rules_text(&bytes).map_err(|error| {
            Problem::from(InFile::new(&name, &bytes, &error)).with_note("no file was changed")
        })?;
        let file = cdefang::load_rules(text, index).map_err(|error| {
            Problem::from(InFile::new(&name, text.as_bytes(), &error))
                .with_note("no file was changed")
        })?;
        loaded.rules.extend(file.rules);
        loaded.macros.extend(&file.macros);
        loaded.typedefs.extend(file.typedefs);
        sources.push(RulesSource {
            name,
            shown: cdefang::ShownText::new(text.as_bytes()),
        });
    }
    if let Some((first, second)) = duplicate_id(&loaded.rules) {
        let source = &sources[second.origin.file];
        return Err(
            Problem::error(format!("rule id `{}` is used twice", second.id))
                .at_text(
                    &source.name,
                    &source.shown,
                    second.origin.span.clone(),
                    "again here",
                )
                .with_note(format!("first in {}", sources[first.origin.file].name))
                .help("give every rule its own id"),
        );
    }
    select_rules(&mut loaded.rules, &options.only_rules, &options.rules)?;
    // Without rules files, -D/-U/-k (or --stdout alone, as bare unifdef) resolve everywhere.
    let resolve_mode = options.rules.is_empty()
        && (!options.assumptions.is_empty() || matches!(options.mode, Mode::Stdout));
    if resolve_mode {
        loaded
            .rules
            .push(Rule::resolve_everywhere(options.assumptions.clone()));
    } else if !options.assumptions.is_empty() {
        for rule in &mut loaded.rules {
            if let Action::Resolve(assumptions) = &mut rule.action {
                assumptions.merge(&options.assumptions);
            }
        }
    }
    Ok((sources, loaded))
}

/// `--rule ID…`: keep only the rules named, in the files' order; an id no file has is an error
/// that lists the ids there are.
fn select_rules(rules: &mut Vec<Rule>, only: &[String], files: &[PathBuf]) -> Result<(), Problem> {
    if only.is_empty() {
        return Ok(());
    }
    if let Some(unknown) = only
        .iter()
        .find(|id| !rules.iter().any(|rule| &rule.id == *id))
    {
        let known: Vec<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
        let files: Vec<String> = files
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        return Err(Problem::error(format!(
            "no rule has the id `{unknown}` in {}",
            files.join(", ")
        ))
        .with_note(format!("the rules are: {}", known.join(", ")))
        .help("give --rule the id of one of the rules"));
    }
    rules.retain(|rule| only.contains(&rule.id));
    Ok(())
}

fn duplicate_id(rules: &[Rule]) -> Option<(&Rule, &Rule)> {
    let mut seen: BTreeMap<&str, &Rule> = BTreeMap::new();
    for rule in rules {
        if let Some(first) = seen.insert(&rule.id, rule) {
            return Some((first, rule));
        }
    }
    None
}

/// The stacks of all planning threads together (address space reserved, not memory used).
const THREAD_STACKS_TOTAL: usize = 4 << 30;

/// The threads that plan: as many as asked (default: one per core), but never more than there
/// are files nor more than [`THREAD_STACKS_TOTAL`] of stacks (64 threads), with stacks big
/// enough for lang-c's recursion on the deepest code it is handed.
fn thread_pool(jobs: Option<usize>, files: usize) -> Result<rayon::ThreadPool, Problem> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let limit = files.clamp(1, THREAD_STACKS_TOTAL / THREAD_STACK);
    let jobs = jobs.unwrap_or(cores).clamp(1, limit);
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(THREAD_STACK)
        .build()
        .map_err(|error| Problem::error(format!("cannot start {jobs} threads: {error}")))
}

/// A glob that selects no file is worth a warning: the rule may be written for another tree.
/// Globs are matched as the engine matches them, against the path relative to the directory
/// given.
fn warn_unused_globs(
    rules: &[Rule],
    sources: &[RulesSource],
    found: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for rule in rules {
        let Some(source) = sources.get(rule.origin.file) else {
            continue; // a rule made from -D/-U
        };
        for glob in &rule.files {
            if found.iter().any(|file| glob.matches(&file.relative)) {
                continue;
            }
            problems.push(
                Problem::warning(format!(
                    "rule `{}`: glob `{}` matches no file",
                    rule.id,
                    glob.pattern.as_str()
                ))
                .at_text(&source.name, &source.shown, glob.span.clone(), "matches nothing")
                .help("globs match paths relative to the directory given, or any trailing part of them"),
            );
        }
    }
}

/// One file's bytes, as read, and what the file was then.
enum Read {
    Bytes(Vec<u8>, cdefang::ReadAs),
    /// It has a NUL byte: not C.
    Binary,
    Failed(io::Error),
}

fn read(file: &SourceFile) -> Read {
    match cdefang::read_source(&file.path) {
        Ok((bytes, _)) if memchr::memchr(0, &bytes).is_some() => Read::Binary,
        Ok((bytes, read_as)) => Read::Bytes(bytes, read_as),
        Err(error) => Read::Failed(error),
    }
}

/// The note under a file's error in a run.
const NOTHING_CHANGED: &str =
    "no file was changed; fix what the error points at (the file or the rule) and run again";
