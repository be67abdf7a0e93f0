//! asterism-runtime: execution of compiled pipelines (DESIGN.md §3).
//!
//! It depends on `asterism-registry` only and never sees the AST; it prints nothing (a run's
//! notices go to the reporter its caller gives). Its modules are floors, each importing only
//! from the floors below it:
//!
//! 1. `outcome` (what a run gives back), `values` (operations, conversions, slots),
//!    `services` (what an engine's runs share: call caches, limiters);
//! 2. `policy`: call options prepared once per call site, and the one path of a call with them;
//! 3. `plan`: a DagSpec prepared to run;
//! 4. `exec`: the synchronous evaluator (owners, higher-order functions, lazy forcing);
//! 5. `sched`: the asynchronous scheduler, driving the evaluator's rules with futures;
//! 6. `run`: the entry — a first pass on the caller's thread, the scheduler from where it waits;
//!    each output given to a sink as soon as it is ready.
//!
//! `json` stands apart: run inputs read and outputs written, guided by the declared types.

mod outcome;
mod services;
mod values;

mod policy;

mod plan;

mod exec;

mod sched;

mod run;

pub mod json;

pub use outcome::{PartialOutputs, RunError, RunOutcome, Status};
pub use plan::{ExecutionPlan, PrepareError};
pub use run::Env;
pub use services::batch::BatchStats;
pub use services::cache::{self, CacheBackend, CacheStats, MemoryBackend, TierStats, Tiered};
pub use services::profile::{NodeTimes, Profile};
pub use services::{DEFAULT_CACHE, Services};
