//! The rewrite command, `cdefang [--rules FILE…] PATH…` (and unifdef mode, `-D`/`-U` without
//! rules): load the rules, find the files, read and parse each once, plan every file in
//! parallel, check expectations, then write (or diff, or check). Nothing is written unless every
//! file was planned without error.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use cdefang::{
    Action, Assumptions, Detail, Drift, ExitStatus, FileError, FileParse, FileResult, FilesError,
    InFile, Macros, ParseReport, ParsedFile, Per, PlannedFile, Problem, Report, Rule, RuleSummary,
    Scan, Setup, SourceError, SourceFile,
};
use rayon::prelude::*;

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
    text: String,
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
            let _ = writeln!(stderr, "cdefang: {line}");
        }
    }
    status
}

fn run_steps(
    options: &Options,
    problems: &mut Vec<Problem>,
    summary: &mut Vec<String>,
) -> Result<ExitStatus, Problem> {
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
    let pool = thread_pool(options.jobs)?;
    let (setup, outcomes) = plan_all(&pool, options, loaded, found);
    let rules = &setup.rules;
    let mut report = Report::default();
    let planned = sort_out(outcomes, &mut report, problems);
    let mut failed = !report.failed.is_empty();
    report.files_scanned = planned.len() as u64;
    warn_fallbacks(&planned, rules, problems);
    let mut stdout = Stdout::default();
    if options.parse_stats {
        let parse = parse_report(&planned);
        stdout.write("cannot write the coverage table", || {
            let mut out = io::stdout().lock();
            out.write_all(cdefang::parse_table(&parse).as_bytes())?;
            out.flush()
        })?;
        report.parse = Some(parse);
    }

    // Per-rule totals and expectations.
    report.rules = summarise(rules, &planned);
    report.drift = check_expectations(rules, &planned);
    for drift in &report.drift {
        let Some(rule) = rules.iter().find(|rule| rule.id == drift.rule) else {
            continue;
        };
        problems.push(drift_problem(rule, drift, &sources, options.allow_drift));
    }
    if !report.drift.is_empty() && !options.allow_drift {
        failed = true;
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
        .map(|planned| planned.file.display.clone())
        .collect();

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

    summary.extend(cdefang::summary_lines(&report.rules));
    let outcome = match (&options.mode, status) {
        (_, ExitStatus::Trouble) => "nothing written".to_string(),
        (Mode::InPlace, _) => format!("{} changed", report.files_changed),
        (Mode::Out(_), _) => format!("{} written", report.files_changed),
        (Mode::Check | Mode::Diff | Mode::Stdout, _) => {
            format!("{} would change", report.files_changed)
        }
    };
    summary.push(format!("{} files scanned, {outcome}", report.files_scanned));
    if let Some(path) = &options.report {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(io::Error::other)
            .and_then(|json| fs::write(path, json));
        if let Err(error) = written {
            return Err(Problem::error(format!(
                "cannot write report {}: {error}",
                path.display()
            )));
        }
    }
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
            (Read::Bytes(source), Some(Ok(result))) => Outcome::Planned(PlannedFile {
                file,
                source,
                result,
            }),
            (Read::Bytes(source), Some(Err(error))) => Outcome::Failed(file, source, error),
            (Read::Failed(error), _) => Outcome::Unreadable(file, error),
            (Read::Binary | Read::Bytes(_), _) => Outcome::Binary(file),
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
                Some(Read::Bytes(bytes)) => Some(ParsedFile::new(bytes)),
                _ => None,
            })
            .collect()
    });
    let mut typedefs = loaded.typedefs;
    if needs_typedefs {
        // The headers that are C and parse, as `cdefang::header_typedefs` takes them.
        let scans: Vec<&Scan> = parsed
            .iter()
            .flatten()
            .filter_map(|parsed| parsed.as_ref().ok().map(|parsed| &parsed.scan))
            .collect();
        typedefs.extend(pool.install(|| cdefang::tree_typedefs(&scans)));
    }
    let setup = Setup::new(loaded.rules, loaded.macros, &typedefs);
    let detail = Detail {
        functions: options.explain,
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
                    Read::Bytes(bytes) => {
                        let planned = plan(file, &ParsedFile::new(&bytes));
                        (Some(Read::Bytes(bytes)), Some(planned))
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

/// The files planned, in order; the others told, in order, and listed in the report.
fn sort_out(
    outcomes: Vec<Outcome>,
    report: &mut Report,
    problems: &mut Vec<Problem>,
) -> Vec<PlannedFile> {
    let mut planned = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Planned(file) => planned.push(file),
            Outcome::Binary(file) => {
                report.skipped.push(file.display.clone());
                problems.push(Problem::note(format!(
                    "{}: binary file (it has a NUL byte), skipped",
                    file.display
                )));
            }
            Outcome::Unreadable(file, error) => {
                report.failed.push(file.display.clone());
                problems.push(
                    Problem::error(format!("cannot read {}: {error}", file.display))
                        .help("check the file's permissions"),
                );
            }
            Outcome::Failed(file, source, error) => {
                report.failed.push(file.display.clone());
                problems.push(
                    Problem::from(InFile::new(&file.display, &source, &error))
                        .with_note(NOTHING_CHANGED),
                );
            }
        }
    }
    planned
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
    for (index, path) in options.rules.iter().enumerate() {
        let name = path.display().to_string();
        let text = fs::read_to_string(path).map_err(|error| {
            Problem::error(format!("cannot read rules file {name}: {error}"))
                .help("check the path given to --rules")
        })?;
        let file = cdefang::load_rules(&text, index)
            .map_err(|error| Problem::from(InFile::new(&name, text.as_bytes(), &error)))?;
        loaded.rules.extend(file.rules);
        loaded.macros.extend(&file.macros);
        loaded.typedefs.extend(file.typedefs);
        sources.push(RulesSource { name, text });
    }
    if let Some((first, second)) = duplicate_id(&loaded.rules) {
        let source = &sources[second.origin.file];
        return Err(
            Problem::error(format!("rule id `{}` is used twice", second.id))
                .at(
                    &source.name,
                    source.text.as_bytes(),
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

/// The threads that plan: as many as asked (default: one per core), with stacks big enough for
/// lang-c's recursion on the deepest code it is handed.
fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, Problem> {
    let jobs = jobs.unwrap_or(0);
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
                .at(&source.name, source.text.as_bytes(), glob.span.clone(), "matches nothing")
                .help("globs match paths relative to the directory given, or any trailing part of them"),
            );
        }
    }
}

/// One file's bytes, as read.
enum Read {
    Bytes(Vec<u8>),
    /// It has a NUL byte: not C.
    Binary,
    Failed(io::Error),
}

fn read(file: &SourceFile) -> Read {
    match fs::read(&file.path) {
        Ok(bytes) if memchr::memchr(0, &bytes).is_some() => Read::Binary,
        Ok(bytes) => Read::Bytes(bytes),
        Err(error) => Read::Failed(error),
    }
}

/// The note under a file's error in a run.
const NOTHING_CHANGED: &str = "no file was changed; fix the input and run again";

/// A warning for each site where lang-c failed and a rule fell back to tokens.
fn warn_fallbacks(planned: &[PlannedFile], rules: &[Rule], problems: &mut Vec<Problem>) {
    for file in planned {
        for warning in &file.result.warnings {
            let rule = &rules[warning.rule];
            let offset = warning.failure.offset;
            problems.push(
                Problem::warning(format!(
                    "rule `{}`: lang-c cannot parse this; answered at the token level (fallback = \"tokens\")",
                    rule.id
                ))
                .at(&file.file.display, &file.source, offset..offset + 1, warning.failure.message.clone())
                .also(warning.body.start..warning.body.start, "the block the rule asks about starts here"),
            );
        }
    }
}

/// `--parse-stats`: lang-c's coverage, per file and in total.
fn parse_report(planned: &[PlannedFile]) -> ParseReport {
    let mut parse = ParseReport::default();
    for file in planned {
        let Some(stats) = &file.result.parse else {
            continue;
        };
        parse.functions += stats.functions;
        parse.parsed += stats.parsed;
        parse.failed += stats.failed.len() as u64;
        let lines = cdefang::Lines::new(&file.source);
        parse.files.push(FileParse {
            path: file.file.display.clone(),
            functions: stats.functions,
            parsed: stats.parsed,
            failed: stats.failed.len() as u64,
            errors: stats
                .failed
                .iter()
                .map(|failed| {
                    let (line, column) = lines.line_column(failed.failure.offset);
                    cdefang::FunctionParseError {
                        function: failed.name.clone(),
                        line,
                        column,
                        message: failed.failure.message.clone(),
                    }
                })
                .collect(),
        });
    }
    parse
}

fn summarise(rules: &[Rule], planned: &[PlannedFile]) -> Vec<RuleSummary> {
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let mut summary = RuleSummary {
                id: rule.id.clone(),
                ..RuleSummary::default()
            };
            for file in planned {
                if !file.result.applies[index] {
                    continue;
                }
                let count = &file.result.counts[index];
                summary.files += 1;
                summary.files_matched += u64::from(count.matches > 0);
                summary.matches += count.matches;
                summary.edits += count.edits;
            }
            summary
        })
        .collect()
}

