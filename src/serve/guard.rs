//! What every request passes before its route: its id, its span, the rate limits and the keys.
//!
//! Takes: a request, and the address it came from when the server was made with connect info
//! (`Server::serve` is; a host nesting `Server::router` in its own app serves it with
//! `into_make_service_with_connect_info::<SocketAddr>()` for limits per address). Gives: the request, with its `RequestId`, to
//! its route — or a refusal: 429 with `Retry-After` past a rate limit (per address, then per
//! key, checked before the key itself so a flood of wrong keys is slowed too), 401 without a
//! valid key, 403 when the key's role does not permit the method. Guarantees: `/health*` and
//! `/metrics` are open to all and never limited; every answer carries `X-Request-ID`; every
//! request is a `tracing` span with its id, method and path.

use super::auth::bearer;
use super::reply::{REQUEST_ID, RequestId, refusal, retry_after};
use super::state::State;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::future::Either;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument;

/// The guard as a layer over every route.
#[derive(Clone, Debug)]
pub struct Guard(pub Arc<State>);

impl<S> Layer<S> for Guard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded { inner, state: self.0.clone() }
    }
}

/// A route behind the guard.
#[derive(Clone, Debug)]
pub struct Guarded<S> {
    inner: S,
    state: Arc<State>,
}

impl<S> Service<Request> for Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let id = request_id(request.headers_mut());
        let span = tracing::info_span!(
            target: "asterism::serve",
            "request",
            id = id.as_str(),
            method = %request.method(),
            path = request.uri().path()
        );
        let refused = match is_public(request.uri().path()) {
            true => None,
            false => span.in_scope(|| admit(&self.state, &request, &id)),
        };
        let state = self.state.clone();
        let answer = match refused {
            Some(refused) => Either::Left(std::future::ready(Ok(refused))),
            None => Either::Right(self.inner.call(request)),
        };
        Box::pin(
            async move {
                let Ok(mut response) = answer.await;
                response.headers_mut().insert(REQUEST_ID, id.0);
                state.metrics.answered(response.status().as_u16());
                tracing::debug!(target: "asterism::serve", status = response.status().as_u16(), "answered");
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// The client's `X-Request-ID` when it is 1 to 128 visible ASCII characters, else a new UUID
/// (then set in `headers`, for the routes to read).
fn request_id(headers: &mut HeaderMap) -> RequestId {
    let sound = |v: &HeaderValue| (1..=128).contains(&v.len()) && v.as_bytes().iter().all(u8::is_ascii_graphic);
    if let Some(given) = headers.get(REQUEST_ID).filter(|v| sound(v)) {
        return RequestId(given.clone());
    }
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let made = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    let value = HeaderValue::from_str(made).unwrap_or(HeaderValue::from_static("-"));
    headers.insert(REQUEST_ID, value.clone());
    RequestId(value)
}

/// Health checks and metrics: open to load balancers and scrapers.
fn is_public(path: &str) -> bool {
    path == "/health" || path.starts_with("/health/") || path == "/metrics"
}

/// The refusal of a request the limits or the keys do not let through, if they do not.
fn admit(state: &State, request: &Request, id: &RequestId) -> Option<Response> {
    let now = Instant::now();
    let from = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let limited = |wait| {
        let message = "Too many requests, please try again later";
        Some(retry_after(refusal(StatusCode::TOO_MANY_REQUESTS, "RateLimitExceeded", message, id), wait))
    };
    if let (Some(buckets), Some(from)) = (&state.by_address, from)
        && let Err(wait) = buckets.take(from, now)
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
