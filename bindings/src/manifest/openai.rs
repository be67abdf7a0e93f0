//! Entries of kind `openai`: a model behind an OpenAI-compatible server (vLLM, llama.cpp server,
//! Ollama, …), read from the manifest.
//!
//! Takes: an entry's raw settings and parsed signature. Gives: an `OpenAiSpec` — the HTTP settings
//! of kind `http` (with `url` the API's base, e.g. `http://127.0.0.1:8000/v1`) and what the API
//! needs. Guarantees: the signature fits the API — `embeddings`: `(text: String) -> List<Float>`;
//! `chat`: `(prompt: String) -> String` — else an error at the signature, when the manifest loads.

use super::{HttpSpec, Problems, RawEntry, http};
use asterism_registry::{Signature, Type};
use std::ops::Range;

/// The settings of kind `openai`.
pub const KEYS: [&str; 14] = [
    "url",
    "headers",
    "auth_env",
    "timeout",
    "connect_timeout",
    "max_body",
    "max_batch",
    "max_delay",
    "api",
    "model",
    "stream",
    "system",
    "max_tokens",
    "temperature",
];

/// Which API of the server a module calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `POST {url}/embeddings`: one request carries many inputs (a batched module).
    Embeddings,
    /// `POST {url}/chat/completions`, the prompt as the user's message.
    Chat,
}

#[derive(Clone, Debug)]
pub struct OpenAiSpec {
    /// The HTTP settings, `url` the endpoint's (the base URL and the API's path).
    pub http: HttpSpec,
    pub api: Api,
    pub model: String,
    /// Chat: ask for the answer as server-sent events (default true).
    pub stream: bool,
    /// Chat: a system message before the prompt.
    pub system: Option<String>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
}

/// How many inputs an embeddings request carries at most when the entry does not say.
const DEFAULT_MAX_BATCH: usize = 64;

pub(super) fn read(
    name: &str,
    signature: Option<&Signature>,
    mut raw: RawEntry,
    kind_span: Range<usize>,
    p: &mut Problems<'_>,
) -> Option<OpenAiSpec> {
    let sig_span = raw.signature.span();
    let api = match raw.api.take() {
        None => {
            p.add(
                kind_span.clone(),
                format!("module '{name}' of kind 'openai' needs an 'api': \"embeddings\" or \"chat\""),
            );
            None
        }
        Some(api) => p.check(Some(api), |api| match api.as_str() {
            "embeddings" => Ok(Api::Embeddings),
            "chat" => Ok(Api::Chat),
            other => Err(format!("unknown api '{other}': expected \"embeddings\" or \"chat\"")),
        }),
    };
    let model = p.required(raw.model.take(), kind_span.clone(), name, "openai", "model");
    if let (Some(api), Some(signature)) = (api, signature) {
        let (param, ret, shape) = match api {
            Api::Embeddings => (Type::String, Type::list(Type::Float), "(text: String) -> List<Float>"),
            Api::Chat => (Type::String, Type::String, "(prompt: String) -> String"),
        };
        if signature.params.len() != 1 || signature.params[0].ty != param || signature.ret != ret {
            p.add(sig_span, format!("the '{name}' signature does not fit the {api:?} API: it is called as {shape}"));
        }
    }
    let stream = raw.stream.take().map(|s| s.into_inner());
    let system = raw.system.take().map(|s| s.into_inner());
    let max_tokens = p.check(raw.max_tokens.take(), |n| match u32::try_from(n) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'max_tokens' must be a positive count, not {n}")),
    });
    let temperature = p.check(raw.temperature.take(), |t| match (0.0..=2.0).contains(&t) {
        true => Ok(t),
        false => Err(format!("'temperature' must be between 0 and 2, not {t}")),
    });
    let batched = api == Some(Api::Embeddings);
    if let (Some(Api::Chat), Some(max_batch)) = (api, &raw.max_batch) {
        p.add(max_batch.span(), "'max_batch' applies to embeddings: a chat request takes one prompt".to_string());
    }
    let mut http = http(name, raw, kind_span, p)?;
    let path = match api? {
        Api::Embeddings => "embeddings",
        Api::Chat => "chat/completions",
    };
    let base = http.url.to_string();
    http.url = format!("{}/{path}", base.trim_end_matches('/')).parse().ok()?;
    match batched {
        true => http.max_batch = http.max_batch.or(Some(DEFAULT_MAX_BATCH)),
        false => http.max_batch = None,
    }
    Some(OpenAiSpec { http, api: api?, model: model?, stream: stream.unwrap_or(true), system, max_tokens, temperature })
}
