//! The provider's discovery document (OpenID Connect Discovery 1.0) and the
//! issuer rule it implies.

use serde::Deserialize;
use url::Url;

use super::config::{Provider, GOOGLE_ISSUER, GOOGLE_ISSUER_BARE, MICROSOFT_LOGIN};
use super::error::OidcFailure;
use super::http::checked_url;
use crate::error::{Error, Result};

/// The placeholder Microsoft's multi-tenant documents put in their issuer.
const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// What the flow needs from a discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// The issuer, as the document names it.
    pub issuer: String,
    /// Where the browser is sent to log in.
    pub authorization_endpoint: Url,
    /// Where the code is exchanged for tokens.
    pub token_endpoint: Url,
    /// The provider's signing keys.
    pub jwks_uri: Url,
    /// Which `iss` an ID token of this provider may carry.
    pub issuer_rule: IssuerRule,
}

/// Which `iss` claim an ID token must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerRule {
    /// One of these values, compared exactly.
    Exact(Vec<String>),
    /// Microsoft's multi-tenant endpoints (`common`, `organizations`): the
    /// issuer is this template with `{tenantid}` replaced by the token's own
    /// `tid` claim, e.g. `https://login.microsoftonline.com/{tid}/v2.0`.
    TenantTemplate(String),
}

impl IssuerRule {
    /// Whether `iss` is an issuer this rule accepts for a token whose `tid`
    /// claim is `tid`.
    ///
    /// # Examples
    ///
    /// ```
    /// use authgate::oidc::IssuerRule;
    ///
    /// let common = IssuerRule::TenantTemplate(
    ///     "https://login.microsoftonline.com/{tenantid}/v2.0".into(),
    /// );
    /// let tid = "9188040d-6c67-4c5b-b112-36a304b66dad";
    /// let iss = format!("https://login.microsoftonline.com/{tid}/v2.0");
    /// assert!(common.accepts(&iss, Some(tid)));
    /// assert!(!common.accepts(&iss, Some("72f988bf-86f1-41af-91ab-2d7cd011db47")));
    /// assert!(!common.accepts(&iss, None));
    /// ```
    #[must_use]
    pub fn accepts(&self, iss: &str, tid: Option<&str>) -> bool {
        match self {
            IssuerRule::Exact(allowed) => allowed.iter().any(|a| a == iss),
            IssuerRule::TenantTemplate(template) => {
                let Some(tid) = tid.filter(|t| is_tenant_id(t)) else {
                    return false;
                };
                template.replacen(TENANT_PLACEHOLDER, tid, 1) == iss
            }
        }
    }
}

