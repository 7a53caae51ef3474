//! A whole run: load rules, find files, plan every file in parallel, check expectations, then
//! write (or diff, or check) — nothing is written unless every file was planned without error.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::cond::Assumptions;
use crate::cparse;
use crate::cview::Macros;
use crate::diag::Problem;
use crate::engine::{self, FileError, FileResult, Setup};
use crate::explain;
use crate::files::{self, FilesError, SourceFile};
use crate::output::{self, Drift, Report, RuleSummary};
use crate::rules::{self, Action, Per, Rule};
use crate::scan::ScanError;

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
    /// List the symbols the conditionals test, with counts, and do nothing else.
    pub symbols: bool,
    /// In place: keep each rewritten file's original as FILE + this suffix (as `patch -b`).
    pub backup: Option<String>,
    /// Explain every match (see [`crate::explain`]): to standard output, or to standard error
    /// when standard output carries the result (`--diff`, `--stdout`).
    pub explain: bool,
}

/// Exit statuses, as unifdef and diff.
/// The stack of each planning thread (reserved, not used, until deep code needs it).
const THREAD_STACK: usize = 64 << 20;

pub const EXIT_OK: i32 = 0;
pub const EXIT_CHANGES: i32 = 1;
pub const EXIT_TROUBLE: i32 = 2;

/// A rules file as read, for diagnostics that point into it.
struct RulesSource {
    name: String,
    text: String,
}

/// One file's outcome.
enum Planned {
    Done(FileResult, Vec<u8>),
    Skipped(Problem),
    Failed(Problem),
}

/// Run cdefang; returns the exit status. Diagnostics go to standard error, diffs to standard
/// output.
pub fn run(options: &Options) -> i32 {
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    let status = run_inner(options, &mut problems, &mut summary);
    crate::diag::print(&problems);
    if !options.quiet {
        let stderr = io::stderr();
        let mut lock = stderr.lock();
        for line in summary {
            let _ = writeln!(lock, "cdefang: {line}");
        }
    }
    status
}

