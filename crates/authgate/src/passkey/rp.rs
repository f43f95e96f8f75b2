//! The relying party: the app as WebAuthn sees it.

use std::time::Duration;

use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use super::CEREMONY_TTL;
use crate::error::{Error, Result};

/// The app's origin and RP id, checked.
///
/// Browsers offer WebAuthn to secure origins only: `https://`, or plain
/// `http://` on `localhost` during development. The RP id is the origin's
/// host unless set to a parent domain of it (`example.com` for an app at
/// `app.example.com`, so that a passkey works on every subdomain). IP
/// addresses are refused: browsers take no RP id that is one.
///
/// ```
/// use authgate::passkey::RelyingParty;
/// let rp = RelyingParty::new("https://app.example.com/reports?x=1", Some("example.com"), "Reports")?;
/// assert_eq!((rp.id(), rp.origin()), ("example.com", "https://app.example.com"));
/// assert!(RelyingParty::new("http://app.example.com", None, "Reports").is_err());
/// assert!(RelyingParty::new("https://app.example.com", Some("other.com"), "Reports").is_err());
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    id: String,
    origin: Url,
    name: String,
}

fn refuse(message: impl Into<String>) -> Error {
    Error::InvalidInput(message.into())
}

impl RelyingParty {
    /// The relying party of a page at `origin` (any URL of the app; only
    /// its scheme, host and port count), with RP id `rp_id` (default: the
    /// host) and the name authenticators show (the app's name).
    pub fn new(origin: &str, rp_id: Option<&str>, name: &str) -> Result<Self> {
        let url = Url::parse(origin.trim())
            .map_err(|e| refuse(format!("the app's address {origin:?} is not a URL: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "the app's address must not hold a user name or password",
            ));
        }
        let host = match url.host() {
            Some(url::Host::Domain(host)) => host.to_ascii_lowercase(),
            Some(_) => {
                return Err(refuse(
                    "passkeys need the app's domain name (localhost during development), not \
                     an IP address",
                ))
            }
            None => return Err(refuse(format!("the app's address {origin:?} has no host"))),
        };
        let local = host == "localhost" || host.ends_with(".localhost");
        match url.scheme() {
            "https" => {}
            "http" if local => {}
            "http" => {
                return Err(refuse(format!(
                    "browsers offer passkeys to https pages only (and http://localhost): \
                     serve {host} over https, or set app_url to its https address"
                )))
            }
            other => return Err(refuse(format!("the app's address is {other}:, not https:"))),
        }
        let id = match rp_id.map(str::trim).filter(|id| !id.is_empty()) {
            None => host.clone(),
            Some(id) => match url::Host::parse(id.trim_end_matches('.')) {
                Ok(url::Host::Domain(id)) => id.to_ascii_lowercase(),
                _ => {
                    return Err(refuse(format!(
                        "the passkey RP id {id:?} is not a domain name"
                    )))
                }
            },
        };
        let parent = host
            .strip_suffix(id.as_str())
            .is_some_and(|rest| rest.ends_with('.'));
        if id != host && !(parent && id.contains('.')) {
            return Err(refuse(format!(
                "the passkey RP id {id:?} must be the app's host {host:?} or a parent domain of it"
            )));
        }
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|e| refuse(format!("the app's origin is not a URL: {e}")))?;
        let name = Some(name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or("authgate")
            .to_string();
        let rp = RelyingParty { id, origin, name };
        rp.webauthn()?;
        Ok(rp)
    }

    /// The RP id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The origin, `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        self.origin.as_str().trim_end_matches('/')
    }

    /// The name authenticators show.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// webauthn-rs configured for this relying party: the one origin, no
    /// other port or subdomain.
    pub(crate) fn webauthn(&self) -> Result<Webauthn> {
        WebauthnBuilder::new(&self.id, &self.origin)
            .map_err(|e| refuse(format!("passkey settings refused: {e}")))?
            .rp_name(&self.name)
            .timeout(Duration::from_secs_f64(CEREMONY_TTL))
            .build()
            .map_err(|e| refuse(format!("passkey settings refused: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_origins_and_their_domains_only() {
        let rp = RelyingParty::new("http://localhost:8501/page", None, " ").unwrap();
        assert_eq!(
            (rp.id(), rp.origin(), rp.name()),
            ("localhost", "http://localhost:8501", "authgate")
        );
        let rp =
            RelyingParty::new("https://A.Example.com:8443/", Some("Example.COM."), "X").unwrap();
        assert_eq!(
            (rp.id(), rp.origin()),
            ("example.com", "https://a.example.com:8443")
        );
        for (origin, id) in [
            ("http://app.example.com", None),
            ("https://127.0.0.1:8501", None),
            ("http://[::1]:8501", None),
            ("ftp://app.example.com", None),
            ("https://user:pw@app.example.com", None),
            ("not a url", None),
            ("https://app.example.com", Some("badexample.com")),
            ("https://app.example.com", Some("com")),
            ("https://app.example.com", Some("sub.app.example.com")),
            ("https://app.example.com", Some("10.0.0.1")),
        ] {
            assert!(
                RelyingParty::new(origin, id, "x").is_err(),
                "{origin} {id:?}"
            );
        }
    }
}
