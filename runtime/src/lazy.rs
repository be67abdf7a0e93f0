//! Lazy calls (SPEC §6.4 `lazy`, §7.2): a call that runs when its value is first demanded.
//!
//! The compiler puts a lazy call, arguments included, in a graph of its own (`Kind::Lazy`). When
//! the values that graph captures are complete, the node's slot gets a `Thunk` instead of a value:
//! the node, a copy of the slots it reads, and a cell for the result. A thunk flows through captures
//! into deferred graphs untouched; it is forced by the first evaluation that needs its value (a
//! node taking it as an input, a graph whose result it is, an output). Forcing runs the call once;
//! everyone who demands it shares that result. A thunk nobody forces never runs. Synchronous
//! plans force on the spot (`force`); the scheduler forces asynchronously (`sched::force`).
//! A thunk keeps only the slots its call reads (`Own`), so a thunk late in a big graph is small.
//! Chains of lazy calls of any length neither overflow the stack nor slow down: the scheduler
//! forces the lazy calls a thunk's call takes as arguments first, each as soon as those it reads
//! have run (`unforced_inputs`); what still nests (synchronous forcing, forces inside arguments
//! and lambdas) runs on a stack that grows on the heap (`crate::deep`);
//! dropping a chain unlinks it one thunk at a time.

use crate::deep::deep;
use crate::exec::{self, Failed, Frame, NodeResult, RunCx, Scratch, Slot, Slots};
use crate::plan::{ExecutionPlan, GraphPlan, Kind};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::OnceCell;

#[derive(Debug)]
pub(crate) struct Thunk {
    pub g: u32,
    pub i: u32,
    /// The slots the node reads (its dependencies, `GraphPlan::deps`), in that order.
    slots: Box<[Slot]>,
    pub cell: OnceCell<NodeResult>,
}

static FAILED: NodeResult = Err(Failed);

impl Thunk {
    /// The thunk of node `i` of graph `g` (whose plan is `plan`), reading `slots`.
    pub fn new(g: u32, i: usize, plan: &GraphPlan, slots: &[Slot]) -> Thunk {
        let slots = plan.deps[i].iter().map(|&d| slots[d as usize].clone()).collect();
        Thunk { g, i: i as u32, slots, cell: OnceCell::new() }
    }

    /// The slots the call reads, by their node index in its graph.
    pub fn own<'a>(&'a self, plan: &'a ExecutionPlan) -> Own<'a> {
        Own { deps: &plan.graphs[self.g as usize].deps[self.i as usize], slots: &self.slots }
    }

    /// This call and the lazy calls it reads that have not run, directly or through each other:
    /// each after the calls it reads, with their positions in the list (this call is last). The
    /// walk keeps its own stack, so chains of any length are fine.
    pub fn unforced_inputs(self: &Arc<Thunk>, plan: &ExecutionPlan) -> Vec<(Arc<Thunk>, Vec<usize>)> {
        let lazy_inputs = |t: &Arc<Thunk>| {
            let own = t.own(plan);
            let mut read: Vec<_> = t.reads(plan).filter_map(|x| own.at(x).unforced().cloned()).collect();
            read.sort_by_key(Arc::as_ptr);
            read.dedup_by_key(|t| Arc::as_ptr(t));
            read
        };
        let mut position: HashMap<*const Thunk, usize> = HashMap::new();
        let mut order = Vec::new();
        // Each entry: a call, the lazy calls it reads, how many of those were visited.
        let mut stack = vec![(self.clone(), lazy_inputs(self), 0)];
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

    /// The slots (of the thunk's graph) the call surely reads when it runs: every node of its own
    /// graph runs, so what those nodes need (`exec::demands`) from the graph's captures. What only
    /// a deferred part inside reads (`f(if (c) x else 0)`) is not among them.
    fn reads<'a>(&self, plan: &'a ExecutionPlan) -> impl Iterator<Item = u32> + 'a {
        let Kind::Lazy(c) = plan.graphs[self.g as usize].nodes[self.i as usize].kind else {
            unreachable!("thunks are made of lazy calls")
        };
        let graph = &plan.graphs[c as usize];
        let demanded = graph.nodes.iter().flat_map(|node| exec::demands(&plan.graphs, node));
        demanded.filter_map(move |x| match graph.nodes[x as usize].kind {
            Kind::Capture(k) => Some(graph.captures[k as usize]),
            _ => None,
        })
    }

    /// The result, if forced.
    pub fn get(&self) -> Option<&NodeResult> {
        self.cell.get()
    }

    /// Runs the call now unless it ran already (synchronous plans only).
    #[cold]
    #[inline(never)]
    pub fn force(&self, cx: &RunCx<'_>, scratch: &mut Scratch) -> &NodeResult {
        if self.cell.get().is_none() {
            // A lazy call's failure is a root failure of the run, whoever forces it.
            let cx = RunCx { errors: cx.root, ..*cx };
            let plan = &cx.plan.graphs[self.g as usize];
            let own = self.own(cx.plan);
            let r = deep(|| cx.node(plan, self.i as usize, &own, Frame::default(), scratch));
            let _ = self.cell.set(r);
        }
        self.cell.get().unwrap_or(&FAILED)
    }
}

impl Drop for Thunk {
    /// Drops the thunks this one holds, and those they hold, one after another: dropping a chain
    /// of lazy calls through each other would nest once per call.
    fn drop(&mut self) {
        fn unlink(slots: &mut [Slot], held: &mut Vec<Arc<Thunk>>) {
            for slot in slots {
                if let Slot::Lazy(t) = std::mem::take(slot) {
                    held.push(t);
                }
            }
        }
        let mut held = Vec::new();
        unlink(&mut self.slots, &mut held);
        while let Some(t) = held.pop() {
            if let Ok(mut last) = Arc::try_unwrap(t) {
                unlink(&mut last.slots, &mut held);
            }
        }
    }
}

/// A thunk's slots seen by node index: the node reads only its dependencies, so a thunk keeps
/// just those, however far into its graph the call is.
pub(crate) struct Own<'a> {
    deps: &'a [u32],
    slots: &'a [Slot],
}

impl Slots for Own<'_> {
    fn at(&self, x: u32) -> &Slot {
        static EMPTY: Slot = Slot::Empty;
        self.deps.binary_search(&x).map_or(&EMPTY, |k| &self.slots[k])
    }
}
