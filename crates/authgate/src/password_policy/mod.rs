//! What a new password must be: one of two rules, each decided here once.
//!
//! - [`PasswordPolicy::Default`] ([`default`]): streamlit-authenticator
//!   0.4.2's rule — 8 to 20 characters of letters, digits and
//!   [`SPECIALS`], with a lower-case letter, an upper-case letter, a digit
//!   and a special character. The Python `Validator`, the operator's CLI
//!   and the random password generator ([`crate::secret::random_password`])
//!   all ask it.
//! - [`PasswordPolicy::Nist`] ([`nist()`]): NIST SP 800-63B, opt-in
//!   (`password_policy="nist"`, `NistValidator`).
//!
//! Apps may still pass their own Python `Validator`; the rules here are the
//! ones authgate itself applies.

pub mod default;
mod nist;

pub use default::{Requirement, DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS, SPECIALS};
pub use nist::{nist, Strength, MIN_CHARS, MIN_SCORE};

use crate::error::{Error, Result};

/// Which rule new passwords must meet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PasswordPolicy {
    /// streamlit-authenticator 0.4.2's rule ([`default`]).
    #[default]
    Default,
    /// NIST SP 800-63B ([`nist()`]).
    Nist,
}

impl PasswordPolicy {
    /// The policy an app or the CLI names: `"0.4.2"` (or `"default"`) or
    /// `"nist"`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for another name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "0.4.2" | "default" => Ok(PasswordPolicy::Default),
            "nist" => Ok(PasswordPolicy::Nist),
            other => Err(Error::InvalidInput(format!(
                "unknown password policy '{other}': use '0.4.2' or 'nist'"
            ))),
        }
    }

    /// Accepts `password`, or says in one sentence what it lacks.
    /// `user_inputs` are words the NIST rule keeps a password from leaning
    /// on (username, email, names); the default rule ignores them.
    ///
    /// ```
    /// use authgate::password_policy::PasswordPolicy;
    /// assert!(PasswordPolicy::Default.check("Wonderland-1", &[]).is_ok());
    /// let refused = PasswordPolicy::Default.check("wonderland", &[]).unwrap_err();
    /// assert!(refused.to_string().contains("at least one uppercase letter"));
    /// assert!(PasswordPolicy::Nist.check("tofu kayak mildew lantern", &[]).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`] past bcrypt's 72 bytes, whatever the
    /// rule; [`Error::InvalidInput`] naming what the password lacks, never
    /// the password.
    pub fn check(&self, password: &str, user_inputs: &[&str]) -> Result<()> {
        if password.len() > crate::password::MAX_PASSWORD_BYTES {
            return Err(Error::PasswordTooLong);
        }
        let problems = match self {
            PasswordPolicy::Default => default::refusal(password),
            PasswordPolicy::Nist => nist(password, user_inputs).problems,
        };
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::InvalidInput(format!(
            "the password does not meet the password policy: {}",
            problems.join("; ")
        )))
    }
}
