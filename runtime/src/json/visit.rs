//! Adapters over serde's visitor protocol, shared by every reader of the inputs document.
//!
//! Takes: what a JSON deserializer reports (serde_json, simd-json, or a buffered `tree::Json`).
//! Gives: `Any`, which folds serde's many `visit_*` calls into the three cases of a `Handler`
//! (a scalar, an array, an object); `Key`, which reads an object key without keeping it; and the
//! `Skip` and the `drain_*` helpers, which consume a value nobody wants.
//! Guarantees: handlers see numbers exactly as the parser classified them (`Int`/`UInt` for
//! integers written without `.` or exponent, `Float` otherwise), which the union tie-break uses.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON scalar as the parser read it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a str),
}

/// What to do with each kind of JSON value.
pub(crate) trait Handler<'de>: Sized {
    type Out;
    fn scalar<E: de::Error>(self, scalar: Scalar<'_>) -> Result<Self::Out, E>;
    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Out, A::Error>;
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Self::Out, A::Error>;
}

/// The visitor of any JSON value, forwarding to a `Handler`.
#[derive(Debug)]
pub(crate) struct Any<H>(pub H);

impl<'de, H: Handler<'de>> Visitor<'de> for Any<H> {
    type Value = H::Out;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<H::Out, E> {
        self.0.scalar(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<H::Out, E> {
        self.0.scalar(Scalar::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<H::Out, E> {
        self.0.scalar(Scalar::UInt(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<H::Out, E> {
        self.0.scalar(Scalar::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<H::Out, E> {
        self.0.scalar(Scalar::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<H::Out, E> {
        self.0.scalar(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<H::Out, E> {
        self.0.scalar(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<H::Out, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<H::Out, A::Error> {
        self.0.array(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<H::Out, A::Error> {
        self.0.object(map)
    }
}

/// Reads an object key and turns it into `T` while it is borrowed (a field index, an owned name).
#[derive(Debug)]
pub(crate) struct Key<F>(pub F);

impl<'de, T, F: FnOnce(&str) -> T> DeserializeSeed<'de> for Key<F> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for Key<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.0)(v))
    }
}

/// A value nobody wants, consumed by visiting it (unlike serde's `IgnoredAny`, which serde_json
/// skips without counting nesting, so that the parser's depth limit holds everywhere).
#[derive(Debug)]
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(Any(Skip))
    }
}

impl<'de> Handler<'de> for Skip {
    type Out = Skip;

    fn scalar<E: de::Error>(self, _: Scalar<'_>) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
        drain_seq(seq).map(|_| Skip)
    }

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        drain_map(map).map(|()| Skip)
    }
}

/// Consumes the rest of an array; returns how many elements it had.
pub(crate) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<usize, A::Error> {
    let mut n = 0;
    while seq.next_element::<Skip>()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// Consumes the rest of an object.
pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<Skip, Skip>()?.is_some() {}
    Ok(())
}

/// A capacity to reserve from a parser's size hint, bounded so that a wrong hint costs little.
pub(crate) fn capacity(hint: Option<usize>) -> usize {
    hint.unwrap_or(0).min(1 << 16)
}