/// The expectations that did not hold. A rule whose globs select no file is not checked (that is
/// the glob warning's business).
fn check_expectations(rules: &[Rule], planned: &[PlannedFile]) -> Vec<Drift> {
    let mut drift = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let Some(expect) = &rule.expect else {
            continue;
        };
        let selected: Vec<(&SourceFile, u64, bool)> = planned
            .iter()
            .filter(|file| file.result.applies[index])
            .map(|file| {
                (
                    &file.file,
                    file.result.counts[index].matches,
                    file.result.residue[index],
                )
            })
            .collect();
        if selected.is_empty() {
            continue;
        }
        // No match and nothing left of what the rule removes: the rule was applied before
        // (a second run over its own output), not lost.
        let applied = |found: u64, residue: bool| found == 0 && !residue;
        match expect.per {
            Per::Run => {
                let found = selected.iter().map(|(_, count, _)| count).sum();
                let residue = selected.iter().any(|(_, _, residue)| *residue);
                if !expect.holds(found) && !applied(found, residue) {
                    drift.push(Drift {
                        rule: rule.id.clone(),
                        expected: expect.describe(),
                        found,
                        file: None,
                    });
                }
            }
            Per::File => {
                for (file, found, residue) in selected {
                    if !expect.holds(found) && !applied(found, residue) {
                        drift.push(Drift {
                            rule: rule.id.clone(),
                            expected: expect.describe(),
                            found,
                            file: Some(file.display.clone()),
                        });
                    }
                }
            }
        }
    }
    drift
}

