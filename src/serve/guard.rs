//! What every request passes before its route: its id, its span, the rate limits and the keys.
//!
//! Takes: a request and the address it came from. Gives: the request, with its `RequestId`, to
//! its route — or a refusal: 429 with `Retry-After` past a rate limit (per address, then per
//! key, checked before the key itself so a flood of wrong keys is slowed too), 401 without a
//! valid key, 403 when the key's role does not permit the method. Guarantees: `/health*` and
//! `/metrics` are open to all and never limited; every answer carries `X-Request-ID`; every
//! request is a `tracing` span with its id, method and path.

use super::auth::bearer;
use super::reply::{RequestId, refusal, retry_after};
use super::state::State;
use axum::extract::{ConnectInfo, Request, State as With};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";

pub async fn guard(
    With(state): With<Arc<State>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = request_id(request.headers());
    let span = tracing::info_span!(
        target: "asterism::serve",
        "request",
        id = &*id.0,
        method = %request.method(),
        path = request.uri().path()
    );
    async move {
        let start = Instant::now();
        let refused = match is_public(request.uri().path()) {
            true => None,
            false => admit(&state, from, &request, &id),
        };
        let mut response = match refused {
            Some(refused) => refused,
            None => {
                request.extensions_mut().insert(id.clone());
                next.run(request).await
            }
        };
        if let Ok(value) = HeaderValue::from_str(&id.0) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        state.metrics.answered(response.status().as_u16());
        tracing::debug!(target: "asterism::serve", status = response.status().as_u16(), took = ?start.elapsed(), "answered");
        response
    }
    .instrument(span)
    .await
}

/// The client's `X-Request-ID` when it is 1 to 128 visible ASCII characters, else a new UUID.
fn request_id(headers: &HeaderMap) -> RequestId {
    let given = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()));
    RequestId(match given {
        Some(id) => id.into(),
        None => uuid::Uuid::new_v4().to_string().into(),
    })
}

/// Health checks and metrics: open to load balancers and scrapers.
fn is_public(path: &str) -> bool {
    path == "/health" || path.starts_with("/health/") || path == "/metrics"
}

/// The refusal of a request the limits or the keys do not let through, if they do not.
fn admit(state: &State, from: SocketAddr, request: &Request, id: &RequestId) -> Option<Response> {
    let now = Instant::now();
    let limited = |wait| {
        let message = "Too many requests, please try again later";
        Some(retry_after(refusal(StatusCode::TOO_MANY_REQUESTS, "RateLimitExceeded", message, id), wait))
    };
    if let Some(buckets) = &state.by_address
        && let Err(wait) = buckets.take(from.ip(), now)
    {
        return limited(wait);
    }
    let key = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer);
    if let (Some(buckets), Some(key)) = (&state.by_key, key) {
        let digest = blake3::hash(key.as_bytes());
        let mut short = [0u8; 8];
        short.copy_from_slice(&digest.as_bytes()[..8]);
        if let Err(wait) = buckets.take(short, now) {
            return limited(wait);
        }
    }
    let keys = state.config.api_keys.as_ref()?;
    let unauthorized = |message: &str| {
        let mut response = refusal(StatusCode::UNAUTHORIZED, "Unauthorized", message, id);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        Some(response)
    };
    let Some(key) = key else {
        return unauthorized("Missing or invalid Authorization header. Expected: Bearer <api-key>");
    };
    let Some(role) = keys.role(key) else { return unauthorized("Invalid API key") };
    if !role.permits(request.method()) {
        let message = format!("Role '{role:?}' does not permit {} requests", request.method());
        return Some(refusal(StatusCode::FORBIDDEN, "Forbidden", &message, id));
    }
    None
}
