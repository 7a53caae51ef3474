//! What a run writes, once every file is planned: the report file (checked free and opened
//! before anything else is written), and the run's output by mode, the diff or standard output,
//! or the files themselves, staged all and then committed (`--out`, `--backup` checked first).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use cdefang::{ExitStatus, FilesError, PlannedFile, Problem, Report, SourceFile};

use super::{Mode, Options, Stdout};

/// `--report FILE` must not name an input of the run: a source file (the report would replace
/// it, or be replaced by its rewrite) or a rules file.
pub(super) fn check_report_is_free(
    report: &std::path::Path,
    rules: &[PathBuf],
    found: &[SourceFile],
) -> Result<(), Problem> {
    let Some(wanted) = identity(report) else {
        return Ok(());
    };
    let input = rules
        .iter()
        .map(|path| (path.as_path(), path.display().to_string()))
        .chain(
            found
                .iter()
                .map(|file| (file.path.as_path(), file.display.clone())),
        )
        .find(|(path, _)| identity(path) == Some(wanted));
    match input {
        Some((_, name)) => Err(Problem::error(format!(
            "--report {}: that is {name}, an input of this run",
            report.display()
        ))
        .help("write the report elsewhere (`--report cdefang-report.json`)")
        .with_note("no file was changed")),
        None => Ok(()),
    }
}

/// Open (create) the `--report` file for writing, without emptying it yet (a run that fails
/// before its report is written leaves an earlier report as it was).
pub(super) fn open_report(path: &std::path::Path) -> Result<fs::File, Problem> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|error| {
            Problem::error(format!("cannot write report {}: {error}", path.display()))
                .help("give --report a path in a directory you can write")
                .with_note("no file was changed")
        })
}

/// Write `report` to `file`, replacing what it held.
pub(super) fn write_report(
    file: &mut fs::File,
    path: &std::path::Path,
    report: &Report,
) -> Result<(), Problem> {
    use std::io::Seek;
    cdefang::report_json(report)
        .map_err(io::Error::other)
        .and_then(|json| {
            // A device (/dev/stdout, a pipe) cannot be emptied or sought; it is written once.
            if file.metadata()?.is_file() {
                file.set_len(0)?;
                file.seek(io::SeekFrom::Start(0))?;
            }
            file.write_all(&json)?;
            file.flush()
        })
        .map_err(|error| {
            Problem::error(format!("cannot write report {}: {error}", path.display()))
                .help("give --report a path in a directory you can write")
                .with_note("no file was changed")
        })
}

/// Produce the run's output for the changed files; returns the exit status.
pub(super) fn emit(
    options: &Options,
    all: &[PlannedFile],
    changed: &[&PlannedFile],
    stdout: &mut Stdout,
) -> Result<ExitStatus, Problem> {
    let status = expected_status(&options.mode, changed);
    match &options.mode {
        Mode::Check | Mode::List => Ok(status),
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
            Ok(status)
        }
        Mode::Diff => {
            for file in changed {
                if let Some(new) = &file.result.output {
                    stdout.write("cannot write the diff", || {
                        let mut out = io::stdout().lock();
                        cdefang::write_diff(&mut out, &file.file.label, &file.source, new)?;
                        out.flush()
                    })?;
                }
            }
            Ok(status)
        }
        Mode::InPlace | Mode::Out(_) => {
            write_files(options, all, changed)?;
            Ok(status)
        }
    }
}

/// How a run that planned `changed` ends when its output is written: 1 when `--check`,
/// `--diff` or `--stdout` find changes, else 0.
pub(super) fn expected_status(mode: &Mode, changed: &[&PlannedFile]) -> ExitStatus {
    match mode {
        Mode::Check | Mode::Diff | Mode::Stdout if !changed.is_empty() => ExitStatus::Changes,
        _ => ExitStatus::Ok,
    }
}

