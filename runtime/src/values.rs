//! Floor 1 of the runtime: values and what holds them. `ops` (the built-in operations), `convert`
//! (conversions between types, checks of module results), `slot` (per-node slots, run buffers,
//! lazy-call data), `budget` (the memory and time a run may take). Nothing here knows about
//! plans, policies or engines.

pub(crate) mod budget;
pub(crate) mod convert;
pub(crate) mod ops;
pub(crate) mod slot;
