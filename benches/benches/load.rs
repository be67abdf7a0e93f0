//! Memory and latency under load (issue 11), as figures to read rather than timings to compare:
//!
//! - one process running a one-node pipeline 1,000,000 times in a row — stdlib node with
//!   `run_blocking`, then an async host function with `Pipeline::run` on a current-thread tokio
//!   runtime — with its resident set size every 100,000 runs (Linux: `/proc/self/status`), which
//!   must stay flat: a run leaves nothing behind;
//! - 1,000 runs of the fan-out pipeline (1 → 50 × 10 → 50, async host functions returning ready
//!   futures) spawned at once on a multi-thread tokio runtime: p50, p99 and the longest of each
//!   run's own time (from its first poll to its outcome), with the wall time of the whole batch.
//!
//! Run with `cargo bench -p asterism-benches --bench load`.

use asterism::{Engine, Layout};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../shapes/chain.rs"]
mod chain;
#[path = "../shapes/fan_out.rs"]
mod fan_out;
use chain::chain;
use fan_out::fan_out_of;

const INPUTS: &[u8] = br#"{"text": "Hello, Asterism"}"#;

/// The resident set size in KiB, where the platform tells.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn shown(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn async_engine() -> Engine {
    let mut engine = Engine::new();
    engine.register_async_fn("up", &["text"], |t: String| async move { t.to_uppercase() }).unwrap();
    engine.register_async_fn("down", &["text"], |t: String| async move { t.to_lowercase() }).unwrap();
    engine
}

/// Runs `run` 1,000,000 times, printing the RSS every 100,000.
fn sequential(title: &str, run: &mut dyn FnMut()) {
    const RUNS: usize = 1_000_000;
    const EVERY: usize = 100_000;
    println!("\n{title}: 1,000,000 sequential one-node runs");
    let started = Instant::now();
    let mut marks = vec![rss_kib()];
    for i in 1..=RUNS {
        run();
        if i % EVERY == 0 {
            marks.push(rss_kib());
        }
    }
    let took = started.elapsed();
    let line: Vec<String> = marks.iter().map(|k| shown(*k)).collect();
    println!("  RSS at 0, 100k, …, 1M runs: {}", line.join(", "));
    if let (Some(Some(first)), Some(Some(last))) = (marks.get(1), marks.last()) {
        println!("  growth from 100k to 1M runs: {} KiB", *last as i64 - *first as i64);
    }
    println!("  {:.0} ns per run", took.as_nanos() as f64 / RUNS as f64);
}

fn concurrent() {
    const RUNS: usize = 1_000;
    let engine = async_engine();
    let p = Arc::new(engine.compile("fan.cst", &fan_out_of(50, 10, "up", "down")).unwrap_or_else(|d| panic!("{d}")));
    let inputs = Arc::new(p.parse_inputs(INPUTS).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("\n1,000 concurrent fan-out runs (1 → 50 × 10 → 50, register_async_fn), multi-thread runtime");
    for round in 0..3 {
        let started = Instant::now();
        let mut times: Vec<Duration> = rt.block_on(async {
            let tasks: Vec<_> = (0..RUNS)
                .map(|_| {
                    let (p, inputs) = (p.clone(), inputs.clone());
                    tokio::spawn(async move {
                        let t = Instant::now();
                        let outcome = p.run(&inputs).await;
                        assert!(outcome.errors().is_empty());
                        t.elapsed()
                    })
                })
                .collect();
            let mut times = Vec::with_capacity(RUNS);
            for task in tasks {
                times.push(task.await.unwrap());
            }
            times
        });
        let wall = started.elapsed();
        times.sort();
        println!(
            "  round {}: per run p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs; all 1,000 in {:.1} ms",
            round + 1,
            times[RUNS / 2].as_secs_f64() * 1e6,
            times[RUNS * 99 / 100].as_secs_f64() * 1e6,
            times[RUNS - 1].as_secs_f64() * 1e6,
            wall.as_secs_f64() * 1e3,
        );
    }
}

fn main() {
    let stdlib = Engine::new();
    let one = stdlib.compile("one.cst", &chain(1, "Uppercase", "Lowercase")).unwrap_or_else(|d| panic!("{d}"));
    let inputs = one.parse_inputs(INPUTS).unwrap();
    assert_eq!(one.run_blocking(&inputs).outputs_json(Layout::Compact), r#"{"c0":"HELLO, ASTERISM"}"#);
    let asynchronous = async_engine();
    let one_async = asynchronous.compile("one.cst", &chain(1, "up", "down")).unwrap_or_else(|d| panic!("{d}"));
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // `cargo test --benches` runs this without `--bench`: one pass of each, to show they work.
    if !std::env::args().any(|a| a == "--bench") {
        assert!(current.block_on(one_async.run(&inputs)).errors().is_empty());
        return;
    }
    sequential("stdlib node, run_blocking", &mut || drop(std::hint::black_box(one.run_blocking(&inputs))));
    sequential("register_async_fn, current-thread runtime", &mut || {
        drop(std::hint::black_box(current.block_on(one_async.run(&inputs))))
    });
    concurrent();
}
