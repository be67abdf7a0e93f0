//! Dynamic batching (SPEC §6.4 `batch`, `batch_timeout`) through the embedded API, on a paused
//! clock: when a batch leaves, what it holds, and how its failures reach each member.

use asterism::{Engine, Layout, Outcome, Status};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Each batch the module was given: when (since the test started) and its items.
type Seen = Arc<Mutex<Vec<(Duration, Vec<i64>)>>>;

/// An engine with `m.double(x: Int) -> Int` batched; a batch holding a negative number fails.
fn engine() -> (Engine, Seen) {
    let seen: Seen = Arc::default();
    let start = Instant::now();
    let log = seen.clone();
    let mut engine = Engine::new();
    engine
        .register_batched_fn("m.double", "x", Some(64), move |xs: Vec<i64>| {
            log.lock().unwrap().push((start.elapsed(), xs.clone()));
            async move {
                match xs.iter().any(|&x| x < 0) {
                    true => Err("negative input".to_string()),
                    false => Ok(xs.iter().map(|x| x * 2).collect::<Vec<i64>>()),
                }
            }
        })
        .unwrap();
    (engine, seen)
}

async fn run(engine: &Engine, source: &str, inputs: &str) -> Outcome {
    let pipeline = engine.compile("t.cst", source).unwrap_or_else(|d| panic!("{d}"));
    assert!(pipeline.warnings().is_empty(), "{}", pipeline.warnings());
    pipeline.run(&pipeline.parse_inputs(inputs.as_bytes()).unwrap()).await
}

const MAP: &str = "in xs: List<Int>\nys = map(xs, (x) => double(x) with batch: 32, batch_timeout: 50ms)\nout ys\n";

fn items(n: i64) -> String {
    format!("{{\"xs\": {:?}}}", (1..=n).collect::<Vec<_>>())
}

fn sizes(seen: &Seen) -> Vec<(u128, usize)> {
    seen.lock().unwrap().iter().map(|(at, xs)| (at.as_millis(), xs.len())).collect()
}

#[tokio::test(start_paused = true)]
async fn a_lone_call_leaves_at_exactly_the_batch_timeout() {
    let (engine, seen) = engine();
    let outcome = run(&engine, MAP, &items(1)).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"ys":[2]}"#);
    assert_eq!(sizes(&seen), [(50, 1)]);
}

#[tokio::test(start_paused = true)]
async fn a_full_batch_leaves_at_once_and_the_rest_waits() {
    let (engine, seen) = engine();
    let outcome = run(&engine, MAP, &items(32)).await;
    assert_eq!(outcome.status(), Status::Completed);
    assert_eq!(sizes(&seen), [(0, 32)], "32 calls, one batch, no wait");
    seen.lock().unwrap().clear();
    let outcome = run(&engine, MAP, &items(33)).await;
    let doubled: Vec<i64> = (1..=33).map(|x| x * 2).collect();
    assert_eq!(outcome.outputs_json(Layout::Compact), format!("{{\"ys\":{doubled:?}}}").replace(' ', ""));
    let batches = sizes(&seen);
    assert_eq!(batches.iter().map(|b| b.1).collect::<Vec<_>>(), [32, 1], "33 calls, two batches: {batches:?}");
    assert_eq!(batches[1].0 - batches[0].0, 50, "the 33rd waits for its batch's timeout");
    let stats = engine.batch_stats();
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].0.as_str(), stats[0].1.batches, stats[0].1.executions), ("m.double", 3, 65));
    assert_eq!(stats[0].1.sizes.get(&32), Some(&2));
}

#[tokio::test(start_paused = true)]
async fn concurrent_runs_of_one_engine_share_a_batch() {
    let (engine, seen) = engine();
    let source = "in x: Int\ny = double(x) with batch: 2, batch_timeout: 1s\nout y\n";
    let (a, b) = tokio::join!(run(&engine, source, r#"{"x": 1}"#), run(&engine, source, r#"{"x": 5}"#));
    assert_eq!(a.outputs_json(Layout::Compact), r#"{"y":2}"#);
    assert_eq!(b.outputs_json(Layout::Compact), r#"{"y":10}"#);
    assert_eq!(sizes(&seen), [(0, 2)]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_batch_fails_each_member_and_their_options_handle_it() {
    let (engine, _) = engine();
    let source = "in xs: List<Int>\nys = map(xs, (x) => double(x) with batch: 4, fallback: 0)\nout ys\n";
    let outcome = run(&engine, source, r#"{"xs": [1, -1, 3, 4, 5]}"#).await;
    // The first four share the failed request; the fifth is a batch of its own.
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"ys":[0,0,0,0,10]}"#);
    let source = "in xs: List<Int>\nys = map(xs, (x) => double(x) with batch: 2)\nout ys\n";
    let outcome = run(&engine, source, r#"{"xs": [1, -1]}"#).await;
    assert_eq!(outcome.errors()[0].message, "m.double: negative input");
}

#[tokio::test(start_paused = true)]
async fn without_batch_a_batched_function_is_called_alone_at_once() {
    let (engine, seen) = engine();
    let outcome = run(&engine, "in x: Int\ny = double(x)\nout y\n", r#"{"x": 4}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"y":8}"#);
    assert_eq!(sizes(&seen), [(0, 1)]);
    // The binding's own maximum caps the batch a call asks for.
    seen.lock().unwrap().clear();
    let source = "in xs: List<Int>\nys = map(xs, (x) => double(x) with batch: 1000, batch_timeout: 10ms)\nout ys\n";
    assert_eq!(run(&engine, source, &items(100)).await.status(), Status::Completed);
    assert_eq!(sizes(&seen).iter().map(|b| b.1).collect::<Vec<_>>(), [64, 36]);
}

#[tokio::test(start_paused = true)]
async fn an_answer_of_the_wrong_length_fails_every_member() {
    let mut engine = Engine::new();
    engine
        .register_batched_fn("m.short", "x", None, |xs: Vec<i64>| async move {
            Ok::<_, String>(xs.into_iter().skip(1).collect::<Vec<i64>>())
        })
        .unwrap();
    let source = "in xs: List<Int>\nys = map(xs, (x) => short(x) with batch: 3, on_error: skip)\nz = short(1) with batch: 3\nout ys\nout z\n";
    let outcome = run(&engine, source, r#"{"xs": [1, 2]}"#).await;
    assert_eq!(outcome.errors()[0].message, "m.short: answered 2 values for a batch of 3");
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"ys":[0,0]}"#);
}
