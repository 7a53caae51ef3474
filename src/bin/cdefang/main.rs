//! The `cdefang` command line: clap parses the arguments, and each command is a module of its
//! own that uses the library's API and no other command: `rewrite` (rules, and unifdef mode),
//! `symbols` (`--symbols`), `test` (`cdefang test`) and `learn` (`cdefang learn`).

// Errors are values: outside tests, no unwrap, expect or panic (clippy enforces it in CI).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod learn;
mod rewrite;
mod symbols;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use cdefang::{Assumptions, ExitStatus, Macros};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use rewrite::{Mode, Options};

const EXAMPLES: &str = "\
Examples:
  cdefang --rules rules/el5.toml uwsgi-2.0.17/           rewrite in place
  cdefang --rules rules/el5.toml --diff uwsgi-2.0.17/    show what would change
  cdefang --rules rules/el5.toml --check src/            exit 1 if anything would change
  cdefang --rules rules/el5.toml --out fixed/ src/       write changed files under fixed/
  cdefang --rules rules/el5.toml --report run.json src/  also write a JSON report
  cdefang --rules rules/el5.toml --explain --check src/  why each block matches, what it does
  cdefang --rules rules/el5.toml --list src/             one line per match: FILE:LINE:COL: RULE: ACTION
  cdefang -DOBSOLETE_LINUX_KERNEL --stdout core/utils.c  resolve as unifdef does
  cdefang --parse-stats --rules rules/uwsgi-parse.toml core/  lang-c coverage
  cdefang test rules/                                     run the rules files' test cases
  cdefang learn fix.patch --source uwsgi-2.0.17/ -o learned.toml
                                                         learn a rule from a patch

Exit status: 0 nothing to do or done, 1 --check/--diff found changes,
2 trouble (bad input, drift alarm, I/O); nothing is written when it is 2.";

/// Rewrite C sources by declarative rules about their preprocessor conditionals.
#[derive(Parser, Debug)]
#[command(
    name = "cdefang",
    version,
    about,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Rules file (TOML); give it more than once to combine files.
    #[arg(
        long = "rules",
        value_name = "FILE",
        required_unless_present_any = ["parse_stats", "define", "undef", "constants", "stdout", "symbols"]
    )]
    rules: Vec<PathBuf>,

    /// Run only the rule with this id (repeatable), as if the files had no other: one patch
    /// per rule, for a patch series (README, "The workflow for the real box").
    #[arg(long = "rule", value_name = "ID", requires = "rules")]
    rule: Vec<String>,

    /// Assume NAME defined (to VALUE, default 1), as unifdef -D. Without --rules, the files are
    /// resolved as unifdef resolves them: every condition the assumptions decide goes or stays
    /// without its directives (`#if A && 0` too), the others are simplified; with --rules,
    /// added to every `resolve` rule's assumptions.
    #[arg(short = 'D', long = "define", value_name = "NAME[=VALUE]")]
    define: Vec<String>,

    /// Assume NAME undefined, as unifdef -U.
    #[arg(short = 'U', long = "undef", value_name = "NAME")]
    undef: Vec<String>,

    /// Also resolve conditions that test no symbol (`#if 0`, `#if 1`), as unifdef -k. By
    /// default they are left alone, as unifdef does: such blocks are usually kept on purpose.
    #[arg(short = 'k', long = "constants")]
    constants: bool,

    /// In place, keep each rewritten file's original as FILE + SUFFIX (as patch -b with
    /// -z SUFFIX), replacing an older backup.
    #[arg(long, value_name = "SUFFIX", conflicts_with_all = ["check", "diff", "out", "stdout"],
          value_parser = backup_suffix)]
    backup: Option<String>,

    /// Print the result for the one file given to standard output (as unifdef); write nothing;
    /// exit 1 if it changed.
    #[arg(long, conflicts_with_all = ["check", "diff", "out"])]
    stdout: bool,

    /// List the symbols the files' conditionals test, with counts (as unifdef -s); reads no
    /// rules and writes nothing, so it takes none of the options that do.
    #[arg(long, conflicts_with_all = [
        "rules", "define", "undef", "constants", "check", "diff", "out", "stdout", "report",
        "parse_stats", "backup", "allow_drift", "statement_macro", "blank_macro",
        "function_macro", "typedef",
    ])]
    symbols: bool,

    /// Parse every function definition with lang-c and print the coverage (per file and in
    /// total; also `parse` in --report). Without --rules, nothing else is done.
    #[arg(long)]
    parse_stats: bool,

    /// With --parse-stats: also print, after the table, the names that stopped lang-c as a
    /// hints TOML (statement_macros, blank_macros, typedefs) to review and save.
    #[arg(long, requires = "parse_stats")]
    suggest_hints: bool,

    #[command(flatten)]
    parse: ParseHints,

    /// Write nothing; exit 1 if anything would change, 0 if not.
    #[arg(long, conflicts_with_all = ["diff", "out"])]
    check: bool,

    /// Print one line per match, `FILE:LINE:COL: RULE: ACTION` (as grep and editors read
    /// them); write nothing.
    #[arg(long, conflicts_with_all = ["check", "diff", "out", "stdout", "backup", "symbols", "explain"])]
    list: bool,

    /// Print a unified diff (apply with `patch -p1`); write nothing; exit 1 if there are changes.
    #[arg(long, conflicts_with = "out")]
    diff: bool,

    /// Write rewritten copies of the changed files under DIR, mirroring the tree.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Number of files to process in parallel (default: one per core).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,

    /// Write a machine-readable JSON report to FILE.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,

    /// Report a rule's unexpected match count as a warning instead of failing.
    #[arg(long)]
    allow_drift: bool,

    /// For each match, show why it matched and what its action will do (a note on the source,
    /// then the diff hunk); to standard output, or to standard error with --diff and --stdout.
    /// Writes nothing itself: the mode decides that.
    #[arg(long, conflicts_with = "symbols")]
    explain: bool,

    /// Do not print the per-rule summary.
    #[arg(long, short = 'q')]
    quiet: bool,

    /// Files, or directories searched for *.c and *.h.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
}

