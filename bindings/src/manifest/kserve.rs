//! Entries of kind `kserve`: a model behind a server of the Open Inference Protocol (v2 REST:
//! KServe, Triton, Seldon MLServer, TorchServe, …), read from the manifest.
//!
//! Takes: an entry's raw settings and parsed signature. Gives: a `KServeSpec` — the HTTP settings
//! of kind `http` with `url` the model's `infer` endpoint, the server's base, the model, the output
//! to read and the float width. Guarantees: every parameter and the return type have a tensor form
//! (`tensor::tensor_type`), and a batched entry's parameters are at most lists (each call one
//! row), else an error at the signature when the manifest loads.

use super::{HttpSpec, Problems, RawEntry, http};
use crate::tensor::tensor_type;
use asterism_registry::Signature;
use std::ops::Range;

/// The settings of kind `kserve`.
pub const KEYS: [&str; 11] = [
    "url",
    "headers",
    "auth_env",
    "timeout",
    "connect_timeout",
    "max_body",
    "max_batch",
    "max_delay",
    "model",
    "output",
    "fp64",
];

#[derive(Clone, Debug)]
pub struct KServeSpec {
    /// `url` is `{base}/v2/models/{model}/infer`.
    pub http: HttpSpec,
    /// The server's base URL, for its readiness endpoints.
    pub base: String,
    pub model: String,
    /// The output tensor to read (default: the first the server gives).
    pub output: Option<String>,
    /// Floats travel as FP64 instead of FP32.
    pub fp64: bool,
}

pub(super) fn read(
    name: &str,
    signature: Option<&Signature>,
    mut raw: RawEntry,
    kind_span: Range<usize>,
    p: &mut Problems<'_>,
) -> Option<KServeSpec> {
    let sig_span = raw.signature.span();
    let model = p.required(raw.model.take(), kind_span.clone(), name, "kserve", "model");
    let batched = raw.max_batch.is_some();
    if let Some(signature) = signature {
        for ty in signature.params.iter().map(|p| &p.ty).chain([&signature.ret]) {
            match tensor_type(ty) {
                Err(why) => p.add(sig_span.clone(), format!("module '{name}' cannot be bound: {why}")),
                Ok((_, 2)) if batched => p.add(
                    sig_span.clone(),
                    format!("module '{name}' takes batches, so each call is one row: {ty} is more than a row"),
                ),
                Ok(_) => {}
            }
        }
    }
    let output = raw.output.take().map(|o| o.into_inner());
    let fp64 = raw.fp64.take().is_some_and(|f| f.into_inner());
    let mut http = http(name, raw, kind_span, p)?;
    let model = model?;
    let base = http.url.to_string().trim_end_matches('/').to_string();
    http.url = format!("{base}/v2/models/{model}/infer").parse().ok()?;
    Some(KServeSpec { http, base, model, output, fp64 })
}