fn drift_problem(rule: &Rule, drift: &Drift, sources: &[RulesSource], allowed: bool) -> Problem {
    let place = match &drift.file {
        Some(file) => format!(" in {file}"),
        None => String::new(),
    };
    let message = format!(
        "drift: rule `{}` found {} match(es){place}, expected {}",
        rule.id, drift.found, drift.expected
    );
    let problem = if allowed {
        Problem::warning(message)
    } else {
        Problem::error(message)
    };
    let Some(source) = sources.get(rule.origin.file) else {
        return problem;
    };
    let span = rule
        .expect
        .as_ref()
        .map_or(rule.origin.span.clone(), |expect| expect.span.clone());
    let problem = problem
        .at(&source.name, source.text.as_bytes(), span, "expected here")
        .also(rule.origin.span.clone(), "this rule");
    if allowed {
        problem.with_note("--allow-drift: going on")
    } else {
        problem
            .help("the code has moved away from what the rule was written for: check the rule against this version, then adjust the rule or its `expect` (or pass --allow-drift)")
            .with_note("no file was changed")
    }
}

/// Produce the run's output for the changed files; returns the exit status.
fn emit(
    options: &Options,
    all: &[PlannedFile],
    changed: &[&PlannedFile],
    stdout: &mut Stdout,
) -> Result<ExitStatus, Problem> {
    let changes = if changed.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::Changes
    };
    match &options.mode {
        Mode::Check => Ok(changes),
        Mode::Stdout => {
            let Some(file) = all.first() else {
                return Ok(ExitStatus::Ok);
            };
            let bytes = file.result.output.as_deref().unwrap_or(&file.source);
            stdout.write("cannot write", || {
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()
            })?;
            Ok(changes)
        }
        Mode::Diff => {
            for file in changed {
                if let Some(new) = &file.result.output {
                    stdout.write("cannot write the diff", || {
                        let mut out = io::stdout().lock();
                        cdefang::write_diff(&mut out, &file.file.display, &file.source, new)?;
                        out.flush()
                    })?;
                }
            }
            Ok(changes)
        }
        Mode::InPlace | Mode::Out(_) => {
            write_files(options, changed)?;
            Ok(ExitStatus::Ok)
        }
    }
}

/// In place or `--out`: stage every file first; only when all are staged does any replace its
/// target.
fn write_files(options: &Options, changed: &[&PlannedFile]) -> Result<(), Problem> {
    let io_problem = |error: FilesError| {
        let help = match error {
            FilesError::ReadOnly(_) => {
                "make it writable (chmod u+w) or write the results elsewhere with --out DIR"
            }
            _ => "check permissions and free space",
        };
        Problem::error(error.to_string())
            .help(help)
            .with_note("every file is staged before any is replaced: no file was changed")
    };
    let mut staged = Vec::with_capacity(changed.len());
    for file in changed {
        let Some(new) = &file.result.output else {
            continue;
        };
        let target = match &options.mode {
            Mode::Out(directory) => cdefang::out_path(directory, &file.file),
            _ => file.file.path.clone(),
        };
        staged.push(cdefang::stage(&target, new).map_err(io_problem)?);
    }
    if let (Mode::InPlace, Some(suffix)) = (&options.mode, &options.backup) {
        for staged in &staged {
            cdefang::back_up(staged, suffix).map_err(io_problem)?;
        }
    }
    for staged in staged {
        cdefang::commit(staged).map_err(|error| {
            Problem::error(error.to_string())
                .help("check permissions and free space")
                .with_note("the files before this one were replaced, the rest unchanged")
        })?;
    }
    Ok(())
}
