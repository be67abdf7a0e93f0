//! Kind `kserve` against a fake Open Inference Protocol (v2 REST) server started in the test on
//! 127.0.0.1:0: tensors in and out, batches stacked into one tensor, the readiness checks, and an
//! answer without the output asked for.

#[path = "support/http_server.rs"]
mod http_server;

use asterism::{Engine, Layout, Outcome};
use http_server::{Reply, Request, Server};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tempfile::TempDir;

/// A v2 server for the model `scorer`: its output `scores` is `[sum, max]` of each row of the
/// input `features`; it also gives an output `other` first. The model is ready once `ready` is.
fn server(ready: Arc<AtomicBool>) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r: &Request| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/v2/health/ready") => Reply::new(200, ""),
        ("GET", "/v2/models/scorer/ready") if ready.load(Ordering::Relaxed) => Reply::new(200, ""),
        ("GET", _) => Reply::new(503, ""),
        ("POST", "/v2/models/scorer/infer") => {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            let input = &body["inputs"][0];
            assert_eq!((input["name"].as_str(), input["datatype"].as_str()), (Some("features"), Some("FP32")));
            let shape: Vec<usize> = serde_json::from_value(input["shape"].clone()).unwrap();
            let data: Vec<f64> = serde_json::from_value(input["data"].clone()).unwrap();
            let rows: Vec<&[f64]> = data.chunks(shape[1]).collect();
            let scores: Vec<f64> =
                rows.iter().flat_map(|row| [row.iter().sum(), row.iter().cloned().fold(f64::MIN, f64::max)]).collect();
            let scores = if data.first() == Some(&-1.0) { serde_json::json!([]) } else { serde_json::json!(scores) };
            Reply::ok(
                serde_json::json!({"model_name": "scorer", "outputs": [
                    {"name": "other", "shape": [1], "datatype": "INT64", "data": [7]},
                    {"name": "scores", "shape": [rows.len(), 2], "datatype": "FP32", "data": scores},
                ]})
                .to_string(),
            )
        }
        _ => Reply::new(404, "no such endpoint"),
    }
}

fn bind(url: &str, extra: &str) -> (Engine, TempDir) {
    let dir = TempDir::new().unwrap();
    let manifest = format!(
        "[modules.\"m.score\"]\nkind = \"kserve\"\nurl = \"{url}\"\nmodel = \"scorer\"\noutput = \"scores\"\nsignature = \"(features: List<Float>) -> List<Float>\"\n{extra}\n"
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

const ONE: &str = "in f: List<Float>\ns = score(f)\nout s\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_one_row_in_and_its_output_out_once_the_model_is_ready() {
    let ready = Arc::new(AtomicBool::new(false));
    let server = Server::start(server(ready.clone())).await;
    let (engine, _dir) = bind(&server.url(""), "");
    let outcome = run(&engine, ONE, r#"{"f": [1, 2, 3]}"#).await;
    let message = &outcome.errors()[0].message;
    assert!(
        message.contains("not ready: GET ") && message.contains("/v2/models/scorer/ready answered 503"),
        "{message}"
    );
    ready.store(true, Ordering::Relaxed);
    let outcome = run(&engine, ONE, r#"{"f": [1, 2, 3]}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"s":[6.0,3.0]}"#);
    let requests = server.seen.requests();
    run(&engine, ONE, r#"{"f": [4]}"#).await;
    assert_eq!(server.seen.requests(), requests + 1, "readiness is asked until it is given, then not again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_one_stacked_tensor_and_its_answer_is_split_by_row() {
    let server = Server::start(server(Arc::new(AtomicBool::new(true)))).await;
    let (engine, _dir) = bind(&server.url("/"), "max_batch = 8");
    let source =
        "in rows: List<List<Float>>\nss = map(rows, (r) => score(r) with batch: 8, batch_timeout: 20ms)\nout ss\n";
    let outcome = run(&engine, source, r#"{"rows": [[1, 2], [3, 4], [5, 0.5]]}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"ss":[[3.0,2.0],[7.0,4.0],[5.5,5.0]]}"#);
    let infer: serde_json::Value = serde_json::from_slice(&server.seen.last().body).unwrap();
    assert_eq!(infer["inputs"][0]["shape"], serde_json::json!([3, 2]));
    assert_eq!(infer["outputs"], serde_json::json!([{"name": "scores"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_does_not_fit_fails_the_call() {
    let server = Server::start(server(Arc::new(AtomicBool::new(true)))).await;
    let (engine, _dir) = bind(&server.url(""), "");
    let source = "in f: List<Float>\ns = score(f)\nt = score([1.0])\nout s\nout t\n";
    let outcome = run(&engine, source, r#"{"f": [-1, 2]}"#).await;
    assert_eq!(outcome.outputs_json(Layout::Compact), r#"{"t":[1.0,1.0]}"#);
    let message = &outcome.errors()[0].message;
    assert!(
        message.starts_with("m.score: ") && message.contains("the answer: a tensor of shape [1, 2] with 0 elements"),
        "{message}"
    );
}

#[test]
fn a_signature_without_a_tensor_form_is_refused_when_the_manifest_loads() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("asterism.toml");
    let manifest = "[modules.\"m.score\"]\nkind = \"kserve\"\nurl = \"http://127.0.0.1:1\"\nmodel = \"x\"\nmax_batch = 4\nsignature = \"(rows: List<List<Float>>, r: { a: Int }) -> Float\"\n";
    std::fs::write(&path, manifest).unwrap();
    let messages: Vec<String> =
        Engine::new().load_manifest(&path).unwrap_err().iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|m| m.contains("more than a row")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("{ a: Int } has no tensor form")), "{messages:?}");
}
