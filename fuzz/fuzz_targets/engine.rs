//! Fuzz the whole pipeline for one file: rules that parse with lang-c, resolve and drop.
#![no_main]

use std::sync::OnceLock;

use cdefang::{Assumptions, Rule, RulesFile, Setup};
use libfuzzer_sys::fuzz_target;

/// Shared with the regression test, tests/fuzz_regressions.rs.
const RULES: &str = include_str!("../../testdata/fuzz/engine.toml");

fn setups() -> &'static (Setup, Setup) {
    static SETUPS: OnceLock<(Setup, Setup)> = OnceLock::new();
    SETUPS.get_or_init(|| {
        let Ok(file) = cdefang::load_rules(RULES, 0) else {
            unreachable!("the fuzz target's rules load")
        };
        let mut assumptions = Assumptions::default();
        assumptions.define("A");
        assumptions.undefine("B");
        let resolve = RulesFile {
            rules: vec![Rule::resolve_everywhere(assumptions)],
            ..RulesFile::default()
        };
        (
            Setup::from_rules_file(file),
            Setup::from_rules_file(resolve),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let (rules, resolve) = setups();
    let _ = cdefang::process(data, "core/utils.c", rules);
    if let Ok(result) = cdefang::process(data, "x.c", resolve) {
        if let Some(output) = result.output {
            // A resolved file resolves to itself.
            let again = cdefang::process(&output, "x.c", resolve);
            assert!(matches!(again, Ok(ref result) if result.output.is_none()));
        }
    }
});
