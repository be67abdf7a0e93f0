//! The encoding of cached values on disk and in Redis.
//!
//! Takes: a value, its cache key and when it expires. Gives: bytes — `MAGIC`, the format byte,
//! the expiry (Unix milliseconds, so processes and machines agree on it), a checksum of key,
//! expiry and payload, then the payload: one tag byte per value, integers as zigzag LEB128,
//! floats as 8 bytes, lengths as LEB128 — and back. Guarantees: `decode` never panics and gives
//! a value only for bytes `encode` made for that same key: a wrong magic or format, a bad
//! checksum (a flipped bit, a truncated entry, a sound entry under another key), a length past
//! the end, nesting deeper than `MAX_DEPTH`, bad UTF-8 or bytes left over are `None`, as is an
//! expired entry. The checksum guards against accidents, not against a writer who can forge.

use asterism_registry::value::Value;
use std::sync::Arc;
use std::time::Duration;

/// The first bytes of an entry.
const MAGIC: &[u8; 3] = b"AVC";
/// The layout of the payload; a new layout gets a new number (old entries are then misses).
const FORMAT: u8 = 1;
/// Magic, format, expiry, checksum.
const HEADER: usize = 3 + 1 + 8 + 16;
/// Values nested deeper are not stored (and not read).
pub const MAX_DEPTH: usize = 256;

const NONE: u8 = 0;
const SOME: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const FALSE: u8 = 4;
const TRUE: u8 = 5;
const STR: u8 = 6;
const INTS: u8 = 7;
const FLOATS: u8 = 8;
const LIST: u8 = 9;
const RECORD: u8 = 10;
const MAP: u8 = 11;
const TAGGED: u8 = 12;

/// The bytes of `value` stored under `key` until `expires` (Unix ms); `None` when it is nested
/// too deep to store.
pub fn encode(key: &[u8; 32], value: &Value, expires: u64) -> Option<Vec<u8>> {
    let mut out = header(expires, 64);
    write(&mut out, value, 0)?;
    Some(sealed(key, out))
}

/// An entry of `payload` under `key` until `expires`, whatever the payload holds: `encode` gives
/// a value's, fuzzing any bytes, framed soundly so that the payload's reader is what is tried.
pub fn seal(key: &[u8; 32], expires: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = header(expires, payload.len());
    out.extend_from_slice(payload);
    sealed(key, out)
}

/// Magic, format and expiry, the checksum left blank, room for `payload` bytes.
fn header(expires: u64, payload: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.extend_from_slice(&expires.to_le_bytes());
    out.extend_from_slice(&[0; 16]);
    out
}

/// `out` (a header and a payload) with its checksum filled in.
fn sealed(key: &[u8; 32], mut out: Vec<u8>) -> Vec<u8> {
    let sum = checksum(key, &out[4..12], &out[HEADER..]);
    out[12..HEADER].copy_from_slice(&sum);
    out
}

/// The value in `bytes` if they are a sound entry for `key` that is still alive at `now` (Unix
/// ms), with how long it has left.
pub fn decode(key: &[u8; 32], bytes: &[u8], now: u64) -> Option<(Value, Duration)> {
    let (header, payload) = bytes.split_at_checked(HEADER)?;
    if &header[..3] != MAGIC || header[3] != FORMAT {
        return None;
    }
    let expires = u64::from_le_bytes(header[4..12].try_into().ok()?);
    if expires <= now || header[12..] != checksum(key, &header[4..12], payload) {
        return None;
    }
    let mut reader = Reader { bytes: payload };
    let value = reader.value(0)?;
    reader.bytes.is_empty().then(|| (value, Duration::from_millis(expires - now)))
}

fn checksum(key: &[u8; 32], expiry: &[u8], payload: &[u8]) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(key).update(expiry).update(payload);
    let mut sum = [0; 16];
    sum.copy_from_slice(&h.finalize().as_bytes()[..16]);
    sum
}

