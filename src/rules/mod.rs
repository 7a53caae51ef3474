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
//! # target = "include" | "define" | "statement": act on one line or statement instead
//! # (actions drop, replace, set, guard; see `Target`)
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

mod keys;
mod schema;
mod validate;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::c::Macros;
use crate::cond::{Assumptions, Norm};

pub(crate) use schema::{ExpectToml, MatchToml, RuleToml, RulesToml, StringList, unspanned};
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
    /// `target = "include"`: write another header on the matched `#include` line
    /// (`<sys/poll.h>`, `"compat.h"`), the rest of the line kept.
    Replace(String),
    /// `target = "define"`: give the matched `#define` this replacement text.
    SetValue(String),
    /// Wrap the matched lines (an `#include`, a `#define`/`#undef`, a statement) in a new
    /// conditional.
    Guard(Guard),
}

/// What a rule's edits act on (`target`): whole conditionals (the default), or single lines and
/// statements wherever they stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Branches of `#if` groups, selected by their condition (`drop`, `keep`, `resolve`,
    /// `replace-condition`).
    #[default]
    Conditional,
    /// `#include` lines, selected by header name (`drop`, `replace`, `guard`).
    Include,
    /// `#define` and `#undef` lines, selected by macro name and value (`drop`, `set`, `guard`).
    Define,
    /// Statements and declarations in function bodies, and top-level declarations and
    /// definitions, selected by what they call or use, through lang-c (`drop`, `guard`).
    Statement,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Conditional => "conditional",
            Target::Include => "include",
            Target::Define => "define",
            Target::Statement => "statement",
        }
    }
}

/// The conditional a `guard` action wraps lines in: `#ifdef NAME`, `#ifndef NAME` or `#if COND`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The opening directive line as it is written, from its `#` (`#ifdef PR_SET_PDEATHSIG`,
    /// `#  if   defined(X)`; a `#` is added when the rule leaves it out).
    pub opening: String,
    /// Its condition in normal form (`#ifdef X` is `defined(X)`), to recognize a guard already
    /// there whatever its spelling.
    pub condition: Norm,
    /// The closing line as it is written, from its `#`: `#endif`, or with a comment
    /// (`#endif /* PR_SET_PDEATHSIG */`) when the rule's `guard_end` says so.
    pub closing: String,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::Keep => "keep",
            Action::Resolve(_) => "resolve",
            Action::ReplaceCondition(_) => "replace-condition",
            Action::Replace(_) => "replace",
            Action::SetValue(_) => "set",
            Action::Guard(_) => "guard",
        }
    }

    /// Whether the action may select an `#else` (by the condition it is taken under): not
    /// `resolve`, which acts on a conditional from its first branch, nor `replace-condition`,
    /// since an `#else` has no condition to replace.
    pub fn selects_else(&self) -> bool {
        !matches!(self, Action::Resolve(_) | Action::ReplaceCondition(_))
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

/// Where body predicates (`calls`, `includes`, `mentions`, `structs`) look in a branch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyScope {
    /// Not written: the whole body, nested conditionals included; but a `drop` whose predicates
    /// hold only in a nested conditional's branch that has alternatives is refused (it would
    /// drop the alternatives too).
    #[default]
    #[serde(skip)]
    Default,
    /// The branch's own body: code in nested conditionals does not count.
    OwnBody,
    /// The whole body, nested conditionals included, without the refusal.
    Nested,
}

/// Which matches count when matches of one rule nest (a selected branch inside another).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nesting {
    /// Every match is planned (one inside a block the rule removes goes with the block).
    #[default]
    All,
    /// Only the innermost: a match holding another match of the rule is not one.
    Innermost,
    /// Only the outermost: a match inside another match of the rule is not one.
    Outermost,
}

/// Which key of `[rule.match]` (or the condition) a name comes from, for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Condition,
    Uses,
    Calls,
    Includes,
    Mentions,
    Structs,
    Inside,
    NotInside,
}

