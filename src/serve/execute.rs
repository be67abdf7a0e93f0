//! `POST /run` (compile and run a source) and `POST /execute` (run a pipeline held by name or
//! hash): one JSON document, or the outputs streamed as they are ready.
//!
//! Takes: `{source, inputs}` or `{ref | dagName, inputs}`; `Accept: text/event-stream` (or
//! `?stream=true`) for server-sent events, `Accept: application/x-ndjson` for JSON lines.
//! Gives: the reference's result document (`success`, `outputs`, `error`, `status`,
//! `executionId`, `missingInputs`, `pendingOutputs`, `resumptionCount`; `/run` adds
//! `structuralHash` and `compilationErrors`; a failed run adds `errors` with their lines), 200
//! for a completed or failed run, 504 for a run past the deadline (with the outputs it
//! finished); streamed, an event per piece of an output (`partial`), per output (`output`), then
//! `done` with the document. Guarantees: inputs are read before a run takes a place among the
//! runs in flight, and a run holds its place until it ends, streamed or not.

use super::metrics::RunEnd;
use super::reply::{Limited, RequestId, bad_json, json, refusal, unavailable};
use super::state::{Place, State};
use crate::{Layout, Outcome, Pipeline, Status, StreamEvent};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State as With};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;
use tracing::Instrument;

#[derive(Deserialize)]
struct RunRequest<'a> {
    source: String,
    #[serde(borrow)]
    inputs: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ExecuteRequest<'a> {
    #[serde(rename = "ref", borrow)]
    reference: Option<Cow<'a, str>>,
    #[serde(rename = "dagName", borrow)]
    dag_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    inputs: Option<&'a RawValue>,
}

/// How the client wants the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Document,
    Events,
    Lines,
}

fn mode(headers: &HeaderMap, uri: &Uri) -> Mode {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let query = uri.query().unwrap_or("");
    if accept.contains("text/event-stream") || query.split('&').any(|p| p == "stream=true" || p == "stream=1") {
        Mode::Events
    } else if accept.contains("application/x-ndjson") {
        Mode::Lines
    } else {
        Mode::Document
    }
}

/// A request's id, how it wants the result, and its body within the limit.
async fn read(request: Request, state: &Arc<State>) -> Result<(RequestId, Mode, Bytes), Response> {
    let (id, mode) = (RequestId::of(&request), mode(request.headers(), request.uri()));
    let Limited(bytes) = Limited::from_request(request, state).await?;
    Ok((id, mode, bytes))
}

pub async fn execute(With(state): With<Arc<State>>, request: Request) -> Response {
    let (id, mode, bytes) = match read(request, &state).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let request: ExecuteRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return bad_json(&e, &id),
    };
    let Some(reference) = request.reference.or(request.dag_name) else {
        return refusal(StatusCode::BAD_REQUEST, "BadRequest", "Missing 'ref' or 'dagName' field", &id);
    };
    let Some(stored) = state.store.get(&reference) else {
        let message = format!("Pipeline '{reference}' not found");
        return refusal(StatusCode::NOT_FOUND, "NotFound", &message, &id);
    };
    run(&state, &stored.pipeline, request.inputs, mode, &id, None).await
}

pub async fn run_source(With(state): With<Arc<State>>, request: Request) -> Response {
    let (id, mode, bytes) = match read(request, &state).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let request: RunRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return bad_json(&e, &id),
    };
    let pipeline = match super::pipelines::compile(&state, "run.cst", request.source).await {
        Ok(p) => p,
        Err(diagnostics) => {
            let messages: Vec<&str> = diagnostics.items().iter().map(|d| d.message.as_str()).collect();
            let body = serde_json::json!({
                "success": false, "outputs": {}, "structuralHash": null, "compilationErrors": messages,
                "error": null, "status": null, "executionId": null, "missingInputs": null,
                "pendingOutputs": null, "resumptionCount": null, "diagnostics": diagnostics.to_json(),
                "message": messages.join("; "), "requestId": id.as_str(),
            });
            return json(StatusCode::BAD_REQUEST, body.to_string());
        }
    };
    let hash = pipeline.hash_hex();
    run(&state, &pipeline, request.inputs, mode, &id, Some(&hash)).await
}

/// Reads the inputs and runs, as the client asked. `compiled` is the hash `/run` reports.
async fn run(
    state: &Arc<State>,
    pipeline: &Pipeline,
    inputs: Option<&RawValue>,
    mode: Mode,
    id: &RequestId,
    compiled: Option<&str>,
) -> Response {
    if state.draining() {
        return unavailable(true, id);
    }
    let raw = inputs.map_or("{}", RawValue::get);
    let inputs = match pipeline.parse_inputs(raw.as_bytes()) {
        Ok(inputs) => inputs,
        Err(problems) => return input_error(pipeline, raw, &problems, id, compiled),
    };
    let Some(place) = state.place() else { return unavailable(false, id) };
    let mut execution = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let execution = &*uuid::Uuid::new_v4().hyphenated().encode_lower(&mut execution);
    let watch = Watch::start(state);
    let span = tracing::info_span!(target: "asterism::serve", "run", pipeline = %pipeline.hash_hex(), execution);
    if mode == Mode::Document {
        let outcome = pipeline.run(&inputs).instrument(span).await;
        drop(place);
        let end = watch.end(&outcome);
        let status = if end == RunEnd::TimedOut { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::OK };
        return json(status, document(pipeline, &outcome, execution, compiled));
    }
    let events = span.in_scope(|| pipeline.run_stream(inputs));
    stream(pipeline, events, mode, place, watch, execution.to_string(), compiled.map(str::to_string))
}