fn write(out: &mut Vec<u8>, v: &Value, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        Value::None => out.push(NONE),
        Value::Some(inner) => {
            out.push(SOME);
            write(out, inner, depth + 1)?;
        }
        Value::Int(n) => {
            out.push(INT);
            leb(out, zigzag(*n));
        }
        Value::Float(x) => {
            out.push(FLOAT);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
        Value::Str(s) => {
            out.push(STR);
            leb(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Ints(ns) => {
            out.push(INTS);
            leb(out, ns.len() as u64);
            ns.iter().for_each(|n| leb(out, zigzag(*n)));
        }
        Value::Floats(xs) => {
            out.push(FLOATS);
            leb(out, xs.len() as u64);
            xs.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        Value::List(items) | Value::Record(items) => {
            out.push(if matches!(v, Value::List(_)) { LIST } else { RECORD });
            leb(out, items.len() as u64);
            for item in items.iter() {
                write(out, item, depth + 1)?;
            }
        }
        Value::Map(entries) => {
            out.push(MAP);
            leb(out, entries.len() as u64);
            for (k, v) in entries.iter() {
                write(out, k, depth + 1)?;
                write(out, v, depth + 1)?;
            }
        }
        Value::Tagged(tag, inner) => {
            out.push(TAGGED);
            leb(out, u64::from(*tag));
            write(out, inner, depth + 1)?;
        }
    }
    Some(())
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn leb(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.bytes.split_at_checked(n)?;
        self.bytes = rest;
        Some(head)
    }

    fn leb(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count of items of at least `each` bytes: never more than the bytes left allow.
    fn count(&mut self, each: usize) -> Option<usize> {
        let n = usize::try_from(self.leb()?).ok()?;
        (n.checked_mul(each)? <= self.bytes.len()).then_some(n)
    }

    fn float(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match self.byte()? {
            NONE => Value::None,
            SOME => Value::some(self.value(depth + 1)?),
            INT => Value::Int(unzigzag(self.leb()?)),
            FLOAT => Value::Float(self.float()?),
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            STR => {
                let n = self.count(1)?;
                Value::Str(Arc::from(std::str::from_utf8(self.take(n)?).ok()?))
            }
            INTS => {
                let n = self.count(1)?;
                Value::Ints((0..n).map(|_| self.leb().map(unzigzag)).collect::<Option<Arc<[i64]>>>()?)
            }
            FLOATS => {
                let n = self.count(8)?;
                Value::Floats((0..n).map(|_| self.float()).collect::<Option<Arc<[f64]>>>()?)
            }
            tag @ (LIST | RECORD) => {
                let n = self.count(1)?;
                let items = (0..n).map(|_| self.value(depth + 1)).collect::<Option<Arc<[Value]>>>()?;
                if tag == LIST { Value::List(items) } else { Value::Record(items) }
            }
            MAP => {
                let n = self.count(2)?;
                let entries = (0..n)
                    .map(|_| Some((self.value(depth + 1)?, self.value(depth + 1)?)))
                    .collect::<Option<Arc<[(Value, Value)]>>>()?;
                Value::Map(entries)
            }
            TAGGED => {
                let tag = u32::try_from(self.leb()?).ok()?;
                Value::Tagged(tag, Arc::new(self.value(depth + 1)?))
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: [u8; 32] = [7; 32];
    const LATER: u64 = 2_000_000_000_000;

    fn same(a: &Value, b: &Value) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::None),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_filter("NaN never equals itself", |x| !x.is_nan()).prop_map(Value::Float),
            any::<bool>().prop_map(Value::Bool),
            ".{0,12}".prop_map(Value::str),
            proptest::collection::vec(any::<i64>(), 0..6).prop_map(|v| Value::Ints(v.into())),
            proptest::collection::vec(-1e9f64..1e9, 0..6).prop_map(|v| Value::Floats(v.into())),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| Value::List(v.into())),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| Value::Record(v.into())),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..3).prop_map(|v| Value::Map(v.into())),
                inner.clone().prop_map(Value::some),
                (any::<u32>(), inner).prop_map(|(t, v)| Value::Tagged(t, Arc::new(v))),
            ]
        })
    }

    proptest! {
        #[test]
        fn every_value_reads_back_as_written(v in value()) {
            let bytes = encode(&KEY, &v, LATER).unwrap();
            let (back, left) = decode(&KEY, &bytes, LATER - 5).unwrap();
            prop_assert!(same(&v, &back), "{v:?} came back as {back:?}");
            prop_assert_eq!(left, Duration::from_millis(5));
        }

        #[test]
        fn damaged_bytes_are_never_a_value(v in value(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
            let mut bytes = encode(&KEY, &v, LATER).unwrap();
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
            prop_assert!(decode(&KEY, &bytes, 0).is_none());
            prop_assert!(decode(&KEY, &bytes[..i], 0).is_none(), "cut at {}", i);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&KEY, &bytes, 0);
            let _ = decode(&KEY, &seal(&KEY, LATER, &bytes), 0);
        }
    }

    #[test]
    fn another_key_an_expired_entry_and_too_deep_a_value_are_misses() {
        let bytes = encode(&KEY, &Value::Int(1), 1_000).unwrap();
        assert!(decode(&[8; 32], &bytes, 0).is_none(), "another key");
        assert!(decode(&KEY, &bytes, 1_000).is_none(), "expired");
        let deep = (0..=MAX_DEPTH).fold(Value::Int(0), |v, _| Value::List(Arc::from([v])));
        assert!(encode(&KEY, &deep, LATER).is_none());
    }
}
