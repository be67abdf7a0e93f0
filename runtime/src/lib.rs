//! asterism-runtime: execution of compiled pipelines (DESIGN.md §3).
//!
//! It depends on `asterism-registry` only and never sees the AST. `plan` prepares a DagSpec once
//! (validation, module resolution, per-node run-ready data); `run` runs it: `exec` evaluates
//! synchronous graphs in one pass, `sched` schedules graphs with waiting module calls, `hof` runs
//! the higher-order functions, `ops` holds the built-in operations and `convert` the conversions.
//! Call options: `options` (the prepared `Policy`), `invoke` (calls with a policy), `cache`,
//! `limit`, `services` (what an engine's runs share) and `lazy` (calls run on demand).
//! `json` reads run inputs and writes outputs, guided by the declared types.

pub mod cache;
mod convert;
mod deep;
mod exec;
mod hof;
mod invoke;
pub mod json;
mod lazy;
mod limit;
mod ops;
mod options;
mod outcome;
mod plan;
mod run;
mod sched;
mod services;

pub use cache::{CacheBackend, CacheStats, MemoryBackend};
pub use outcome::{Event, RunError, RunOutcome, Status};
pub use plan::{ExecutionPlan, PrepareError};
pub use services::{DEFAULT_CACHE, Services};
