//! Fake modules for runtime tests under tokio's paused clock, shared by `tests/run.rs` (the case
//! files) and `tests/options.rs`:
//!
//! - `flaky(key, fails)` fails its first `fails` calls per key (`attempt N failed`), then returns
//!   the call number;
//! - `sleepy(ms, v)` sleeps `ms` and gives `v` (its calls count as `sleepy`);
//! - `counted(x)` sleeps 100 ms and gives `x * 10` (its calls count as `counted X`);
//! - `tracked(ms, id)` records when it starts and how many calls are in flight, sleeps `ms` and
//!   gives `id`.
//!
//! The engine's reporter keeps the run's notices in the log too.

use asterism::{Engine, Notice};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What the fake modules saw.
#[derive(Default)]
pub struct Log {
    /// Calls per key.
    pub calls: HashMap<String, usize>,
    /// (id, start) of each call of `tracked`, in start order.
    pub starts: Vec<(i64, Instant)>,
    pub in_flight: usize,
    pub max_in_flight: usize,
    pub notices: Vec<Notice>,
}

pub type Shared = Arc<Mutex<Log>>;

/// Counts a call under `key`; the number of calls so far.
fn count(log: &Shared, key: String) -> i64 {
    let mut log = log.lock().unwrap();
    let n = log.calls.entry(key).or_default();
    *n += 1;
    *n as i64
}

/// An engine with the fake modules, reporting into `log`.
pub fn engine(log: &Shared) -> Engine {
    let mut engine = Engine::new();
    let l = log.clone();
    engine
        .register_async_fn("flaky", &["key", "fails"], move |key: String, fails: i64| {
            let n = count(&l, key);
            async move { if n <= fails { Err(format!("attempt {n} failed")) } else { Ok(n) } }
        })
        .unwrap();
    let l = log.clone();
    engine
        .register_async_fn("sleepy", &["ms", "v"], move |ms: i64, v: i64| {
            count(&l, "sleepy".into());
            async move {
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                v
            }
        })
        .unwrap();
    let l = log.clone();
    engine
        .register_async_fn("counted", &["x"], move |x: i64| {
            count(&l, format!("counted {x}"));
            async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                x * 10
            }
        })
        .unwrap();
    let l = log.clone();
    engine
        .register_async_fn("tracked", &["ms", "id"], move |ms: i64, id: i64| {
            {
                let mut log = l.lock().unwrap();
                log.starts.push((id, Instant::now()));
                log.in_flight += 1;
                log.max_in_flight = log.max_in_flight.max(log.in_flight);
            }
            let l = l.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                l.lock().unwrap().in_flight -= 1;
                id
            }
        })
        .unwrap();
    let l = log.clone();
    engine.set_reporter(move |n: Notice| l.lock().unwrap().notices.push(n));
    engine
}
