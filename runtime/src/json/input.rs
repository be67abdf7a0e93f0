//! Run inputs (SPEC §8.5, §8.6): the inputs document parsed against the declared inputs.
//!
//! Takes: the document's bytes and the declared inputs `(name, Type)` in declaration order; with
//! `parse_inputs_given`, also values given one by one (the CLI's `-i NAME=VALUE`, SPEC §11.1),
//! which replace the document's: each is read once, as JSON when it is valid JSON, else as a
//! string.
//! Gives: one `Value` per declared input, in that order; or every error message, ordered by input
//! declaration and then by position in the document, each prefixed `input 'name': ` (or
//! `input 'name' (-i name): ` for a value given alone; a missing input, an unreadable document and
//! a non-object document have their own messages).
//! Guarantees: keys naming no input are ignored; a missing `Optional` input is `None`; of a key
//! given twice (here or in any object) the last value counts, and the problems of every one are
//! reported; a document's key replaced by a given value is skipped unread. The document is read
//! by our own reader (`reader`); whatever it refuses is read again, from scratch, by serde_json,
//! the reference, which then decides and explains.

use super::reader::{self, Refused};
use super::report::{self, Ctx, Path};
use super::typed::Typed;
use super::visit::{Any, Handler, Key, Scalar, Skip, drain_seq};
use asterism_registry::{Limits, Type, Value};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess};
use std::borrow::Borrow;

/// How deeply arrays and objects may nest in an inputs document (the inputs object is level 1);
/// deeper documents are unreadable. This is serde_json's limit, which our reader keeps too.
pub const MAX_DEPTH: usize = 127;

/// Parses the inputs document against the declared inputs, given as `(name, type)` pairs (owned
/// or borrowed: `(&str, &Type)` avoids cloning types).
pub fn parse_inputs<N: AsRef<str>, T: Borrow<Type>>(
    doc: impl AsRef<[u8]>,
    inputs: &[(N, T)],
) -> Result<Vec<Value>, Vec<String>> {
    parse_inputs_given(doc, &[] as &[(&str, &[u8])], inputs, &Limits::default())
}

/// Parses the inputs document, then the values `given` as `(name, text)` pairs, which replace
/// the document's values of those names; the values of each input may take at most the
/// `limits`' memory budget (a larger document is refused as it is read).
pub fn parse_inputs_given<N: AsRef<str>, T: Borrow<Type>>(
    doc: impl AsRef<[u8]>,
    given: &[(impl AsRef<str>, impl AsRef<[u8]>)],
    inputs: &[(N, T)],
    limits: &Limits,
) -> Result<Vec<Value>, Vec<String>> {
    let budget = limits.max_memory;
    let position = |k: &str| inputs.iter().position(|(n, _)| n.as_ref() == k);
    let slot = || Slot { value: None, given: false, ctx: Ctx::new(budget) };
    let mut found = Found { inputs, budget, slots: (0..inputs.len()).map(|_| slot()).collect() };
    for (name, _) in given {
        if let Some(i) = position(name.as_ref()) {
            found.slots[i].given = true;
        }
    }
    // A byte order mark may open a document (RFC 8259 §8.1 lets readers ignore it).
    let doc = doc.as_ref();
    let doc = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    let read = match reader::read(doc, Document(&mut found)) {
        Ok(is_object) => Ok(is_object),
        Err(Refused) => {
            found.clear();
            reference(doc, Document(&mut found))
        }
    };
    match read {
        Err(detail) if detail.contains(report::OVER_BUDGET) => return Err(vec![report::over_budget(budget)]),
        Err(detail) => return Err(vec![report::unreadable(detail)]),
        Ok(false) => return Err(vec![report::NOT_AN_OBJECT.to_owned()]),
        Ok(true) => {}
    }
    for (name, text) in given {
        let Some(i) = position(name.as_ref()) else { continue };
        let (ty, slot) = (inputs[i].1.borrow(), &mut found.slots[i]);
        slot.ctx = Ctx::new(budget);
        let text = text.as_ref();
        let read = match reader::read(text, Given { ty, ctx: &mut slot.ctx }) {
            Ok(value) => Ok(value),
            Err(Refused) => {
                slot.ctx = Ctx::new(budget);
                reference(text, Given { ty, ctx: &mut slot.ctx })
            }
        };
        slot.value = match read {
            Ok(value) => Some(value),
            // JSON in form that a reader refuses (a number beyond Float, a lone surrogate in a
            // quoted string): an error, not a string that looks like what was meant.
            Err(detail) if looks_like_json(text, &detail) => {
                slot.ctx = Ctx::new(budget);
                let _ = slot.ctx.report::<de::value::Error>(&Path::ROOT, &format!("not valid JSON: {detail}"));
                Some(Value::None)
            }
            // Not JSON: the text is the value, a string.
            Err(_) => {
                slot.ctx = Ctx::new(budget);
                let text = String::from_utf8_lossy(text);
                let de: de::value::StrDeserializer<'_, de::value::Error> = text.as_ref().into_deserializer();
                Typed { ty, ctx: &mut slot.ctx, path: &Path::ROOT }.deserialize(de).ok()
            }
        };
    }
    found.finish()
}

/// Reads the inputs from any serde deserializer of an object — a host language's dictionary
/// (Python's, through pythonize), a `serde_json::Value` — against the declared inputs: the same
/// values, and the same messages, as the same object given as a JSON document.
pub fn parse_inputs_from<'de, D: Deserializer<'de>, N: AsRef<str>, T: Borrow<Type>>(
    de: D,
    inputs: &[(N, T)],
    limits: &Limits,
) -> Result<Vec<Value>, Vec<String>> {
    let budget = limits.max_memory;
    let slot = || Slot { value: None, given: false, ctx: Ctx::new(budget) };
    let mut found = Found { inputs, budget, slots: (0..inputs.len()).map(|_| slot()).collect() };
    match Document(&mut found).deserialize(de) {
        Err(e) if e.to_string().contains(report::OVER_BUDGET) => Err(vec![report::over_budget(budget)]),
        Err(e) => Err(vec![report::unreadable(e.to_string())]),
        Ok(false) => Err(vec![report::NOT_AN_OBJECT.to_owned()]),
        Ok(true) => found.finish(),
    }
}

