//! `authgate::token` against tokens written by PyJWT 2.15.1, as
//! streamlit-authenticator 0.4.2 uses it. The fixture is made by
//! `tests/fixtures/crypto/gen_fixtures.py`.

use authgate::error::Error;
use authgate::token::{self, credential_version, Claims, TokenKey, MAX_TOKEN_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Fixture {
    now: f64,
    cases: Vec<Case>,
    pyjwt_encoded: Vec<Encoded>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    key: String,
    token: String,
    /// `"ok"` or `"error:<PyJWT exception>"`.
    pyjwt: String,
    /// Whether streamlit-authenticator's `get_cookie` accepts it at `now`.
    streamlit_authenticator: bool,
    /// The claims authgate must return, or `None` for a refusal.
    expect: Option<Claims>,
}

#[derive(Deserialize)]
struct Encoded {
    key: String,
    claims: Value,
    token: String,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../fixtures/crypto/token_vectors.json"))
        .expect("fixture parses")
}

fn case<'a>(f: &'a Fixture, name: &str) -> &'a Case {
    f.cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn json_of(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("json")
}

#[test]
fn every_fixture_token_gets_the_expected_answer() {
    let f = fixture();
    for c in &f.cases {
        let got = token::decode(&TokenKey::new(&c.key), &c.token, f.now);
        match (&c.expect, got) {
            (Some(want), Ok(claims)) => assert_eq!(&claims, want, "{}", c.name),
            (None, Err(Error::TokenRefused(_))) => {}
            (want, got) => panic!("{}: expected {want:?}, got {got:?}", c.name),
        }
    }
}

#[test]
fn nothing_is_accepted_that_streamlit_authenticator_refuses() {
    for c in fixture().cases {
        if c.expect.is_some() {
            assert!(c.streamlit_authenticator && c.pyjwt == "ok", "{}", c.name);
        }
    }
}

