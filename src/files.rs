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

use std::collections::HashSet;
use std::fs;
use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt, fchown};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

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
    /// as given, `.` and `x/..` resolved, without a leading `/` or `../`), which rule globs are
    /// matched against.
    pub relative: String,
    /// The path relative to the directory given, which `--diff` labels (`a/LABEL`, so that
    /// `patch -p1` applies the diff from that directory) and `--out` mirrors: for a file in a
    /// directory given, as `relative`; for a file given directly, the path as given (`.` and
    /// `x/..` resolved) when it is relative and stays below the current directory, else its
    /// name (the directory given is then the one holding it).
    pub label: PathBuf,
}

/// A file as a run has planned it: where it is, its original bytes and what the rules make of
/// them. The one shape a file has between reading and writing.
#[derive(Clone, Debug)]
pub struct PlannedFile {
    pub file: SourceFile,
    pub source: Vec<u8>,
    /// What the file was when read (`None`: not read from disk), checked before it is replaced.
    pub read_as: Option<ReadAs>,
    pub result: FileResult,
}

/// A problem with the paths given or with the disk.
#[derive(Debug)]
pub enum FilesError {
    Missing(PathBuf),
    /// The file to rewrite has no write permission.
    ReadOnly(PathBuf),
    /// The file changed on disk between the run's reading it and its commit.
    Changed(PathBuf),
    /// `--out`: a symbolic link inside the output directory, which the write would follow.
    Link(PathBuf),
    /// `--out`: a path that would leave the output directory.
    Outside(PathBuf),
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
            FilesError::Changed(path) => write!(
                f,
                "{}: changed on disk since this run read it (by another program, or another cdefang run)",
                path.display()
            ),
            FilesError::Link(path) => write!(
                f,
                "{}: a symbolic link inside the --out directory; not followed",
                path.display()
            ),
            FilesError::Outside(path) => {
                write!(f, "{}: outside the --out directory", path.display())
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

/// `path` with `.` dropped and `x/..` resolved, lexically: whether it has leading `/` or `..`
/// parts (which stay unresolved), and its other parts, bytes kept.
fn normalise(path: &Path) -> (bool, Vec<&std::ffi::OsStr>) {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    let mut escapes = false;
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                if parts.pop().is_none() {
                    escapes = true;
                }
            }
            Component::RootDir | Component::Prefix(_) => escapes = true,
            Component::CurDir => {}
        }
    }
    (escapes, parts)
}

/// `/`-separated text of path parts (for globs: bytes that are not UTF-8 replaced).
fn slash_joined(parts: &[&std::ffi::OsStr]) -> String {
    parts
        .iter()
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A file given directly: its `relative` path and its `label` (see [`SourceFile`]).
fn given_file_names(path: &Path) -> (String, PathBuf) {
    let (escapes, parts) = normalise(path);
    let label = if escapes {
        parts.last().map(PathBuf::from).unwrap_or_default()
    } else {
        parts.iter().collect()
    };
    (slash_joined(&parts), label)
}

/// The identity of a file on disk (device, inode), whatever it is called.
fn identity(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path)
        .ok()
        .map(|metadata| (metadata.dev(), metadata.ino()))
}