/// Reads one value of type `ty` from any serde deserializer (a host function's result, say): the
/// value, or its problems as `parse_value` gives them.
pub fn parse_value_from<'de, D: Deserializer<'de>>(de: D, ty: &Type, limits: &Limits) -> Result<Value, Vec<String>> {
    let mut ctx = Ctx::new(limits.max_memory);
    let read = Given { ty, ctx: &mut ctx }.deserialize(de).map_err(|e| e.to_string());
    checked(read, ctx, limits)
}

/// Reads `doc` as one value of type `ty` (a service's answer): the value, or its problems in
/// document order, each naming where it is (`field 'scores[3]': expected Float, got String`), at
/// most `MAX_PROBLEMS` of them; a document that is not JSON gives one message. Its values may
/// take at most the `limits`' memory budget.
pub fn parse_value(doc: &[u8], ty: &Type, limits: &Limits) -> Result<Value, Vec<String>> {
    let doc = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    let mut ctx = Ctx::new(limits.max_memory);
    let read = match reader::read(doc, Given { ty, ctx: &mut ctx }) {
        Ok(value) => Ok(value),
        Err(Refused) => {
            ctx = Ctx::new(limits.max_memory);
            reference(doc, Given { ty, ctx: &mut ctx })
        }
    };
    checked(read, ctx, limits)
}

/// A value read, or why it could not be, with the problems found on the way.
fn checked(read: Result<Value, String>, ctx: Ctx, limits: &Limits) -> Result<Value, Vec<String>> {
    let value = match read {
        Err(detail) if detail.contains(report::OVER_BUDGET) => {
            return Err(vec![format!(
                "the value takes more than the memory budget of {}",
                asterism_registry::limits::show_bytes(limits.max_memory)
            )]);
        }
        Err(detail) => return Err(vec![format!("not valid JSON: {detail}")]),
        Ok(value) => value,
    };
    match ctx.into_errors() {
        (problems, 0) if problems.is_empty() => Ok(value),
        (mut problems, more) => {
            if more > 0 {
                problems.push(report::more(more));
            }
            Err(problems)
        }
    }
}

/// Whether `text`, refused as JSON for `detail`, is still meant as JSON: a number too large for
/// a Float, or a whole quoted string with an escape no reader takes.
fn looks_like_json(text: &[u8], detail: &str) -> bool {
    let quoted = text.len() >= 2 && text.starts_with(b"\"") && text.ends_with(b"\"");
    detail.contains("number out of range") || (quoted && !detail.contains("trailing characters"))
}

/// An input's value, whether it was given alone, and its problems.
struct Slot {
    value: Option<Value>,
    given: bool,
    ctx: Ctx,
}

/// The inputs read so far: each with its value (the last one given) and its problems.
struct Found<'i, N, T> {
    inputs: &'i [(N, T)],
    /// The memory budget of each input's values.
    budget: u64,
    slots: Vec<Slot>,
}

impl<N: AsRef<str>, T: Borrow<Type>> Found<'_, N, T> {
    /// Forgets what the document gave (values and problems), before it is read again.
    fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.value = None;
            slot.ctx = Ctx::new(self.budget);
        }
    }

    fn finish(self) -> Result<Vec<Value>, Vec<String>> {
        let mut values = Vec::with_capacity(self.inputs.len());
        let mut errors = Vec::new();
        let mut more = 0;
        for ((name, ty), Slot { value, given, ctx }) in self.inputs.iter().zip(self.slots) {
            let (name, ty, (problems, uncounted)) = (name.as_ref(), ty.borrow(), ctx.into_errors());
            let about = |p: &String| if given { report::in_given(name, p) } else { report::in_input(name, p) };
            let room = report::MAX_PROBLEMS.saturating_sub(errors.len());
            errors.extend(problems.iter().take(room).map(about));
            more += uncounted + problems.len().saturating_sub(room);
            match value {
                Some(value) => values.push(value),
                None if matches!(ty, Type::Optional(_)) => values.push(Value::None),
                None if errors.len() < report::MAX_PROBLEMS => errors.push(report::missing_input(name, ty)),
                None => more += 1,
            }
        }
        if more > 0 {
            errors.push(report::more(more));
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
            let Some(slot) = found.map(|i| &mut self.0.slots[i]).filter(|slot| !slot.given) else {
                map.next_value::<Skip>()?;
                continue;
            };
            let ty = inputs[found.unwrap_or_default()].1.borrow();
            slot.value = Some(map.next_value_seed(Typed { ty, ctx: &mut slot.ctx, path: &Path::ROOT })?);
        }
        Ok(true)
    }
}

/// A value given alone, read as the input's type.
struct Given<'a> {
    ty: &'a Type,
    ctx: &'a mut Ctx,
}

impl<'de> DeserializeSeed<'de> for Given<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Typed { ty: self.ty, ctx: self.ctx, path: &Path::ROOT }.deserialize(d)
    }
}

/// Reads `doc` with serde_json, the reference reader (with its nesting limit, one level more
/// than `MAX_DEPTH`): what it refuses, it explains.
fn reference<'de, S: DeserializeSeed<'de>>(doc: &'de [u8], seed: S) -> Result<S::Value, String> {
    let mut de = serde_json::Deserializer::from_slice(doc);
    let value = seed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}
