//! A formula file's text: resolved or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let lib = gt::formula::Library::from_dirs(Vec::new(), false);
        let _ = lib.resolve_text(text, "fuzz.formula.toml");
    }
});
