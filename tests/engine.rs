//! The engine through the embedded API: compiling, hashing, storing and running pipelines.

use asterism::{DagSpec, Diagnostics, Engine, Inputs, Layout, Status, StreamEvent, Value};
use futures_util::StreamExt;
use std::time::Duration;

fn run(engine: &Engine, src: &str, inputs: &str) -> asterism::Outcome {
    let pipeline = engine.compile("test.cst", src).unwrap_or_else(|d| panic!("{d}"));
    let inputs = pipeline.parse_inputs(inputs.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
    pipeline.run_blocking(&inputs)
}

fn outputs(outcome: &asterism::Outcome) -> String {
    outcome.outputs_json(Layout::Compact)
}

#[test]
fn the_hash_covers_every_literal_and_is_stable() {
    let hash = |src: &str| Engine::new().compile("t.cst", src).unwrap().hash();
    let one = "in a: Int\nx = a + 1\nout x\n";
    assert_eq!(hash(one), hash(one), "the same source compiles to the same hash");
    assert_ne!(hash(one), hash("in a: Int\nx = a + 2\nout x\n"));
    assert_ne!(hash(one), hash("in a: Int\nx = a - 1\nout x\n"));
    assert_ne!(hash("in r: {a: Int}\nx = r.a\nout x\n"), hash("in r: {b: Int}\nx = r.b\nout x\n"));
    assert_ne!(
        hash("in a: Int\nx = add(a, 1) with retry: 1\nout x\n"),
        hash("in a: Int\nx = add(a, 1) with retry: 2\nout x\n")
    );
}

#[test]
fn a_dag_spec_written_to_disk_and_read_back_runs_identically() {
    let src = r#"
type Item = {name: String, price: Float, tags: List<String>}
in items: List<Item>
in limit: Float
cheap = filter(items, i => i.price <= limit)
labels = map(cheap, i => "${i.name}: ${if (list-is-empty(i.tags)) "-" else join(i.tags, "/")}")
kind = map(items, i => match (i.price > 10.0 when limit > 0.0) { _ -> 1 })
total = reduce(items, 0.0, (acc, i) => acc + i.price)
out labels
out kind
out total
"#;
    let inputs = r#"{"items": [{"name": "a", "price": 2.5, "tags": ["x", "y"]}, {"name": "b", "price": 20, "tags": []}], "limit": 10}"#;
    let engine = Engine::new();
    let pipeline = engine.compile("t.cst", src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.bin");
    std::fs::write(&path, pipeline.spec().encode()).unwrap();
    let spec = DagSpec::decode(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(&spec, pipeline.spec());
    let fresh = Engine::new();
    let loaded = fresh.load(spec).unwrap();
    assert_eq!(loaded.hash(), pipeline.hash());
    let parsed = |p: &asterism::Pipeline| p.parse_inputs(inputs.as_bytes()).unwrap();
    let a = outputs(&pipeline.run_blocking(&parsed(&pipeline)));
    let b = outputs(&loaded.run_blocking(&parsed(&loaded)));
    assert_eq!(a, b);
    assert_eq!(a, r#"{"labels":["a: x/y"],"kind":[1,1],"total":22.5}"#);
}

#[test]
fn a_corrupted_dag_spec_is_refused() {
    let engine = Engine::new();
    let pipeline = engine.compile("t.cst", "in a: Int\nx = a + 1\nout x\n").unwrap();
    let mut bytes = pipeline.spec().encode();
    bytes.truncate(bytes.len() / 2);
    assert!(DagSpec::decode(&bytes).is_err());
    let mut spec = pipeline.spec().clone();
    spec.graphs[0].nodes[0].inputs.push(7);
    assert!(engine.load(spec).is_err());

    // Option values the checker would refuse (a concurrency of 0 would wait forever).
    let limited = engine
        .compile(
            "t.cst",
            "in a: Int
x = add(a, 1) with concurrency: 2
out x
",
        )
        .unwrap();
    let mut spec = limited.spec().clone();
    for node in &mut spec.graphs[0].nodes {
        if let asterism_registry::dag::Op::Call(c) = &mut node.op {
            c.options.concurrency = Some(0);
        }
    }
    let refused = engine.load(spec).unwrap_err();
    assert!(refused.to_string().contains("option value out of range"), "{refused}");
}

#[test]
fn a_panicking_module_fails_its_call_not_the_process() {
    let mut engine = Engine::new();
    engine
        .register_fn("boom", &["x"], |x: i64| -> i64 {
            if x > 0 { panic!("kaboom") } else { x }
        })
        .unwrap();
    let outcome = run(&engine, "in x: Int\ny = boom(x)\nz = x + 1\nout y\nout z\n", r#"{"x": 1}"#);
    assert_eq!(outputs(&outcome), r#"{"z":2}"#);
    assert_eq!(outcome.errors()[0].message, "boom: module panicked: kaboom");
}

#[test]
fn module_results_are_checked_against_the_declared_type() {
    let mut engine = Engine::new();
    let liar = asterism::Module::sync(|_| Ok(Value::str("not a number")));
    engine.register_module("liar", "() -> Int", liar, "1").unwrap();
    let outcome = run(&engine, "x = liar()\nout x\n", "{}");
    assert_eq!(outcome.errors()[0].message, "liar: returned a value that does not match its declared type Int");
}

#[test]
fn host_functions_map_rust_types_to_language_types() {
    let mut engine = Engine::new();
    engine
        .register_fn("text.words", &["text"], |t: String| t.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .unwrap();
    engine
        .register_fn("ml.scale", &["v", "k"], |v: Vec<f64>, k: f64| -> Result<Vec<f64>, String> {
            if k == 0.0 { Err("k must not be 0".into()) } else { Ok(v.into_iter().map(|x| x * k).collect()) }
        })
        .unwrap();
    let src = "in t: String\nw = words(t)\ns = scale([1.0, 2.5], 2.0)\nf = scale([1.0], 0.0)\nout w\nout s\nout f\n";
    let outcome = run(&engine, src, r#"{"t": "a b  c"}"#);
    assert_eq!(outputs(&outcome), r#"{"w":["a","b","c"],"s":[2.0,5.0]}"#);
    assert_eq!(outcome.errors()[0].message, "ml.scale: k must not be 0");
}

fn async_engine() -> Engine {
    let mut engine = Engine::new();
    engine
        .register_async_fn("slow", &["ms", "v"], |ms: i64, v: i64| async move {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            v
        })
        .unwrap();
    engine
        .register_async_fn("slow_fail", &["ms"], |ms: i64| async move {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            Err::<i64, _>(format!("failed after {ms}ms"))
        })
        .unwrap();
    engine
}

#[tokio::test(start_paused = true)]
async fn outputs_stream_as_soon_as_they_are_ready() {
    let engine = async_engine();
    let pipeline = engine.compile("t.cst", "fast = slow(10, 1)\nlate = slow(500, 2)\nout late\nout fast\n").unwrap();
    let mut events = pipeline.run_stream(Inputs::default());
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            StreamEvent::Output { name, .. } => seen.push((name.to_string(), tokio::time::Instant::now())),
            StreamEvent::Done(outcome) => assert_eq!(outcome.status(), Status::Completed),
            StreamEvent::Partial { .. } => {}
        }
    }
    assert_eq!(seen.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["fast", "late"]);
    assert!(seen[1].1 - seen[0].1 >= Duration::from_millis(490));
}

#[test]
fn compile_errors_render_like_the_cli() {
    let err: Diagnostics = Engine::new().compile("t.cst", "in score: Int\nx = scroe\nout x\n").unwrap_err();
    assert!(err.render(false).starts_with("error[E001]: Undefined variable: scroe\n --> t.cst:2:5\n"));
}

#[test]
fn the_compile_cache_returns_the_same_pipeline() {
    let engine = Engine::new();
    let a = engine.compile("t.cst", "in a: Int\nout a\n").unwrap();
    let b = engine.compile("t.cst", "in a: Int\nout a\n").unwrap();
    assert_eq!(a.hash(), b.hash());
    assert_eq!(engine.compile_cache_stats(), (1, 1));
}

/// A reporter that keeps what it is given.
#[test]
fn an_engine_compiling_endless_distinct_sources_holds_a_bounded_set() {
    let engine = Engine::new();
    for n in 0..1_100 {
        let pipeline = engine.compile("n.cst", &format!("x = {n}\nout x\n")).unwrap();
        assert_eq!(outputs(&pipeline.run_blocking(&Default::default())), format!("{{\"x\":{n}}}"));
    }
    assert_eq!(engine.programs_held(), (1_024, 1_024));
}

fn collecting(engine: &mut Engine) -> std::sync::Arc<std::sync::Mutex<Vec<asterism::Notice>>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    engine.set_reporter(move |n: asterism::Notice| sink.lock().unwrap().push(n));
    seen
}

#[test]
fn notices_go_to_the_reporter_with_their_lines() {
    use asterism::{Notice, NoticeKind};
    let mut engine = Engine::new();
    let seen = collecting(&mut engine);
    let src = "in x: Int\na = log(\"first\")\nb = divide(x, 0) with on_error: log\nout a\nout b\n";
    let outcome = run(&engine, src, r#"{"x": 1}"#);
    assert_eq!(outputs(&outcome), r#"{"a":"first","b":0}"#);
    let notices = seen.lock().unwrap().clone();
    assert_eq!(
        notices,
        [
            Notice { kind: NoticeKind::Log, message: "first".into(), line: 2 },
            Notice { kind: NoticeKind::OnErrorLog, message: "stdlib.math.divide: division by zero".into(), line: 3 },
        ]
    );
    assert_eq!(notices[1].to_string(), "[asterism] stdlib.math.divide: division by zero (on_error: log)");
}

#[tokio::test(start_paused = true)]
async fn notices_of_waiting_calls_and_blocking_attempts_reach_the_reporter() {
    let mut engine = async_engine();
    let seen = collecting(&mut engine);
    // `timeout` runs the synchronous `log` on the blocking pool; the async call fails and logs.
    let src = "a = log(\"from the pool\") with timeout: 1s\nb = slow_fail(10) with on_error: log\nout a\nout b\n";
    let pipeline = engine.compile("t.cst", src).unwrap_or_else(|d| panic!("{d}"));
    let outcome = pipeline.run(&Inputs::default()).await;
    assert_eq!(outcome.status(), Status::Completed, "{:?}", outcome.errors());
    let mut lines: Vec<String> = seen.lock().unwrap().iter().map(|n| format!("{}: {n}", n.line)).collect();
    lines.sort();
    assert_eq!(lines, ["1: [asterism] from the pool", "2: [asterism] slow_fail: failed after 10ms (on_error: log)"]);
}

#[test]
fn a_skipped_call_of_type_nothing_reads_as_the_zero_value_of_where_it_goes() {
    let mut engine = Engine::new();
    let failing = asterism::Module::sync(|_| Err(asterism::ModuleError::new("never returns")));
    engine.register_module("never", "(x: Int) -> Nothing", failing, "1").unwrap();
    let src = "in c: Boolean\nn = never(1) with on_error: skip\nx = if (c) 7 else n\nxs = [n, 5]\nout x\nout xs\n";
    let outcome = run(&engine, src, r#"{"c": false}"#);
    assert_eq!(outcome.status(), Status::Completed, "{:?}", outcome.errors());
    assert_eq!(outputs(&outcome), r#"{"x":0,"xs":[0,5]}"#);
}

fn with_limits(max_memory: u64, max_time: Option<Duration>) -> Engine {
    let mut engine = Engine::new();
    engine.set_limits(asterism::Limits { max_memory, max_time });
    engine
}

/// A string doubled `n` times, and an output that does not need it.
fn doubling(n: usize) -> String {
    let mut src = String::from("s0 = \"abcdefghijklmnop\"\n");
    for i in 1..=n {
        src += &format!("s{i} = s{p} + s{p}\n", p = i - 1);
    }
    src + &format!("k = 1\nout s{n}\nout k\n")
}

#[test]
fn a_string_over_its_budget_fails_its_node_and_the_rest_arrives() {
    let outcome = run(&Engine::new(), &doubling(40), "{}");
    assert_eq!(outputs(&outcome), r#"{"k":1}"#);
    let message = &outcome.errors()[0].message;
    assert!(message.starts_with("value too large: a string of 536870912 bytes"), "{message}");
    assert_eq!(outcome.errors().len(), 1);
}

#[test]
fn values_over_the_memory_budget_fail_the_node_that_makes_them() {
    let outcome = run(&with_limits(1 << 20, None), &doubling(40), "{}");
    assert_eq!(outputs(&outcome), r#"{"k":1}"#, "nodes that make nothing still run");
    assert_eq!(
        outcome.errors().iter().map(|e| e.message.as_str()).collect::<Vec<_>>(),
        ["memory budget exceeded: the run's values take more than 1 MiB (--max-memory)"]
    );
}

#[test]
fn inputs_over_the_memory_budget_are_refused_as_they_are_read() {
    let p = with_limits(1 << 20, None).compile("t.cst", "in xs: List<String>\nn = list-length(xs)\nout n\n").unwrap();
    let doc = format!(r#"{{"xs": [{}]}}"#, vec!["\"some text\""; 100_000].join(","));
    let errors = p.parse_inputs(doc.as_bytes()).unwrap_err();
    assert_eq!(errors, ["inputs too large: their values take more than the memory budget of 1 MiB (--max-memory)"]);
    assert!(p.parse_inputs(br#"{"xs": ["a", "b"]}"#).is_ok());
}

#[test]
fn a_run_past_its_time_budget_stops_with_what_it_has() {
    let engine = with_limits(1 << 30, Some(Duration::from_millis(50)));
    let src = "in n: Int\nfast = n + 1\nxs = Range(0, n)\nys = map(xs, i => reduce(xs, 0, (a, j) => a + j * i))\nout fast\nout ys\n";
    let outcome = run(&engine, src, r#"{"n": 20000}"#);
    assert_eq!(outputs(&outcome), r#"{"fast":20001}"#);
    let message = &outcome.errors()[0].message;
    assert_eq!(message, "time budget exceeded: the run took longer than 50ms (--max-time)");
}

#[tokio::test(start_paused = true)]
async fn a_run_waiting_past_its_time_budget_ends_at_the_deadline() {
    let mut engine = async_engine();
    engine.set_limits(asterism::Limits { max_memory: 1 << 30, max_time: Some(Duration::from_secs(1)) });
    let pipeline = engine.compile("t.cst", "a = slow(100, 1)\nb = slow(10000, 2)\nout a\nout b\n").unwrap();
    let start = tokio::time::Instant::now();
    let outcome = pipeline.run(&Inputs::default()).await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(outputs(&outcome), r#"{"a":1}"#);
    assert_eq!(outcome.errors()[0].message, "time budget exceeded: the run took longer than 1s (--max-time)");
}
