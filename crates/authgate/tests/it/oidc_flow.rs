//! The OpenID Connect flow end to end against a scripted provider: real
//! RS256 signatures, real PKCE, sealed pending logins, the guest
//! account and its session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authgate::auth::{AuthConfig, Authenticator, Login};
use authgate::clock::FakeClock;
use authgate::oidc::{
    pkce_challenge, Callback, ClientConfig, GuestLoginRequest, HttpResponse, OidcClient,
    OidcFailure, StateOwner, Transport,
};
use authgate::store::{DocStore, Store};
use authgate::token::TokenKey;
use authgate::yaml::{self, Map, Value};
use authgate::Error;

/// A cookie key strong enough for `AuthConfig::new`.
const COOKIE_KEY: &str = "a-cookie-key-of-32-bytes-or-more-0123456789";
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use url::Url;

const NOW: f64 = 1_800_000_000.0;
const CLIENT_ID: &str = "client-1";
const CLIENT_SECRET: &str = "s3cret-client";
const CODE: &str = "4/0AQSTgQ-the-code";
const BINDING: &str = "browser-binding-1";

// Test-only RSA keys (2048 bits), generated for these tests and used nowhere else.
const KEY_A_DER: &str = "MIIEpAIBAAKCAQEA6+sruOiXE4ZYIK8T7EAaj5BB/geVEmVroh2yeqTckRt7vkHRYDquQ/HBs8fplgmBsgixd4UtdaBL6SKwnsvz9cHgCpbaGMkVnO+5F1YRqBnAi1bSuRh0R1wkb2brE4cvhNxBSEDI0UTgnhj4UTtyuuYt3Sb17aWlG48doWZx94J/lXsCrkVZK/7tNPkoGSgCba1lRys3Enr0lgbz+Ocj7/wL3r4uzbS6+N/iT/TxdPnPcqZZKwPBz+EShbiuVySjlVYASOAnJemy+iDWbrc3dom63erD38o7ehQKcUIi0W2YilxppEtuH7EnGhvjGecAXMmmID+QyjEHKwH74bfGpQIDAQABAoIBAAWEQ8r4oWPC/feRsIETRKu7v1dN3RYHihtJ330PstqvzlZ2GovKA34yPonSMGuiQEal/mRhmF0KSQwkFAY6lbNW+8KzoVj4BsnbLzRU/me0ZnS7rITIhhuPE4kJWpDj1eAg+GPUo/2Ew03fHptjrPyi2kq0GQccGv7Ie3RlPWAAwTWsJ6uv/Lg6FPCTsHJS8DN0ULJTNy9keQoG6wMu//0FTRF490TPPdjdmY5uu0c9blwZjYM7DH14IxITtTC/fHXSWdntm3C4JsKlnreVIDvXH72x6HNhUaXNdtbBYcWoKX/u+igprxeDMHvb6wDe448JAOOyLEFleuNee+PH2IECgYEA9d2nFjQET1rgsuE8Tn8WOXpxDfZSAzolfyVNGZeduStNEbjUQf13AqFCLAaAUQgLY6/7hQQHv45ua4Ix1FwBjg+0kMP0VbS1L0yMfSUvV+mpeP7cyoKGmnrlPFckgqcR9jJW1fsxX/HZCCkd+o6MVWsrFABh55mywWI4KpADSEECgYEA9aSOdVDMyfgSwdwG2Rk2MnVc49zZSMqcDDNX34qhATDhvqIw9p+LibfYG63i7RrgSe2c8exBzDZ8KtykSmlGdpvLwNMbMrFWAsBPC/54HjLcfDN43Cqakobj3FkOQLECUjqKssqfEOcNfjvYbeInOp4AeR4Z+RwoXNywN1dDBWUCgYBgN1i/AKY7I9ZRSoGeOm/JGJiLnTylFKk946wTetj3cPGdINa36GgdeFv7/KNUkrBaV7E3ccdSeHvPyMiVUVgubwj7qiPBMpHBK9TC2L15SvDOb/aZrZDdfYCeJ4AbPSRzU2nWHZJJ+Mw1PFoGBqj2eJUII8osp2Jj+Xr/dRJDwQKBgQDwVOfsb/ltQYFYmmU40ynrhFg1uEX+qfyzEyjOVVvhRmoXkahGIyLqwyx1KFP1l24J5qi/KV/W5Rfm96jmBMokEZnwNptNpaN5XZ35JidvpGOEQPfmsOg6pC8bzyXatVSIDy7UbtniN61D7Fl8aN/owd3EombXC22SLXlbK80u4QKBgQCwUbwsWsysbaeMXyOmZF3Eakxncq38RkxevdslzqgSE/fU8CPP7iEjrEIN3YbyETk0oPfOpXryzWUrZM08gzaj6GCg/ojlt/Zl/yuw+O6NXFigQgOF9yI4DxA0OdeI6W9bpFAtnmhDRWCK5zw7F4rDJfihV8VeyF8WUhXHKKQQGQ==";
const KEY_A_N: &str = "6-sruOiXE4ZYIK8T7EAaj5BB_geVEmVroh2yeqTckRt7vkHRYDquQ_HBs8fplgmBsgixd4UtdaBL6SKwnsvz9cHgCpbaGMkVnO-5F1YRqBnAi1bSuRh0R1wkb2brE4cvhNxBSEDI0UTgnhj4UTtyuuYt3Sb17aWlG48doWZx94J_lXsCrkVZK_7tNPkoGSgCba1lRys3Enr0lgbz-Ocj7_wL3r4uzbS6-N_iT_TxdPnPcqZZKwPBz-EShbiuVySjlVYASOAnJemy-iDWbrc3dom63erD38o7ehQKcUIi0W2YilxppEtuH7EnGhvjGecAXMmmID-QyjEHKwH74bfGpQ";
const KEY_B_DER: &str = "MIIEpAIBAAKCAQEAwu0Eu4LQ/KVjYMMfg2M4a/j8tcKddBiIbdDCYjZqmzLe1fOMN8b3CP4s42O63TMwFt8KVzcjFnFaNzthkNOXm1aTx82PN10YlVkpxlM7FS0NfRC3w61W+ZPVjM9aiHt0ICqB0disk7r1ft6Cg+jWyB680f6Q0qUOJ1lw5F7O8Fnz8BJP4Viaz+SDZyQjRvPiQB9gHVEsinQcL6kmR+J4l4VcJTnGlrtRZgnjlCA7WyoaFyHXIGecU4N13l/qtx6gcXXU4Cee0l3zEt+12YiR4zJanOJApdJIXZT++ojSCXNdHIaiMd3luqq22ij9KniGfPkGdiaxtQWOxeg5jjZ1kQIDAQABAoIBABOzcGvCPjyWu6tTNUtqexCgnuwA8jiCZUGSHJ9gCBjNBKwjnCukAqJITEGkOgXyzzy0iL9FXZi+VqOn7wW7+QH0d2W1jzDFij9H/nqivWE3xzn5d1VB3v1FFYuQhoIuVg+NNEdBCro4pmjO9Op/nTunLabcv4bmsz5DYi9WrLwqcfhGTYL6kA1w35mCPOFUi1fLXM6PlQFadFLvroW3Ol6/OI2UKP+kMSXOXnyz7KOP+8mFEyFaHPd1i8SAYrtT0S54DoBXlLUF0Y1iwrv0lnD6wKRhQY62L3pzCv6Fxo3Ba5DLvod6lSjxJPAAvQE+fVwY26Q2tn4WsXoP2s0yYSUCgYEA8nw4QNkm850GNKd99CmVdQpR/GnnQxc8h2XPKm/w0v/zoqRPLrxasDMcoEIcS6QFSUcYQ+ScF4ox/iXnHI4h5hkIp/AWjATkE8efGRWGVvN8ERYuIQJbxYB4d7c0xZg2F5GSaf05nM22iXBDYYwPAtjhuCLVqvtVjtfpYcHlFqUCgYEAzco4qPCid79cEboKrNsgsqEwkWppEZlYgM02tqgO3K1fkPMMNvLnBQxV2E8Ifk+IA32iQtZVHY160CgpN+oQqSK5czl6FwpT3i8/uAOuCa0GlcZwfZhSm9hO+hYH+aN0bi7typHWyKiwMuVm6rRf4vv12KCep3HDujd5Lm1rG30CgYEAjKePfdY4aPE5i0tonTuNzUE6Q18u3VTaMHPW0nfySoJbUYlbwPFS7YgIX9FZVmsDAflyUteFz4XC7/gOchrkAPOeeMOkYH3pyqttVwCMV12PJt4lzdHvZ8XYmyCzRLbBEbTIKCDRzWnqKxjqjOfQQUeKzuOt6ys0+tG1N5ZgC10CgYAMJU9KyUkNgEHS2gQfR5+aa2EOdBVXcJGEqJf+F9UouSLWz0F9TMDNz3iRl7iMm+0PJ68X+sZzRBJnjrdAEZSCJwaDAnVuPrHMf0VnevAeqhOla1zgTMkzYYTnxb0awsbwadynBAyFM0+S8W8tkw/FudE8w94ZS+GdcAC6+MJFkQKBgQDjeRwVudi3Zi75EtVn4dFLY76PVhK99us5uKHieT20LI4TAUx9dnOWZI0VyYUREXcMgudktndsBsF6E4V2OAhLOpxv2pi6dyVPFm4nEh1HZlg5gP7sgSoVDSfWkOhuyVUk07v4qHvId3G1d/GpEUtQjdhgrEMfSlaD0vTvWW8rXw==";
const KEY_B_N: &str = "wu0Eu4LQ_KVjYMMfg2M4a_j8tcKddBiIbdDCYjZqmzLe1fOMN8b3CP4s42O63TMwFt8KVzcjFnFaNzthkNOXm1aTx82PN10YlVkpxlM7FS0NfRC3w61W-ZPVjM9aiHt0ICqB0disk7r1ft6Cg-jWyB680f6Q0qUOJ1lw5F7O8Fnz8BJP4Viaz-SDZyQjRvPiQB9gHVEsinQcL6kmR-J4l4VcJTnGlrtRZgnjlCA7WyoaFyHXIGecU4N13l_qtx6gcXXU4Cee0l3zEt-12YiR4zJanOJApdJIXZT--ojSCXNdHIaiMd3luqq22ij9KniGfPkGdiaxtQWOxeg5jjZ1kQ";

