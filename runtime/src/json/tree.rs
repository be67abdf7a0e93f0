//! A buffered JSON value, for the one place that must read a value more than once: a union,
//! whose members are tried in turn (SPEC §8.5).
//!
//! Takes: one value from any deserializer. Gives: `Json` (objects keep document order and
//! repeated keys; numbers keep the parser's integer/float classification), and `JsonRef`, a serde
//! `Deserializer` over it, so the same type-driven seeds read a buffered value and the live
//! document alike.
//! Guarantees: buffering nests no deeper than the document itself, which the parser bounds.

use super::report::Got;
use super::visit::{Any, Handler, Scalar, capacity};
use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

#[derive(Clone, Debug)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Box<str>),
    Array(Vec<Json>),
    Object(Vec<(Box<str>, Json)>),
}

impl Json {
    fn scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Json::Null => Scalar::Null,
            Json::Bool(b) => Scalar::Bool(*b),
            Json::Int(n) => Scalar::Int(*n),
            Json::UInt(n) => Scalar::UInt(*n),
            Json::Float(x) => Scalar::Float(*x),
            Json::Str(s) => Scalar::Str(s),
            Json::Array(_) | Json::Object(_) => return None,
        })
    }

    pub(crate) fn got(&self) -> Got {
        match (self.scalar(), self) {
            (Some(s), _) => Got::of(s),
            (None, Json::Array(_)) => Got::Array,
            (None, _) => Got::Object,
        }
    }

    /// A number written without `.` and exponent.
    pub(crate) fn is_integer_literal(&self) -> bool {
        matches!(self, Json::Int(_) | Json::UInt(_))
    }

    /// `(tag, value)` when this is an object with exactly the keys `tag` (a string) and `value`.
    pub(crate) fn as_tagged(&self) -> Option<(&str, &Json)> {
        let Json::Object(entries) = self else { return None };
        let [(k1, v1), (k2, v2)] = entries.as_slice() else { return None };
        let (tag, value) = match (&**k1, &**k2) {
            ("tag", "value") => (v1, v2),
            ("value", "tag") => (v2, v1),
            _ => return None,
        };
        match tag {
            Json::Str(tag) => Some((tag, value)),
            _ => None,
        }
    }
}

/// Builds a `Json` from any deserializer.
struct Build;

impl<'de> Handler<'de> for Build {
    type Out = Json;

    fn scalar<E: de::Error>(self, scalar: Scalar<'_>) -> Result<Json, E> {
        Ok(match scalar {
            Scalar::Null => Json::Null,
            Scalar::Bool(b) => Json::Bool(b),
            Scalar::Int(n) => Json::Int(n),
            Scalar::UInt(n) => Json::UInt(n),
            Scalar::Float(x) => Json::Float(x),
            Scalar::Str(s) => Json::Str(s.into()),
        })
    }

    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(capacity(seq.size_hint()));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::with_capacity(capacity(map.size_hint()));
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key.into(), value));
        }
        Ok(Json::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(Any(Build))
    }
}

/// Reads a buffered value as if it came from the document.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonRef<'a>(pub &'a Json);

impl<'de> Deserializer<'de> for JsonRef<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Null => visitor.visit_unit(),
            Json::Bool(b) => visitor.visit_bool(*b),
            Json::Int(n) => visitor.visit_i64(*n),
            Json::UInt(n) => visitor.visit_u64(*n),
            Json::Float(x) => visitor.visit_f64(*x),
            Json::Str(s) => visitor.visit_borrowed_str(s),
            Json::Array(items) => visitor.visit_seq(SeqDeserializer::new(items.iter().map(JsonRef))),
            Json::Object(entries) => {
                visitor.visit_map(MapDeserializer::new(entries.iter().map(|(k, v)| (&**k, JsonRef(v)))))
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Json::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'a> IntoDeserializer<'a, Error> for JsonRef<'a> {
    type Deserializer = JsonRef<'a>;

    fn into_deserializer(self) -> JsonRef<'a> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Json {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn keeps_order_and_number_kinds() {
        let j = parse(r#"{"b": 1, "a": [1.0, -2, "x", null, true]}"#);
        let Json::Object(entries) = &j else { panic!("not an object") };
        assert_eq!(entries[0].0.as_ref(), "b");
        assert!(entries[0].1.is_integer_literal());
        let Json::Array(items) = &entries[1].1 else { panic!("not an array") };
        assert!(!items[0].is_integer_literal());
        assert!(matches!(items[1], Json::Int(-2)));
    }

    #[test]
    fn recognises_the_tagged_form() {
        assert!(matches!(parse(r#"{"value": 3, "tag": "Int"}"#).as_tagged(), Some(("Int", Json::UInt(3)))));
        assert!(parse(r#"{"tag": 3, "value": 3}"#).as_tagged().is_none());
        assert!(parse(r#"{"tag": "Int", "value": 3, "x": 1}"#).as_tagged().is_none());
        assert!(parse(r#"{"tag": "Int", "tag": "Int"}"#).as_tagged().is_none());
    }

    #[test]
    fn reads_back_through_serde() {
        let j = parse(r#"{"b": [1, 2.5], "a": null}"#);
        let again = Json::deserialize(JsonRef(&j)).unwrap();
        assert_eq!(format!("{again:?}"), format!("{j:?}"));
    }
}
