//! Python's equality and ordering of dict keys, as far as PyYAML can produce
//! them: `1 == 1.0 == True`, strings by code point, timestamps by instant.
//!
//! `yaml.dump` sorts a mapping's items with `sorted()`; when two keys cannot
//! be compared (a string and a number, `None` and anything, a date and a
//! date-time) Python raises `TypeError`, which PyYAML catches, and the
//! mapping is written in insertion order. [`sorted_indices`] does the same.

use super::bigint::{cmp_decimal, float_integer_decimal};
use super::timestamp::{TimeClass, Timestamp};
use super::value::Value;
use std::cmp::Ordering;

/// A key reduced to what Python compares.
enum Key<'a> {
    /// `int` (and `bool`): sign and magnitude as canonical decimal text, or a
    /// small value.
    Small(i128),
    Big {
        negative: bool,
        digits: &'a str,
    },
    Float(f64),
    Str(&'a str),
    Time(Timestamp),
    /// `None`, collections, NaN: compares with nothing.
    Opaque,
}

fn key_of(value: &Value) -> Key<'_> {
    match value {
        Value::Bool(b) => Key::Small(i128::from(*b)),
        Value::Int(i) => Key::Small(i128::from(*i)),
        Value::BigInt(text) => big_key(text),
        Value::Float(f) if f.is_nan() => Key::Opaque,
        Value::Float(f) => Key::Float(*f),
        Value::Str(s) => Key::Str(s),
        Value::Timestamp(raw) => match Timestamp::parse(raw) {
            Ok(t) => Key::Time(t),
            // The emitter writes an invalid timestamp as a string.
            Err(_) => Key::Str(raw),
        },
        Value::Null | Value::Seq(_) | Value::Map(_) => Key::Opaque,
    }
}

fn big_key(text: &str) -> Key<'_> {
    if let Ok(small) = text.parse::<i128>() {
        return Key::Small(small);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits = digits.trim_start_matches('0');
    if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        Key::Big { negative, digits }
    } else {
        // Not a number at all: it is emitted as such, so order it as a string.
        Key::Str(text)
    }
}

