//! `cdefang --symbols PATH…`: the symbols the conditionals of the files test, with how often,
//! like `unifdef -s`; one `NAME COUNT` line each, by name.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use cdefang::{ExitStatus, InFile, ParsedFile, Problem};

/// List the symbols; returns the exit status (2 if a file cannot be read or parsed).
pub fn run(paths: &[PathBuf]) -> ExitStatus {
    let mut problems = Vec::new();
    let status = list(paths, &mut problems);
    cdefang::print_problems(&problems);
    status
}

fn list(paths: &[PathBuf], problems: &mut Vec<Problem>) -> ExitStatus {
    let found = match cdefang::discover(paths) {
        Ok(found) => found,
        Err(error) => {
            problems.push(Problem::from(&error));
            return ExitStatus::Trouble;
        }
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut status = ExitStatus::Ok;
    for file in found {
        let source = match fs::read(&file.path) {
            Ok(source) => source,
            Err(error) => {
                problems.push(Problem::error(format!(
                    "cannot read {}: {error}",
                    file.display
                )));
                status = ExitStatus::Trouble;
                continue;
            }
        };
        let symbols =
            ParsedFile::new(&source).and_then(|parsed| cdefang::condition_symbols(&parsed));
        match symbols {
            Ok(symbols) => {
                for symbol in symbols {
                    *counts.entry(symbol).or_default() += 1;
                }
            }
            Err(error) => {
                problems.push(Problem::from(InFile::new(&file.display, &source, &error)));
                status = ExitStatus::Trouble;
            }
        }
    }
    let mut stdout = io::stdout().lock();
    let written = counts
        .iter()
        .try_for_each(|(symbol, count)| writeln!(stdout, "{symbol} {count}"))
        .and_then(|()| stdout.flush());
    match written {
        // A reader that went away (`| head`) ends the listing quietly.
        Err(error) if !cdefang::is_reader_gone(&error) => {
            problems.push(Problem::error(format!("cannot write the symbols: {error}")));
            ExitStatus::Trouble
        }
        _ => status,
    }
}
