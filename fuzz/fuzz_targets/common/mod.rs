//! What the fuzz targets that run pipelines share: one engine under tight budgets, and the
//! checks every run's outcome must pass.

use asterism::{Code, Diagnostics, Engine, Layout, Limits, Outcome};
use std::sync::OnceLock;
use std::time::Duration;

/// One engine for the whole fuzzing process (its caches are bounded), with budgets small enough
/// that a hostile program fails its nodes quickly: 32 MiB of values, 2 s per run.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut engine = Engine::new();
        engine.set_limits(Limits { max_memory: 32 << 20, max_time: Some(Duration::from_secs(2)) });
        engine
    })
}

/// A program that does not compile must say why, never with an internal error.
pub fn no_internal_error(diagnostics: &Diagnostics, source: &str) {
    assert!(
        diagnostics.items().iter().all(|d| d.code != Code::E900),
        "internal compiler error: {diagnostics}\n{source}"
    );
}

/// Every document the engine writes about a run is JSON.
pub fn writes_json(outcome: &Outcome) {
    serde_json::from_str::<serde_json::Value>(&outcome.to_json()).expect("the outcome is JSON");
    serde_json::from_str::<serde_json::Value>(&outcome.outputs_json(Layout::Pretty)).expect("the outputs are JSON");
}