/// `--backup`'s suffix: not empty and without `/` (see `cdefang::check_backup_suffix`).
fn backup_suffix(suffix: &str) -> Result<String, String> {
    cdefang::check_backup_suffix(suffix)?;
    Ok(suffix.to_string())
}

/// What lang-c needs to know that the files do not say (also in rules files).
#[derive(Args, Debug)]
struct ParseHints {
    /// A macro used as a statement head, `NAME(args) { … }` (for lang-c; repeatable).
    #[arg(long, value_name = "NAME")]
    statement_macro: Vec<String>,

    /// A macro to ignore, with its argument list, when parsing with lang-c (repeatable).
    #[arg(long, value_name = "NAME")]
    blank_macro: Vec<String>,

    /// A macro that defines a function, `NAME(fn) { … }` (for lang-c; repeatable).
    #[arg(long, value_name = "NAME")]
    function_macro: Vec<String>,

    /// A typedef name declared outside the files given (repeatable).
    #[arg(long, value_name = "NAME")]
    typedef: Vec<String>,
}

impl ParseHints {
    fn macros(self) -> (Macros, Vec<String>) {
        let macros = Macros {
            statements: self.statement_macro,
            blank: self.blank_macro,
            functions: self.function_macro,
            ..Macros::default()
        };
        (macros, self.typedef)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the test cases ([[test]] tables) of rules files and compare each output with its
    /// snapshot (snapshots/ beside the rules file).
    Test(TestArgs),
    /// Learn a rule from a patch (a unified diff)
    ///
    /// Find the conditional branches the patch removes or resolves, write the TOML rule that
    /// does it (to standard output or --output), and check that the rule reproduces the
    /// patched files exactly before writing it. Exit status: 0 learned, 2 trouble.
    Learn(LearnArgs),
    /// Print the completion script of SHELL (bash, zsh, fish, elvish, powershell) to standard
    /// output: `cdefang completions bash > ~/.local/share/bash-completion/completions/cdefang`.
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output: `cdefang man > ~/.local/share/man/man1/cdefang.1`.
    Man,
}

/// `cdefang completions SHELL` and `cdefang man`: generated from the command line's own
/// definition, so they are never out of date.
fn print_generated(command: &Command) -> ExitCode {
    use clap::CommandFactory;
    let mut definition = Cli::command();
    let mut out = Vec::new();
    let written = match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut definition, "cdefang", &mut out);
            Ok(())
        }
        _ => clap_mangen::Man::new(definition).render(&mut out),
    };
    let written = written.and_then(|()| {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&out)?;
        stdout.flush()
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if cdefang::is_reader_gone(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cdefang: cannot write: {error}");
            ExitStatus::Trouble.into()
        }
    }
}