/// Exact comparison of an integer (small or big) with a finite float.
fn cmp_int_float(negative: bool, digits: Option<&str>, small: i128, f: f64) -> Ordering {
    if f.is_infinite() {
        return if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    const LIMIT: f64 = 1.7e38; // comfortably inside i128
    if digits.is_none() && f.abs() < LIMIT {
        let whole = f.trunc();
        // Exact: |whole| < 2^127 and it is an integer.
        let int_part = whole as i128;
        return small
            .cmp(&int_part)
            .then_with(|| 0.0_f64.partial_cmp(&(f - whole)).unwrap_or(Ordering::Equal));
    }
    if f.abs() < 9_007_199_254_740_992.0 {
        // Only a big integer gets here, and its magnitude is at least 2^127.
        return if negative {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // A float this large is an integer; compare decimal magnitudes.
    let float_digits = float_integer_decimal(f);
    let float_negative = f < 0.0;
    let small_text;
    let int_digits = match digits {
        Some(d) => d,
        None => {
            small_text = small.unsigned_abs().to_string();
            &small_text
        }
    };
    match (negative, float_negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => cmp_decimal(int_digits, &float_digits),
        (true, true) => cmp_decimal(&float_digits, int_digits),
    }
}

/// Python's `a < b` as an ordering, or `None` where Python raises `TypeError`.
fn py_cmp(a: &Key<'_>, b: &Key<'_>) -> Option<Ordering> {
    use Key::{Big, Float, Small, Str, Time};
    Some(match (a, b) {
        (Small(x), Small(y)) => x.cmp(y),
        (Float(x), Float(y)) => x.partial_cmp(y)?,
        (Small(x), Float(f)) => cmp_int_float(*x < 0, None, *x, *f),
        (Float(f), Small(x)) => cmp_int_float(*x < 0, None, *x, *f).reverse(),
        (Big { negative, digits }, Float(f)) => cmp_int_float(*negative, Some(digits), 0, *f),
        (Float(f), Big { negative, digits }) => {
            cmp_int_float(*negative, Some(digits), 0, *f).reverse()
        }
        (Big { negative, .. }, Small(_)) => {
            if *negative {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Small(_), Big { negative, .. }) => {
            if *negative {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (
            Big {
                negative: n1,
                digits: d1,
            },
            Big {
                negative: n2,
                digits: d2,
            },
        ) => match (n1, n2) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => cmp_decimal(d1, d2),
            (true, true) => cmp_decimal(d2, d1),
        },
        (Str(x), Str(y)) => x.cmp(y),
        (Time(x), Time(y)) if x.class() == y.class() => x.cmp_same_class(y),
        _ => return None,
    })
}

/// A hashable stand-in for a key: equal exactly when [`key_eq`] says the
/// keys are equal, so the loader can index large mappings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum HashKey {
    Null,
    Str(String),
    /// An integral number (`True`, `1`, `1.0` are all `Int(1)`).
    Int(i128),
    /// An integral number beyond `i128`: sign and decimal digits.
    Big(bool, String),
    /// Any other float, by bit pattern.
    Float(u64),
    Nan,
    Time(TimeClass, i64),
}

/// The [`HashKey`] of a scalar key; `None` for collections.
pub(crate) fn hash_key(value: &Value) -> Option<HashKey> {
    Some(match value {
        Value::Null => HashKey::Null,
        Value::Float(f) if f.is_nan() => HashKey::Nan,
        Value::Seq(_) | Value::Map(_) => return None,
        other => match key_of(other) {
            Key::Small(i) => HashKey::Int(i),
            Key::Big { negative, digits } => HashKey::Big(negative, digits.to_owned()),
            Key::Float(f) if f.is_finite() && f.fract() == 0.0 => {
                if f.abs() < 1.7e38 {
                    // Exact: an integer well inside the i128 range.
                    HashKey::Int(f as i128)
                } else {
                    HashKey::Big(f < 0.0, float_integer_decimal(f))
                }
            }
            Key::Float(f) => HashKey::Float(f.to_bits()),
            Key::Str(s) => HashKey::Str(s.to_owned()),
            Key::Time(t) => HashKey::Time(t.class(), t.instant()),
            Key::Opaque => return None,
        },
    })
}

/// Python's `a == b` for two dict keys.
pub(crate) fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // PyYAML's `.nan` is one shared object, so dicts treat it as one key.
        (Value::Float(x), Value::Float(y)) if x.is_nan() && y.is_nan() => true,
        (Value::Null, Value::Null) => true,
        (Value::Seq(_) | Value::Map(_), _) | (_, Value::Seq(_) | Value::Map(_)) => a == b,
        _ => matches!(py_cmp(&key_of(a), &key_of(b)), Some(Ordering::Equal)),
    }
}

/// The order in which `yaml.dump` writes the entries: sorted by key when
/// every pair of keys is comparable, otherwise insertion order.
///
/// NaN keys count as incomparable here (Python would sort them into an
/// arbitrary place without raising).
pub(crate) fn sorted_indices(entries: &[(Value, Value)]) -> Vec<usize> {
    let keys: Vec<Key<'_>> = entries.iter().map(|(k, _)| key_of(k)).collect();
    let mut order: Vec<usize> = (0..entries.len()).collect();
    if keys.len() < 2 {
        return order;
    }
    // Comparability is transitive within these classes, so checking every
    // key against the first is enough.
    let comparable = keys
        .iter()
        .all(|k| py_cmp(&keys[0], k).is_some() && !matches!(k, Key::Opaque));
    if comparable {
        order.sort_by(|&i, &j| py_cmp(&keys[i], &keys[j]).unwrap_or(Ordering::Equal));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(keys: Vec<Value>) -> Vec<Value> {
        let entries: Vec<(Value, Value)> = keys.into_iter().map(|k| (k, Value::Null)).collect();
        sorted_indices(&entries)
            .into_iter()
            .map(|i| entries[i].0.clone())
            .collect()
    }

    #[test]
    fn numbers_mix_and_sort() {
        let sorted = order(vec![
            Value::Float(2.5),
            Value::Bool(true),
            Value::BigInt("-100000000000000000000".into()),
            Value::Int(2),
            Value::BigInt("100000000000000000000".into()),
            Value::Float(1e21),
            Value::Float(f64::NEG_INFINITY),
        ]);
        assert_eq!(
            sorted,
            vec![
                Value::Float(f64::NEG_INFINITY),
                Value::BigInt("-100000000000000000000".into()),
                Value::Bool(true),
                Value::Int(2),
                Value::Float(2.5),
                Value::BigInt("100000000000000000000".into()),
                Value::Float(1e21),
            ]
        );
    }

    #[test]
    fn mixed_types_keep_insertion_order() {
        let keys = vec![Value::from("b"), Value::Int(1), Value::from("a")];
        assert_eq!(order(keys.clone()), keys);
        let keys = vec![Value::from("b"), Value::Null];
        assert_eq!(order(keys.clone()), keys);
        let keys = vec![
            Value::Timestamp("2024-01-02".into()),
            Value::Timestamp("2024-01-01 00:00:00".into()),
        ];
        assert_eq!(order(keys.clone()), keys);
    }

    #[test]
    fn strings_by_code_point() {
        let sorted = order(vec![
            Value::from("é"),
            Value::from("z"),
            Value::from("Z"),
            Value::from("😀"),
        ]);
        assert_eq!(
            sorted,
            vec![
                Value::from("Z"),
                Value::from("z"),
                Value::from("é"),
                Value::from("😀")
            ]
        );
    }

    #[test]
    fn equality() {
        assert!(key_eq(&Value::Int(1), &Value::Bool(true)));
        assert!(key_eq(&Value::Float(0.0), &Value::Bool(false)));
        assert!(!key_eq(&Value::Float(0.5), &Value::Int(0)));
        assert!(!key_eq(&Value::from("1"), &Value::Int(1)));
        assert!(key_eq(
            &Value::BigInt("100000000000000000000".into()),
            &Value::Float(1e20)
        ));
        assert!(key_eq(
            &Value::Timestamp("2001-12-14 21:59:43-05:00".into()),
            &Value::Timestamp("2001-12-15 02:59:43Z".into())
        ));
        assert!(!key_eq(
            &Value::Timestamp("2001-12-14".into()),
            &Value::Timestamp("2001-12-14 00:00:00".into())
        ));
        assert!(key_eq(&Value::Null, &Value::Null));
    }

    #[test]
    fn hash_keys_agree_with_equality() {
        let keys = [
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(1),
            Value::Int(0),
            Value::Float(1.0),
            Value::Float(-0.0),
            Value::Float(0.5),
            Value::Float(1e20),
            Value::Float(1e300),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NAN),
            Value::BigInt("100000000000000000000".into()),
            Value::BigInt("-100000000000000000000000000000000000000000".into()),
            Value::from("1"),
            Value::from("a"),
            Value::Timestamp("2001-12-14 21:59:43-05:00".into()),
            Value::Timestamp("2001-12-15 02:59:43Z".into()),
            Value::Timestamp("2001-12-15 02:59:43".into()),
            Value::Timestamp("2001-12-15".into()),
        ];
        for a in &keys {
            for b in &keys {
                assert_eq!(key_eq(a, b), hash_key(a) == hash_key(b), "{a:?} vs {b:?}");
            }
        }
    }
}
