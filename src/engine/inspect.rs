//! Inspection: what lang-c makes of a file's functions and branches (for `--parse-stats` and the
//! facts tests), and the symbols a file's conditions test (for `--symbols`). Reads, never edits.

use std::ops::Range;

use super::Setup;
use super::matcher::{BodyFacts, FileFacts};
use crate::c::{self, CFacts, ParseFailure};
use crate::cond;
use crate::source::{ParsedFile, SourceError};

/// One branch of a conditional and what lang-c made of its body, with the branch active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchFacts {
    /// The branch's directive line.
    pub directive: Range<usize>,
    pub function: Option<String>,
    pub facts: Result<CFacts, ParseFailure>,
}

/// The facts of every branch body of a file, as rules see them.
pub fn branch_facts(parsed: &ParsedFile, setup: &Setup) -> Result<Vec<BranchFacts>, SourceError> {
    let facts = FileFacts::new(parsed, &setup.macros, &setup.parser)?;
    let mut all = Vec::new();
    for conditional in parsed.tree.all() {
        for branch in &conditional.branches {
            all.push(BranchFacts {
                directive: parsed.scan.directives[branch.directive].line.clone(),
                function: facts
                    .enclosing_function(branch.body.clone())
                    .map(|function| function.name),
                facts: match facts.body_facts(branch.body.clone()) {
                    BodyFacts::Parsed(parsed) => Ok(parsed),
                    BodyFacts::Unparsable(failure) => Err(failure),
                },
            });
        }
    }
    Ok(all)
}

/// How many of a file's function definitions lang-c parses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseStats {
    pub functions: u64,
    pub parsed: u64,
    /// The functions that failed: name and the first error.
    pub failed: Vec<FailedFunction>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedFunction {
    pub name: String,
    pub failure: ParseFailure,
    /// The hint that would explain the failure, when one can be told.
    pub hint: Option<(c::HintKind, String)>,
}

/// One function definition and what lang-c made of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionFacts {
    pub name: String,
    pub item: Range<usize>,
    pub facts: Result<CFacts, ParseFailure>,
}

/// Parse every function definition of a file with lang-c, on the default view (see
/// [`crate::c::view`]).
pub fn function_facts(parsed: &ParsedFile, setup: &Setup) -> Vec<FunctionFacts> {
    function_facts_in_view(parsed, setup).1
}

/// [`function_facts`], with the view they were parsed from.
fn function_facts_in_view(parsed: &ParsedFile, setup: &Setup) -> (Vec<u8>, Vec<FunctionFacts>) {
    let view = c::view(&parsed.scan, &parsed.tree, None, &setup.macros);
    let code = parsed.scan.code_view();
    let mut own = c::typedef_names(&code);
    own.extend(c::guess_type_names(&code));
    own.extend(c::defined_macros(&[&parsed.scan], &setup.macros, &[]).typedefs);
    let parser = setup.parser.with_typedefs(own.iter().map(String::as_str));
    let facts = c::functions(&view)
        .into_iter()
        .map(|function| FunctionFacts {
            facts: parser.parse(&view, function.item.clone()),
            name: function.name,
            item: function.item,
        })
        .collect();
    (view, facts)
}

/// How many of a file's function definitions lang-c parses.
pub fn parse_stats(parsed: &ParsedFile, setup: &Setup) -> ParseStats {
    let mut stats = ParseStats::default();
    let (view, functions) = function_facts_in_view(parsed, setup);
    for function in functions {
        stats.functions += 1;
        match function.facts {
            Ok(_) => stats.parsed += 1,
            Err(failure) => stats.failed.push(FailedFunction {
                hint: c::suggest_hint(&view, function.item, &function.name, failure.offset),
                name: function.name,
                failure,
            }),
        }
    }
    stats
}

/// Every symbol the file's conditions test, once per test; the first condition that does not
/// read is an error (what it tests is not known).
pub fn condition_symbols(parsed: &ParsedFile) -> Result<Vec<String>, SourceError> {
    if let Some(error) = parsed.unreadable().first() {
        return Err(error.clone());
    }
    let mut symbols = Vec::new();
    for condition in parsed.conditions()?.iter().flatten() {
        let norm = cond::Norm::of(condition);
        let mut names = Vec::new();
        norm.symbols(&mut names);
        symbols.extend(names.into_iter().map(str::to_string));
    }
    Ok(symbols)
}
