//! JSON in and out of a run (SPEC §8.4–§8.6), guided by the declared types.
//!
//! Takes: an inputs document (bytes) with the declared inputs `(name, Type)`; or values with their
//! static types. Gives: `parse_inputs` — one `Value` per declared input, or every input error
//! message of SPEC §8.6 in declaration order, then document order; `parse_value` — one value of a
//! type (a service's answer), or its problems; `parse_inputs_from`/`parse_value_from` — the same
//! from any serde deserializer (a host language's objects); `write_value`/`write_outputs` —
//! the JSON of SPEC §8.4 appended to a `String`.
//! Guarantees: parsed values keep the representation invariants of `asterism_registry::value`
//! (packed `Ints`/`Floats`, records in canonical field order, `Value::some`, `Tagged` member
//! indices, map keys unique); no input, however absurd, panics (documents nest at most
//! `MAX_DEPTH` levels; deeper ones are unreadable).
//!
//! Parsing is one streaming pass of a serde `DeserializeSeed` driven by the type (`typed`) over
//! the document's bytes (`reader`, or serde_json for what it refuses); only a union's value is
//! buffered (`tree`) so that its members can be tried (`union`).

mod entries;
mod input;
mod output;
mod reader;
mod report;
mod tree;
mod typed;
mod visit;

pub use input::{MAX_DEPTH, parse_inputs, parse_inputs_from, parse_inputs_given, parse_value, parse_value_from};
pub use output::{Layout, to_json, write_outputs, write_value};
