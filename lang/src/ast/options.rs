//! Module call options in the tree: the `with` clause of SPEC §6.1–§6.2 as typed data. Built
//! from what the grammar read by the `with` builder (a floor up); checked (E016, W002, W003) by the
//! compiler.

use super::Expr;
use crate::span::Span;

/// Every option name, in the order of SPEC §6.2.
pub const OPTION_NAMES: [&str; 17] = [
    "retry",
    "timeout",
    "delay",
    "backoff",
    "fallback",
    "cache",
    "cache_backend",
    "throttle",
    "concurrency",
    "on_error",
    "lazy",
    "priority",
    "batch",
    "batch_timeout",
    "window",
    "checkpoint",
    "join",
];

/// An option value with the span of the whole option and the value's text as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Opt<T> {
    pub value: T,
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backoff {
    Fixed,
    Linear,
    Exponential,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OnError {
    Propagate,
    Skip,
    Log,
    Wrap,
}

/// `n/D`: at most `count` calls per `per_ms` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    pub count: u64,
    pub per_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    Tumbling(u64),
    Sliding(u64, u64),
    Count(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Join {
    CombineLatest,
    Zip,
    Buffer(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fallback {
    /// Shared: options are copied into the typed tree, the expression never is.
    pub expr: std::sync::Arc<Expr>,
    pub span: Span,
}

/// The options of one call. Durations are in milliseconds; `priority` is already mapped to 0..=100.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallOptions {
    pub retry: Option<Opt<i64>>,
    pub timeout: Option<Opt<u64>>,
    pub delay: Option<Opt<u64>>,
    pub backoff: Option<Opt<Backoff>>,
    pub fallback: Option<Fallback>,
    pub cache: Option<Opt<u64>>,
    pub cache_backend: Option<Opt<String>>,
    pub throttle: Option<Opt<Rate>>,
    pub concurrency: Option<Opt<i64>>,
    pub on_error: Option<Opt<OnError>>,
    pub lazy: Option<Opt<bool>>,
    pub priority: Option<Opt<u8>>,
    pub batch: Option<Opt<i64>>,
    pub batch_timeout: Option<Opt<u64>>,
    pub window: Option<Opt<Window>>,
    pub checkpoint: Option<Opt<u64>>,
    pub join: Option<Opt<Join>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WithClause {
    pub span: Span,
    pub options: CallOptions,
}