/// A tenant id as Microsoft puts it in `tid`: a GUID.
fn is_tenant_id(tid: &str) -> bool {
    let b = tid.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[derive(Deserialize)]
struct RawMetadata {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    response_types_supported: Option<Vec<String>>,
    id_token_signing_alg_values_supported: Option<Vec<String>>,
    code_challenge_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

impl ProviderMetadata {
    /// Parses and checks a discovery document for `provider`.
    ///
    /// The document must name the issuer expected of the provider (Google's;
    /// a `https://login.microsoftonline.com/…/v2.0` one for Microsoft; the
    /// configured one, if any, for discovery providers), https endpoints,
    /// RS256 among its signing algorithms, and — where it lists them — the
    /// `code` response type, PKCE `S256`, and `client_secret_post` when the
    /// client has a secret.
    ///
    /// # Errors
    ///
    /// [`Error::Oidc`] with [`OidcFailure::Metadata`] saying which field is
    /// wrong.
    pub fn parse(provider: &Provider, body: &[u8], has_client_secret: bool) -> Result<Self> {
        let bad = |detail: String| {
            Error::Oidc(OidcFailure::Metadata {
                what: "discovery document",
                detail,
            })
        };
        let raw: RawMetadata = serde_json::from_slice(body)
            .map_err(|_| bad("not a JSON object of the expected shape".to_owned()))?;
        let field = |name: &str, value: Option<String>| {
            value
                .filter(|v| !v.is_empty())
                .ok_or_else(|| bad(format!("{name} is missing")))
        };
        let issuer = field("issuer", raw.issuer)?;
        let endpoint = |name: &str, value: Option<String>| -> Result<Url> {
            checked_url(name, &field(name, value)?).map_err(|e| match e {
                Error::Oidc(OidcFailure::Config(detail)) => bad(detail),
                other => other,
            })
        };
        let authorization_endpoint =
            endpoint("authorization_endpoint", raw.authorization_endpoint)?;
        let token_endpoint = endpoint("token_endpoint", raw.token_endpoint)?;
        let jwks_uri = endpoint("jwks_uri", raw.jwks_uri)?;

        let lacks = |list: &Option<Vec<String>>, item: &str| {
            list.as_ref().is_some_and(|l| !l.iter().any(|x| x == item))
        };
        if lacks(&raw.response_types_supported, "code") {
            return Err(bad("the provider does not support the code flow".to_owned()));
        }
        if lacks(&raw.id_token_signing_alg_values_supported, "RS256") {
            return Err(bad(
                "the provider does not sign ID tokens with RS256".to_owned()
            ));
        }
        if lacks(&raw.code_challenge_methods_supported, "S256") {
            return Err(bad(
                "the provider does not support PKCE with S256".to_owned()
            ));
        }
        if has_client_secret
            && lacks(
                &raw.token_endpoint_auth_methods_supported,
                "client_secret_post",
            )
        {
            return Err(bad(
                "the provider does not accept client_secret_post at its token endpoint".to_owned(),
            ));
        }

        let issuer_rule = issuer_rule(provider, &issuer).map_err(bad)?;
        Ok(ProviderMetadata {
            issuer,
            authorization_endpoint,
            token_endpoint,
            jwks_uri,
            issuer_rule,
        })
    }
}

fn issuer_rule(provider: &Provider, issuer: &str) -> Result<IssuerRule, String> {
    let mismatch = |expected: &str| format!("issuer {issuer:?} is not the expected {expected:?}");
    match provider {
        Provider::Google => {
            if issuer == GOOGLE_ISSUER {
                Ok(IssuerRule::Exact(vec![
                    GOOGLE_ISSUER.to_owned(),
                    GOOGLE_ISSUER_BARE.to_owned(),
                ]))
            } else {
                Err(mismatch(GOOGLE_ISSUER))
            }
        }
        Provider::Microsoft { .. } => {
            let prefix = format!("{MICROSOFT_LOGIN}/");
            let tenant = issuer
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix("/v2.0"))
                .ok_or_else(|| mismatch(&format!("{prefix}<tenant>/v2.0")))?;
            if tenant == TENANT_PLACEHOLDER {
                Ok(IssuerRule::TenantTemplate(issuer.to_owned()))
            } else if is_tenant_id(tenant) {
                Ok(IssuerRule::Exact(vec![issuer.to_owned()]))
            } else {
                Err(mismatch(&format!("{prefix}<tenant GUID>/v2.0")))
            }
        }
        Provider::Discovery {
            issuer: expected,
            metadata_url,
        } => {
            // OpenID Connect Discovery §4.3: identical to the configured
            // issuer, or else to the URL the document was fetched under.
            let expected = match expected {
                Some(expected) => expected.clone(),
                None => issuer_of_metadata_url(metadata_url).ok_or_else(|| {
                    format!(
                        "server_metadata_url does not end in {WELL_KNOWN}: set the provider's \
                         issuer in the config, so that the document's issuer can be checked"
                    )
                })?,
            };
            if expected != issuer {
                return Err(mismatch(&expected));
            }
            if issuer.contains(TENANT_PLACEHOLDER) {
                return Err("issuer templates are only understood for Microsoft".to_owned());
            }
            checked_url("issuer", issuer).map_err(|e| e.to_string())?;
            Ok(IssuerRule::Exact(vec![issuer.to_owned()]))
        }
    }
}

/// Where discovery documents live, under the issuer (Discovery §4).
const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The issuer whose discovery document `url` is: `url` without
/// [`WELL_KNOWN`] (and without a query), if it ends so.
fn issuer_of_metadata_url(url: &url::Url) -> Option<String> {
    if url.query().is_some() || url.fragment().is_some() {
        return None;
    }
    url.as_str()
        .strip_suffix(WELL_KNOWN)
        .filter(|issuer| !issuer.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn doc(issuer: &str) -> Vec<u8> {
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": "https://idp.example.com/authorize",
            "token_endpoint": "https://idp.example.com/token",
            "jwks_uri": "https://idp.example.com/keys",
            "response_types_supported": ["code", "id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        })
        .to_string()
        .into_bytes()
    }

    fn microsoft(tenant: &str) -> Provider {
        Provider::Microsoft {
            tenant_id: tenant.into(),
        }
    }

    #[test]
    fn microsoft_common_checks_the_tenant_specific_issuer() {
        let md = ProviderMetadata::parse(
            &microsoft("common"),
            &doc("https://login.microsoftonline.com/{tenantid}/v2.0"),
            true,
        )
        .unwrap();
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert!(md.issuer_rule.accepts(&iss, Some(TID)));
        // A token claiming another tenant's issuer than its own tid.
        let other = "9188040d-6c67-4c5b-b112-36a304b66dad";
        assert!(!md.issuer_rule.accepts(&iss, Some(other)));
        // The template itself, a missing or malformed tid.
        assert!(!md.issuer_rule.accepts(
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            Some(TID)
        ));
        assert!(!md.issuer_rule.accepts(&iss, None));
        let evil = "https://login.microsoftonline.com/x/v2.0";
        assert!(!md.issuer_rule.accepts(evil, Some("x")));
        assert!(!md
            .issuer_rule
            .accepts("https://login.microsoftonline.com/../v2.0", Some("..")));
    }

    #[test]
    fn microsoft_single_tenant_is_exact() {
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        let md = ProviderMetadata::parse(&microsoft("contoso.onmicrosoft.com"), &doc(&iss), true)
            .unwrap();
        assert_eq!(md.issuer_rule, IssuerRule::Exact(vec![iss.clone()]));
        assert!(md.issuer_rule.accepts(&iss, Some(TID)));
        assert!(!md.issuer_rule.accepts(
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            Some("9188040d-6c67-4c5b-b112-36a304b66dad")
        ));
        assert!(ProviderMetadata::parse(
            &microsoft("common"),
            &doc("https://sts.windows.net/x/"),
            true
        )
        .is_err());
    }

    #[test]
    fn google_accepts_both_spellings_of_its_issuer() {
        let md = ProviderMetadata::parse(&Provider::Google, &doc(GOOGLE_ISSUER), true).unwrap();
        assert!(md.issuer_rule.accepts("https://accounts.google.com", None));
        assert!(md.issuer_rule.accepts("accounts.google.com", None));
        assert!(!md.issuer_rule.accepts("https://accounts.google.com/", None));
        assert!(
            ProviderMetadata::parse(&Provider::Google, &doc("https://evil.example"), true).is_err()
        );
    }

    #[test]
    fn discovery_issuer_must_match_the_configured_one() {
        let provider = Provider::Discovery {
            issuer: Some("https://idp.example.com".into()),
            metadata_url: Url::parse("https://idp.example.com/.well-known/openid-configuration")
                .unwrap(),
        };
        assert!(ProviderMetadata::parse(&provider, &doc("https://idp.example.com"), true).is_ok());
        let err =
            ProviderMetadata::parse(&provider, &doc("https://evil.example.com"), true).unwrap_err();
        assert!(err.to_string().contains("not the expected"), "{err}");
    }

    #[test]
    fn without_a_configured_issuer_it_must_match_the_metadata_url() {
        let at = |url: &str| Provider::Discovery {
            issuer: None,
            metadata_url: Url::parse(url).unwrap(),
        };
        let provider = at("https://idp.example.com/realms/a/.well-known/openid-configuration");
        let own = doc("https://idp.example.com/realms/a");
        assert!(ProviderMetadata::parse(&provider, &own, true).is_ok());
        for other in [
            "https://evil.example.com",
            "https://idp.example.com/realms/b",
        ] {
            let err = ProviderMetadata::parse(&provider, &doc(other), true).unwrap_err();
            assert!(err.to_string().contains("not the expected"), "{err}");
        }
        let custom = at("https://idp.example.com/metadata.json");
        let err = ProviderMetadata::parse(&custom, &own, true).unwrap_err();
        assert!(
            err.to_string().contains("set the provider's issuer"),
            "{err}"
        );
    }

    #[test]
    fn unusable_documents_are_refused() {
        let google = Provider::Google;
        let mut v: serde_json::Value = serde_json::from_slice(&doc(GOOGLE_ISSUER)).unwrap();
        v["code_challenge_methods_supported"] = serde_json::json!(["plain"]);
        let err = ProviderMetadata::parse(&google, v.to_string().as_bytes(), true).unwrap_err();
        assert!(err.to_string().contains("PKCE"), "{err}");

        let mut v: serde_json::Value = serde_json::from_slice(&doc(GOOGLE_ISSUER)).unwrap();
        v["token_endpoint"] = serde_json::json!("http://idp.example.com/token");
        let err = ProviderMetadata::parse(&google, v.to_string().as_bytes(), true).unwrap_err();
        assert!(err.to_string().contains("token_endpoint"), "{err}");

        let mut v: serde_json::Value = serde_json::from_slice(&doc(GOOGLE_ISSUER)).unwrap();
        v["token_endpoint_auth_methods_supported"] = serde_json::json!(["private_key_jwt"]);
        assert!(ProviderMetadata::parse(&google, v.to_string().as_bytes(), true).is_err());
        assert!(ProviderMetadata::parse(&google, v.to_string().as_bytes(), false).is_ok());

        assert!(ProviderMetadata::parse(&google, b"[]", true).is_err());
        assert!(ProviderMetadata::parse(&google, b"{}", true).is_err());
    }
}
