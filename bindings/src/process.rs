//! Kind `process`: a module answered by long-lived worker processes (module instance pooling for
//! modules written in any language).
//!
//! Takes: the module's signature and settings, and where the workers' standard error lines go.
//! Gives: an asynchronous `Module`. Each call is a request line `{"id":N,"args":{…}}` to one of at
//! most `instances` workers — an idle one, else a new one while there is room, else the least
//! busy — answered by `{"id":N,"ok":…}` or `{"id":N,"error":"…"}` (docs/modules.md).
//! Guarantees: workers start on first use and are replaced when they die; a worker that exits,
//! writes something that is not an answer, or holds a request past the manifest's `timeout` is
//! stopped, and exactly the calls it held fail, with the reason; other calls and runs go on.

mod worker;

use crate::manifest::ProcessSpec;
use crate::wire;
use asterism_registry::module::{BoxFuture, ModuleResult};
use asterism_registry::{Module, ModuleError, Signature, Value};
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use worker::Worker;

/// Where a worker's standard error goes: called with the module's name and each line.
pub type StderrSink = Arc<dyn Fn(&str, &str) + Send + Sync>;

struct Pool {
    signature: Signature,
    spec: ProcessSpec,
    /// `instances` places, each empty until a worker is first needed there.
    slots: Mutex<Vec<Option<Arc<Worker>>>>,
    next_id: AtomicU64,
    stderr: StderrSink,
}

/// The module of a `process` entry.
pub fn module(signature: Signature, spec: ProcessSpec, stderr: StderrSink) -> Module {
    let slots = Mutex::new(vec![None; spec.instances]);
    let pool = Arc::new(Pool { signature, spec, slots, next_id: AtomicU64::new(1), stderr });
    Module::Async(Arc::new(move |args: &[Value]| -> BoxFuture<ModuleResult> {
        let mut line = String::with_capacity(64);
        let id = pool.next_id.fetch_add(1, Ordering::Relaxed);
        line.push_str("{\"id\":");
        line.push_str(&id.to_string());
        line.push_str(",\"args\":");
        wire::write_args(&pool.signature, args, &mut line);
        line.push_str("}\n");
        let pool = pool.clone();
        Box::pin(async move { pool.call(id, line).await })
    }))
}

impl Pool {
    async fn call(&self, id: u64, line: String) -> ModuleResult {
        let worker = self.pick().map_err(ModuleError::new)?;
        let answer = worker.request(id, line.into_bytes()).await.map_err(ModuleError::new)?;
        match answer {
            worker::Answer::Ok(json) => {
                wire::read_answer(json.as_bytes(), &self.signature.ret).map_err(ModuleError::new)
            }
            worker::Answer::Error(message) => Err(ModuleError::new(message)),
        }
    }

    /// The worker to send a request to: an idle one, else a new one while there is room, else
    /// the least busy.
    fn pick(&self) -> Result<Arc<Worker>, String> {
        let mut slots = self.slots.lock();
        let load = |w: &&Arc<Worker>| w.load();
        let best = slots.iter().flatten().filter(|w| w.alive()).min_by_key(load).cloned();
        if let Some(w) = &best
            && w.load() == 0
        {
            return Ok(w.clone());
        }
        if let Some(slot) = slots.iter_mut().find(|s| s.as_ref().is_none_or(|w| !w.alive())) {
            match Worker::start(&self.signature.name, &self.spec, &self.stderr) {
                Ok(w) => {
                    *slot = Some(w.clone());
                    return Ok(w);
                }
                Err(e) if best.is_none() => return Err(e),
                Err(_) => {}
            }
        }
        best.ok_or_else(|| "no worker could be started".to_string())
    }
}
