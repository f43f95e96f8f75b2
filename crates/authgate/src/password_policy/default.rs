//! streamlit-authenticator 0.4.2's password rule, authgate's default.
//!
//! A password is accepted when it has [`DEFAULT_MIN_CHARS`] to
//! [`DEFAULT_MAX_CHARS`] characters, each an ASCII letter, a decimal digit
//! or one of [`SPECIALS`], among them a lower-case letter, an upper-case
//! letter, a digit and a special character. This is 0.4.2's
//! `Validator.validate_password` regular expression, read as Python reads
//! it: a "digit" is any Unicode decimal digit (`\d` on a `str`). One
//! difference: Python's `$` also matched before a final newline, so 0.4.2
//! accepted a valid password followed by `"\n"`; no form field can send
//! one, and here it is refused.
//!
//! [`missing`] lists what a password lacks in the words and order of 0.4.2's
//! `diagnose_password` (which never mentions a character outside the
//! alphabet); [`refusal`] is the same list made complete, for messages
//! outside the widgets.
//!
//! ```
//! use authgate::password_policy::default::{accepts, missing, Requirement};
//! assert!(accepts("Abcdef1!"));
//! assert!(!accepts("abcdef1!"));
//! assert_eq!(missing("abcdef1!", 8, 20), [Requirement::Uppercase]);
//! ```

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Fewest characters the default rule accepts.
pub const DEFAULT_MIN_CHARS: usize = 8;
/// Most characters the default rule accepts.
pub const DEFAULT_MAX_CHARS: usize = 20;
/// The special characters the rule accepts and asks for one of.
pub const SPECIALS: &str = "!@#$%^&*()_+-=[]{};:'\"\\|,.<>/?`~";

/// One thing the rule asks of a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Between `min` and `max` characters.
    Length {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// A lower-case ASCII letter.
    Lowercase,
    /// An upper-case ASCII letter.
    Uppercase,
    /// A decimal digit.
    Digit,
    /// One of [`SPECIALS`].
    Special,
    /// Nothing but ASCII letters, decimal digits and [`SPECIALS`] (0.4.2's
    /// `diagnose_password` never said so: only [`refusal`] lists it).
    OnlyAllowedCharacters,
}

impl std::fmt::Display for Requirement {
    /// 0.4.2's words (its message says `(@$!%*?&)` although every one of
    /// [`SPECIALS`] counts).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requirement::Length { min, max } => {
                write!(f, "Between {min} and {max} characters long")
            }
            Requirement::Lowercase => f.write_str("Contain at least one lowercase letter"),
            Requirement::Uppercase => f.write_str("Contain at least one uppercase letter"),
            Requirement::Digit => f.write_str("Contain at least one digit"),
            Requirement::Special => f.write_str("Contain at least one special character (@$!%*?&)"),
            Requirement::OnlyAllowedCharacters => write!(
                f,
                "Contain only letters, digits and the special characters {SPECIALS}"
            ),
        }
    }
}

/// A test of one kind of character.
type CharClass = fn(char) -> bool;

/// Whether `c` is a decimal digit as Python's `\d` reads one.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || c.general_category() == GeneralCategory::DecimalNumber
}

fn is_special(c: char) -> bool {
    SPECIALS.contains(c)
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphabetic() || is_digit(c) || is_special(c)
}

/// What `password` lacks, in 0.4.2's order, with a length of `min` to `max`
/// characters (0.4.2's `diagnose_password` reads these from the
/// validator's `min_password_length` and `max_password_length`).
pub fn missing(password: &str, min: usize, max: usize) -> Vec<Requirement> {
    let mut lacks = Vec::new();
    let chars = password.chars().count();
    if !(min..=max).contains(&chars) {
        lacks.push(Requirement::Length { min, max });
    }
    let classes: [(CharClass, Requirement); 4] = [
        (|c| c.is_ascii_lowercase(), Requirement::Lowercase),
        (|c| c.is_ascii_uppercase(), Requirement::Uppercase),
        (is_digit, Requirement::Digit),
        (is_special, Requirement::Special),
    ];
    for (has, requirement) in classes {
        if !password.chars().any(has) {
            lacks.push(requirement);
        }
    }
    lacks
}

/// Whether the default rule accepts `password`.
pub fn accepts(password: &str) -> bool {
    password.chars().all(is_allowed)
        && missing(password, DEFAULT_MIN_CHARS, DEFAULT_MAX_CHARS).is_empty()
}

/// Everything `password` lacks under the default rule, worded for a
/// message; empty when it is accepted.
pub fn refusal(password: &str) -> Vec<String> {
    let mut lacks = missing(password, DEFAULT_MIN_CHARS, DEFAULT_MAX_CHARS);
    if !password.chars().all(is_allowed) {
        lacks.push(Requirement::OnlyAllowedCharacters);
    }
    lacks.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_0_4_2s() {
        for good in [
            "Abcdef1!",
            "Wonderland-1",
            "Aa1!Aa1!Aa1!Aa1!Aa1!",
            "Zz9<>xyzq",
        ] {
            assert!(accepts(good), "{good}");
            assert!(refusal(good).is_empty(), "{good}");
        }
        for bad in [
            "",
            "Abc1!",                 // short
            "Aa1!Aa1!Aa1!Aa1!Aa1!Z", // 21 characters
            "abcdef1!",              // no upper case
            "ABCDEF1!",              // no lower case
            "Abcdefg!",              // no digit
            "Abcdefg1",              // no special
            "Abcdef1! x",            // a space
            "Äbcdef1!x",             // a letter outside ASCII
            "Abcdef1!\n",            // Python's `$` let this through; not here
        ] {
            assert!(!accepts(bad), "{bad:?}");
            assert!(!refusal(bad).is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn a_digit_is_any_decimal_digit_as_in_python() {
        // ARABIC-INDIC DIGIT ONE matches Python's `\d`; a superscript does not.
        assert!(accepts("Abcdef\u{0661}!"));
        assert!(!accepts("Abcdef\u{00B9}!"));
    }

    #[test]
    fn missing_is_0_4_2s_diagnosis() {
        assert_eq!(
            missing("abc", 8, 20),
            [
                Requirement::Length { min: 8, max: 20 },
                Requirement::Uppercase,
                Requirement::Digit,
                Requirement::Special
            ]
        );
        // 0.4.2 said nothing of a character outside the alphabet.
        assert!(missing("Abcdef1! x", 8, 20).is_empty());
        assert_eq!(
            refusal("Abcdef1! x"),
            [Requirement::OnlyAllowedCharacters.to_string()]
        );
        assert_eq!(
            Requirement::Length { min: 10, max: 12 }.to_string(),
            "Between 10 and 12 characters long"
        );
        assert_eq!(
            Requirement::Special.to_string(),
            "Contain at least one special character (@$!%*?&)"
        );
    }
}
