//! What dynamic batching (SPEC §6.4 `batch`) buys against a model server, in one run.
//!
//! A fake model server on 127.0.0.1:0 works like an accelerator: one request at a time, each
//! costing 2 ms plus 20 µs per item. Two entries of one manifest bind it: `model.embed` sends one
//! item per request; `model.embed_batched` sets `max_batch = 32` and sends arrays. The same
//! pipeline — `map` over 1,000 texts, each element one call, at most 64 in flight — runs once with
//! each: unbatched, and `with batch: 32, batch_timeout: 50ms`. Printed: the wall time of each, the
//! throughput (calls per second), the ratio (the issue asks for ≥ 10×), and the batches sent.
//!
//! Run with `cargo bench -p asterism-benches --bench batching`.

use asterism::{Engine, Layout};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const PER_REQUEST: Duration = Duration::from_millis(2);
const PER_ITEM: Duration = Duration::from_micros(20);

/// The fake model server: an object `{"text": …}` or an array of them in, the text's length (or
/// an array of them) out, one request at a time.
async fn model_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let device = Arc::new(Mutex::new(()));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            let device = device.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let device = device.clone();
                    async move {
                        let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                        let texts: Vec<&serde_json::Value> = match &json {
                            serde_json::Value::Array(items) => items.iter().collect(),
                            one => vec![one],
                        };
                        let lengths: Vec<usize> =
                            texts.iter().map(|t| t["text"].as_str().map_or(0, str::len)).collect();
                        let cost = PER_REQUEST + PER_ITEM * lengths.len() as u32;
                        // The device runs one request at a time.
                        let _ = tokio::task::spawn_blocking(move || {
                            let _busy = device.lock();
                            std::thread::sleep(cost);
                        })
                        .await;
                        let answer = match json {
                            serde_json::Value::Array(_) => serde_json::to_string(&lengths).unwrap(),
                            _ => lengths[0].to_string(),
                        };
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(answer))))
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

async fn timed(engine: &Engine, source: &str, inputs: &[u8]) -> Duration {
    let pipeline = engine.compile("bench.cst", source).unwrap_or_else(|d| panic!("{d}"));
    let inputs = pipeline.parse_inputs(inputs).unwrap();
    let started = Instant::now();
    let outcome = pipeline.run(&inputs).await;
    let elapsed = started.elapsed();
    assert!(outcome.errors().is_empty(), "{:?}", &outcome.errors()[..1]);
    assert!(outcome.outputs_json(Layout::Compact).starts_with(r#"{"ns":[1,1,1,1,1,1,1,1,1,1,2"#));
    elapsed
}

fn main() {
    let calls = if std::env::args().any(|a| a == "--bench") { 1000 } else { 40 };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let addr = model_server().await;
        let manifest = format!(
            "[modules.\"model.embed\"]\nkind = \"http\"\nurl = \"http://{addr}/embed\"\nsignature = \"(text: String) -> Int\"\n\n\
             [modules.\"model.embed_batched\"]\nkind = \"http\"\nurl = \"http://{addr}/embed\"\nsignature = \"(text: String) -> Int\"\nmax_batch = 32\n"
        );
        std::fs::write(dir.path().join("asterism.toml"), manifest).unwrap();
        let mut engine = Engine::new();
        engine.load_manifest(dir.path().join("asterism.toml")).unwrap();
        let texts: Vec<String> = (0..calls).map(|i| i.to_string()).collect();
        let inputs = serde_json::json!({ "texts": texts }).to_string();
        let plain = "in texts: List<String>\nns = map(texts, (t) => embed(t) with concurrency: 64)\nout ns\n";
        let batched = "in texts: List<String>\nns = map(texts, (t) => embed_batched(t) with batch: 32, batch_timeout: 50ms, concurrency: 64)\nout ns\n";
        let unbatched = timed(&engine, plain, inputs.as_bytes()).await;
        let with_batches = timed(&engine, batched, inputs.as_bytes()).await;
        let rate = |d: Duration| calls as f64 / d.as_secs_f64();
        println!("\n{calls} concurrent single-item calls to a model server costing 2 ms per request + 20 µs per item");
        println!("{:<34} {:>10} {:>14}", "variant", "wall ms", "calls / s");
        println!("{:<34} {:>10.1} {:>14.0}", "unbatched", unbatched.as_secs_f64() * 1e3, rate(unbatched));
        println!(
            "{:<34} {:>10.1} {:>14.0}",
            "batch: 32, batch_timeout: 50ms",
            with_batches.as_secs_f64() * 1e3,
            rate(with_batches)
        );
        println!("throughput ratio: {:.1}× (the issue asks for ≥ 10×)", rate(with_batches) / rate(unbatched));
        for (name, s) in engine.batch_stats() {
            let sizes: Vec<String> = s.sizes.iter().rev().map(|(size, n)| format!("{size}×{n}")).collect();
            println!("batches of {name}: {} for {} calls (sizes: {})", s.batches, s.executions, sizes.join(", "));
        }
    });
}
