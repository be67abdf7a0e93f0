//! asterism-compiler: from source text to a content-hashed DagSpec.
//!
//! Stages, each a free function named after itself: `resolve` (functions and namespaces, SPEC
//! §3.7/§4.5) serves `check` (types, SPEC §3–§6), which gives the `typed` tree and diagnostics;
//! `lower` turns a program without errors into IR (the DagSpec node language), `optimise` folds
//! constants and merges pure duplicates, `plan` drops what no run needs and gives the final
//! DagSpec, identified by `DagSpec::hash`. `driver` runs the stages in order; `cache` memoises the
//! whole pipeline per source text and registry. The compiler does no IO and no async work.

pub mod cache;
pub mod check;
pub mod driver;
pub mod lower;
pub mod optimise;
pub mod plan;
pub mod resolve;
pub mod typed;

pub use cache::CompileCache;
pub use check::{Checked, check};
pub use driver::{Compiled, check_source, compile, ir};