impl NameKind {
    /// The key, as written in the rules file.
    pub fn key(self) -> &'static str {
        match self {
            NameKind::Condition => "condition",
            NameKind::Uses => "uses",
            NameKind::Calls => "calls",
            NameKind::Includes => "includes",
            NameKind::Mentions => "mentions",
            NameKind::Structs => "structs",
            NameKind::Inside => "inside",
            NameKind::NotInside => "not_inside",
        }
    }
}

/// A name a rule looks for, where it is written in the rules file (the whole string for a
/// name in a condition whose offsets cannot be mapped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedSpan {
    pub name: String,
    pub kind: NameKind,
    pub span: Range<usize>,
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
    /// The conditional is inside one of these functions (empty: anywhere).
    pub inside: Vec<String>,
    /// The conditional is inside none of these functions.
    pub not_inside: Vec<String>,
    /// Where body predicates look.
    pub scope: BodyScope,
    /// Which matches count when they nest.
    pub nested: Nesting,
    /// Every name the match looks for, with its span in the rules file (the name check).
    pub names: Vec<NamedSpan>,
    /// `target = "define"`: the `#define` lines of these macros.
    pub defines: Vec<String>,
    /// `target = "define"`: the `#undef` lines of these macros.
    pub undefs: Vec<String>,
    /// `target = "define"`: only definitions whose replacement text is this (spacing aside).
    pub value: Option<String>,
}

/// One validated rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub message: String,
    /// Empty: every file given.
    pub files: Vec<FileGlob>,
    /// Files left out even when `files` selects them.
    pub exclude: Vec<FileGlob>,
    pub matcher: Match,
    /// What the action edits: whole conditionals, or lines and statements.
    pub target: Target,
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
    /// The label at `span`, when it says more than "here".
    pub label: Option<String>,
    /// Further places, each with its label (all the keys of a file that are wrong, at once).
    pub also: Vec<(Range<usize>, String)>,
}

impl RulesError {
    fn new(message: impl Into<String>, span: Range<usize>, help: impl Into<String>) -> Self {
        RulesError {
            message: message.into(),
            span,
            help: help.into(),
            label: None,
            also: Vec::new(),
        }
    }
}

impl Rule {
    /// The rule behind `-D`/`-U` without a rules file: resolve, in every file, each conditional
    /// that tests an assumed symbol.
    /// Is this the rule `-D`/`-U` make without a rules file ([`Rule::resolve_everywhere`])?
    pub fn from_command_line(&self) -> bool {
        self.origin.file == usize::MAX
    }

    pub fn resolve_everywhere(assumptions: Assumptions) -> Rule {
        Rule {
            id: "resolve".to_string(),
            message: "-D/-U on the command line".to_string(),
            files: Vec::new(),
            exclude: Vec::new(),
            matcher: Match::default(),
            target: Target::Conditional,
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

    /// Does the selection (`condition`, then `uses`) take a branch taken under `taken`? `own`:
    /// the branch has a condition of its own (`#if`, `#elif`); an `#else` is taken only by a
    /// `condition`, which must then be the one it is taken under. With neither key, every
    /// branch with a condition of its own.
    pub fn selects(&self, taken: &Norm, own: bool) -> bool {
        (own || self.condition.is_some())
            && self.condition.as_ref().is_none_or(|wanted| wanted == taken)
            && (self.uses.is_empty() || taken.uses_any(&self.uses))
    }

    /// Does the match have body predicates (what a branch's body must hold)?
    pub fn has_body_predicates(&self) -> bool {
        self.needs_parse() || !self.includes.is_empty()
    }
}

impl Rule {
    /// Does the rule's glob list select the file at `relative` (a `/`-separated path, relative
    /// to the directory given)? A glob matches the path itself or any trailing part of it that
    /// starts at a directory boundary, so `core/utils.c` selects `uwsgi-2.0.17/core/utils.c`.
    /// No `files`: every file; `exclude` leaves files out.
    pub fn applies_to(&self, relative: &str) -> bool {
        (self.files.is_empty() || self.files.iter().any(|glob| glob.matches(relative)))
            && !self.exclude.iter().any(|glob| glob.matches(relative))
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
