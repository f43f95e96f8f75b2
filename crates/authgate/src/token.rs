//! The re-authentication cookie: an HS256 JSON Web Token.
//!
//! streamlit-authenticator 0.4.2 writes its cookie as
//! `jwt.encode({"username": u, "exp_date": t}, cookie_key, algorithm="HS256")`
//! (PyJWT), with `t` a float of Unix seconds, and honours it while
//! `exp_date > now`. authgate reads those cookies unchanged. The tokens it
//! writes carry two more claims, which PyJWT and streamlit-authenticator
//! ignore, so both programs can share one cookie:
//!
//! * `sid`, the session id (see [`crate::secret::session_id`]);
//! * `cv`, the credential version, a digest of the user's password hash (see
//!   [`credential_version`]): changing the password changes it, which revokes
//!   every older cookie without storing anything.
//!
//! [`decode`] accepts only what PyJWT 2.15 (`algorithms=["HS256"]`) followed
//! by streamlit-authenticator's own checks would accept, minus what no token
//! written by either holds: an empty or non-string username, a non-string
//! `sid`/`cv`, an infinite `exp_date`, numeric strings in `exp`/`nbf`/`iat`,
//! padded or otherwise sloppy base64, more than 8 KiB. Every refusal is
//! [`Error::TokenRefused`] with a short fixed reason; the token itself never
//! appears in an error.

use std::cmp::Ordering;
use std::fmt;
use std::io;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Longest token [`decode`] reads and [`encode`] writes, in bytes. Browsers
/// keep cookies up to 4 KiB, so a longer token is never legitimate.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// `{"alg":"HS256","typ":"JWT"}` in base64url: PyJWT's header, byte for byte.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Prefix hashed before the password hash in [`credential_version`].
const CV_DOMAIN: &[u8] = b"authgate credential version v1\0";

/// The cookie key (streamlit-authenticator's `cookie.key`), ready to sign
/// and verify tokens.
///
/// Any string is accepted here, however short, as PyJWT accepts it; only the
/// empty key is refused, by [`encode`] and [`decode`], as PyJWT 2.15 does.
/// The key bytes are wiped from memory when the value is dropped, and
/// `Debug` never shows them.
///
/// # Examples
///
/// ```
/// let key = authgate::token::TokenKey::new("some_key");
/// assert_eq!(format!("{key:?}"), "TokenKey(<redacted>)");
/// ```
#[derive(Clone)]
pub struct TokenKey {
    signing: EncodingKey,
    verifying: DecodingKey,
    /// A key derived for mailed links ([`crate::link`]), so that no link
    /// can ever pass for a cookie or the other way round.
    link: zeroize::Zeroizing<[u8; 32]>,
    /// The key derived for second factors ([`crate::totp::FactorKey`]).
    factor: crate::totp::FactorKey,
    empty: bool,
    weakness: Option<KeyWeakness>,
}

impl TokenKey {
    /// Wraps the cookie key; PyJWT uses its UTF-8 bytes as the HMAC key.
    #[must_use]
    pub fn new(key: &str) -> Self {
        let mut link = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(key.as_bytes())
            .expect("HMAC takes a key of any length");
        hmac::Mac::update(&mut link, b"authgate mailed-link key v1");
        Self {
            signing: EncodingKey::from_secret(key.as_bytes()),
            verifying: DecodingKey::from_secret(key.as_bytes()),
            link: zeroize::Zeroizing::new(hmac::Mac::finalize(link).into_bytes().into()),
            factor: crate::totp::FactorKey::new(key),
            empty: key.is_empty(),
            weakness: key_weakness(key),
        }
    }

    /// Why this key is unfit to sign cookies, if it is (see [`key_weakness`]).
    #[must_use]
    pub fn weakness(&self) -> Option<KeyWeakness> {
        self.weakness
    }

    /// HMAC-SHA256 of `parts` (each length-prefixed) under the key derived
    /// for mailed links.
    pub(crate) fn link_mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(self.link.as_slice())
            .expect("HMAC takes a key of any length");
        for part in parts {
            hmac::Mac::update(&mut m, &(part.len() as u64).to_be_bytes());
            hmac::Mac::update(&mut m, part);
        }
        hmac::Mac::finalize(m).into_bytes().into()
    }

    /// The key derived from this one for second factors: it seals TOTP
    /// secrets and digests recovery codes, and signs nothing.
    #[must_use]
    pub fn factor_key(&self) -> &crate::totp::FactorKey {
        &self.factor
    }

    /// Whether the key is empty (and so cannot sign anything safely).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.empty
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

