//! Call options at run time (SPEC §6.4–§6.5) where a test needs Rust: concurrent runs, cache
//! backends and statistics, host functions, programs too long to write by hand, real threads.
//! Everything a pipeline alone can show is a case file in `tests/run/` instead. The fake modules
//! run under tokio's paused clock: `counted` counts its calls, `tracked` records when each call
//! starts and how many are in flight.

#[path = "support/fakes.rs"]
mod fakes;

use asterism::cache::Lookup;
use asterism::{CacheBackend, CacheStats, Engine, Inputs, Layout, MemoryBackend, Outcome, Status, TierStats, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// An engine with the fake modules of `support/fakes.rs`, and when it was made.
struct Fakes {
    engine: Engine,
    log: fakes::Shared,
    t0: Instant,
}

impl Fakes {
    fn new() -> Fakes {
        let log = fakes::Shared::default();
        Fakes { engine: fakes::engine(&log), log, t0: Instant::now() }
    }

    async fn run(&self, src: &str, inputs: &str) -> Outcome {
        let pipeline = self.engine.compile("t.cst", src).unwrap_or_else(|d| panic!("{d}"));
        pipeline.run(&pipeline.parse_inputs(inputs.as_bytes()).unwrap()).await
    }

    fn calls(&self, key: &str) -> usize {
        self.log.lock().unwrap().calls.get(key).copied().unwrap_or(0)
    }

    /// (id, milliseconds since the engine was made) of each call of `tracked`, in start order.
    fn starts(&self) -> Vec<(i64, u128)> {
        self.log.lock().unwrap().starts.iter().map(|&(id, t)| (id, (t - self.t0).as_millis())).collect()
    }

    fn elapsed_ms(&self) -> u128 {
        (Instant::now() - self.t0).as_millis()
    }
}

fn json(outcome: &Outcome) -> String {
    outcome.outputs_json(Layout::Compact)
}

fn messages(outcome: &Outcome) -> Vec<String> {
    outcome.errors().iter().map(|e| e.message.clone()).collect()
}

#[test]
fn skip_gives_the_zero_value_of_any_type() {
    let mut engine = Engine::new();
    let failing = asterism::Module::sync(|_| Err(asterism::ModuleError::new("no")));
    engine
        .register_module(
            "shape",
            "(n: Int) -> { name: String, tags: List<String>, score: Optional<Float>, v: Int | Boolean }",
            failing,
            "1",
        )
        .unwrap();
    let p = engine.compile("t.cst", "x = shape(1) with on_error: skip\nout x\n").unwrap();
    let outcome = p.run_blocking(&Inputs::default());
    assert_eq!(outcome.status(), Status::Completed);
    assert_eq!(json(&outcome), r#"{"x":{"name":"","score":null,"tags":[],"v":{"tag":"Boolean","value":false}}}"#);
}

#[tokio::test(start_paused = true)]
async fn concurrent_runs_with_the_same_arguments_share_one_cached_call() {
    let f = Fakes::new();
    let pipeline = f.engine.compile("t.cst", "in x: Int\ny = counted(x) with cache: 1min\nout y\n").unwrap();
    let inputs = pipeline.parse_inputs(br#"{"x": 4}"#).unwrap();
    let runs: Vec<_> = (0..10).map(|_| pipeline.run(&inputs)).collect();
    for outcome in futures_util::future::join_all(runs).await {
        assert_eq!(json(&outcome), r#"{"y":40}"#);
    }
    assert_eq!(f.calls("counted 4"), 1);
    let stats = f.engine.call_cache_stats();
    assert_eq!(stats.len(), 1);
    let (name, CacheStats { hits, joined, misses, tiers }) = &stats[0];
    assert_eq!((name.as_str(), *hits, *joined, *misses), ("default", 9, 9, 1), "nine joined the one in flight");
    assert_eq!((tiers.len(), tiers[0].entries, tiers[0].writes), (1, Some(1), 1));

    // Other arguments are another entry; a stored value is used until it expires.
    let other = pipeline.run(&pipeline.parse_inputs(br#"{"x": 5}"#).unwrap()).await;
    assert_eq!(json(&other), r#"{"y":50}"#);
    pipeline.run(&inputs).await;
    assert_eq!(f.calls("counted 4"), 1);
    tokio::time::advance(Duration::from_secs(61)).await;
    pipeline.run(&inputs).await;
    assert_eq!(f.calls("counted 4"), 2, "expired after its ttl");
}

/// A backend that counts what it is asked to store.
#[derive(Debug, Default)]
struct Spy {
    inner: MemoryBackend,
    stored: AtomicUsize,
}

impl CacheBackend for Spy {
    fn get(&self, key: &[u8; 32]) -> Lookup<'_> {
        self.inner.get(key)
    }

    fn insert(&self, key: &[u8; 32], value: &Value, ttl: Duration) {
        self.stored.fetch_add(1, Ordering::Relaxed);
        self.inner.insert(key, value, ttl);
    }

    fn tiers(&self) -> Vec<TierStats> {
        self.inner.tiers()
    }
}

#[tokio::test(start_paused = true)]
async fn cache_backend_selects_a_named_cache() {
    let f = Fakes::new();
    let spy = Arc::new(Spy::default());
    f.engine.set_cache_backend("spy", spy.clone());
    let src = "a = counted(1) with cache: 1min, cache_backend: \"spy\"\nb = counted(2) with cache: 1min\n\
               c = counted(3) with cache: 1min, cache_backend: \"fresh\"\nout a\nout b\nout c\n";
    f.run(src, "{}").await;
    f.run(src, "{}").await;
    assert_eq!(spy.stored.load(Ordering::Relaxed), 1);
    let stats: Vec<(String, u64, u64)> =
        f.engine.call_cache_stats().into_iter().map(|(n, s)| (n, s.hits, s.misses)).collect();
    assert_eq!(stats, [("default".into(), 1, 1), ("fresh".into(), 1, 1), ("spy".into(), 1, 1)]);
    assert_eq!((f.calls("counted 1"), f.calls("counted 2"), f.calls("counted 3")), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn concurrency_bounds_calls_in_flight_across_runs() {
    let f = Fakes::new();
    let pipeline = f
        .engine
        .compile("t.cst", "in i: Int\nxs = map([1, 2, 3], k => tracked(100, i * 10 + k) with concurrency: 2)\nout xs\n")
        .unwrap();
    let runs: Vec<_> = (1..=2)
        .map(|i| (pipeline.clone(), pipeline.parse_inputs(format!("{{\"i\": {i}}}").as_bytes()).unwrap()))
        .collect();
    let outcomes = futures_util::future::join_all(runs.iter().map(|(p, inputs)| p.run(inputs))).await;
    assert!(outcomes.iter().all(|o| o.status() == Status::Completed));
    assert_eq!(f.log.lock().unwrap().max_in_flight, 2);
    assert_eq!(f.elapsed_ms(), 300, "six calls, two at a time");
}

#[test]
fn synchronous_modules_retry_on_the_calling_thread() {
    let mut engine = Engine::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    engine
        .register_fn("shaky", &["fails"], move |fails: i64| -> Result<i64, String> {
            let n = c.fetch_add(1, Ordering::Relaxed) as i64 + 1;
            if n <= fails { Err(format!("attempt {n} failed")) } else { Ok(n) }
        })
        .unwrap();
    let p = engine.compile("t.cst", "x = shaky(2) with retry: 2\nout x\n").unwrap();
    assert_eq!(json(&p.run_blocking(&Inputs::default())), r#"{"x":3}"#);
    assert_eq!(calls.load(Ordering::Relaxed), 3);
}

/// A program of `n` lazy calls, each reading the one before it: `step` is the call with `{}` for
/// the previous binding, `options` its options.
fn lazy_chain(n: usize, first: &str, step: &str, options: &str) -> String {
    let mut src = format!("in x: Int\na0 = {first} with {options}\n");
    for i in 1..n {
        src += &format!("a{i} = {} with {options}\n", step.replace("{}", &format!("a{}", i - 1)));
    }
    src + &format!("out a{}\n", n - 1)
}

#[test]
fn a_long_chain_of_lazy_calls_is_forced_without_exhausting_the_stack() {
    let engine = Engine::new();
    let p = engine.compile("t.cst", &lazy_chain(20_000, "add(x, 1)", "add({}, 1)", "lazy")).unwrap();
    let outcome = p.run_blocking(&p.parse_inputs(br#"{"x": 1}"#).unwrap());
    assert_eq!(json(&outcome), r#"{"a19999":20001}"#);
}

#[tokio::test(start_paused = true)]
async fn a_long_chain_of_lazy_calls_that_wait_is_forced_without_exhausting_the_stack() {
    let engine = Engine::new();
    for options in ["lazy, cache: 1min", "lazy, timeout: 1s"] {
        let p = engine.compile("t.cst", &lazy_chain(10_000, "add(x, 1)", "add({}, 1)", options)).unwrap();
        let outcome = p.run(&p.parse_inputs(br#"{"x": 1}"#).unwrap()).await;
        assert_eq!(json(&outcome), r#"{"a9999":10001}"#, "with {options}");
    }
}

#[tokio::test(start_paused = true)]
async fn lazy_calls_forced_inside_each_others_lambdas_nest_without_exhausting_the_stack() {
    let engine = Engine::new();
    for options in ["lazy", "lazy, cache: 1min"] {
        let src = lazy_chain(3_000, "map([x], i => i + 1)", "map([1], i => i + list-sum({}))", options);
        let p = engine.compile("t.cst", &src).unwrap();
        let outcome = p.run(&p.parse_inputs(br#"{"x": 1}"#).unwrap()).await;
        assert_eq!(json(&outcome), r#"{"a2999":[3001]}"#, "with {options}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_lazy_calls_a_lazy_call_reads_run_as_soon_as_their_own_inputs_are_ready() {
    let f = Fakes::new();
    let src = "slow = tracked(1000, 1) with lazy\n\
               fast = tracked(100, 2) with lazy\n\
               after-fast = tracked(fast, 3) with lazy\n\
               both = tracked(after-fast, slow) with lazy\n\
               out both\n";
    assert_eq!(json(&f.run(src, "{}").await), r#"{"both":1}"#);
    let mut starts = f.starts();
    starts.sort_by_key(|&(id, at)| (at, id));
    assert_eq!(starts, [(1, 0), (2, 0), (3, 100), (1, 1000)], "`after-fast` does not wait for `slow`");
    assert_eq!(f.elapsed_ms(), 1003);
}

#[test]
fn a_higher_order_call_whose_lambdas_only_compute_is_timed_out_when_it_finishes_late() {
    let mut engine = Engine::new();
    engine
        .register_fn("nap", &["ms"], |ms: i64| {
            std::thread::sleep(Duration::from_millis(ms as u64));
            ms
        })
        .unwrap();
    let run = |src: &str| {
        let p = engine.compile("t.cst", src).unwrap();
        p.run_blocking(&Inputs::default())
    };
    let late = run("xs = map([30, 30], i => nap(i)) with timeout: 20ms\nout xs\n");
    assert_eq!(messages(&late), ["stdlib.collection.map: timed out after 20ms"]);
    let fallback = run("xs = map([30, 30], i => nap(i)) with timeout: 20ms, fallback: [0]\nout xs\n");
    assert_eq!(json(&fallback), r#"{"xs":[0]}"#);
    let in_time = run("xs = map([1, 2], i => nap(i)) with timeout: 1min\nout xs\n");
    assert_eq!(json(&in_time), r#"{"xs":[1,2]}"#);
}

#[test]
fn a_run_does_not_wait_for_the_attempts_its_timeouts_abandoned() {
    let mut engine = Engine::new();
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    engine
        .register_fn("stuck", &["ms"], move |ms: i64| {
            std::thread::sleep(Duration::from_millis(ms as u64));
            f.fetch_add(1, Ordering::Relaxed);
            ms
        })
        .unwrap();
    let p = engine.compile("t.cst", "x = stuck(3000) with timeout: 10ms, fallback: 0\nout x\n").unwrap();
    let outcome = p.run_blocking(&Inputs::default());
    assert_eq!(json(&outcome), r#"{"x":0}"#);
    assert_eq!(finished.load(Ordering::Relaxed), 0, "the run ended while the abandoned attempt still ran");
}

#[tokio::test(start_paused = true)]
async fn lazy_values_a_lambda_captures_run_before_the_call_takes_its_permit() {
    let f = Fakes::new();
    let src = "a0 = map([1], j => j) with lazy, concurrency: 1\n\
               a1 = map([1], j => j + list-sum(a0)) with lazy, concurrency: 1\n\
               out a1\n";
    let outcome = tokio::time::timeout(Duration::from_secs(60), f.run(src, "{}")).await;
    assert_eq!(outcome.map(|o| json(&o)).ok(), Some(r#"{"a1":[2]}"#.to_string()), "no deadlock on the permit");
}

#[test]
fn a_timed_out_higher_order_call_stops_calling_its_lambda() {
    let mut engine = Engine::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    engine
        .register_fn("nap", &["ms"], move |ms: i64| {
            c.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(ms as u64));
            ms
        })
        .unwrap();
    let p = engine.compile("t.cst", "xs = map(Range(0, 1000), i => nap(1)) with timeout: 20ms\nout xs\n").unwrap();
    let outcome = p.run_blocking(&Inputs::default());
    assert_eq!(messages(&outcome), ["stdlib.collection.map: timed out after 20ms"]);
    assert!(calls.load(Ordering::Relaxed) < 1000, "the lambda stopped being called at the timeout");
}

#[test]
fn attempts_abandoned_by_a_timeout_are_bounded_per_function() {
    let mut engine = Engine::new();
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    engine
        .register_fn("stuck", &["ms"], move |ms: i64| {
            s.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(ms as u64));
            ms
        })
        .unwrap();
    let p = engine.compile("t.cst", "x = stuck(300) with timeout: 5ms, retry: 9\nout x\n").unwrap();
    let outcome = p.run_blocking(&Inputs::default());
    let message = &messages(&outcome)[0];
    assert!(message.starts_with("stuck: 4 attempts abandoned by their timeout still run"), "{message}");
    assert!(message.ends_with("(failed after 10 attempts)"), "{message}");
    assert_eq!(started.load(Ordering::Relaxed), 4, "no fifth attempt started while four still ran");
}
