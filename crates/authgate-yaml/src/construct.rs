//! PyYAML's `SafeConstructor` for scalars: text plus tag to [`Value`].
//!
//! The conversions follow `constructor.py` step by step (underscores removed,
//! sign split off, base chosen by prefix, sexagesimal accumulated), with
//! Python's `int()` and `float()` reproduced for the text that reaches them.

use super::bigint::{BigUint, MAX_DIGITS};
use super::timestamp::Timestamp;
use super::value::Value;

/// The scalar tags `SafeLoader` can construct and we can represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarTag {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    Str,
}

/// Builds the value of a scalar whose tag is known. The error is the message
/// Python would raise.
pub(crate) fn construct(tag: ScalarTag, text: &str) -> Result<Value, String> {
    match tag {
        ScalarTag::Null => Ok(Value::Null),
        ScalarTag::Bool => construct_bool(text).map(Value::Bool),
        ScalarTag::Int => construct_int(text),
        ScalarTag::Float => construct_float(text).map(Value::Float),
        ScalarTag::Timestamp => Timestamp::parse(text).map(|_| Value::Timestamp(text.to_owned())),
        ScalarTag::Str => Ok(Value::Str(text.to_owned())),
    }
}

fn construct_bool(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        other => Err(format!("{other:?} is not a boolean")),
    }
}

/// A signed arbitrary-precision integer.
struct Int {
    negative: bool,
    magnitude: BigUint,
}

impl Int {
    fn into_value(self) -> Result<Value, String> {
        if self.magnitude.decimal_len() > MAX_DIGITS {
            return Err(format!(
                "integer has more than {MAX_DIGITS} decimal digits, \
                 the most Python converts to text"
            ));
        }
        if let Some(m) = self.magnitude.to_u64() {
            let value = if self.negative {
                0i64.checked_sub_unsigned(m)
            } else {
                i64::try_from(m).ok()
            };
            if let Some(v) = value {
                return Ok(Value::Int(v));
            }
        }
        let sign = if self.negative { "-" } else { "" };
        Ok(Value::BigInt(format!(
            "{sign}{}",
            self.magnitude.to_decimal()
        )))
    }
}

/// Python's `int(text, base)` for bases 2, 8, 10 and 16.
fn py_int(text: &str, base: u32) -> Result<Int, String> {
    let invalid = || format!("invalid literal for int() with base {base}: {text:?}");
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let prefix = match base {
        2 => Some(["0b", "0B"]),
        8 => Some(["0o", "0O"]),
        16 => Some(["0x", "0X"]),
        _ => None,
    };
    let digits = prefix
        .and_then(|p| p.iter().find_map(|p| rest.strip_prefix(p)))
        .unwrap_or(rest);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return Err(invalid());
    }
    let significant = digits.trim_start_matches('0');
    let bits_per_digit = match base {
        2 => 1.0,
        8 => 3.0,
        16 => 4.0,
        _ => std::f64::consts::LOG2_10,
    };
    // Python refuses long decimal text outright; for the other bases we
    // refuse anything whose decimal form would be too long to print.
    if base == 10 && digits.len() > MAX_DIGITS {
        return Err(format!(
            "Exceeds the limit ({MAX_DIGITS} digits) for integer string conversion: \
             value has {} digits",
            digits.len()
        ));
    }
    if significant.len() as f64 * bits_per_digit
        > MAX_DIGITS as f64 * std::f64::consts::LOG2_10 + 8.0
    {
        return Err(format!(
            "integer has more than {MAX_DIGITS} decimal digits, the most Python converts to text"
        ));
    }
    let mut magnitude = BigUint::default();
    for c in significant.chars() {
        // `is_digit(base)` above guarantees `to_digit` succeeds.
        magnitude.mul_add_small(base, c.to_digit(base).unwrap_or(0));
    }
    Ok(Int {
        negative,
        magnitude,
    })
}

/// Splits PyYAML's leading sign off text whose underscores are removed.
fn split_sign(value: &str) -> (bool, &str) {
    match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+') => (false, &value[1..]),
        _ => (false, value),
    }
}

/// `SafeConstructor.construct_yaml_int`.
pub(crate) fn construct_int(text: &str) -> Result<Value, String> {
    let cleaned = text.replace('_', "");
    if cleaned.is_empty() {
        return Err("an integer cannot be empty".to_owned());
    }
    let (negative, value) = split_sign(&cleaned);
    let mut int = if value == "0" {
        Int {
            negative: false,
            magnitude: BigUint::default(),
        }
    } else if let Some(bin) = value.strip_prefix("0b") {
        py_int(bin, 2)?
    } else if let Some(hex) = value.strip_prefix("0x") {
        py_int(hex, 16)?
    } else if value.starts_with('0') {
        py_int(value, 8)?
    } else if value.contains(':') {
        sexagesimal_int(value)?
    } else if value.is_empty() {
        return Err("an integer needs digits".to_owned());
    } else {
        py_int(value, 10)?
    };
    int.negative ^= negative;
    int.into_value()
}

