//! Run inputs (SPEC §8.5, §8.6): the inputs document parsed against the declared inputs.
//!
//! Takes: the document's bytes and the declared inputs `(name, Type)` in declaration order.
//! Gives: one `Value` per declared input, in that order; or every error message, ordered by input
//! declaration and then by position in the document, each prefixed `input 'name': ` (a missing
//! input, an unreadable document and a non-object document have their own messages).
//! Guarantees: keys naming no input are ignored; a missing `Optional` input is `None`; of a key
//! given twice (here or in any object) the last value counts, and the problems of every one are
//! reported. With the `simd-json` feature the document is read by simd-json; whatever it refuses
//! is read again by serde_json, the reference, which then decides (so both builds accept the same
//! documents and explain errors the same way).

use super::report::{self, Ctx, Path};
use super::typed::Typed;
use super::visit::{Any, Handler, Key, Scalar, Skip, drain_seq};
use asterism_registry::{Type, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use std::borrow::Borrow;

/// How deeply arrays and objects may nest in an inputs document (the inputs object is level 1);
/// deeper documents are unreadable. This is serde_json's limit, which simd-json is set to match.
pub const MAX_DEPTH: usize = 127;

/// Parses the inputs document against the declared inputs, given as `(name, type)` pairs (owned
/// or borrowed: `(&str, &Type)` avoids cloning types).
pub fn parse_inputs<N: AsRef<str>, T: Borrow<Type>>(
    doc: impl AsRef<[u8]>,
    inputs: &[(N, T)],
) -> Result<Vec<Value>, Vec<String>> {
    let mut found = Found { inputs, slots: (0..inputs.len()).map(|_| (None, Ctx::new())).collect() };
    match backend::parse(doc.as_ref(), Document(&mut found)) {
        Err(detail) => Err(vec![report::unreadable(detail)]),
        Ok(false) => Err(vec![report::NOT_AN_OBJECT.to_owned()]),
        Ok(true) => found.finish(),
    }
}

/// The inputs read so far: each with its value (the last one given) and its problems.
struct Found<'i, N, T> {
    inputs: &'i [(N, T)],
    slots: Vec<(Option<Value>, Ctx)>,
}

impl<N: AsRef<str>, T: Borrow<Type>> Found<'_, N, T> {
    fn finish(self) -> Result<Vec<Value>, Vec<String>> {
        let mut values = Vec::with_capacity(self.inputs.len());
        let mut errors = Vec::new();
        for ((name, ty), (value, ctx)) in self.inputs.iter().zip(self.slots) {
            let (name, ty, problems) = (name.as_ref(), ty.borrow(), ctx.into_errors());
            errors.extend(problems.iter().map(|p| report::in_input(name, p)));
            match value {
                Some(value) => values.push(value),
                None if matches!(ty, Type::Optional(_)) => values.push(Value::None),
                None => errors.push(report::missing_input(name, ty)),
            }
        }
        if errors.is_empty() { Ok(values) } else { Err(errors) }
    }
}

/// The whole document; its value says whether it was an object.
struct Document<'f, 'i, N, T>(&'f mut Found<'i, N, T>);

impl<'de, N: AsRef<str>, T: Borrow<Type>> DeserializeSeed<'de> for Document<'_, '_, N, T> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(Any(self))
    }
}

impl<'de, N: AsRef<str>, T: Borrow<Type>> Handler<'de> for Document<'_, '_, N, T> {
    type Out = bool;

    fn scalar<E: de::Error>(self, _: Scalar<'_>) -> Result<bool, E> {
        Ok(false)
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        drain_seq(seq).map(|_| false)
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let inputs = self.0.inputs;
        while let Some(found) = map.next_key_seed(Key(|k: &str| inputs.iter().position(|(n, _)| n.as_ref() == k)))? {
            let Some(i) = found else {
                map.next_value::<Skip>()?;
                continue;
            };
            let (value, ctx) = &mut self.0.slots[i];
            *value = Some(map.next_value_seed(Typed { ty: inputs[i].1.borrow(), ctx, path: &Path::ROOT })?);
        }
        Ok(true)
    }
}

#[cfg(feature = "simd-json")]
mod backend {
    use super::MAX_DEPTH;
    use serde::de::DeserializeSeed;
    use simd_json::{Buffers, Deserializer, INPUT_PADDING, Tape, fill_tape_padded};

    /// Reads `doc` with simd-json; a document it refuses goes to serde_json, which decides.
    /// simd-json unescapes strings in place, so it reads a padded copy of the document.
    pub(super) fn parse<T, S: for<'de> DeserializeSeed<'de, Value = T>>(doc: &[u8], seed: S) -> Result<T, String> {
        let len = doc.len();
        let mut bytes = Vec::with_capacity(len + INPUT_PADDING);
        bytes.extend_from_slice(doc);
        bytes.resize(len + INPUT_PADDING, b' ');
        let mut buffers = Buffers::with_max_depth(len, MAX_DEPTH);
        let mut tape = Tape::null();
        match fill_tape_padded(&mut bytes, len, &mut buffers, &mut tape) {
            Ok(()) => seed.deserialize(&mut Deserializer::from_tape(tape)).map_err(|e| e.to_string()),
            Err(_) => super::reference::parse(doc, seed),
        }
    }
}

#[cfg(not(feature = "simd-json"))]
mod backend {
    pub(super) use super::reference::parse;
}

/// serde_json: the reference reader, with its nesting limit of `MAX_DEPTH`.
mod reference {
    use serde::de::DeserializeSeed;

    pub(super) fn parse<T, S: for<'de> DeserializeSeed<'de, Value = T>>(doc: &[u8], seed: S) -> Result<T, String> {
        let mut de = serde_json::Deserializer::from_slice(doc);
        let value = seed.deserialize(&mut de).map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(value)
    }
}
