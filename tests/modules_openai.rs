//! Kind `openai` against a fake OpenAI-compatible server started in the test on 127.0.0.1:0:
//! embeddings gathered into one request's `input` array, chat answers whole and streamed as
//! server-sent events, and the failures of a misbehaving server.

#[path = "support/http_server.rs"]
mod http_server;

use asterism::{Engine, Layout, Outcome};
use http_server::{Reply, Request, Server};
use tempfile::TempDir;

/// A fake server: embeddings of "text" are `[len, index]`, answered in reverse order; chat
/// answers "echo: <last message>", streamed in chunks of three characters when asked to.
fn answer(r: &Request) -> Reply {
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    if r.path.ends_with("/embeddings") {
        let inputs = body["input"].as_array().unwrap();
        let data: Vec<serde_json::Value> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| serde_json::json!({"object": "embedding", "index": i, "embedding": [t.as_str().unwrap().len(), i]}))
            .collect();
        return Reply::ok(serde_json::json!({ "object": "list", "data": data }).to_string());
    }
    let messages = body["messages"].as_array().unwrap();
    let prompt = messages.last().unwrap()["content"].as_str().unwrap();
    if prompt == "fail" {
        return Reply::new(503, r#"{"error": {"message": "overloaded"}}"#);
    }
    let text = format!("echo: {prompt}");
    if body["stream"] != true {
        return Reply::ok(
            serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})
                .to_string(),
        );
    }
    let mut events = String::from("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n");
    for piece in text.chars().collect::<Vec<_>>().chunks(3) {
        let piece: String = piece.iter().collect();
        let event = serde_json::json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
        events.push_str(&format!("data: {event}\n\n"));
    }
    if prompt != "cut" {
        events.push_str("data: [DONE]\n\n");
    }
    Reply::ok(events).header("content-type", "text/event-stream").chunked(16)
}

