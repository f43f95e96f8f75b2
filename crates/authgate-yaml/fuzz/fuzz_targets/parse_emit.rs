//! Any text: the loader returns a value or an error, never panics or
//! hangs; a value is written by `emit` into text that loads again and is
//! written back the same.
//!
//! Texts with NEL (U+0085) stop after the first step: PyYAML itself writes
//! a NEL raw and reads it back as a line break, and the engine does the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(value) = authgate_yaml::parse(text, Path::new("fuzz.yaml")) else {
        return;
    };
    let out = authgate_yaml::emit(&value);
    if out.contains('\u{85}') {
        return;
    }
    let again = authgate_yaml::parse(&out, Path::new("fuzz.yaml"))
        .unwrap_or_else(|e| panic!("emit wrote text that does not load: {e}\n{out:?}"));
    assert_eq!(authgate_yaml::emit(&again), out, "emit is not stable");
});
