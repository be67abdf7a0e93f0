//! One JSON value read as a value of its declared type (the table of SPEC §8.5).
//!
//! Takes: a deserializer positioned at the value, the type, the error collector and the value's
//! path. Gives: the `Value` in the representation its type demands; each problem found is
//! reported once, with its path, and parsing carries on with the rest of the document (the bad
//! value becomes a placeholder, and the run never starts).
//! Guarantees: one pass, no intermediate tree except for unions; recursion follows the type, so
//! it is bounded by both the type's depth and the document's. Never returns an error of its own
//! except in trial mode (see `report::Ctx`); errors otherwise come from the parser.

use super::entries::Entries;
use super::report::{self, Ctx, Got, Path, Seg};
use super::tree::Json;
use super::visit::{Any, Handler, Key, Scalar, Skip, capacity, drain_map, drain_seq};
use asterism_registry::{Record, Type, Value};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

mod union;

/// The seed of one value of type `ty` at `path`.
#[derive(Debug)]
pub(crate) struct Typed<'a> {
    pub(crate) ty: &'a Type,
    pub(crate) ctx: &'a mut Ctx,
    pub(crate) path: &'a Path<'a>,
}

impl<'de> DeserializeSeed<'de> for Typed<'_> {
    type Value = Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.ty {
            Type::Optional(inner) => d.deserialize_option(Optional(Typed { ty: inner, ..self })),
            Type::Union(members) => self.union(members, d),
            _ => d.deserialize_any(Any(self)),
        }
    }
}

impl Typed<'_> {
    #[inline(never)]
    fn union<'de, D: Deserializer<'de>>(self, members: &[Type], d: D) -> Result<Value, D::Error> {
        let json = Json::deserialize(d)?;
        union::resolve(self, members, &json)
    }

    /// Reports that the value is not of the type; the placeholder stands in for it.
    pub(crate) fn reject<E: de::Error>(self, message: &str) -> Result<Value, E> {
        self.ctx.report(self.path, message).map(|()| Value::None)
    }

    fn mismatch<E: de::Error>(self, got: Got) -> Result<Value, E> {
        let message = report::expected(self.ty, got);
        self.reject(&message)
    }

    /// A list in the representation of its element type: `Ints`, `Floats` or `List`.
    fn list<'de, A: SeqAccess<'de>>(self, elem: &Type, seq: A) -> Result<Value, A::Error> {
        Ok(match elem {
            Type::Int => Value::Ints(self.elements::<_, Number<i64>>(elem, seq)?.into()),
            Type::Float => Value::Floats(self.elements::<_, Number<f64>>(elem, seq)?.into()),
            _ => Value::List(self.elements::<_, Typed>(elem, seq)?.into()),
        })
    }

    /// The elements of an array, each read by the element reader `R`.
    fn elements<'de, A: SeqAccess<'de>, R: Element>(self, elem: &Type, mut seq: A) -> Result<Vec<R::Out>, A::Error> {
        // Without a hint from the parser, the length of the list read before: rows of a table, the
        // vectors of a batch of embeddings, are alike.
        let mut out = Vec::with_capacity(capacity(seq.size_hint().or(self.ctx.last_list_len)));
        // Three times an element's size: what reading a list costs at its peak (a buffer grown by
        // doubling, then copied into the shared list).
        let slot = 3 * std::mem::size_of::<R::Out>() as u64;
        for i in 0.. {
            self.ctx.charge(slot)?;
            let path = self.path.child(Seg::Index(i));
            let typed = Typed { ty: elem, ctx: &mut *self.ctx, path: &path };
            match seq.next_element_seed(Read::<R>(typed, PhantomData))? {
                Some(x) => out.push(x),
                None => break,
            }
        }
        self.ctx.last_list_len = Some(out.len());
        Ok(out)
    }

    fn record<'de, A: MapAccess<'de>>(self, record: &Record, mut map: A) -> Result<Value, A::Error> {
        let fields = record.fields();
        if fields.is_empty() {
            // Every `{}` of a document is one shared value (its keys name no field).
            while map.next_key_seed(Key(|_: &str| ()))?.is_some() {
                map.next_value::<Skip>()?;
            }
            return Ok(empty_record());
        }
        self.ctx.charge(fields.len() as u64 * std::mem::size_of::<Value>() as u64)?;
        let mut slots: Vec<Option<Value>> = vec![None; fields.len()];
        while let Some(found) = map.next_key_seed(Key(|k: &str| field_index(record, k)))? {
            let Some(i) = found else {
                map.next_value::<Skip>()?;
                continue;
            };
            let (name, ty) = &fields[i];
            let path = self.path.child(Seg::Field(name));
            slots[i] = Some(map.next_value_seed(Typed { ty, ctx: &mut *self.ctx, path: &path })?);
        }
        for ((name, ty), slot) in fields.iter().zip(&slots) {
            if slot.is_none() && !matches!(ty, Type::Optional(_)) {
                self.ctx.report(self.path, &report::missing_field(name))?;
            }
        }
        Ok(Value::Record(slots.into_iter().map(|slot| slot.unwrap_or(Value::None)).collect()))
    }

    /// `Map<String, V>` written as an object.
    fn object_map<'de, A: MapAccess<'de>>(self, value_ty: &Type, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Entries::with_capacity(capacity(map.size_hint()));
        while let Some(key) = map.next_key_seed(Key(|k: &str| Value::str(k)))? {
            let path = self.path.child(Seg::Key(key.as_str().unwrap_or_default()));
            let value = map.next_value_seed(Typed { ty: value_ty, ctx: &mut *self.ctx, path: &path })?;
            entries.insert(key, value);
        }
        Ok(entries.finish())
    }

    /// Any map written as an array of `[key, value]` pairs.
    fn pairs<'de, A: SeqAccess<'de>>(self, key_ty: &Type, value_ty: &Type, mut seq: A) -> Result<Value, A::Error> {
        let mut entries = Entries::with_capacity(capacity(seq.size_hint()));
        for i in 0.. {
            let path = self.path.child(Seg::Index(i));
            let seed = Pair { key: key_ty, value: value_ty, ctx: &mut *self.ctx, path: &path };
            match seq.next_element_seed(seed)? {
                Some(Some((k, v))) => entries.insert(k, v),
                Some(None) => {}
                None => break,
            }
        }
        Ok(entries.finish())
    }
}

