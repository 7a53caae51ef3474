//! Fuzz the source layer: scanner, conditional tree, C view and function finder on any bytes.
#![no_main]

use cdefang::Macros;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(found) = cdefang::scan(data) else { return };
    assert_eq!(found.clean.len(), data.len());
    let Ok(conditionals) = cdefang::build_tree(&found.directives) else {
        return;
    };
    let view = cdefang::c_view(&found, &conditionals, None, &Macros::default());
    assert_eq!(view.len(), data.len());
    let _ = cdefang::functions(&view);
});
