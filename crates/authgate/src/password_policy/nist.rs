//! The opt-in password rule of NIST SP 800-63B (`password_policy="nist"`).
//!
//! streamlit-authenticator's rule (8 to 20 characters with an upper-case
//! letter, a digit and one of `@$!%*?&`) is the composition rule NIST
//! advises against: it refuses long passphrases and accepts `Password1!`.
//! This rule instead asks for:
//!
//! - at least [`MIN_CHARS`] characters and at most 72 bytes (what bcrypt
//!   reads), any characters, no composition rules;
//! - a password not among the 10,000 most common ones (a list shipped in
//!   the crate, `data/common-passwords.txt`), in any case;
//! - a zxcvbn strength score of at least [`MIN_SCORE`] of 4, which also
//!   catches the user's own name or email, keyboard walks, dates and
//!   repeats.
//!
//! The [`Strength`] it returns is the meter: the score and zxcvbn's advice.
//!
//! ```
//! use authgate::password_policy::nist;
//! assert!(!nist("Password1!", &[]).accepted);
//! assert!(nist("correct horse battery staple", &[]).accepted);
//! assert!(!nist("RebeccaBriggs", &["rebecca", "briggs"]).accepted);
//! ```

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::password::MAX_PASSWORD_BYTES;

/// Fewest characters (Unicode scalar values) a password may have.
pub const MIN_CHARS: usize = 8;
/// Lowest zxcvbn score (0 to 4) accepted.
pub const MIN_SCORE: u8 = 3;

const COMMON: &str = include_str!("../../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// How strong a password is, and why it is refused if it is.
#[derive(Clone, PartialEq, Eq)]
pub struct Strength {
    /// Whether the rule accepts it.
    pub accepted: bool,
    /// zxcvbn's score, 0 (guessable in a few tries) to 4 (very unguessable).
    pub score: u8,
    /// What is wrong, in the order the rule checks; empty when accepted.
    pub problems: Vec<String>,
    /// zxcvbn's advice for a stronger password.
    pub suggestions: Vec<String>,
}

impl std::fmt::Debug for Strength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Problems and advice may quote the password's parts: not shown.
        f.debug_struct("Strength")
            .field("accepted", &self.accepted)
            .field("score", &self.score)
            .finish_non_exhaustive()
    }
}

/// Checks `password` against the NIST rule; `user_inputs` are words the
/// password must not lean on (username, email, names).
pub fn nist(password: &str, user_inputs: &[&str]) -> Strength {
    let mut problems = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        problems.push(format!("Use at least {MIN_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        problems.push(format!("Use at most {MAX_PASSWORD_BYTES} bytes"));
    }
    if common().contains(password.to_lowercase().as_str()) {
        problems.push("This is one of the most common passwords".to_string());
    }
    // zxcvbn's cost grows with length; past bcrypt's limit the password is
    // refused anyway.
    let (score, warning, suggestions) = if password.is_empty() || password.len() > 256 {
        (0, None, Vec::new())
    } else {
        let inputs: Vec<&str> = user_inputs
            .iter()
            .copied()
            .filter(|i| !i.trim().is_empty())
            .collect();
        let estimate = zxcvbn::zxcvbn(password, &inputs);
        let feedback = estimate.feedback();
        (
            u8::from(estimate.score()),
            feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
            feedback
                .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        )
    };
    if score < MIN_SCORE {
        problems.push(match warning {
            Some(w) => format!("Too easy to guess ({score}/4): {w}"),
            None => format!("Too easy to guess ({score}/4)"),
        });
    }
    Strength {
        accepted: problems.is_empty(),
        score,
        problems,
        suggestions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrases_pass_and_composition_is_not_asked() {
        for good in [
            "correct horse battery staple",
            "tofu kayak mildew lantern",
            "мой пароль длинный и странный",
        ] {
            let s = nist(good, &[]);
            assert!(s.accepted, "{good}: {:?}", s.problems);
            assert!(s.score >= MIN_SCORE);
        }
    }

    #[test]
    fn common_short_and_personal_passwords_are_refused() {
        let common = nist("Baseball", &[]);
        assert!(!common.accepted);
        assert!(
            common.problems[0].contains("most common"),
            "{:?}",
            common.problems
        );
        // 0.4.2's rule accepts it.
        assert!(!nist("Password1!", &[]).accepted);
        let short = nist("x9#Lq", &[]);
        assert_eq!(short.problems[0], "Use at least 8 characters");
        let personal = nist("RebeccaBriggs", &["rebecca", "briggs", "rbriggs@gmail.com"]);
        assert!(!personal.accepted);
        assert!(nist("RebeccaBriggs-Lamp-Ferry", &["rebecca"]).accepted);
        let long = "a".repeat(73);
        assert!(nist(&long, &[])
            .problems
            .iter()
            .any(|p| p.contains("72 bytes")));
        assert!(!nist("", &[]).accepted);
    }

    #[test]
    fn the_shipped_list_is_read() {
        assert_eq!(common().len(), 10_000);
        assert!(common().contains("123456"));
        assert!(format!("{:?}", nist("hunter2hunter2", &[])).starts_with("Strength {"));
    }
}
