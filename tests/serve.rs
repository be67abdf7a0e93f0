//! `asterism serve`: the real server on 127.0.0.1:0, driven by a real HTTP client (reqwest).
//!
//! Every route and its JSON shape, streaming read event by event, each role, the rate limits and
//! their refill, the body limit, 503 at the bound on runs in flight, 504 past the deadline with
//! the outputs finished, a panicking module, and a graceful stop with a run in flight; the
//! binary's own stop on SIGTERM is in `tests/serve_cli.rs`.

use asterism::serve::{ApiKeys, Config, RateLimit, Server};
use asterism::{Engine, Module, Value};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

const HELLO: &str = "in name: String\ngreeting = \"Hello, ${name}!\"\nout greeting\n";

struct Running {
    base: String,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(engine: Engine, config: Config, pipelines: &[(&str, &str)]) -> Running {
        let server = Server::new(engine, config);
        for (name, source) in pipelines {
            server.preload(name, source).expect("the pipeline compiles");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(server.serve(listener, async {
            let _ = stopped.await;
        }));
        Running { base, http: reqwest::Client::new(), stop: Some(stop), served }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, body: Json) -> (StatusCode, Json) {
        let response = self.http.post(self.url(path)).body(body.to_string()).send().await.unwrap();
        let status = response.status();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, Json) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        let status = response.status();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
    }

    async fn execute(&self, reference: &str, inputs: Json) -> (StatusCode, Json) {
        self.post("/execute", json!({"ref": reference, "inputs": inputs})).await
    }
}

/// Modules of the tests: `text.shout` (sync), `slow.gate(x)` waits until the test opens the gate
/// and gives `x`, `bad.boom(x)` panics, `never.ends(x)` never answers, `llm.say(p)` sends three
/// pieces before its answer.
fn engine(gate: Arc<Notify>) -> Engine {
    let mut engine = Engine::new();
    engine.register_fn("text.shout", &["text"], |text: String| text.to_uppercase()).unwrap();
    engine
        .register_async_fn("slow.gate", &["x"], move |x: i64| {
            let gate = gate.clone();
            async move {
                gate.notified().await;
                Ok::<i64, String>(x)
            }
        })
        .unwrap();
    engine.register_fn("bad.boom", &["x"], |x: i64| -> i64 { panic!("boom at {x}") }).unwrap();
    engine
        .register_async_fn("never.ends", &["x"], |x: i64| async move {
            std::future::pending::<()>().await;
            Ok::<i64, String>(x)
        })
        .unwrap();
    engine
        .register_module(
            "llm.say",
            "(prompt: String) -> String",
            Module::Async(Arc::new(|args: &[Value]| {
                let partial = asterism_registry::module::call_partial();
                let prompt = match &args[0] {
                    Value::Str(s) => s.to_string(),
                    _ => String::new(),
                };
                Box::pin(async move {
                    let pieces = ["Hel", "lo ", &prompt];
                    for piece in pieces {
                        if let Some(partial) = &partial {
                            partial(piece);
                        }
                        tokio::task::yield_now().await;
                    }
                    Ok(Value::Str(pieces.concat().into()))
                })
            })),
            "1",
        )
        .unwrap();
    engine
}

