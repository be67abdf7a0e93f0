//! Forcing lazy calls on the scheduler (the rules are in `exec::lazy`): a thunk's call runs once,
//! every caller gets its one result, and the lazy calls it reads run first, each as soon as those
//! it reads have run, so a chain of lazy calls is not a chain of futures waiting inside each other.

use super::{Shared, Step, start};
use crate::exec::Frame;
use crate::exec::deep::Deep;
use crate::exec::lazy::{own, unforced_inputs};
use crate::values::slot::{NodeResult, Scratch, Thunk};
use asterism_registry::module::BoxFuture;
use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::sync::Arc;

/// Runs a lazy call unless it ran already; every caller gets the one result.
pub(crate) fn force(shared: Arc<Shared>, thunk: Arc<Thunk>) -> BoxFuture<NodeResult> {
    Box::pin(async move {
        if let Some(r) = thunk.get() {
            return r.clone();
        }
        // A lazy call's failure is a root failure of the run, whoever forces it.
        let shared = shared.rooted();
        let mut calls = unforced_inputs(&thunk, &shared.plan);
        calls.pop();
        let mut waiting: Vec<usize> = calls.iter().map(|(_, reads)| reads.len()).collect();
        let mut readers = vec![Vec::new(); calls.len()];
        for (k, (_, reads)) in calls.iter().enumerate() {
            reads.iter().for_each(|&r| readers[r].push(k));
        }
        let run = |k: usize| force_one(shared.clone(), calls[k].0.clone()).map(move |_| k);
        let mut running: FuturesUnordered<_> = (0..calls.len()).filter(|&k| waiting[k] == 0).map(run).collect();
        while let Some(k) = running.next().await {
            for &r in &readers[k] {
                waiting[r] -= 1;
                if waiting[r] == 0 {
                    running.push(run(r));
                }
            }
        }
        force_one(shared, thunk).await
    })
}

/// Runs one lazy call unless it ran already (its lazy inputs are forced first if they have not
/// run yet).
fn force_one(shared: Arc<Shared>, thunk: Arc<Thunk>) -> BoxFuture<NodeResult> {
    Box::pin(Deep::<BoxFuture<NodeResult>>::new(Box::pin(async move {
        let run = || async {
            let mut scratch = Scratch::default();
            loop {
                match start(&shared, thunk.g, thunk.i, &own(&shared.plan, &thunk), Frame::default(), &mut scratch) {
                    Ok(slot) => return slot.result(),
                    Err(future) => match future.await.1 {
                        Step::Done(r) => return r,
                        Step::Restart | Step::Forced => continue,
                    },
                }
            }
        };
        thunk.cell.get_or_init(run).await.clone()
    })))
}
