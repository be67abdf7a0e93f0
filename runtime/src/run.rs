//! Running a prepared plan: synchronously in one pass when every module is synchronous, otherwise
//! on the asynchronous scheduler; whole-run results or a stream of output events.
//!
//! The synchronous path takes its buffers from the plan's pool and gives them back, so a warm run
//! allocates only for the values it produces (and the outcome holding them).

use crate::exec::{Frame, RunCx, Scratch, Slot};
use crate::outcome::{Event, RunOutcome};
use crate::plan::ExecutionPlan;
use crate::sched::{self, Shared};
use asterism_registry::value::Value;
use std::sync::{Arc, Mutex};

/// Reusable buffers of one run.
#[derive(Debug, Default)]
pub(crate) struct State {
    slots: Vec<Slot>,
    scratch: Scratch,
}

/// How many idle states a plan keeps.
const POOL: usize = 64;

impl ExecutionPlan {
    fn take_state(&self) -> State {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default()
    }

    fn give_state(&self, mut state: State) {
        state.slots.clear();
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL {
            pool.push(state);
        }
    }

    /// The outputs whose node produced a value.
    fn outputs_of(&self, slots: &[Slot]) -> Vec<(usize, Value)> {
        self.outputs
            .iter()
            .enumerate()
            .filter_map(|(k, o)| slots[o.node as usize].value().map(|v| (k, v.clone())))
            .collect()
    }

    /// Runs the pipeline on this thread when it is synchronous (`is_sync`); `None` otherwise.
    /// `inputs` are the values of the declared inputs, in declaration order.
    pub fn run_sync(&self, inputs: &[Value]) -> Option<RunOutcome> {
        if !self.is_sync() {
            return None;
        }
        let mut state = self.take_state();
        let errors = Mutex::new(Vec::new());
        let cx = RunCx { plan: self, inputs, errors: &errors, root: &errors };
        let main = &self.graphs[0];
        for (i, node) in main.nodes.iter().enumerate() {
            let slot = match node.lazy {
                true => cx.park(0, i, &state.slots),
                false => Slot::of(cx.node(main, i, &state.slots[..], Frame::default(), &mut state.scratch)),
            };
            state.slots.push(slot);
        }
        // Outputs demand their lazy calls.
        for o in &self.outputs {
            if let Slot::Lazy(t) = &state.slots[o.node as usize] {
                t.force(&cx, &mut state.scratch);
            }
        }
        let outputs = self.outputs_of(&state.slots);
        self.give_state(state);
        Some(RunOutcome::new(outputs, errors.into_inner().unwrap_or_else(|e| e.into_inner())))
    }

    /// Runs the pipeline to completion.
    pub async fn run(self: &Arc<Self>, inputs: Vec<Value>) -> RunOutcome {
        self.run_with(inputs, &mut |_| {}).await
    }

    /// Runs the pipeline, giving `sink` an event as soon as each output is ready, then the outcome.
    pub async fn run_with(self: &Arc<Self>, inputs: Vec<Value>, sink: &mut (dyn FnMut(Event) + Send)) -> RunOutcome {
        let outcome = match self.run_sync(&inputs) {
            Some(outcome) => {
                for (index, value) in &outcome.outputs {
                    sink(Event::Output { index: *index, value: value.clone() });
                }
                outcome
            }
            None => {
                let shared = Arc::new(Shared::new(self.clone(), inputs.into()));
                let by_node: Vec<(u32, usize)> = self.outputs.iter().enumerate().map(|(k, o)| (o.node, k)).collect();
                let slots = sched::main(shared.clone(), &mut |node, slot| {
                    if let Some(v) = slot.value() {
                        for &(_, k) in by_node.iter().filter(|(n, _)| *n == node) {
                            sink(Event::Output { index: k, value: v.clone() });
                        }
                    }
                })
                .await;
                let errors = std::mem::take(&mut *shared.errors.lock().unwrap_or_else(|e| e.into_inner()));
                RunOutcome::new(self.outputs_of(&slots), errors)
            }
        };
        sink(Event::Done(outcome.clone()));
        outcome
    }
}
