//! The data model: what a PyYAML `SafeLoader` can produce, as a Rust tree.
//!
//! [`Value`] mirrors the Python objects PyYAML builds (`None`, `bool`, `int`,
//! `float`, `str`, `datetime.date`/`datetime.datetime`, `list`, `dict`) and
//! [`Map`] mirrors a Python `dict`: insertion-ordered, with Python's notion of
//! key equality (`1`, `1.0` and `true` are the same key).

use super::key_order;

/// One YAML node, as PyYAML's `SafeLoader` would construct it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, `Null`, `NULL` or an empty value (Python `None`).
    Null,
    /// `true`/`false` and YAML 1.1's `yes`/`no`/`on`/`off` in their three spellings.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// An integer outside the `i64` range, as canonical decimal text
    /// (`-` sign if negative, no leading zeros), emitted back unchanged.
    BigInt(String),
    /// A float; `.inf`, `-.inf` and `.nan` included.
    Float(f64),
    /// A string.
    Str(String),
    /// A date or date-time, kept as the text it was written as (for example
    /// `2024-01-05` or `2024-01-05 10:00:00`). The emitter writes it the way
    /// PyYAML writes the `datetime.date`/`datetime.datetime` it would have
    /// loaded (`2001-12-14t21:59:43.10-05:00` becomes
    /// `2001-12-14 21:59:43.100000-05:00`). Text that is not a valid PyYAML
    /// timestamp is emitted as a string.
    Timestamp(String),
    /// A sequence (Python `list`).
    Seq(Vec<Value>),
    /// A mapping (Python `dict`).
    Map(Map),
}

impl Value {
    /// The string, if this is a [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, if this is a [`Value::Map`].
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably, if this is a [`Value::Map`].
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a [`Value::Seq`].
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The items, mutably, if this is a [`Value::Seq`].
    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The integer, if this is a [`Value::Int`]. Booleans are not integers
    /// here, although Python's `bool` is an `int` subclass.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, if this is a [`Value::Float`] or [`Value::Int`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            // Precision loss above 2^53 is what Python's float(int) does too.
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The boolean, if this is a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// What kind of value this is, with an article, for error messages:
    /// `"null"`, `"a boolean"`, `"an integer"`, `"a float"`, `"a string"`,
    /// `"a timestamp"`, `"a sequence"` or `"a mapping"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::BigInt(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Timestamp(_) => "a timestamp",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Default for Value {
    /// [`Value::Null`], what an empty document loads as.
    fn default() -> Self {
        Value::Null
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::Seq(items)
    }
}

/// A mapping that keeps its keys in insertion order, like a Python `dict`.
///
/// Keys are compared the way Python compares dict keys: numbers by numeric
/// value (`1`, `1.0` and `true` are one key), strings by content, timestamps
/// by the instant they denote. Look-ups and [`Map::insert`] scan the entries,
/// which suits configuration files; [`parse()`](super::parse()) indexes keys
/// itself, so loading a large mapping stays linear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map(Vec<(Value, Value)>);

impl Map {
    /// An empty mapping.
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value under the string key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.0[i].1)
    }

    /// The value under the string key `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).map(|i| &mut self.0[i].1)
    }

    /// The value under any key, compared with Python's dict-key equality.
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        self.position_value(key).map(|i| &self.0[i].1)
    }

    /// Whether the string key `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`. An existing equal key keeps its place (and its
    /// original spelling, as in Python) and its old value is returned;
    /// otherwise the entry is appended.
    pub fn insert(&mut self, key: impl Into<Value>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.position_value(&key) {
            Some(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Removes the string key `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).map(|i| self.0.remove(i).1)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Value, &mut Value)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    /// Appends without looking for an equal key, where [`Map::insert`]
    /// would scan every entry: for callers that know the key is new (the
    /// loader, which indexes keys itself; a map built from distinct
    /// usernames). A repeated key would be written twice by [`emit`](crate::emit).
    pub fn push_unchecked(&mut self, key: Value, value: Value) {
        self.0.push((key, value));
    }

    /// The value slot at `index`, for the loader's own key index.
    pub(crate) fn value_at_mut(&mut self, index: usize) -> Option<&mut Value> {
        self.0.get_mut(index).map(|(_, v)| v)
    }

    /// The entries as a slice.
    pub(crate) fn entries(&self) -> &[(Value, Value)] {
        &self.0
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.0.iter().position(|(k, _)| k.as_str() == Some(key))
    }

    fn position_value(&self, key: &Value) -> Option<usize> {
        self.0.iter().position(|(k, _)| key_order::key_eq(k, key))
    }
}

impl IntoIterator for Map {
    type Item = (Value, Value);
    type IntoIter = std::vec::IntoIter<(Value, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Into<Value>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut map = Map::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_in_place_and_keeps_first_key() {
        let mut m = Map::new();
        assert_eq!(m.insert(1, Value::from("a")), None);
        m.insert("b", Value::from(2));
        assert_eq!(m.insert(true, Value::from("c")), Some(Value::from("a")));
        let keys: Vec<_> = m.keys().cloned().collect();
        assert_eq!(keys, vec![Value::Int(1), Value::from("b")]);
        assert_eq!(m.get_value(&Value::Float(1.0)), Some(&Value::from("c")));
    }

    #[test]
    fn remove_keeps_order() {
        let mut m: Map = [("a", Value::Null), ("b", Value::Null), ("c", Value::Null)]
            .into_iter()
            .collect();
        assert_eq!(m.remove("b"), Some(Value::Null));
        assert_eq!(m.remove("b"), None);
        let keys: Vec<_> = m.keys().filter_map(Value::as_str).collect();
        assert_eq!(keys, ["a", "c"]);
    }

    #[test]
    fn accessors() {
        let mut v = Value::Map(Map::new());
        assert!(v.as_map().is_some());
        if let Some(m) = v.as_map_mut() {
            m.insert("x", Value::Seq(vec![Value::Int(3)]));
        }
        assert_eq!(
            v.as_map()
                .and_then(|m| m.get("x"))
                .and_then(|x| x.as_seq())
                .map(<[Value]>::len),
            Some(1)
        );
        assert_eq!(Value::Null.type_name(), "null");
        assert_eq!(Value::from("s").type_name(), "a string");
        assert!(Value::Null.is_null());
        assert_eq!(Value::Bool(true).as_i64(), None);
    }
}
