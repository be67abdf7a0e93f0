//! Modules: the code that executes a registered function (SPEC §7.5).
//!
//! A module receives the argument values, already converted to the instantiated parameter types,
//! and returns one value or an error detail (the runtime writes `<function>: <detail>`). The kind
//! tells the runtime how to run it: inline (`Sync`, for cheap pure functions such as the stdlib),
//! as a future (`Async`, for model and service calls), on the blocking pool (`Blocking`, for
//! CPU-heavy work), many executions in one request (`Batched`, SPEC §6.4 `batch`), or itself
//! (`HigherOrder`, whose lambdas are DAG sub-graphs). A synchronous
//! module reports through its `CallContext`; no module prints.

use crate::limits::Limits;
use crate::report::{Notice, NoticeKind, Reporter};
use crate::types::Type;
use crate::value::Value;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why a module failed: the detail after `<function>: ` in the run's error, and how long the
/// service asked its callers to wait before trying again (an HTTP `Retry-After`), which `retry`
/// then waits at least.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleError {
    pub detail: String,
    pub retry_after: Option<Duration>,
}

impl ModuleError {
    pub fn new(detail: impl Into<String>) -> ModuleError {
        ModuleError { detail: detail.into(), retry_after: None }
    }

    /// The same failure, asking a retry to wait at least `wait`.
    pub fn retry_after(self, wait: Duration) -> ModuleError {
        ModuleError { retry_after: Some(wait), ..self }
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl From<String> for ModuleError {
    fn from(detail: String) -> ModuleError {
        ModuleError::new(detail)
    }
}

impl From<&str> for ModuleError {
    fn from(detail: &str) -> ModuleError {
        ModuleError::new(detail)
    }
}

pub type ModuleResult = Result<Value, ModuleError>;

/// What a synchronous module may know about its call besides the values: the instantiated
/// parameter and return types (needed by type-directed functions such as `to-string`), and where
/// its notices go (`log`).
#[derive(Clone, Copy)]
pub struct CallContext<'a> {
    pub arg_types: &'a [Type],
    pub ret: &'a Type,
    /// The run's reporter.
    pub reporter: &'a dyn Reporter,
    /// The run's budgets: a module building a value checks its size against them first.
    pub limits: &'a Limits,
    /// The source line of the call.
    pub line: u32,
}

impl CallContext<'_> {
    /// Reports `message` as the call's `log` line.
    pub fn log(&self, message: &str) {
        self.reporter.report(Notice { kind: NoticeKind::Log, message: message.to_string(), line: self.line });
    }
}

impl fmt::Debug for CallContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext").field("arg_types", &self.arg_types).field("ret", self.ret).finish()
    }
}

/// Where the pieces of a call's answer go as they arrive (an LLM's tokens), before its value.
pub type Partial = Arc<dyn Fn(&str) + Send + Sync>;

thread_local! {
    static CALL_TIMEOUT: std::cell::Cell<Option<Duration>> = const { std::cell::Cell::new(None) };
    static CALL_PARTIAL: std::cell::RefCell<Option<Partial>> = const { std::cell::RefCell::new(None) };
}

/// Runs `make` (an asynchronous module making its future) with `timeout` as the call's timeout
/// and `partial` as where its pieces go.
pub fn with_call<R>(timeout: Option<Duration>, partial: Option<Partial>, make: impl FnOnce() -> R) -> R {
    struct Restore(Option<Duration>, Option<Partial>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALL_TIMEOUT.with(|t| t.set(self.0));
            CALL_PARTIAL.with(|p| *p.borrow_mut() = self.1.take());
        }
    }
    let _restore = Restore(CALL_TIMEOUT.with(|t| t.replace(timeout)), CALL_PARTIAL.with(|p| p.replace(partial)));
    make()
}

/// The `timeout` option of the call whose future an asynchronous module is making (read it
/// before the future, on the calling thread): a module with a time limit of its own, such as an
/// HTTP request's, lets the call's replace it.
pub fn call_timeout() -> Option<Duration> {
    CALL_TIMEOUT.with(std::cell::Cell::get)
}

