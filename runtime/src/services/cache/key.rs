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

/// Builds cache keys: a call site's identity, then the argument values in canonical form.
pub(crate) struct KeyBuilder(blake3::Hasher);

impl KeyBuilder {
    /// Starts a key with the identity of a call site.
    pub fn new(site: &CacheKey) -> KeyBuilder {
        let mut h = blake3::Hasher::new();
        h.update(site);
        KeyBuilder(h)
    }

    pub fn value(&mut self, v: &Value) -> &mut Self {
        let h = &mut self.0;
        let tag = |h: &mut blake3::Hasher, t: u8| {
            h.update(&[t]);
        };
        let len = |h: &mut blake3::Hasher, n: usize| {
            h.update(&(n as u64).to_le_bytes());
        };
        match v {
            Value::Int(n) => {
                tag(h, 1);
                h.update(&n.to_le_bytes());
            }
            Value::Float(x) => {
                tag(h, 2);
                let bits = if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() };
                h.update(&bits.to_le_bytes());
            }
            Value::Bool(b) => {
                tag(h, 3);
                h.update(&[u8::from(*b)]);
            }
            Value::Str(s) => {
                tag(h, 4);
                len(h, s.len());
                h.update(s.as_bytes());
            }
            Value::Ints(_) | Value::Floats(_) | Value::List(_) => {
                let items = v.as_list().into_iter().flat_map(|l| l.iter());
                tag(h, 5);
                len(h, v.as_list().map_or(0, |l| l.len()));
                for item in items {
                    self.value(&item);
                }
            }
            Value::Record(fields) => {
                tag(h, 6);
                len(h, fields.len());
                fields.iter().for_each(|f| {
                    self.value(f);
                });
            }
            Value::Map(entries) => {
                tag(h, 7);
                len(h, entries.len());
                for (k, v) in entries.iter() {
                    self.value(k).value(v);
                }
            }
            Value::None => tag(h, 8),
            Value::Some(inner) => {
                tag(h, 9);
                self.value(inner);
            }
            Value::Tagged(t, inner) => {
                tag(h, 10);
                h.update(&t.to_le_bytes());
                self.value(inner);
            }
        }
        self
    }

    pub fn finish(&self) -> CacheKey {
        *self.0.finalize().as_bytes()
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
}
