//! Module calls (SPEC §7.5) on this thread, and the rules every call shares.
//!
//! `result` is the one place a module's execution becomes a call's value or failure message,
//! whatever ran it (inline, a future, the blocking pool): a module error becomes
//! `<function>: <detail>`, a panic `<function>: module panicked: <payload>`, and a value of a
//! module not known to keep its signature is checked against the declared type. `execute` runs a
//! synchronous module; `RunCx::call` and `RunCx::call_with` (a policy that never waits, through
//! `policy::apply::here`) make it a node's result, as `higher_order_with` does for a higher-order
//! call with such a policy.

use super::{RunCx, hof};
use crate::outcome::Fault;
use crate::plan::{CallPlan, ExecutionPlan, HofPlan, NodePlan};
use crate::policy::{Policy, Settled, apply};
use crate::services::cache::Served;
use crate::values::convert::conform;
use crate::values::slot::{Failed, NodeResult, Scratch, Slot, Slots};
use asterism_registry::module::{
    AsyncFn, BoxFuture, CallContext, Module, ModuleResult, Partial, panic_message, with_call,
};
use asterism_registry::value::Value;
use asterism_registry::{Limits, Reporter};
use parking_lot::Mutex;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::{Context, Poll, Waker};

/// How a module's execution ended.
pub(crate) enum Ended {
    Returned(ModuleResult),
    Panicked(Box<dyn Any + Send>),
    /// The pool running it gave it up (the async runtime is shutting down).
    Lost(String),
}

/// The value of call `call`, or the message of its failure, from how its module ended.
pub(crate) fn result(plan: &ExecutionPlan, call: &CallPlan, ended: Ended) -> Result<Value, String> {
    let target = &plan.functions[call.function as usize];
    match ended {
        Ended::Returned(Ok(v)) if target.verified => Ok(v),
        Ended::Returned(Ok(v)) => conform(v, &call.ret).ok_or_else(|| {
            format!("{}: returned a value that does not match its declared type {}", target.name, call.ret)
        }),
        Ended::Returned(Err(e)) => Err(format!("{}: {}", target.name, e.detail)),
        Ended::Panicked(payload) => Err(format!("{}: module panicked: {}", target.name, panic_message(&*payload))),
        Ended::Lost(why) => Err(format!("{}: {why}", target.name)),
    }
}

/// Runs the synchronous module of `call` at `node`: its value, or the message of its failure. A
/// panic is a failure of the call, never of the process.
#[inline(always)]
pub(crate) fn execute(
    plan: &ExecutionPlan,
    node: &NodePlan,
    call: &CallPlan,
    args: &[Value],
    reporter: &dyn Reporter,
    limits: &Limits,
) -> Result<Value, String> {
    let target = &plan.functions[call.function as usize];
    let Module::Sync(f) = &target.module else {
        return Err(format!("{}: cannot run an asynchronous module here", target.name));
    };
    let cx = CallContext { arg_types: &call.arg_types, ret: &call.ret, reporter, limits, line: node.at.line };
    match catch_unwind(AssertUnwindSafe(|| f(args, &cx))) {
        // The path of the standard library, kept short.
        Ok(Ok(v)) if target.verified => Ok(v),
        Ok(r) => result(plan, call, Ended::Returned(r)),
        Err(payload) => result(plan, call, Ended::Panicked(payload)),
    }
}

/// How a call of an asynchronous module polled once on this thread stands: over (its value or
/// the message of its failure), or waiting, its future to be polled on with the run's waker.
pub(crate) enum Polled {
    Over(Result<Value, String>),
    Waiting(BoxFuture<ModuleResult>),
}

/// Calls the asynchronous module `f` of `call` and polls its future once, in place: a call that
/// completes without waiting (a value at hand, a cached answer) needs no scheduler. Polling with
/// a waker that does nothing is sound: whoever polls a waiting future next gives it the waker
/// to use, and a future wakes only the waker of its latest poll. A panic is a failure of the call.
pub(crate) fn poll_once(
    plan: &ExecutionPlan,
    call: &CallPlan,
    f: &AsyncFn,
    args: &[Value],
    partial: Option<Partial>,
) -> Polled {
    let polled = catch_unwind(AssertUnwindSafe(|| {
        let mut future = match partial {
            None => f(args),
            partial => with_call(None, partial, || f(args)),
        };
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => Ok(r),
            Poll::Pending => Err(future),
        }
    }));
    let ended = match polled {
        Ok(Ok(r)) => Ended::Returned(r),
        Ok(Err(future)) => return Polled::Waiting(future),
        Err(payload) => Ended::Panicked(payload),
    };
    Polled::Over(result(plan, call, ended))
}

impl RunCx<'_> {
    /// Runs a synchronous module; a failure is a root failure of `node`.
    #[inline]
    pub fn call(&self, node: &NodePlan, call: &CallPlan, args: &[Value]) -> NodeResult {
        execute(self.plan, node, call, args, self.reporter, self.budget.limits()).map_err(|m| self.fail(node, m))
    }

    /// A module call whose policy does not wait, on this thread.
    #[inline(never)]
    pub fn call_with<S: Slots + ?Sized>(
        &self,
        node: &NodePlan,
        call: &CallPlan,
        policy: &Policy,
        args: &[Value],
        slots: &S,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let mut tries = 0;
        let attempt = || {
            tries += 1;
            execute(self.plan, node, call, args, self.reporter, self.budget.limits()).map_err(|m| Fault::at(node.at, m))
        };
        let settled = apply::here(policy, self.reporter, node.at, attempt);
        self.tried(node, tries);
        self.settled(settled, slots, scratch)
    }

    /// A higher-order call whose policy does not wait, on this thread. An attempt is the whole
    /// execution, lambdas included, recording in a list of its own.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub fn higher_order_with<S: Slots + ?Sized>(
        &self,
        node: &NodePlan,
        h: &HofPlan,
        policy: &Policy,
        args: &[Value],
        captures: &[Slot],
        slots: &S,
        scratch: &mut Scratch,
    ) -> NodeResult {
        let mut tries = 0;
        let attempt = || {
            tries += 1;
            let errors = Mutex::new(Vec::new());
            let cx = RunCx { errors: &errors, ..*self };
            let r = hof::run(&cx, node, h, args, captures, scratch);
            r.map_err(|_| Fault { errors: errors.into_inner(), timed_out: false, retry_after: None })
        };
        let settled = apply::here(policy, self.reporter, node.at, attempt);
        self.tried(node, tries);
        self.settled(settled, slots, scratch)
    }

    /// Tells a profiled run's profile how many attempts a call of the main graph made.
    fn tried(&self, node: &NodePlan, attempts: u32) {
        if let Some(clock) = self.clock
            && let Some(i) = self.plan.main_index(node)
        {
            clock.profile.tried(0, i, attempts, Served::Ran);
        }
    }

    fn settled<S: Slots + ?Sized>(&self, settled: Settled, slots: &S, scratch: &mut Scratch) -> NodeResult {
        match settled {
            Settled::Value(v) => Ok(v),
            Settled::Fallback(g) => self.child(g, &[], slots, scratch),
            Settled::Fail(fault) => Err(self.record(fault)),
        }
    }

    /// Records the errors of a call's final failure.
    pub fn record(&self, fault: Fault) -> Failed {
        self.errors.lock().extend(fault.errors);
        Failed
    }
}
