//! asterism-runtime: execution of compiled pipelines (DESIGN.md §3).
//!
//! It depends on `asterism-registry` only and never sees the AST. `plan` prepares a DagSpec once
//! (validation, module resolution, per-node run-ready data); `run` runs it: `exec` evaluates
//! synchronous graphs in one pass, `sched` schedules graphs with waiting module calls, `hof` runs
//! the higher-order functions, `ops` holds the built-in operations and `convert` the conversions.
//! `json` reads run inputs and writes outputs, guided by the declared types.

mod convert;
mod exec;
mod hof;
pub mod json;
mod ops;
mod outcome;
mod plan;
mod run;
mod sched;

pub use outcome::{Event, RunError, RunOutcome, Status};
pub use plan::{ExecutionPlan, PrepareError};