fn key(der: &str) -> EncodingKey {
    EncodingKey::from_rsa_der(&STANDARD.decode(der).expect("test key is base64"))
}

fn jwk(kid: &str, n: &str) -> serde_json::Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": "AQAB"})
}

/// What the scripted provider does on the next token request.
struct Script {
    /// Claims merged over the good ones (`null` removes a claim).
    overrides: serde_json::Value,
    /// Sign with key B instead of A.
    sign_with_b: bool,
    /// The `kid` in the header.
    kid: Option<&'static str>,
    /// Keys published at the JWKS endpoint.
    jwks: Vec<serde_json::Value>,
    /// Answer the token request with this error instead.
    token_error: Option<(u16, &'static str)>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            overrides: json!({}),
            sign_with_b: false,
            kid: Some("a"),
            jwks: vec![jwk("a", KEY_A_N)],
            token_error: None,
        }
    }
}

/// A provider at `base`, answering the transport's requests as a real one
/// would: it checks the PKCE verifier against the challenge it was sent and
/// signs an ID token carrying the nonce it was sent.
struct FakeProvider {
    base: String,
    issuer: String,
    script: Mutex<Script>,
    /// Query parameters of authorization requests, by `state`.
    authorizations: Mutex<HashMap<String, HashMap<String, String>>>,
    jwks_fetches: Mutex<usize>,
}