/// The C sources under `paths`, each once (a file named several ways, `a.c`, `./a.c`,
/// `d/../a.c`, or through a link, is taken under the first of its names), in the order given
/// and, within a directory, by name.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<SourceFile>, FilesError> {
    let mut found: Vec<SourceFile> = Vec::new();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut is_new = |path: &Path| identity(path).is_none_or(|identity| seen.insert(identity));
    for root in paths {
        let metadata = fs::metadata(root).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => FilesError::Missing(root.clone()),
            _ => FilesError::Io {
                path: root.clone(),
                error,
            },
        })?;
        if !metadata.is_dir() {
            if is_new(root) {
                let (relative, label) = given_file_names(root);
                found.push(SourceFile {
                    path: root.clone(),
                    display: root.display().to_string(),
                    relative,
                    label,
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
            if !is_new(&path) {
                continue;
            }
            let inside = path.strip_prefix(root).unwrap_or(&path);
            let parts = normalise(inside).1;
            found.push(SourceFile {
                display: path.display().to_string(),
                relative: slash_joined(&parts),
                label: parts.iter().collect(),
                path,
            });
        }
    }
    Ok(found)
}

/// What the headers (`*.h`) among `found`, read from disk in parallel, tell the C view, added to
/// the hints (`macros`, `typedefs`): every header that can be read, is C (no NUL byte) and
/// parses (see [`ParsedFile`]), as a run takes them from its own parses (see
/// [`c::add_header_hints`]).
pub fn add_header_hints(found: &[SourceFile], macros: &mut c::Macros, typedefs: &mut Vec<String>) {
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
    c::add_header_hints(&scans, macros, typedefs);
}

impl SourceFile {
    /// A header file (`*.h`), whose typedefs every file of the tree may use.
    pub fn is_header(&self) -> bool {
        self.path
            .extension()
            .is_some_and(|extension| extension == "h")
    }
}

/// What a file was when it was read, to tell before replacing it whether anything changed it
/// since: its device and inode (a file renamed over it or deleted and re-created is another
/// inode), its size, its modification time and a hash of its bytes (an edit within the same
/// clock tick keeps the size and the time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadAs {
    device: u64,
    inode: u64,
    len: u64,
    modified: (i64, i64),
    hash: u64,
}

impl ReadAs {
    fn new(metadata: &fs::Metadata, bytes: &[u8]) -> ReadAs {
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(bytes);
        ReadAs {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            hash: hasher.finish(),
        }
    }

    /// Whether the file at `path` is still the one read: the same inode, size and time, and
    /// (read again) the same bytes.
    fn still_holds(&self, path: &Path) -> io::Result<bool> {
        let mut file = match fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(error),
        };
        let metadata = file.metadata()?;
        if (metadata.dev(), metadata.ino(), metadata.len()) != (self.device, self.inode, self.len)
            || (metadata.mtime(), metadata.mtime_nsec()) != self.modified
        {
            return Ok(false);
        }
        let mut hasher = std::hash::DefaultHasher::new();
        let mut buffer = vec![0; 1 << 20];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.write(&buffer[..read]);
        }
        Ok(hasher.finish() == self.hash)
    }
}

/// Read a file to plan it, noting what it was ([`ReadAs`]) so that the run can refuse to
/// replace it if it has changed by the time the run writes.
pub fn read_source(path: &Path) -> io::Result<(Vec<u8>, ReadAs)> {
    let mut file = fs::File::open(path)?;
    let metadata = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    let read_as = ReadAs::new(&metadata, &bytes);
    Ok((bytes, read_as))
}

/// The temporary files of the run that are not yet in place, for the signal handler; and
/// whether the run is renaming them into place (then an interrupt waits for the end).
struct Pending {
    temps: Vec<PathBuf>,
    committing: bool,
    interrupted: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    temps: Vec::new(),
    committing: false,
    interrupted: false,
});

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What to do when the run is interrupted (SIGINT, SIGTERM): before the commit, remove every
/// temporary file and exit with `exit_code`; during the commit, return (the commit's renames,
/// a few system calls, finish and the run ends normally; see [`commit_all`]). While this
/// runs, no temporary file is created and no commit starts.
pub fn interrupt(exit_code: i32) {
    let mut pending = pending();
    if pending.committing {
        pending.interrupted = true;
        return;
    }
    for temp in pending.temps.drain(..) {
        let _ = fs::remove_file(temp);
    }
    // Exit with the lock held: no thread of the run creates a file or renames one after this.
    std::process::exit(exit_code)
}

/// Whether an interrupt came during the commit (which was then finished).
pub fn interrupted_during_commit() -> bool {
    pending().interrupted
}

/// A new version of a file, written to a temporary file beside it and not yet in place, with
/// (with `--backup`) a hard link to the current version, to be renamed to the backup's name.
pub struct Staged {
    temp: NamedTempFile,
    target: PathBuf,
    /// What the target was when it was read: the commit refuses to replace anything else.
    read_as: Option<ReadAs>,
    backup: Option<(NamedTempFile, PathBuf)>,
}

impl Staged {
    /// The file the commit replaces (after following a symbolic link, in place).
    pub fn target(&self) -> &Path {
        &self.target
    }
}

