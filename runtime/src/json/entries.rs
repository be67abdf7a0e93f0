//! Building a `Map` value from input entries.
//!
//! Takes: key/value pairs in document order. Gives: `Value::Map` with unique keys in insertion
//! order; a repeated key keeps its first position and takes the last value (as JSON objects are
//! commonly read). Guarantees: linear time (keys are hashed consistently with
//! `value::equal`, so any key type works, not only strings).

use asterism_registry::Value;
use asterism_registry::value::{self, equal};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

#[derive(Debug, Default)]
pub(crate) struct Entries {
    items: Vec<(Value, Value)>,
    /// Positions by key of the first `index.len()` items, kept up to date once the map outgrows
    /// a linear search.
    index: HashMap<MapKey, usize>,
}

/// Up to this many entries, keys are found by comparing them one by one.
const LINEAR: usize = 8;

impl Entries {
    pub(crate) fn with_capacity(n: usize) -> Entries {
        Entries { items: Vec::with_capacity(n), index: HashMap::new() }
    }

    pub(crate) fn insert(&mut self, key: Value, value: Value) {
        match self.position(&key) {
            Some(at) => self.items[at].1 = value,
            None => self.items.push((key, value)),
        }
    }

    fn position(&mut self, key: &Value) -> Option<usize> {
        if self.items.len() <= LINEAR {
            return self.items.iter().position(|(k, _)| equal(k, key));
        }
        for (i, (k, _)) in self.items.iter().enumerate().skip(self.index.len()) {
            self.index.insert(MapKey(k.clone()), i);
        }
        self.index.get(&MapKey(key.clone())).copied()
    }

    pub(crate) fn finish(self) -> Value {
        Value::Map(self.items.into())
    }
}

/// A map key compared with `value::equal` and hashed consistently with it.
#[derive(Debug)]
struct MapKey(Value);

impl PartialEq for MapKey {
    fn eq(&self, other: &MapKey) -> bool {
        equal(&self.0, &other.0)
    }
}

impl Eq for MapKey {}

impl Hash for MapKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        value::hash(&self.0, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_their_place_and_take_the_last_value() {
        let mut e = Entries::default();
        e.insert(Value::str("a"), Value::Int(1));
        e.insert(Value::str("b"), Value::Int(2));
        e.insert(Value::str("a"), Value::Int(3));
        let Value::Map(items) = e.finish() else { panic!("not a map") };
        let shown: Vec<_> = items.iter().map(|(k, v)| (k.as_str().unwrap().to_owned(), v.as_i64().unwrap())).collect();
        assert_eq!(shown, [("a".to_owned(), 3), ("b".to_owned(), 2)]);
    }

    #[test]
    fn large_maps_find_repeated_keys_through_the_index() {
        let mut e = Entries::default();
        for round in 0..2 {
            for i in 0..100 {
                e.insert(Value::Int(i), Value::Int(i * 10 + round));
            }
        }
        let Value::Map(items) = e.finish() else { panic!("not a map") };
        assert_eq!(items.len(), 100);
        assert!(
            items
                .iter()
                .enumerate()
                .all(|(i, (k, v))| k.as_i64() == Some(i as i64) && v.as_i64() == Some(i as i64 * 10 + 1))
        );
    }

    #[test]
    fn equal_keys_hash_alike() {
        let hash = |v: &Value| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            value::hash(v, &mut h);
            h.finish()
        };
        assert_eq!(hash(&Value::Float(0.0)), hash(&Value::Float(-0.0)));
        assert_eq!(hash(&Value::Ints([1, 2].into())), hash(&Value::List([Value::Int(1), Value::Int(2)].into())));
        let m1 = Value::Map([(Value::str("a"), Value::Int(1)), (Value::str("b"), Value::Int(2))].into());
        let m2 = Value::Map([(Value::str("b"), Value::Int(2)), (Value::str("a"), Value::Int(1))].into());
        assert_eq!(hash(&m1), hash(&m2));
    }
}