impl std::fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeProvider")
    }
}

fn respond(status: u16, body: &serde_json::Value) -> Result<HttpResponse, Error> {
    Ok(HttpResponse {
        status,
        body: body.to_string().into_bytes(),
    })
}

impl FakeProvider {
    fn new(name: &str) -> Arc<Self> {
        let base = format!("https://{name}.idp.test");
        Arc::new(FakeProvider {
            issuer: base.clone(),
            base,
            script: Mutex::new(Script::default()),
            authorizations: Mutex::default(),
            jwks_fetches: Mutex::new(0),
        })
    }

    fn microsoft(name: &str) -> Arc<Self> {
        Arc::new(FakeProvider {
            base: format!("https://{name}.idp.test"),
            issuer: "https://login.microsoftonline.com/{tenantid}/v2.0".to_owned(),
            script: Mutex::new(Script::default()),
            authorizations: Mutex::default(),
            jwks_fetches: Mutex::new(0),
        })
    }

    /// The browser follows the authorization URL: the provider records what
    /// it was asked and (auto-consent) redirects back with code and state.
    fn authorize(&self, url: &str) -> String {
        let url = Url::parse(url).expect("authorization URL");
        assert!(url
            .as_str()
            .starts_with(&format!("{}/authorize?", self.base)));
        let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let state = params["state"].clone();
        self.authorizations
            .lock()
            .unwrap()
            .insert(state.clone(), params);
        state
    }

