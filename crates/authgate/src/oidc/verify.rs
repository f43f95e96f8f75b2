//! ID token checks (OpenID Connect Core §3.1.3.7) and the identity they
//! vouch for.

use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::discovery::IssuerRule;
use super::error::OidcFailure;
use super::jwks::SigningKey;
use crate::error::{Error, Result};
use crate::secret::constant_time_eq;
use crate::user::EmailKey;

/// Seconds of clock difference tolerated between us and the provider.
pub const CLOCK_SKEW: f64 = 60.0;

/// Longest ID token read, in bytes.
pub const MAX_ID_TOKEN_LEN: usize = 16 * 1024;

/// Microsoft's tenant of personal accounts, whose email addresses Microsoft
/// has verified.
const MICROSOFT_CONSUMERS_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Who the provider says logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's issuer.
    pub issuer: String,
    /// The provider's stable id of the user (`sub`).
    pub subject: String,
    /// The user's email address, lower-cased: the guest's username.
    pub email: String,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
    /// `given_name`, or the whole `name` if the token has no parts.
    pub first_name: String,
    /// `family_name`.
    pub last_name: String,
    /// `picture`, a URL.
    pub picture: Option<String>,
}

/// What the checks compare the token with.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Issuers allowed.
    pub issuer: &'a IssuerRule,
    /// Our client id: the audience.
    pub client_id: &'a str,
    /// The `nonce` sent with the authorization request.
    pub nonce: &'a str,
    /// The current time, Unix seconds.
    pub now: f64,
}

/// The `alg` and `kid` of a token's header, read before its key is chosen.
///
/// # Errors
///
/// [`Error::Oidc`] with [`OidcFailure::IdTokenRefused`] if the token is too
/// long or malformed, or is not signed with RS256 (`none`, HMAC and the rest
/// are refused here).
pub fn header_kid(id_token: &str) -> Result<Option<String>> {
    if id_token.len() > MAX_ID_TOKEN_LEN {
        return Err(OidcFailure::IdTokenRefused("too long").into());
    }
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|_| OidcFailure::IdTokenRefused("malformed"))?;
    if header.alg != Algorithm::RS256 {
        return Err(OidcFailure::IdTokenRefused("not signed with RS256").into());
    }
    Ok(header.kid)
}

/// Checks an ID token's signature with `key`, then its claims against
/// `expected`, and returns the identity it states.
///
/// Checked: RS256 signature; `iss` by the issuer rule (Microsoft's
/// multi-tenant rule uses the token's `tid`); `aud` contains the client id,
/// and `azp`, when present or when there are several audiences, is the
/// client id; `exp` not passed, `iat` and `nbf` not in the future (each with
/// [`CLOCK_SKEW`]); `nonce` equal, compared in constant time; `sub` present.
/// The email is taken only if the provider vouches for it (see
/// [`Identity::email_verified`] and `allow_unverified_email`).
///
/// # Errors
///
/// [`Error::Oidc`] with [`OidcFailure::IdTokenRefused`] naming the failed
/// check, or with [`OidcFailure::EmailNotVerified`].
pub fn verify_id_token(
    id_token: &str,
    key: &SigningKey,
    expected: &Expected<'_>,
    allow_unverified_email: bool,
) -> Result<Identity> {
    header_kid(id_token)?;
    // jsonwebtoken checks the signature only; every claim is checked below,
    // against our clock.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let data =
        jsonwebtoken::decode::<Map<String, Value>>(id_token, key.decoding_key(), &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => OidcFailure::IdTokenRefused("bad signature"),
                    _ => OidcFailure::IdTokenRefused("malformed"),
                }
            })?;
    check_claims(&data.claims, expected)?;
    identity(&data.claims, allow_unverified_email)
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<()> {
    let refuse = |reason: &'static str| Error::Oidc(OidcFailure::IdTokenRefused(reason));
    let string = |name: &str| claims.get(name).and_then(Value::as_str);
    let number = |name: &str| -> Result<Option<f64>> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or(refuse("malformed time claim")),
        }
    };

    let iss = string("iss").ok_or(refuse("no issuer"))?;
    if !expected.issuer.accepts(iss, string("tid")) {
        return Err(refuse("wrong issuer"));
    }

    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => return Err(refuse("no audience")),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(refuse("wrong audience"));
    }
    match string("azp") {
        Some(azp) if azp != expected.client_id => return Err(refuse("wrong authorized party")),
        None if audiences.len() > 1 => return Err(refuse("several audiences and no azp")),
        _ => {}
    }

    let exp = number("exp")?.ok_or(refuse("no expiry"))?;
    if expected.now >= exp + CLOCK_SKEW {
        return Err(refuse("expired"));
    }
    let iat = number("iat")?.ok_or(refuse("no issue time"))?;
    if iat > expected.now + CLOCK_SKEW {
        return Err(refuse("issued in the future"));
    }
    if let Some(nbf) = number("nbf")? {
        if nbf > expected.now + CLOCK_SKEW {
            return Err(refuse("not valid yet"));
        }
    }

    let nonce = string("nonce").ok_or(refuse("no nonce"))?;
    if !constant_time_eq(nonce.as_bytes(), expected.nonce.as_bytes()) {
        return Err(refuse("nonce mismatch"));
    }

    match string("sub") {
        Some(sub) if !sub.is_empty() && sub.len() <= 255 => Ok(()),
        _ => Err(refuse("no subject")),
    }
}

