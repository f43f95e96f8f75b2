//! The HTTP the flow needs: GET a JSON document, POST a form to the token
//! endpoint. [`Transport`] is the seam tests replace; [`UreqTransport`] is
//! the real one (ureq with rustls and the Mozilla root certificates — no
//! OpenSSL).
//!
//! Every request has a deadline, follows no redirect and reads at most
//! [`MAX_RESPONSE_BYTES`]. Errors are described in fixed words: a response
//! body, which might echo a secret, never reaches an error message.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use super::error::OidcFailure;
use crate::error::{Error, Result};

/// The most a discovery document, key set or token response may weigh.
pub const MAX_RESPONSE_BYTES: u64 = 512 * 1024;

/// How long one request may take, from connecting to the last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP response: status and body.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body, at most [`MAX_RESPONSE_BYTES`].
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A token response body holds tokens: show its size only.
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Sends the flow's requests. Implementations must not follow redirects and
/// must bound the time and size of a response.
pub trait Transport: Send + Sync + fmt::Debug {
    /// `GET url` with `Accept: application/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Oidc`] with [`OidcFailure::Http`] if no response arrives; an
    /// HTTP error status is a response, not an error.
    fn get(&self, what: &'static str, url: &Url) -> Result<HttpResponse>;

    /// `POST url` with an `application/x-www-form-urlencoded` body.
    ///
    /// # Errors
    ///
    /// As [`Transport::get`].
    fn post_form(
        &self,
        what: &'static str,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<HttpResponse>;
}

/// The real transport: a ureq agent with rustls.
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UreqTransport")
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .user_agent(concat!("authgate/", env!("CARGO_PKG_VERSION")))
            .build();
        UreqTransport {
            agent: config.new_agent(),
        }
    }
}

impl Transport for UreqTransport {
    fn get(&self, what: &'static str, url: &Url) -> Result<HttpResponse> {
        let response = self
            .agent
            .get(url.as_str())
            .header("Accept", "application/json")
            .call();
        read(what, response)
    }

    fn post_form(
        &self,
        what: &'static str,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let response = self
            .agent
            .post(url.as_str())
            .header("Accept", "application/json")
            .send_form(form.iter().copied());
        read(what, response)
    }
}

fn read(
    what: &'static str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<HttpResponse> {
    let mut response = response.map_err(|e| transport_error(what, &e))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| transport_error(what, &e))?;
    Ok(HttpResponse { status, body })
}

/// Describes a ureq error in fixed words. ureq's own messages may quote
/// parts of a request; they are not passed on.
fn transport_error(what: &'static str, err: &ureq::Error) -> OidcFailure {
    let detail = match err {
        ureq::Error::Timeout(_) => "timed out",
        ureq::Error::HostNotFound => "host not found",
        ureq::Error::ConnectionFailed => "connection failed",
        ureq::Error::Io(_) => "connection error",
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS error",
        ureq::Error::BodyExceedsLimit(_) => "response too large",
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => "redirected",
        ureq::Error::BadUri(_) => "bad URL",
        _ => "request failed",
    };
    OidcFailure::Http {
        what,
        detail: detail.to_owned(),
    }
}

/// Parses `text` as an endpoint URL the flow may talk to or send a browser to.
///
/// It must be absolute, `https` — or `http` to a loopback address
/// (`localhost`, `127.0.0.0/8`, `::1`), for development and tests — and have
/// no user info and no fragment.
///
/// # Errors
///
/// [`Error::Oidc`] with [`OidcFailure::Config`] naming `what` if it is not
/// such a URL.
pub fn checked_url(what: &str, text: &str) -> Result<Url> {
    let bad = |why: &str| Error::Oidc(OidcFailure::Config(format!("{what} {why}")));
    let url = Url::parse(text.trim()).map_err(|_| bad("is not a valid URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(bad("must use https (http only to localhost)")),
        _ => return Err(bad("must be an https URL")),
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not contain a fragment (#…)"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_loopback_http_only() {
        assert!(checked_url("x", "https://accounts.google.com/o/oauth2/v2/auth").is_ok());
        assert!(checked_url("x", "http://localhost:8501/").is_ok());
        assert!(checked_url("x", "http://127.0.0.1:9/cb").is_ok());
        assert!(checked_url("x", "http://[::1]:9/cb").is_ok());
        for bad in [
            "http://example.com/",
            "javascript:alert(1)",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "/relative",
            "",
            "http://localhost.evil.com/",
        ] {
            let err = checked_url("redirect_uri", bad).unwrap_err();
            assert!(err.to_string().contains("redirect_uri"), "{bad}: {err}");
        }
    }

    #[test]
    fn response_debug_hides_the_body() {
        let r = HttpResponse {
            status: 200,
            body: br#"{"id_token":"secret"}"#.to_vec(),
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
