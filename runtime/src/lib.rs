//! asterism-runtime: execution of compiled pipelines (DESIGN.md §3).
//!
//! It depends on `asterism-registry` only and never sees the AST: it takes a DagSpec, prepares an
//! execution plan once, and runs it against inputs. `json` reads run inputs and writes outputs,
//! guided by the declared types.

pub mod json;