/// `190:20:30` → 190·3600 + 20·60 + 30, each part through Python's `int()`.
fn sexagesimal_int(value: &str) -> Result<Int, String> {
    let mut total = BigUint::default();
    for part in value.split(':') {
        let part = py_int(part, 10)?;
        if part.negative && part.magnitude.decimal_len() > 0 {
            // Only an explicit `!!int` can carry a signed part; rare enough
            // to refuse rather than carry signed big arithmetic.
            return Err(format!(
                "negative sexagesimal part in {value:?} is not supported"
            ));
        }
        total.mul_add_small(60, 0);
        total.add(&part.magnitude);
        if total.decimal_len() > MAX_DIGITS {
            return Err(format!(
                "integer has more than {MAX_DIGITS} decimal digits, the most Python converts to text"
            ));
        }
    }
    Ok(Int {
        negative: false,
        magnitude: total,
    })
}

/// Python's `float(text)`.
fn py_float(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let plain_number = trimmed
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let special = matches!(
        trimmed
            .trim_start_matches(['+', '-'])
            .to_ascii_lowercase()
            .as_str(),
        "inf" | "infinity" | "nan"
    );
    if !(plain_number || special) {
        return Err(format!("could not convert string to float: {text:?}"));
    }
    trimmed
        .parse::<f64>()
        .map_err(|_| format!("could not convert string to float: {text:?}"))
}

/// `float(60 ** power)`, correctly rounded like Python's int-to-float.
fn sixty_pow(power: u32) -> Result<f64, String> {
    let mut odd = BigUint::default();
    odd.mul_add_small(1, 1);
    for _ in 0..power {
        odd.mul_add_small(15, 0);
    }
    // 60^k = 15^k · 4^k; scaling by a power of two is exact.
    let odd: f64 = odd.to_decimal().parse().unwrap_or(f64::INFINITY);
    let exponent = i32::try_from(power.saturating_mul(2)).unwrap_or(i32::MAX);
    let value = odd * 2f64.powi(exponent);
    if value.is_finite() {
        Ok(value)
    } else {
        Err("int too large to convert to float".to_owned())
    }
}

/// `SafeConstructor.construct_yaml_float`.
pub(crate) fn construct_float(text: &str) -> Result<f64, String> {
    let cleaned = text.replace('_', "").to_lowercase();
    if cleaned.is_empty() {
        return Err("a float cannot be empty".to_owned());
    }
    let (negative, value) = split_sign(&cleaned);
    let sign = if negative { -1.0 } else { 1.0 };
    if value == ".inf" {
        return Ok(sign * f64::INFINITY);
    }
    if value == ".nan" {
        return Ok(f64::NAN);
    }
    if value.contains(':') {
        let digits = value
            .split(':')
            .map(py_float)
            .collect::<Result<Vec<f64>, String>>()?;
        let mut total = 0.0;
        for (power, digit) in digits.iter().rev().enumerate() {
            let power = u32::try_from(power).unwrap_or(u32::MAX);
            total += digit * sixty_pow(power)?;
        }
        return Ok(sign * total);
    }
    Ok(sign * py_float(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(text: &str) -> String {
        match construct_int(text) {
            Ok(Value::Int(i)) => i.to_string(),
            Ok(Value::BigInt(s)) => format!("big {s}"),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn ints_like_pyyaml() {
        assert_eq!(int("0"), "0");
        assert_eq!(int("-0"), "0");
        assert_eq!(int("0_"), "0");
        assert_eq!(int("017"), "15");
        assert_eq!(int("-0b1_01"), "-5");
        assert_eq!(int("0xFF"), "255");
        assert_eq!(int("190:20:30"), "685230");
        assert_eq!(int("-1:05"), "-65");
        assert_eq!(int("1_000"), "1000");
        assert_eq!(int("9223372036854775807"), "9223372036854775807");
        assert_eq!(int("-9223372036854775808"), "-9223372036854775808");
        assert_eq!(int("9223372036854775808"), "big 9223372036854775808");
        assert_eq!(int("-0x10000000000000000"), "big -18446744073709551616");
        assert!(int("0b_").starts_with("ERR invalid literal for int() with base 2"));
        assert!(int("1".repeat(4301).as_str()).starts_with("ERR Exceeds the limit"));
        assert!(int(&format!("0x{}", "f".repeat(100_000))).starts_with("ERR"));
        assert!(int("-").starts_with("ERR"));
        assert!(int("").starts_with("ERR"));
    }

    #[test]
    fn floats_like_pyyaml() {
        assert_eq!(construct_float("1_000.5"), Ok(1000.5));
        assert_eq!(construct_float("-.INF"), Ok(f64::NEG_INFINITY));
        assert!(construct_float("-.nan").map(f64::is_nan).unwrap_or(false));
        assert_eq!(construct_float("190:20:30.15"), Ok(685_230.15));
        assert_eq!(construct_float("1.e+5"), Ok(100_000.0));
        assert_eq!(construct_float("1e3"), Ok(1000.0));
        assert!(construct_float("abc").is_err());
        assert!(construct_float("").is_err());
        assert!(construct_float(&vec!["1"; 200].join(":")).is_err());
    }

    #[test]
    fn bools_and_timestamps() {
        assert_eq!(construct(ScalarTag::Bool, "YES"), Ok(Value::Bool(true)));
        assert_eq!(construct(ScalarTag::Bool, "oFf"), Ok(Value::Bool(false)));
        assert!(construct(ScalarTag::Bool, "maybe").is_err());
        assert!(construct(ScalarTag::Timestamp, "2024-02-30").is_err());
        assert_eq!(
            construct(ScalarTag::Timestamp, "2024-1-5"),
            Ok(Value::Timestamp("2024-1-5".into()))
        );
    }
}
