//! The higher-order functions of SPEC §9.5, whose lambdas are graphs of the DAG.
//!
//! Each rule is written once, as a stepper both engines drive. `reduce`, `all`, `any` and `find`
//! go element by element in index order (`Need::Call` for the next lambda call, fed its result),
//! so nothing after a deciding element runs. `filter`, `map`, `count` and `sort-by` need the
//! lambda's result for every element (`Need::Each`), which the synchronous evaluator computes in
//! index order and the scheduler concurrently; either way only the lowest failing index's failure
//! counts, and `finish` combines the results. `run` is the synchronous driver.

use super::{Frame, RunCx};
use crate::exec::owner::truthy;
use crate::plan::{HofPlan, NodePlan};
use crate::values::slot::{NodeResult, Scratch, Slot};
use asterism_registry::module::HigherOrder;
use asterism_registry::value::{self, ListBuilder, ListView, Value};

/// What a higher-order call needs next.
pub(crate) enum Need {
    /// Call the lambda with these parameters and feed its result back.
    Call(Params),
    /// The lambda's result for every element, in index order, given to `finish`.
    Each,
    /// The call's value.
    Done(Value),
}

/// The parameters of one lambda call: an element, or the accumulator and an element (`reduce`).
/// Held inline: stepping through a list allocates nothing.
pub(crate) struct Params {
    values: [Value; 2],
    len: usize,
}

impl Params {
    fn one(item: Value) -> Params {
        Params { values: [item, Value::None], len: 1 }
    }

    fn two(acc: Value, item: Value) -> Params {
        Params { values: [acc, item], len: 2 }
    }

    pub fn as_slice(&self) -> &[Value] {
        &self.values[..self.len]
    }

    pub fn into_vec(self) -> Vec<Value> {
        let mut v = Vec::from(self.values);
        v.truncate(self.len);
        v
    }
}

/// The state of one higher-order call.
pub(crate) struct Hof<'a> {
    h: &'a HofPlan,
    items: ListView<'a>,
    /// The next element to visit.
    next: usize,
}

/// The message of a higher-order call whose first argument is not a list.
pub(crate) const NOT_A_LIST: &str = "the first argument of a higher-order function must be a list";

impl<'a> Hof<'a> {
    /// Starts call `h` with its non-lambda arguments `args`.
    pub fn start(h: &'a HofPlan, args: &'a [Value]) -> Result<(Hof<'a>, Need), &'static str> {
        let items = args.first().and_then(Value::as_list).ok_or(NOT_A_LIST)?;
        let mut hof = Hof { h, items, next: 0 };
        let need = match h.kind {
            HigherOrder::Reduce => hof.reduce(args.get(1).cloned().unwrap_or_default()),
            HigherOrder::All | HigherOrder::Any | HigherOrder::Find => hof.search(),
            HigherOrder::Filter | HigherOrder::Map | HigherOrder::Count | HigherOrder::SortBy => Need::Each,
        };
        Ok((hof, need))
    }

    /// The list the call goes over.
    pub fn items(&self) -> ListView<'a> {
        self.items
    }

    /// Takes the result of the lambda call `Need::Call` asked for.
    pub fn feed(&mut self, result: Value) -> Need {
        match self.h.kind {
            HigherOrder::Reduce => self.reduce(result),
            _ => {
                let stop_on = self.h.kind != HigherOrder::All;
                if truthy(&result) != stop_on {
                    return self.search();
                }
                Need::Done(match self.h.kind {
                    HigherOrder::Find => Value::some(self.items.get(self.next - 1).unwrap_or_default()),
                    _ => Value::Bool(stop_on),
                })
            }
        }
    }

    /// `reduce` with accumulator `acc`: the next call, or `acc` after the last element.
    fn reduce(&mut self, acc: Value) -> Need {
        match self.items.get(self.next) {
            Some(item) => {
                self.next += 1;
                Need::Call(Params::two(acc, item))
            }
            None => Need::Done(acc),
        }
    }

    /// `all`/`any`/`find` past the elements seen: the next call, or the value when none decided.
    fn search(&mut self) -> Need {
        match self.items.get(self.next) {
            Some(item) => {
                self.next += 1;
                Need::Call(Params::one(item))
            }
            None => Need::Done(match self.h.kind {
                HigherOrder::Find => Value::None,
                kind => Value::Bool(kind == HigherOrder::All),
            }),
        }
    }

    /// Combines the lambda's results (one per element, in order) into the value of a
    /// filter/map/count/sort-by.
    pub fn finish(self, results: Vec<Value>) -> Value {
        let Hof { h, items, .. } = self;
        match h.kind {
            HigherOrder::Map => {
                let mut out = ListBuilder::new(h.elem, results.len());
                results.into_iter().for_each(|v| out.push(v));
                out.finish()
            }
            HigherOrder::Filter => {
                let mut out = ListBuilder::new(h.elem, items.len());
                for (item, keep) in items.iter().zip(&results) {
                    if truthy(keep) {
                        out.push(item);
                    }
                }
                out.finish()
            }
            HigherOrder::Count => Value::Int(results.iter().filter(|v| truthy(v)).count() as i64),
            _ => {
                // sort-by: stable, ascending by key.
                let mut order: Vec<usize> = (0..results.len()).collect();
                order.sort_by(|&a, &b| value::order(&results[a], &results[b]));
                let mut out = ListBuilder::new(h.elem, order.len());
                for i in order {
                    out.push(items.get(i).unwrap_or_default());
                }
                out.finish()
            }
        }
    }
}

/// Runs a higher-order call on this thread, lambda calls in index order: `args` are its
/// non-lambda arguments, `captures` the lambda's.
pub(crate) fn run(
    cx: &RunCx<'_>,
    node: &NodePlan,
    h: &HofPlan,
    args: &[Value],
    captures: &[Slot],
    scratch: &mut Scratch,
) -> NodeResult {
    let (mut hof, mut need) = Hof::start(h, args).map_err(|m| cx.fail(node, m.into()))?;
    let mut call = |params: &[Value]| cx.graph(h.lambda, Frame { params, captures }, scratch);
    loop {
        need = match need {
            Need::Call(params) => hof.feed(call(params.as_slice())?),
            Need::Each => {
                let results = hof.items().iter().map(|item| call(std::slice::from_ref(&item)));
                let results = results.collect::<Result<Vec<_>, _>>()?;
                return Ok(hof.finish(results));
            }
            Need::Done(v) => return Ok(v),
        }
    }
}
