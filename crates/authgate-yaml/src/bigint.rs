//! Just enough arbitrary-precision arithmetic to turn the integers PyYAML
//! accepts (binary, octal, hex, sexagesimal, decimal of any length) into
//! decimal text, and to compare huge integers with floats exactly.

use std::cmp::Ordering;

/// Python 3.11 refuses to convert more than this many decimal digits between
/// `int` and `str`; we use the same bound for every integer we build.
pub(crate) const MAX_DIGITS: usize = 4300;

const LIMB: u64 = 1_000_000_000;

/// An unsigned integer in base 10^9, least significant limb first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    /// `self = self * factor + addend`.
    pub(crate) fn mul_add_small(&mut self, factor: u32, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.limbs {
            let v = u64::from(*limb) * u64::from(factor) + carry;
            // Both casts are exact: v % LIMB < 10^9 and v / LIMB < 2^33 / 10^9 * ... < 2^32.
            *limb = (v % LIMB) as u32;
            carry = v / LIMB;
        }
        while carry > 0 {
            self.limbs.push((carry % LIMB) as u32);
            carry /= LIMB;
        }
    }

    /// `self += other`.
    pub(crate) fn add(&mut self, other: &BigUint) {
        let mut carry = 0u64;
        for i in 0..self.limbs.len().max(other.limbs.len()) {
            let a = self.limbs.get(i).copied().map_or(0, u64::from);
            let b = other.limbs.get(i).copied().map_or(0, u64::from);
            let v = a + b + carry;
            let digit = (v % LIMB) as u32;
            carry = v / LIMB;
            match self.limbs.get_mut(i) {
                Some(slot) => *slot = digit,
                None => self.limbs.push(digit),
            }
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// Number of decimal digits (0 for zero).
    pub(crate) fn decimal_len(&self) -> usize {
        match self.limbs.iter().rposition(|&l| l != 0) {
            None => 0,
            Some(top) => top * 9 + digits_u32(self.limbs[top]),
        }
    }

    /// The value if it fits in a `u64`.
    pub(crate) fn to_u64(&self) -> Option<u64> {
        let mut value = 0u64;
        for &limb in self.limbs.iter().rev() {
            value = value.checked_mul(LIMB)?.checked_add(u64::from(limb))?;
        }
        Some(value)
    }

    /// Decimal text without leading zeros (`"0"` for zero).
    pub(crate) fn to_decimal(&self) -> String {
        let Some(top) = self.limbs.iter().rposition(|&l| l != 0) else {
            return "0".to_owned();
        };
        let mut out = self.limbs[top].to_string();
        for limb in self.limbs[..top].iter().rev() {
            out.push_str(&format!("{limb:09}"));
        }
        out
    }
}

fn digits_u32(mut v: u32) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// The exact decimal text of an integral, finite float's magnitude.
pub(crate) fn float_integer_decimal(f: f64) -> String {
    let bits = f.abs().to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, shift) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), exponent - 1075)
    };
    if shift <= 0 {
        // Integral value below 2^53: the float is its own exact integer.
        return (mantissa >> (-shift).min(63)).to_string();
    }
    let mut big = BigUint::default();
    big.mul_add_small(1, (mantissa >> 32) as u32);
    big.mul_add_small(1 << 16, 0);
    big.mul_add_small(1 << 16, (mantissa & 0xffff_ffff) as u32);
    for _ in 0..shift {
        big.mul_add_small(2, 0);
    }
    big.to_decimal()
}

/// Compares two non-negative decimal texts without leading zeros.
pub(crate) fn cmp_decimal(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_prints() {
        let mut n = BigUint::default();
        for d in "123456789012345678901234567890".bytes() {
            n.mul_add_small(10, u32::from(d - b'0'));
        }
        assert_eq!(n.to_decimal(), "123456789012345678901234567890");
        assert_eq!(n.decimal_len(), 30);
        assert_eq!(n.to_u64(), None);
        let mut m = BigUint::default();
        m.mul_add_small(10, 7);
        n.add(&m);
        assert_eq!(n.to_decimal(), "123456789012345678901234567897");
        assert_eq!(BigUint::default().to_decimal(), "0");
        assert_eq!(m.to_u64(), Some(7));
    }

    #[test]
    fn float_integers() {
        assert_eq!(float_integer_decimal(1e20), "100000000000000000000");
        assert_eq!(
            float_integer_decimal(2f64.powi(70)),
            "1180591620717411303424"
        );
        assert_eq!(float_integer_decimal(-12.0), "12");
        assert_eq!(cmp_decimal("99", "100"), Ordering::Less);
    }
}
