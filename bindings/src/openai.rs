//! Kind `openai`: embeddings and chat completions of an OpenAI-compatible server.
//!
//! Takes: an `OpenAiSpec` and the manifest's HTTP client. Gives: for `embeddings`, a batched
//! module — the texts of a batch in one request's `input` array, each call given the embedding of
//! its index; for `chat`, an asynchronous module — the prompt as the user's message (after the
//! entry's `system` message), the answer's text as the value, read from server-sent events when
//! `stream` is on (the default), else from the whole answer. Guarantees: every failure of kind
//! `http` (connection, timeout, status, size) and an answer the API does not describe (missing
//! fields, an embedding count or index that does not match, an `error` event in a stream) fail the
//! call with a message naming the server.

use crate::http::{Client, Http};
use crate::manifest::{Api, OpenAiSpec};
use asterism_registry::module::{Batched, BoxFuture, ModuleResult, Partial, call_partial, call_timeout};
use asterism_registry::{Module, ModuleError, Signature, Value};
use serde::Deserialize;
use std::sync::Arc;

/// The module of an `openai` entry.
pub fn module(signature: Signature, spec: OpenAiSpec, client: Arc<Client>) -> Module {
    let api = spec.api;
    let (max_batch, max_delay) = (spec.http.max_batch, spec.http.max_delay);
    let http = Http::new(signature, spec.http.clone(), client);
    let spec = Arc::new(spec);
    match api {
        Api::Embeddings => {
            let run = move |batch: Vec<Vec<Value>>| -> BoxFuture<Result<Vec<Value>, ModuleError>> {
                let texts: Vec<&str> =
                    batch.iter().map(|args| args.first().and_then(Value::as_str).unwrap_or("")).collect();
                let body = serde_json::json!({ "model": spec.model, "input": texts }).to_string();
                let (http, n) = (http.clone(), batch.len());
                Box::pin(async move {
                    let answer = http.limited(Some(http.spec.timeout), http.call(body)).await?;
                    embeddings(&answer, n).map_err(|e| ModuleError::new(format!("{}: {e}", http.spec.url)))
                })
            };
            Module::Batched(Arc::new(Batched { run: Arc::new(run), max_batch, max_delay }))
        }
        Api::Chat => Module::Async(Arc::new(move |args: &[Value]| -> BoxFuture<ModuleResult> {
            let prompt = args.first().and_then(Value::as_str).unwrap_or("");
            let body = chat_request(&spec, prompt);
            let own = call_timeout().is_none().then_some(http.spec.timeout);
            let (http, stream) = (http.clone(), spec.stream);
            // A streamed answer's pieces go on as they arrive when the run streams this output.
            let pieces = call_partial().filter(|_| stream).map(Pieces::new);
            Box::pin(async move {
                let answer = match pieces {
                    Some(mut pieces) => {
                        let mut feed = |data: &[u8]| pieces.take(data);
                        http.limited(own, http.call_streaming(body, Some(&mut feed))).await?
                    }
                    None => http.limited(own, http.call(body)).await?,
                };
                let text = if stream { streamed(&answer) } else { whole(&answer) };
                text.map(Value::str).map_err(|e| ModuleError::new(format!("{}: {e}", http.spec.url)))
            })
        })),
    }
}

/// Reads server-sent events as they arrive, giving the partial sink each delta's text.
struct Pieces {
    partial: Partial,
    /// The part of a line received so far.
    line: Vec<u8>,
}

impl Pieces {
    fn new(partial: Partial) -> Pieces {
        Pieces { partial, line: Vec::new() }
    }

    fn take(&mut self, data: &[u8]) {
        for &b in data {
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let Some(event) = std::str::from_utf8(&line).ok().and_then(|l| l.strip_prefix("data:")) else { continue };
            let Ok(chunk) = serde_json::from_str::<ChatAnswer>(event.trim()) else { continue };
            if let Some(content) = chunk.choices.into_iter().next().and_then(|c| c.delta).and_then(|d| d.content)
                && !content.is_empty()
            {
                (self.partial)(&content);
            }
        }
    }
}

fn chat_request(spec: &OpenAiSpec, prompt: &str) -> String {
    let mut messages = Vec::new();
    if let Some(system) = &spec.system {
        messages.push(serde_json::json!({ "role": "system", "content": system }));
    }
    messages.push(serde_json::json!({ "role": "user", "content": prompt }));
    let mut body = serde_json::json!({ "model": spec.model, "messages": messages, "stream": spec.stream });
    if let Some(n) = spec.max_tokens {
        body["max_tokens"] = n.into();
    }
    if let Some(t) = spec.temperature {
        body["temperature"] = t.into();
    }
    body.to_string()
}