const TEST_EXAMPLES: &str = "\
Examples:
  cdefang test rules/                  run every case of rules/*.toml
  cdefang test --update rules/el5.toml write .snap.new for each missing or changed snapshot
  cdefang test --accept rules/el5.toml move the reviewed .snap.new files into place

Exit status: 0 every case passed, 1 some case failed, 2 trouble (bad rules file,
unreadable path, a case that cannot be processed). The other cases still run, and
with --update or --accept still write their snapshots.";

#[derive(Args, Debug)]
#[command(after_help = TEST_EXAMPLES)]
struct TestArgs {
    /// Write SNAPSHOT.new beside each snapshot that is missing or differs, for review (accepted
    /// snapshots are never overwritten).
    #[arg(long, conflicts_with = "accept")]
    update: bool,

    /// Rename every pending SNAPSHOT.new of the rules files into place; run no case.
    #[arg(long)]
    accept: bool,

    /// Rules files, or directories whose *.toml files are taken (not recursively).
    #[arg(value_name = "RULES", required = true)]
    paths: Vec<PathBuf>,
}

/// `cdefang test`.
fn test(args: TestArgs) -> ExitCode {
    let mode = if args.update {
        test::Mode::Update
    } else if args.accept {
        test::Mode::Accept
    } else {
        test::Mode::Check
    };
    test::run(&test::Options {
        paths: args.paths,
        mode,
    })
    .into()
}

#[derive(Args, Debug)]
struct LearnArgs {
    /// The patch: a unified diff (`diff -u`, `git diff`); its paths are tried with -p0 and -p1
    /// under --source, as patch does.
    #[arg(value_name = "PATCH")]
    patch: PathBuf,

    /// The directory the patch applies to, holding the original files.
    #[arg(long, value_name = "DIR")]
    source: PathBuf,

    /// Write the rules file here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// A rules file whose C parsing hints (statement_macros, blank_macros, function_macros,
    /// typedefs; not its rules) lang-c needs; repeated in the learned file (repeatable).
    #[arg(long, value_name = "FILE")]
    hints: Vec<PathBuf>,

    #[command(flatten)]
    parse: ParseHints,

    /// Do not print the summary on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// `cdefang learn`.
fn learn(args: LearnArgs) -> ExitCode {
    let (macros, typedefs) = args.parse.macros();
    let options = learn::Options {
        patch: args.patch,
        source: args.source,
        output: args.output,
        hints: args.hints,
        macros,
        typedefs,
        quiet: args.quiet,
    };
    learn::run(&options).into()
}

/// The stack of the thread that runs the command (reserved, not used, until deep code needs it):
/// lang-c and the passes over conditions recurse, within the limits of the library's C parser
/// and condition parser.
const STACK: usize = 64 << 20;

/// SIGINT and SIGTERM: before the commit, the run's temporary files are removed and cdefang
/// exits with 128 + the signal's number, no file changed; during the commit, the renames finish
/// first (see `cdefang::interrupt`).
fn handle_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                cdefang::interrupt(128 + signal);
            }
        });
}

fn main() -> ExitCode {
    handle_signals();
    match std::thread::Builder::new().stack_size(STACK).spawn(cdefang) {
        Ok(command) => command.join().unwrap_or(ExitStatus::Trouble.into()),
        Err(_) => cdefang(),
    }
}

/// `-D NAME[=VALUE]` and `-U NAME` in the order given, the last word on a name winning (as
/// unifdef); a name that is not a C identifier is refused, as in a rules file's `define`.
fn command_line_assumptions(matches: &clap::ArgMatches) -> Result<Assumptions, cdefang::Problem> {
    let given = |id: &str| -> Vec<(usize, String)> {
        matches
            .indices_of(id)
            .into_iter()
            .flatten()
            .zip(
                matches
                    .get_many::<String>(id)
                    .into_iter()
                    .flatten()
                    .cloned(),
            )
            .collect()
    };
    let defines = given("define");
    let mut all: Vec<(usize, bool, String)> = defines
        .into_iter()
        .map(|(at, spec)| (at, true, spec))
        .chain(
            given("undef")
                .into_iter()
                .map(|(at, name)| (at, false, name)),
        )
        .collect();
    all.sort_by_key(|(at, _, _)| *at);
    let mut assumptions = Assumptions::default();
    for (_, define, spec) in all {
        let name = if define {
            spec.split_once('=').map_or(spec.as_str(), |(name, _)| name)
        } else {
            spec.as_str()
        };
        let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier || spec.contains('\n') {
            let option = if define { "-D" } else { "-U" };
            return Err(cdefang::Problem::error(format!(
                "{option} `{}`: `{}` is not a macro name",
                cdefang::escape_controls(&spec),
                cdefang::escape_controls(name)
            ))
            .help(if define {
                "write -D NAME or -D NAME=VALUE, NAME a C identifier (a function-like macro cannot be assumed)"
            } else {
                "write -U NAME, NAME a C identifier"
            }));
        }
        if define {
            assumptions.define(&spec);
        } else {
            assumptions.undefine(&spec);
        }
    }
    Ok(assumptions)
}

/// What `cdefang` alone says: its forms, since no one option is required by all of them.
const USAGE: &str = "\
usage: cdefang --rules FILE [--check | --diff | --out DIR | --backup SUFFIX] PATH...   (rules)
       cdefang -D NAME[=VALUE] | -U NAME [--stdout] PATH...                      (unifdef mode)
       cdefang --parse-stats [--rules FILE] PATH...
       cdefang --symbols PATH...
       cdefang test RULES...
       cdefang learn PATCH --source DIR
       cdefang completions SHELL | cdefang man
Run `cdefang --help` for every option.";

fn cdefang() -> ExitCode {
    if std::env::args_os().len() <= 1 {
        eprintln!("{USAGE}");
        return ExitStatus::Trouble.into();
    }
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Some(Command::Test(args)) => return test(args),
        Some(Command::Learn(args)) => return learn(args),
        Some(command) => return print_generated(&command),
        None => {}
    }
    if cli.symbols {
        return symbols::run(&cli.paths).into();
    }
    let mut assumptions = match command_line_assumptions(&matches) {
        Ok(assumptions) => assumptions,
        Err(problem) => {
            cdefang::print_problems(&[problem]);
            return ExitStatus::Trouble.into();
        }
    };
    assumptions.constants = cli.constants;
    let mode = if cli.list {
        Mode::List
    } else if cli.stdout {
        Mode::Stdout
    } else if cli.check {
        Mode::Check
    } else if cli.diff {
        Mode::Diff
    } else if let Some(directory) = cli.out {
        Mode::Out(directory)
    } else if cli.rules.is_empty() && assumptions.is_empty() {
        Mode::Check
    } else {
        Mode::InPlace
    };
    let (macros, typedefs) = cli.parse.macros();
    let options = Options {
        rules: cli.rules,
        only_rules: cli.rule,
        paths: cli.paths,
        mode,
        jobs: cli.jobs.map(usize::from),
        report: cli.report,
        allow_drift: cli.allow_drift,
        quiet: cli.quiet,
        parse_stats: cli.parse_stats,
        suggest_hints: cli.suggest_hints,
        macros,
        typedefs,
        assumptions,
        backup: cli.backup,
        explain: cli.explain,
    };
    rewrite::run(&options).into()
}