/// A temporary file `.cdefang-XXXXXX` in `directory`, registered for the signal handler.
fn temp_in(directory: &Path, mode: Option<u32>) -> Result<NamedTempFile, FilesError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cdefang-");
    if let Some(mode) = mode {
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    let mut pending = pending();
    let temp = builder
        .tempfile_in(directory)
        .map_err(io_error(directory))?;
    pending.temps.push(temp.path().to_path_buf());
    Ok(temp)
}

fn unregister(path: &Path) {
    pending().temps.retain(|temp| temp != path);
}

/// Write `bytes` to a temporary file in `target`'s directory, with `target`'s permissions,
/// owner and group when it exists (the owner where the caller may set it: as root, or a group
/// the caller is in), and sync it. Nothing visible changes until [`commit_all`]. A symbolic
/// link is followed (the file it points to is the target); a read-only target is an error.
/// `read_as`: what the target was when it was read (see [`ReadAs`]).
pub fn stage(target: &Path, bytes: &[u8], read_as: Option<ReadAs>) -> Result<Staged, FilesError> {
    let is_link = fs::symlink_metadata(target).is_ok_and(|metadata| metadata.is_symlink());
    let target = if is_link {
        fs::canonicalize(target).map_err(io_error(target))?
    } else {
        target.to_path_buf()
    };
    stage_at(target, bytes, read_as)
}

/// As [`stage`], but a symbolic link at `target` is not followed: the commit replaces the link
/// itself (for files cdefang creates: `--out`, snapshots).
pub fn stage_new(target: &Path, bytes: &[u8]) -> Result<Staged, FilesError> {
    stage_at(target.to_path_buf(), bytes, None)
}

