//! Rules: the validated model a run matches with ([`Rule`], [`RulesFile`]), read from TOML by
//! [`load`] (`schema.rs`: the serde model of the file, which also writes one; `validate.rs`: from
//! it to rules, every error with its span in the TOML). Knows nothing about C files on disk.
//!
//! ```toml
//! [[rule]]
//! id = "drop-unshare"
//! message = "EL5's libc has no unshare()"
//! files = ["core/utils.c"]
//! action = "drop"                       # drop | keep | resolve | replace-condition
//! expect = { min = 1, max = 2 }         # or a number; per = "run" (default) or "file"
//! [rule.match]
//! condition = "defined(__linux__) && !defined(OBSOLETE_LINUX_KERNEL)"
//! calls = ["unshare"]
//! inside = "uwsgi_as_root"
//! ```
//!
//! A rules file may also carry test cases, `[[test]]` tables (see [`TestCase`]), which
//! `cdefang test` runs.
//!
//! Every error carries the byte span in the TOML text of what is wrong.

mod schema;
mod validate;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::c::Macros;
use crate::cond::{Assumptions, Norm};

pub(crate) use schema::{ExpectToml, MatchToml, RuleToml, RulesToml, unspanned};
pub use validate::{load, text};

/// What a rule does to the blocks it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Remove the matched branch (its condition is taken as false).
    Drop,
    /// Keep the matched branch's body without directives (its condition is taken as true).
    Keep,
    /// Evaluate the matched conditional under assumptions, as unifdef does.
    Resolve(Assumptions),
    /// Write a new condition on the matched branch.
    ReplaceCondition(String),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::Keep => "keep",
            Action::Resolve(_) => "resolve",
            Action::ReplaceCondition(_) => "replace-condition",
        }
    }
}

/// Whether a rule's expected count is over the whole run or each file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    #[default]
    Run,
    File,
}

/// How many matches a rule must find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    pub min: u64,
    pub max: u64,
    pub per: Per,
    /// Where the expectation is written in the rules file.
    pub span: Range<usize>,
}

impl Expect {
    pub fn holds(&self, count: u64) -> bool {
        self.min <= count && count <= self.max
    }

    pub fn describe(&self) -> String {
        let count = if self.min == self.max {
            self.min.to_string()
        } else if self.max == u64::MAX {
            format!("at least {}", self.min)
        } else {
            format!("{} to {}", self.min, self.max)
        };
        let per = match self.per {
            Per::Run => "in the run",
            Per::File => "in each file",
        };
        format!("{count} match(es) {per}")
    }
}

/// What to do when lang-c cannot parse the code a rule's body predicates need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// The site is not rewritten and the run fails (exit 2).
    #[default]
    None,
    /// Warn, and answer the predicates at the token level.
    Tokens,
}

/// What a rule looks for. Each list is "any of"; all given predicates must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Match {
    /// The branch condition, compared structurally.
    pub condition: Option<Norm>,
    /// The branch condition tests one of these symbols.
    pub uses: Vec<String>,
    /// The branch body calls one of these functions.
    pub calls: Vec<String>,
    /// The branch body `#include`s one of these headers.
    pub includes: Vec<String>,
    /// The branch body uses one of these identifiers.
    pub mentions: Vec<String>,
    /// The branch body uses one of these struct or union tags.
    pub structs: Vec<String>,
    /// `calls` also counts references that are not calls (`f = unshare;`).
    pub references: bool,
    /// The conditional is inside this function.
    pub inside: Option<String>,
}

/// One validated rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub message: String,
    pub files: Vec<FileGlob>,
    pub matcher: Match,
    pub action: Action,
    pub expect: Option<Expect>,
    pub fallback: Fallback,
    /// Which rules file the rule comes from, and where its `id` is written there.
    pub origin: Origin,
}

/// One of a rule's file globs, and where it is written in the rules file.
#[derive(Clone, Debug)]
pub struct FileGlob {
    pub pattern: glob::Pattern,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub span: Range<usize>,
}

/// A test case of a rules file (`[[test]]`): a C file, named as if it were at `file`, and how
/// many matches some of the file's rules must find in it. What the rules make of it is kept as
/// a snapshot beside the rules file (by `cdefang test`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// Unique in the rules file, `[A-Za-z0-9_-]+`: it names the snapshot.
    pub name: String,
    /// Where `name` is written.
    pub span: Range<usize>,
    /// The path the case pretends to have, which the rules' `files` globs are matched against.
    pub file: String,
    pub input: TestInput,
    /// The expected number of matches of the rules named, in the order of the rules.
    pub expect: Vec<ExpectedMatches>,
}

/// Where a test case's C text comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestInput {
    /// Inline C (`code = '''…'''`); `span` is the string's in the TOML text.
    Code { text: String, span: Range<usize> },
    /// A file (`path = "…"`), relative to the rules file's directory; `span` as for `Code`.
    Path { path: String, span: Range<usize> },
}

/// One entry of a test case's `expect` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedMatches {
    /// The rule's index in [`RulesFile::rules`].
    pub rule: usize,
    pub matches: u64,
    /// From the rule id to the number, in the TOML text.
    pub span: Range<usize>,
}

/// A rules file that is not valid: what and where (a byte span in the TOML text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesError {
    pub message: String,
    pub span: Range<usize>,
    pub help: String,
}

impl RulesError {
    fn new(message: impl Into<String>, span: Range<usize>, help: impl Into<String>) -> Self {
        RulesError {
            message: message.into(),
            span,
            help: help.into(),
        }
    }
}

impl Rule {
    /// The rule behind `-D`/`-U` without a rules file: resolve, in every file, each conditional
    /// that tests an assumed symbol.
    pub fn resolve_everywhere(assumptions: Assumptions) -> Rule {
        let pattern = glob::Pattern::new("*").unwrap_or_default();
        Rule {
            id: "resolve".to_string(),
            message: "-D/-U on the command line".to_string(),
            files: vec![FileGlob {
                pattern,
                span: 0..0,
            }],
            matcher: Match::default(),
            action: Action::Resolve(assumptions),
            expect: None,
            fallback: Fallback::None,
            origin: Origin {
                file: usize::MAX,
                span: 0..0,
            },
        }
    }
}

/// A loaded rules file: its rules and what it tells the C parser.
#[derive(Clone, Debug, Default)]
pub struct RulesFile {
    pub rules: Vec<Rule>,
    pub macros: Macros,
    /// Typedef names declared outside the tree (`PyObject`).
    pub typedefs: Vec<String>,
    /// The file's `[[test]]` cases, in order.
    pub tests: Vec<TestCase>,
}

impl Match {
    /// True if answering the match needs the C parse of the branch body.
    pub fn needs_parse(&self) -> bool {
        !self.calls.is_empty() || !self.mentions.is_empty() || !self.structs.is_empty()
    }
}

impl Rule {
    /// Does the rule's glob list select the file at `relative` (a `/`-separated path, relative
    /// to the directory given)? A glob matches the path itself or any trailing part of it that
    /// starts at a directory boundary, so `core/utils.c` selects `uwsgi-2.0.17/core/utils.c`.
    pub fn applies_to(&self, relative: &str) -> bool {
        self.files.iter().any(|glob| glob.matches(relative))
    }
}

impl FileGlob {
    /// Does this glob select the file at `relative` (see [`Rule::applies_to`])?
    pub fn matches(&self, relative: &str) -> bool {
        let options = ::glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        std::iter::once(relative)
            .chain(
                relative
                    .match_indices('/')
                    .map(|(index, _)| &relative[index + 1..]),
            )
            .any(|suffix| self.pattern.matches_with(suffix, options))
    }
}
