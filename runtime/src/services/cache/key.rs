//! Cache keys: a call site's identity, then its argument values in a canonical form.
//!
//! Takes: the call site's hash (`Policy::prepare`: key format, function, fingerprint with the
//! module's version, backend name, instantiated types, lambda) and the values an execution reads.
//! Gives: a 32-byte blake3 key. Guarantees: equal values give equal keys whatever their
//! representation (packed or boxed lists, NaN's sign), different values different keys (every
//! value is tagged and every sequence carries its length); a change of this encoding changes
//! `KEY_FORMAT`, so persistent caches never answer with entries written under another one.

use super::CacheKey;
use asterism_registry::value::Value;

/// Starts every call site's identity: bump it when the canonical encoding below changes.
pub(crate) const KEY_FORMAT: &[u8] = b"asterism-cache-key 1\0";

/// Builds cache keys: a call site's identity, then the argument values in canonical form. The
/// bytes are gathered and hashed at once (a small key costs one short hash, not a hasher's
/// state); past `SPILL` bytes they go through a streaming hasher. Either way the key is blake3
/// of the same bytes.
pub(crate) struct KeyBuilder {
    bytes: Vec<u8>,
    spilled: Option<Box<blake3::Hasher>>,
}

/// The most bytes gathered before they are streamed into a hasher.
const SPILL: usize = 64 << 10;

impl KeyBuilder {
    /// Starts a key with the identity of a call site.
    pub fn new(site: &CacheKey) -> KeyBuilder {
        let mut bytes = Vec::with_capacity(128);
        bytes.extend_from_slice(site);
        KeyBuilder { bytes, spilled: None }
    }

    fn put(&mut self, b: &[u8]) {
        if self.bytes.len() + b.len() > SPILL {
            let hasher = self.spilled.get_or_insert_with(|| Box::new(blake3::Hasher::new()));
            hasher.update(&self.bytes);
            self.bytes.clear();
            if b.len() > SPILL {
                hasher.update(b);
                return;
            }
        }
        self.bytes.extend_from_slice(b);
    }

    fn tag(&mut self, t: u8) {
        self.put(&[t]);
    }

    fn len(&mut self, n: usize) {
        self.put(&(n as u64).to_le_bytes());
    }

    pub fn value(&mut self, v: &Value) -> &mut Self {
        match v {
            Value::Int(n) => {
                self.tag(1);
                self.put(&n.to_le_bytes());
            }
            Value::Float(x) => {
                self.tag(2);
                let bits = if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() };
                self.put(&bits.to_le_bytes());
            }
            Value::Bool(b) => {
                self.tag(3);
                self.put(&[u8::from(*b)]);
            }
            Value::Str(s) => {
                self.tag(4);
                self.len(s.len());
                self.put(s.as_bytes());
            }
            Value::Ints(_) | Value::Floats(_) | Value::List(_) => {
                let items = v.as_list();
                self.tag(5);
                self.len(items.map_or(0, |l| l.len()));
                for item in items.into_iter().flat_map(|l| l.iter()) {
                    self.value(&item);
                }
            }
            Value::Record(fields) => {
                self.tag(6);
                self.len(fields.len());
                fields.iter().for_each(|f| {
                    self.value(f);
                });
            }
            Value::Map(entries) => {
                self.tag(7);
                self.len(entries.len());
                for (k, v) in entries.iter() {
                    self.value(k).value(v);
                }
            }
            Value::None => self.tag(8),
            Value::Some(inner) => {
                self.tag(9);
                self.value(inner);
            }
            Value::Tagged(t, inner) => {
                self.tag(10);
                self.put(&t.to_le_bytes());
                self.value(inner);
            }
        }
        self
    }

    pub fn finish(&self) -> CacheKey {
        match &self.spilled {
            None => *blake3::hash(&self.bytes).as_bytes(),
            Some(hasher) => {
                let mut hasher = (**hasher).clone();
                hasher.update(&self.bytes);
                *hasher.finalize().as_bytes()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn key(values: &[Value]) -> CacheKey {
        let mut k = KeyBuilder::new(&[0; 32]);
        values.iter().for_each(|v| {
            k.value(v);
        });
        k.finish()
    }

    #[test]
    fn keys_are_canonical_and_tell_values_apart() {
        let packed = Value::Ints(Arc::from([1, 2]));
        let boxed = Value::List(Arc::from([Value::Int(1), Value::Int(2)]));
        assert_eq!(key(std::slice::from_ref(&packed)), key(&[boxed]));
        assert_ne!(key(&[packed]), key(&[Value::Ints(Arc::from([2, 1]))]));
        assert_ne!(key(&[Value::str("ab"), Value::str("c")]), key(&[Value::str("a"), Value::str("bc")]));
        assert_ne!(key(&[Value::Float(0.0)]), key(&[Value::Float(-0.0)]));
        assert_eq!(key(&[Value::Float(f64::NAN)]), key(&[Value::Float(-f64::NAN)]));
        assert_ne!(key(&[Value::Int(1)]), key(&[Value::Float(1.0)]));
    }

    #[test]
    fn a_key_is_blake3_of_the_canonical_bytes_however_long() {
        let long = Value::str("x".repeat(3 * SPILL));
        let mut stream = blake3::Hasher::new();
        stream.update(&[0; 32]).update(&[4]).update(&((3 * SPILL) as u64).to_le_bytes());
        stream.update("x".repeat(3 * SPILL).as_bytes()).update(&[1]).update(&7i64.to_le_bytes());
        assert_eq!(key(&[long, Value::Int(7)]), *stream.finalize().as_bytes());
        let mut short = blake3::Hasher::new();
        short.update(&[0; 32]).update(&[3, 1]);
        assert_eq!(key(&[Value::Bool(true)]), *short.finalize().as_bytes());
    }
}
