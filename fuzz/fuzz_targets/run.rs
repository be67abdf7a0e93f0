//! Compile and run arbitrary bytes with arbitrary inputs: the bytes up to the first NUL are the
//! pipeline, the rest its inputs document. Whatever they are, compiling and running must not
//! panic (nor report an internal error), budgets must hold, and every document the engine writes
//! must be JSON.
#![no_main]

use asterism::{Code, Engine, Layout, Limits};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        let mut engine = Engine::new();
        engine.set_limits(Limits { max_memory: 32 << 20, max_time: Some(Duration::from_secs(2)) });
        engine
    });
    let (source, inputs) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"{}"[..]),
    };
    let Ok(source) = std::str::from_utf8(source) else { return };
    let pipeline = match engine.compile("fuzz.cst", source) {
        Ok(p) => p,
        Err(d) => {
            assert!(d.items().iter().all(|d| d.code != Code::E900), "internal compiler error: {d}");
            return;
        }
    };
    let Ok(inputs) = pipeline.parse_inputs(inputs) else { return };
    let outcome = pipeline.run_blocking(&inputs);
    serde_json::from_str::<serde_json::Value>(&outcome.to_json()).expect("the outcome is JSON");
    serde_json::from_str::<serde_json::Value>(&outcome.outputs_json(Layout::Pretty)).expect("the outputs are JSON");
});
