//! Kind `http`: a module answered by an HTTP service.
//!
//! Takes: the module's signature and settings, and the client its manifest's modules share (one
//! keep-alive pool per host). Gives: an asynchronous `Module` whose call POSTs the argument record
//! as JSON to the URL and reads the answer body, by the declared return type, as the value.
//! Guarantees: every way a request can go wrong is a failure of the call, worded for the user and
//! never showing a secret — no connection, no answer within the call's `timeout` option or else
//! the manifest's, a status
//! other than 2xx (with the start of its body), a body over `max_body` (stopped as it streams in),
//! a body that is not JSON or not of the declared type. A 429 or 503 carrying `Retry-After` asks
//! `retry` to wait at least that long.

use crate::manifest::HttpSpec;
use crate::wire;
use asterism_registry::module::{BoxFuture, ModuleResult, call_timeout};
use asterism_registry::{Module, ModuleError, Signature, Value};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Client, Response, StatusCode};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How much of an error body a failure message shows.
const SHOWN_BODY: usize = 200;

struct Http {
    signature: Signature,
    spec: HttpSpec,
    headers: HeaderMap,
    client: Client,
}

/// The module of an `http` entry, sending through `client`.
pub fn module(signature: Signature, spec: HttpSpec, client: Client) -> Module {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (k, v) in &spec.headers {
        // Checked when the manifest was read.
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            headers.insert(k, v);
        }
    }
    let http = Arc::new(Http { signature, spec, headers, client });
    Module::Async(Arc::new(move |args: &[Value]| -> BoxFuture<ModuleResult> {
        let mut body = String::new();
        wire::write_args(&http.signature, args, &mut body);
        // The call's `timeout` replaces the manifest's.
        let timeout = call_timeout().unwrap_or(http.spec.timeout);
        let http = http.clone();
        Box::pin(async move { http.call(body, timeout).await })
    }))
}

/// The client of a manifest's `http` modules with this connect timeout.
pub fn client(connect_timeout: Duration) -> Result<Client, String> {
    Client::builder()
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

impl Http {
    async fn call(&self, body: String, timeout: Duration) -> ModuleResult {
        let url = &self.spec.url;
        let mut request = self.client.post(url.clone()).timeout(timeout).headers(self.headers.clone());
        if let Some(var) = &self.spec.auth_env {
            let token = std::env::var(var)
                .map_err(|_| ModuleError::new(format!("the environment variable {var} (auth_env) is not set")))?;
            request = request.bearer_auth(token);
        }
        let response = request.body(body).send().await.map_err(|e| self.failed(&e, timeout))?;
        let status = response.status();
        if !status.is_success() {
            let wait = retry_after(response.headers());
            let start = self.body(response, SHOWN_BODY as u64, true, timeout).await.unwrap_or_default();
            let start = String::from_utf8_lossy(&start[..start.len().min(SHOWN_BODY)]).trim().to_string();
            let detail = if start.is_empty() { String::new() } else { format!(": {start}") };
            let error = ModuleError::new(format!("{url} answered {status}{detail}"));
            return Err(match wait {
                Some(wait) if matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) => {
                    error.retry_after(wait)
                }
                _ => error,
            });
        }
        let body = self.body(response, self.spec.max_body, false, timeout).await?;
        wire::read_answer(&body, &self.signature.ret).map_err(|e| ModuleError::new(format!("{url}: {e}")))
    }

    /// The body of `response`, at most `limit` bytes: more is an error, or with `cut` the first
    /// `limit` bytes.
    async fn body(
        &self,
        mut response: Response,
        limit: u64,
        cut: bool,
        timeout: Duration,
    ) -> Result<Vec<u8>, ModuleError> {
        let url = &self.spec.url;
        let too_large = || {
            let limit = asterism_registry::limits::show_bytes(limit);
            ModuleError::new(format!("{url} answered with a body larger than {limit} (max_body)"))
        };
        let declared = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if !cut && declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit) as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failed(&e, timeout))? {
            if (body.len() + chunk.len()) as u64 > limit {
                if cut {
                    body.extend_from_slice(&chunk[..(limit as usize).saturating_sub(body.len())]);
                    return Ok(body);
                }
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A request's failure, worded: what was tried and the innermost cause.
    fn failed(&self, e: &reqwest::Error, timeout: Duration) -> ModuleError {
        let url = &self.spec.url;
        if e.is_timeout() {
            return ModuleError::new(format!("no answer from {url} within {}ms (timeout)", timeout.as_millis()));
        }
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        match e.is_connect() {
            true => ModuleError::new(format!("cannot connect to {url}: {cause}")),
            false => ModuleError::new(format!("request to {url} failed: {cause}")),
        }
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
