//! The load benchmark of `asterism serve` (issue 14), loopback only and bounded in time:
//!
//! - `asterism`: the server of `asterism::serve` with `examples/hello.cst` preloaded, answering
//!   `POST /execute {"ref":"hello","inputs":{"name":"Ada"}}` with the reference's document;
//! - `axum`: a bare axum handler on the same route answering the same JSON document — it parses
//!   the body with serde_json, builds the greeting with `format!` and the document with a fresh
//!   execution id — plain Rust doing what the pipeline does, through the same HTTP stack.
//!
//! Each server runs on its own tokio runtime of 2 worker threads; the client, on another of 2,
//! keeps `CONNECTIONS` keep-alive HTTP/1 connections (hyper's client, TCP_NODELAY), each sending
//! its next request as soon as the last answer was read (a closed loop), for `SECONDS` seconds
//! after a warm-up. Reported: runs per second, p50 and p99 of each request's time (from a
//! log-linear histogram, 1/64 resolution), the CPU time of the whole process (server and client)
//! per request, and the ratio asterism / axum. Then the resident set
//! (VmRSS of this process: both servers and the client, whose memory is fixed) after the warm-up
//! and after 1,000,000 more requests to the asterism server.
//!
//! Run with `cargo bench -p asterism-benches --bench serve`; `ASTERISM_BENCH_SECONDS` and
//! `ASTERISM_BENCH_REQUESTS` shorten it (the goal of issue 14: ≥ 40,000 runs/s, p99 ≤ 5 ms,
//! ≥ 0.8× axum, RSS flat).

#[path = "support/client.rs"]
mod client;

/// The allocator of the `asterism` binary, for the whole benchmark (both servers and the client).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asterism::Engine;
use asterism::histogram::Histogram;
use asterism::serve::{Config, Server};
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use client::connect;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const BODY: &str = r#"{"ref":"hello","inputs":{"name":"Ada"}}"#;
const HELLO: &str = include_str!("../../examples/hello.cst");

fn main() {
    let seconds = env_u64("ASTERISM_BENCH_SECONDS", 10);
    let requests = env_u64("ASTERISM_BENCH_REQUESTS", 1_000_000);
    let (ours_rt, bare_rt, client) = (runtime("asterism"), runtime("axum"), runtime("client"));
    let ours_addr = ours_rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::new(Engine::new(), Config::default());
        server.preload("hello", HELLO).unwrap();
        tokio::spawn(server.serve(listener, std::future::pending()));
        addr
    });
    let bare_addr = bare_rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/execute", axum::routing::post(bare));
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });

    client.block_on(async {
        for addr in [ours_addr, bare_addr] {
            load(addr, Duration::from_secs(2), None).await;
        }
        let mut results = Vec::new();
        // Alternate the two twice, so that drift of the machine falls on both.
        for round in 0..2 {
            for (name, addr) in [("asterism", ours_addr), ("axum", bare_addr)] {
                let cpu = cpu_seconds();
                let r = load(addr, Duration::from_secs(seconds) / 2, None).await;
                let cpu = (cpu_seconds() - cpu) / r.count as f64 * 1e6;
                println!(
                    "round {round} {name:>8}: {:>8.0} runs/s  p50 {:>7.1} µs  p99 {:>7.1} µs  CPU {cpu:.1} µs/request ({} requests, {} errors)",
                    r.per_second(),
                    r.quantile(0.50),
                    r.quantile(0.99),
                    r.count,
                    r.errors
                );
                results.push((name, r));
            }
        }
        let total = |n: &str| {
            let rs: Vec<&Outcome> = results.iter().filter(|(m, _)| *m == n).map(|(_, r)| r).collect();
            rs.iter().map(|r| r.count).sum::<u64>() as f64 / rs.iter().map(|r| r.took.as_secs_f64()).sum::<f64>()
        };
        let (a, b) = (total("asterism"), total("axum"));
        println!("asterism {a:.0} runs/s, axum {b:.0} runs/s: ratio {:.2}", a / b);

        let before = rss_kib();
        let r = load(ours_addr, Duration::ZERO, Some(requests)).await;
        let after = rss_kib();
        println!(
            "RSS after warm-up {before} KiB, after {} more requests {after} KiB ({:+} KiB); {:.0} runs/s, p99 {:.1} µs, {} errors",
            r.count,
            after as i64 - before as i64,
            r.per_second(),
            r.quantile(0.99),
            r.errors
        );
    });
    ours_rt.shutdown_background();
    bare_rt.shutdown_background();
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A runtime of 2 workers whose threads are named `name` (so profiles tell the three apart).
fn runtime(name: &str) -> tokio::runtime::Runtime {
    let builder = &mut tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).thread_name(name).enable_all().build().unwrap()
}

