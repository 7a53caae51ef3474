//! Learning a rule from a patch: read a unified diff, find which conditional branches it removes
//! or resolves in the original sources, write the TOML rule that says so, and check that the rule
//! reproduces the patched files exactly before handing it out. This file holds the request, the
//! result and the errors, and [`learn`], which runs the steps, one file each, data flowing one
//! way:
//!
//! 1. and 2. [`patch`]: a strict unified-diff reader (GNU `diff -u`, `git diff`), the file names
//!    resolved under the source directory as `patch` does (`-p0`, then `-p1`), and each hunk
//!    applied in memory, exactly where it says: the patched file and, for every line of the
//!    original, whether the patch deletes it and what it writes in its place.
//! 3. [`sites`]: every conditional whose directive lines the patch touches, and the action
//!    (`drop`, `resolve`, `keep`, `replace-condition`) that the engine's planner says gives the
//!    patch's text on its lines.
//! 4. [`draft`]: the sites grouped into rules, each with `inside` and ([`predicates`]) the
//!    smallest set of body predicates that tells the changed blocks from those the rule would
//!    otherwise also select.
//! 5. [`render`]: the rules as TOML text, with comments.
//! 6. [`verify`]: the text loaded back with [`crate::rules::load`] and run with the engine over
//!    the original files; anything but the patched files and the expected counts is an error.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::c::Macros;
use crate::diag::{InFile, Problem};
use crate::engine::{FileFacts, Setup};
use crate::files;
use crate::source::{ParsedFile, SourceError};

mod draft;
mod patch;
mod predicates;
mod render;
mod sites;
mod targets;
mod verify;

use draft::{drafts, specs};
use patch::{PatchText, PatchedFile, apply, parse_patch, resolve_files};
use render::render;
use sites::{Study, sites};
use verify::verify;

/// What went wrong, in kinds a caller (or a test) can tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnErrorKind {
    /// A file could not be read or written.
    Io,
    /// The patch is not a unified diff this reader accepts.
    Malformed,
    /// A file the patch names is not under the source directory.
    MissingFile,
    /// A hunk does not match the source file.
    Mismatch,
    /// A source file cdefang cannot read (unbalanced conditionals, an unreadable condition).
    Source,
    /// The patch changes something that is not a whole conditional branch.
    NotConditional,
    /// The patch changes a conditional in a way no rule expresses.
    Unlearnable,
    /// No body predicate tells the changed blocks from those the patch leaves alone.
    Indistinct,
    /// The blocks a `drop` rule would remove share no body predicate to say what it removes.
    Unnamed,
    /// lang-c cannot parse a block the rule must describe.
    Unparsable,
    /// The learned rules do not reproduce the patched files.
    Verify,
}

/// Why no rule was learned: the kind, and the diagnostic (file, line, what to do).
#[derive(Clone, Debug)]
pub struct LearnError {
    pub kind: LearnErrorKind,
    pub problem: Box<Problem>,
}

impl LearnError {
    pub fn new(kind: LearnErrorKind, problem: Problem) -> LearnError {
        LearnError {
            kind,
            problem: Box::new(problem),
        }
    }

    /// The diagnostic as text, without colour.
    pub fn render(&self) -> String {
        self.problem.render_plain()
    }
}

impl From<LearnError> for Problem {
    fn from(error: LearnError) -> Problem {
        *error.problem
    }
}

impl std::fmt::Display for LearnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem.message)
    }
}

/// What the C parser needs to read the sources (as the top-level keys of a rules file); the
/// learned file repeats them, so that it works on its own.
#[derive(Clone, Debug, Default)]
pub struct Hints {
    pub macros: Macros,
    pub typedefs: Vec<String>,
}

/// One request to learn: the patch (its name as given, for messages, and its bytes), the
/// directory it applies to, and the parsing hints.
#[derive(Clone, Debug)]
pub struct Request {
    pub patch_name: String,
    pub patch: Vec<u8>,
    pub source: PathBuf,
    pub hints: Hints,
}

/// One learned rule, for the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnedRule {
    pub id: String,
    pub action: &'static str,
    pub matches: u64,
    pub files: Vec<String>,
}

