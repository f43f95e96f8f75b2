//! The page address mailed links point at.
//!
//! A link's token travels in the query string of the app's own page. That
//! page's address must come from the app, never from the request: the
//! address a browser reports and the `Host` header are whatever the asker
//! makes them, and a link built on them would mail the victim's token to
//! the asker's server ("password reset poisoning"). So the address is the
//! one the app configured; only an app on this machine (`localhost`, a
//! loopback address) may leave it out, for development, and then the
//! address its own browser reports is used.
//!
//! ```
//! use authgate::link::address::{page_address, with_token};
//! let page = page_address(Some("https://app.example.com/login?x=1#top"), None)?;
//! assert_eq!(page, "https://app.example.com/login");
//! assert_eq!(with_token(&page, "authgate_reset", "a.b c"), "https://app.example.com/login?authgate_reset=a.b+c");
//! // Unconfigured, only a local page may stand in.
//! assert!(page_address(None, Some("http://localhost:8501/")).is_ok());
//! assert!(page_address(None, Some("https://evil.example/")).is_err());
//! # Ok::<(), authgate::Error>(())
//! ```

use url::{Host, Url};

use crate::error::{Error, Result};

/// Why there is no address to mail: said to the app's developer.
pub const NO_APP_URL: &str = "reset_link needs the address of the app's page to put in the mail: \
pass Authenticate(..., app_url='https://app.example.com/'), or set AUTHGATE_APP_URL. The address \
the browser reports is not used: whoever asks for a reset could make it point anywhere.";

/// The page links point at: `configured` (the app's `app_url`) when set;
/// else `reported` (the address the browser shows) if it is on this
/// machine. Query and fragment are dropped; an empty path is `/`.
///
/// # Errors
///
/// [`Error::InvalidInput`] when `configured` is not an http(s) address
/// with a host, or when nothing is configured and the page is not local
/// ([`NO_APP_URL`]).
pub fn page_address(configured: Option<&str>, reported: Option<&str>) -> Result<String> {
    if let Some(configured) = configured.filter(|c| !c.is_empty()) {
        return page(configured.trim()).map(String::from).ok_or_else(|| {
            Error::InvalidInput(format!(
                "app_url must be an http(s) address, not {configured:?}"
            ))
        });
    }
    reported
        .and_then(page)
        .filter(|url| url.host().is_some_and(|host| is_local(&host)))
        .map(String::from)
        .ok_or_else(|| Error::InvalidInput(NO_APP_URL.to_owned()))
}

/// `page` with `token` as `param` in its query string.
#[must_use]
pub fn with_token(page: &str, param: &str, token: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair(param, token);
    format!("{page}?{}", query.finish())
}

/// `text` as an http(s) page address without query or fragment.
fn page(text: &str) -> Option<Url> {
    let mut url = Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

fn is_local(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => *name == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_address_is_used_whatever_the_browser_says() {
        let page = page_address(
            Some(" https://App.Example.com:8443/app "),
            Some("http://localhost/"),
        )
        .unwrap();
        assert_eq!(page, "https://app.example.com:8443/app");
        assert_eq!(
            page_address(Some("https://app.example.com"), None).unwrap(),
            "https://app.example.com/"
        );
    }

    #[test]
    fn a_configured_address_must_be_http_with_a_host() {
        for bad in [
            "ftp://app.example.com/",
            "app.example.com",
            "https://",
            "javascript:alert(1)",
        ] {
            let err = page_address(Some(bad), None).unwrap_err();
            assert!(
                err.to_string()
                    .contains("app_url must be an http(s) address"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn unconfigured_only_a_local_page_stands_in() {
        for local in [
            "http://localhost:8501/",
            "http://127.0.0.1:8501/x?y=1",
            "http://[::1]:8501/",
            "https://LOCALHOST/",
        ] {
            assert!(page_address(None, Some(local)).is_ok(), "{local}");
        }
        assert_eq!(
            page_address(Some(""), Some("http://127.0.0.1:8501/x?y=1")).unwrap(),
            "http://127.0.0.1:8501/x"
        );
        for remote in [
            "https://app.example.com/",
            "http://localhost.evil.example/",
            "http://10.0.0.1/",
            "file:///etc/passwd",
            "",
        ] {
            let err = page_address(None, Some(remote)).unwrap_err();
            assert!(
                err.to_string().contains("reset_link needs the address"),
                "{remote}"
            );
        }
        assert!(page_address(None, None).is_err());
    }

    #[test]
    fn the_token_is_form_encoded() {
        assert_eq!(
            with_token("http://localhost/", "authgate_verify", "a&b=c"),
            "http://localhost/?authgate_verify=a%26b%3Dc"
        );
    }
}
