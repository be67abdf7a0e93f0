//! Where a run keeps its values: one `Slot` per node (not run yet, a value, failed, or a lazy
//! call), the reusable buffers of a run (`Scratch`, `State`), and the data of a lazy call
//! (`Thunk`).
//!
//! A thunk is a lazy call parked with the few slots it reads and a cell for its result; it is
//! plain data here. Forcing it belongs to the engines above (`exec::lazy`, `sched::force`), as
//! Nickel keeps its thunks below the machine that forces them. A `Failed` carries nothing: the
//! root cause of every failure is recorded once, in the run's error list, where it happens.

use asterism_registry::value::Value;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// A failure whose root cause is already recorded in the run's errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Failed;

pub(crate) type NodeResult = Result<Value, Failed>;

/// The state of one node: not run yet, its value, failed, or a lazy call (run or not).
#[derive(Clone, Debug, Default)]
pub(crate) enum Slot {
    #[default]
    Empty,
    Val(Value),
    Fail,
    Lazy(Arc<Thunk>),
}

impl Slot {
    pub fn of(r: NodeResult) -> Slot {
        match r {
            Ok(v) => Slot::Val(v),
            Err(Failed) => Slot::Fail,
        }
    }

    /// The value, if there is one now.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Slot::Val(v) => Some(v),
            Slot::Lazy(t) => t.get().and_then(|r| r.as_ref().ok()),
            _ => None,
        }
    }

    pub fn result(&self) -> NodeResult {
        self.value().cloned().ok_or(Failed)
    }

    /// The value of a slot the caller knows to be full.
    pub fn value_or_default(&self) -> Value {
        self.value().cloned().unwrap_or_default()
    }

    pub fn failed(&self) -> bool {
        match self {
            Slot::Fail => true,
            Slot::Lazy(t) => t.get().is_some_and(Result::is_err),
            _ => false,
        }
    }

    /// A lazy call that has not run yet.
    pub fn unforced(&self) -> Option<&Arc<Thunk>> {
        match self {
            Slot::Lazy(t) if t.get().is_none() => Some(t),
            _ => None,
        }
    }
}

/// The slots a node reads, by node index: a graph's own list, or the copy a lazy call keeps of
/// the few it depends on (`Own`).
pub(crate) trait Slots {
    fn at(&self, x: u32) -> &Slot;
}

impl Slots for [Slot] {
    #[inline(always)]
    fn at(&self, x: u32) -> &Slot {
        &self[x as usize]
    }
}

/// Reusable buffers of the synchronous evaluator.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    slots: Vec<Vec<Slot>>,
    values: Vec<Vec<Value>>,
}

impl Scratch {
    pub fn take_slots(&mut self) -> Vec<Slot> {
        self.slots.pop().unwrap_or_default()
    }

    pub fn give_slots(&mut self, mut v: Vec<Slot>) {
        v.clear();
        self.slots.push(v);
    }

    pub fn take_values(&mut self) -> Vec<Value> {
        self.values.pop().unwrap_or_default()
    }

    pub fn give_values(&mut self, mut v: Vec<Value>) {
        v.clear();
        self.values.push(v);
    }
}

/// The reusable buffers of one synchronous run, pooled by its plan.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub slots: Vec<Slot>,
    pub scratch: Scratch,
}

/// A lazy call: node `i` of graph `g`, the slots it reads, and its result once forced.
#[derive(Debug)]
pub(crate) struct Thunk {
    pub g: u32,
    pub i: u32,
    /// The slots the node reads (its dependencies, in the order of `deps`).
    slots: Box<[Slot]>,
    pub cell: OnceCell<NodeResult>,
}

impl Thunk {
    /// The thunk of node `i` of graph `g`, whose dependencies are `deps`, reading `slots`.
    pub fn new(g: u32, i: usize, deps: &[u32], slots: &[Slot]) -> Thunk {
        let slots = deps.iter().map(|&d| slots[d as usize].clone()).collect();
        Thunk { g, i: i as u32, slots, cell: OnceCell::new() }
    }

    /// The slots the call reads by their node index in its graph; `deps` are the node's
    /// dependencies, as given to `new`.
    pub fn own<'a>(&'a self, deps: &'a [u32]) -> Own<'a> {
        Own { deps, slots: &self.slots }
    }

    /// The result, if forced.
    pub fn get(&self) -> Option<&NodeResult> {
        self.cell.get()
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
