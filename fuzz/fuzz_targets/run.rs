//! Compile and run arbitrary bytes with arbitrary inputs: the bytes up to the first NUL are the
//! pipeline, the rest its inputs document. Whatever they are, compiling and running must not
//! panic (nor report an internal error), budgets must hold, and every document the engine writes
//! must be JSON.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, inputs) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"{}"[..]),
    };
    let Ok(source) = std::str::from_utf8(source) else { return };
    let pipeline = match common::engine().compile("fuzz.cst", source) {
        Ok(p) => p,
        Err(d) => return common::no_internal_error(&d, source),
    };
    let Ok(inputs) = pipeline.parse_inputs(inputs) else { return };
    common::writes_json(&pipeline.run_blocking(&inputs));
});
