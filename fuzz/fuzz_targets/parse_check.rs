//! Parse and check arbitrary bytes. A panic anywhere (a crash, or a panic the checker caught and
//! turned into E900) and a span outside the source are failures.
#![no_main]

use asterism_compiler::check;
use asterism_lang::{Code, parse_bytes, validate};
use asterism_registry::Registry;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let registry = REGISTRY.get_or_init(Registry::standard);
    let Ok(parsed) = parse_bytes(data) else { return };
    let src = std::str::from_utf8(data).expect("parse_bytes accepted it");
    validate::check_spans(&parsed.program, src.len()).expect("spans nest inside the source");
    let checked = check(&parsed.program, registry, src);
    for d in parsed.diagnostics.iter().chain(&checked.diagnostics) {
        assert_ne!(d.code, Code::E900, "internal compiler error: {}", d.message);
        assert!(d.span.start <= d.span.end && d.span.end <= src.len(), "span out of bounds: {d:?}");
    }
});
