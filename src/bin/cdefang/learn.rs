//! The learn command, `cdefang learn PATCH --source DIR`: read the patch and the hints files,
//! learn the rules (`cdefang::learn`, which verifies them), write them out, and say what was
//! learned.

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use cdefang::{
    ExitStatus, Hints, InFile, LearnError, LearnErrorKind, Learned, Macros, Problem, Request,
    and_list, plural,
};

/// `cdefang learn`'s options.
#[derive(Clone, Debug)]
pub struct Options {
    pub patch: PathBuf,
    pub source: PathBuf,
    /// Write the rules here instead of standard output.
    pub output: Option<PathBuf>,
    /// Rules files whose C parsing hints (not their rules) are used and repeated.
    pub hints: Vec<PathBuf>,
    pub macros: Macros,
    pub typedefs: Vec<String>,
    pub quiet: bool,
}

/// Run `cdefang learn`; returns the exit status (0 learned and verified, 2 trouble).
pub fn run(options: &Options) -> ExitStatus {
    match run_inner(options) {
        Ok(learned) => {
            if !options.quiet {
                let stderr = io::stderr();
                let mut lock = stderr.lock();
                for rule in &learned.rules {
                    let _ = writeln!(
                        lock,
                        "cdefang learn: {}: {}, {} {} in {}",
                        rule.id,
                        rule.action,
                        rule.matches,
                        plural(rule.matches, "match", "matches"),
                        and_list(&rule.files)
                    );
                }
                let files: usize = learned.rules.iter().map(|rule| rule.files.len()).sum();
                let _ = writeln!(
                    lock,
                    "cdefang learn: verified: the rules reproduce the patched {} exactly",
                    plural(files as u64, "file", "files")
                );
            }
            ExitStatus::Ok
        }
        Err(error) => {
            cdefang::print_problems(&[Problem::from(error)]);
            ExitStatus::Trouble
        }
    }
}

fn run_inner(options: &Options) -> Result<Learned, LearnError> {
    let io_error = |problem: Problem| LearnError::new(LearnErrorKind::Io, problem);
    let mut hints = Hints {
        macros: options.macros.clone(),
        typedefs: options.typedefs.clone(),
    };
    for (index, path) in options.hints.iter().enumerate() {
        let name = path.display().to_string();
        let bytes = fs::read(path).map_err(|error| {
            io_error(
                Problem::error(format!("cannot read hints file {name}: {error}"))
                    .help("check the path given to --hints"),
            )
        })?;
        let text = cdefang::rules_text(&bytes)
            .map_err(|error| io_error(Problem::from(InFile::new(&name, &bytes, &error))))?;
        let loaded = cdefang::load_rules(text, index).map_err(|error| {
            io_error(Problem::from(InFile::new(&name, text.as_bytes(), &error)))
        })?;
        hints.macros.extend(&loaded.macros);
        hints.typedefs.extend(loaded.typedefs);
    }
    let patch = fs::read(&options.patch).map_err(|error| {
        io_error(
            Problem::error(format!(
                "cannot read patch {}: {error}",
                options.patch.display()
            ))
            .help("give the path of a unified diff"),
        )
    })?;
    if !options.source.is_dir() {
        return Err(io_error(
            Problem::error(format!(
                "--source {}: not a directory",
                options.source.display()
            ))
            .help("give the directory the patch applies to"),
        ));
    }
    let learned = cdefang::learn(&Request {
        patch_name: options.patch.display().to_string(),
        patch,
        source: options.source.clone(),
        hints,
    })?;
    match &options.output {
        Some(path) => fs::write(path, &learned.toml).map_err(|error| {
            io_error(
                Problem::error(format!("cannot write {}: {error}", path.display()))
                    .help("check the path given to --output"),
            )
        })?,
        None => {
            let mut stdout = io::stdout().lock();
            let written = stdout
                .write_all(learned.toml.as_bytes())
                .and_then(|()| stdout.flush());
            match written {
                // A reader that went away (`| head`) ends the output quietly, as a filter does.
                Err(error) if cdefang::is_reader_gone(&error) => {}
                Err(error) => {
                    return Err(io_error(Problem::error(format!("cannot write: {error}"))));
                }
                Ok(()) => {}
            }
        }
    }
    Ok(learned)
}
