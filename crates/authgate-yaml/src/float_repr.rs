//! Python's `repr(float)`, and PyYAML's `represent_float` on top of it.

/// What `yaml.dump` writes for a float: `.nan`, `.inf`, `-.inf`, or Python's
/// shortest round-trip `repr` in lower case with `.0` forced into exponent
/// forms (`1e+16` → `1.0e+16`).
pub(crate) fn represent_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    let repr = python_repr(f);
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

/// `repr(f)` for a finite float: the shortest digits that round-trip,
/// positional when the decimal exponent is in `-4..16`, scientific otherwise.
fn python_repr(f: f64) -> String {
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` finds how many digits the shortest round trip needs, as
    // Python's repr does. But where the float lies exactly halfway between
    // two such candidates (-1650778187154742.25 has 17 digits either way)
    // Rust's shortest mode rounds up, and Python's dtoa picks the even
    // digit. Formatting to that many digits rounds exactly, ties to even:
    // Python's choice, and the closest candidate, so it round-trips too.
    let shortest = format!("{:e}", f.abs());
    let significant = shortest
        .split_once('e')
        .map_or(shortest.as_str(), |(m, _)| m)
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    let sci = format!("{:.*e}", significant.saturating_sub(1), f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let decpt = exponent + 1;
    let body = if !(-3..=16).contains(&decpt) {
        let (first, rest) = digits.split_at(digits.len().min(1));
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{dot}e{exp_sign}{:02}", exponent.unsigned_abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
    } else if decpt < n {
        let (int, frac) = digits.split_at(decpt.unsigned_abs() as usize);
        format!("{int}.{frac}")
    } else {
        format!(
            "{digits}{}.0",
            "0".repeat((decpt - n).unsigned_abs() as usize)
        )
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1e16, "1.0e+16"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-05"),
            (1.5e-7, "1.5e-07"),
            (1e300, "1.0e+300"),
            (123.456, "123.456"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5.0e-324"),
            (100.0, "100.0"),
            // exactly halfway between two 17-digit candidates (...742.25,
            // written as a sum, which is exact): the even one
            (-(1_650_778_187_154_742.0 + 0.25), "-1650778187154742.2"),
            (1_020_875_751_458_354.0 + 0.25, "1020875751458354.2"),
            (f64::INFINITY, ".inf"),
            (f64::NEG_INFINITY, "-.inf"),
            (f64::NAN, ".nan"),
        ];
        for (f, want) in cases {
            assert_eq!(represent_float(f), want, "{f:e}");
        }
    }
}
