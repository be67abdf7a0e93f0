//! asterism-registry: the contract between the compiler and the runtime.
//!
//! It owns the language's types (`types`), function signatures (`signature`) and the registry of
//! callable functions (`registry`), including the stdlib and prelude signature tables (`stdlib`).
//! It depends on no other Asterism crate.

pub mod dag;
pub mod limits;
pub mod module;
pub mod registry;
pub mod report;
pub mod signature;
pub mod stdlib;
pub mod text;
pub mod types;
pub mod value;

pub use dag::DagSpec;
pub use limits::Limits;
pub use module::{Batched, CallContext, HigherOrder, Module, ModuleError, ModuleResult};
pub use registry::{Function, Registry, RegistryError, STDLIB_VERSION};
pub use report::{Notice, NoticeKind, Reporter, Silent};
pub use signature::{Fingerprint, Param, Signature, SignatureError};
pub use types::{Name, Record, Type, TypeVar, common_type, is_mergeable, is_subtype, lub, merge};
pub use value::{ElemKind, ListBuilder, ListView, Value};
