//! YAML values as JSON text, losslessly, for the `json` columns of the SQL
//! stores (`users.roles`, `users.extra`, `settings.value`).
//!
//! Whatever JSON can say directly is written as plain JSON, so the columns
//! stay readable and queryable (`extra->>'department'`): null, booleans,
//! integers, finite floats (always with a fraction or exponent, so `1.0` stays
//! a float), strings, lists, and mappings whose keys are all strings. Key
//! order is kept on both sides. Anything else — an integer beyond `i64`, a
//! timestamp, an infinite or NaN float, a mapping with a non-string key — is
//! written as `{"$yaml": "<that value as YAML>"}` and read back through the
//! YAML parser. A mapping that is itself exactly `{"$yaml": …}` is escaped
//! the same way, so reading is never ambiguous.

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::yaml::{self, Map, Value};

/// The key that marks a value written as YAML text.
const YAML_KEY: &str = "$yaml";

/// `value` as JSON text.
pub(crate) fn to_json(value: &Value) -> Result<String> {
    serde_json::to_string(&AsJson(value))
        .map_err(|e| Error::InvalidInput(format!("cannot store value as JSON: {e}")))
}

/// The value that [`to_json`] wrote.
pub(crate) fn from_json(text: &str) -> Result<Value> {
    let FromJson(value) = serde_json::from_str(text).map_err(|e| {
        super::corrupt(format!(
            "a stored JSON value does not parse (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    value
        .map_err(|message| super::corrupt(format!("a stored YAML value does not parse: {message}")))
}

/// Whether `value` needs the `$yaml` escape.
fn needs_yaml(value: &Value) -> bool {
    match value {
        Value::BigInt(_) | Value::Timestamp(_) => true,
        Value::Float(f) => !f.is_finite(),
        Value::Map(map) => {
            map.keys().any(|k| k.as_str().is_none())
                || (map.len() == 1 && map.get(YAML_KEY).is_some())
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Str(_) | Value::Seq(_) => false,
    }
}

struct AsJson<'a>(&'a Value);

impl Serialize for AsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let value = self.0;
        if needs_yaml(value) {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(YAML_KEY, &yaml::emit(value))?;
            return map.end();
        }
        match value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(text) => s.serialize_str(text),
            Value::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&AsJson(item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries.iter() {
                    // needs_yaml() guarantees string keys here.
                    map.serialize_entry(k.as_str().unwrap_or_default(), &AsJson(v))?;
                }
                map.end()
            }
            // Handled by the escape above.
            Value::BigInt(_) | Value::Timestamp(_) => s.serialize_unit(),
        }
    }
}

/// A decoded value, or why an escaped YAML value did not parse. Kept apart
/// from serde's error so that the message names the real problem.
struct FromJson(std::result::Result<Value, String>);

impl<'de> Deserialize<'de> for FromJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(FromJson)
    }
}

struct ValueVisitor;

type Decoded = std::result::Result<Value, String>;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Decoded, E> {
        Ok(Ok(Value::Null))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<Decoded, E> {
        Ok(Ok(Value::Bool(b)))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> std::result::Result<Decoded, E> {
        Ok(Ok(Value::Int(i)))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> std::result::Result<Decoded, E> {
        Ok(Ok(
            i64::try_from(u).map_or_else(|_| Value::BigInt(u.to_string()), Value::Int)
        ))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> std::result::Result<Decoded, E> {
        Ok(Ok(Value::Float(f)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Decoded, E> {
        Ok(Ok(Value::Str(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> std::result::Result<Decoded, E> {
        Ok(Ok(Value::Str(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Decoded, A::Error> {
        let mut items = Vec::new();
        while let Some(FromJson(item)) = seq.next_element()? {
            match item {
                Ok(v) => items.push(v),
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(Value::Seq(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> std::result::Result<Decoded, A::Error> {
        let mut map = Map::new();
        let mut failed = None;
        while let Some((key, FromJson(value))) = access.next_entry::<String, FromJson>()? {
            match value {
                Ok(v) => {
                    map.insert(key, v);
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        if let Some(e) = failed {
            return Ok(Err(e));
        }
        if map.len() == 1 {
            if let Some(Value::Str(text)) = map.get(YAML_KEY) {
                return Ok(yaml::parse(text, Path::new("<database>")).map_err(|e| e.to_string()));
            }
        }
        Ok(Ok(Value::Map(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &Value) -> Value {
        from_json(&to_json(v).unwrap()).unwrap()
    }

    #[test]
    fn plain_values_are_plain_json_in_order() {
        let mut m = Map::new();
        m.insert("z", Value::Int(1));
        m.insert("a", Value::Float(1.0));
        m.insert(
            "list",
            Value::Seq(vec![Value::Null, Value::Bool(true), "x".into()]),
        );
        let v = Value::Map(m);
        assert_eq!(
            to_json(&v).unwrap(),
            r#"{"z":1,"a":1.0,"list":[null,true,"x"]}"#
        );
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn values_json_cannot_say_are_escaped_and_come_back() {
        let mut odd_keys = Map::new();
        odd_keys.insert(Value::Int(1), "one".into());
        let mut lookalike = Map::new();
        lookalike.insert(YAML_KEY, "not yaml: [".into());
        for v in [
            Value::BigInt("123456789012345678901234567890".into()),
            Value::Timestamp("2024-01-05".into()),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::Map(odd_keys),
            Value::Map(lookalike),
        ] {
            assert_eq!(round_trip(&v), v, "{v:?}");
        }
        let Value::Float(nan) = round_trip(&Value::Float(f64::NAN)) else {
            panic!("NaN did not come back as a float");
        };
        assert!(nan.is_nan());
    }

    #[test]
    fn floats_come_back_to_the_bit() {
        for f in [1_796_361_074.698_563_3, 1_796_361_074.719_331_7, 0.1, 7.5] {
            assert_eq!(round_trip(&Value::Float(f)), Value::Float(f));
        }
    }

    #[test]
    fn bad_text_is_an_error_not_a_panic() {
        assert!(from_json("{").is_err());
        assert!(from_json(r#"{"$yaml": "a: [unclosed"}"#).is_err());
        assert_eq!(
            from_json("18446744073709551615").unwrap(),
            Value::BigInt("18446744073709551615".into())
        );
    }
}