fn stage_at(target: PathBuf, bytes: &[u8], read_as: Option<ReadAs>) -> Result<Staged, FilesError> {
    let existing = fs::symlink_metadata(&target)
        .ok()
        .filter(|metadata| metadata.is_file());
    if existing
        .as_ref()
        .is_some_and(|metadata| metadata.permissions().readonly())
    {
        return Err(FilesError::ReadOnly(target));
    }
    let directory = parent_of(&target);
    fs::create_dir_all(&directory).map_err(io_error(&directory))?;
    // A new file gets the mode any program's new file gets: 0666 less the umask (tempfile's own
    // 0600 is for secrets).
    let mode = existing.is_none().then_some(0o666);
    let mut temp = temp_in(&directory, mode)?;
    temp.write_all(bytes).map_err(io_error(&target))?;
    if let Some(metadata) = &existing {
        // Owner first: changing it clears set-user-ID bits, which the mode then restores.
        let file = temp.as_file();
        if fchown(file, Some(metadata.uid()), Some(metadata.gid())).is_err() {
            let _ = fchown(file, None, Some(metadata.gid()));
        }
        fs::set_permissions(temp.path(), metadata.permissions()).map_err(io_error(&target))?;
    }
    temp.as_file().sync_all().map_err(io_error(&target))?;
    Ok(Staged {
        temp,
        target,
        read_as,
        backup: None,
    })
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A backup suffix that names another file of the same directory: not empty, no `/`, and
/// not `.` or `..` alone.
pub fn check_backup_suffix(suffix: &str) -> Result<(), String> {
    if suffix.is_empty() {
        return Err("the backup suffix is empty: the backup would be the file itself".into());
    }
    if suffix.contains('/') {
        return Err(format!(
            "the backup suffix `{suffix}` has a `/`: backups are written beside their file, never elsewhere"
        ));
    }
    Ok(())
}

/// The name of `target`'s backup with `suffix`.
pub fn backup_path(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Keep the current version of a staged file's target as `TARGET` + `suffix` (replacing an
/// older backup at the commit), as `patch -b` does: a hard link to it now (a copy where links
/// do not work), under a temporary name; the target itself is not touched.
pub fn back_up(staged: &mut Staged, suffix: &str) -> Result<(), FilesError> {
    check_backup_suffix(suffix).map_err(|message| FilesError::Io {
        path: staged.target.clone(),
        error: io::Error::new(io::ErrorKind::InvalidInput, message),
    })?;
    let backup = backup_path(&staged.target, suffix);
    let directory = parent_of(&staged.target);
    let temp = temp_in(&directory, None)?;
    // The link's name must be free: the temporary file holds the name until it is replaced.
    let temp_path = temp.path().to_path_buf();
    fs::remove_file(&temp_path).map_err(io_error(&temp_path))?;
    if fs::hard_link(&staged.target, &temp_path).is_err() {
        fs::copy(&staged.target, &temp_path).map_err(io_error(&backup))?;
    }
    staged.backup = Some((temp, backup));
    Ok(())
}

/// Put one staged file in place by rename (snapshots; a run uses [`commit_all`]).
pub fn commit(staged: Staged) -> Result<(), FilesError> {
    commit_all(vec![staged])
}

/// Put every staged file in place. Under an exclusive lock on each target's directory (so two
/// cdefang runs commit one after the other), every target is first checked to be the file
/// that was read; if any changed, nothing is renamed ([`FilesError::Changed`]). Then each backup
/// and each new file is renamed into place, and the directories are synced. The renames are a
/// few system calls per file: an interrupt in this phase waits for them (see [`interrupt`]);
/// a crash of the machine can still leave some files renamed and others not.
pub fn commit_all(staged: Vec<Staged>) -> Result<(), FilesError> {
    let directories: std::collections::BTreeSet<PathBuf> = staged
        .iter()
        .map(|staged| parent_of(&staged.target))
        .collect();
    let mut locks = Vec::with_capacity(directories.len());
    for directory in &directories {
        let handle = fs::File::open(directory).map_err(io_error(directory))?;
        handle.lock().map_err(io_error(directory))?;
        locks.push(handle);
    }
    for staged in &staged {
        if let Some(read_as) = &staged.read_as {
            let holds = read_as
                .still_holds(&staged.target)
                .map_err(io_error(&staged.target))?;
            if !holds {
                return Err(FilesError::Changed(staged.target.clone()));
            }
        }
    }
    pending().committing = true;
    let result = rename_all(staged);
    for directory in &directories {
        if let Ok(handle) = fs::File::open(directory) {
            let _ = handle.sync_all();
        }
    }
    let mut pending = pending();
    pending.committing = false;
    pending.temps.clear();
    drop(locks);
    result
}

fn rename_all(staged: Vec<Staged>) -> Result<(), FilesError> {
    for staged in staged {
        if let Some((temp, backup)) = staged.backup {
            let path = temp.path().to_path_buf();
            // The hard link is at the temporary name; the temporary file itself was removed.
            let link = temp.into_temp_path();
            fs::rename(&link, &backup).map_err(io_error(&backup))?;
            let _ = link.keep();
            unregister(&path);
        }
        let path = staged.temp.path().to_path_buf();
        let target = staged.target;
        staged
            .temp
            .persist(&target)
            .map_err(|error| FilesError::Io {
                path: target,
                error: error.error,
            })?;
        unregister(&path);
    }
    Ok(())
}

/// Where `--out DIR` puts a file's new version: `DIR/LABEL`. Refused when a component of that
/// path inside `DIR` is a symbolic link (it would lead the write out of `DIR`).
pub fn out_path(out: &Path, file: &SourceFile) -> Result<PathBuf, FilesError> {
    let mut path = out.to_path_buf();
    for part in file.label.components() {
        match part {
            Component::Normal(part) => path.push(part),
            _ => return Err(FilesError::Outside(out.join(&file.label))),
        }
        if fs::symlink_metadata(&path).is_ok_and(|metadata| metadata.is_symlink()) {
            return Err(FilesError::Link(path));
        }
    }
    Ok(path)
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
            stage(&target, b"new", None),
            Err(FilesError::ReadOnly(_))
        ));

        let real = dir.path().join("real.c");
        fs::write(&real, "old").unwrap();
        #[cfg(unix)]
        {
            let link = dir.path().join("link.c");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            let mut staged = stage(&link, b"new", None).unwrap();
            back_up(&mut staged, ".orig").unwrap();
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
        let staged = stage(&target, b"new", None).unwrap();
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

    /// Read `path` as a run does, then stage `new` for it.
    fn read_and_stage(path: &Path, new: &[u8]) -> Staged {
        let (_, read_as) = read_source(path).unwrap();
        stage(path, new, Some(read_as)).unwrap()
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_replaced_nor_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.c"), dir.path().join("b.c"));
        fs::write(&a, "a\n").unwrap();
        fs::write(&b, "b\n").unwrap();
        let staged = vec![
            read_and_stage(&a, b"new a\n"),
            read_and_stage(&b, b"new b\n"),
        ];
        // Appended to while the run planned: the same inode, another size.
        fs::OpenOptions::new()
            .append(true)
            .open(&b)
            .unwrap()
            .write_all(b"appended\n")
            .unwrap();
        assert!(matches!(commit_all(staged), Err(FilesError::Changed(path)) if path == b));
        assert_eq!(fs::read(&a).unwrap(), b"a\n");
        assert_eq!(fs::read(&b).unwrap(), b"b\nappended\n");
        assert_eq!(temporaries(dir.path()), 0);
    }

    #[test]
    fn a_file_rewritten_in_place_with_the_same_size_and_time_is_seen_by_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.c");
        fs::write(&a, "old\n").unwrap();
        let modified = fs::metadata(&a).unwrap().modified().unwrap();
        let staged = read_and_stage(&a, b"new\n");
        fs::write(&a, "odd\n").unwrap();
        fs::File::options()
            .write(true)
            .open(&a)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert!(matches!(commit(staged), Err(FilesError::Changed(_))));
        assert_eq!(fs::read(&a).unwrap(), b"odd\n");
    }

    #[test]
    fn a_file_deleted_since_it_was_read_is_not_re_created() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.c");
        fs::write(&a, "old\n").unwrap();
        let staged = read_and_stage(&a, b"new\n");
        fs::remove_file(&a).unwrap();
        assert!(matches!(commit(staged), Err(FilesError::Changed(_))));
        assert!(!a.exists());
        assert_eq!(temporaries(dir.path()), 0);
    }

    #[test]
    fn of_two_runs_on_one_file_the_second_to_commit_fails() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.c");
        fs::write(&a, "old\n").unwrap();
        let first = read_and_stage(&a, b"first\n");
        let second = read_and_stage(&a, b"second\n");
        commit(first).unwrap();
        assert!(matches!(commit(second), Err(FilesError::Changed(_))));
        assert_eq!(fs::read(&a).unwrap(), b"first\n");
        // An unchanged file is replaced.
        commit(read_and_stage(&a, b"third\n")).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"third\n");
    }

    #[test]
    fn backups_are_staged_and_renamed_with_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.c");
        fs::write(&a, "old\n").unwrap();
        fs::write(dir.path().join("a.c~"), "older\n").unwrap();
        let mut staged = read_and_stage(&a, b"new\n");
        back_up(&mut staged, "~").unwrap();
        // Staged: nothing visible has changed.
        assert_eq!(fs::read(dir.path().join("a.c~")).unwrap(), b"older\n");
        assert_eq!(fs::read(&a).unwrap(), b"old\n");
        commit(staged).unwrap();
        assert_eq!(fs::read(dir.path().join("a.c~")).unwrap(), b"old\n");
        assert_eq!(fs::read(&a).unwrap(), b"new\n");
        assert_eq!(temporaries(dir.path()), 0);
        let mut staged = read_and_stage(&a, b"newer\n");
        assert!(back_up(&mut staged, "").is_err());
        assert!(back_up(&mut staged, "/x").is_err());
    }

    #[test]
    fn paths_given_are_resolved_lexically() {
        assert_eq!(
            given_file_names(Path::new("o/t/../t/./a.c")),
            ("o/t/a.c".to_string(), PathBuf::from("o/t/a.c"))
        );
        assert_eq!(
            given_file_names(Path::new("../x/a.c")),
            ("x/a.c".to_string(), PathBuf::from("a.c"))
        );
        assert_eq!(
            given_file_names(Path::new("/tmp/x/a.c")),
            ("tmp/x/a.c".to_string(), PathBuf::from("a.c"))
        );
    }

    fn temporaries(dir: &Path) -> usize {
        fs::read_dir(dir)
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".cdefang-")
            })
            .count()
    }
}
