//! Call options at run time (SPEC §6.4–§6.5), proven with fake modules under tokio's paused clock:
//! `flaky` fails a given number of times, `sleepy` sleeps, `counted` counts its calls, `tracked`
//! records when each call starts and how many are in flight.

use asterism::{CacheBackend, CacheStats, Engine, Inputs, Layout, MemoryBackend, Outcome, Status, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What the fake modules saw.
#[derive(Default)]
struct Log {
    /// Calls per key.
    calls: HashMap<String, usize>,
    /// (id, milliseconds since `t0`) of each call of `tracked`, in start order.
    starts: Vec<(i64, u128)>,
    in_flight: usize,
    max_in_flight: usize,
}

struct Fakes {
    engine: Engine,
    log: Arc<Mutex<Log>>,
    t0: Instant,
}

impl Fakes {
    fn new() -> Fakes {
        let log = Arc::new(Mutex::new(Log::default()));
        let t0 = Instant::now();
        let mut engine = Engine::new();
        let l = log.clone();
        engine
            .register_async_fn("flaky", &["key", "fails"], move |key: String, fails: i64| {
                let l = l.clone();
                async move {
                    let n = {
                        let mut log = l.lock().unwrap();
                        let n = log.calls.entry(key.clone()).or_default();
                        *n += 1;
                        *n as i64
                    };
                    if n <= fails { Err(format!("attempt {n} failed")) } else { Ok(n) }
                }
            })
            .unwrap();
        let l = log.clone();
        engine
            .register_async_fn("sleepy", &["ms", "v"], move |ms: i64, v: i64| {
                let l = l.clone();
                async move {
                    *l.lock().unwrap().calls.entry("sleepy".into()).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                    v
                }
            })
            .unwrap();
        let l = log.clone();
        engine
            .register_async_fn("counted", &["x"], move |x: i64| {
                let l = l.clone();
                async move {
                    *l.lock().unwrap().calls.entry(format!("counted {x}")).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    x * 10
                }
            })
            .unwrap();
        let l = log.clone();
        engine
            .register_async_fn("tracked", &["ms", "id"], move |ms: i64, id: i64| {
                let l = l.clone();
                async move {
                    {
                        let mut log = l.lock().unwrap();
                        log.starts.push((id, (Instant::now() - t0).as_millis()));
                        log.in_flight += 1;
                        log.max_in_flight = log.max_in_flight.max(log.in_flight);
                    }
                    tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                    l.lock().unwrap().in_flight -= 1;
                    id
                }
            })
            .unwrap();
        Fakes { engine, log, t0 }
    }

    async fn run(&self, src: &str, inputs: &str) -> Outcome {
        let pipeline = self.engine.compile("t.cst", src).unwrap_or_else(|d| panic!("{d}"));
        pipeline.run(&pipeline.parse_inputs(inputs.as_bytes()).unwrap()).await
    }

    fn calls(&self, key: &str) -> usize {
        self.log.lock().unwrap().calls.get(key).copied().unwrap_or(0)
    }

    fn starts(&self) -> Vec<(i64, u128)> {
        self.log.lock().unwrap().starts.clone()
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

#[tokio::test(start_paused = true)]
async fn retry_makes_further_attempts_until_one_succeeds() {
    let f = Fakes::new();
    let outcome = f.run("x = flaky(\"a\", 2) with retry: 2\nout x\n", "{}").await;
    assert_eq!(outcome.status(), Status::Completed, "{:?}", messages(&outcome));
    assert_eq!(json(&outcome), r#"{"x":3}"#);
    assert_eq!(f.calls("a"), 3);
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_fail_with_the_last_message_and_the_attempts() {
    let f = Fakes::new();
    let outcome = f.run("x = flaky(\"b\", 2) with retry: 1\nok = 1\nout x\nout ok\n", "{}").await;
    assert_eq!(outcome.status(), Status::Failed);
    assert_eq!(messages(&outcome), ["flaky: attempt 2 failed (failed after 2 attempts)"]);
    assert_eq!(outcome.errors()[0].line, 1);
    assert_eq!(json(&outcome), r#"{"ok":1}"#);
    assert_eq!(f.calls("b"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_abandons_the_attempt_and_fails_dependents_at_once() {
    let f = Fakes::new();
    let src = "x = sleepy(5000, 1) with timeout: 100ms\ny = x + 1\nz = sleepy(300, 7)\nout y\nout z\n";
    let pipeline = f.engine.compile("t.cst", src).unwrap();
    let mut failed_at = None;
    let mut events = pipeline.run_stream(Inputs::default());
    use futures_util::StreamExt;
    while let Some(event) = events.next().await {
        if let asterism::StreamEvent::Done(outcome) = event {
            assert_eq!(messages(&outcome), ["sleepy: timed out after 100ms"]);
            assert_eq!(json(&outcome), r#"{"z":7}"#);
            failed_at = Some(f.elapsed_ms());
        }
    }
    assert_eq!(failed_at, Some(300), "the run ends with the independent call, not the abandoned one");
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_dependent_fails_without_waiting() {
    let f = Fakes::new();
    let outcome = f.run("x = sleepy(5000, 1) with timeout: 100ms\ny = x + 1\nout y\n", "{}").await;
    assert_eq!(outcome.status(), Status::Failed);
    assert_eq!(f.elapsed_ms(), 100);
}

#[tokio::test(start_paused = true)]
async fn timeouts_are_per_attempt_and_are_retried() {
    let f = Fakes::new();
    let outcome = f.run("x = sleepy(1000, 1) with timeout: 100ms, retry: 2\nout x\n", "{}").await;
    assert_eq!(messages(&outcome), ["sleepy: timed out after 100ms (failed after 3 attempts)"]);
    assert_eq!(f.calls("sleepy"), 3);
    assert_eq!(f.elapsed_ms(), 300);
}

/// When the fourth attempt of a call failing three times succeeds (`tracked` starts right after).
async fn fourth_attempt_at(backoff: &str) -> u128 {
    let f = Fakes::new();
    let src =
        format!("x = flaky(\"k\", 3) with retry: 3, delay: 100ms, backoff: {backoff}\nt = tracked(0, x)\nout t\n");
    let outcome = f.run(&src, "{}").await;
    assert_eq!(outcome.status(), Status::Completed, "{:?}", messages(&outcome));
    assert_eq!(f.calls("k"), 4);
    f.starts()[0].1
}

#[tokio::test(start_paused = true)]
async fn delay_and_backoff_space_the_attempts() {
    // Three waits before the fourth attempt: fixed 100+100+100, linear 100+200+300,
    // exponential 100+200+400.
    assert_eq!(fourth_attempt_at("fixed").await, 300);
    assert_eq!(fourth_attempt_at("linear").await, 600);
    assert_eq!(fourth_attempt_at("exponential").await, 700);
}

#[tokio::test(start_paused = true)]
async fn without_delay_retries_do_not_wait() {
    let f = Fakes::new();
    let outcome = f.run("x = flaky(\"k\", 3) with retry: 3\nt = tracked(0, x)\nout t\n", "{}").await;
    assert_eq!(json(&outcome), r#"{"t":4}"#);
    assert_eq!(f.starts(), [(4, 0)]);
}

#[tokio::test(start_paused = true)]
async fn the_fallback_runs_only_when_the_call_finally_fails() {
    let f = Fakes::new();
    let src = "in fails: Int\nx = flaky(\"f\", fails) with retry: 1, fallback: counted(5)\nout x\n";
    let ok = f.run(src, r#"{"fails": 1}"#).await;
    assert_eq!(json(&ok), r#"{"x":2}"#);
    assert_eq!(f.calls("counted 5"), 0, "a successful call never evaluates its fallback");
    let replaced = f.run(src, r#"{"fails": 9}"#).await;
    assert_eq!(replaced.status(), Status::Completed);
    assert_eq!(json(&replaced), r#"{"x":50}"#);
    assert_eq!(f.calls("counted 5"), 1);
    assert_eq!(f.calls("f"), 4, "both attempts of each run");
}

#[tokio::test(start_paused = true)]
async fn a_failing_fallback_fails_the_call_with_its_own_failure() {
    let f = Fakes::new();
    let outcome = f.run("x = flaky(\"g\", 5) with fallback: 1 / 0\nout x\n", "{}").await;
    assert_eq!(messages(&outcome), ["division by zero"]);
}

#[tokio::test(start_paused = true)]
async fn on_error_turns_a_failure_into_a_value_at_once_without_retries() {
    let f = Fakes::new();
    let src = "s = flaky(\"s\", 9) with on_error: skip, retry: 3\nw = flaky(\"w\", 9) with on_error: wrap, retry: 3\n\
               ok = flaky(\"ok\", 0) with on_error: wrap\nout s\nout w\nout ok\n";
    let outcome = f.run(src, "{}").await;
    assert_eq!(outcome.status(), Status::Completed);
    assert_eq!(
        json(&outcome),
        r#"{"s":0,"w":{"error":"flaky: attempt 1 failed","value":null},"ok":{"error":null,"value":1}}"#
    );
    assert_eq!((f.calls("s"), f.calls("w")), (1, 1), "only timeouts are retried under on_error");
}

#[tokio::test(start_paused = true)]
async fn on_error_does_not_catch_timeouts_which_reach_retry_and_fallback() {
    let f = Fakes::new();
    let outcome =
        f.run("x = sleepy(500, 1) with on_error: wrap, timeout: 100ms, retry: 1, fallback: sleepy(0, 5) with on_error: wrap\nout x\n", "{}")
            .await;
    assert_eq!(json(&outcome), r#"{"x":{"error":null,"value":5}}"#, "the timeout was not wrapped");
    assert_eq!(f.calls("sleepy"), 3, "two attempts, then the fallback");
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
    assert_eq!(stats, [("default".to_string(), CacheStats { hits: 9, misses: 1, entries: 1 })]);

    // Other arguments are another entry; a stored value is used until it expires.
    let other = pipeline.run(&pipeline.parse_inputs(br#"{"x": 5}"#).unwrap()).await;
    assert_eq!(json(&other), r#"{"y":50}"#);
    pipeline.run(&inputs).await;
    assert_eq!(f.calls("counted 4"), 1);
    tokio::time::advance(Duration::from_secs(61)).await;
    pipeline.run(&inputs).await;
    assert_eq!(f.calls("counted 4"), 2, "expired after its ttl");
}

#[tokio::test(start_paused = true)]
async fn failures_are_not_cached() {
    let f = Fakes::new();
    let src = "x = flaky(\"c\", 1) with cache: 1h\nout x\n";
    assert_eq!(f.run(src, "{}").await.status(), Status::Failed);
    assert_eq!(json(&f.run(src, "{}").await), r#"{"x":2}"#);
    assert_eq!(json(&f.run(src, "{}").await), r#"{"x":2}"#);
    assert_eq!(f.calls("c"), 2);
}

/// A backend that counts what it is asked to store.
#[derive(Debug, Default)]
struct Spy {
    inner: MemoryBackend,
    stored: AtomicUsize,
}

impl CacheBackend for Spy {
    fn get(&self, key: &[u8; 32]) -> Option<Value> {
        self.inner.get(key)
    }

    fn insert(&self, key: [u8; 32], value: Value, ttl: Duration) {
        self.stored.fetch_add(1, Ordering::Relaxed);
        self.inner.insert(key, value, ttl);
    }

    fn len(&self) -> usize {
        self.inner.len()
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
async fn throttle_lets_a_burst_through_then_refills_at_its_rate() {
    let f = Fakes::new();
    let outcome = f.run("xs = map([1, 2, 3, 4, 5, 6], i => tracked(0, i) with throttle: 2/1s)\nout xs\n", "{}").await;
    assert_eq!(json(&outcome), r#"{"xs":[1,2,3,4,5,6]}"#);
    let times: Vec<u128> = f.starts().iter().map(|s| s.1).collect();
    assert_eq!(times, [0, 0, 500, 1000, 1500, 2000]);
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

#[tokio::test(start_paused = true)]
async fn priority_orders_the_calls_waiting_for_a_limiter() {
    let f = Fakes::new();
    let src = "first = tracked(100, 0) with concurrency: 1\n\
               a = tracked(100, 1) with concurrency: 1, priority: low\n\
               b = tracked(100, 2) with concurrency: 1, priority: critical\n\
               c = tracked(100, 3) with concurrency: 1\n\
               d = tracked(100, 4) with concurrency: 1, priority: 90\n\
               out first\nout a\nout b\nout c\nout d\n";
    let outcome = f.run(src, "{}").await;
    assert_eq!(outcome.status(), Status::Completed);
    let order: Vec<i64> = f.starts().iter().map(|s| s.0).collect();
    assert_eq!(order, [0, 2, 4, 3, 1]);
}

#[tokio::test(start_paused = true)]
async fn a_lazy_call_runs_once_when_demanded_and_never_otherwise() {
    let f = Fakes::new();
    let src = "in flag: Boolean\n\
               unused = counted(1) with lazy\n\
               guarded = counted(2) with lazy\n\
               shared = counted(3) with lazy\n\
               r = guarded when flag\n\
               a = shared + 1\n\
               b = shared + 2\n\
               out r\nout a\nout b\n";
    let off = f.run(src, r#"{"flag": false}"#).await;
    assert_eq!(json(&off), r#"{"r":null,"a":31,"b":32}"#);
    assert_eq!((f.calls("counted 1"), f.calls("counted 2"), f.calls("counted 3")), (0, 0, 1));
    let on = f.run(src, r#"{"flag": true}"#).await;
    assert_eq!(json(&on), r#"{"r":20,"a":31,"b":32}"#);
    assert_eq!((f.calls("counted 1"), f.calls("counted 2"), f.calls("counted 3")), (0, 1, 2));
}

#[tokio::test(start_paused = true)]
async fn a_lazy_output_is_computed_and_a_lazy_failure_nobody_needs_is_harmless() {
    let f = Fakes::new();
    let outcome = f.run("bad = flaky(\"z\", 9) with lazy\nx = counted(7) with lazy\nout x\n", "{}").await;
    assert_eq!(outcome.status(), Status::Completed);
    assert_eq!(json(&outcome), r#"{"x":70}"#);
    assert_eq!(f.calls("z"), 0);
}

#[test]
fn lazy_calls_are_demanded_by_assignments_that_no_output_uses() {
    let engine = Engine::new();
    let p = engine.compile("t.cst", "in x: Int\nq = divide(x, 0) with lazy\nl = [q]\nout x\n").unwrap();
    let outcome = p.run_blocking(&p.parse_inputs(br#"{"x": 1}"#).unwrap());
    assert_eq!(outcome.status(), Status::Failed, "evaluating `l` runs the lazy call");
    let p = engine.compile("t.cst", "in x: Int\nq = divide(x, 0) with lazy\nout x\n").unwrap();
    assert_eq!(p.run_blocking(&p.parse_inputs(br#"{"x": 1}"#).unwrap()).status(), Status::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_cache_hit_still_takes_a_throttle_token() {
    let f = Fakes::new();
    let src = "x = tracked(0, 1) with cache: 1h, throttle: 1/1s\nout x\n";
    f.run(src, "{}").await;
    f.run(src, "{}").await;
    assert_eq!(f.starts().len(), 1, "the second run was a cache hit");
    assert_eq!(f.elapsed_ms(), 1000, "and it waited for its token");
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

#[tokio::test(start_paused = true)]
async fn a_higher_order_call_retries_its_whole_execution() {
    let f = Fakes::new();
    let outcome = f.run("xs = map([1, 2, 3], i => flaky(\"h\", 1) + i) with retry: 1\nout xs\n", "{}").await;
    assert_eq!(outcome.status(), Status::Completed, "{:?}", messages(&outcome));
    assert_eq!(f.calls("h"), 6, "the first attempt's failing element failed the whole call");
}

#[test]
fn a_higher_order_call_with_on_error_gives_its_zero_value() {
    let engine = Engine::new();
    let p = engine.compile("t.cst", "in d: Int\nxs = map([1, 2], i => i / d) with on_error: skip\nout xs\n").unwrap();
    let failed = p.run_blocking(&p.parse_inputs(br#"{"d": 0}"#).unwrap());
    assert_eq!((failed.status(), json(&failed)), (Status::Completed, r#"{"xs":[]}"#.to_string()));
    let ok = p.run_blocking(&p.parse_inputs(br#"{"d": 1}"#).unwrap());
    assert_eq!(json(&ok), r#"{"xs":[1,2]}"#);
}

#[tokio::test(start_paused = true)]
async fn a_cached_higher_order_call_is_keyed_by_its_arguments_and_captured_values() {
    let f = Fakes::new();
    let src = "in k: Int\nxs = map([1, 2], i => counted(i) + k) with cache: 1min\nout xs\n";
    assert_eq!(json(&f.run(src, r#"{"k": 1}"#).await), r#"{"xs":[11,21]}"#);
    assert_eq!(json(&f.run(src, r#"{"k": 1}"#).await), r#"{"xs":[11,21]}"#);
    assert_eq!(f.calls("counted 1"), 1);
    assert_eq!(json(&f.run(src, r#"{"k": 2}"#).await), r#"{"xs":[12,22]}"#);
    assert_eq!(f.calls("counted 1"), 2, "another captured value is another key");
}

#[tokio::test(start_paused = true)]
async fn a_lazy_failure_forced_inside_a_handled_call_is_still_the_runs_failure() {
    let f = Fakes::new();
    let src = "e = flaky(\"e\", 9) with lazy\nxs = map([1, 2], i => i + e) with on_error: skip\nout xs\n";
    let outcome = f.run(src, "{}").await;
    assert_eq!(outcome.status(), Status::Failed);
    assert_eq!(messages(&outcome), ["flaky: attempt 1 failed"], "recorded once, as the lazy call's failure");
    assert_eq!(outcome.errors()[0].line, 1);
    assert_eq!(json(&outcome), "{}", "the map needed the failed value: not its own failure to skip");
    assert_eq!(f.calls("e"), 1);
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

#[tokio::test(start_paused = true)]
async fn a_more_urgent_call_overtakes_the_call_already_waiting_for_a_throttle_token() {
    let f = Fakes::new();
    let src = "first = tracked(0, 0) with throttle: 1/200ms\n\
               low = tracked(0, first + 1) with throttle: 1/200ms, priority: low\n\
               high = tracked(0, sleepy(50, 2)) with throttle: 1/200ms, priority: critical\n\
               out low\nout high\n";
    assert_eq!(f.run(src, "{}").await.status(), Status::Completed);
    assert_eq!(f.starts(), [(0, 0), (2, 200), (1, 400)]);
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

#[test]
fn a_lazy_calls_arguments_are_deferred_with_it() {
    let engine = Engine::new();
    let run = |src: &str| {
        let p = engine.compile("t.cst", src).unwrap();
        p.run_blocking(&Inputs::default())
    };
    let never = run("lz = divide(1, 0) with lazy\n\
                     m1 = add(lz, 1) with lazy\n\
                     m2 = add(lz + 1, 1) with lazy\n\
                     m3 = add(divide(1, 0), 1) with lazy\n\
                     k = 1\nout k\n");
    assert_eq!((never.status(), json(&never)), (Status::Completed, r#"{"k":1}"#.to_string()));
    let demanded = run("m = add(divide(1, 0), 1) with lazy\nout m\n");
    assert_eq!(messages(&demanded), ["stdlib.math.divide: division by zero"]);
    assert_eq!(demanded.errors()[0].line, 1);
}

#[tokio::test(start_paused = true)]
async fn a_lazy_call_computes_its_arguments_only_when_demanded() {
    let f = Fakes::new();
    let src = "in flag: Boolean\n\
               x = counted(counted(1) + 1) with lazy\n\
               r = x when flag\n\
               out r\n";
    assert_eq!(json(&f.run(src, r#"{"flag": false}"#).await), r#"{"r":null}"#);
    assert_eq!((f.calls("counted 1"), f.calls("counted 11")), (0, 0));
    assert_eq!(json(&f.run(src, r#"{"flag": true}"#).await), r#"{"r":110}"#);
    assert_eq!((f.calls("counted 1"), f.calls("counted 11")), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn lazy_values_a_lambda_captures_run_before_the_call_its_timeout_and_its_limiters() {
    let f = Fakes::new();
    let src = "lz = counted(1) with lazy\n\
               a = map([1], j => j + lz) with timeout: 50ms\n\
               out a\n";
    let outcome = f.run(src, "{}").await;
    assert_eq!(json(&outcome), r#"{"a":[11]}"#, "{:?}", messages(&outcome));
    let src = "a0 = map([1], j => j) with lazy, concurrency: 1\n\
               a1 = map([1], j => j + list-sum(a0)) with lazy, concurrency: 1\n\
               out a1\n";
    let outcome = tokio::time::timeout(Duration::from_secs(60), f.run(src, "{}")).await;
    assert_eq!(outcome.map(|o| json(&o)).ok(), Some(r#"{"a1":[2]}"#.to_string()), "no deadlock on the permit");
}
