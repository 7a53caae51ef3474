//! cdefang: rewrite C sources by declarative rules about their preprocessor conditionals.
//!
//! Data flows one way: [`scan`] → [`tree`] → [`cond`] → [`facts`] → [`matcher`] (with
//! [`rules`]) → [`edit`] → bytes; [`engine`] runs that pipeline for one file, [`run`] for a
//! whole command line (with [`files`], [`output`], [`diag`] and [`explain`] for `--explain`); [`ruletest`] runs the test
//! cases of rules files (`cdefang test`), [`learn`] writes a rule from a patch. See ARCHITECTURE.md.

// Errors are values: outside tests, no unwrap, expect or panic (clippy enforces it in CI).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cond;
pub mod cparse;
pub mod cview;
pub mod diag;
pub mod edit;
pub mod engine;
pub mod explain;
pub mod facts;
pub mod files;
pub mod learn;
pub mod lines;
pub mod matcher;
pub mod output;
pub mod rules;
pub mod ruletest;
pub mod run;
pub mod scan;
pub mod tree;
