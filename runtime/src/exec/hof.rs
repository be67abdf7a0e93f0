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
use crate::values::slot::{Failed, NodeResult, Scratch, Slot};
use asterism_registry::module::HigherOrder;
use asterism_registry::value::{self, ListBuilder, ListView, Value};
use tokio::time::Instant;

/// What a higher-order call needs next.
pub(crate) enum Need {
    /// Call the lambda with `Hof::params` and feed its result back.
    Call,
    /// The lambda's result for every element, in index order, given to `finish`.
    Each,
    /// The call's value.
    Done(Value),
}

/// The state of one higher-order call.
pub(crate) struct Hof<'a> {
    h: &'a HofPlan,
    items: ListView<'a>,
    /// The next element to visit.
    next: usize,
    /// The parameters of the pending lambda call: an element, or the accumulator and an element
    /// (`reduce`). Held here: stepping through a list allocates nothing.
    params: [Value; 2],
}

/// The message of a higher-order call whose first argument is not a list.
pub(crate) const NOT_A_LIST: &str = "the first argument of a higher-order function must be a list";

impl<'a> Hof<'a> {
    /// Starts call `h` with its non-lambda arguments `args`.
    pub fn start(h: &'a HofPlan, args: &'a [Value]) -> Result<(Hof<'a>, Need), &'static str> {
        let items = args.first().and_then(Value::as_list).ok_or(NOT_A_LIST)?;
        let mut hof = Hof { h, items, next: 0, params: Default::default() };
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

    /// The parameters of the lambda call `Need::Call` asks for.
    #[inline(always)]
    pub fn params(&self) -> &[Value] {
        match self.h.kind {
            HigherOrder::Reduce => &self.params,
            _ => &self.params[..1],
        }
    }

    /// Takes the result of the lambda call `Need::Call` asked for.
    #[inline(always)]
    pub fn feed(&mut self, result: Value) -> Need {
        match self.h.kind {
            HigherOrder::Reduce => self.reduce(result),
            kind => {
                let stop_on = kind != HigherOrder::All;
                if truthy(&result) != stop_on {
                    return self.search();
                }
                Need::Done(match kind {
                    HigherOrder::Find => Value::some(std::mem::take(&mut self.params[0])),
                    _ => Value::Bool(stop_on),
                })
            }
        }
    }

    /// `reduce` with accumulator `acc`: the next call, or `acc` after the last element.
    #[inline(always)]
    fn reduce(&mut self, acc: Value) -> Need {
        match self.items.get(self.next) {
            Some(item) => {
                self.next += 1;
                self.params = [acc, item];
                Need::Call
            }
            None => Need::Done(acc),
        }
    }

    /// `all`/`any`/`find` past the elements seen: the next call, or the value when none decided.
    #[inline(always)]
    fn search(&mut self) -> Need {
        match self.items.get(self.next) {
            Some(item) => {
                self.next += 1;
                self.params[0] = item;
                Need::Call
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
#[inline(never)]
pub(crate) fn run(
    cx: &RunCx<'_>,
    node: &NodePlan,
    h: &HofPlan,
    args: &[Value],
    captures: &[Slot],
    scratch: &mut Scratch,
) -> NodeResult {
    let (mut hof, mut need) = Hof::start(h, args).map_err(|m| cx.fail(node, m.into()))?;
    // Past the attempt's timeout no lambda is called: the attempt fails, and its caller reports
    // the timeout.
    let mut call = |params: &[Value]| match cx.until.is_some_and(|until| Instant::now() >= until) {
        true => Err(Failed),
        false => cx.graph(h.lambda, Frame { params, captures }, scratch),
    };
    loop {
        need = match need {
            Need::Call => {
                let result = call(hof.params())?;
                hof.feed(result)
            }
            Need::Each => {
                let mut results = Vec::with_capacity(hof.items().len());
                for item in hof.items().iter() {
                    results.push(call(std::slice::from_ref(&item))?);
                }
                return Ok(hof.finish(results));
            }
            Need::Done(v) => return Ok(v),
        }
    }
}
