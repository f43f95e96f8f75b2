//! Building a mapping the way `SafeConstructor` does: merge keys
//! (`flatten_mapping`) first, then dict insertion where a later key
//! replaces the value of an equal earlier one but keeps its place.

use super::key_order::{hash_key, HashKey};
use super::value::{Map, Value};
use saphyr_parser::Marker;
use std::collections::HashMap;

/// What a mapping key turned out to be.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// An ordinary value.
    Value(Value),
    /// A `<<` key (`tag:yaml.org,2002:merge`).
    Merge,
    /// A `=` key (`tag:yaml.org,2002:value`), which becomes the string `=`.
    Equals,
}

/// One key-value pair as written, before merging.
pub(crate) struct Entry {
    pub key: Node,
    pub value: Value,
    /// Where the value starts, for merge errors.
    pub value_start: Marker,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Seq(_) => "sequence",
        Value::Map(_) => "mapping",
        _ => "scalar",
    }
}

/// Merged entries first (for `<<: [a, b]`, `b`'s before `a`'s so that `a`
/// wins), then the mapping's own, each later key overriding an earlier one.
pub(crate) fn build_map(entries: Vec<Entry>) -> Result<Map, (Marker, String)> {
    let mut merged: Vec<(Value, Value)> = Vec::new();
    let mut own: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry.key {
            Node::Value(key) => own.push((key, entry.value)),
            Node::Equals => own.push((Value::from("="), entry.value)),
            Node::Merge => match entry.value {
                Value::Map(m) => merged.extend(m),
                Value::Seq(items) => {
                    let mut maps = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Value::Map(m) => maps.push(m),
                            other => {
                                return Err((
                                    entry.value_start,
                                    format!(
                                        "while constructing a mapping, expected a mapping for \
                                         merging, but found {}",
                                        kind(&other)
                                    ),
                                ))
                            }
                        }
                    }
                    for m in maps.into_iter().rev() {
                        merged.extend(m);
                    }
                }
                other => {
                    return Err((
                        entry.value_start,
                        format!(
                            "while constructing a mapping, expected a mapping or list of \
                             mappings for merging, but found {}",
                            kind(&other)
                        ),
                    ))
                }
            },
        }
    }
    let mut builder = MapBuilder::default();
    for (key, value) in merged.into_iter().chain(own) {
        builder.insert(key, value);
    }
    Ok(builder.map)
}

/// Builds a [`Map`] with Python dict semantics in linear time: keys are
/// indexed by their [`HashKey`].
#[derive(Default)]
struct MapBuilder {
    map: Map,
    index: HashMap<HashKey, usize>,
}

impl MapBuilder {
    fn insert(&mut self, key: Value, value: Value) {
        // Collection keys are refused on arrival, so every key hashes.
        let Some(hashed) = hash_key(&key) else {
            self.map.insert(key, value);
            return;
        };
        if let Some(slot) = self
            .index
            .get(&hashed)
            .and_then(|&i| self.map.value_at_mut(i))
        {
            *slot = value;
            return;
        }
        self.index.insert(hashed, self.map.len());
        self.map.push_unchecked(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, i64)]) -> Value {
        Value::Map(pairs.iter().map(|&(k, v)| (k, Value::Int(v))).collect())
    }

    fn entry(key: Node, value: Value) -> Entry {
        Entry {
            key,
            value,
            value_start: Marker::new(0, 1, 0),
        }
    }

    #[test]
    fn merges_like_pyyaml() {
        let built = build_map(vec![
            entry(Node::Value(Value::from("y")), Value::Int(9)),
            entry(
                Node::Merge,
                Value::Seq(vec![map(&[("x", 1), ("y", 2)]), map(&[("y", 3), ("z", 4)])]),
            ),
        ]);
        let keys_values: Option<Vec<(String, i64)>> = built.ok().map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_i64()?)))
                .collect()
        });
        // The later map's entries come first (y, z), then the earlier one's
        // (x, and y again, which wins over the later map); the own y wins over all.
        assert_eq!(
            keys_values,
            Some(vec![("y".into(), 9), ("z".into(), 4), ("x".into(), 1)])
        );
    }

    #[test]
    fn refuses_bad_merges() {
        assert!(build_map(vec![entry(Node::Merge, Value::Int(1))]).is_err());
        assert!(build_map(vec![entry(Node::Merge, Value::Seq(vec![Value::Null]))]).is_err());
    }

    #[test]
    fn equal_keys_keep_first_place_and_last_value() {
        let built = build_map(vec![
            entry(Node::Value(Value::Int(1)), Value::from("a")),
            entry(Node::Equals, Value::from("eq")),
            entry(Node::Value(Value::Bool(true)), Value::from("b")),
        ]);
        let expected: Map = [
            (Value::Int(1), Value::from("b")),
            (Value::from("="), Value::from("eq")),
        ]
        .into_iter()
        .collect();
        assert_eq!(built.ok(), Some(expected));
    }
}
