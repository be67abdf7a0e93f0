//! `GET /health`, `/health/live`, `/health/ready` and `/metrics`: open to every client.
//!
//! Takes: the server's state. Gives: `{"status": "ok"}` (503 `draining` once stopping),
//! `{"status": "alive"}`, `{"status": "ready"}` or 503 `{"status": "not_ready", "checks":
//! {module: why}}` — ready when the server is not stopping and the service of every manifest
//! module that calls one accepts a connection (the pipelines given at start were compiled before
//! the server listened) — and the metrics, as Prometheus text when the client accepts
//! `text/plain` (or OpenMetrics), else as JSON.

use super::reply::json;
use super::state::State;
use axum::extract::State as With;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

pub async fn health(With(state): With<Arc<State>>) -> Response {
    match state.draining() {
        true => json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"draining"}"#),
        false => json(StatusCode::OK, r#"{"status":"ok"}"#),
    }
}

pub async fn live() -> Response {
    json(StatusCode::OK, r#"{"status":"alive"}"#)
}

pub async fn ready(With(state): With<Arc<State>>) -> Response {
    if state.draining() {
        return json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"not_ready","checks":{"server":"stopping"}}"#);
    }
    let services = state.engine.bound_modules().iter().filter_map(|b| Some((b.name.clone(), b.service.clone()?)));
    let checks = services.map(|(name, service)| async move { (name, service.answers().await) });
    let failing: serde_json::Map<String, serde_json::Value> = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .filter_map(|(name, answer)| Some((name, answer.err()?.into())))
        .collect();
    match failing.is_empty() {
        true => json(StatusCode::OK, r#"{"status":"ready"}"#),
        false => {
            let body = serde_json::json!({"status": "not_ready", "checks": failing});
            json(StatusCode::SERVICE_UNAVAILABLE, body.to_string())
        }
    }
}

pub async fn metrics(With(state): With<Arc<State>>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains("text/plain") || accept.contains("application/openmetrics-text") {
        let mut response = json(StatusCode::OK, state.metrics.text());
        let kind = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
        response.headers_mut().insert(header::CONTENT_TYPE, kind);
        return response;
    }
    json(StatusCode::OK, state.metrics.json(&state.engine, state.started.elapsed()).to_string())
}
