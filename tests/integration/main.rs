//! The integration tests, in one binary: the helpers they share are in `util`, each test module
//! says at its top what it tests. `cargo test --test integration MODULE::` runs one module.
//!
//! Snapshots (snapshots/*.snap) are kept in the format `cdefang test` keeps its own, through
//! `util::assert_snapshot`: a failing one writes snapshots/NAME.snap.new for review, which
//! scripts/accept-snapshots.sh accepts.

mod util;

mod cli;
mod cond_arithmetic;
mod corpus;
mod drift_states;
mod el_build;
mod explain;
mod facts;
mod fuzz_regressions;
mod hardening;
mod learn;
mod learn_targets;
mod newcomer;
mod properties;
mod real_code;
mod rewrite;
mod ruletest;
mod targets;
mod unifdef_differential;
mod uwsgi_el5;
mod uwsgi_targets;