fn bind(url: &str, extra: &str) -> (Engine, TempDir) {
    let dir = TempDir::new().unwrap();
    let manifest = format!(
        "[modules.\"llm.embed\"]\nkind = \"openai\"\napi = \"embeddings\"\nurl = \"{url}\"\nmodel = \"emb-1\"\nsignature = \"(text: String) -> List<Float>\"\n\n\
         [modules.\"llm.ask\"]\nkind = \"openai\"\napi = \"chat\"\nurl = \"{url}\"\nmodel = \"chat-1\"\nsystem = \"Be brief.\"\nsignature = \"(prompt: String) -> String\"\n{extra}\n"
    );
    std::fs::write(dir.path().join("asterism.toml"), manifest).unwrap();
    let mut engine = Engine::new();
    engine.load_manifest(dir.path().join("asterism.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    (engine, dir)
}

async fn run(engine: &Engine, source: &str, inputs: &str) -> Outcome {
    let pipeline = engine.compile("t.cst", source).unwrap_or_else(|d| panic!("{d}"));
    pipeline.run(&pipeline.parse_inputs(inputs.as_bytes()).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_of_many_calls_travel_in_one_request() {
    let server = Server::start(answer).await;
    let (engine, _dir) = bind(&server.url("/v1"), "");
    let source =
        "in texts: List<String>\nvs = map(texts, (t) => embed(t) with batch: 8, batch_timeout: 20ms)\nout vs\n";
    let outcome = run(&engine, source, r#"{"texts": ["a", "bb", "ccc"]}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"vs":[[1.0,0.0],[2.0,1.0],[3.0,2.0]]}"#);
    assert_eq!(server.seen.requests(), 1);
    let request = server.seen.last();
    assert_eq!(request.path, "/v1/embeddings");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, serde_json::json!({"model": "emb-1", "input": ["a", "bb", "ccc"]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_answer_is_read_from_its_event_stream() {
    let server = Server::start(answer).await;
    let (engine, _dir) = bind(&server.url("/v1/"), "max_tokens = 64");
    let outcome = run(&engine, "in q: String\na = ask(q)\nout a\n", r#"{"q": "hello there"}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"a":"echo: hello there"}"#);
    let request = server.seen.last();
    assert_eq!(request.path, "/v1/chat/completions");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["messages"][0], serde_json::json!({"role": "system", "content": "Be brief."}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_answer_can_come_whole() {
    let server = Server::start(answer).await;
    let (engine, _dir) = bind(&server.url("/v1"), "stream = false");
    let outcome = run(&engine, "in q: String\na = ask(q)\nout a\n", r#"{"q": "hi"}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"a":"echo: hi"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_server_fails_the_call_and_the_rest_arrives() {
    let server = Server::start(answer).await;
    let (engine, _dir) = bind(&server.url("/v1"), "");
    let source = "in q: String\nbad = ask(\"fail\")\ncut = ask(\"cut\")\ngood = ask(q)\nout bad\nout cut\nout good\n";
    let outcome = run(&engine, source, r#"{"q": "ok"}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"good":"echo: ok"}"#);
    let messages: Vec<&str> = outcome.errors().iter().map(|e| e.message.as_str()).collect();
    assert!(messages[0].starts_with("llm.ask: ") && messages[0].contains("503"), "{messages:?}");
    assert!(messages[1].ends_with("the event stream ended before [DONE]"), "{messages:?}");
}

#[test]
fn an_entry_that_does_not_fit_its_api_is_refused_when_the_manifest_loads() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("asterism.toml");
    let manifest = "[modules.\"llm.ask\"]\nkind = \"openai\"\napi = \"chat\"\nurl = \"http://127.0.0.1:1/v1\"\nsignature = \"(prompt: String) -> Int\"\nmax_batch = 4\n";
    std::fs::write(&path, manifest).unwrap();
    let errors = Engine::new().load_manifest(&path).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("needs a 'model'")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("called as (prompt: String) -> String")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("'max_batch' applies to embeddings")), "{messages:?}");
}

/// A streamed chat answer reaches `run_stream` piece by piece, before its output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_reaches_run_stream_piece_by_piece() {
    use asterism::StreamEvent;
    use futures_util::StreamExt;
    let server = Server::start(answer).await;
    let (engine, _dir) = bind(&server.url("/v1"), "");
    let pipeline = engine.compile("t.cst", "in q: String\na = ask(q)\nout a\n").unwrap();
    let inputs = pipeline.parse_inputs(br#"{"q": "hello there"}"#).unwrap();
    let mut events = pipeline.run_stream(inputs);
    let (mut pieces, mut output) = (Vec::new(), None);
    while let Some(event) = events.next().await {
        match event {
            StreamEvent::Partial { name, piece } => {
                assert_eq!(&*name, "a");
                assert!(output.is_none(), "pieces come before the output");
                pieces.push(piece);
            }
            StreamEvent::Output { value, .. } => output = Some(value.as_str().unwrap().to_string()),
            StreamEvent::Done(outcome) => assert!(outcome.errors().is_empty()),
        }
    }
    assert_eq!(output.as_deref(), Some("echo: hello there"));
    assert!(pieces.len() > 2, "{pieces:?}");
    assert_eq!(pieces.concat(), "echo: hello there");
}

/// `asterism run --stream` prints the pieces as `{"output": …, "partial": …}` lines first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stream_in_the_cli_prints_the_pieces_first() {
    let server = Server::start(answer).await;
    let (_engine, dir) = bind(&server.url("/v1"), "");
    let pipeline = dir.path().join("p.cst");
    std::fs::write(&pipeline, "in q: String\na = ask(q)\nout a\n").unwrap();
    let (manifest, pipeline) = (dir.path().join("asterism.toml"), pipeline.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_asterism"))
            .env("ASTERISM_NO_CACHE", "1")
            .args(["run", "--stream", "--modules"])
            .arg(&manifest)
            .arg(&pipeline)
            .args(["-i", "q=hi"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let pieces: Vec<&str> = lines.iter().filter_map(|l| l["partial"].as_str()).collect();
    assert_eq!(pieces.concat(), "echo: hi", "{text}");
    let first_value = lines.iter().position(|l| l.get("value").is_some()).unwrap();
    assert!(lines[..first_value].iter().all(|l| l.get("partial").is_some()), "{text}");
    assert_eq!(lines[first_value], serde_json::json!({"output": "a", "value": "echo: hi"}));
}
