//! `POST /compile`, `GET /pipelines`, `GET`/`DELETE /pipelines/{ref}` and `GET /modules`.
//!
//! Takes: `{source, name?}` (or the reference's `dagName`) to compile and hold; a reference (a
//! name, or the hash); nothing for the listings. Gives: the reference's shapes — `{success,
//! structuralHash, syntacticHash, dagName, name, errors}` (400 with the errors' messages, and our
//! diagnostics as `check --json` gives them), pipeline summaries and details with their input and
//! output types, `{deleted: true}`, the modules with their parameters and result. Guarantees: a
//! large source is compiled off the request threads.

use super::reply::{Limited, RequestId, bad_json, json, refusal};
use super::state::State;
use super::store::{Refused, Stored, valid_name};
use super::time::rfc3339;
use crate::{Diagnostics, Pipeline};
use axum::extract::{Path, State as With};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

/// Sources longer than this are compiled on the blocking pool, not on a request thread.
const INLINE_SOURCE: usize = 64 << 10;

/// Compiles `source` for the server (through its plan folder, if any).
pub async fn compile(state: &Arc<State>, file: &str, source: String) -> Result<Pipeline, Diagnostics> {
    if source.len() <= INLINE_SOURCE {
        return state.compile(file, &source);
    }
    let (state, file) = (state.clone(), file.to_string());
    match tokio::task::spawn_blocking(move || state.compile(&file, &source)).await {
        Ok(compiled) => compiled,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[derive(Deserialize)]
struct CompileRequest {
    source: String,
    name: Option<String>,
    #[serde(rename = "dagName")]
    dag_name: Option<String>,
}

pub async fn compile_route(With(state): With<Arc<State>>, id: RequestId, Limited(bytes): Limited) -> Response {
    let request: CompileRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return bad_json(&e, &id),
    };
    let name = request.name.or(request.dag_name);
    if let Some(name) = name.as_deref().filter(|n| !valid_name(n)) {
        let message = format!(
            "invalid pipeline name '{}': 1 to 128 letters, digits, '_', '-' or '.', and not 64 hex digits",
            name.chars().take(140).collect::<String>()
        );
        return refusal(StatusCode::BAD_REQUEST, "BadRequest", &message, &id);
    }
    let file = format!("{}.cst", name.as_deref().unwrap_or("pipeline"));
    let source = request.source;
    let pipeline = match compile(&state, &file, source.clone()).await {
        Ok(p) => p,
        Err(diagnostics) => {
            let messages: Vec<&str> = diagnostics.items().iter().map(|d| d.message.as_str()).collect();
            let body = serde_json::json!({
                "success": false, "structuralHash": null, "syntacticHash": null, "dagName": null, "name": null,
                "errors": messages, "diagnostics": diagnostics.to_json(),
                "message": messages.join("; "), "requestId": id.as_str(),
            });
            return json(StatusCode::BAD_REQUEST, body.to_string());
        }
    };
    let warnings = pipeline.warnings().to_json();
    let stored = match state.store.insert(pipeline, &source, name.as_deref()) {
        Ok(stored) => stored,
        Err(refused) => return store_refusal(refused, "", &id),
    };
    let body = serde_json::json!({
        "success": true, "structuralHash": stored.hash, "syntacticHash": stored.syntactic,
        "dagName": name, "name": name, "errors": [], "warnings": warnings,
    });
    json(StatusCode::OK, body.to_string())
}

pub async fn list(With(state): With<Arc<State>>) -> Response {
    let pipelines: Vec<serde_json::Value> =
        state.store.list().iter().map(|(s, names)| summary(s, names, state.engine.registry())).collect();
    json(StatusCode::OK, serde_json::json!({ "pipelines": pipelines }).to_string())
}

pub async fn detail(With(state): With<Arc<State>>, id: RequestId, Path(reference): Path<String>) -> Response {
    let Some(stored) = state.store.get(&reference) else { return not_found(&reference, &id) };
    let names = state.store.names_of(&stored.hash);
    let mut body = summary(&stored, &names, state.engine.registry());
    let p = &stored.pipeline;
    let types = |it: &mut dyn Iterator<Item = (&str, &crate::Type)>| -> serde_json::Map<String, serde_json::Value> {
        it.map(|(n, t)| (n.to_string(), t.to_string().into())).collect()
    };
    body["modules"] = modules_of(p, state.engine.registry()).into();
    body["inputSchema"] = types(&mut p.inputs()).into();
    body["outputSchema"] = types(&mut p.outputs()).into();
    json(StatusCode::OK, body.to_string())
}

pub async fn delete(With(state): With<Arc<State>>, id: RequestId, Path(reference): Path<String>) -> Response {
    match state.store.remove(&reference) {
        Ok(()) => json(StatusCode::OK, r#"{"deleted":true}"#),
        Err(refused) => store_refusal(refused, &reference, &id),
    }
}

pub async fn modules(With(state): With<Arc<State>>) -> Response {
    let bound = state.engine.bound_modules();
    let modules: Vec<serde_json::Value> = state
        .engine
        .registry()
        .functions()
        .filter(|f| !f.verified && f.module.is_some())
        .map(|f| {
            let sig = &f.signature;
            let inputs: serde_json::Map<String, serde_json::Value> =
                sig.params.iter().map(|p| (p.name.to_string(), p.ty.to_string().into())).collect();
            let binding = bound.iter().find(|b| b.name == sig.name);
            serde_json::json!({
                "name": sig.name, "description": sig.to_string(),
                "version": binding.map_or("host", |b| b.version.as_str()),
                "kind": binding.map_or("host", |b| b.kind),
                "inputs": inputs, "outputs": {"out": sig.ret.to_string()},
            })
        })
        .collect();
    json(StatusCode::OK, serde_json::json!({ "modules": modules }).to_string())
}

fn summary(s: &Stored, names: &[String], registry: &asterism_registry::Registry) -> serde_json::Value {
    let outputs: Vec<&str> = s.pipeline.outputs().map(|(n, _)| n).collect();
    serde_json::json!({
        "structuralHash": s.hash, "syntacticHash": s.syntactic, "aliases": names,
        "compiledAt": rfc3339(s.compiled_at), "moduleCount": modules_of(&s.pipeline, registry).len(),
        "declaredOutputs": outputs,
    })
}

/// The functions a pipeline calls that are not the standard library's or the prelude's.
fn modules_of(p: &Pipeline, registry: &asterism_registry::Registry) -> Vec<String> {
    let module = |name: &str| registry.get(name).is_some_and(|f| !f.verified);
    p.spec().functions.iter().map(|f| f.name.clone()).filter(|n| module(n)).collect()
}

fn not_found(reference: &str, id: &RequestId) -> Response {
    refusal(StatusCode::NOT_FOUND, "NotFound", &format!("Pipeline '{reference}' not found"), id)
}

fn store_refusal(refused: Refused, reference: &str, id: &RequestId) -> Response {
    match refused {
        Refused::NotFound => not_found(reference, id),
        Refused::Named(names) => {
            let message = format!("Cannot delete pipeline: aliases [{}] point to it", names.join(", "));
            refusal(StatusCode::CONFLICT, "AliasConflict", &message, id)
        }
        Refused::Full(max) => {
            let message = format!("The server holds its most pipelines ({max}): delete some first");
            refusal(StatusCode::INSUFFICIENT_STORAGE, "StoreFull", &message, id)
        }
    }
}
