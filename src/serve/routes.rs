//! The server's routes, behind the guard (ids, spans, rate limits, keys) and the body limit.

use super::state::State;
use super::{execute, guard, health, pipelines};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/compile", post(pipelines::compile_route))
        .route("/run", post(execute::run_source))
        .route("/execute", post(execute::execute))
        .route("/pipelines", get(pipelines::list))
        .route("/pipelines/{reference}", get(pipelines::detail).delete(pipelines::delete))
        .route("/modules", get(pipelines::modules))
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(guard::Guard(state.clone()))
        .with_state(state)
}
