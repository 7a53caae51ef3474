//! Fuzz the `#if` expression layer: parse, normal form, rendering, evaluation under assumptions.
#![no_main]

use cdefang::{Assumptions, Norm, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = cdefang::parse_condition(data, 0) else {
        return;
    };
    let norm = Norm::of(&expr);
    let _ = norm.to_string();
    let _ = cdefang::render_condition(&expr, data);
    let mut assumptions = Assumptions::default();
    assumptions.define("A");
    assumptions.define("V=3");
    assumptions.undefine("B");
    for constants in [false, true] {
        assumptions.constants = constants;
        if let Value::Unknown(rest) = cdefang::resolve(&expr, &assumptions) {
            let _ = cdefang::render_condition(&rest, data);
        }
    }
});
