//! Lazy calls (SPEC §6.4 `lazy`, §7.2): a call that runs when its value is first demanded.
//!
//! When a lazy call's dependencies are complete, its slot gets a `Thunk` instead of a value: the
//! node, a copy of the slots it reads, and a cell for the result. A thunk flows through captures
//! into deferred graphs untouched; it is forced by the first evaluation that needs its value (a
//! node taking it as an input, a graph whose result it is, an output). Forcing runs the call once;
//! everyone who demands it shares that result. A thunk nobody forces never runs. Synchronous
//! plans force on the spot (`force`); the scheduler forces asynchronously (`sched::force`).

use crate::exec::{Failed, Frame, NodeResult, RunCx, Scratch, Slot};
use crate::plan::GraphPlan;
use tokio::sync::OnceCell;

#[derive(Debug)]
pub(crate) struct Thunk {
    pub g: u32,
    pub i: u32,
    /// The slots the node reads (its dependencies) at their positions; the others are empty.
    pub slots: Box<[Slot]>,
    pub cell: OnceCell<NodeResult>,
}

static FAILED: NodeResult = Err(Failed);

impl Thunk {
    /// The thunk of node `i` of graph `g` (whose plan is `plan`), reading `slots`.
    pub fn new(g: u32, i: usize, plan: &GraphPlan, slots: &[Slot]) -> Thunk {
        let deps = &plan.deps[i];
        let mut own = vec![Slot::Empty; deps.last().map_or(0, |&d| d as usize + 1)];
        for &d in deps.iter() {
            own[d as usize] = slots[d as usize].clone();
        }
        Thunk { g, i: i as u32, slots: own.into(), cell: OnceCell::new() }
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
            let r = cx.node(plan, self.i as usize, &self.slots, Frame::default(), scratch);
            let _ = self.cell.set(r);
        }
        self.cell.get().unwrap_or(&FAILED)
    }
}
