//! Files on disk: finding the C sources under the paths given, and writing results atomically.
//!
//! Directories are walked without following symbolic links (a link never leads out of the tree
//! and a link loop cannot hang the walk), in a stable order, taking `*.c` and `*.h` files and
//! skipping hidden directories below the given root. A file named on the command line is taken
//! whatever its name. Writes go to a temporary file in the target's directory, are synced, and
//! replace the target by rename; every file of a run is staged (and backed up, with `--backup`)
//! before the first rename. A rewritten file keeps its permissions and gets the time of the
//! rewrite as its mtime (so build tools see it changed); a read-only file is refused; a file
//! named through a symbolic link is written where the link points, and the link stays.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use tempfile::NamedTempFile;

use rayon::prelude::*;

use crate::c;
use crate::engine::FileResult;
use crate::source::{ParsedFile, Scan};

/// A file to process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Where to read it.
    pub path: PathBuf,
    /// The path as the user would write it (the root given, joined with the path inside it).
    pub display: String,
    /// `/`-separated path relative to the directory given (for a file given directly: the path
    /// as given), which rule globs are matched against and `--out` mirrors.
    pub relative: String,
}

/// A file as a run has planned it: where it is, its original bytes and what the rules make of
/// them. The one shape a file has between reading and writing.
#[derive(Clone, Debug)]
pub struct PlannedFile {
    pub file: SourceFile,
    pub source: Vec<u8>,
    pub result: FileResult,
}

/// A problem with the paths given or with the disk.
#[derive(Debug)]
pub enum FilesError {
    Missing(PathBuf),
    /// The file to rewrite has no write permission.
    ReadOnly(PathBuf),
    Io {
        path: PathBuf,
        error: io::Error,
    },
}

impl std::fmt::Display for FilesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilesError::Missing(path) => write!(f, "{}: no such file or directory", path.display()),
            FilesError::ReadOnly(path) => {
                write!(f, "{}: read-only file, not rewritten", path.display())
            }
            FilesError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FilesError + '_ {
    move |error| FilesError::Io {
        path: path.to_path_buf(),
        error,
    }
}

fn is_c_source(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("c" | "h")
    )
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The C sources under `paths`, each once, in the order given and, within a directory, by name.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<SourceFile>, FilesError> {
    let mut found: Vec<SourceFile> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for root in paths {
        let metadata = fs::metadata(root).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => FilesError::Missing(root.clone()),
            _ => FilesError::Io {
                path: root.clone(),
                error,
            },
        })?;
        if !metadata.is_dir() {
            if seen.insert(root.clone()) {
                found.push(SourceFile {
                    path: root.clone(),
                    display: root.display().to_string(),
                    relative: slash_path(root),
                });
            }
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.')
            });
        for entry in walker {
            let entry = entry.map_err(|error| {
                let path = error.path().unwrap_or(root).to_path_buf();
                let error = error
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("directory walk failed"));
                FilesError::Io { path, error }
            })?;
            if !entry.file_type().is_file() || !is_c_source(entry.path()) {
                continue;
            }
            let path = entry.path().to_path_buf();
            if !seen.insert(path.clone()) {
                continue;
            }
            let inside = path.strip_prefix(root).unwrap_or(&path);
            found.push(SourceFile {
                display: path.display().to_string(),
                relative: slash_path(inside),
                path,
            });
        }
    }
    Ok(found)
}

/// The typedef names the headers (`*.h`) among `found` declare, read from disk in parallel:
/// those of every header that can be read, is C (no NUL byte) and parses (see [`ParsedFile`]),
/// as a run takes them from its own parses (see [`c::tree_typedefs`]).
pub fn header_typedefs(found: &[SourceFile]) -> Vec<String> {
    let headers: Vec<Vec<u8>> = found
        .par_iter()
        .filter(|file| file.is_header())
        .filter_map(|file| fs::read(&file.path).ok())
        .filter(|bytes| memchr::memchr(0, bytes).is_none())
        .collect();
    let parsed: Vec<ParsedFile> = headers
        .par_iter()
        .filter_map(|bytes| ParsedFile::new(bytes).ok())
        .collect();
    let scans: Vec<&Scan> = parsed.iter().map(|parsed| &parsed.scan).collect();
    c::tree_typedefs(&scans)
}

impl SourceFile {
    /// A header file (`*.h`), whose typedefs every file of the tree may use.
    pub fn is_header(&self) -> bool {
        self.path
            .extension()
            .is_some_and(|extension| extension == "h")
    }
}