fn run_inner(options: &Options, problems: &mut Vec<Problem>, summary: &mut Vec<String>) -> i32 {
    // Rules.
    let mut sources = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let mut macros = options.macros.clone();
    let mut typedefs = options.typedefs.clone();
    for (index, path) in options.rules.iter().enumerate() {
        let name = path.display().to_string();
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                problems.push(
                    Problem::error(format!("cannot read rules file {name}: {error}"))
                        .help("check the path given to --rules"),
                );
                return EXIT_TROUBLE;
            }
        };
        match rules::load(&text, index) {
            Ok(loaded) => {
                rules.extend(loaded.rules);
                macros.extend(&loaded.macros);
                typedefs.extend(loaded.typedefs);
            }
            Err(error) => {
                problems.push(rules_problem(&name, &text, &error));
                return EXIT_TROUBLE;
            }
        }
        sources.push(RulesSource { name, text });
    }
    if let Some((first, second)) = duplicate_id(&rules) {
        let source = &sources[second.origin.file];
        problems.push(
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
        return EXIT_TROUBLE;
    }

    // Without rules files, -D/-U/-k (or --stdout alone, as bare unifdef) resolve everywhere.
    let resolve_mode = options.rules.is_empty()
        && (!options.assumptions.is_empty() || matches!(options.mode, Mode::Stdout));
    if resolve_mode {
        rules.push(Rule::resolve_everywhere(options.assumptions.clone()));
    } else if !options.assumptions.is_empty() {
        for rule in &mut rules {
            if let Action::Resolve(assumptions) = &mut rule.action {
                assumptions.merge(&options.assumptions);
            }
        }
    }

    // Files.
    let found = match files::discover(&options.paths) {
        Ok(found) => found,
        Err(error) => {
            let help = match error {
                FilesError::Missing(_) => "give an existing file or directory",
                FilesError::Io { .. } | FilesError::ReadOnly(_) => {
                    "check the path and its permissions"
                }
            };
            problems.push(Problem::error(error.to_string()).help(help));
            return EXIT_TROUBLE;
        }
    };
    if options.symbols {
        return list_symbols(&found, problems);
    }
    if options.mode == Mode::Stdout && found.len() != 1 {
        problems.push(
            Problem::error(format!(
                "--stdout takes one file, {} were given",
                found.len()
            ))
            .help("name a single file, or use --diff or --out for several"),
        );
        return EXIT_TROUBLE;
    }
    warn_unused_globs(&rules, &sources, &found, problems);

    // The threads that plan: as many as asked (default: one per core), with stacks big enough
    // for lang-c's recursion on the deepest code it is handed (see cparse::MAX_NESTING).
    let jobs = options.jobs.unwrap_or(0);
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(THREAD_STACK)
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            problems.push(Problem::error(format!(
                "cannot start {jobs} threads: {error}"
            )));
            return EXIT_TROUBLE;
        }
    };
    // What lang-c needs: typedef names from the tree's headers, when anything will be parsed.
    if options.parse_stats || rules.iter().any(|rule| rule.matcher.needs_parse()) {
        typedefs.extend(pool.install(|| tree_typedefs(&found)));
    }
    let setup = Setup::new(rules, macros, &typedefs);
    let rules = &setup.rules;

    // Plan every file.
    let detail = engine::Detail {
        functions: options.explain,
    };
    let plan = |file: &SourceFile| plan_file(file, &setup, options.parse_stats, detail);
    let planned: Vec<Planned> = pool.install(|| found.par_iter().map(plan).collect());

    let mut report = Report {
        files_scanned: 0,
        ..Report::default()
    };
    let mut failed = false;
    let mut results: Vec<(&SourceFile, FileResult, Vec<u8>)> = Vec::new();
    for (file, planned) in found.iter().zip(planned) {
        match planned {
            Planned::Done(result, source) => {
                report.files_scanned += 1;
                results.push((file, result, source));
            }
            Planned::Skipped(note) => {
                report.skipped.push(file.display.clone());
                problems.push(note);
            }
            Planned::Failed(problem) => {
                report.failed.push(file.display.clone());
                problems.push(problem);
                failed = true;
            }
        }
    }

    for (file, result, source) in &results {
        for warning in &result.warnings {
            let rule = &rules[warning.rule];
            let offset = warning.failure.offset;
            problems.push(
                Problem::warning(format!(
                    "rule `{}`: lang-c cannot parse this; answered at the token level (fallback = \"tokens\")",
                    rule.id
                ))
                .at(&file.display, source, offset..offset + 1, warning.failure.message.clone())
                .also(warning.body.start..warning.body.start, "the block the rule asks about starts here"),
            );
        }
    }
    if options.parse_stats {
        let mut parse = output::ParseReport::default();
        for (file, result, source) in &results {
            let Some(stats) = &result.parse else { continue };
            parse.functions += stats.functions;
            parse.parsed += stats.parsed;
            parse.failed += stats.failed.len() as u64;
            parse.files.push(output::FileParse {
                path: file.display.clone(),
                functions: stats.functions,
                parsed: stats.parsed,
                failed: stats.failed.len() as u64,
                errors: stats
                    .failed
                    .iter()
                    .map(|failed| {
                        let (line, column) = output::line_column(source, failed.failure.offset);
                        output::ParseError {
                            function: failed.name.clone(),
                            line,
                            column,
                            message: failed.failure.message.clone(),
                        }
                    })
                    .collect(),
            });
        }
        let _ = io::stdout().write_all(output::parse_table(&parse).as_bytes());
        report.parse = Some(parse);
    }

    // Per-rule totals and expectations.
    report.rules = summarise(rules, &results);
    report.drift = check_expectations(rules, &results);
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
        let planned: Vec<explain::Planned> = results
            .iter()
            .map(|(file, result, source)| explain::Planned {
                name: &file.display,
                source,
                result,
            })
            .collect();
        let to_stderr = matches!(options.mode, Mode::Diff | Mode::Stdout);
        if let Err(error) = explain::print(&planned, rules, to_stderr) {
            problems.push(Problem::error(format!(
                "cannot write the explanations: {error}"
            )));
            return EXIT_TROUBLE;
        }
    }
    let changed: Vec<&(&SourceFile, FileResult, Vec<u8>)> = results
        .iter()
        .filter(|(_, result, _)| result.output.is_some())
        .collect();
    report.files_changed = changed.len() as u64;
    report.changed = changed
        .iter()
        .map(|(file, _, _)| file.display.clone())
        .collect();

    let status = if failed {
        EXIT_TROUBLE
    } else {
        match emit(options, &results, &changed) {
            Ok(status) => status,
            Err(problem) => {
                problems.push(*problem);
                EXIT_TROUBLE
            }
        }
    };
    report.exit_status = status;

    summary.extend(output::summary_lines(&report.rules));
    let outcome = match (&options.mode, status) {
        (_, EXIT_TROUBLE) => "nothing written".to_string(),
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
            problems.push(Problem::error(format!(
                "cannot write report {}: {error}",
                path.display()
            )));
            return EXIT_TROUBLE;
        }
    }
    status
}

