//! Forcing lazy calls (SPEC §6.4 `lazy`, §7.2): a call that runs when its value is first demanded.
//!
//! The compiler puts a lazy call, arguments included, in a graph of its own (`Kind::Lazy`). When
//! the values that graph captures are complete, the node's slot gets a `Thunk` (`values::slot`)
//! instead of a value. A thunk flows through captures into deferred graphs untouched; it is forced
//! by the first evaluation that needs its value (a node taking it as an input, a graph whose
//! result it is, an output). Forcing runs the call once; everyone who demands it shares that
//! result; a thunk nobody forces never runs. Synchronous plans force on the spot (`force`); the
//! scheduler forces asynchronously (`sched::force`), the lazy calls a thunk's call takes as
//! arguments first, each as soon as those it reads have run (`unforced_inputs`), so chains of any
//! length neither overflow the stack nor slow down. What still nests (synchronous forcing,
//! forces inside arguments and lambdas) runs on a stack that grows on the heap (`deep`).

use super::deep::deep;
use super::{Frame, RunCx};
use crate::plan::{ExecutionPlan, Kind};
use crate::values::slot::{Failed, NodeResult, Own, Scratch, Slots, Thunk};
use std::collections::HashMap;
use std::sync::Arc;

static FAILED: NodeResult = Err(Failed);

/// The slots a thunk's call reads, by their node index in its graph.
pub(crate) fn own<'a>(plan: &'a ExecutionPlan, thunk: &'a Thunk) -> Own<'a> {
    thunk.own(&plan.graphs[thunk.g as usize].deps[thunk.i as usize])
}

/// Runs a lazy call now unless it ran already (synchronous plans only).
#[cold]
#[inline(never)]
pub(crate) fn force<'t>(thunk: &'t Thunk, cx: &RunCx<'_>, scratch: &mut Scratch) -> &'t NodeResult {
    if thunk.cell.get().is_none() {
        // A lazy call's failure is a root failure of the run, whoever forces it.
        let cx = RunCx { errors: cx.root, ..*cx };
        let plan = &cx.plan.graphs[thunk.g as usize];
        let own = own(cx.plan, thunk);
        let r = deep(|| cx.node(plan, thunk.i as usize, &own, Frame::default(), scratch));
        let _ = thunk.cell.set(r);
    }
    thunk.cell.get().unwrap_or(&FAILED)
}

/// The call of `thunk` and the lazy calls it reads that have not run, directly or through each
/// other: each after the calls it reads, with their positions in the list (`thunk` is last). The
/// walk keeps its own stack, so chains of any length are fine.
pub(crate) fn unforced_inputs(thunk: &Arc<Thunk>, plan: &ExecutionPlan) -> Vec<(Arc<Thunk>, Vec<usize>)> {
    let lazy_inputs = |t: &Arc<Thunk>| {
        let own = own(plan, t);
        let mut read: Vec<_> = reads(t, plan).filter_map(|x| own.at(x).unforced().cloned()).collect();
        read.sort_by_key(Arc::as_ptr);
        read.dedup_by_key(|t| Arc::as_ptr(t));
        read
    };
    let mut position: HashMap<*const Thunk, usize> = HashMap::new();
    let mut order = Vec::new();
    // Each entry: a call, the lazy calls it reads, how many of those were visited.
    let mut stack = vec![(thunk.clone(), lazy_inputs(thunk), 0)];
    while let Some((_, inputs, visited)) = stack.last_mut() {
        if let Some(next) = inputs.get(*visited).cloned() {
            *visited += 1;
            if !position.contains_key(&Arc::as_ptr(&next)) {
                let inputs = lazy_inputs(&next);
                stack.push((next, inputs, 0));
            }
            continue;
        }
        let Some((t, inputs, _)) = stack.pop() else { break };
        let reads = inputs.iter().filter_map(|c| position.get(&Arc::as_ptr(c)).copied()).collect();
        position.insert(Arc::as_ptr(&t), order.len());
        order.push((t, reads));
    }
    order
}

/// The slots (of the thunk's graph) its call surely reads when it runs: every node of its own
/// graph runs, so what those nodes demand from the graph's captures. What only a deferred part
/// inside reads (`f(if (c) x else 0)`) is not among them.
fn reads<'a>(thunk: &Thunk, plan: &'a ExecutionPlan) -> impl Iterator<Item = u32> + 'a {
    let Kind::Lazy(c) = plan.graphs[thunk.g as usize].nodes[thunk.i as usize].kind else {
        unreachable!("thunks are made of lazy calls")
    };
    let graph = &plan.graphs[c as usize];
    let demanded = graph.nodes.iter().flat_map(|node| plan.demands(node));
    demanded.filter_map(move |x| match graph.nodes[x as usize].kind {
        Kind::Capture(k) => Some(graph.captures[k as usize]),
        _ => None,
    })
}