    fn id_token(&self, params: &HashMap<String, String>) -> String {
        let script = self.script.lock().unwrap();
        let mut claims = json!({
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": "110169484474386276334",
            "iat": NOW as i64,
            "exp": NOW as i64 + 3600,
            "nonce": params["nonce"],
            "email": "Ann.Lee@Example.com",
            "email_verified": true,
            "given_name": "Ann",
            "family_name": "Lee",
            "picture": "https://example.com/ann.png",
        });
        if let (Some(c), Some(o)) = (claims.as_object_mut(), script.overrides.as_object()) {
            for (k, v) in o {
                if v.is_null() {
                    c.remove(k);
                } else {
                    c.insert(k.clone(), v.clone());
                }
            }
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = script.kid.map(str::to_owned);
        let key = key(if script.sign_with_b {
            KEY_B_DER
        } else {
            KEY_A_DER
        });
        jsonwebtoken::encode(&header, &claims, &key).expect("signing works")
    }
}

impl Transport for FakeProvider {
    fn get(&self, _what: &'static str, url: &Url) -> Result<HttpResponse, Error> {
        if url.as_str() == format!("{}/.well-known/openid-configuration", self.base) {
            return respond(
                200,
                &json!({
                    "issuer": self.issuer,
                    "authorization_endpoint": format!("{}/authorize", self.base),
                    "token_endpoint": format!("{}/token", self.base),
                    "jwks_uri": format!("{}/jwks", self.base),
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                }),
            );
        }
        if url.as_str() == format!("{}/jwks", self.base) {
            *self.jwks_fetches.lock().unwrap() += 1;
            return respond(200, &json!({"keys": self.script.lock().unwrap().jwks}));
        }
        respond(404, &json!({}))
    }

    fn post_form(
        &self,
        _what: &'static str,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<HttpResponse, Error> {
        assert_eq!(url.as_str(), format!("{}/token", self.base));
        let form: HashMap<&str, &str> = form.iter().copied().collect();
        if let Some((status, error)) = self.script.lock().unwrap().token_error {
            return respond(status, &json!({"error": error, "error_description": CODE}));
        }
        // The provider finds the authorization by its code; ours has one code
        // per test, so look the request up by the verifier's challenge.
        let authorizations = self.authorizations.lock().unwrap();
        let params = authorizations.values().find(|p| {
            p.get("code_challenge").map(String::as_str)
                == Some(pkce_challenge(form["code_verifier"]).as_str())
        });
        let good = form["grant_type"] == "authorization_code"
            && form["code"] == CODE
            && form["client_id"] == CLIENT_ID
            && form.get("client_secret") == Some(&CLIENT_SECRET)
            && params.is_some_and(|p| {
                p["code_challenge_method"] == "S256" && p["redirect_uri"] == form["redirect_uri"]
            });
        match params {
            Some(params) if good => respond(
                200,
                &json!({"access_token": "at", "token_type": "Bearer", "id_token": self.id_token(params)}),
            ),
            _ => respond(400, &json!({"error": "invalid_grant"})),
        }
    }
}

fn settings(provider: &FakeProvider) -> Value {
    let mut map = Map::new();
    map.insert("client_id", Value::Str(CLIENT_ID.into()));
    map.insert("client_secret", Value::Str(CLIENT_SECRET.into()));
    map.insert("redirect_uri", Value::Str("http://localhost:8501/".into()));
    map.insert(
        "server_metadata_url",
        Value::Str(format!(
            "{}/.well-known/openid-configuration",
            provider.base
        )),
    );
    Value::Map(map)
}

fn client(provider: &Arc<FakeProvider>) -> OidcClient {
    let config = ClientConfig::from_settings(Some("test"), &settings(provider)).unwrap();
    let transport: Arc<dyn Transport> = provider.clone();
    OidcClient::with_transport(config, transport)
}

/// Starts a login, lets the provider redirect back, returns the `state`.
fn start(provider: &FakeProvider, client: &OidcClient) -> String {
    let request = client.begin(BINDING, NOW).unwrap();
    let state = provider.authorize(&request.url);
    assert_eq!(state, request.state);
    state
}

fn finish(client: &OidcClient, state: &str) -> Result<authgate::oidc::Identity, Error> {
    client.complete(
        &Callback {
            state,
            code: Some(CODE),
            error: None,
            bindings: &["other-browser", BINDING],
        },
        NOW + 5.0,
    )
}

fn refusal(provider: &Arc<FakeProvider>, script: Script) -> String {
    *provider.script.lock().unwrap() = script;
    let client = client(provider);
    let state = start(provider, &client);
    let err = finish(&client, &state).unwrap_err();
    err.to_string()
}

#[test]
fn authorization_url_has_pkce_state_nonce_and_scopes() {
    let provider = FakeProvider::new("url");
    let client = client(&provider);
    let request = client.begin(BINDING, NOW).unwrap();
    let url = Url::parse(&request.url).unwrap();
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], "http://localhost:8501/");
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["state"], request.state);
    for name in ["nonce", "code_challenge"] {
        assert_eq!(q[name].len(), 43, "{name}");
    }
    // Random part and expiry, then three tags: 32 + 1 + 64 characters.
    assert_eq!(q["state"].len(), 97);
    assert_ne!(q["state"], q["nonce"]);
    assert!(!request.url.contains(CLIENT_SECRET));
    assert_eq!(request.expires, NOW + 600.0);
    assert!(!format!("{request:?}").contains(&request.state));
    // A second login gets fresh values.
    let again = client.begin(BINDING, NOW).unwrap();
    assert_ne!(again.state, request.state);
}

