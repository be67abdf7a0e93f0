//! Floor 1 of the runtime: values and what holds them. `ops` (the built-in operations), `convert`
//! (conversions between types, checks of module results), `slot` (per-node slots, run buffers,
//! lazy-call data). Nothing here knows about plans, policies or engines.

pub(crate) mod convert;
pub(crate) mod ops;
pub(crate) mod slot;
