//! The provider's signing keys (a JSON Web Key Set, RFC 7517) and how the
//! key of an ID token is chosen. Each key is read with jsonwebtoken's JWK
//! types; what is checked here is which keys may verify an ID token.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse};
use jsonwebtoken::DecodingKey;
use serde_json::Value;

use super::error::OidcFailure;
use crate::error::{Error, Result};

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// Largest RSA modulus accepted, in bits (verifying bigger keys costs time
/// for nothing; no provider uses them).
pub const MAX_RSA_BITS: usize = 4096;

/// Most keys read from one set.
const MAX_KEYS: usize = 64;

/// An RSA key that may verify RS256 signatures.
#[derive(Clone)]
pub struct SigningKey {
    /// Its `kid`, if it has one.
    pub kid: Option<String>,
    /// Modulus size in bits.
    pub bits: usize,
    key: DecodingKey,
}

impl SigningKey {
    /// The key, for `jsonwebtoken`.
    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// The usable keys of a key set: RSA keys for signatures (`use` absent or
/// `sig`, `alg` absent or `RS256`, `key_ops` absent or with `verify`), of
/// [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits. Other keys are skipped, not
/// errors: providers publish keys for other uses next to their signing keys.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<SigningKey>,
}

/// The outcome of looking a token's key up in a [`KeySet`].
#[derive(Debug)]
pub enum KeyChoice<'a> {
    /// The key to verify with.
    Found(&'a SigningKey),
    /// No key has the token's `kid`: the provider may have rotated its keys.
    UnknownKid,
    /// The token names no `kid` and the set has several keys (or none).
    Ambiguous,
}

impl KeySet {
    /// Parses a key set document.
    ///
    /// # Errors
    ///
    /// [`Error::Oidc`] with [`OidcFailure::Metadata`] if the document is not a
    /// key set or holds no usable key.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let bad = |detail: &str| {
            Error::Oidc(OidcFailure::Metadata {
                what: "key set",
                detail: detail.to_owned(),
            })
        };
        let doc: Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("has no keys array"))?;
        let keys: Vec<SigningKey> = keys.iter().take(MAX_KEYS).filter_map(rsa_key).collect();
        if keys.is_empty() {
            return Err(bad("has no RSA signing key of 2048 to 4096 bits"));
        }
        Ok(KeySet { keys })
    }

    /// The usable keys.
    #[must_use]
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The key for a token whose header names `kid`.
    ///
    /// With a `kid`, only the key of that id will do. Without one, the only
    /// key of a one-key set will; several keys make it ambiguous.
    #[must_use]
    pub fn choose(&self, kid: Option<&str>) -> KeyChoice<'_> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .map_or(KeyChoice::UnknownKid, KeyChoice::Found),
            None => match self.keys.as_slice() {
                [only] => KeyChoice::Found(only),
                _ => KeyChoice::Ambiguous,
            },
        }
    }
}

/// The key `entry` describes, if it is one [`KeySet`] keeps. Each entry is
/// read as a [`Jwk`] on its own, so that one malformed or exotic entry (a
/// `kid` that is not a string, an unknown `kty`) skips that key rather than
/// the whole set, as [`JwkSet`](jsonwebtoken::jwk::JwkSet) would.
fn rsa_key(entry: &Value) -> Option<SigningKey> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
        return None;
    };
    let common = &jwk.common;
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    if common
        .key_algorithm
        .is_some_and(|a| a != KeyAlgorithm::RS256)
    {
        return None;
    }
    if common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    // jsonwebtoken checks neither size: decode them to measure.
    let modulus = URL_SAFE_NO_PAD.decode(&rsa.n).ok()?;
    let exponent = URL_SAFE_NO_PAD.decode(&rsa.e).ok()?;
    let bits = bit_length(&modulus);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return None;
    }
    // A public exponent is odd, above 1 and at most 64 bits in practice.
    let exp_bits = bit_length(&exponent);
    if !(2..=64).contains(&exp_bits) || exponent.last().is_none_or(|b| b & 1 == 0) {
        return None;
    }
    Some(SigningKey {
        kid: common.key_id.clone(),
        bits,
        key: DecodingKey::from_jwk(&jwk).ok()?,
    })
}