#[test]
fn the_flow_yields_the_verified_identity() {
    let provider = FakeProvider::new("ok");
    let client = client(&provider);
    let state = start(&provider, &client);
    let id = finish(&client, &state).unwrap();
    assert_eq!(id.email, "ann.lee@example.com");
    assert_eq!(id.issuer, "https://ok.idp.test");
    assert_eq!(
        (id.first_name.as_str(), id.last_name.as_str()),
        ("Ann", "Lee")
    );
    assert_eq!(id.picture.as_deref(), Some("https://example.com/ann.png"));
    assert!(id.email_verified);
}

#[test]
fn a_state_is_used_once_and_only_by_its_browser() {
    let provider = FakeProvider::new("state");
    let client = client(&provider);
    let state = start(&provider, &client);
    finish(&client, &state).unwrap();
    assert!(matches!(
        finish(&client, &state),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));

    // Forged state.
    assert!(matches!(
        finish(&client, "forged-state-value"),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));

    // Started in another browser: refused, and used up all the same.
    let state = start(&provider, &client);
    let other = Callback {
        state: &state,
        code: Some(CODE),
        error: None,
        bindings: &["attacker-binding"],
    };
    assert!(matches!(
        client.complete(&other, NOW + 5.0),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));
    assert!(matches!(
        finish(&client, &state),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));

    // Expired.
    let state = start(&provider, &client);
    let late = Callback {
        state: &state,
        code: Some(CODE),
        error: None,
        bindings: &[BINDING],
    };
    assert!(matches!(
        client.complete(&late, NOW + 601.0),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));

    // Started by another client of the same provider.
    let state = start(&provider, &client);
    assert_eq!(client.state_owner(&state, NOW), StateOwner::This);
    assert_eq!(client.state_owner("forged", NOW), StateOwner::Unknown);
    let mut other_settings = settings(&provider);
    if let Value::Map(m) = &mut other_settings {
        m.insert("client_id", Value::Str("client-2".into()));
    }
    let transport: Arc<dyn Transport> = provider.clone();
    let other_client = OidcClient::with_transport(
        ClientConfig::from_settings(Some("test"), &other_settings).unwrap(),
        transport,
    );
    assert_eq!(other_client.state_owner(&state, NOW), StateOwner::Other);
    assert!(matches!(
        finish(&other_client, &state),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));
}

#[test]
fn each_bad_id_token_is_refused() {
    let provider = FakeProvider::new("bad");
    let over = |v: serde_json::Value| Script {
        overrides: v,
        ..Default::default()
    };
    assert_eq!(
        refusal(
            &provider,
            Script {
                sign_with_b: true,
                ..Default::default()
            }
        ),
        "ID token refused: bad signature"
    );
    assert_eq!(
        refusal(&provider, over(json!({"aud": "someone-else"}))),
        "ID token refused: wrong audience"
    );
    assert_eq!(
        refusal(&provider, over(json!({"iss": "https://evil.idp.test"}))),
        "ID token refused: wrong issuer"
    );
    assert_eq!(
        refusal(&provider, over(json!({"nonce": "replayed-nonce"}))),
        "ID token refused: nonce mismatch"
    );
    assert_eq!(
        refusal(&provider, over(json!({"exp": NOW as i64 - 120}))),
        "ID token refused: expired"
    );
    assert_eq!(
        refusal(&provider, over(json!({"email_verified": false}))),
        "The identity provider did not supply a verified email address"
    );
    // A token without kid, from a provider with two keys.
    let two_keys = FakeProvider::new("two-keys");
    let script = Script {
        kid: None,
        jwks: vec![jwk("a", KEY_A_N), jwk("b", KEY_B_N)],
        ..Default::default()
    };
    assert_eq!(
        refusal(&two_keys, script),
        "ID token refused: no key id and several keys"
    );
}

#[test]
fn an_unknown_kid_refetches_the_keys_but_not_too_often() {
    let provider = FakeProvider::new("rotate");
    let client = client(&provider);
    let state = start(&provider, &client);
    finish(&client, &state).unwrap();
    assert_eq!(*provider.jwks_fetches.lock().unwrap(), 1);

    // The provider rotates to key B; the cached set (just fetched) has no "b".
    {
        let mut script = provider.script.lock().unwrap();
        script.kid = Some("b");
        script.sign_with_b = true;
        script.jwks = vec![jwk("a", KEY_A_N), jwk("b", KEY_B_N)];
    }
    let state = start(&provider, &client);
    assert_eq!(
        finish(&client, &state).unwrap_err().to_string(),
        "ID token refused: unknown signing key"
    );
    assert_eq!(*provider.jwks_fetches.lock().unwrap(), 1, "rate limited");

    // Past the refetch interval the new key is fetched and used.
    let client = client.with_jwks_refetch_interval(Duration::ZERO);
    let state = start(&provider, &client);
    finish(&client, &state).unwrap();
    assert_eq!(*provider.jwks_fetches.lock().unwrap(), 2);
    // Known keys come from the cache.
    let state = start(&provider, &client);
    finish(&client, &state).unwrap();
    assert_eq!(*provider.jwks_fetches.lock().unwrap(), 2);
}

