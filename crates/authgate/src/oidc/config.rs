//! Which provider and which client: read from the `oauth2` settings.

use std::fmt;
use std::path::Path;

use url::Url;

use super::error::OidcFailure;
use super::http::checked_url;
use super::pkce::SecretString;
use crate::error::{Error, Result};
use crate::yaml::Value;

/// Google's issuer, as its discovery document and ID tokens name it.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Google also writes its issuer without the scheme in some ID tokens.
pub(crate) const GOOGLE_ISSUER_BARE: &str = "accounts.google.com";

/// Microsoft identity platform (Entra ID) v2.0 endpoints.
pub(crate) const MICROSOFT_LOGIN: &str = "https://login.microsoftonline.com";

/// Scopes asked for when the settings name none.
pub const DEFAULT_SCOPES: &[&str] = &["openid", "email", "profile"];

/// Which OpenID provider to use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provider {
    /// Google: issuer `https://accounts.google.com`.
    Google,
    /// Microsoft Entra ID, v2.0 endpoints of `tenant_id`: a tenant GUID or
    /// domain, or `common`, `organizations`, `consumers`. For the
    /// multi-tenant ones the ID token's issuer must be
    /// `https://login.microsoftonline.com/{tid}/v2.0` with `tid` the token's
    /// own tenant claim.
    Microsoft {
        /// The tenant.
        tenant_id: String,
    },
    /// Any OpenID provider with a discovery document.
    Discovery {
        /// The issuer the discovery document must name, if configured.
        issuer: Option<String>,
        /// Where the discovery document is.
        metadata_url: Url,
    },
}

impl Provider {
    /// The URL of the provider's discovery document.
    #[must_use]
    pub fn metadata_url(&self) -> String {
        match self {
            Provider::Google => format!("{GOOGLE_ISSUER}/.well-known/openid-configuration"),
            Provider::Microsoft { tenant_id } => {
                format!("{MICROSOFT_LOGIN}/{tenant_id}/v2.0/.well-known/openid-configuration")
            }
            Provider::Discovery { metadata_url, .. } => metadata_url.to_string(),
        }
    }
}

/// One OAuth client at one provider: what `oauth2.<provider>` in
/// `config.yaml` holds.
#[derive(Clone)]
pub struct ClientConfig {
    /// The provider.
    pub provider: Provider,
    /// The client id the provider issued; ID tokens must name it as audience.
    pub client_id: String,
    /// The client secret, sent to the token endpoint (`client_secret_post`);
    /// `None` for a public client, which PKCE alone protects.
    pub client_secret: Option<SecretString>,
    /// Where the provider sends the browser back: the app's URL, registered
    /// with the provider.
    pub redirect_uri: Url,
    /// Scopes to ask for; always includes `openid`.
    pub scopes: Vec<String>,
    /// Accept an email address the provider does not say it verified.
    /// Off by default: an unverified address would let anyone who can set
    /// their email at the provider take over that guest account.
    pub allow_unverified_email: bool,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("scopes", &self.scopes)
            .field("allow_unverified_email", &self.allow_unverified_email)
            .finish()
    }
}