fn identity(claims: &Map<String, Value>, allow_unverified: bool) -> Result<Identity> {
    let string = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let flag = |name: &str| match claims.get(name) {
        Some(Value::Bool(b)) => *b,
        // Some providers send booleans as strings.
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let issuer = string("iss").unwrap_or_default().to_owned();
    let is_microsoft = issuer.starts_with("https://login.microsoftonline.com/");

    // Which address, and whether the provider vouches for it. Microsoft's
    // `email` is whatever the tenant admin typed unless `xms_edov` says the
    // domain is verified (or it is a personal account); its `upn` is always
    // on a domain the tenant verified.
    let (email, verified) = match string("email") {
        Some(email) => {
            let verified = flag("email_verified")
                || (is_microsoft
                    && (flag("xms_edov") || string("tid") == Some(MICROSOFT_CONSUMERS_TENANT)));
            (email, verified)
        }
        None => match string("upn").filter(|_| is_microsoft) {
            Some(upn) => (upn, true),
            None => return Err(OidcFailure::EmailNotVerified.into()),
        },
    };
    if !verified && !allow_unverified {
        return Err(OidcFailure::EmailNotVerified.into());
    }
    // Already trimmed (`string`): the fold only lower-cases it.
    let email = EmailKey::new(email).into_string();
    if !plausible_email(&email) {
        return Err(OidcFailure::IdTokenRefused("malformed email").into());
    }

    let (first_name, last_name) = match (string("given_name"), string("family_name")) {
        (None, None) => (string("name").unwrap_or_default(), ""),
        (given, family) => (given.unwrap_or_default(), family.unwrap_or_default()),
    };
    Ok(Identity {
        issuer,
        subject: string("sub").unwrap_or_default().to_owned(),
        email,
        email_verified: verified,
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        picture: string("picture")
            .filter(|p| p.starts_with("https://"))
            .map(str::to_owned),
    })
}

/// One `@`, something on each side, no spaces or control characters, at
/// most 254 bytes: the shape a username taken from it needs.
fn plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.is_empty()
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn good() -> Value {
        json!({
            "iss": "https://idp.example.com",
            "aud": "client-1",
            "sub": "1234",
            "exp": 2_000.0,
            "iat": 1_000,
            "nonce": "n-0S6_WzA2Mj",
            "email": "Ann@Example.com",
            "email_verified": true,
            "given_name": "Ann",
            "family_name": "Lee",
        })
    }

    fn check(v: Value) -> Result<()> {
        let rule = IssuerRule::Exact(vec!["https://idp.example.com".into()]);
        let expected = Expected {
            issuer: &rule,
            client_id: "client-1",
            nonce: "n-0S6_WzA2Mj",
            now: 1_500.0,
        };
        check_claims(&claims(v), &expected)
    }

    fn refused(v: Value) -> &'static str {
        match check(v) {
            Err(Error::Oidc(OidcFailure::IdTokenRefused(reason))) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn with(key: &str, value: Value) -> Value {
        let mut v = good();
        v[key] = value;
        v
    }

    fn without(key: &str) -> Value {
        let mut v = good();
        v.as_object_mut().map(|o| o.remove(key));
        v
    }

    #[test]
    fn a_good_token_passes() {
        check(good()).unwrap();
        check(with("aud", json!(["client-1"]))).unwrap();
        check(with("azp", json!("client-1"))).unwrap();
        let mut v = with("aud", json!(["client-1", "other"]));
        v["azp"] = json!("client-1");
        check(v).unwrap();
        // Inside the skew allowance.
        check(with("exp", json!(1_450))).unwrap();
        check(with("iat", json!(1_550))).unwrap();
    }

    #[test]
    fn each_claim_is_checked() {
        assert_eq!(
            refused(with("iss", json!("https://evil.example"))),
            "wrong issuer"
        );
        assert_eq!(refused(without("iss")), "no issuer");
        assert_eq!(refused(with("aud", json!("client-2"))), "wrong audience");
        assert_eq!(refused(with("aud", json!(["a", "b"]))), "wrong audience");
        assert_eq!(refused(without("aud")), "no audience");
        assert_eq!(
            refused(with("aud", json!(["client-1", "other"]))),
            "several audiences and no azp"
        );
        assert_eq!(
            refused(with("azp", json!("other"))),
            "wrong authorized party"
        );
        assert_eq!(refused(with("exp", json!(1_440))), "expired");
        assert_eq!(refused(without("exp")), "no expiry");
        assert_eq!(refused(with("exp", json!("2000"))), "malformed time claim");
        assert_eq!(refused(with("iat", json!(1_561))), "issued in the future");
        assert_eq!(refused(without("iat")), "no issue time");
        assert_eq!(refused(with("nbf", json!(1_561))), "not valid yet");
        assert_eq!(
            refused(with("nonce", json!("n-0S6_WzA2Mk"))),
            "nonce mismatch"
        );
        assert_eq!(refused(without("nonce")), "no nonce");
        assert_eq!(refused(with("sub", json!(""))), "no subject");
    }

    #[test]
    fn email_must_be_vouched_for() {
        let id = identity(&claims(good()), false).unwrap();
        assert_eq!(id.email, "ann@example.com");
        assert_eq!(
            (id.first_name.as_str(), id.last_name.as_str()),
            ("Ann", "Lee")
        );

        let unverified = with("email_verified", json!(false));
        assert!(matches!(
            identity(&claims(unverified.clone()), false),
            Err(Error::Oidc(OidcFailure::EmailNotVerified))
        ));
        assert!(!identity(&claims(unverified), true).unwrap().email_verified);
        assert!(matches!(
            identity(&claims(without("email")), true),
            Err(Error::Oidc(OidcFailure::EmailNotVerified))
        ));
        assert!(identity(&claims(with("email_verified", json!("true"))), false).is_ok());
        assert!(matches!(
            identity(&claims(with("email", json!("a@b@c"))), false),
            Err(Error::Oidc(OidcFailure::IdTokenRefused("malformed email")))
        ));
    }

    #[test]
    fn microsoft_email_rules() {
        let ms = |extra: Value| {
            let mut v = json!({
                "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
                "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "sub": "s",
                "name": "Ann Lee",
            });
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            identity(&claims(v), false)
        };
        // An admin-typed email is not proof of ownership (the nOAuth issue)…
        assert!(matches!(
            ms(json!({"email": "ceo@victim.example"})),
            Err(Error::Oidc(OidcFailure::EmailNotVerified))
        ));
        // …unless Microsoft says the domain is verified,
        let id = ms(json!({"email": "Ann@Contoso.com", "xms_edov": true})).unwrap();
        assert_eq!(id.email, "ann@contoso.com");
        assert_eq!(id.first_name, "Ann Lee");
        // or it is a personal account, or the upn is all there is (0.4.2's fallback).
        let mut personal = json!({"email": "ann@outlook.com"});
        personal["tid"] = json!(MICROSOFT_CONSUMERS_TENANT);
        assert!(ms(personal).is_ok());
        assert_eq!(
            ms(json!({"upn": "ann@contoso.com"})).unwrap().email,
            "ann@contoso.com"
        );
    }

    #[test]
    fn unsupported_algorithms_are_refused_before_any_key() {
        // {"alg":"HS256"}: a known algorithm, but not ours.
        let hs256 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
        assert!(matches!(
            header_kid(hs256),
            Err(Error::Oidc(OidcFailure::IdTokenRefused(
                "not signed with RS256"
            )))
        ));
        // {"alg":"none"}: not even an algorithm to jsonwebtoken.
        let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
        assert!(matches!(
            header_kid(none),
            Err(Error::Oidc(OidcFailure::IdTokenRefused(_)))
        ));
        assert!(matches!(
            header_kid("garbage"),
            Err(Error::Oidc(OidcFailure::IdTokenRefused("malformed")))
        ));
        let long = "a".repeat(MAX_ID_TOKEN_LEN + 1);
        assert!(matches!(
            header_kid(&long),
            Err(Error::Oidc(OidcFailure::IdTokenRefused("too long")))
        ));
    }
}
