//! What a manifest-bound module adds to the call it makes (issue: module manifests), in one run:
//!
//! - `http`: a one-node pipeline calling `svc.score`, bound to a hyper HTTP/1 server on
//!   127.0.0.1:0 that answers every POST with a fixed small JSON body at once, beside the same
//!   request (`POST {"text":"hello"}`, same headers, body read to the end) made directly with
//!   the client the `http` kind is built on: hyper's HTTP/1 client on one keep-alive connection
//!   (TCP_NODELAY, as the kind's pool sets it), without the pool, the manifest's timeout, the
//!   argument encoding or the typed reading of the answer;
//! - `process`: a one-node pipeline calling `svc.echo`, bound to a Python 3 worker (JSON lines
//!   over stdin/stdout, `instances = 1`), beside a raw round trip of the same request line to the
//!   same script through the same kind of pipes (write a line, read the answer line).
//!
//! Calls are sequential (one in flight) on a multi-thread tokio runtime, under `block_on` as a
//! host would make them; the process workload is measured again on a current-thread runtime,
//! for comparison. The direct and
//! Asterism variants alternate in rounds so that drift of the machine falls on both; each
//! reports the p50, mean and p99 of every call's time. The requirement is a ratio (Asterism /
//! direct) of at most 1.2. The worker is a minimal script in the style of docs/modules.md:
//! `print(…, flush=True)` writes each answer in two `write`s (the text, then the newline), for
//! both variants alike.
//!
//! Run with `cargo bench -p asterism-benches --bench bindings`.

#[path = "support/client.rs"]
mod client;

use asterism::{Engine, Inputs, Pipeline};
use client::connect;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{ChildStdin, ChildStdout};

/// The service's answer, and what the pipeline sends it.
const ANSWER: &str = r#"{"label":"a","score":0.5}"#;
const REQUEST: &str = r#"{"text":"hello"}"#;
const INPUTS: &[u8] = br#"{"text":"hello"}"#;

const WORKER: &str = r#"import json, sys
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "ok": req["args"]["text"]}), flush=True)
"#;

/// The size of a measurement: warm-up calls of each variant, then rounds of calls of each.
#[derive(Clone, Copy)]
struct Plan {
    warm_up: usize,
    rounds: usize,
    per_round: usize,
}

const FULL: Plan = Plan { warm_up: 500, rounds: 5, per_round: 2_000 };
/// `cargo test --benches` runs this without `--bench`: a few calls, to show it works.
const SMOKE: Plan = Plan { warm_up: 5, rounds: 1, per_round: 20 };

/// Per-call times of a variant.
struct Times(Vec<Duration>);

impl Times {
    fn p(&self, q: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let i = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
        sorted[i].as_secs_f64() * 1e6
    }

    fn mean(&self) -> f64 {
        self.0.iter().map(Duration::as_secs_f64).sum::<f64>() / self.0.len() as f64 * 1e6
    }
}

/// Times `plan.rounds × plan.per_round` sequential calls of `direct` and of `asterism`,
/// alternating round by round, after warming both up.
async fn measure<A, B, FA, FB>(plan: Plan, mut direct: A, mut asterism: B) -> (Times, Times)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: Future<Output = ()>,
    FB: Future<Output = ()>,
{
    for _ in 0..plan.warm_up {
        direct().await;
        asterism().await;
    }
    let total = plan.rounds * plan.per_round;
    let (mut d, mut a) = (Vec::with_capacity(total), Vec::with_capacity(total));
    for _ in 0..plan.rounds {
        for _ in 0..plan.per_round {
            let t = Instant::now();
            direct().await;
            d.push(t.elapsed());
        }
        for _ in 0..plan.per_round {
            let t = Instant::now();
            asterism().await;
            a.push(t.elapsed());
        }
    }
    (Times(d), Times(a))
}

fn engine_with(dir: &Path, manifest: &str, source: &str) -> Pipeline {
    let path = dir.join("asterism.toml");
    std::fs::write(&path, manifest).unwrap();
    let mut engine = Engine::new();
    engine.load_manifest(&path).unwrap_or_else(|e| panic!("{e:?}"));
    engine.compile("bench.cst", source).unwrap_or_else(|d| panic!("{d}"))
}

async fn run_ok(pipeline: &Pipeline, inputs: &Inputs) {
    let outcome = pipeline.run(inputs).await;
    assert!(outcome.errors().is_empty(), "{:?}", outcome.errors());
    black_box(outcome);
}

// ---- http ----

/// A server answering every request with `ANSWER` at once, after reading its body.
async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|req: Request<Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(ANSWER.as_bytes())))
                            .unwrap(),
                    )
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

/// `POST /score` with the body the pipeline sends, its answer read to the end.
async fn post(sender: &mut SendRequest<Full<Bytes>>, host: &str) {
    sender.ready().await.unwrap();
    let request = Request::post("/score")
        .header(HOST, host)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(REQUEST.as_bytes())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert!(response.status().is_success());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), ANSWER.len());
}