impl ClientConfig {
    /// Reads one provider's settings, as streamlit-authenticator 0.4.2's
    /// `oauth2.<name>` section holds them, plus authgate's additions.
    ///
    /// `name` is `google`, `microsoft`, or any other name (or `None`) for a
    /// provider found by discovery. Keys:
    ///
    /// | key | meaning |
    /// |---|---|
    /// | `client_id` | required |
    /// | `client_secret` | optional (public client if absent) |
    /// | `redirect_uri` | required; `https`, or `http` to localhost |
    /// | `tenant_id` | Microsoft: tenant GUID or domain, or `common`, `organizations`, `consumers` |
    /// | `server_metadata_url` | the discovery document's URL |
    /// | `issuer` | the issuer; its discovery document is `{issuer}/.well-known/openid-configuration` |
    /// | `scope` | scopes, a space-separated string or a list (default `openid email profile`) |
    /// | `allow_unverified_email` | `true` to accept email addresses the provider does not vouch for |
    ///
    /// `server_metadata_url` or `issuer` under `google` or `microsoft` make
    /// that provider a discovery provider too (its issuer is then checked
    /// exactly as the document states it).
    ///
    /// # Errors
    ///
    /// [`Error::Oidc`] with [`OidcFailure::Config`] naming the key that is
    /// missing or wrong.
    pub fn from_settings(name: Option<&str>, settings: &Value) -> Result<Self> {
        let label = name.unwrap_or("provider");
        let map = settings
            .as_map()
            .ok_or_else(|| config_error(format!("oauth2.{label} must be a mapping of settings")))?;
        let text = |key: &str| -> Result<Option<String>> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Str(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::Str(s)) => Ok(Some(s.trim().to_owned())),
                Some(other) => Err(config_error(format!(
                    "oauth2.{label}.{key} must be a string, not {}",
                    other.type_name()
                ))),
            }
        };
        let required = |key: &str| -> Result<String> {
            text(key)?.ok_or_else(|| config_error(format!("oauth2.{label}.{key} is missing")))
        };

        let client_id = required("client_id")?;
        if client_id.chars().any(char::is_control) || client_id.len() > 512 {
            return Err(config_error(format!(
                "oauth2.{label}.client_id is not a valid client id"
            )));
        }
        let client_secret = text("client_secret")?.map(SecretString::new);
        let redirect_uri = checked_url(
            &format!("oauth2.{label}.redirect_uri"),
            &required("redirect_uri")?,
        )?;

        let provider = match (text("server_metadata_url")?, text("issuer")?) {
            (None, None) => match name.map(str::to_ascii_lowercase).as_deref() {
                Some("google") => Provider::Google,
                Some("microsoft") => Provider::Microsoft {
                    tenant_id: microsoft_tenant(label, text("tenant_id")?)?,
                },
                _ => {
                    return Err(config_error(format!(
                        "oauth2.{label} needs server_metadata_url or issuer \
                         (only google and microsoft are known by name)"
                    )))
                }
            },
            (metadata_url, issuer) => {
                if let Some(iss) = &issuer {
                    checked_url(&format!("oauth2.{label}.issuer"), iss)?;
                }
                let metadata_url = metadata_url.unwrap_or_else(|| {
                    format!(
                        "{}/.well-known/openid-configuration",
                        issuer.as_deref().unwrap_or_default().trim_end_matches('/')
                    )
                });
                Provider::Discovery {
                    issuer,
                    metadata_url: checked_url(
                        &format!("oauth2.{label}.server_metadata_url"),
                        &metadata_url,
                    )?,
                }
            }
        };

        let scopes = scopes(label, map.get("scope"))?;
        let allow_unverified_email = match map.get("allow_unverified_email") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(config_error(format!(
                    "oauth2.{label}.allow_unverified_email must be true or false"
                )))
            }
        };
        Ok(ClientConfig {
            provider,
            client_id,
            client_secret,
            redirect_uri,
            scopes,
            allow_unverified_email,
        })
    }
}

/// The `oauth2` section of a streamlit-authenticator `config.yaml`, where
/// 0.4.2 keeps its providers' settings; `None` if the file has none.
///
/// # Errors
///
/// As [`crate::store::file::config_section`].
pub fn oauth2_section(path: &Path) -> Result<Option<Value>> {
    crate::store::file::config_section(path, "oauth2")
}

/// A bad `oauth2` setting, described by `message`.
fn config_error(message: String) -> Error {
    Error::Oidc(OidcFailure::Config(message))
}

/// A tenant is a GUID, a domain, or `common`/`organizations`/`consumers`:
/// letters, digits, `.` and `-` only, so it cannot change the URL's path.
fn microsoft_tenant(label: &str, tenant: Option<String>) -> Result<String> {
    let tenant = tenant.ok_or_else(|| {
        config_error(format!(
            "oauth2.{label}.tenant_id is missing (use 'common' to accept any Microsoft account)"
        ))
    })?;
    let ok = !tenant.is_empty()
        && tenant.len() <= 253
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !tenant.starts_with('.');
    if ok {
        Ok(tenant)
    } else {
        Err(config_error(format!(
            "oauth2.{label}.tenant_id must be a tenant GUID or domain, or common, organizations or consumers"
        )))
    }
}

