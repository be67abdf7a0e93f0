//! Modules of kind `http` (docs/modules.md) against real servers on 127.0.0.1:0 and the real
//! client: what is sent (the argument record, the manifest's headers, the bearer token), how
//! answers become typed values, and every way a service can fail — slow, refusing, busy
//! (`Retry-After`), broken, answering nonsense or too much — each a failure of its call alone,
//! worded for the user, never showing a secret. The servers are `support/http_server.rs`.

#[path = "support/http_server.rs"]
mod http_server;

use asterism::{Engine, Layout, Outcome, Status};
use http_server::{Reply, Request, Server};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The longest any run here may take before the test fails instead of hanging.
const RUN_LIMIT: Duration = Duration::from_secs(60);

const SCORE: &str = "(text: String) -> { label: String, scores: List<Float> }";

/// A manifest entry of kind `http`; `extra` holds more `key = value` lines.
fn http_module(name: &str, signature: &str, url: &str, extra: &str) -> String {
    format!("[modules.\"{name}\"]\nkind = \"http\"\nsignature = \"{signature}\"\nurl = \"{url}\"\n{extra}\n")
}

/// An engine bound to `manifest`, and the folder holding it (kept while the engine lives).
fn bind(manifest: &str) -> (Engine, TempDir) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("asterism.toml");
    std::fs::write(&path, manifest).unwrap();
    let mut engine = Engine::new();
    engine.load_manifest(&path).unwrap_or_else(|e| panic!("manifest refused: {e:?}\n{manifest}"));
    (engine, dir)
}

/// Compiles `source` and runs it on `inputs` on this runtime, within `RUN_LIMIT`.
async fn run(engine: &Engine, source: &str, inputs: &str) -> Outcome {
    let pipeline = engine.compile("t.cst", source).unwrap_or_else(|d| panic!("{d}"));
    let inputs = pipeline.parse_inputs(inputs.as_bytes()).unwrap();
    tokio::time::timeout(RUN_LIMIT, pipeline.run(&inputs)).await.expect("the run did not end")
}

fn messages(outcome: &Outcome) -> Vec<String> {
    outcome.errors().iter().map(|e| e.message.clone()).collect()
}

fn outputs(outcome: &Outcome) -> String {
    outcome.outputs_json(Layout::Compact)
}

/// The one error of a run that failed.
fn only_error(outcome: &Outcome) -> String {
    assert_eq!(outcome.status(), Status::Failed, "outputs: {}", outputs(outcome));
    let m = messages(outcome);
    assert_eq!(m.len(), 1, "{m:?}");
    m[0].clone()
}

/// A port nothing listens on: bound, then released.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

