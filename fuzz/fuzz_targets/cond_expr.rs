//! Fuzz the `#if` expression layer: parse, normal form, rendering, evaluation under assumptions.
#![no_main]

use cdefang::cond::{self, Assumptions, Norm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = cond::parse(data, 0) else {
        return;
    };
    let norm = Norm::of(&expr);
    let _ = norm.to_string();
    let _ = cond::render(&expr, data);
    let mut assumptions = Assumptions::default();
    assumptions.define("A");
    assumptions.define("V=3");
    assumptions.undefine("B");
    for constants in [false, true] {
        assumptions.constants = constants;
        if let cond::Value::Unknown(rest) = cond::resolve(&expr, &assumptions) {
            let _ = cond::render(&rest, data);
        }
    }
});