/// The value of `{}`, shared by every empty record read.
fn empty_record() -> Value {
    static EMPTY: std::sync::OnceLock<std::sync::Arc<[Value]>> = std::sync::OnceLock::new();
    Value::Record(EMPTY.get_or_init(|| std::sync::Arc::from([])).clone())
}

/// The position of field `name` in `record`: small records are scanned (comparing lengths
/// first is cheaper than a binary search of string comparisons), larger ones searched.
fn field_index(record: &Record, name: &str) -> Option<usize> {
    let fields = record.fields();
    if fields.len() > 12 {
        return record.index_of(name);
    }
    fields.iter().position(|(n, _)| n.len() == name.len() && **n == *name)
}

/// A number type stored packed in lists, read straight from the parser's number.
trait Packed: Default + Sized {
    fn from_number(n: Scalar<'_>) -> Option<Self>;
}

impl Packed for i64 {
    /// Integral and within the i64 range. A number written with a fraction or exponent (`3.0`,
    /// `1e3`) arrives as the nearest f64, which is exact only below 2^53: from there on it is refused
    /// rather than silently rounded (write large integers without `.` or `e`).
    fn from_number(n: Scalar<'_>) -> Option<i64> {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        match n {
            Scalar::Int(n) => Some(n),
            Scalar::UInt(n) => i64::try_from(n).ok(),
            Scalar::Float(x) if x.fract() == 0.0 && x.abs() < EXACT => Some(x as i64),
            _ => None,
        }
    }
}

impl Packed for f64 {
    fn from_number(n: Scalar<'_>) -> Option<f64> {
        match n {
            Scalar::Int(n) => Some(n as f64),
            Scalar::UInt(n) => Some(n as f64),
            Scalar::Float(x) => Some(x),
            _ => None,
        }
    }
}