#[test]
fn microsoft_common_issuer_is_the_tokens_own_tenant() {
    let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let provider = FakeProvider::microsoft("ms");
    // `server_metadata_url` makes a discovery provider, whose issuer is
    // compared exactly: Microsoft's template is refused there.
    let mut s = settings(&provider);
    if let Value::Map(m) = &mut s {
        m.insert("tenant_id", Value::Str("common".into()));
    }
    let transport: Arc<dyn Transport> = provider.clone();
    let client = OidcClient::with_transport(
        ClientConfig::from_settings(Some("microsoft"), &s).unwrap(),
        transport,
    );
    assert!(client.begin(BINDING, NOW).is_err());

    // `tenant_id: common`, with the fake standing in for login.microsoftonline.com.
    let ms = MicrosoftStandIn::new(provider.clone());
    let mut s = settings(&provider);
    if let Value::Map(m) = &mut s {
        m.remove("server_metadata_url");
        m.insert("tenant_id", Value::Str("common".into()));
    }
    let transport: Arc<dyn Transport> = ms;
    let client = OidcClient::with_transport(
        ClientConfig::from_settings(Some("microsoft"), &s).unwrap(),
        transport,
    );
    let own = format!("https://login.microsoftonline.com/{tid}/v2.0");
    *provider.script.lock().unwrap() = Script {
        overrides: json!({"iss": own, "tid": tid, "xms_edov": true, "email_verified": null}),
        ..Default::default()
    };
    let state = start(&provider, &client);
    finish(&client, &state).unwrap();

    // Another tenant's issuer than the token's own tid.
    *provider.script.lock().unwrap() = Script {
        overrides: json!({
            "iss": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            "tid": tid,
        }),
        ..Default::default()
    };
    let state = start(&provider, &client);
    assert_eq!(
        finish(&client, &state).unwrap_err().to_string(),
        "ID token refused: wrong issuer"
    );
}

/// Serves the fake provider's documents at Microsoft's URLs.
#[derive(Debug)]
struct MicrosoftStandIn {
    inner: Arc<FakeProvider>,
}

impl MicrosoftStandIn {
    fn new(inner: Arc<FakeProvider>) -> Arc<Self> {
        Arc::new(MicrosoftStandIn { inner })
    }

    fn map(&self, url: &Url) -> Url {
        let ms = "https://login.microsoftonline.com/common/v2.0";
        let mapped = url.as_str().replacen(ms, &self.inner.base, 1);
        Url::parse(&mapped).unwrap()
    }
}

impl Transport for MicrosoftStandIn {
    fn get(&self, what: &'static str, url: &Url) -> Result<HttpResponse, Error> {
        self.inner.get(what, &self.map(url))
    }

    fn post_form(
        &self,
        what: &'static str,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<HttpResponse, Error> {
        self.inner.post_form(what, &self.map(url), form)
    }
}

#[test]
fn provider_and_token_endpoint_errors_name_only_standard_codes() {
    let provider = FakeProvider::new("errors");
    let client = client(&provider);
    let state = start(&provider, &client);
    let refused = Callback {
        state: &state,
        code: None,
        error: Some("access_denied"),
        bindings: &[BINDING],
    };
    assert_eq!(
        client.complete(&refused, NOW).unwrap_err().to_string(),
        "The identity provider refused the login: access_denied"
    );
    // The state is used up by that answer.
    assert!(matches!(
        finish(&client, &state),
        Err(Error::Oidc(OidcFailure::StateMismatch))
    ));

    let state = start(&provider, &client);
    let planted = Callback {
        state: &state,
        code: None,
        error: Some("Your account is locked, call +1 555 0100"),
        bindings: &[BINDING],
    };
    assert_eq!(
        client.complete(&planted, NOW).unwrap_err().to_string(),
        "The identity provider refused the login: unrecognised error"
    );

    let message = refusal(
        &provider,
        Script {
            token_error: Some((400, "invalid_grant")),
            ..Default::default()
        },
    );
    assert_eq!(
        message,
        "The identity provider refused the authorization code: invalid_grant"
    );
    assert!(!message.contains(CODE) && !message.contains(CLIENT_SECRET));
}

