//! cdefang: rewrite C sources by declarative rules about their preprocessor conditionals.
//!
//! Data flows one way, each layer using only those before it:
//!
//! ```text
//! cond (parse, normalise, evaluate, render) → source (scan, tree, lines, ParsedFile)
//!   → c (tokens, keywords, functions, view, lang-c, typedefs) → rules (model, schema, validation)
//!   → engine (match, plan verdicts, edits, inspect) → files, output, snapshot → diag
//!   → explain, learn
//! ```
//!
//! The commands (`cdefang`, `cdefang test`, `cdefang learn`) live in the binary and use this
//! API; see ARCHITECTURE.md.
//!
//! Rewriting a source string with a rules string:
//!
//! ```
//! let rules = cdefang::load_rules(r#"
//! [[rule]]
//! id = "no-unshare"
//! message = "this libc has no unshare()"
//! files = ["*.c"]
//! action = "drop"
//! [rule.match]
//! condition = "defined(__linux__)"
//! calls = ["unshare"]
//! "#, 0).unwrap();
//! let setup = cdefang::Setup::from_rules_file(rules);
//! let source = b"int f(void) {\n#if defined(__linux__)\n\tunshare(0);\n#endif\n\treturn 0;\n}\n";
//! let result = cdefang::process(source, "core/utils.c", &setup).unwrap();
//! assert_eq!(result.output.unwrap(), b"int f(void) {\n\treturn 0;\n}\n");
//! assert_eq!(result.counts[0].matches, 1);
//! ```

// Errors are values: outside tests, no unwrap, expect or panic (clippy enforces it in CI).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod c;
mod cond;
mod diag;
mod engine;
mod explain;
mod files;
#[cfg(test)]
mod layers;
mod learn;
mod output;
mod rules;
mod snapshot;
mod source;

// The source layer.
pub use source::{
    Branch, CondTree, Conditional, Directive, DirectiveKind, Include, Lines, ParsedFile, Scan,
    ScanError, SourceError, TreeError, build as build_tree, scan,
};

// Conditions.
pub use cond::{
    Assumptions, BinaryOp, Expr, ExprKind, Norm, ParseError as ConditionError, UnaryOp, Value,
    parse as parse_condition, render as render_condition, resolve,
};

// The C layer.
pub use c::{
    CFacts, CParser, DefinedMacros, Function, HintKind, Macros, ParseFailure, add_header_hints,
    defined_macros, functions, view as c_view,
};

// Rules.
pub use rules::{
    Action, BodyScope, Expect, ExpectedMatches, Fallback, Guard, NameKind, NamedSpan, Nesting, Per,
    Rule, RulesError, RulesFile, Target, TestCase, TestInput, load as load_rules,
    text as rules_text,
};

// The engine.
pub use engine::{
    BranchFacts, Detail, Edit, Evidence, FailedFunction, FileError, FileResult, FunctionFacts,
    GroupLine, MatchRecord, NameLookup, ParseStats, RuleCount, RuleStatus, Setup, Shortfall, State,
    UnknownName, Verdict, branch_facts, condition_symbols, explain_removed_names, function_facts,
    parse_stats, process, process_parsed, rule_status,
};

// Files, output, diagnostics.
pub use diag::{
    ExitStatus, InFile, Problem, ShownText, escape_controls, is_reader_gone,
    print as print_problems,
};
pub use files::{
    FilesError, PlannedFile, ReadAs, SourceFile, Staged, back_up, backup_path, check_backup_suffix,
    commit, commit_all, discover, interrupt, interrupted_during_commit, out_path, read_source,
    stage, stage_new,
};
pub use output::{
    Drift, EvidenceReport, FileParse, MatchReport, ParseError as FunctionParseError, ParseReport,
    Report, RuleSummary, and_list, json_path, parse_table, plural, report_json, suggested_hints,
    summary_lines, write_diff, write_labelled_diff,
};

// Snapshots (`cdefang test`).
pub use snapshot::{pending_path, snapshot_bytes, snapshot_content};

// Explaining and learning.
pub use explain::print as print_explanations;
pub use learn::{Hints, LearnError, LearnErrorKind, Learned, LearnedRule, Request, learn};
