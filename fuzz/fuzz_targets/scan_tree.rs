//! Fuzz the source layer: scanner, conditional tree, C view and function finder on any bytes.
#![no_main]

use cdefang::cview::{self, Macros};
use cdefang::{facts, scan, tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(found) = scan::scan(data) else { return };
    assert_eq!(found.clean.len(), data.len());
    let Ok(conditionals) = tree::build(&found.directives) else {
        return;
    };
    let view = cview::view(&found, &conditionals, None, &Macros::default());
    assert_eq!(view.len(), data.len());
    let _ = facts::functions(&view);
});
