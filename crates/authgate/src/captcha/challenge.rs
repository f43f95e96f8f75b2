//! What is kept of a captcha's answer: a salted SHA-256 digest, written as
//! a token for `session_state`, and checked in constant time.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::secret::{constant_time_eq, random_bytes};

/// Number of digits [`generate`](super::generate) draws, as in streamlit-authenticator 0.4.2.
pub const ANSWER_LEN: usize = 4;

/// Most digits [`generate_with_answer`](super::generate_with_answer) fits in the picture.
pub const MAX_ANSWER_LEN: usize = 6;

const SALT_LEN: usize = 16;
const DIGEST_LEN: usize = 32;
const TOKEN_PREFIX: &str = "v1.";
/// `v1.` + base64url(salt) + `.` + base64url(digest), without padding.
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + b64_len(SALT_LEN) + 1 + b64_len(DIGEST_LEN);
/// Longest input [`Challenge::verify`] looks at, surrounding whitespace included.
const MAX_ENTERED_LEN: usize = 256;

/// Length of unpadded base64 for `n` bytes.
const fn b64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// What is kept of a captcha's answer: a random salt and SHA-256(salt ‖ answer).
///
/// `Debug` shows neither: the digest of a 4-digit answer is as good as the
/// answer to anyone who tries the 10⁴ candidates.
///
/// # Examples
///
/// ```
/// let captcha = authgate::captcha::generate_with_answer("0427")?;
/// assert!(captcha.challenge.verify(" 0427 "));
/// assert!(!captcha.challenge.verify("0428"));
/// assert_eq!(format!("{:?}", captcha.challenge), "Challenge(<redacted>)");
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone)]
pub struct Challenge {
    salt: [u8; SALT_LEN],
    digest: [u8; DIGEST_LEN],
}

impl Challenge {
    /// A challenge for `answer` with a fresh salt.
    // Only the drawing makes challenges (feature `captcha`).
    #[cfg_attr(not(feature = "captcha"), allow(dead_code))]
    pub(super) fn new(answer: &[u8]) -> Result<Self> {
        let salt = random_bytes::<SALT_LEN>()?;
        Ok(Self {
            digest: digest(&salt, answer),
            salt,
        })
    }

    /// The challenge as printable ASCII, to keep in `session_state`:
    /// `v1.<salt>.<digest>`, both parts base64url without padding
    /// (69 characters).
    ///
    /// # Examples
    ///
    /// ```
    /// let token = authgate::captcha::generate()?.challenge.to_token();
    /// assert_eq!(token.len(), 69);
    /// assert!(token.starts_with("v1."));
    /// # Ok::<(), authgate::Error>(())
    /// ```
    #[must_use]
    pub fn to_token(&self) -> String {
        let mut token = String::with_capacity(TOKEN_LEN);
        token.push_str(TOKEN_PREFIX);
        URL_SAFE_NO_PAD.encode_string(self.salt, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(self.digest, &mut token);
        token
    }

    /// Reads a token written by [`to_token`](Self::to_token).
    ///
    /// Only the exact form `to_token` writes is accepted: no whitespace, no
    /// padding, no other version, canonical base64url.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (`"malformed captcha challenge"`) for
    /// anything else; the token is not repeated in the message.
    ///
    /// # Examples
    ///
    /// ```
    /// use authgate::captcha::{self, Challenge};
    ///
    /// let captcha = captcha::generate_with_answer("1234")?;
    /// let challenge = Challenge::from_token(&captcha.challenge.to_token())?;
    /// assert!(challenge.verify("1234"));
    /// assert!(Challenge::from_token("v1.garbage").is_err());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn from_token(token: &str) -> Result<Self> {
        parse_token(token)
            .ok_or_else(|| Error::InvalidInput("malformed captcha challenge".to_owned()))
    }

    /// Whether `entered`, without surrounding whitespace, is the answer.
    ///
    /// The digests are compared in constant time. Empty input and input
    /// longer than any answer are refused without hashing: answer lengths
    /// are public.
    ///
    /// # Examples
    ///
    /// ```
    /// let challenge = authgate::captcha::generate_with_answer("9081")?.challenge;
    /// assert!(challenge.verify("9081"));
    /// assert!(challenge.verify("\t9081\n"));
    /// assert!(!challenge.verify("908"));
    /// assert!(!challenge.verify(""));
    /// # Ok::<(), authgate::Error>(())
    /// ```
    #[must_use]
    pub fn verify(&self, entered: &str) -> bool {
        if entered.len() > MAX_ENTERED_LEN {
            return false;
        }
        let entered = entered.trim();
        if entered.is_empty() || entered.len() > MAX_ANSWER_LEN {
            return false;
        }
        constant_time_eq(&digest(&self.salt, entered.as_bytes()), &self.digest)
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Challenge(<redacted>)")
    }
}

fn digest(salt: &[u8; SALT_LEN], answer: &[u8]) -> [u8; DIGEST_LEN] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(answer)
        .finalize()
        .into()
}

fn parse_token(token: &str) -> Option<Challenge> {
    if token.len() != TOKEN_LEN {
        return None;
    }
    let (salt, digest) = token.strip_prefix(TOKEN_PREFIX)?.split_once('.')?;
    Some(Challenge {
        salt: decode_exact(salt)?,
        digest: decode_exact(digest)?,
    })
}

/// Exactly `N` bytes of canonical unpadded base64url, or `None`.
fn decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != b64_len(N) {
        return None;
    }
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_length_matches_the_encoding() {
        assert_eq!(TOKEN_LEN, 69);
        assert_eq!(b64_len(SALT_LEN), 22);
        assert_eq!(b64_len(DIGEST_LEN), 43);
    }
}
