//! The module calls of a profiled engine, totalled by function (a `CallObserver`).
//!
//! Takes: every call of a host or manifest module (a batched module: every batch sent). Gives:
//! per function, calls, failures, total and longest time. Guarantees: one short lock per call;
//! no allocation after a function's first call.

use crate::CallObserver;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub calls: u64,
    pub failed: u64,
    pub total: Duration,
    pub longest: Duration,
}

#[derive(Debug, Default)]
pub struct Calls(Mutex<BTreeMap<String, Totals>>);

impl Calls {
    /// Each function called, by name, with its totals.
    pub fn totals(&self) -> Vec<(String, Totals)> {
        self.0.lock().iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

impl CallObserver for Calls {
    fn call(&self, function: &str, took: Duration, ok: bool) {
        let mut map = self.0.lock();
        let t = match map.get_mut(function) {
            Some(t) => t,
            None => map.entry(function.to_string()).or_default(),
        };
        t.calls += 1;
        t.failed += u64::from(!ok);
        t.total += took;
        t.longest = t.longest.max(took);
    }
}