/// Where the call whose future an asynchronous module is making may send the pieces of its answer
/// as they arrive (read it before the future): set when the call's value is an output of a run
/// that streams them (`run --stream`).
pub fn call_partial() -> Option<Partial> {
    CALL_PARTIAL.with(|p| p.borrow().clone())
}

pub type SyncFn = dyn Fn(&[Value], &CallContext<'_>) -> ModuleResult + Send + Sync;
/// An asynchronous module reads its arguments when called and gives a future that owns what it
/// needs of them: the runtime passes a borrowed buffer, so a call costs no argument vector.
pub type AsyncFn = dyn Fn(&[Value]) -> BoxFuture<ModuleResult> + Send + Sync;
pub type BlockingFn = dyn Fn(Vec<Value>) -> ModuleResult + Send + Sync;
/// A batched module runs many executions in one backend request: it gets the argument values of
/// each and gives one value per execution, in order, or one error for them all.
pub type BatchFn = dyn Fn(Vec<Vec<Value>>) -> BoxFuture<Result<Vec<Value>, ModuleError>> + Send + Sync;

/// A module that takes batches (SPEC §6.4 `batch`): the function, the most executions its backend
/// takes in one request, and how long a batch waits to fill when the call names no
/// `batch_timeout`.
#[derive(Clone)]
pub struct Batched {
    pub run: Arc<BatchFn>,
    pub max_batch: Option<usize>,
    pub max_delay: Option<Duration>,
}

/// The higher-order functions of SPEC §9.5, evaluated by the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HigherOrder {
    Filter,
    Map,
    All,
    Any,
    Count,
    Find,
    Reduce,
    SortBy,
}

#[derive(Clone)]
pub enum Module {
    Sync(Arc<SyncFn>),
    Async(Arc<AsyncFn>),
    Blocking(Arc<BlockingFn>),
    /// Runs executions in batches; a call without `batch` is a batch of one.
    Batched(Arc<Batched>),
    HigherOrder(HigherOrder),
}

impl Module {
    /// A synchronous module from a function of the argument values.
    pub fn sync(f: impl Fn(&[Value]) -> ModuleResult + Send + Sync + 'static) -> Module {
        Module::Sync(Arc::new(move |args, _| f(args)))
    }

    /// A synchronous module that also reads the call's static types.
    pub fn sync_typed(f: impl Fn(&[Value], &CallContext<'_>) -> ModuleResult + Send + Sync + 'static) -> Module {
        Module::Sync(Arc::new(f))
    }

    /// An asynchronous module from a function of the argument values, owned by its future.
    pub fn asynchronous<F>(f: impl Fn(Vec<Value>) -> F + Send + Sync + 'static) -> Module
    where
        F: Future<Output = ModuleResult> + Send + 'static,
    {
        Module::Async(Arc::new(move |args| Box::pin(f(args.to_vec()))))
    }

    pub fn blocking(f: impl Fn(Vec<Value>) -> ModuleResult + Send + Sync + 'static) -> Module {
        Module::Blocking(Arc::new(f))
    }

    /// A batched module from a function of a batch's argument values, taking at most `max_batch`
    /// executions per request (no limit when `None`).
    pub fn batched<F>(max_batch: Option<usize>, f: impl Fn(Vec<Vec<Value>>) -> F + Send + Sync + 'static) -> Module
    where
        F: Future<Output = Result<Vec<Value>, ModuleError>> + Send + 'static,
    {
        let run: Arc<BatchFn> = Arc::new(move |batch| Box::pin(f(batch)));
        Module::Batched(Arc::new(Batched { run, max_batch, max_delay: None }))
    }
}

impl fmt::Debug for Batched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batched").field("max_batch", &self.max_batch).field("max_delay", &self.max_delay).finish()
    }
}

/// The message of a module's panic payload (`module panicked: <this>`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text payload".to_string())
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Module::Sync(_) => f.write_str("Module::Sync"),
            Module::Async(_) => f.write_str("Module::Async"),
            Module::Blocking(_) => f.write_str("Module::Blocking"),
            Module::Batched(b) => write!(f, "Module::Batched(max {:?}, delay {:?})", b.max_batch, b.max_delay),
            Module::HigherOrder(h) => write!(f, "Module::HigherOrder({h:?})"),
        }
    }
}
