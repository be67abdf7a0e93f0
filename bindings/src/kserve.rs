//! Kind `kserve`: a model behind an Open Inference Protocol (v2 REST) server.
//!
//! Takes: a `KServeSpec` and the manifest's HTTP client. Gives: a module whose call sends each
//! argument as an input tensor named after its parameter (`tensor::to_tensor`) to
//! `POST {base}/v2/models/{model}/infer`, and reads the chosen output tensor (the entry's
//! `output`, else the first) as the return type. With `max_batch`, a batched module: the members'
//! `[1, n]` tensors stacked into one `[b, n]` per input, the answer split by its first dimension.
//! Before its first request the module checks `GET {base}/v2/health/ready` and
//! `GET {base}/v2/models/{model}/ready`; a server or model not ready fails the call (and is asked
//! again by the next one). Guarantees: an answer without the output, of another size or element
//! type, or that is not v2 JSON fails the call with a message naming the server.

use crate::http::{Client, Http};
use crate::manifest::KServeSpec;
use crate::tensor::{self, Data, Tensor};
use asterism_registry::module::{Batched, BoxFuture, ModuleResult, call_timeout};
use asterism_registry::{Module, ModuleError, Signature, Value};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct KServe {
    http: Arc<Http>,
    spec: KServeSpec,
    /// Whether the server and the model said they were ready.
    ready: AtomicBool,
}

/// The module of a `kserve` entry.
pub fn module(signature: Signature, spec: KServeSpec, client: Arc<Client>) -> Module {
    let http = Http::new(signature, spec.http.clone(), client);
    let (max_batch, max_delay) = (spec.http.max_batch, spec.http.max_delay);
    let k = Arc::new(KServe { http, spec, ready: AtomicBool::new(false) });
    if max_batch.is_some() {
        let run = move |batch: Vec<Vec<Value>>| -> BoxFuture<Result<Vec<Value>, ModuleError>> {
            let k = k.clone();
            Box::pin(async move {
                let limit = Some(k.spec.http.timeout);
                k.http.limited(limit, k.infer_batch(batch)).await.map_err(|e| k.named(e))
            })
        };
        return Module::Batched(Arc::new(Batched { run: Arc::new(run), max_batch, max_delay }));
    }
    Module::Async(Arc::new(move |args: &[Value]| -> BoxFuture<ModuleResult> {
        let (k, args) = (k.clone(), args.to_vec());
        let own = call_timeout().is_none().then_some(k.spec.http.timeout);
        Box::pin(async move {
            let answer = k.http.limited(own, k.infer(vec![args], false)).await.map_err(|e| k.named(e))?;
            answer.into_iter().next().ok_or_else(|| ModuleError::new("no answer"))
        })
    }))
}

impl KServe {
    async fn infer_batch(&self, batch: Vec<Vec<Value>>) -> Result<Vec<Value>, ModuleError> {
        self.infer(batch, true).await
    }