/// In place or `--out`: stage every file first (with `--backup`, and a link to each original);
/// only when all are staged are they committed, all together (see `cdefang::commit_all`: each
/// target checked to be the file read, then renamed into place).
fn write_files(
    options: &Options,
    all: &[PlannedFile],
    changed: &[&PlannedFile],
) -> Result<(), Problem> {
    let io_problem = |error: FilesError| {
        let help = match error {
            FilesError::ReadOnly(_) => {
                "make it writable (chmod u+w) or write the results elsewhere with --out DIR"
            }
            _ => return Problem::from(&error).with_note(NOTHING_WRITTEN),
        };
        Problem::error(error.to_string())
            .help(help)
            .with_note(NOTHING_WRITTEN)
    };
    let targets = targets(options, changed)?;
    let backups = match (&options.mode, &options.backup) {
        (Mode::InPlace, Some(suffix)) => Some(suffix.as_str()),
        _ => None,
    };
    // The files of the run by identity, which no backup may replace.
    let run_files: HashMap<(u64, u64), &str> = match backups {
        Some(_) => all
            .iter()
            .filter_map(|file| Some((identity(&file.file.path)?, file.file.display.as_str())))
            .collect(),
        None => HashMap::new(),
    };
    let mut staged = Vec::with_capacity(changed.len());
    for (file, target) in changed.iter().zip(targets) {
        let Some(new) = &file.result.output else {
            continue;
        };
        let mut file_staged = match &options.mode {
            Mode::Out(_) => cdefang::stage_new(&target, new),
            _ => cdefang::stage(&target, new, file.read_as),
        }
        .map_err(io_problem)?;
        if let Some(suffix) = backups {
            check_backup_is_free(&run_files, &file.file, file_staged.target(), suffix)?;
            cdefang::back_up(&mut file_staged, suffix).map_err(io_problem)?;
        }
        staged.push(file_staged);
    }
    cdefang::commit_all(staged).map_err(|error| match error {
        FilesError::Changed(_) => io_problem(error),
        _ => Problem::from(&error).with_note(
            "every file was staged and checked; renaming one failed: the files before it were replaced, the rest unchanged",
        ),
    })?;
    if cdefang::interrupted_during_commit() {
        return Err(Problem::note(
            "interrupted while renaming the new files into place: the renames were finished first",
        ));
    }
    Ok(())
}

/// The note under a write that failed before the commit.
const NOTHING_WRITTEN: &str = "every file is staged before any is replaced: no file was changed";

/// Where each changed file goes: itself, or (`--out DIR`) `DIR/LABEL`, refused when two files
/// would go to the same place or a link inside DIR would lead elsewhere.
fn targets(options: &Options, changed: &[&PlannedFile]) -> Result<Vec<PathBuf>, Problem> {
    let Mode::Out(directory) = &options.mode else {
        return Ok(changed.iter().map(|file| file.file.path.clone()).collect());
    };
    let mut taken: BTreeMap<PathBuf, &str> = BTreeMap::new();
    let mut targets = Vec::with_capacity(changed.len());
    for file in changed {
        let target = cdefang::out_path(directory, &file.file)
            .map_err(|error| Problem::from(&error).with_note(NOTHING_WRITTEN))?;
        if fs::symlink_metadata(&target).is_ok_and(|metadata| metadata.is_dir()) {
            return Err(Problem::error(format!(
                "--out would write {} to {}, which is a directory",
                file.file.display,
                target.display()
            ))
            .help("move the directory away, or give --out an empty directory")
            .with_note("no file was written"));
        }
        if let Some(first) = taken.insert(target.clone(), &file.file.display) {
            return Err(Problem::error(format!(
                "--out would write {first} and {} to the same file {}",
                file.file.display,
                target.display()
            ))
            .help("--out mirrors paths relative to the directory given: give the files' directory instead of files from different places")
            .with_note("no file was written"));
        }
        targets.push(target);
    }
    Ok(targets)
}

/// A file's identity on disk (device, inode), whatever it is called.
pub(super) fn identity(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path)
        .ok()
        .map(|metadata| (metadata.dev(), metadata.ino()))
}

/// `--backup`: refuse a backup name that is a file of the run (`x.h` + `.c` = `x.h.c`): making
/// the backup would destroy that file's original.
fn check_backup_is_free(
    run_files: &HashMap<(u64, u64), &str>,
    file: &SourceFile,
    target: &std::path::Path,
    suffix: &str,
) -> Result<(), Problem> {
    let backup = cdefang::backup_path(target, suffix);
    if fs::symlink_metadata(&backup).is_ok_and(|metadata| metadata.is_dir()) {
        return Err(Problem::error(format!(
            "--backup {suffix}: the backup of {} would be {}, which is a directory",
            file.display,
            backup.display()
        ))
        .help("choose another suffix, or move the directory away")
        .with_note("no file was changed"));
    }
    match identity(&backup).and_then(|identity| run_files.get(&identity)) {
        Some(other) => Err(Problem::error(format!(
            "--backup {suffix}: the backup of {} would be {other}, a file of this run",
            file.display
        ))
        .help("choose a suffix that names no source file (`.orig`, `~`)")
        .with_note("no file was changed")),
        None => Ok(()),
    }
}
