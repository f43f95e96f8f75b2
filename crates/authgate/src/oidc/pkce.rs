//! The random values of one login: `state`, `nonce` and the PKCE verifier
//! (RFC 7636), and the S256 challenge derived from the verifier.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::secret;
// Kept here too: the OIDC module has always named it.
pub use crate::secret::SecretString;

/// 256 random bits from the OS, base64url without padding (43 characters):
/// a `state`, a `nonce`, a PKCE verifier or a browser binding.
///
/// 43 characters of `[A-Za-z0-9_-]` is the shortest verifier RFC 7636 §4.1
/// allows, and the 32-octet length its §7.1 recommends.
pub(crate) fn random_token() -> Result<SecretString> {
    let bytes = Zeroizing::new(secret::random_bytes::<32>()?);
    Ok(SecretString::new(URL_SAFE_NO_PAD.encode(bytes.as_slice())))
}

/// The S256 code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`
/// (RFC 7636 §4.2).
///
/// # Examples
///
/// The example of RFC 7636 Appendix B:
///
/// ```
/// use authgate::oidc::pkce_challenge;
///
/// assert_eq!(
///     pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
///     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
/// );
/// ```
#[must_use]
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// SHA-256 of a value, for keeping a lookup key or a binding without the
/// value itself.
pub(crate) fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        // The verifier of Appendix B is the base64url of these 32 octets.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = URL_SAFE_NO_PAD.encode(octets);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce_challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_tokens_are_valid_verifiers_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1_000 {
            let token = random_token().unwrap();
            let text = token.expose();
            assert_eq!(text.len(), 43);
            assert!(text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert!(seen.insert(text.to_owned()));
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s:?}"), "SecretString(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }
}
