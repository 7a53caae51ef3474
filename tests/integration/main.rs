//! The integration tests, in one binary: the helpers they share are in `util`, each test module
//! says at its top what it tests. `cargo test --test integration MODULE::` runs one module.

mod util;

mod cli;
mod corpus;
mod explain;
mod facts;
mod fuzz_regressions;
mod learn;
mod properties;
mod rewrite;
mod ruletest;
mod unifdef_differential;
mod uwsgi_el5;