async fn http(plan: Plan, dir: &Path) -> (Times, Times) {
    let addr = server().await;
    let (host, url) = (addr.to_string(), format!("http://{addr}/score"));
    // The mutex is never contended: it lends the connection to one call at a time.
    let sender = tokio::sync::Mutex::new(connect(addr).await);
    let direct = || async { post(&mut *sender.lock().await, &host).await };
    let manifest = format!(
        "[modules.\"svc.score\"]\nkind = \"http\"\nurl = \"{url}\"\nsignature = \"(text: String) -> {{ label: String, score: Float }}\"\n"
    );
    let pipeline = engine_with(dir, &manifest, "in text: String\nr = score(text)\nout r\n");
    let inputs = pipeline.parse_inputs(INPUTS).unwrap();
    let first = pipeline.run(&inputs).await;
    assert_eq!(first.outputs_json(asterism::Layout::Compact), r#"{"r":{"label":"a","score":0.5}}"#);
    measure(plan, direct, || run_ok(&pipeline, &inputs)).await
}

// ---- process ----

/// The worker script started directly, its pipes ready for raw round trips.
struct Raw {
    _child: tokio::process::Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    line: String,
    next: u64,
}

impl Raw {
    fn start(dir: &Path) -> Raw {
        let mut child = tokio::process::Command::new("python3")
            .arg("echo.py")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 starts");
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        Raw { _child: child, stdin, stdout: BufReader::new(stdout), line: String::new(), next: 1 }
    }

    /// One request line written, one answer line read.
    async fn round_trip(&mut self) {
        let request = format!("{{\"id\":{},\"args\":{REQUEST}}}\n", self.next);
        self.next += 1;
        self.stdin.write_all(request.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
        self.line.clear();
        self.stdout.read_line(&mut self.line).await.unwrap();
        assert!(self.line.ends_with("\"hello\"}\n"), "{}", self.line);
    }
}

async fn process(plan: Plan, dir: &Path) -> (Times, Times) {
    std::fs::write(dir.join("echo.py"), WORKER).unwrap();
    let raw = tokio::sync::Mutex::new(Raw::start(dir));
    let manifest = "[modules.\"svc.echo\"]\nkind = \"process\"\ncommand = [\"python3\", \"echo.py\"]\ninstances = 1\nsignature = \"(text: String) -> String\"\n";
    let pipeline = engine_with(dir, manifest, "in text: String\nr = echo(text)\nout r\n");
    let inputs = pipeline.parse_inputs(INPUTS).unwrap();
    let first = pipeline.run(&inputs).await;
    assert_eq!(first.outputs_json(asterism::Layout::Compact), r#"{"r":"hello"}"#);
    // The mutex is never contended: it lends the pipes to one call at a time.
    measure(plan, || async { raw.lock().await.round_trip().await }, || run_ok(&pipeline, &inputs)).await
}

fn row(workload: &str, direct: &str, (d, a): &(Times, Times)) {
    let (rp, rm) = (a.p(0.5) / d.p(0.5), a.mean() / d.mean());
    let verdict = if rp <= 1.2 && rm <= 1.2 { "≤ 1.2×" } else { "ABOVE 1.2×" };
    println!(
        "{workload:<9} {direct:<16} {:>8.1} {:>8.1} {:>8.1} │ {:>8.1} {:>8.1} {:>8.1} │ {rp:>6.2}× {rm:>6.2}×  {verdict}",
        d.p(0.5),
        d.mean(),
        d.p(0.99),
        a.p(0.5),
        a.mean(),
        a.p(0.99),
    );
}

fn main() {
    let plan = if std::env::args().any(|a| a == "--bench") { FULL } else { SMOKE };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (on_http, on_process) = rt.block_on(async { (http(plan, dir.path()).await, process(plan, dir.path()).await) });
    drop(rt);
    // For comparison: the same process workload where the worker's reader task shares the
    // caller's thread (no wake-up crosses threads).
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let on_process_current = current.block_on(process(plan, dir.path()));
    let calls = plan.rounds * plan.per_round;
    println!(
        "\nmanifest-bound modules: {calls} sequential calls of each variant (after {} warm-up), multi-thread runtime",
        plan.warm_up
    );
    println!(
        "times in µs per call                 direct / raw          │         via Asterism         │  Asterism / direct"
    );
    println!(
        "{:<9} {:<16} {:>8} {:>8} {:>8} │ {:>8} {:>8} {:>8} │ {:>7} {:>7}",
        "workload", "direct variant", "p50", "mean", "p99", "p50", "mean", "p99", "p50", "mean"
    );
    row("http", "hyper POST", &on_http);
    row("process", "raw line (pipe)", &on_process);
    row("process¹", "raw line (pipe)", &on_process_current);
    println!("¹ on a current-thread runtime instead, for comparison");
    println!("(whole benchmark: {:.1} s)", started.elapsed().as_secs_f64());
}