const ONE_CALL: &str = "in text: String\nr = score(text)\nout r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_argument_record_is_posted_and_the_answer_becomes_the_typed_output() {
    let server = Server::start(|_: &Request| {
        Reply::ok(r#"{"label": "pos", "scores": [1, 0.25, -3e2], "model": {"name": "m", "tags": [1, "x"]}}"#)
    })
    .await;
    let (engine, _dir) = bind(&http_module("svc.score", SCORE, &server.url("/score"), "timeout = \"5s\""));
    let outcome = run(&engine, ONE_CALL, r#"{"text": "héllo \"q\"\n"}"#).await;
    assert_eq!(outcome.status(), Status::Completed, "{:?}", messages(&outcome));
    assert_eq!(outputs(&outcome), r#"{"r":{"label":"pos","scores":[1.0,0.25,-300.0]}}"#);

    let request = server.seen.last();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/score"));
    assert_eq!(std::str::from_utf8(&request.body).unwrap(), r#"{"text":"héllo \"q\"\n"}"#);
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(!request.headers.contains_key("authorization"), "no auth_env, no token");

    // More runs of the same pipeline reuse the kept-alive connection.
    for _ in 0..19 {
        assert_eq!(run(&engine, ONE_CALL, r#"{"text": "b"}"#).await.status(), Status::Completed);
    }
    assert_eq!(server.seen.requests(), 20);
    // A connection is back in its pool before its call's answer is given: one is enough.
    assert_eq!(server.seen.connections(), 1, "20 sequential calls, one kept-alive connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_headers_and_the_bearer_token_are_sent_and_the_token_never_shows() {
    const VAR: &str = "ASTERISM_MODULES_HTTP_TEST_TOKEN_7F3A";
    const UNSET: &str = "ASTERISM_MODULES_HTTP_TEST_NEVER_SET_7F3A";
    const TOKEN: &str = "tok-5ecr3t-9c1d";
    // SAFETY: the threads of this binary read the environment only through `std::env`, which
    // serialises with `set_var` (the URLs are IP literals: no resolver reads it from C), and no
    // other test uses these names.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(VAR, TOKEN)
    };
    let server = Server::start(|r: &Request| match r.path.as_str() {
        "/denied" => Reply::new(401, r#"{"error": "unauthorized"}"#),
        _ => Reply::ok(r#""fine""#),
    })
    .await;
    let port = dead_port();
    let manifest = [
        http_module(
            "svc.score",
            "(text: String) -> String",
            &server.url("/score"),
            &format!("headers = {{ \"x-api-key\" = \"k\", \"x-tenant\" = \"t 1\" }}\nauth_env = \"{VAR}\""),
        ),
        http_module("svc.unset", "(text: String) -> String", &server.url("/unset"), &format!("auth_env = \"{UNSET}\"")),
        http_module("svc.denied", "(text: String) -> String", &server.url("/denied"), &format!("auth_env = \"{VAR}\"")),
        http_module(
            "svc.gone",
            "(text: String) -> String",
            &format!("http://127.0.0.1:{port}/x"),
            &format!("auth_env = \"{VAR}\""),
        ),
    ]
    .concat();
    let (engine, _dir) = bind(&manifest);

    let outcome = run(&engine, ONE_CALL, r#"{"text": "a"}"#).await;
    assert_eq!(outputs(&outcome), r#"{"r":"fine"}"#, "{:?}", messages(&outcome));
    let request = server.seen.last();
    assert_eq!(request.headers["x-api-key"], "k");
    assert_eq!(request.headers["x-tenant"], "t 1");
    assert_eq!(request.headers["authorization"], format!("Bearer {TOKEN}").as_str());
    assert_eq!(request.headers["content-type"], "application/json");

    // A missing variable fails the call before anything is sent, naming the variable.
    let before = server.seen.requests();
    let outcome = run(&engine, "in text: String\nr = unset(text)\nout r\n", r#"{"text": "a"}"#).await;
    let message = only_error(&outcome);
    assert!(message.starts_with("svc.unset: ") && message.contains(UNSET), "{message}");
    assert_eq!(server.seen.requests(), before, "nothing is sent without the token");

    // A refused token and a dead service fail without showing it.
    let source = "in text: String\nd = denied(text)\ng = gone(text)\nout d\nout g\n";
    let outcome = run(&engine, source, r#"{"text": "a"}"#).await;
    let m = messages(&outcome);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m[0].contains("401") && m[0].contains("unauthorized"), "{m:?}");
    assert!(m[1].contains("cannot connect"), "{m:?}");
    assert_eq!(server.seen.last().headers["authorization"], format!("Bearer {TOKEN}").as_str());
    for text in m.iter().chain([&outcome.to_json()]) {
        assert!(!text.contains(TOKEN), "the token shows in: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_service_times_out_by_the_call_option_or_the_manifest_and_the_rest_arrives() {
    let server = Server::start(|_: &Request| Reply::ok(r#""late""#).delay(Duration::from_secs(5))).await;
    let manifest = [
        http_module("svc.score", "(text: String) -> String", &server.url("/score"), "timeout = \"30s\""),
        http_module("svc.sluggish", "(text: String) -> String", &server.url("/sluggish"), "timeout = \"300ms\""),
    ]
    .concat();
    let (engine, _dir) = bind(&manifest);

    let source = "in text: String\nr = score(text) with timeout: 200ms\nok = text + \"!\"\nout r\nout ok\n";
    let started = Instant::now();
    let outcome = run(&engine, source, r#"{"text": "a"}"#).await;
    assert_eq!(only_error(&outcome), "svc.score: timed out after 200ms");
    assert_eq!(outcome.errors()[0].line, 2);
    assert_eq!(outputs(&outcome), r#"{"ok":"a!"}"#);
    assert!(started.elapsed() < Duration::from_secs(4), "the run waited for the server: {:?}", started.elapsed());

    let started = Instant::now();
    let outcome =
        run(&engine, "in text: String\nr = sluggish(text)\nok = 1 + 1\nout r\nout ok\n", r#"{"text": "a"}"#).await;
    let message = only_error(&outcome);
    assert!(message.starts_with("svc.sluggish: ") && message.contains("timeout"), "{message}");
    assert!(message.contains("300ms"), "{message}");
    assert_eq!(outputs(&outcome), r#"{"ok":2}"#);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250), "the manifest's timeout cut the call early: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "the run waited for the server: {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_waited_out_and_error_statuses_are_reported() {
    let server = Server::start(|r: &Request| match (r.path.as_str(), r.number) {
        ("/busy", 0) => Reply::new(429, "slow down").header("retry-after", "1"),
        ("/busy", _) => Reply::ok(r#""busy done""#),
        _ => Reply::ok("unused"),
    })
    .await;
    let (engine, _dir) = bind(&http_module("svc.busy", "(text: String) -> String", &server.url("/busy"), ""));
    let outcome = run(&engine, "in text: String\nr = busy(text) with retry: 1\nout r\n", r#"{"text": "a"}"#).await;
    assert_eq!(outcome.status(), Status::Completed, "{:?}", messages(&outcome));
    assert_eq!(outputs(&outcome), r#"{"r":"busy done"}"#);
    let arrivals = server.seen.arrivals();
    assert_eq!(arrivals.len(), 2);
    let waited = arrivals[1] - arrivals[0];
    assert!(waited >= Duration::from_millis(900), "Retry-After: 1 asked for a second, the retry came after {waited:?}");

    // Without `retry`, the 429 is the call's failure, with the status and the body's start.
    let server = Server::start(|_: &Request| Reply::new(429, "slow down").header("retry-after", "1")).await;
    let (engine, _dir) = bind(&http_module("svc.busy", "(text: String) -> String", &server.url("/busy"), ""));
    let message = only_error(&run(&engine, "in text: String\nr = busy(text)\nout r\n", r#"{"text": "a"}"#).await);
    assert!(message.contains("429") && message.contains("slow down"), "{message}");
    assert_eq!(server.seen.requests(), 1);

    // A service asking for more than 30 s fails the call at once rather than retry too early.
    let server = Server::start(|_: &Request| Reply::new(503, "maintenance").header("retry-after", "120")).await;
    let (engine, _dir) = bind(&http_module("svc.down", "(text: String) -> String", &server.url("/down"), ""));
    let started = Instant::now();
    let message =
        only_error(&run(&engine, "in text: String\nr = down(text) with retry: 3\nout r\n", r#"{"text": "a"}"#).await);
    assert!(message.contains("503") && message.contains("maintenance"), "{message}");
    assert_eq!(server.seen.requests(), 1, "no retry");
    assert!(started.elapsed() < Duration::from_secs(20), "the run waited: {:?}", started.elapsed());

    // 503 without Retry-After: retried at once.
    let server = Server::start(|r: &Request| match r.number {
        0 => Reply::new(503, "warming up"),
        _ => Reply::ok(r#""ready""#),
    })
    .await;
    let (engine, _dir) = bind(&http_module("svc.warm", "(text: String) -> String", &server.url("/warm"), ""));
    let outcome = run(&engine, "in text: String\nr = warm(text) with retry: 1\nout r\n", r#"{"text": "a"}"#).await;
    assert_eq!(outputs(&outcome), r#"{"r":"ready"}"#, "{:?}", messages(&outcome));
    assert_eq!(server.seen.requests(), 2);

    // 500: the status and the start of the body, not all of it; every attempt made.
    let body = format!("boom: the model is not loaded {}", "z".repeat(5000));
    let server = Server::start(move |_: &Request| Reply::new(500, body.clone())).await;
    let (engine, _dir) = bind(&http_module("svc.broken", "(text: String) -> String", &server.url("/broken"), ""));
    let message = only_error(&run(&engine, "in text: String\nr = broken(text)\nout r\n", r#"{"text": "a"}"#).await);
    assert!(message.starts_with("svc.broken: "), "{message}");
    assert!(message.contains("500") && message.contains("boom: the model is not loaded"), "{message}");
    assert!(message.len() < 1000, "the whole error body is shown: {} bytes", message.len());
    let message =
        only_error(&run(&engine, "in text: String\nr = broken(text) with retry: 2\nout r\n", r#"{"text": "a"}"#).await);
    assert!(message.contains("500") && message.ends_with("(failed after 3 attempts)"), "{message}");
    assert_eq!(server.seen.requests(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_that_are_not_json_not_of_the_type_or_too_large_fail_their_call() {
    let big = format!(r#"{{"label": "{}", "scores": []}}"#, "x".repeat(10 * 1024));
    let server = Server::start(move |r: &Request| match r.path.as_str() {
        "/notjson" => Reply::ok("<html>this is not json</html>"),
        "/mismatch" => Reply::ok(r#"{"label": 3, "scores": [1, "x"]}"#),
        "/big" => Reply::ok(big.clone()),
        "/bigstream" => Reply::ok(big.clone()).chunked(1000),
        "/small" => Reply::ok(r#"{"label": "fits", "scores": [0.5]}"#).chunked(7),
        _ => Reply::new(404, "no such route"),
    })
    .await;
    let manifest = [
        http_module("svc.notjson", SCORE, &server.url("/notjson"), ""),
        http_module("svc.mismatch", SCORE, &server.url("/mismatch"), ""),
        http_module("svc.big", SCORE, &server.url("/big"), "max_body = \"1KiB\""),
        http_module("svc.bigstream", SCORE, &server.url("/bigstream"), "max_body = \"1KiB\""),
        http_module("svc.small", SCORE, &server.url("/small"), "max_body = \"1KiB\""),
    ]
    .concat();
    let (engine, _dir) = bind(&manifest);
    let source = "\
in text: String
a = notjson(text)
b = mismatch(text)
c = big(text)
d = bigstream(text)
e = small(text)
out a
out b
out c
out d
out e
";
    let outcome = run(&engine, source, r#"{"text": "a"}"#).await;
    assert_eq!(outcome.status(), Status::Failed);
    assert_eq!(
        outputs(&outcome),
        r#"{"e":{"label":"fits","scores":[0.5]}}"#,
        "a streamed body within max_body is read"
    );
    let m = messages(&outcome);
    assert_eq!(m.len(), 4, "{m:?}");
    let lines: Vec<u32> = outcome.errors().iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    assert!(m[0].starts_with("svc.notjson: ") && m[0].contains("not valid JSON"), "{}", m[0]);
    assert!(m[1].starts_with("svc.mismatch: "), "{}", m[1]);
    assert!(m[1].contains("field 'label': expected String, got Number"), "{}", m[1]);
    assert!(m[1].contains("field 'scores[1]'"), "{}", m[1]);
    assert!(m[2].starts_with("svc.big: ") && m[2].contains("max_body"), "with content-length: {}", m[2]);
    assert!(m[3].starts_with("svc.bigstream: ") && m[3].contains("max_body"), "streamed: {}", m[3]);
    for m in &m[2..] {
        assert!(m.ends_with("answered with a body larger than 1 KiB (max_body)"), "the limit is named: {m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_the_call_and_fallback_and_skip_still_give_values() {
    let port = dead_port();
    let url = format!("http://127.0.0.1:{port}/dead");
    let (engine, _dir) = bind(&http_module("svc.dead", "(text: String) -> String", &url, "connect_timeout = \"2s\""));
    let source = "\
in text: String
a = dead(text)
b = dead(text) with fallback: \"fallback\"
c = dead(text) with on_error: skip
d = dead(text) with retry: 2, fallback: \"after retries\"
out a
out b
out c
out d
";
    let outcome = run(&engine, source, r#"{"text": "a"}"#).await;
    let message = only_error(&outcome);
    assert!(message.starts_with("svc.dead: ") && message.contains("cannot connect"), "{message}");
    assert!(message.contains(&url), "the message names the service: {message}");
    assert_eq!(outcome.errors()[0].line, 2);
    assert_eq!(outputs(&outcome), r#"{"b":"fallback","c":"","d":"after retries"}"#);
}

/// A server answering `"<text>!"` after 5 ms, an engine with `svc.score` bound to it, and the
/// inputs and source of 1,000 calls of it through `map` with `concurrency: 16`.
async fn thousand_calls() -> (Server, Engine, TempDir, String, Vec<String>) {
    let server = Server::start(|r: &Request| {
        let args: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let text = args["text"].as_str().unwrap();
        Reply::ok(serde_json::Value::String(format!("{text}!")).to_string()).delay(Duration::from_millis(5))
    })
    .await;
    let (engine, dir) =
        bind(&http_module("svc.score", "(text: String) -> String", &server.url("/score"), "timeout = \"30s\""));
    let texts: Vec<String> = (0..1000).map(|i| format!("t{i}")).collect();
    let inputs = serde_json::json!({ "texts": texts }).to_string();
    (server, engine, dir, inputs, texts)
}

const THOUSAND: &str = "in texts: List<String>\nrs = map(texts, (t) => score(t) with concurrency: 16)\nout rs\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_through_map_keep_to_their_concurrency() {
    let (server, engine, _dir, inputs, texts) = thousand_calls().await;
    let started = Instant::now();
    let outcome = run(&engine, THOUSAND, &inputs).await;
    let elapsed = started.elapsed();
    let m = messages(&outcome);
    assert_eq!(outcome.status(), Status::Completed, "{:?}", &m[..m.len().min(3)]);
    let expected: Vec<String> = texts.iter().map(|t| format!("{t}!")).collect();
    assert_eq!(outputs(&outcome), serde_json::json!({ "rs": expected }).to_string(), "1,000 answers, in order");
    let seen = &server.seen;
    assert_eq!(seen.requests(), 1000);
    assert!(seen.max_in_flight() <= 16, "{} requests were in flight at once", seen.max_in_flight());
    assert!(seen.max_in_flight() > 1, "the calls ran one at a time");
    // Kept-alive connections are reused: never more than the requests in flight.
    assert!(seen.connections() <= 16, "{} connections for at most 16 requests at once", seen.connections());
    // At 16 at a time, 1,000 answers of 5 ms each take at least ~0.3 s.
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
}

/// docs/options.md: "with at most N requests at once, an HTTP module opens at most N connections
/// to the host" — round after round, however the calls' ends and starts interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_n_opens_at_most_n_connections() {
    for round in 0..5 {
        let (server, engine, _dir, inputs, _) = thousand_calls().await;
        assert_eq!(run(&engine, THOUSAND, &inputs).await.status(), Status::Completed);
        let connections = server.seen.connections();
        assert!(connections <= 16, "round {round}: {connections} connections for at most 16 requests at once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_never_loses_the_rest_of_the_run() {
    let server = Server::start(|_: &Request| Reply::ok(r#"{"label": "ok", "scores": [2]}"#)).await;
    let port = dead_port();
    let manifest = [
        http_module("svc.score", SCORE, &server.url("/score"), ""),
        http_module("svc.dead", SCORE, &format!("http://127.0.0.1:{port}/score"), ""),
    ]
    .concat();
    let (engine, _dir) = bind(&manifest);
    let source = "\
in text: String
bad = dead(text)
good = score(text)
label = good.label
worse = bad.label
out good
out label
out worse
";
    let outcome = run(&engine, source, r#"{"text": "a"}"#).await;
    let message = only_error(&outcome);
    assert!(message.starts_with("svc.dead: ") && message.contains("cannot connect"), "{message}");
    assert_eq!(outcome.errors()[0].line, 2, "the root failure only, not its dependents");
    assert_eq!(outputs(&outcome), r#"{"good":{"label":"ok","scores":[2.0]},"label":"ok"}"#);
}

/// An entry with `max_batch` POSTs a JSON array of argument records and reads an array of
/// answers, scattered back to their calls in order; a wrong answer fails every member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batching_service_gets_arrays_and_answers_each_call() {
    let server = Server::start(|r: &Request| {
        let batch: Vec<serde_json::Value> = serde_json::from_slice(&r.body).unwrap();
        let answers: Vec<String> = batch.iter().map(|a| format!("{}!", a["text"].as_str().unwrap())).collect();
        match answers.iter().any(|a| a == "bad!") {
            true => Reply::ok("[1]"),
            false => Reply::ok(serde_json::to_string(&answers).unwrap()),
        }
    })
    .await;
    let extra = "max_batch = 4\nmax_delay = \"20ms\"";
    let (engine, _dir) = bind(&http_module("svc.shout", "(text: String) -> String", &server.url("/shout"), extra));
    let source = "in texts: List<String>\nrs = map(texts, (t) => shout(t) with batch: 8)\nout rs\n";
    let texts: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let outcome = run(&engine, source, &serde_json::json!({ "texts": texts }).to_string()).await;
    let expected: Vec<String> = texts.iter().map(|t| format!("{t}!")).collect();
    assert_eq!(outputs(&outcome), serde_json::json!({ "rs": expected }).to_string());
    assert_eq!(server.seen.requests(), 3, "10 calls in batches of at most 4 (the entry's max_batch)");
    let last: Vec<serde_json::Value> = serde_json::from_slice(&server.seen.last().body).unwrap();
    assert_eq!(last.len(), 2, "{last:?}");
    let stats = engine.batch_stats();
    assert_eq!((stats[0].1.batches, stats[0].1.executions), (3, 10));
    // One call alone is an array of one; an answer that is not one value per call fails them all.
    let outcome = run(&engine, "in t: String\nr = shout(t)\nout r\n", r#"{"t": "bad"}"#).await;
    let message = only_error(&outcome);
    assert!(message.starts_with("svc.shout: ") && message.contains("expected String, got Number"), "{message}");
}

/// `asterism run --stats` reports the batches each batched function sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stats_in_the_cli_reports_the_batches() {
    let server = Server::start(|r: &Request| {
        let batch: Vec<serde_json::Value> = serde_json::from_slice(&r.body).unwrap();
        Reply::ok(
            serde_json::to_string(&batch.iter().map(|a| a["text"].as_str().unwrap().len()).collect::<Vec<_>>())
                .unwrap(),
        )
    })
    .await;
    let extra = "max_batch = 2";
    let (_engine, dir) = bind(&http_module("svc.len", "(text: String) -> Int", &server.url("/len"), extra));
    let pipeline = dir.path().join("p.cst");
    std::fs::write(&pipeline, "in ts: List<String>\nns = map(ts, (t) => len(t) with batch: 2)\nout ns\n").unwrap();
    let manifest = dir.path().join("asterism.toml");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_asterism"))
            .env("ASTERISM_NO_CACHE", "1")
            .args(["run", "--stats", "--json", "--modules"])
            .arg(&manifest)
            .arg(&pipeline)
            .args(["-i", r#"ts=["a", "bb", "ccc"]"#])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim(), r#"{"status":"completed","outputs":{"ns":[1,2,3]}}"#);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("stats: 'svc.len': 2 batches for 3 calls (sizes: 2×1, 1×1)"), "{stderr}");
}