#[test]
fn refusal_reasons() {
    let f = fixture();
    let reasons = [
        ("expired", "expired"),
        ("expires_exactly_now", "expired"),
        ("tampered_payload", "bad signature"),
        ("tampered_signature", "bad signature"),
        ("missing_signature", "bad signature"),
        ("wrong_key", "bad signature"),
        ("alg_none_unsigned", "algorithm not allowed"),
        ("alg_none_with_signature", "algorithm not allowed"),
        ("alg_None_capitalised", "algorithm not allowed"),
        ("hs384", "algorithm not allowed"),
        ("hs512", "algorithm not allowed"),
        ("rs256_garbage_signature", "algorithm not allowed"),
        ("rs256_header_hs256_signature", "algorithm not allowed"),
        ("missing_alg", "algorithm not allowed"),
        ("crit_header", "unsupported header parameter"),
        ("kid_not_string", "unsupported header parameter"),
        ("missing_username", "missing username"),
        ("empty_username", "username is not a non-empty string"),
        ("username_not_string", "username is not a non-empty string"),
        ("missing_exp_date", "missing exp_date"),
        ("exp_date_string", "exp_date is not a number"),
        ("exp_date_bool", "exp_date is not a number"),
        ("exp_date_null", "exp_date is not a number"),
        ("payload_not_object", "malformed claims"),
        ("payload_not_json", "malformed claims"),
        ("std_exp_past", "exp claim in the past"),
        ("std_exp_not_number", "malformed time claim"),
        ("std_nbf_future", "not yet valid"),
        ("std_iat_future", "not yet valid"),
        ("aud_present", "audience claim not accepted"),
        ("sid_not_string", "malformed sid or cv claim"),
        ("empty_key", "empty cookie key"),
        ("not_three_parts", "malformed token"),
        ("four_parts", "malformed token"),
        ("empty_string", "malformed token"),
        ("header_not_object", "malformed token"),
    ];
    for (name, reason) in reasons {
        let c = case(&f, name);
        let got = token::decode(&TokenKey::new(&c.key), &c.token, f.now);
        assert!(
            matches!(got, Err(Error::TokenRefused(r)) if r == reason),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn the_same_token_is_valid_until_exp_date() {
    let f = fixture();
    let c = case(&f, "sa_042_cookie_float_exp_date");
    let key = TokenKey::new(&c.key);
    let exp = c.expect.as_ref().expect("valid").exp_date;
    assert!(token::decode(&key, &c.token, exp - 0.001).is_ok());
    assert!(token::decode(&key, &c.token, exp).is_err());
    assert!(token::decode(&key, &c.token, exp + 1.0).is_err());
}

#[test]
fn refusals_never_echo_the_token() {
    let f = fixture();
    for c in f.cases.iter().filter(|c| c.expect.is_none()) {
        let err = token::decode(&TokenKey::new(&c.key), &c.token, f.now).unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            for part in c.token.split('.').filter(|p| p.len() >= 8) {
                assert!(!text.contains(part), "{}: {text}", c.name);
            }
            assert!(c.key.len() < 4 || !text.contains(&c.key), "{}", c.name);
        }
    }
}

#[test]
fn we_write_what_pyjwt_writes() {
    for e in fixture().pyjwt_encoded {
        let claims: Claims = serde_json::from_value(e.claims.clone()).expect("claims");
        let ours = token::encode(&TokenKey::new(&e.key), &claims).expect("encode");
        let (ours_parts, theirs_parts): (Vec<&str>, Vec<&str>) =
            (ours.split('.').collect(), e.token.split('.').collect());
        assert_eq!(ours_parts.len(), 3);
        // The header, byte for byte.
        assert_eq!(ours_parts[0], theirs_parts[0]);
        assert_eq!(
            URL_SAFE_NO_PAD.decode(ours_parts[0]).unwrap(),
            br#"{"alg":"HS256","typ":"JWT"}"#
        );
        // The payload: the same JSON, and even the same bytes.
        assert_eq!(json_of(ours_parts[1]), json_of(theirs_parts[1]));
        assert_eq!(json_of(ours_parts[1]), e.claims);
        assert_eq!(ours, e.token, "not byte-identical to PyJWT");
        // Each side reads the other's token.
        let key = TokenKey::new(&e.key);
        assert_eq!(token::decode(&key, &ours, 0.0).unwrap(), claims);
        assert_eq!(token::decode(&key, &e.token, 0.0).unwrap(), claims);
    }
}

#[test]
fn round_trip_with_session_claims() {
    let key = TokenKey::new("a much longer cookie key, 40 bytes long!");
    let claims = Claims {
        username: "Jürgen 😀".to_owned(),
        exp_date: 1_760_000_000.123_456,
        sid: Some("AAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        cv: Some(credential_version("$2b$12$abc")),
    };
    let jwt = token::encode(&key, &claims).unwrap();
    assert_eq!(token::decode(&key, &jwt, 1_750_000_000.0).unwrap(), claims);
    assert!(token::decode(&TokenKey::new("another key"), &jwt, 1_750_000_000.0).is_err());

    let plain = Claims::new("jsmith", 1_760_000_000.0);
    let jwt = token::encode(&key, &plain).unwrap();
    let payload = json_of(jwt.split('.').nth(1).unwrap());
    assert_eq!(
        payload,
        serde_json::json!({"username": "jsmith", "exp_date": 1_760_000_000.0})
    );
}

#[test]
fn encode_refuses_what_no_reader_could_use() {
    let key = TokenKey::new("k");
    let bad = [
        Claims::new("", 1.0),
        Claims::new("u", f64::NAN),
        Claims::new("u", f64::INFINITY),
        Claims::new("u".repeat(MAX_TOKEN_LEN), 1.0),
    ];
    for claims in &bad {
        assert!(matches!(
            token::encode(&key, claims),
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(matches!(
        token::encode(&TokenKey::new(""), &Claims::new("u", 1.0)),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn size_limit_is_enforced_on_both_sides() {
    let key = TokenKey::new("k");
    // The longest username that still fits: encode accepts, decode accepts.
    let mut longest = None;
    for len in (5_000..6_200).rev() {
        if let Ok(jwt) = token::encode(&key, &Claims::new("u".repeat(len), 10.0)) {
            longest = Some(jwt);
            break;
        }
    }
    let jwt = longest.expect("some username fits");
    assert!(jwt.len() <= MAX_TOKEN_LEN && jwt.len() > MAX_TOKEN_LEN - 8);
    assert!(token::decode(&key, &jwt, 0.0).is_ok());

    let huge = format!("{jwt}{}", "A".repeat(16));
    assert!(matches!(
        token::decode(&key, &huge, 0.0),
        Err(Error::TokenRefused("token too large"))
    ));
}

#[test]
fn every_single_character_change_is_refused() {
    let f = fixture();
    let c = case(&f, "authgate_claims");
    let key = TokenKey::new(&c.key);
    assert!(token::decode(&key, &c.token, f.now).is_ok());
    let bytes = c.token.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'A', b'g', b'_', b'.', b'='] {
            if bytes[i] == replacement {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            let got = token::decode(&key, &changed, f.now);
            // A change in the unused low bits of the last base64 character
            // of a segment would decode to the same bytes: the strict
            // decoder refuses those too, so nothing at all may pass.
            assert!(got.is_err(), "position {i} -> {}", replacement as char);
        }
        assert!(token::decode(&key, &c.token[..i], f.now).is_err());
    }
}

#[test]
fn keys_are_redacted() {
    let key = TokenKey::new("super secret cookie key");
    let shown = format!("{key:?} {key:#?}");
    assert!(!shown.contains("super"), "{shown}");
    assert_eq!(format!("{key:?}"), "TokenKey(<redacted>)");
}

#[test]
fn credential_version_is_a_stable_short_digest() {
    let stored = "$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    // sha256(b"authgate credential version v1\0" + hash)[:8].hex(), from Python;
    // changing it would revoke every cookie in the field.
    assert_eq!(credential_version(stored), "889c174a42ba36f0");
    assert_eq!(credential_version(""), "79662070016c83e5");
    let other = stored.replace("N9qo", "N9qp");
    assert_ne!(credential_version(&other), credential_version(stored));
    let cv = credential_version(stored);
    assert_eq!(cv.len(), 16);
    assert!(cv
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}

#[test]
fn fixture_covers_the_required_cases() {
    let f = fixture();
    for name in [
        "sa_042_cookie_float_exp_date",
        "int_exp_date",
        "expired",
        "tampered_payload",
        "tampered_signature",
        "wrong_key",
        "alg_none_unsigned",
        "hs512",
        "rs256_garbage_signature",
        "missing_username",
        "extra_claims",
        "unicode_username",
        "empty_key",
        "short_key",
    ] {
        case(&f, name);
    }
    assert!(f.now > 1.7e9);
}