/// A new version of a file, written to a temporary file beside it and not yet in place.
pub struct Staged {
    temp: NamedTempFile,
    target: PathBuf,
}

/// Write `bytes` to a temporary file in `target`'s directory, with `target`'s permissions when
/// it exists, and sync it. Nothing visible changes until [`commit`]. A symbolic link is followed
/// (the file it points to is the target); a read-only target is an error.
pub fn stage(target: &Path, bytes: &[u8]) -> Result<Staged, FilesError> {
    let is_link = fs::symlink_metadata(target).is_ok_and(|metadata| metadata.is_symlink());
    let target = if is_link {
        fs::canonicalize(target).map_err(io_error(target))?
    } else {
        target.to_path_buf()
    };
    let existing = fs::metadata(&target).ok();
    if existing
        .as_ref()
        .is_some_and(|metadata| metadata.permissions().readonly())
    {
        return Err(FilesError::ReadOnly(target));
    }
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&directory).map_err(io_error(&directory))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cdefang-");
    if existing.is_none() {
        // A new file gets the mode any program's new file gets: 0666 less the umask (tempfile's
        // own 0600 is for secrets).
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder
        .tempfile_in(&directory)
        .map_err(io_error(&directory))?;
    temp.write_all(bytes).map_err(io_error(&target))?;
    if let Some(metadata) = existing {
        fs::set_permissions(temp.path(), metadata.permissions()).map_err(io_error(&target))?;
    }
    temp.as_file().sync_all().map_err(io_error(&target))?;
    Ok(Staged { temp, target })
}

/// Keep the current version of a staged file's target as `TARGET` + `suffix` (replacing an
/// older backup), as `patch -b` does; the target itself is not touched.
pub fn back_up(staged: &Staged, suffix: &str) -> Result<(), FilesError> {
    let mut name = staged.target.clone().into_os_string();
    name.push(suffix);
    let backup = PathBuf::from(name);
    match fs::remove_file(&backup) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(&backup)(error)),
    }
    // A hard link costs nothing and keeps the original's times; copy where links do not work.
    if fs::hard_link(&staged.target, &backup).is_err() {
        fs::copy(&staged.target, &backup).map_err(io_error(&backup))?;
    }
    Ok(())
}

/// Put a staged file in place by rename.
pub fn commit(staged: Staged) -> Result<(), FilesError> {
    let target = staged.target;
    staged
        .temp
        .persist(&target)
        .map(|_| ())
        .map_err(|error| FilesError::Io {
            path: target,
            error: error.error,
        })
}

/// Where `--out DIR` puts a file's new version.
pub fn out_path(out: &Path, file: &SourceFile) -> PathBuf {
    out.join(&file.relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_c_sources_in_order_and_skips_hidden_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("core")).unwrap();
        fs::create_dir_all(root.join(".cache")).unwrap();
        fs::write(root.join("core/b.c"), "b").unwrap();
        fs::write(root.join("core/a.h"), "a").unwrap();
        fs::write(root.join("core/notes.txt"), "n").unwrap();
        fs::write(root.join(".cache/x.c"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("core/loop")).unwrap();
        let found = discover(&[root.to_path_buf()]).unwrap();
        let relative: Vec<&str> = found.iter().map(|file| file.relative.as_str()).collect();
        assert_eq!(relative, vec!["core/a.h", "core/b.c"]);
        assert!(matches!(
            discover(&[root.join("missing")]),
            Err(FilesError::Missing(_))
        ));
    }

    #[test]
    fn read_only_files_are_refused_links_are_followed_backups_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.c");
        fs::write(&target, "old").unwrap();
        let mut permissions = fs::metadata(&target).unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&target, permissions).unwrap();
        assert!(matches!(
            stage(&target, b"new"),
            Err(FilesError::ReadOnly(_))
        ));

        let real = dir.path().join("real.c");
        fs::write(&real, "old").unwrap();
        #[cfg(unix)]
        {
            let link = dir.path().join("link.c");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            let staged = stage(&link, b"new").unwrap();
            back_up(&staged, ".orig").unwrap();
            commit(staged).unwrap();
            assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
            assert_eq!(fs::read(&real).unwrap(), b"new");
            assert_eq!(fs::read(dir.path().join("real.c.orig")).unwrap(), b"old");
        }
    }

    #[test]
    fn staged_files_keep_permissions_and_appear_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.c");
        fs::write(&target, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        }
        let staged = stage(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old");
        commit(staged).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
    }
}