#[derive(Deserialize)]
struct EmbeddingsAnswer {
    data: Vec<Embedding>,
}

#[derive(Deserialize)]
struct Embedding {
    index: Option<usize>,
    embedding: Vec<f64>,
}

/// The embeddings of an answer to `n` inputs, in input order.
fn embeddings(body: &[u8], n: usize) -> Result<Vec<Value>, String> {
    let answer: EmbeddingsAnswer =
        serde_json::from_slice(body).map_err(|e| format!("not an embeddings answer ({e})"))?;
    if answer.data.len() != n {
        return Err(format!("answered {} embeddings for {n} inputs", answer.data.len()));
    }
    let mut out: Vec<Option<Value>> = vec![None; n];
    for (i, item) in answer.data.into_iter().enumerate() {
        let at = item.index.unwrap_or(i);
        match out.get_mut(at) {
            Some(slot @ None) => *slot = Some(Value::Floats(item.embedding.into())),
            _ => return Err(format!("an embedding's index {at} is out of place")),
        }
    }
    Ok(out.into_iter().flatten().collect())
}

#[derive(Deserialize)]
struct ChatAnswer {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    delta: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

/// The text of a whole chat answer.
fn whole(body: &[u8]) -> Result<String, String> {
    let answer: ChatAnswer = serde_json::from_slice(body).map_err(|e| format!("not a chat answer ({e})"))?;
    let message = answer.choices.into_iter().next().and_then(|c| c.message);
    message.and_then(|m| m.content).ok_or_else(|| "the chat answer has no message".to_string())
}

/// The text of a chat answer sent as server-sent events: the `delta` contents of its `data:`
/// events, up to `[DONE]`.
fn streamed(body: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the event stream is not UTF-8".to_string())?;
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data:") else { continue };
        let data = data.trim();
        if data == "[DONE]" {
            done = true;
            break;
        }
        let event: serde_json::Value =
            serde_json::from_str(data).map_err(|e| format!("an event of the stream is not JSON ({e})"))?;
        if let Some(error) = event.get("error") {
            let message =
                error.get("message").and_then(|m| m.as_str()).map_or_else(|| error.to_string(), str::to_string);
            return Err(format!("the stream reported an error: {message}"));
        }
        let chunk: ChatAnswer = serde_json::from_value(event).map_err(|e| format!("not a chat event ({e})"))?;
        if let Some(content) = chunk.choices.into_iter().next().and_then(|c| c.delta).and_then(|d| d.content) {
            out.push_str(&content);
        }
    }
    match done {
        true => Ok(out),
        false => Err("the event stream ended before [DONE]".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_come_back_in_input_order() {
        let body = br#"{"data": [{"index": 1, "embedding": [3, 4]}, {"index": 0, "embedding": [1.5]}]}"#;
        let values = embeddings(body, 2).unwrap();
        assert!(matches!(&values[0], Value::Floats(v) if v[..] == [1.5]));
        assert!(matches!(&values[1], Value::Floats(v) if v[..] == [3.0, 4.0]));
        assert_eq!(embeddings(body, 3).unwrap_err(), "answered 2 embeddings for 3 inputs");
        let twice = br#"{"data": [{"index": 0, "embedding": []}, {"index": 0, "embedding": []}]}"#;
        assert!(embeddings(twice, 2).unwrap_err().contains("out of place"));
    }

    #[test]
    fn a_streamed_answer_is_the_deltas_up_to_done() {
        let stream = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n\
                      data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
                      : a comment\n\
                      data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n\
                      data: [DONE]\n\n";
        assert_eq!(streamed(stream.as_bytes()).unwrap(), "Hello");
        assert!(streamed(b"data: {\"choices\":[]}\n\n").unwrap_err().contains("before [DONE]"));
        let error = "data: {\"error\": {\"message\": \"overloaded\"}}\n\n";
        assert_eq!(streamed(error.as_bytes()).unwrap_err(), "the stream reported an error: overloaded");
        assert_eq!(whole(br#"{"choices":[{"message":{"content":"Hi"}}]}"#).unwrap(), "Hi");
    }
}