fn store() -> Arc<DocStore> {
    let hash = authgate::password::hash_with_cost("abc", 4).unwrap();
    let text = format!(
        "usernames:\n  jsmith:\n    email: jsmith@example.com\n    first_name: John\n    last_name: Smith\n    password: '{hash}'\n  taken@example.com:\n    email: taken@example.com\n    password: '{hash}'\n"
    );
    Arc::new(DocStore::in_memory(yaml::parse(&text, "<test>".as_ref()).unwrap()).unwrap())
}

fn request(roles: Option<&[String]>, max: Option<u32>) -> GuestLoginRequest<'_> {
    GuestLoginRequest {
        max_concurrent_users: max,
        single_session: false,
        roles,
    }
}

/// A guest login at `NOW + 5` through an authenticator whose cookie lasts
/// `cookie_expiry_days`.
fn guest_with_expiry(
    store: &Arc<DocStore>,
    provider: &Arc<FakeProvider>,
    req: &GuestLoginRequest<'_>,
    cookie_expiry_days: f64,
) -> Result<Login, Error> {
    let auth = Authenticator::with_clock(
        store.clone(),
        AuthConfig::new(TokenKey::new(COOKIE_KEY), cookie_expiry_days).unwrap(),
        Arc::new(FakeClock::new(NOW + 5.0)),
    );
    let client = client(provider);
    let state = start(provider, &client);
    let callback = Callback {
        state: &state,
        code: Some(CODE),
        error: None,
        bindings: &[BINDING],
    };
    auth.guest_login(&client, &callback, req)
}

fn guest(
    store: &Arc<DocStore>,
    provider: &Arc<FakeProvider>,
    req: &GuestLoginRequest<'_>,
) -> Result<Login, Error> {
    guest_with_expiry(store, provider, req, 30.0)
}

#[test]
fn a_guest_is_registered_without_password_and_gets_a_session() {
    let store = store();
    let provider = FakeProvider::new("guest");
    let roles = vec!["viewer".to_owned()];
    let g = guest(&store, &provider, &request(Some(&roles), None)).unwrap();
    assert_eq!(g.user.username, "ann.lee@example.com");
    assert_eq!(g.user.email.as_deref(), Some("ann.lee@example.com"));
    assert_eq!(g.user.display_name().as_deref(), Some("Ann Lee"));
    assert_eq!(g.user.roles.as_deref(), Some(roles.as_slice()));
    assert!(g.user.password_hash.is_none());
    assert_eq!(g.session.expires, NOW + 5.0 + 30.0 * 86_400.0);
    assert!(store.session(&g.session.id).unwrap().is_some());
    let record = store.user_record("ann.lee@example.com").unwrap().unwrap();
    let record = record.as_map().unwrap();
    assert!(record.get("password").is_none());
    assert_eq!(record.get("logged_in"), Some(&Value::Bool(true)));

    // Returning with new names and roles: updated, still no password.
    *provider.script.lock().unwrap() = Script {
        overrides: json!({"given_name": "Anne"}),
        ..Default::default()
    };
    let g = guest(&store, &provider, &request(None, None)).unwrap();
    assert_eq!(g.user.first_name.as_deref(), Some("Anne"));
    assert_eq!(g.user.roles, None);

    // The audit trail has both logins.
    let events = store.recent_events(10).unwrap();
    let logins = events
        .iter()
        .filter(|e| e.kind == "login" && e.detail.as_deref() == Some("oidc"))
        .count();
    assert_eq!(logins, 2);

    // A guest cannot log in with a password.
    let auth = Authenticator::new(
        store.clone(),
        AuthConfig::new(TokenKey::new(COOKIE_KEY), 30.0).unwrap(),
    );
    let attempt = authgate::auth::LoginRequest {
        username: "ann.lee@example.com",
        password: "",
        ..Default::default()
    };
    assert!(matches!(
        auth.login(&attempt),
        Err(Error::InvalidCredentials { .. })
    ));
}

#[test]
fn an_email_of_a_password_user_is_refused() {
    let store = store();
    let provider = FakeProvider::new("taken");
    for email in ["taken@example.com", "JSmith@Example.com"] {
        *provider.script.lock().unwrap() = Script {
            overrides: json!({"email": email}),
            ..Default::default()
        };
        let err = guest(&store, &provider, &request(None, None)).unwrap_err();
        assert_eq!(err.to_string(), "User already exists");
    }
    let last = store.recent_events(1).unwrap();
    assert_eq!(last[0].kind, "login_refused");
    assert_eq!(last[0].detail.as_deref(), Some("oidc: user_exists"));
    assert_eq!(last[0].username.as_deref(), Some("jsmith@example.com"));
}

