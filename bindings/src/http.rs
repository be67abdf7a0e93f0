//! Kind `http`: a module answered by an HTTP service.
//!
//! Takes: the module's signature and settings, and the client its manifest's modules share (one
//! keep-alive pool per host, `client`). Gives: an asynchronous `Module` whose call POSTs the argument record
//! as JSON to the URL and reads the answer body, by the declared return type, as the value.
//! Guarantees: every way a request can go wrong is a failure of the call, worded for the user and
//! never showing a secret — no connection, no answer within the call's `timeout` option or else
//! the manifest's, a status
//! other than 2xx (with the start of its body), a body over `max_body` (stopped as it streams in),
//! a body that is not JSON or not of the declared type. A 429 or 503 carrying `Retry-After` asks
//! `retry` to wait at least that long.

mod client;

use crate::manifest::HttpSpec;
use crate::wire;
use asterism_registry::module::Batched;
use asterism_registry::module::{BoxFuture, ModuleResult, call_timeout};
use asterism_registry::{Module, ModuleError, Signature, Type, Value};
pub use client::Client;
use client::Failure;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use hyper::{Method, StatusCode, Uri};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How much of an error body a failure message shows.
const SHOWN_BODY: usize = 200;

/// A service as the modules of its entry call it: where, with what headers, through which client.
pub(crate) struct Http {
    pub signature: Signature,
    pub spec: HttpSpec,
    headers: HeaderMap,
    client: Arc<Client>,
}

impl Http {
    pub fn new(signature: Signature, spec: HttpSpec, client: Arc<Client>) -> Arc<Http> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (k, v) in &spec.headers {
            // Checked when the manifest was read.
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                headers.insert(k, v);
            }
        }
        Arc::new(Http { signature, spec, headers, client })
    }
}

/// The module of an `http` entry, sending through `client`.
pub fn module(signature: Signature, spec: HttpSpec, client: Arc<Client>) -> Module {
    let batched = spec.max_batch.is_some();
    let http = Http::new(signature, spec, client);
    if batched {
        return batch_module(http);
    }
    Module::Async(Arc::new(move |args: &[Value]| -> BoxFuture<ModuleResult> {
        let mut body = String::new();
        wire::write_args(&http.signature, args, &mut body);
        // A call with a `timeout` of its own is abandoned by the runtime at that time; the
        // manifest's limits only the calls without one.
        let own = call_timeout().is_none().then_some(http.spec.timeout);
        let http = http.clone();
        Box::pin(async move {
            let answer = http.limited(own, http.call(body)).await?;
            http.read(&answer, &http.signature.ret)
        })
    }))
}

/// The module of an entry whose service takes batches: a JSON array of argument records, answered
/// by an array of values in the same order.
fn batch_module(http: Arc<Http>) -> Module {
    let (max_batch, max_delay) = (http.spec.max_batch, http.spec.max_delay);
    let run = move |batch: Vec<Vec<Value>>| -> BoxFuture<Result<Vec<Value>, ModuleError>> {
        let mut body = String::from("[");
        for (i, args) in batch.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            wire::write_args(&http.signature, args, &mut body);
        }
        body.push(']');
        let http = http.clone();
        Box::pin(async move {
            // A batch serves many calls: the manifest's timeout limits it; each call has its own.
            let answer = http.limited(Some(http.spec.timeout), http.call(body)).await?;
            let values = http.read(&answer, &Type::list(http.signature.ret.clone()))?;
            Ok(values.as_list().map(|list| list.iter().collect()).unwrap_or_default())
        })
    };
    Module::Batched(Arc::new(Batched { run: Arc::new(run), max_batch, max_delay }))
}

impl Http {
    /// `request` within `limit`, when there is one.
    pub async fn limited<T>(
        &self,
        limit: Option<Duration>,
        request: impl Future<Output = Result<T, ModuleError>>,
    ) -> Result<T, ModuleError> {
        let Some(limit) = limit else { return request.await };
        tokio::time::timeout(limit, request).await.unwrap_or_else(|_| {
            let url = &self.spec.url;
            Err(ModuleError::new(format!(
                "no answer from {url} within {}ms (the manifest's timeout)",
                limit.as_millis()
            )))
        })
    }

    /// An answer's body read as a value of `ty`.
    fn read(&self, body: &[u8], ty: &Type) -> ModuleResult {
        wire::read_answer(body, ty).map_err(|e| ModuleError::new(format!("{}: {e}", self.spec.url)))
    }

    /// The status of a GET of `url` (a readiness check), with this entry's headers.
    pub async fn status_of(&self, url: &Uri) -> Result<StatusCode, ModuleError> {
        let answer = self.client.send(Method::GET, url, &self.headers, Bytes::new(), SHOWN_BODY as u64, None).await;
        answer.map(|a| a.status).map_err(|e| match e {
            Failure::Connect(cause) => ModuleError::new(format!("cannot connect to {url}: {cause}")),
            Failure::Request(cause) => ModuleError::new(format!("request to {url} failed: {cause}")),
        })
    }

    /// POSTs `body`: the answer's body, or the call's failure.
    pub async fn call(&self, body: String) -> Result<Vec<u8>, ModuleError> {
        self.call_streaming(body, None).await
    }

    /// `call`, giving `on_data` each piece of the answer's body as it arrives.
    pub async fn call_streaming(
        &self,
        body: String,
        on_data: Option<client::OnData<'_>>,
    ) -> Result<Vec<u8>, ModuleError> {
        let url = &self.spec.url;
        let mut headers = self.headers.clone();
        if let Some(var) = &self.spec.auth_env {
            let token = std::env::var(var)
                .map_err(|_| ModuleError::new(format!("the environment variable {var} (auth_env) is not set")))?;
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                ModuleError::new(format!("the environment variable {var} (auth_env) holds characters a header cannot"))
            })?;
            headers.insert(hyper::header::AUTHORIZATION, value);
        }
        let answer = self
            .client
            .send(Method::POST, url, &headers, Bytes::from(body), self.spec.max_body, on_data)
            .await
            .map_err(|e| match e {
                Failure::Connect(cause) => ModuleError::new(format!("cannot connect to {url}: {cause}")),
                Failure::Request(cause) => ModuleError::new(format!("request to {url} failed: {cause}")),
            })?;
        if !answer.status.is_success() {
            let shown = &answer.body[..answer.body.len().min(SHOWN_BODY)];
            let start = String::from_utf8_lossy(shown).trim().to_string();
            let detail = if start.is_empty() { String::new() } else { format!(": {start}") };
            let status = answer.status;
            let error = ModuleError::new(format!("{url} answered {status}{detail}"));
            return Err(match retry_after(&answer.headers) {
                Some(wait) if matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) => {
                    error.retry_after(wait)
                }
                _ => error,
            });
        }
        if answer.over {
            let limit = asterism_registry::limits::show_bytes(self.spec.max_body);
            return Err(ModuleError::new(format!("{url} answered with a body larger than {limit} (max_body)")));
        }
        Ok(answer.body)
    }
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    match text.parse::<u64>() {
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => {
            let when = httpdate::parse_http_date(text).ok()?;
            Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past asks for no wait");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
