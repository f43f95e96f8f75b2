//! What both PyYAML tests share: the generators' type-tagged JSON decoded
//! into [`Value`]s, and a comparison that also checks types, float bits and
//! key order.

#![allow(dead_code)] // each test binary uses its own part

use authgate_yaml::{emit, Map, Value};

/// Decodes the generator's type-tagged JSON into the [`Value`] PyYAML built.
pub fn decode(typed: &serde_json::Value) -> Value {
    let items = typed
        .as_array()
        .unwrap_or_else(|| panic!("bad typed value {typed}"));
    let tag = items.first().and_then(|t| t.as_str()).unwrap_or_default();
    let payload = items.get(1);
    let text = || {
        payload
            .and_then(|p| p.as_str())
            .unwrap_or_else(|| panic!("bad {typed}"))
            .to_owned()
    };
    let list = || {
        payload
            .and_then(|p| p.as_array())
            .unwrap_or_else(|| panic!("bad {typed}"))
    };
    match tag {
        "null" => Value::Null,
        "bool" => Value::Bool(
            payload
                .and_then(|p| p.as_bool())
                .unwrap_or_else(|| panic!("bad {typed}")),
        ),
        "int" => {
            let digits = text();
            digits
                .parse::<i64>()
                .map_or(Value::BigInt(digits), Value::Int)
        }
        "float" => Value::Float(match text().as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            repr => repr.parse().unwrap_or_else(|e| panic!("float {repr}: {e}")),
        }),
        "str" => Value::Str(text()),
        "timestamp" => Value::Timestamp(text()),
        "seq" => Value::Seq(list().iter().map(decode).collect()),
        "map" => {
            let mut map = Map::new();
            for pair in list() {
                let pair = pair
                    .as_array()
                    .unwrap_or_else(|| panic!("bad pair in {typed}"));
                let (k, v) = (decode(&pair[0]), decode(&pair[1]));
                assert!(
                    map.insert(k, v).is_none(),
                    "duplicate key in fixture {typed}"
                );
            }
            Value::Map(map)
        }
        other => panic!("unknown type tag {other:?}"),
    }
}

/// How PyYAML would write a timestamp: the canonical form to compare by.
fn canonical_timestamp(raw: &str) -> String {
    emit(&Value::Timestamp(raw.to_owned()))
}

/// Structural equality that also checks map order, float bits and types.
pub fn same(path: &str, got: &Value, want: &Value) -> Result<(), String> {
    same_as(path, got, want, true)
}

/// Like [`same`]; with `ordered == false` map entries may come in any order.
pub fn same_as(path: &str, got: &Value, want: &Value, ordered: bool) -> Result<(), String> {
    let mismatch = || Err(format!("at {path}: got {got:?}, want {want:?}"));
    match (got, want) {
        (Value::Float(a), Value::Float(b)) => {
            if a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) {
                Ok(())
            } else {
                mismatch()
            }
        }
        (Value::Timestamp(a), Value::Timestamp(b)) => {
            if canonical_timestamp(a) == canonical_timestamp(b) {
                Ok(())
            } else {
                mismatch()
            }
        }
        (Value::Seq(a), Value::Seq(b)) => {
            if a.len() != b.len() {
                return mismatch();
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_as(&format!("{path}[{i}]"), x, y, ordered)?;
            }
            Ok(())
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.len() != b.len() {
                return mismatch();
            }
            if !ordered {
                for (k, va) in a.iter() {
                    let Some(vb) = b.get_value(k) else {
                        return mismatch();
                    };
                    same_as(&format!("{path}.{k:?}"), va, vb, ordered)?;
                }
                return Ok(());
            }
            for (i, ((ka, va), (kb, vb))) in a.iter().zip(b.iter()).enumerate() {
                same(&format!("{path}.key#{i}"), ka, kb)?;
                same(&format!("{path}.{ka:?}"), va, vb)?;
            }
            Ok(())
        }
        (Value::Float(_) | Value::Timestamp(_) | Value::Seq(_) | Value::Map(_), _) => mismatch(),
        _ if got == want => Ok(()),
        _ => mismatch(),
    }
}