/// The outputs as they are ready, then the document, as events or lines.
fn stream(
    pipeline: &Pipeline,
    events: impl futures_util::Stream<Item = StreamEvent> + Send + 'static,
    mode: Mode,
    place: Place,
    watch: Watch,
    execution: String,
    compiled: Option<String>,
) -> Response {
    let frame = move |event: &str, data: String| -> Result<Bytes, std::convert::Infallible> {
        Ok(Bytes::from(match mode {
            Mode::Events => format!("event: {event}\ndata: {data}\n\n"),
            _ => format!("{data}\n"),
        }))
    };
    let held = pipeline.clone();
    let mut ending = Some((place, watch));
    let events = events.map(move |event| match event {
        StreamEvent::Partial { name, piece } => {
            frame("partial", serde_json::json!({"output": &*name, "partial": piece}).to_string())
        }
        StreamEvent::Output { name, value } => {
            let value = held.output_json(&name, &value, Layout::Compact).unwrap_or_else(|| "null".into());
            frame("output", format!("{{\"output\":{},\"value\":{value}}}", serde_json::Value::from(&*name)))
        }
        StreamEvent::Done(outcome) => {
            if let Some((place, watch)) = ending.take() {
                drop(place);
                watch.end(&outcome);
            }
            frame("done", document(&held, &outcome, &execution, compiled.as_deref()))
        }
    });
    let mut response = Response::new(Body::from_stream(events));
    let kind = if mode == Mode::Events { "text/event-stream" } else { "application/x-ndjson" };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A run counted in the metrics from its start; one that never ends (its client left) counts as
/// cancelled.
struct Watch {
    state: Arc<State>,
    start: std::time::Instant,
    ended: bool,
}

impl Watch {
    fn start(state: &Arc<State>) -> Watch {
        Watch { state: state.clone(), start: std::time::Instant::now(), ended: false }
    }

    fn end(mut self, outcome: &Outcome) -> RunEnd {
        let end = match outcome.status() {
            Status::Completed => RunEnd::Completed,
            Status::Failed if outcome.errors().iter().any(|e| e.past_deadline()) => RunEnd::TimedOut,
            Status::Failed => RunEnd::Failed,
        };
        self.ended = true;
        self.state.metrics.run_ended(end, self.start.elapsed());
        end
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if !self.ended {
            self.state.metrics.run_ended(RunEnd::Cancelled, self.start.elapsed());
        }
    }
}

/// The result document of a run.
fn document(pipeline: &Pipeline, outcome: &Outcome, execution: &str, compiled: Option<&str>) -> String {
    let completed = outcome.status() == Status::Completed;
    let mut out = String::with_capacity(256);
    out.push_str(if completed { "{\"success\":true,\"outputs\":" } else { "{\"success\":false,\"outputs\":" });
    outcome.write_outputs_json(Layout::Compact, &mut out);
    if let Some(hash) = compiled {
        out.push_str(",\"structuralHash\":\"");
        out.push_str(hash);
        out.push_str("\",\"compilationErrors\":[]");
    }
    out.push_str(",\"error\":");
    match completed {
        true => out.push_str("null"),
        false => {
            let messages: Vec<&str> = outcome.errors().iter().map(|e| e.message.as_str()).collect();
            out.push_str(&serde_json::Value::from(messages.join("; ")).to_string());
        }
    }
    out.push_str(if completed { ",\"status\":\"completed\"" } else { ",\"status\":\"failed\"" });
    out.push_str(",\"executionId\":\"");
    out.push_str(execution);
    out.push_str("\",\"missingInputs\":null,\"pendingOutputs\":");
    // A completed run has every output; a failed one lists those it did not finish.
    let pending: Vec<&str> = match completed {
        true => Vec::new(),
        false => {
            let produced: Vec<&str> = outcome.outputs().map(|(name, _, _)| name).collect();
            pipeline.outputs().map(|(name, _)| name).filter(|n| !produced.contains(n)).collect()
        }
    };
    match pending.is_empty() {
        true => out.push_str("null"),
        false => out.push_str(&serde_json::Value::from(pending).to_string()),
    }
    out.push_str(",\"resumptionCount\":0");
    if !completed {
        let errors: Vec<serde_json::Value> =
            outcome.errors().iter().map(|e| serde_json::json!({"message": e.message, "line": e.line})).collect();
        out.push_str(",\"errors\":");
        out.push_str(&serde_json::Value::Array(errors).to_string());
    }
    out.push('}');
    out
}

/// 400 for inputs that do not fit the pipeline: every problem, each naming its input and path,
/// and the inputs missing with their types.
fn input_error(
    pipeline: &Pipeline,
    raw: &str,
    problems: &[String],
    id: &RequestId,
    compiled: Option<&str>,
) -> Response {
    let given: std::collections::HashMap<String, serde::de::IgnoredAny> = serde_json::from_str(raw).unwrap_or_default();
    let missing: serde_json::Map<String, serde_json::Value> = pipeline
        .inputs()
        .filter(|(name, ty)| !given.contains_key(*name) && !matches!(ty, crate::Type::Optional(_)))
        .map(|(name, ty)| (name.to_string(), ty.to_string().into()))
        .collect();
    let message = problems.join("; ");
    let mut body = serde_json::json!({
        "success": false, "outputs": {}, "error": format!("Input error: {message}"), "status": null,
        "executionId": null, "missingInputs": if missing.is_empty() { serde_json::Value::Null } else { missing.into() },
        "pendingOutputs": null, "resumptionCount": null, "problems": problems,
        "message": message, "requestId": id.as_str(),
    });
    if let Some(hash) = compiled {
        body["structuralHash"] = hash.into();
        body["compilationErrors"] = serde_json::json!([]);
    }
    json(StatusCode::BAD_REQUEST, body.to_string())
}
