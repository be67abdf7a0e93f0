//! The inputs document's own reader: a serde `Deserializer` straight over the document's bytes,
//! made for what run inputs hold most (long arrays of numbers, short strings).
//!
//! Takes: the bytes of a JSON document and a seed. Gives: the seed's value, or `Refused`.
//! Guarantees: it accepts only documents serde_json accepts, and hands every value to the seed as
//! serde_json (with `float_roundtrip`) does: integers written without `.` or exponent as `u64`
//! when non-negative and `i64` when negative, `-0` and every other number as the nearest `f64`,
//! strings borrowed from the document when they hold no escape. It refuses — and the caller then
//! leaves the document to serde_json, which decides and explains — whatever is malformed, nests
//! deeper than `MAX_DEPTH`, holds a number beyond `f64` or a string serde_json would refuse; and any document whose seed raises an error. Recursion is
//! bounded by `MAX_DEPTH`.

use super::input::MAX_DEPTH;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use std::fmt;

mod number;
mod string;

use number::Number;
use string::Text;

/// The reader gave up on the document: serde_json reads it instead.
#[derive(Debug)]
pub(super) struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to the reference reader")
    }
}

impl std::error::Error for Refused {}

impl de::Error for Refused {
    fn custom<T: fmt::Display>(_: T) -> Refused {
        Refused
    }
}

/// Reads the whole of `doc` (a value and nothing but whitespace after it) with `seed`.
pub(super) fn read<'de, S: DeserializeSeed<'de>>(doc: &'de [u8], seed: S) -> Result<S::Value, Refused> {
    let mut reader = Reader { doc, at: 0, depth: 0, scratch: Vec::new() };
    let value = seed.deserialize(&mut reader)?;
    match reader.peek() {
        None => Ok(value),
        Some(_) => Err(Refused),
    }
}

/// The document, the position of the next unread byte, how many arrays and objects are open, and
/// the buffer of strings with escapes.
struct Reader<'de> {
    doc: &'de [u8],
    at: usize,
    depth: usize,
    scratch: Vec<u8>,
}

impl<'de> Reader<'de> {
    /// The next byte that is not JSON whitespace, left unread.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.doc.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Reads `word` (`null`, `true`, `false`); what follows it is checked by the reader of what
    /// follows.
    fn word(&mut self, word: &[u8]) -> Result<(), Refused> {
        let end = self.at + word.len();
        if self.doc.get(self.at..end) != Some(word) {
            return Err(Refused);
        }
        self.at = end;
        Ok(())
    }

    /// Reads the rest of an array or object opened at `at`, with `visit`, then its `close`.
    fn nested<T>(&mut self, close: u8, visit: impl FnOnce(&mut Self) -> Result<T, Refused>) -> Result<T, Refused> {
        if self.depth == MAX_DEPTH {
            return Err(Refused);
        }
        self.depth += 1;
        self.at += 1;
        let value = visit(self)?;
        if self.peek() != Some(close) {
            return Err(Refused);
        }
        self.at += 1;
        self.depth -= 1;
        Ok(value)
    }

    /// Before each element or entry: `None` at the `close`, else past the `,` that separates it
    /// from the one before.
    #[inline]
    fn next_item(&mut self, close: u8, first: &mut bool) -> Result<Option<()>, Refused> {
        match self.peek() {
            Some(b) if b == close => return Ok(None),
            Some(b',') if !*first => self.at += 1,
            Some(_) if *first => {}
            _ => return Err(Refused),
        }
        *first = false;
        Ok(Some(()))
    }
}

impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = Refused;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.peek().ok_or(Refused)? {
            b'-' | b'0'..=b'9' => match number::read(self.doc, &mut self.at)? {
                Number::UInt(n) => visitor.visit_u64(n),
                Number::Int(n) => visitor.visit_i64(n),
                Number::Float(x) => visitor.visit_f64(x),
            },
            b'"' => {
                self.at += 1;
                match string::read(self.doc, &mut self.at, &mut self.scratch)? {
                    Text::Borrowed(s) => visitor.visit_borrowed_str(s),
                    Text::Scratch(s) => visitor.visit_str(s),
                }
            }
            b'[' => self.nested(b']', |r| visitor.visit_seq(Seq { reader: r, first: true })),
            b'{' => self.nested(b'}', |r| visitor.visit_map(Map { reader: r, first: true })),
            b'n' => self.word(b"null").and_then(|()| visitor.visit_unit()),
            b't' => self.word(b"true").and_then(|()| visitor.visit_bool(true)),
            b'f' => self.word(b"false").and_then(|()| visitor.visit_bool(false)),
            _ => Err(Refused),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.peek() {
            Some(b'n') => self.word(b"null").and_then(|()| visitor.visit_none()),
            _ => visitor.visit_some(self),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// The elements of an array.
struct Seq<'r, 'de> {
    reader: &'r mut Reader<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Seq<'_, 'de> {
    type Error = Refused;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Refused> {
        match self.reader.next_item(b']', &mut self.first)? {
            Some(()) => seed.deserialize(&mut *self.reader).map(Some),
            None => Ok(None),
        }
    }
}

/// The entries of an object.
struct Map<'r, 'de> {
    reader: &'r mut Reader<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Map<'_, 'de> {
    type Error = Refused;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Refused> {
        match self.reader.next_item(b'}', &mut self.first)? {
            Some(()) if self.reader.peek() == Some(b'"') => seed.deserialize(&mut *self.reader).map(Some),
            Some(()) => Err(Refused),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Refused> {
        if self.reader.peek() != Some(b':') {
            return Err(Refused);
        }
        self.reader.at += 1;
        seed.deserialize(&mut *self.reader)
    }
}

#[cfg(test)]
mod tests;
