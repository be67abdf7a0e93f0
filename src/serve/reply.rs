//! The shapes of the server's answers: JSON bodies, and refusals as `{error, message, requestId}`.
//!
//! Takes: a status, a body or a refusal's kind and message, the request's id. Gives: responses
//! with `Content-Type: application/json` (and `Retry-After` where the client should come back).

use super::state::State;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// The id of a request: its `X-Request-ID` when it sent a sound one, else a new UUID, which the
/// guard writes into the request's headers (so the answer echoes it without a copy).
#[derive(Clone, Debug)]
pub struct RequestId(pub HeaderValue);

/// The request header (and answer header) of the id.
pub const REQUEST_ID: &str = "x-request-id";

impl RequestId {
    /// The id the guard gave `request`.
    pub fn of(request: &Request) -> RequestId {
        RequestId::in_headers(request.headers())
    }

    fn in_headers(headers: &HeaderMap) -> RequestId {
        RequestId(headers.get(REQUEST_ID).cloned().unwrap_or(HeaderValue::from_static("")))
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl<S: Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<RequestId, Infallible> {
        Ok(RequestId::in_headers(&parts.headers))
    }
}

/// A request's body within the server's size limit (413 past it, as a refusal).
#[derive(Debug)]
pub struct Limited(pub Bytes);

impl FromRequest<Arc<State>> for Limited {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<State>) -> Result<Limited, Response> {
        let id = RequestId::of(&request);
        match Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(Limited(bytes)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let message = format!("Request body too large (max {} bytes)", state.config.max_body);
                Err(refusal(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", &message, &id))
            }
            Err(e) => Err(refusal(e.status(), "BadRequest", &e.body_text(), &id)),
        }
    }
}

/// A JSON answer.
pub fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A refusal: `{"error": kind, "message": …, "requestId": …}`.
pub fn refusal(status: StatusCode, kind: &str, message: &str, id: &RequestId) -> Response {
    let body = serde_json::json!({"error": kind, "message": message, "requestId": id.as_str()});
    json(status, body.to_string())
}

/// `response` asking the client to wait `wait` (whole seconds, at least 1, at most a day) before
/// trying again.
pub fn retry_after(mut response: Response, wait: Duration) -> Response {
    let secs = wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0));
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.clamp(1, 86_400)));
    response
}

/// 400 for a body that is not the JSON asked for, naming where it went wrong.
pub fn bad_json(e: &serde_json::Error, id: &RequestId) -> Response {
    refusal(StatusCode::BAD_REQUEST, "BadRequest", &format!("invalid JSON body: {e}"), id)
}

/// 503 while runs in flight are at their bound, or the server is stopping.
pub fn unavailable(stopping: bool, id: &RequestId) -> Response {
    match stopping {
        true => refusal(StatusCode::SERVICE_UNAVAILABLE, "ShuttingDown", "Server is shutting down", id),
        false => retry_after(
            refusal(StatusCode::SERVICE_UNAVAILABLE, "Overloaded", "Too many runs in flight, try again later", id),
            Duration::from_secs(1),
        ),
    }
}