/// Shortest cookie key accepted, in bytes: RFC 7518 §3.2 wants an HS256
/// key of at least the hash's size.
pub const MIN_KEY_BYTES: usize = 32;

/// Cookie keys from streamlit-authenticator's README and examples, and
/// authgate's own demo: anyone can sign cookies with them.
pub const WELL_KNOWN_KEYS: &[&str] = &[
    "some_key",
    "some_signature_key",
    "random_signature_key",
    "abcdef",
    "key",
    "demo-cookie-key-change-me",
];

/// Why a cookie key must not sign cookies. `Display` names the reason and
/// never the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyWeakness {
    /// No key at all.
    Empty,
    /// A key published in documentation or examples.
    WellKnown,
    /// Fewer than [`MIN_KEY_BYTES`] bytes.
    TooShort {
        /// Its length in bytes.
        bytes: usize,
    },
}

impl fmt::Display for KeyWeakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyWeakness::Empty => f.write_str("the cookie key is empty"),
            KeyWeakness::WellKnown => f.write_str(
                "the cookie key is a well-known example value, so anyone can forge cookies",
            ),
            KeyWeakness::TooShort { bytes } => write!(
                f,
                "the cookie key has {bytes} bytes; at least {MIN_KEY_BYTES} random bytes are needed"
            ),
        }
    }
}

/// Whether `key` is unfit to sign cookies, and why.
///
/// ```
/// use authgate::token::{key_weakness, KeyWeakness};
/// assert_eq!(key_weakness("some_key"), Some(KeyWeakness::WellKnown));
/// assert_eq!(key_weakness("short"), Some(KeyWeakness::TooShort { bytes: 5 }));
/// assert_eq!(key_weakness("J4m8x1Q0vKs9TzRw2bYc7LpNe5HdGu3A"), None);
/// ```
#[must_use]
pub fn key_weakness(key: &str) -> Option<KeyWeakness> {
    if key.is_empty() {
        Some(KeyWeakness::Empty)
    } else if WELL_KNOWN_KEYS.contains(&key) {
        Some(KeyWeakness::WellKnown)
    } else if key.len() < MIN_KEY_BYTES {
        Some(KeyWeakness::TooShort { bytes: key.len() })
    } else {
        None
    }
}

/// A new random cookie key: 32 bytes from the OS, base64url (43 characters).
///
/// # Errors
///
/// When the operating system's random source fails.
pub fn generate_key() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(crate::secret::random_bytes::<32>()?))
}

/// The claims of a re-authentication token.
///
/// `exp_date` is Unix seconds; JSON integers are read as well as floats.
///
/// # Examples
///
/// ```
/// use authgate::token::Claims;
///
/// let claims = Claims::new("jsmith", 1_760_000_000.5);
/// assert_eq!(
///     serde_json::to_string(&claims).unwrap(),
///     r#"{"username":"jsmith","exp_date":1760000000.5}"#
/// );
/// ```
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user the token logs in.
    pub username: String,
    /// Expiry, Unix seconds; the token is valid while `exp_date > now`.
    pub exp_date: f64,
    /// Session id, in tokens written by authgate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Credential version ([`credential_version`]), in tokens written by authgate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<String>,
}

impl Claims {
    /// Claims as streamlit-authenticator writes them: no `sid`, no `cv`.
    #[must_use]
    pub fn new(username: impl Into<String>, exp_date: f64) -> Self {
        Self {
            username: username.into(),
            exp_date,
            sid: None,
            cv: None,
        }
    }
}

/// Signs `claims` into a token that PyJWT and streamlit-authenticator accept.
///
/// The token is byte for byte the one PyJWT writes for a dict holding
/// `username`, `exp_date`, then `sid` and `cv` when set: same header, same
/// JSON (compact, non-ASCII escaped as `\uXXXX`, floats in shortest
/// round-trip form, which for timestamps is Python's `repr`), same signature.
///
/// # Errors
///
/// [`Error::InvalidInput`] if the key is empty, the username is empty,
/// `exp_date` is not finite, or the token would exceed [`MAX_TOKEN_LEN`].
///
/// # Examples
///
/// ```
/// use authgate::token::{self, Claims, TokenKey};
///
/// let key = TokenKey::new("some_key");
/// let jwt = token::encode(&key, &Claims::new("jsmith", 1_760_000_000.0))?;
/// assert!(jwt.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
/// assert_eq!(token::decode(&key, &jwt, 1_750_000_000.0)?.username, "jsmith");
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn encode(key: &TokenKey, claims: &Claims) -> Result<String> {
    let invalid = |why: &str| Err(Error::InvalidInput(why.to_owned()));
    if key.empty {
        return invalid("the cookie key must not be empty");
    }
    if claims.username.is_empty() {
        return invalid("a token's username must not be empty");
    }
    if !claims.exp_date.is_finite() {
        return invalid("a token's exp_date must be a finite number");
    }
    let mut payload = Vec::with_capacity(96);
    claims
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut payload,
            PythonJson,
        ))
        .map_err(|_| Error::InvalidInput("the token claims cannot be serialised".to_owned()))?;

    let mut token = String::with_capacity(HEADER.len() + payload.len() * 4 / 3 + 48);
    token.push_str(HEADER);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    // An HS256 signature is 43 base64url characters, plus its dot.
    if token.len() + 44 > MAX_TOKEN_LEN {
        return invalid("the token would be longer than 8 KiB");
    }
    let signature = jsonwebtoken::crypto::sign(token.as_bytes(), &key.signing, Algorithm::HS256)
        .map_err(|_| Error::InvalidInput("the token could not be signed".to_owned()))?;
    token.push('.');
    token.push_str(&signature);
    Ok(token)
}

