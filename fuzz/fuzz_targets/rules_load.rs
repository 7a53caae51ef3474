//! Fuzz the rules-file loader: any text is a rules file or a `RulesError` with a span inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = cdefang::load_rules(text, 0) {
        assert!(error.span.start <= error.span.end && error.span.end <= text.len());
    }
});
