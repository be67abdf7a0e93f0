//! Kind `process` against real worker processes (Python 3): answers, pooling, and every way a
//! worker can misbehave — exiting mid-call, never answering, writing garbage, answering late or
//! wrongly — failing only the calls it holds while the rest of the run, and later runs, go on.

use asterism::{Engine, Layout, Notice, Outcome, Status};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A worker whose behaviour the argument text chooses; every request on its own thread.
const WORKER: &str = r#"
import json, os, sys, threading, time
lock = threading.Lock()
pair = threading.Barrier(2, timeout=10)
def reply(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()
def handle(req):
    i, text = req["id"], req["args"]["text"]
    if text == "die":
        os._exit(3)
    if text == "hang":
        return
    if text == "garbage":
        with lock:
            sys.stdout.write("hello\n")
            sys.stdout.flush()
        return
    if text == "error":
        return reply({"id": i, "error": "bad input"})
    if text == "wrong":
        return reply({"id": i, "ok": 5})
    if text.startswith("sleep "):
        time.sleep(float(text[6:]))
    if text == "pid":
        return reply({"id": i, "ok": str(os.getpid())})
    if text == "pair":
        try:
            pair.wait()
            return reply({"id": i, "ok": "together"})
        except threading.BrokenBarrierError:
            return reply({"id": i, "error": "alone"})
    print("got " + text, file=sys.stderr, flush=True)
    reply({"id": i, "ok": text.upper()})
for line in sys.stdin:
    threading.Thread(target=handle, args=(json.loads(line),)).start()
"#;

/// An engine bound to the worker with these extra manifest settings; its notices collected.
fn engine(dir: &Path, settings: &str) -> (Engine, Arc<Mutex<Vec<Notice>>>) {
    std::fs::write(dir.join("worker.py"), WORKER).unwrap();
    let manifest = format!(
        "[modules.\"demo.echo\"]\nkind = \"process\"\nsignature = \"(text: String) -> String\"\ncommand = [\"python3\", \"worker.py\"]\n{settings}\n"
    );
    std::fs::write(dir.join("asterism.toml"), manifest).unwrap();
    let mut engine = Engine::new();
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    engine.set_reporter(move |n: Notice| sink.lock().unwrap().push(n));
    engine.load_manifest(dir.join("asterism.toml")).unwrap();
    (engine, notices)
}

async fn run(engine: &Engine, source: &str, inputs: &str) -> Outcome {
    let pipeline = engine.compile("t.cst", source).unwrap_or_else(|d| panic!("{d}"));
    let inputs = pipeline.parse_inputs(inputs.as_bytes()).unwrap();
    pipeline.run(&inputs).await
}

const ONE: &str = "in text: String\nr = echo(text)\nout r\n";

async fn one(engine: &Engine, text: &str) -> Result<String, String> {
    let outcome = run(engine, ONE, &format!("{{\"text\": {text:?}}}")).await;
    match outcome.status() {
        Status::Completed => Ok(outcome.outputs_json(Layout::Compact)),
        Status::Failed => Err(outcome.errors().iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_answers_and_its_standard_error_reaches_the_reporter() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, notices) = engine(dir.path(), "");
    assert_eq!(one(&engine, "hi").await, Ok(r#"{"r":"HI"}"#.to_string()));
    let said = |n: &Notice| n.to_string() == "[demo.echo] got hi";
    for _ in 0..100 {
        if notices.lock().unwrap().iter().any(said) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no stderr line: {:?}", notices.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_serves_calls_one_after_another_and_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "");
    // Started once, not per call.
    let first = one(&engine, "pid").await.unwrap();
    assert_eq!(one(&engine, "pid").await.unwrap(), first);
    // Two requests in flight on the one worker at once: each waits for the other.
    let source = "in a: String\nin b: String\nx = echo(a)\ny = echo(b)\nout x\nout y\n";
    let outcome = run(&engine, source, r#"{"a": "pair", "b": "pair"}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"x":"together","y":"together"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_worker_makes_room_for_another_instance() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "instances = 2");
    let source = "in a: String\nin b: String\nx = echo(a)\ny = echo(b)\nout x\nout y\n";
    // The first call holds its worker; the second starts the other instance.
    let outcome = run(&engine, source, r#"{"a": "sleep 0.3", "b": "pid"}"#).await;
    let first = one(&engine, "pid").await.unwrap();
    let second = outcome.get("y").and_then(|v| v.as_str().map(str::to_string)).unwrap();
    assert!(!first.contains(&second), "two workers: {first} and {second}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_dies_mid_call_fails_that_call_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "");
    let before = one(&engine, "pid").await.unwrap();
    let source = "in a: String\nin b: String\nx = echo(a)\ny = b + \"!\"\nout x\nout y\n";
    let outcome = run(&engine, source, r#"{"a": "die", "b": "kept"}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"y":"kept!"}"#, "the run's other outputs arrive");
    let message = &outcome.errors()[0].message;
    assert!(message.starts_with("demo.echo: the worker exited (exit status: 3)"), "{message}");
    let after = one(&engine, "pid").await.unwrap();
    assert_ne!(after, before, "a new worker took its place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_never_answers_is_stopped_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "timeout = \"300ms\"");
    // Started and answering: from now on a request unanswered for 300ms means a hung worker.
    assert_eq!(one(&engine, "fine").await, Ok(r#"{"r":"FINE"}"#.to_string()));
    let e = one(&engine, "hang").await.unwrap_err();
    assert!(e.contains("held a request for 300ms without answering"), "{e}");
    // Its replacement's start-up does not count against the 300ms (start_timeout, 60s).
    assert_eq!(one(&engine, "fine").await, Ok(r#"{"r":"FINE"}"#.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_never_starts_answering_is_stopped_after_the_start_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "timeout = \"100ms\"\nstart_timeout = \"400ms\"");
    let e = one(&engine, "hang").await.unwrap_err();
    assert!(e.contains("gave no answer within 400ms of starting (start_timeout)"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_writing_garbage_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "");
    let e = one(&engine, "garbage").await.unwrap_err();
    assert_eq!(e, "demo.echo: the worker wrote a line that is not an answer: hello");
    assert_eq!(one(&engine, "fine").await, Ok(r#"{"r":"FINE"}"#.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers_and_wrong_values_fail_only_their_call() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "");
    assert_eq!(one(&engine, "error").await, Err("demo.echo: bad input".to_string()));
    let e = one(&engine, "wrong").await.unwrap_err();
    assert_eq!(e, "demo.echo: the answer is not a String: expected String, got Number");
    // Options apply as to any call.
    let source = "in text: String\nr = echo(text) with retry: 1, fallback: \"fb\"\nout r\n";
    let outcome = run(&engine, source, r#"{"text": "error"}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"r":"fb"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_calls_timeout_is_dropped_and_the_worker_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = engine(dir.path(), "");
    let pid = one(&engine, "pid").await.unwrap();
    let source = "in text: String\nr = echo(text) with timeout: 100ms\nout r\n";
    let outcome = run(&engine, source, r#"{"text": "sleep 0.3"}"#).await;
    assert_eq!(outcome.errors()[0].message, "demo.echo: timed out after 100ms");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(one(&engine, "pid").await.unwrap(), pid, "the late answer did not upset the worker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_cannot_start_fails_its_calls_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "[modules.\"demo.echo\"]\nkind = \"process\"\nsignature = \"(text: String) -> String\"\ncommand = [\"./no-such-worker\"]\n";
    std::fs::write(dir.path().join("asterism.toml"), manifest).unwrap();
    let mut engine = Engine::new();
    engine.load_manifest(dir.path().join("asterism.toml")).unwrap();
    let e = one(&engine, "x").await.unwrap_err();
    assert!(e.starts_with("demo.echo: cannot start worker './no-such-worker': "), "{e}");
}
