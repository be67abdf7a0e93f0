//! asterism-runtime: execution of compiled pipelines (DESIGN.md §3).
//!
//! Empty until the engine lands: it will take a DagSpec (from the registry crate's contract) and
//! run it on tokio. It depends on `asterism-registry` only and never sees the AST.