    /// Sends the members' arguments (one member unless `stacked`) and reads each one's answer.
    async fn infer(&self, members: Vec<Vec<Value>>, stacked: bool) -> Result<Vec<Value>, ModuleError> {
        self.check_ready().await?;
        let sig = &self.http.signature;
        let mut inputs = Vec::with_capacity(sig.params.len());
        for (i, param) in sig.params.iter().enumerate() {
            let tensors = members
                .iter()
                .map(|args| tensor::to_tensor(args.get(i).unwrap_or(&Value::None), &param.ty, self.spec.fp64))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ModuleError::new(format!("argument '{}': {e}", param.name)))?;
            let tensor = match stacked {
                true => tensor::stack(&tensors).map_err(ModuleError::new)?,
                false => tensors.into_iter().next().ok_or_else(|| ModuleError::new("no arguments"))?,
            };
            inputs.push(serde_json::json!({
                "name": &*param.name, "shape": tensor.shape, "datatype": tensor.data.datatype(), "data": data_json(&tensor.data),
            }));
        }
        let mut body = serde_json::json!({ "inputs": inputs });
        if let Some(output) = &self.spec.output {
            body["outputs"] = serde_json::json!([{ "name": output }]);
        }
        let answer = self.http.call(body.to_string()).await?;
        let output = self.output(&answer).map_err(ModuleError::new)?;
        let parts = match stacked {
            true => tensor::unstack(&output, members.len()).map_err(ModuleError::new)?,
            false => vec![output],
        };
        parts
            .iter()
            .map(|t| tensor::from_tensor(t, &sig.ret).map_err(|e| ModuleError::new(format!("the answer: {e}"))))
            .collect()
    }

    /// The output tensor of an answer.
    fn output(&self, body: &[u8]) -> Result<Tensor, String> {
        let answer: InferAnswer = serde_json::from_slice(body).map_err(|e| format!("not a v2 infer answer ({e})"))?;
        let output = match &self.spec.output {
            Some(name) => answer.outputs.into_iter().find(|o| &o.name == name),
            None => answer.outputs.into_iter().next(),
        };
        let output = output.ok_or_else(|| match &self.spec.output {
            Some(name) => format!("the answer has no output '{name}'"),
            None => "the answer has no output".to_string(),
        })?;
        let mut flat = Vec::new();
        flatten(output.data, &mut flat);
        let wrong = || format!("output '{}' holds data that is not {}", output.name, output.datatype);
        let data = match output.datatype.as_str() {
            "FP16" | "FP32" | "FP64" => {
                Data::F64(flat.iter().map(|v| v.as_f64().ok_or_else(wrong)).collect::<Result<_, _>>()?)
            }
            "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64" => {
                Data::I64(flat.iter().map(|v| v.as_i64().ok_or_else(wrong)).collect::<Result<_, _>>()?)
            }
            "BOOL" => Data::Bool(flat.iter().map(|v| v.as_bool().ok_or_else(wrong)).collect::<Result<_, _>>()?),
            "BYTES" => Data::Bytes(
                flat.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(wrong)).collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("output '{}' has the unknown datatype {other}", output.name)),
        };
        Ok(Tensor { shape: output.shape, data })
    }

    /// Asks the server and the model whether they are ready, until both once said so.
    async fn check_ready(&self) -> Result<(), ModuleError> {
        if self.ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        let base = &self.spec.base;
        for path in ["/v2/health/ready".to_string(), format!("/v2/models/{}/ready", self.spec.model)] {
            let url =
                format!("{base}{path}").parse().map_err(|_| ModuleError::new(format!("invalid url {base}{path}")))?;
            let status = self.http.status_of(&url).await?;
            if !status.is_success() {
                return Err(ModuleError::new(format!("not ready: GET {url} answered {status}")));
            }
        }
        self.ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn named(&self, e: ModuleError) -> ModuleError {
        match e.detail.contains(&self.spec.base) {
            true => e,
            false => ModuleError { detail: format!("{}: {}", self.spec.http.url, e.detail), ..e },
        }
    }
}

#[derive(Deserialize)]
struct InferAnswer {
    outputs: Vec<Output>,
}

#[derive(Deserialize)]
struct Output {
    name: String,
    shape: Vec<usize>,
    datatype: String,
    data: serde_json::Value,
}

/// The elements of v2 data, which may be nested by row.
fn flatten(data: serde_json::Value, out: &mut Vec<serde_json::Value>) {
    match data {
        serde_json::Value::Array(items) => items.into_iter().for_each(|v| flatten(v, out)),
        v => out.push(v),
    }
}

fn data_json(data: &Data) -> serde_json::Value {
    match data {
        Data::F32(v) => v.iter().map(|&x| serde_json::Value::from(f64::from(x))).collect(),
        Data::F64(v) => v.iter().map(|&x| serde_json::Value::from(x)).collect(),
        Data::I64(v) => v.iter().map(|&x| serde_json::Value::from(x)).collect(),
        Data::Bool(v) => v.iter().map(|&x| serde_json::Value::from(x)).collect(),
        Data::Bytes(v) => v.iter().map(|x| serde_json::Value::from(x.as_str())).collect(),
    }
}