fn hash_of(doc: &Json) -> String {
    doc["structuralHash"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_in_the_reference_shapes() {
    let server = Running::start(engine(Arc::new(Notify::new())), Config::default(), &[("hello", HELLO)]).await;

    // /execute by name: the reference's result document.
    let (status, doc) = server.execute("hello", json!({"name": "Ada"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["success"], true);
    assert_eq!(doc["outputs"], json!({"greeting": "Hello, Ada!"}));
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["error"], Json::Null);
    assert_eq!(doc["resumptionCount"], 0);
    assert_eq!(doc["executionId"].as_str().unwrap().len(), 36);

    // /compile with a name, then /execute by it, by the bare hash and by `sha256:` + hash.
    let source = "in text: String\nloud = shout(text)\nout loud\n";
    let (status, compiled) = server.post("/compile", json!({"source": source, "name": "loud"})).await;
    assert_eq!(status, StatusCode::OK, "{compiled}");
    assert_eq!((compiled["success"].clone(), compiled["name"].clone()), (json!(true), json!("loud")));
    let hash = hash_of(&compiled);
    assert_eq!(hash.len(), 64);
    for reference in ["loud".to_string(), hash.clone(), format!("sha256:{hash}"), format!("blake3:{hash}")] {
        let (status, doc) = server.execute(&reference, json!({"text": "hi"})).await;
        assert_eq!((status, doc["outputs"].clone()), (StatusCode::OK, json!({"loud": "HI"})), "{reference}");
    }
    // The legacy `dagName` works too.
    let (status, _) = server.post("/execute", json!({"dagName": "loud", "inputs": {"text": "a"}})).await;
    assert_eq!(status, StatusCode::OK);

    // /run answers the same hash for the same source: replicas agree.
    let (status, ran) = server.post("/run", json!({"source": source, "inputs": {"text": "x"}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((hash_of(&ran), ran["outputs"].clone()), (hash.clone(), json!({"loud": "X"})));
    assert_eq!(ran["compilationErrors"], json!([]));

    // Compile errors: the messages, and our diagnostics with their places.
    let (status, failed) = server.post("/compile", json!({"source": "in x: Int\nout y\n", "name": "bad"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(failed["success"], false);
    assert_eq!(failed["errors"], json!(["Undefined variable: y"]));
    assert_eq!(
        (failed["diagnostics"][0]["code"].clone(), failed["diagnostics"][0]["line"].clone()),
        (json!("E001"), json!(2))
    );
    let (status, failed) = server.post("/run", json!({"source": "out nope\n", "inputs": {}})).await;
    assert_eq!(
        (status, failed["compilationErrors"].clone()),
        (StatusCode::BAD_REQUEST, json!(["Undefined variable: nope"]))
    );

    // An unknown pipeline: 404 with the client's request id, also echoed as a header.
    let response = server
        .http
        .post(server.url("/execute"))
        .header("X-Request-ID", "trace-42")
        .body(json!({"ref": "nope", "inputs": {}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-request-id"], "trace-42");
    let body: Json = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body, json!({"error": "NotFound", "message": "Pipeline 'nope' not found", "requestId": "trace-42"}));

    // /pipelines, /pipelines/{ref}, DELETE.
    let (status, list) = server.get("/pipelines").await;
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<&Json> = list["pipelines"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 2);
    let loud = listed.iter().find(|p| p["structuralHash"] == json!(hash)).unwrap();
    assert_eq!((loud["aliases"].clone(), loud["moduleCount"].clone()), (json!(["loud"]), json!(1)));
    assert_eq!(loud["declaredOutputs"], json!(["loud"]));
    let (status, detail) = server.get("/pipelines/loud").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["inputSchema"], json!({"text": "String"}));
    assert_eq!(detail["outputSchema"], json!({"loud": "String"}));
    assert_eq!(detail["modules"], json!(["text.shout"]));
    let conflict = server.http.delete(server.url(&format!("/pipelines/{hash}"))).send().await.unwrap();
    assert_eq!(conflict.status(), StatusCode::CONFLICT, "a named pipeline is not deleted by its hash");
    let response = server.http.delete(server.url("/pipelines/loud")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.get("/pipelines/loud").await.0, StatusCode::NOT_FOUND);
    assert_eq!(server.execute(&hash, json!({"text": "a"})).await.0, StatusCode::NOT_FOUND);

    // /modules: the host modules with their parameters and results.
    let (status, modules) = server.get("/modules").await;
    assert_eq!(status, StatusCode::OK);
    let shout = modules["modules"].as_array().unwrap().iter().find(|m| m["name"] == "text.shout").unwrap();
    assert_eq!(
        (shout["inputs"].clone(), shout["outputs"].clone()),
        (json!({"text": "String"}), json!({"out": "String"}))
    );

    // Health.
    assert_eq!(server.get("/health").await, (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(server.get("/health/live").await, (StatusCode::OK, json!({"status": "alive"})));
    assert_eq!(server.get("/health/ready").await, (StatusCode::OK, json!({"status": "ready"})));

    // Metrics, as JSON and as Prometheus text.
    let (status, metrics) = server.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metrics["runs"]["completed"], 7);
    assert_eq!(metrics["modules"]["text.shout"]["calls"], 6);
    let text = server.http.get(server.url("/metrics")).header("Accept", "text/plain").send().await.unwrap();
    assert!(text.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = text.text().await.unwrap();
    for line in [
        "asterism_runs_total{status=\"completed\"} 7",
        "asterism_module_call_seconds_count{module=\"text.shout\"} 6",
        "asterism_runs_in_flight 0",
        "# TYPE asterism_run_seconds histogram",
        "asterism_http_requests_total{code=\"404\"} 3",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_inputs_are_400_naming_where() {
    let source = "in n: Int\nin u: { name: String, tags: List<Int> }\nout n\nout u\n";
    let server = Running::start(Engine::new(), Config::default(), &[("typed", source)]).await;
    let (status, doc) = server.execute("typed", json!({"n": "seven", "u": {"name": "a", "tags": [1, "b"]}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        doc["problems"],
        json!(["input 'n': expected Int, got String", "input 'u': field 'tags[1]': expected Int, got String"])
    );
    assert!(doc["error"].as_str().unwrap().starts_with("Input error: input 'n'"));
    assert_eq!(doc["success"], false);

    let (status, doc) = server.execute("typed", json!({"n": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(doc["missingInputs"], json!({"u": "{ name: String, tags: List<Int> }"}));

    let response =
        server.http.post(server.url("/execute")).body("{\"ref\": \"typed\", \"inputs\": {").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let doc: Json = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(doc["error"], "BadRequest");
    assert!(doc["message"].as_str().unwrap().contains("line 1 column"), "{doc}");

    let (status, doc) = server.post("/execute", json!({"inputs": {}})).await;
    assert_eq!((status, doc["message"].clone()), (StatusCode::BAD_REQUEST, json!("Missing 'ref' or 'dagName' field")));
    let (status, _) = server.post("/compile", json!({"source": "out x", "name": "a/b"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server.post("/compile", json!({"name": "no-source"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Reads a streamed body to its end, as the events (or lines) arrive.
async fn next_chunk(response: &mut reqwest::Response, buffer: &mut String, separator: &str) -> Option<String> {
    loop {
        if let Some(at) = buffer.find(separator) {
            let event = buffer[..at].to_string();
            buffer.drain(..at + separator.len());
            return Some(event);
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk()).await.unwrap().unwrap()?;
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_stream_as_they_are_ready() {
    let gate = Arc::new(Notify::new());
    let source = "in x: Int\nin prompt: String\nfast = x + 1\nslow = gate(x)\ntalk = say(prompt)\nout fast\nout slow\nout talk\n";
    let server = Running::start(engine(gate.clone()), Config::default(), &[("mixed", source)]).await;
    let body = json!({"ref": "mixed", "inputs": {"x": 41, "prompt": "Ada"}}).to_string();

    // Server-sent events: `fast` and the pieces of `talk` arrive while `slow` still waits.
    let mut response = server
        .http
        .post(server.url("/execute"))
        .header("Accept", "text/event-stream")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(next_chunk(&mut response, &mut buffer, "\n\n").await.unwrap());
    }
    let mut early = seen.clone();
    early.sort();
    let mut expected = vec![
        "event: output\ndata: {\"output\":\"fast\",\"value\":42}".to_string(),
        "event: partial\ndata: {\"output\":\"talk\",\"partial\":\"Hel\"}".to_string(),
        "event: partial\ndata: {\"output\":\"talk\",\"partial\":\"lo \"}".to_string(),
        "event: partial\ndata: {\"output\":\"talk\",\"partial\":\"Ada\"}".to_string(),
        "event: output\ndata: {\"output\":\"talk\",\"value\":\"Hello Ada\"}".to_string(),
    ];
    expected.sort();
    assert_eq!(early, expected);
    let pieces: Vec<&String> = seen.iter().filter(|e| e.contains("\"talk\"")).collect();
    assert!(pieces[3].contains("\"value\""), "the pieces come before the output: {seen:?}");
    gate.notify_one();
    let slow = next_chunk(&mut response, &mut buffer, "\n\n").await.unwrap();
    assert_eq!(slow, "event: output\ndata: {\"output\":\"slow\",\"value\":41}");
    let done = next_chunk(&mut response, &mut buffer, "\n\n").await.unwrap();
    let doc: Json = serde_json::from_str(done.strip_prefix("event: done\ndata: ").unwrap()).unwrap();
    assert_eq!((doc["status"].clone(), doc["outputs"]["slow"].clone()), (json!("completed"), json!(41)));
    assert_eq!(next_chunk(&mut response, &mut buffer, "\n\n").await, None);

    // NDJSON: the same, a JSON document per line.
    let mut response = server
        .http
        .post(server.url("/execute"))
        .header("Accept", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    let mut lines = Vec::new();
    while lines.len() < 5 {
        lines.push(next_chunk(&mut response, &mut buffer, "\n").await.unwrap());
    }
    assert!(lines.contains(&"{\"output\":\"fast\",\"value\":42}".to_string()), "{lines:?}");
    gate.notify_one();
    assert_eq!(next_chunk(&mut response, &mut buffer, "\n").await.unwrap(), "{\"output\":\"slow\",\"value\":41}");
    let done: Json = serde_json::from_str(&next_chunk(&mut response, &mut buffer, "\n").await.unwrap()).unwrap();
    assert_eq!(done["success"], true);

    // `?stream=true` asks for events too, and /run streams as /execute does.
    let response = server
        .http
        .post(server.url("/run?stream=true"))
        .body(json!({"source": "in x: Int\ny = x * 2\nout y\n", "inputs": {"x": 4}}).to_string())
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(text.starts_with("event: output\ndata: {\"output\":\"y\",\"value\":8}\n\nevent: done\n"), "{text}");
}

fn keys() -> ApiKeys {
    ApiKeys::parse(
        "admin-key-0123456789abcdef:Admin,exec-key-0123456789abcdef:Execute,read-key-0123456789abcdef:ReadOnly",
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_roles_decide_who_may_do_what() {
    let config = Config { api_keys: Some(keys()), ..Config::default() };
    let server = Running::start(Engine::new(), config, &[("hello", HELLO)]).await;
    let call = |method: reqwest::Method, path: &str, key: Option<&str>| {
        let mut request = server.http.request(method, server.url(path));
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        if path == "/execute" {
            request = request.body(json!({"ref": "hello", "inputs": {"name": "K"}}).to_string());
        }
        async move { request.send().await.unwrap() }
    };
    use reqwest::Method;
    let response = call(Method::POST, "/execute", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Json = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "Unauthorized");
    assert_eq!(
        call(Method::POST, "/execute", Some("not-a-key-of-ours-at-all-000")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let forbidden = call(Method::POST, "/execute", Some("read-key-0123456789abcdef")).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let body: Json = serde_json::from_slice(&forbidden.bytes().await.unwrap()).unwrap();
    assert_eq!(body["message"], "Role 'ReadOnly' does not permit POST requests");
    assert_eq!(call(Method::GET, "/pipelines", Some("read-key-0123456789abcdef")).await.status(), StatusCode::OK);
    assert_eq!(call(Method::POST, "/execute", Some("exec-key-0123456789abcdef")).await.status(), StatusCode::OK);
    assert_eq!(call(Method::POST, "/execute", Some("admin-key-0123456789abcdef")).await.status(), StatusCode::OK);
    assert_eq!(
        call(Method::DELETE, "/pipelines/hello", Some("exec-key-0123456789abcdef")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(Method::DELETE, "/pipelines/hello", Some("admin-key-0123456789abcdef")).await.status(),
        StatusCode::OK
    );
    for open in ["/health", "/health/live", "/health/ready", "/metrics"] {
        assert_eq!(call(Method::GET, open, None).await.status(), StatusCode::OK, "{open}");
    }
}

/// GET /pipelines with `key` as the bearer key, if any.
async fn listing(server: &Running, key: Option<&str>) -> reqwest::Response {
    let mut request = server.http.get(server.url("/pipelines"));
    if let Some(key) = key {
        request = request.header("Authorization", format!("Bearer {key}"));
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_refuse_with_retry_after_and_refill() {
    // Per client address: a burst of 2, then a token every 50 ms.
    let config = Config { rate_limit: Some(RateLimit::parse("20/s:2").unwrap()), ..Config::default() };
    let server = Running::start(Engine::new(), config, &[("hello", HELLO)]).await;
    assert_eq!(listing(&server, None).await.status(), StatusCode::OK);
    assert_eq!(listing(&server, None).await.status(), StatusCode::OK);
    let limited = listing(&server, None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "1");
    let body: Json = serde_json::from_slice(&limited.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "RateLimitExceeded");
    // Health and metrics are never limited.
    assert_eq!(server.get("/health").await.0, StatusCode::OK);
    assert_eq!(server.get("/metrics").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(listing(&server, None).await.status(), StatusCode::OK, "refilled");

    // Per key: each key has its own bucket, a burst of 1 here.
    let config = Config { key_rate_limit: Some(RateLimit::parse("20/s:1").unwrap()), ..Config::default() };
    let server = Running::start(Engine::new(), config, &[]).await;
    assert_eq!(listing(&server, Some("key-a")).await.status(), StatusCode::OK);
    assert_eq!(listing(&server, Some("key-a")).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(listing(&server, Some("key-b")).await.status(), StatusCode::OK);
    assert_eq!(listing(&server, None).await.status(), StatusCode::OK, "no key, no key bucket");
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(listing(&server, Some("key-a")).await.status(), StatusCode::OK, "refilled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_past_the_limit_are_413() {
    let config = Config { max_body: 1024, ..Config::default() };
    let server = Running::start(Engine::new(), config, &[("hello", HELLO)]).await;
    let big = json!({"ref": "hello", "inputs": {"name": "x".repeat(2000)}});
    let (status, body) = server.post("/execute", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        (body["error"].clone(), body["message"].clone()),
        (json!("PayloadTooLarge"), json!("Request body too large (max 1024 bytes)"))
    );
    assert_eq!(server.execute("hello", json!({"name": "small"})).await.0, StatusCode::OK);
}

/// Polls the metrics until `n` runs are in flight.
async fn until_in_flight(server: &Running, n: i64) {
    for _ in 0..500 {
        if server.get("/metrics").await.1["runsInFlight"] == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never {n} runs in flight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_on_runs_in_flight_is_503_never_a_queue() {
    let gate = Arc::new(Notify::new());
    let config = Config { max_runs: 2, ..Config::default() };
    let server =
        Arc::new(Running::start(engine(gate.clone()), config, &[("gated", "in x: Int\ny = gate(x)\nout y\n")]).await);
    let waiting: Vec<_> = (0..2)
        .map(|i| {
            let server = server.clone();
            tokio::spawn(async move { server.execute("gated", json!({"x": i})).await })
        })
        .collect();
    until_in_flight(&server, 2).await;
    let response = server
        .http
        .post(server.url("/execute"))
        .body(json!({"ref": "gated", "inputs": {"x": 9}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    gate.notify_waiters();
    for (i, run) in waiting.into_iter().enumerate() {
        let (status, doc) = run.await.unwrap();
        assert_eq!((status, doc["outputs"]["y"].clone()), (StatusCode::OK, json!(i)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_the_deadline_is_504_with_the_outputs_it_finished() {
    let config = Config { max_time: Some(Duration::from_millis(200)), ..Config::default() };
    let source = "in x: Int\nquick = x + 1\nstuck = ends(x)\nout quick\nout stuck\n";
    let server = Running::start(engine(Arc::new(Notify::new())), config, &[("stuck", source)]).await;
    let (status, doc) = server.execute("stuck", json!({"x": 1})).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{doc}");
    assert_eq!(doc["outputs"], json!({"quick": 2}));
    assert_eq!(doc["pendingOutputs"], json!(["stuck"]));
    assert!(doc["error"].as_str().unwrap().contains("time budget exceeded"), "{doc}");
    assert_eq!(server.get("/metrics").await.1["runs"]["timed_out"], 1);
    assert_eq!(server.execute("stuck", json!({"x": "x"})).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_module_fails_its_run_only() {
    let source = "in x: Int\nok = x + 1\nbad = boom(x)\nout ok\nout bad\n";
    let server =
        Running::start(engine(Arc::new(Notify::new())), Config::default(), &[("boom", source), ("hello", HELLO)]).await;
    for _ in 0..3 {
        let (status, doc) = server.execute("boom", json!({"x": 1})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((doc["success"].clone(), doc["status"].clone()), (json!(false), json!("failed")));
        assert_eq!(doc["outputs"], json!({"ok": 2}));
        assert!(doc["error"].as_str().unwrap().contains("module panicked: boom at 1"), "{doc}");
        assert_eq!(doc["errors"][0]["line"], 3);
    }
    assert_eq!(server.execute("hello", json!({"name": "still here"})).await.0, StatusCode::OK);
    let (_, metrics) = server.get("/metrics").await;
    assert_eq!(metrics["modules"]["bad.boom"]["failures"], 3);
    assert_eq!(metrics["runs"]["failed"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_lets_the_runs_in_flight_finish() {
    let gate = Arc::new(Notify::new());
    let mut running =
        Running::start(engine(gate.clone()), Config::default(), &[("gated", "in x: Int\ny = gate(x)\nout y\n")]).await;
    let (base, http) = (running.base.clone(), running.http.clone());
    let in_flight = tokio::spawn(async move {
        let body = json!({"ref": "gated", "inputs": {"x": 7}}).to_string();
        let response = http.post(format!("{base}/execute")).body(body).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    });
    until_in_flight(&running, 1).await;
    running.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Accepting nothing new: a fresh connection is refused.
    let fresh = reqwest::Client::new().get(running.url("/health")).send().await;
    assert!(fresh.is_err(), "{fresh:?}");
    assert!(!running.served.is_finished());
    gate.notify_waiters();
    let (status, text) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("\"outputs\":{\"y\":7}"), "{text}");
    tokio::time::timeout(Duration::from_secs(5), &mut running.served).await.unwrap().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_plans_through_the_plan_folder() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { plan_dir: Some(dir.path().to_path_buf()), ..Config::default() };
    let a = Running::start(Engine::new(), config.clone(), &[]).await;
    let b = Running::start(Engine::new(), config, &[]).await;
    let (status, from_a) = a.post("/compile", json!({"source": HELLO, "name": "hello"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "A stored its plan");
    let (_, from_b) = b.post("/compile", json!({"source": HELLO, "name": "hello"})).await;
    assert_eq!(hash_of(&from_a), hash_of(&from_b));
    let (status, doc) = b.execute("hello", json!({"name": "B"})).await;
    assert_eq!((status, doc["outputs"]["greeting"].clone()), (StatusCode::OK, json!("Hello, B!")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_only_when_the_manifest_services_answer() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on, until the test listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let manifest = format!(
        "[modules.\"svc.score\"]\nkind = \"http\"\nsignature = \"(text: String) -> Float\"\nurl = \"http://127.0.0.1:{port}/score\"\n"
    );
    std::fs::write(dir.path().join("asterism.toml"), manifest).unwrap();
    let mut engine = Engine::new();
    engine.load_manifest(dir.path().join("asterism.toml")).unwrap();
    let server = Running::start(engine, Config::default(), &[]).await;
    let (status, body) = server.get("/health/ready").await;
    assert_eq!((status, body["status"].clone()), (StatusCode::SERVICE_UNAVAILABLE, json!("not_ready")));
    assert!(body["checks"]["svc.score"].as_str().unwrap().contains(&port.to_string()), "{body}");
    assert_eq!(server.get("/health/live").await.0, StatusCode::OK, "alive all the same");
    let _service = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    assert_eq!(server.get("/health/ready").await, (StatusCode::OK, json!({"status": "ready"})));
    let (_, modules) = server.get("/modules").await;
    assert_eq!(modules["modules"][0]["kind"], "http");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_each_cache_tier() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(Arc::new(Notify::new()));
    engine.set_cache_dir(dir.path());
    let source = "in text: String\nloud = shout(text) with cache: 1h\nout loud\n";
    let server = Running::start(engine, Config::default(), &[("cached", source)]).await;
    for _ in 0..3 {
        assert_eq!(server.execute("cached", json!({"text": "a"})).await.1["outputs"]["loud"], "A");
    }
    let (_, metrics) = server.get("/metrics").await;
    let cache = &metrics["cache"]["default"];
    assert_eq!((cache["hits"].clone(), cache["misses"].clone()), (json!(2), json!(1)));
    assert_eq!(cache["tiers"][0]["name"], "memory");
    assert_eq!((cache["tiers"][1]["kind"].clone(), cache["tiers"][1]["writes"].clone()), (json!("disk"), json!(1)));
    let text = server.http.get(server.url("/metrics")).header("Accept", "text/plain").send().await.unwrap();
    let text = text.text().await.unwrap();
    for line in [
        "asterism_cache_hits_total{cache=\"default\"} 2",
        "asterism_cache_tier_hits_total{cache=\"default\",tier=\"memory\",kind=\"memory\"} 2",
        "asterism_cache_tier_writes_total{cache=\"default\",tier=\"disk\",kind=\"disk\"} 1",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}