impl<'de> Handler<'de> for Typed<'_> {
    type Out = Value;

    fn scalar<E: de::Error>(self, scalar: Scalar<'_>) -> Result<Value, E> {
        let value = match (self.ty, scalar) {
            (Type::String, Scalar::Str(s)) => {
                self.ctx.charge(s.len() as u64)?;
                Some(Value::str(s))
            }
            (Type::Boolean, Scalar::Bool(b)) => Some(Value::Bool(b)),
            (Type::Int, n) => i64::from_number(n).map(Value::Int),
            (Type::Float, n) => f64::from_number(n).map(Value::Float),
            _ => None,
        };
        match value {
            Some(v) => Ok(v),
            None => self.mismatch(Got::of(scalar)),
        }
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        match self.ty {
            Type::List(elem) | Type::Seq(elem) => self.list(elem, seq),
            Type::Map(k, v) => self.pairs(k, v, seq),
            _ => {
                drain_seq(seq)?;
                self.mismatch(Got::Array)
            }
        }
    }

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        match self.ty {
            Type::Record(record) => self.record(record, map),
            Type::Map(k, v) if **k == Type::String => self.object_map(v, map),
            _ => {
                drain_map(map)?;
                self.mismatch(Got::Object)
            }
        }
    }
}

/// How a list stores its elements: as `Value`s, or packed as numbers read without a `Value`.
trait Element {
    type Out;
    fn read<'de, D: Deserializer<'de>>(typed: Typed<'_>, d: D) -> Result<Self::Out, D::Error>;
}

impl Element for Typed<'_> {
    type Out = Value;

    fn read<'de, D: Deserializer<'de>>(typed: Typed<'_>, d: D) -> Result<Value, D::Error> {
        typed.deserialize(d)
    }
}

/// An element of a packed list (`Int` as `i64`, `Float` as `f64`).
struct Number<'a, T>(Typed<'a>, PhantomData<T>);

impl<T: Packed> Element for Number<'_, T> {
    type Out = T;

    fn read<'de, D: Deserializer<'de>>(typed: Typed<'_>, d: D) -> Result<T, D::Error> {
        d.deserialize_any(Any(Number::<T>(typed, PhantomData)))
    }
}

impl<'de, T: Packed> Handler<'de> for Number<'_, T> {
    type Out = T;

    #[inline]
    fn scalar<E: de::Error>(self, scalar: Scalar<'_>) -> Result<T, E> {
        match T::from_number(scalar) {
            Some(x) => Ok(x),
            None => self.0.mismatch(Got::of(scalar)).map(|_| T::default()),
        }
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        self.0.array(seq).map(|_| T::default())
    }

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        self.0.object(map).map(|_| T::default())
    }
}

/// The seed of one element, read by `R`.
struct Read<'a, R>(Typed<'a>, PhantomData<R>);

impl<'de, R: Element> DeserializeSeed<'de> for Read<'_, R> {
    type Value = R::Out;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<R::Out, D::Error> {
        R::read(self.0, d)
    }
}

/// `Optional<T>`: `null` is `None`, anything else a `T`.
struct Optional<'a>(Typed<'a>);

impl<'de> Visitor<'de> for Optional<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null or a value")
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.0.deserialize(d).map(Value::some)
    }
}

/// One `[key, value]` element of a map written as pairs; `None` when it is not a pair.
struct Pair<'a> {
    key: &'a Type,
    value: &'a Type,
    ctx: &'a mut Ctx,
    path: &'a Path<'a>,
}

impl Pair<'_> {
    fn not_a_pair<E: de::Error>(self) -> Result<Option<(Value, Value)>, E> {
        self.ctx.report(self.path, report::NOT_A_PAIR).map(|()| None)
    }
}

impl<'de> DeserializeSeed<'de> for Pair<'_> {
    type Value = Option<(Value, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Any(self))
    }
}

impl<'de> Handler<'de> for Pair<'_> {
    type Out = Option<(Value, Value)>;

    fn scalar<E: de::Error>(self, _: Scalar<'_>) -> Result<Self::Out, E> {
        self.not_a_pair()
    }

    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        let (key_path, value_path) = (self.path.child(Seg::Index(0)), self.path.child(Seg::Index(1)));
        let key = seq.next_element_seed(Typed { ty: self.key, ctx: &mut *self.ctx, path: &key_path })?;
        let value = match key {
            Some(_) => seq.next_element_seed(Typed { ty: self.value, ctx: &mut *self.ctx, path: &value_path })?,
            None => None,
        };
        match (key, value, drain_seq(seq)?) {
            (Some(k), Some(v), 0) => Ok(Some((k, v))),
            _ => self.not_a_pair(),
        }
    }

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Self::Out, A::Error> {
        drain_map(map)?;
        self.not_a_pair()
    }
}