fn scopes(label: &str, value: Option<&Value>) -> Result<Vec<String>> {
    let bad = || {
        config_error(format!(
            "oauth2.{label}.scope must be a space-separated string or a list of scopes"
        ))
    };
    let mut scopes: Vec<String> = match value {
        None | Some(Value::Null) => DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        Some(Value::Str(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Seq(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad()),
    };
    // RFC 6749 §3.3: scope tokens are printable ASCII without space, `"` or `\`.
    if scopes.iter().any(|s| {
        s.is_empty()
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    }) {
        return Err(bad());
    }
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".to_owned());
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Map;

    fn settings(pairs: &[(&str, Value)]) -> Value {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert(*k, v.clone());
        }
        Value::Map(map)
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn google_settings_as_0_4_2_writes_them() {
        let cfg = ClientConfig::from_settings(
            Some("google"),
            &settings(&[
                ("client_id", s("id.apps.googleusercontent.com")),
                ("client_secret", s("GOCSPX-secret")),
                ("redirect_uri", s("http://localhost:8501")),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.provider, Provider::Google);
        assert_eq!(cfg.scopes, ["openid", "email", "profile"]);
        assert_eq!(
            cfg.client_secret.as_ref().unwrap().expose(),
            "GOCSPX-secret"
        );
        assert!(!format!("{cfg:?}").contains("GOCSPX"));
        assert_eq!(
            cfg.provider.metadata_url(),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn microsoft_needs_a_plain_tenant() {
        let base = |tenant: Value| {
            settings(&[
                ("client_id", s("abc")),
                ("redirect_uri", s("https://app.example.com/")),
                ("tenant_id", tenant),
            ])
        };
        let cfg = ClientConfig::from_settings(Some("microsoft"), &base(s("common"))).unwrap();
        assert_eq!(
            cfg.provider.metadata_url(),
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        );
        for bad in [s("../evil"), s("a/b"), s("x?y"), Value::Null] {
            assert!(matches!(
                ClientConfig::from_settings(Some("microsoft"), &base(bad)),
                Err(Error::Oidc(OidcFailure::Config(_)))
            ));
        }
    }

    #[test]
    fn any_issuer_by_discovery() {
        let cfg = ClientConfig::from_settings(
            Some("okta"),
            &settings(&[
                ("client_id", s("abc")),
                ("redirect_uri", s("https://app.example.com/")),
                ("issuer", s("https://idp.example.com/")),
                ("scope", s("openid email")),
            ]),
        )
        .unwrap();
        assert_eq!(
            cfg.provider,
            Provider::Discovery {
                issuer: Some("https://idp.example.com/".into()),
                metadata_url: Url::parse(
                    "https://idp.example.com/.well-known/openid-configuration"
                )
                .unwrap(),
            }
        );
        assert_eq!(cfg.scopes, ["openid", "email"]);
        assert!(cfg.client_secret.is_none());
    }

    #[test]
    fn the_oauth2_section_is_read_and_reread_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, "cookie:\n  name: c\n").unwrap();
        assert_eq!(oauth2_section(&path).unwrap(), None);
        std::fs::write(
            &path,
            "cookie:\n  name: c\noauth2:\n  google:\n    client_id: abc\n",
        )
        .unwrap();
        let section = oauth2_section(&path).unwrap().unwrap();
        let google = section.as_map().and_then(|m| m.get("google")).unwrap();
        assert_eq!(
            google.as_map().and_then(|m| m.get("client_id")),
            Some(&s("abc"))
        );
        assert!(oauth2_section(&dir.path().join("missing.yaml")).is_err());
    }

    #[test]
    fn missing_and_wrong_values_are_named() {
        let err = ClientConfig::from_settings(
            Some("google"),
            &settings(&[("redirect_uri", s("https://a.example/"))]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OAuth2 configuration error: oauth2.google.client_id is missing"
        );
        let err = ClientConfig::from_settings(
            Some("google"),
            &settings(&[
                ("client_id", s("x")),
                ("redirect_uri", s("http://a.example/")),
            ]),
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .contains("oauth2.google.redirect_uri must use https"));
        let err = ClientConfig::from_settings(
            Some("github"),
            &settings(&[
                ("client_id", s("x")),
                ("redirect_uri", s("https://a.example/")),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("server_metadata_url or issuer"));
        assert!(ClientConfig::from_settings(Some("google"), &s("nope")).is_err());
        let err = ClientConfig::from_settings(
            Some("google"),
            &settings(&[
                ("client_id", s("x")),
                ("redirect_uri", s("https://a.example/")),
                ("scope", s("openid \"bad")),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("scope"));
    }
}