/// The learned rules file, verified.
#[derive(Clone, Debug)]
pub struct Learned {
    pub toml: String,
    pub rules: Vec<LearnedRule>,
}

/// A source file cdefang cannot read (unbalanced conditionals, an unreadable condition).
fn source_error(file: &PatchedFile, error: SourceError) -> LearnError {
    LearnError::new(
        LearnErrorKind::Source,
        Problem::from(InFile::new(&file.source.display, &file.original, &error)),
    )
}

/// Learn the rules a patch expresses, and verify them.
pub fn learn(request: &Request) -> Result<Learned, LearnError> {
    let patch = PatchText {
        name: &request.patch_name,
        text: &request.patch,
    };
    let file_patches = parse_patch(&patch)?;
    let relatives = resolve_files(&patch, &file_patches, &request.source)?;
    let found = files::discover(std::slice::from_ref(&request.source)).map_err(|error| {
        LearnError::new(
            LearnErrorKind::Io,
            Problem::error(error.to_string()).help("check the directory given to --source"),
        )
    })?;
    // What a run over the directory parses with: the hints, and its headers' under them.
    let mut tree_hints = request.hints.clone();
    files::add_header_hints(&found, &mut tree_hints.macros, &mut tree_hints.typedefs);
    // A patch that touches no conditional's directive line: lines and statements.
    if let Some(learned) =
        targets::learn_targets(request, &patch, &file_patches, &relatives, &tree_hints)
    {
        return learned;
    }
    let mut files: Vec<PatchedFile> = Vec::new();
    for (file_patch, relative) in file_patches.iter().zip(relatives) {
        if files.iter().any(|file| file.relative == relative) {
            return Err(patch.error(
                LearnErrorKind::Malformed,
                format!("malformed patch: it changes {relative} twice"),
                file_patch.at.clone(),
                "again here",
                "give each file's changes once, in one file patch",
            ));
        }
        files.push(apply(&patch, file_patch, relative, &request.source)?);
    }

    let parsing = Setup::new(Vec::new(), tree_hints.macros.clone(), &tree_hints.typedefs);

    // Each file read once: its parse borrows the original while the patch's alignment is
    // refined against the conditionals it found.
    let originals: Vec<Rc<[u8]>> = files.iter().map(|file| Rc::clone(&file.original)).collect();
    let mut parsed: Vec<ParsedFile> = Vec::new();
    for (file, original) in files.iter().zip(&originals) {
        let parse = ParsedFile::new(original);
        parsed.push(parse.map_err(|error| source_error(file, error))?);
    }
    for (file, parsed) in files.iter_mut().zip(&parsed) {
        file.realign(&parsed.scan, &parsed.tree);
    }
    let mut facts: Vec<FileFacts> = Vec::new();
    for (file, parsed) in files.iter().zip(&parsed) {
        let file_facts = FileFacts::new(parsed, &parsing.macros, &parsing.parser);
        facts.push(file_facts.map_err(|error| source_error(file, error))?);
    }
    let studies: Vec<Study> = files
        .iter()
        .zip(&facts)
        .enumerate()
        .map(|(index, (file, facts))| Study::new(index, file, facts, &patch))
        .collect();

    let sites = sites(&studies)?;
    if sites.is_empty() {
        return Err(patch.error(
            LearnErrorKind::Unlearnable,
            "the patch changes nothing",
            0..request.patch.len().min(1),
            "its hunks delete no line",
            "give the patch of a change",
        ));
    }
    let drafts = drafts(sites, &studies)?;
    let patch_file = Path::new(&request.patch_name).file_name().map_or_else(
        || request.patch_name.clone(),
        |name| name.to_string_lossy().into_owned(),
    );
    let specs = specs(&drafts, &studies, &patch_file)?;
    let toml = render(&specs, request, &files)?;
    verify(&toml, &specs, &files, &parsed, &tree_hints)?;
    Ok(Learned {
        toml,
        rules: specs
            .iter()
            .map(|spec| LearnedRule {
                id: spec.id().to_string(),
                action: spec.action.name(),
                matches: spec.expect,
                files: spec.files(),
            })
            .collect(),
    })
}
