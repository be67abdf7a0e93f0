//! Dynamic batching (SPEC §6.4 `batch`, `batch_timeout`): executions of one function with the
//! same option values, from every run of an engine, gathered into one backend request.
//!
//! Takes: a batched module, the batch size N (capped by the module's own maximum) and the wait D
//! (the call's `batch_timeout`, else the module's own, else 10 ms); then executions' arguments.
//! Gives: each execution its own answer. Guarantees: a batch leaves as soon as it holds N
//! executions, or D after its first execution joined, whichever comes first; answers are given
//! back in the order the executions joined; a failed request, an answer of the wrong length or a
//! panic fails every member with the same message (each member's own options then handle it);
//! an execution whose caller stopped waiting is still sent with its batch, and its answer
//! dropped. Requests run on tasks of their own, so no caller's cancellation loses a batch.

use asterism_registry::module::{Batched, ModuleResult, panic_message};
use asterism_registry::{ModuleError, Value};
use futures_util::FutureExt;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a batch waits to fill when neither the call nor the module says.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(10);

/// Executions joined and not yet sent, with where each answer goes.
type Members = Vec<(Vec<Value>, oneshot::Sender<ModuleResult>)>;

/// The open batch of one function and option values.
pub(crate) struct BatchQueue {
    module: Arc<Batched>,
    size: usize,
    wait: Duration,
    open: Mutex<Open>,
    stats: Arc<Mutex<BatchStats>>,
}

#[derive(Default)]
struct Open {
    members: Members,
    /// Counts the batches taken, so that the timer of a batch that already left does nothing.
    generation: u64,
}

/// Batches sent for one function: how many, for how many executions, and how many of each size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub batches: u64,
    pub executions: u64,
    /// Batch size → how many batches had it.
    pub sizes: BTreeMap<usize, u64>,
}

impl std::fmt::Debug for BatchQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchQueue").field("size", &self.size).field("wait", &self.wait).finish()
    }
}

impl BatchQueue {
    pub(crate) fn new(module: Arc<Batched>, size: u32, wait: Option<Duration>, stats: Arc<Mutex<BatchStats>>) -> Self {
        let size = (size.max(1) as usize).min(module.max_batch.unwrap_or(usize::MAX).max(1));
        let wait = wait.or(module.max_delay).unwrap_or(DEFAULT_WAIT);
        BatchQueue { module, size, wait, open: Mutex::new(Open::default()), stats }
    }

    /// Joins the open batch with `args`, and waits for this execution's answer.
    pub(crate) async fn join(self: &Arc<Self>, args: Vec<Value>) -> ModuleResult {
        let (tx, rx) = oneshot::channel();
        let (full, first) = {
            let mut open = self.open.lock();
            open.members.push((args, tx));
            match open.members.len() {
                n if n >= self.size => (Some(take(&mut open)), None),
                1 => (None, Some(open.generation)),
                _ => (None, None),
            }
        };
        if let Some(members) = full {
            tokio::spawn(self.clone().send(members));
        } else if let Some(generation) = first {
            let queue = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(queue.wait).await;
                let members = {
                    let mut open = queue.open.lock();
                    (open.generation == generation && !open.members.is_empty()).then(|| take(&mut open))
                };
                if let Some(members) = members {
                    queue.send(members).await;
                }
            });
        }
        rx.await.unwrap_or_else(|_| Err(ModuleError::new("its batch was lost (the runtime is shutting down)")))
    }

    /// Sends one batch and gives each member its answer.
    async fn send(self: Arc<Self>, members: Members) {
        let n = members.len();
        {
            let mut stats = self.stats.lock();
            stats.batches += 1;
            stats.executions += n as u64;
            *stats.sizes.entry(n).or_default() += 1;
        }
        let (args, answers): (Vec<Vec<Value>>, Vec<_>) = members.into_iter().unzip();
        let request = AssertUnwindSafe(async { (self.module.run)(args).await }).catch_unwind();
        let failure = match request.await {
            Ok(Ok(values)) if values.len() == n => {
                for (tx, value) in answers.into_iter().zip(values) {
                    let _ = tx.send(Ok(value));
                }
                return;
            }
            Ok(Ok(values)) => ModuleError::new(format!("answered {} values for a batch of {n}", values.len())),
            Ok(Err(e)) => e,
            Err(payload) => ModuleError::new(format!("module panicked: {}", panic_message(&*payload))),
        };
        for tx in answers {
            let _ = tx.send(Err(failure.clone()));
        }
    }
}

/// The open batch's members, leaving an empty batch of the next generation.
fn take(open: &mut Open) -> Members {
    open.generation += 1;
    std::mem::take(&mut open.members)
}