/// Bits of a big-endian unsigned integer, leading zero bytes ignored.
fn bit_length(bytes: &[u8]) -> usize {
    let mut significant = bytes.iter().skip_while(|b| **b == 0);
    match significant.next() {
        None => 0,
        Some(top) => (8 - top.leading_zeros() as usize) + 8 * significant.count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 2048-bit modulus: top bit set, odd.
    fn modulus(bits: usize) -> String {
        let mut n = vec![0xA5_u8; bits / 8];
        n[0] = 0xC3;
        if let Some(last) = n.last_mut() {
            *last |= 1;
        }
        URL_SAFE_NO_PAD.encode(n)
    }

    fn key(kid: Option<&str>, extra: Value) -> Value {
        let mut k = json!({"kty": "RSA", "n": modulus(2048), "e": "AQAB"});
        if let Some(kid) = kid {
            k["kid"] = json!(kid);
        }
        if let (Some(k), Some(extra)) = (k.as_object_mut(), extra.as_object()) {
            for (name, value) in extra {
                k.insert(name.clone(), value.clone());
            }
        }
        k
    }

    fn set(keys: Vec<Value>) -> Vec<u8> {
        json!({ "keys": keys }).to_string().into_bytes()
    }

    #[test]
    fn chooses_by_kid() {
        let ks = KeySet::parse(&set(vec![
            key(Some("a"), json!({"use": "sig", "alg": "RS256"})),
            key(Some("b"), json!({})),
        ]))
        .unwrap();
        assert_eq!(ks.keys().len(), 2);
        assert!(
            matches!(ks.choose(Some("b")), KeyChoice::Found(k) if k.kid.as_deref() == Some("b"))
        );
        assert!(matches!(ks.choose(Some("c")), KeyChoice::UnknownKid));
        assert!(matches!(ks.choose(None), KeyChoice::Ambiguous));
    }

    #[test]
    fn a_single_key_serves_a_token_without_kid() {
        let ks = KeySet::parse(&set(vec![key(None, json!({}))])).unwrap();
        assert!(matches!(ks.choose(None), KeyChoice::Found(_)));
        // A named kid still has to match.
        assert!(matches!(ks.choose(Some("x")), KeyChoice::UnknownKid));
    }

    #[test]
    fn keys_for_other_uses_are_skipped() {
        let ks = KeySet::parse(&set(vec![
            key(Some("enc"), json!({"use": "enc"})),
            key(Some("ps"), json!({"alg": "PS256"})),
            key(Some("ops"), json!({"key_ops": ["encrypt"]})),
            json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}),
            json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
            key(Some("small"), json!({"n": modulus(1024)})),
            key(Some("huge"), json!({"n": modulus(8192)})),
            key(Some("even"), json!({"e": "AQAA"})),
            key(Some("one"), json!({"e": "AQ"})),
            key(Some("badb64"), json!({"n": "***"})),
            // Entries jsonwebtoken cannot read as a JWK skip only themselves.
            key(None, json!({"kid": 7})),
            key(Some("use"), json!({"use": 1})),
            json!({"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "AA"}),
            json!({"kty": "unknown", "kid": "u"}),
            key(Some("good"), json!({"key_ops": ["verify"]})),
        ]))
        .unwrap();
        let kids: Vec<_> = ks.keys().iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("good")]);
        assert_eq!(ks.keys()[0].bits, 2048);
        // An HMAC key must never be chosen, whatever the token says: that
        // would let anyone sign with the public "secret".
        assert!(matches!(ks.choose(Some("hmac")), KeyChoice::UnknownKid));
    }

    #[test]
    fn empty_or_malformed_sets_are_errors() {
        assert!(KeySet::parse(b"not json").is_err());
        assert!(KeySet::parse(b"{}").is_err());
        assert!(KeySet::parse(&set(vec![])).is_err());
        assert!(KeySet::parse(&set(vec![key(Some("e"), json!({"use": "enc"}))])).is_err());
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[1, 0, 1]), 17);
    }
}