/// The bare handler: what the hello pipeline does, in plain Rust, with the same answer.
async fn bare(body: Bytes) -> Response {
    let request: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return Response::builder().status(400).body("bad".into()).unwrap(),
    };
    let name = request["inputs"]["name"].as_str().unwrap_or_default();
    let greeting = serde_json::Value::from(format!("Hello, {name}!"));
    let document = format!(
        "{{\"success\":true,\"outputs\":{{\"greeting\":{greeting}}},\"error\":null,\"status\":\"completed\",\"executionId\":\"{}\",\"missingInputs\":null,\"pendingOutputs\":null,\"resumptionCount\":0}}",
        uuid::Uuid::new_v4()
    );
    let mut response = Response::new(document.into());
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// What one load gave.
struct Outcome {
    count: u64,
    errors: u64,
    took: Duration,
    histogram: Histogram,
}

impl Outcome {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.took.as_secs_f64()
    }

    /// The `q` quantile of request times, in µs.
    fn quantile(&self, q: f64) -> f64 {
        self.histogram.quantile(q) as f64 / 1000.0
    }
}

/// `CONNECTIONS` closed loops against `addr` for `time`, or until `limit` requests in all.
async fn load(addr: SocketAddr, time: Duration, limit: Option<u64>) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let loops: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (stop, sent) = (stop.clone(), sent.clone());
            tokio::spawn(async move {
                let mut sender = connect(addr).await;
                let mut histogram = Histogram::default();
                let mut errors = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if limit.is_some_and(|l| sent.fetch_add(1, Ordering::Relaxed) >= l) {
                        break;
                    }
                    let t = Instant::now();
                    match call(&mut sender, addr).await {
                        true => histogram.record(t.elapsed().as_nanos() as u64),
                        false => {
                            errors += 1;
                            sender = connect(addr).await;
                        }
                    }
                }
                (histogram, errors)
            })
        })
        .collect();
    if limit.is_none() {
        tokio::time::sleep(time).await;
        stop.store(true, Ordering::Relaxed);
    }
    let mut histogram = Histogram::default();
    let mut errors = 0;
    for l in loops {
        let (h, e) = l.await.unwrap();
        histogram.merge(&h);
        errors += e;
    }
    Outcome { count: histogram.count(), errors, took: start.elapsed(), histogram }
}

/// One request, its answer read to the end; whether it was a 200.
async fn call(sender: &mut SendRequest<Full<Bytes>>, addr: SocketAddr) -> bool {
    let request = hyper::Request::post("/execute")
        .header(header::HOST, addr.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(BODY.as_bytes())))
        .unwrap();
    if sender.ready().await.is_err() {
        return false;
    }
    match sender.send_request(request).await {
        Ok(response) => {
            let ok = response.status() == 200;
            ok && response.into_body().collect().await.is_ok()
        }
        Err(_) => false,
    }
}

/// The CPU time this process used so far (user and system, all threads), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) start at its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// This process's resident set, in KiB (Linux; 0 elsewhere).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: 0 kB");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}