#[test]
fn session_limits_apply_to_guests() {
    let store = store();
    let auth = Authenticator::with_clock(
        store.clone(),
        AuthConfig::new(TokenKey::new(COOKIE_KEY), 30.0).unwrap(),
        Arc::new(FakeClock::new(NOW)),
    );
    let jsmith = authgate::auth::LoginRequest {
        username: "jsmith",
        password: "abc",
        ..Default::default()
    };
    auth.login(&jsmith).unwrap();
    let provider = FakeProvider::new("limits");
    let err = guest(&store, &provider, &request(None, Some(1))).unwrap_err();
    assert!(matches!(err, Error::TooManyUsers), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Maximum number of concurrent users exceeded"
    );
    guest(&store, &provider, &request(None, Some(2))).unwrap();

    let single = GuestLoginRequest {
        single_session: true,
        ..request(None, None)
    };
    let err = guest(&store, &provider, &single).unwrap_err();
    assert!(matches!(err, Error::SessionExists), "{err:?}");
}

#[test]
fn the_authenticator_issues_a_cookie_that_resumes_the_session() {
    let store = store();
    let auth = Authenticator::with_clock(
        store.clone(),
        AuthConfig::new(TokenKey::new(COOKIE_KEY), 30.0).unwrap(),
        Arc::new(FakeClock::new(NOW + 5.0)),
    );
    let provider = FakeProvider::new("cookie");
    let client = client(&provider);
    let state = start(&provider, &client);
    let callback = Callback {
        state: &state,
        code: Some(CODE),
        error: None,
        bindings: &[BINDING],
    };
    let login = auth
        .guest_login(&client, &callback, &request(None, None))
        .unwrap();
    let token = login.token.expect("a cookie token");
    let resumed = auth.resume(&token, None, false).unwrap();
    assert_eq!(resumed.session.id, login.session.id);
    assert_eq!(resumed.user.username, "ann.lee@example.com");
}

#[test]
fn a_guest_session_lasts_as_a_password_login_does() {
    let store = store();
    let provider = FakeProvider::new("lifetime");
    // Without a cookie: no token, and a session that outlives the tab.
    let login = guest_with_expiry(&store, &provider, &request(None, None), 0.0).unwrap();
    assert!(login.token.is_none());
    assert_eq!(login.session.expires, NOW + 5.0 + 86_400.0);
    let login = guest_with_expiry(&store, &provider, &request(None, None), 2.0).unwrap();
    assert!(login.token.is_some());
    assert_eq!(login.session.expires, NOW + 5.0 + 2.0 * 86_400.0);
    let password = Authenticator::with_clock(
        store.clone(),
        AuthConfig::new(TokenKey::new(COOKIE_KEY), 2.0).unwrap(),
        Arc::new(FakeClock::new(NOW + 5.0)),
    )
    .login(&authgate::auth::LoginRequest {
        username: "jsmith",
        password: "abc",
        ..Default::default()
    })
    .unwrap();
    assert_eq!(password.session.expires, login.session.expires);
}

#[test]
fn debug_output_holds_no_secret() {
    let provider = FakeProvider::new("debug");
    let client = client(&provider);
    let shown = format!("{client:?}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    let callback = Callback {
        state: "state-value",
        code: Some(CODE),
        error: None,
        bindings: &[BINDING],
    };
    let shown = format!("{callback:?}");
    for secret in ["state-value", CODE, BINDING] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// The review's M4: a guest account is the identity (issuer, subject) that
/// created it, not its email. Another person the provider later gives the
/// same address (a new `sub`) does not get the account; an operator's
/// removal is not undone by the provider's next login.
#[test]
fn a_guest_account_belongs_to_its_issuer_and_subject() {
    let store = store();
    let provider = FakeProvider::new("guest");
    let first = guest(&store, &provider, &request(None, None)).unwrap();
    assert_eq!(first.user.username, "ann.lee@example.com");
    // The same person again: fine.
    guest(&store, &provider, &request(None, None)).unwrap();
    // The address reassigned to someone else.
    *provider.script.lock().unwrap() = Script {
        overrides: json!({"sub": "someone-else"}),
        ..Default::default()
    };
    let err = guest(&store, &provider, &request(None, None)).unwrap_err();
    assert!(
        matches!(err, Error::Oidc(OidcFailure::IdentityMismatch)),
        "{err:?}"
    );
    // An operator removes the guest: the provider cannot bring it back.
    assert!(store.remove_user("ann.lee@example.com").unwrap());
    *provider.script.lock().unwrap() = Script::default();
    let err = guest(&store, &provider, &request(None, None)).unwrap_err();
    assert!(matches!(err, Error::AccountLocked { .. }), "{err:?}");
    assert!(store.user("ann.lee@example.com").unwrap().is_none());
}
