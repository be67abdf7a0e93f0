//! Engine benchmarks: the reference's workloads (DESIGN.md §7).
//!
//! - chains of N string modules, Uppercase/Lowercase alternating (N = 1, 10, 100, 500);
//! - fan-out: one input, 50 branches of 10 chained modules, 50 outputs;
//! - a 1-node pipeline run 10,000 times in a row (p50/p99 printed);
//! - 1,000 concurrent runs of a small pipeline on a multi-threaded runtime;
//! - the asynchronous scheduler: a chain of 100 async host functions (ready futures), the same
//!   chain with a `timeout` on every call (the path of calls whose options wait), and a 1-node
//!   async run, on a current-thread runtime;
//! - compiling a ~80-line program cold and from the cache;
//! - JSON inputs: a 1 KB record, and 500 × 1536 floats at full precision (~16 MB).

use asterism::{Engine, Inputs, Pipeline};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../shapes/chain.rs"]
mod chain;
#[path = "../shapes/fan_out.rs"]
mod fan_out;
use chain::chain;
use fan_out::fan_out_of;

fn pipeline(engine: &Engine, src: &str) -> (Pipeline, Inputs) {
    let p = engine.compile("bench.cst", src).unwrap_or_else(|d| panic!("{d}"));
    let inputs = p.parse_inputs(br#"{"text": "Hello, Asterism"}"#).unwrap();
    (p, inputs)
}

fn chains(c: &mut Criterion) {
    let engine = Engine::new();
    let mut group = c.benchmark_group("chain");
    for n in [1, 10, 100, 500] {
        let (p, inputs) = pipeline(&engine, &chain(n, "Uppercase", "Lowercase"));
        group.throughput(Throughput::Elements(n as u64));
        group
            .bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| b.iter(|| p.run_blocking(black_box(&inputs))));
    }
    group.finish();
    let (p, inputs) = pipeline(&engine, &fan_out_of(50, 10, "Uppercase", "Lowercase"));
    c.bench_function("fan-out 50x10", |b| b.iter(|| p.run_blocking(black_box(&inputs))));
}

/// The chain with every call an async host function, and optionally options on every call.
fn async_chain(n: usize, options: &str) -> String {
    let mut src = String::from("in text: String\nc0 = up(text)\n");
    for i in 1..n {
        let f = if i % 2 == 0 { "up" } else { "down" };
        src.push_str(&format!("c{i} = {f}(c{}){options}\n", i - 1));
    }
    src.push_str(&format!("out c{}\n", n - 1));
    src
}

fn asynchronous(c: &mut Criterion) {
    let mut engine = Engine::new();
    engine.register_async_fn("up", &["text"], |t: String| async move { t.to_uppercase() }).unwrap();
    engine.register_async_fn("down", &["text"], |t: String| async move { t.to_lowercase() }).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut group = c.benchmark_group("async");
    for (name, n, options) in
        [("chain/100", 100, ""), ("timeout chain/100", 100, " with timeout: 10s"), ("1-node", 1, "")]
    {
        let (p, inputs) = pipeline(&engine, &async_chain(n, options));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(name, |b| b.iter(|| rt.block_on(p.run(black_box(&inputs)))));
    }
    group.finish();
}

/// 10,000 sequential runs of a 1-node pipeline; prints the latency percentiles.
fn sequential(c: &mut Criterion) {
    let engine = Engine::new();
    let (p, inputs) = pipeline(&engine, &chain(1, "Uppercase", "Lowercase"));
    let mut samples: Vec<Duration> = Vec::with_capacity(10_000);
    for _ in 0..1_000 {
        black_box(p.run_blocking(&inputs));
    }
    for _ in 0..10_000 {
        let t = Instant::now();
        black_box(p.run_blocking(&inputs));
        samples.push(t.elapsed());
    }
    samples.sort();
    println!(
        "1-node pipeline, 10,000 sequential runs: p50 {:?}, p99 {:?}, max {:?}",
        samples[5_000], samples[9_900], samples[9_999]
    );
    c.bench_function("1-node run", |b| b.iter(|| p.run_blocking(black_box(&inputs))));
}

/// 1,000 runs in flight at once on a multi-threaded tokio runtime.
fn concurrent(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let engine = Engine::new();
    let (p, inputs) = pipeline(&engine, &chain(10, "Uppercase", "Lowercase"));
    c.bench_function("1000 concurrent runs (chain of 10)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let runs: Vec<_> = (0..1_000)
                    .map(|_| {
                        let (p, inputs) = (p.clone(), inputs.clone());
                        tokio::spawn(async move { p.run(&inputs).await })
                    })
                    .collect();
                for r in futures_util::future::join_all(runs).await {
                    black_box(r.unwrap());
                }
            })
        })
    });
}

fn compile(c: &mut Criterion) {
    let src = include_str!("../programs/medium.cst");
    let mut group = c.benchmark_group("compile medium");
    group.bench_function("cold", |b| b.iter(|| Engine::new().compile("m.cst", black_box(src)).unwrap()));
    let engine = Engine::new();
    engine.compile("m.cst", src).unwrap();
    group.bench_function("cache hit", |b| b.iter(|| engine.compile("m.cst", black_box(src)).unwrap()));
    group.bench_function("new engine", |b| b.iter(Engine::new));
    group.finish();
}

fn json(c: &mut Criterion) {
    let engine = Engine::new();
    let record = engine
        .compile(
            "r.cst",
            "type Item = {sku: String, qty: Int, price: Float, tags: List<String>}\n\
             in order: {id: String, customer: {name: String, email: String, vip: Boolean}, items: List<Item>, notes: Optional<String>}\n\
             out order\n",
        )
        .unwrap();
    let item = r#"{"sku": "SKU-000123", "qty": 3, "price": 19.99, "tags": ["red", "large", "sale"]}"#;
    let doc = format!(
        r#"{{"order": {{"id": "ord-42", "customer": {{"name": "Ada Lovelace", "email": "ada@example.com", "vip": true}}, "items": [{}], "notes": "leave at the door"}}}}"#,
        [item; 10].join(", ")
    );
    let embeddings =
        engine.compile("e.cst", "in vectors: List<List<Float>>\nn = list-length(vectors)\nout n\n").unwrap();
    // 500 vectors of 1,536 floats written at full precision (shortest round-trip form, 16-19
    // significant digits), as an embedding model's batch is: about 16 MB.
    let row = |r: usize| {
        let xs: Vec<String> = (0..1536).map(|i| format!("{:?}", ((r * 1536 + i) as f64 * 0.37).sin())).collect();
        format!("[{}]", xs.join(","))
    };
    let big = format!(r#"{{"vectors": [{}]}}"#, (0..500).map(row).collect::<Vec<_>>().join(","));
    let mut group = c.benchmark_group("json inputs");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function(format!("record {} B", doc.len()), |b| {
        b.iter(|| record.parse_inputs(black_box(doc.as_bytes())).unwrap())
    });
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.sample_size(20);
    group.bench_function(format!("500x1536 full-precision floats {} KB", big.len() / 1024), |b| {
        b.iter(|| embeddings.parse_inputs(black_box(big.as_bytes())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, chains, asynchronous, sequential, concurrent, compile, json);
criterion_main!(benches);