/// Verifies a token and returns its claims if it is valid at time `now`
/// (Unix seconds).
///
/// Refused, in this order: a token over [`MAX_TOKEN_LEN`]; an empty key;
/// anything but three base64url parts; a header that is not a JSON object
/// with `"alg": "HS256"` (so `none`, `HS384`, `HS512`, `RS256`… are refused),
/// or that has `crit`, `b64` or a non-string `kid`; a wrong signature; a
/// payload that is not a JSON object; a standard `exp` at or before `now`,
/// an `nbf` or `iat` after it, any `aud`, a non-string `sub` or `jti` (as
/// PyJWT does); a missing, empty or non-string `username`; a missing or
/// non-numeric `exp_date`, or one not after `now`; a non-string `sid`/`cv`.
///
/// The signature is checked in constant time and before the payload is read.
///
/// # Errors
///
/// [`Error::TokenRefused`] with a short reason, for every refusal above.
///
/// # Examples
///
/// ```
/// use authgate::{error::Error, token::{self, TokenKey}};
///
/// // Written by streamlit-authenticator 0.4.2 (PyJWT 2.15.1), key "some_key".
/// let cookie = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
///     eyJ1c2VybmFtZSI6ImpzbWl0aCIsImV4cF9kYXRlIjoxNzYwMDAwMDAwLjI1fQ.\
///     ox642OfJuMJRGi2iP57_RrWLYtdJdLihUwLYaFv3Dr0";
/// let claims = token::decode(&TokenKey::new("some_key"), cookie, 1_750_000_000.0)?;
/// assert_eq!((claims.username.as_str(), claims.exp_date), ("jsmith", 1_760_000_000.25));
///
/// let late = token::decode(&TokenKey::new("some_key"), cookie, 1_770_000_000.0);
/// assert!(matches!(late, Err(Error::TokenRefused("expired"))));
/// # Ok::<(), Error>(())
/// ```
pub fn decode(key: &TokenKey, token: &str, now: f64) -> Result<Claims> {
    if token.len() > MAX_TOKEN_LEN {
        return refuse("token too large");
    }
    if key.empty {
        return refuse("empty cookie key");
    }
    let (message, signature) = token.rsplit_once('.').ok_or(MALFORMED)?;
    let (header, payload) = message.split_once('.').ok_or(MALFORMED)?;
    if payload.contains('.') {
        return Err(MALFORMED);
    }
    check_header(header)?;

    let genuine = jsonwebtoken::crypto::verify(
        signature,
        message.as_bytes(),
        &key.verifying,
        Algorithm::HS256,
    );
    if !matches!(genuine, Ok(true)) {
        return refuse("bad signature");
    }

    let claims: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(Error::TokenRefused("malformed claims"))?;
    check_registered_claims(&claims, now)?;
    own_claims(&claims, now)
}

/// A short digest of a stored password hash: 16 lowercase hex characters.
///
/// Put it in the token as `cv`; when the password changes the digest
/// changes, and tokens carrying the old one can be refused. Compare with
/// [`crate::secret::constant_time_eq`]. The digest is SHA-256 (with a fixed
/// domain prefix) truncated to 64 bits; it reveals nothing usable about the
/// password, since the hash it is taken from is salted and slow.
///
/// # Examples
///
/// ```
/// use authgate::token::credential_version;
///
/// let old = credential_version("$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy");
/// let new = credential_version("$2b$12$KIXQJQq1LmD5dXaDxxHyvOvS2s2V7vE1H3xE6w1mTg6n4O4vbqG5K");
/// assert_eq!(old.len(), 16);
/// assert_ne!(old, new);
/// ```
#[must_use]
pub fn credential_version(password_hash: &str) -> String {
    let digest = Sha256::new()
        .chain_update(CV_DOMAIN)
        .chain_update(password_hash.as_bytes())
        .finalize();
    crate::secret::hex(&digest[..8])
}