/// A rules file's error as a diagnostic pointing into the file.
pub fn rules_problem(name: &str, text: &str, error: &rules::RulesError) -> Problem {
    Problem::error(format!("invalid rules file: {}", error.message))
        .at(name, text.as_bytes(), error.span.clone(), "here")
        .help(&error.help)
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

fn warn_unused_globs(
    rules: &[Rule],
    sources: &[RulesSource],
    found: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for rule in rules {
        for glob in &rule.files {
            let single = Rule {
                files: vec![glob.clone()],
                ..rule.clone()
            };
            if found
                .iter()
                .any(|file| engine::rule_applies(&single, &file.relative))
            {
                continue;
            }
            let Some(source) = sources.get(rule.origin.file) else {
                continue; // a rule made from -D/-U
            };
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

/// The typedef names the tree's headers declare.
pub fn tree_typedefs(found: &[SourceFile]) -> Vec<String> {
    let mut names: Vec<String> = found
        .par_iter()
        .filter(|file| {
            file.path
                .extension()
                .is_some_and(|extension| extension == "h")
        })
        .flat_map_iter(|file| {
            let names = fs::read(&file.path)
                .ok()
                .and_then(|bytes| crate::scan::scan(&bytes).ok())
                .map(|scan| cparse::typedef_names(&scan.code_view()))
                .unwrap_or_default();
            names.into_iter()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn plan_file(
    file: &SourceFile,
    setup: &Setup,
    parse_stats: bool,
    detail: engine::Detail,
) -> Planned {
    let rules = &setup.rules;
    let source = match fs::read(&file.path) {
        Ok(source) => source,
        Err(error) => {
            return Planned::Failed(
                Problem::error(format!("cannot read {}: {error}", file.display))
                    .help("check the file's permissions"),
            );
        }
    };
    if memchr::memchr(0, &source).is_some() {
        return Planned::Skipped(Problem::note(format!(
            "{}: binary file (it has a NUL byte), skipped",
            file.display
        )));
    }
    match engine::process_with(&source, &file.display, setup, detail) {
        Ok(mut result) => {
            if parse_stats {
                result.parse = Some(engine::parse_stats(&source, setup));
            }
            Planned::Done(result, source)
        }
        Err(error) => Planned::Failed(
            file_problem(&file.display, &source, &error, rules).with_note(NOTHING_CHANGED),
        ),
    }
}

/// The note under a file's error in a run.
const NOTHING_CHANGED: &str = "no file was changed; fix the input and run again";

/// Turn a file's error into a diagnostic; `name` is the file as the user knows it.
pub fn file_problem(name: &str, source: &[u8], error: &FileError, rules: &[Rule]) -> Problem {
    match error {
        FileError::Scan(error) => {
            let label = match error {
                ScanError::UnterminatedComment(_) => "this comment never ends",
                ScanError::ContinuationAtEof(_) => "continues onto nothing",
                ScanError::UnterminatedLiteral(_) => "this literal never ends",
            };
            Problem::error(error.message())
                .at(name, source, error.span(), label)
                .help(error.help())
        }
        FileError::Tree {
            error,
            at,
            related,
            message,
        } => {
            let mut problem = Problem::error(format!("unbalanced conditionals: {message}")).at(
                name,
                source,
                at.clone(),
                message.clone(),
            );
            if let Some(related) = related {
                problem = problem.also(related.clone(), "the #else of this group");
            }
            problem.help(error.help())
        }
        FileError::Condition { error, directive } => Problem::error(format!(
            "cannot read condition: {}",
            error.message
        ))
        .at(name, source, error.span.clone(), error.message.clone())
        .also(directive.clone(), "in this directive")
        .help("write a valid #if expression; cdefang reads conditions of the files a rule selects"),
        FileError::Unparsable {
            rule,
            body,
            failure,
        } => Problem::error(format!(
            "rule `{}` needs a C parse here, and lang-c cannot parse it",
            rules[*rule].id
        ))
        .at(name, source, failure.offset..failure.offset + 1, failure.message.clone())
        .also(body.start..body.start, "the block the rule asks about starts here")
        .help("declare the macros or typedef names that hide C syntax (statement_macros, blank_macros, typedefs in the rules file, or --statement-macro/--blank-macro/--typedef), or set fallback = \"tokens\" on the rule"),
        FileError::Overlap {
            first_rule,
            first,
            second_rule,
            second,
        } => {
            let (first_id, second_id) = (&rules[*first_rule].id, &rules[*second_rule].id);
            Problem::error(format!(
                "rules `{first_id}` and `{second_id}` edit the same lines"
            ))
            .at(name, source, second.clone(), format!("edited by `{second_id}`"))
            .also(first.clone(), format!("edited by `{first_id}`"))
            .help("narrow one of the rules (files, condition, body predicates) so they do not overlap")
        }
    }
}

fn summarise(rules: &[Rule], results: &[(&SourceFile, FileResult, Vec<u8>)]) -> Vec<RuleSummary> {
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let mut summary = RuleSummary {
                id: rule.id.clone(),
                ..RuleSummary::default()
            };
            for (_, result, _) in results {
                if !result.applies[index] {
                    continue;
                }
                let count = &result.counts[index];
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
fn check_expectations(
    rules: &[Rule],
    results: &[(&SourceFile, FileResult, Vec<u8>)],
) -> Vec<Drift> {
    let mut drift = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let Some(expect) = &rule.expect else {
            continue;
        };
        let selected: Vec<(&SourceFile, u64, bool)> = results
            .iter()
            .filter(|(_, result, _)| result.applies[index])
            .map(|(file, result, _)| (*file, result.counts[index].matches, result.residue[index]))
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
    all: &[(&SourceFile, FileResult, Vec<u8>)],
    changed: &[&(&SourceFile, FileResult, Vec<u8>)],
) -> Result<i32, Box<Problem>> {
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
    match &options.mode {
        Mode::Check => Ok(if changed.is_empty() {
            EXIT_OK
        } else {
            EXIT_CHANGES
        }),
        Mode::Stdout => {
            let Some((_, result, source)) = all.first() else {
                return Ok(EXIT_OK);
            };
            let bytes = result.output.as_deref().unwrap_or(source);
            let mut stdout = io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|error| Box::new(Problem::error(format!("cannot write: {error}"))))?;
            Ok(if result.output.is_some() {
                EXIT_CHANGES
            } else {
                EXIT_OK
            })
        }
        Mode::Diff => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            for (file, result, source) in changed {
                if let Some(new) = &result.output {
                    output::write_diff(&mut lock, &file.display, source, new)
                        .and_then(|()| lock.flush())
                        .map_err(|error| {
                            Problem::error(format!("cannot write the diff: {error}"))
                        })?;
                }
            }
            Ok(if changed.is_empty() {
                EXIT_OK
            } else {
                EXIT_CHANGES
            })
        }
        Mode::InPlace | Mode::Out(_) => {
            // Stage every file first; only when all are staged does any replace its target.
            let mut staged = Vec::with_capacity(changed.len());
            for (file, result, _) in changed {
                let Some(new) = &result.output else { continue };
                let target = match &options.mode {
                    Mode::Out(directory) => files::out_path(directory, file),
                    _ => file.path.clone(),
                };
                staged.push(files::stage(&target, new).map_err(io_problem)?);
            }
            if let (Mode::InPlace, Some(suffix)) = (&options.mode, &options.backup) {
                for staged in &staged {
                    files::back_up(staged, suffix).map_err(io_problem)?;
                }
            }
            for staged in staged {
                files::commit(staged).map_err(|error| {
                    Problem::error(error.to_string())
                        .help("check permissions and free space")
                        .with_note("the files before this one were replaced, the rest unchanged")
                })?;
            }
            Ok(EXIT_OK)
        }
    }
}

/// `--symbols`: the symbols the conditionals of the files test, with how often, like
/// `unifdef -s`; one `NAME COUNT` line each, by name.
fn list_symbols(found: &[SourceFile], problems: &mut Vec<Problem>) -> i32 {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut status = EXIT_OK;
    for file in found {
        let source = match fs::read(&file.path) {
            Ok(source) => source,
            Err(error) => {
                problems.push(Problem::error(format!(
                    "cannot read {}: {error}",
                    file.display
                )));
                status = EXIT_TROUBLE;
                continue;
            }
        };
        match engine::condition_symbols(&source) {
            Ok(symbols) => {
                for symbol in symbols {
                    *counts.entry(symbol).or_default() += 1;
                }
            }
            Err(error) => {
                problems.push(
                    file_problem(&file.display, &source, &error, &[]).with_note(NOTHING_CHANGED),
                );
                status = EXIT_TROUBLE;
            }
        }
    }
    let mut stdout = io::stdout().lock();
    for (symbol, count) in counts {
        let _ = writeln!(stdout, "{symbol} {count}");
    }
    status
}
