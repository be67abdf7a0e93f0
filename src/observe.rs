//! Watching module calls: how long each took and whether it failed (`Engine::observe_calls`).
//!
//! Takes: a `CallObserver`. Gives: every module the host or a manifest registered (not the
//! standard library, whose calls are too many and too short to time) wrapped so that each call
//! tells the observer its function, duration and whether it gave a value. Guarantees: a call
//! that panics or is abandoned (a timeout, a run past its deadline) is reported as failed, once;
//! fingerprints, and so plan hashes, do not change; a batched module reports each batch sent.

use crate::Engine;
use asterism_registry::module::{AsyncFn, BatchFn, Batched, BlockingFn, SyncFn};
use asterism_registry::{Module, ModuleResult, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Told of every call of a host or manifest module.
pub trait CallObserver: Send + Sync + 'static {
    fn call(&self, function: &str, took: Duration, ok: bool);
}

impl Engine {
    /// Makes every host and manifest module registered so far report its calls to `observer`.
    /// Call it after the last registration and before compiling: plans prepared earlier keep
    /// the modules they were prepared with.
    pub fn observe_calls(&mut self, observer: Arc<dyn CallObserver>) {
        self.registry.wrap_modules(|f| {
            let name: Arc<str> = f.signature.name.as_str().into();
            match f.module.as_ref()? {
                _ if f.verified => None,
                Module::Sync(m) => Some(Module::Sync(sync(m.clone(), name, observer.clone()))),
                Module::Async(m) => Some(Module::Async(asynchronous(m.clone(), name, observer.clone()))),
                Module::Blocking(m) => Some(Module::Blocking(blocking(m.clone(), name, observer.clone()))),
                Module::Batched(b) => Some(Module::Batched(Arc::new(Batched {
                    run: batched(b.run.clone(), name, observer.clone()),
                    max_batch: b.max_batch,
                    max_delay: b.max_delay,
                }))),
                Module::HigherOrder(_) => None,
            }
        });
    }
}

/// One call being watched: reported when dropped, as failed unless `ok` was set.
struct Watch {
    name: Arc<str>,
    observer: Arc<dyn CallObserver>,
    start: Instant,
    ok: bool,
}

impl Watch {
    fn new(name: &Arc<str>, observer: &Arc<dyn CallObserver>) -> Watch {
        Watch { name: name.clone(), observer: observer.clone(), start: Instant::now(), ok: false }
    }

    fn ended<T, E>(mut self, result: Result<T, E>) -> Result<T, E> {
        self.ok = result.is_ok();
        result
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.observer.call(&self.name, self.start.elapsed(), self.ok);
    }
}

fn sync(m: Arc<SyncFn>, name: Arc<str>, observer: Arc<dyn CallObserver>) -> Arc<SyncFn> {
    Arc::new(move |args, cx| Watch::new(&name, &observer).ended(m(args, cx)))
}

fn blocking(m: Arc<BlockingFn>, name: Arc<str>, observer: Arc<dyn CallObserver>) -> Arc<BlockingFn> {
    Arc::new(move |args| Watch::new(&name, &observer).ended(m(args)))
}

fn asynchronous(m: Arc<AsyncFn>, name: Arc<str>, observer: Arc<dyn CallObserver>) -> Arc<AsyncFn> {
    Arc::new(move |args: &[Value]| {
        let watch = Watch::new(&name, &observer);
        let call = m(args);
        Box::pin(async move { watch.ended::<Value, _>(call.await) as ModuleResult })
    })
}

fn batched(m: Arc<BatchFn>, name: Arc<str>, observer: Arc<dyn CallObserver>) -> Arc<BatchFn> {
    Arc::new(move |batch| {
        let watch = Watch::new(&name, &observer);
        let call = m(batch);
        Box::pin(async move { watch.ended(call.await) })
    })
}