/// Writes JSON strings as Python's `json.dumps` does by default
/// (`ensure_ascii=True`): every character outside ASCII, and DEL, becomes a
/// `\uXXXX` escape (two, as a surrogate pair, above U+FFFF). serde_json
/// already escapes quotes, backslashes and control characters the same way.
struct PythonJson;

impl serde_json::ser::Formatter for PythonJson {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut plain_from = 0;
        for (at, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\x7f' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain_from..at])?;
            for unit in c.encode_utf16(&mut [0; 2]) {
                write!(writer, "\\u{unit:04x}")?;
            }
            plain_from = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain_from..])
    }
}

const MALFORMED: Error = Error::TokenRefused("malformed token");

fn refuse<T>(reason: &'static str) -> Result<T> {
    Err(Error::TokenRefused(reason))
}

/// The header must be a JSON object whose `alg` is exactly `"HS256"`, with
/// no parameter that changes how the token is read.
fn check_header(segment: &str) -> Result<()> {
    let header: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(segment)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(MALFORMED)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return refuse("algorithm not allowed");
    }
    let kid_ok = header.get("kid").is_none_or(Value::is_string);
    if header.contains_key("crit") || header.contains_key("b64") || !kid_ok {
        return refuse("unsupported header parameter");
    }
    Ok(())
}

/// The registered claims PyJWT checks by default, checked the same way.
fn check_registered_claims(claims: &Map<String, Value>, now: f64) -> Result<()> {
    // PyJWT applies int() to these: fractions are truncated.
    let seconds = |name: &str| -> Result<Option<f64>> {
        match claims.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .map(|t| Some(t.trunc()))
                .ok_or(Error::TokenRefused("malformed time claim")),
        }
    };
    if seconds("exp")?.is_some_and(|exp| exp <= now) {
        return refuse("exp claim in the past");
    }
    if seconds("nbf")?.is_some_and(|nbf| nbf > now) || seconds("iat")?.is_some_and(|iat| iat > now)
    {
        return refuse("not yet valid");
    }
    if claims.contains_key("aud") {
        return refuse("audience claim not accepted");
    }
    let is_string_if_present = |name: &str| claims.get(name).is_none_or(Value::is_string);
    if !is_string_if_present("sub") || !is_string_if_present("jti") {
        return refuse("malformed sub or jti claim");
    }
    Ok(())
}

/// `username` and `exp_date` as streamlit-authenticator reads them, plus
/// authgate's optional `sid` and `cv`.
fn own_claims(claims: &Map<String, Value>, now: f64) -> Result<Claims> {
    let username = match claims.get("username") {
        None => return refuse("missing username"),
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(_) => return refuse("username is not a non-empty string"),
    };
    let exp_date = match claims.get("exp_date") {
        None => return refuse("missing exp_date"),
        Some(value) => value
            .as_f64()
            .filter(|t| t.is_finite())
            .ok_or(Error::TokenRefused("exp_date is not a number"))?,
    };
    // Valid only while exp_date > now; a NaN `now` compares as nothing.
    if exp_date.partial_cmp(&now) != Some(Ordering::Greater) {
        return refuse("expired");
    }
    let optional_string = |name: &str| match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => refuse("malformed sid or cv claim"),
    };
    Ok(Claims {
        username,
        exp_date,
        sid: optional_string("sid")?,
        cv: optional_string("cv")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constant_is_pyjwt_header() {
        let json = URL_SAFE_NO_PAD.decode(HEADER).unwrap();
        assert_eq!(json, br#"{"alg":"HS256","typ":"JWT"}"#);
    }

    #[test]
    fn refusals_never_echo_the_token() {
        let key = TokenKey::new("k");
        let secretish = "c2VjcmV0LXRva2VuLXZhbHVl.eyJ1c2VybmFtZSI6InNlY3JldCJ9.c2ln";
        let err = decode(&key, secretish, 0.0).unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("c2Vj") && !text.contains("eyJ1"), "{text}");
        }
    }

    #[test]
    fn nan_now_refuses() {
        let key = TokenKey::new("k");
        let jwt = encode(&key, &Claims::new("u", 10.0)).unwrap();
        assert!(decode(&key, &jwt, f64::NAN).is_err());
    }
}
