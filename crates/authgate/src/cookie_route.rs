//! HttpOnly cookie mode: the rules of the route that sets and clears the
//! login cookie, so that the token never reaches the page's JavaScript.
//!
//! The script *stages* a cookie operation under a one-time nonce; a small
//! component POSTs the nonce to the app's route, which answers with the
//! `Set-Cookie` headers [`set_cookie_headers`] writes. Streamlit gives user
//! routes no XSRF check, so the nonce is the guard:
//!
//! - it is 256 bits from the OS random source;
//! - it works **once**, for [`NONCE_TTL`] seconds, and only for the action
//!   it was staged for: [`NonceRegistry::take`] uses it up whatever the
//!   answer, so a replay or a try with the wrong action finds nothing;
//! - the request carries nothing but the nonce, so it cannot choose the
//!   cookie's name, value or lifetime;
//! - at most [`NONCE_CAPACITY`] operations are kept: anonymous page views
//!   stage a clear, so a flood of them evicts the oldest instead of growing
//!   the process without bound.
//!
//! On https the cookie is `__Host-<name>`: `Secure`, `Path=/`, no `Domain`,
//! so no sibling subdomain can plant or overwrite it. Browsers refuse
//! `Secure` cookies from plain http, so there (local development) it is
//! `<name>`, `HttpOnly`, `SameSite=Strict`, `Path=/`, without `Secure`.
//!
//! ```
//! use authgate::cookie_route::{Action, NonceRegistry, Staged, set_cookie_headers};
//! let registry = NonceRegistry::default();
//! let nonce = registry.stage(Staged::set("login", "tok.en", 3600)?, 1_000.0)?;
//! let op = registry.take(&nonce, Action::Set, 1_001.0).expect("staged");
//! assert!(registry.take(&nonce, Action::Set, 1_002.0).is_none()); // once
//! let headers = set_cookie_headers(&op, true);
//! assert!(headers[0].starts_with("__Host-login=tok.en; Max-Age=3600; Path=/; HttpOnly; SameSite=Strict; Secure"));
//! # Ok::<(), authgate::Error>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{Error, Result};

/// Seconds a staged operation waits for the browser's POST.
pub const NONCE_TTL: f64 = 60.0;
/// Staged operations kept at most; the oldest goes first beyond it.
pub const NONCE_CAPACITY: usize = 10_000;
/// Longest nonce looked at; a real one has 43 characters.
const MAX_NONCE_LEN: usize = 128;
/// The prefix browsers keep for `Secure`, `Path=/`, host-only cookies.
pub const HOST_PREFIX: &str = "__Host-";

/// What a staged operation does to the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Sets the login cookie.
    Set,
    /// Deletes it.
    Clear,
}

/// One cookie operation, staged by the script for the route to perform.
/// `Debug` hides the value (a login token).
#[derive(Clone, PartialEq, Eq)]
pub struct Staged {
    /// Set or clear.
    pub action: Action,
    /// The cookie's name, without the `__Host-` prefix.
    pub name: String,
    /// The cookie's value; `None` for a clear.
    pub value: Option<String>,
    /// Seconds the browser keeps it.
    pub max_age: u64,
    /// The page the browser shows is https, even if the route is reached
    /// over plain http behind a proxy: use `__Host-` and `Secure`.
    pub secure: bool,
}

impl Staged {
    /// Setting `name` to `value` for `max_age` seconds.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a name that is not an RFC 6265 token or
    /// a value with characters a cookie cannot hold unquoted.
    pub fn set(name: &str, value: &str, max_age: u64) -> Result<Self> {
        check_name(name)?;
        if !value.bytes().all(is_cookie_octet) {
            return Err(Error::InvalidInput(
                "a cookie value may hold only printable ASCII without spaces, '\"', ',', ';' or '\\'"
                    .into(),
            ));
        }
        Ok(Staged {
            action: Action::Set,
            name: name.to_owned(),
            value: Some(value.to_owned()),
            max_age,
            secure: false,
        })
    }

    /// Deleting `name`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a name that is not an RFC 6265 token.
    pub fn clear(name: &str) -> Result<Self> {
        check_name(name)?;
        Ok(Staged {
            action: Action::Clear,
            name: name.to_owned(),
            value: None,
            max_age: 0,
            secure: false,
        })
    }

    /// The same operation for a page shown over https.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged")
            .field("action", &self.action)
            .field("name", &self.name)
            .field("max_age", &self.max_age)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// Whether `name` can be a cookie's name (an RFC 6265 token).
///
/// # Errors
///
/// [`Error::InvalidInput`] naming the characters allowed.
pub fn check_name(name: &str) -> Result<()> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Error::InvalidInput(format!(
            "cookie_mode='httponly' needs a cookie name of letters, digits and !#$%&'*+-.^_`|~, not {name:?}"
        )));
    }
    Ok(())
}

/// The cookie names that may hold the token, best first. On an https
/// page only `__Host-<name>` counts: a plain `<name>` may have been planted
/// by a sibling subdomain.
#[must_use]
pub fn names_to_read(name: &str, page_https: bool) -> Vec<String> {
    let host = format!("{HOST_PREFIX}{name}");
    if page_https {
        vec![host]
    } else {
        vec![host, name.to_owned()]
    }
}

/// RFC 6265 `cookie-octet`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// The `Set-Cookie` header values that perform `op` for a request that
/// came over https (`request_https`) or not.
#[must_use]
pub fn set_cookie_headers(op: &Staged, request_https: bool) -> Vec<String> {
    let secure = op.secure || request_https;
    let (name, flags) = if secure {
        (format!("{HOST_PREFIX}{}", op.name), "; Secure")
    } else {
        (op.name.clone(), "")
    };
    let attributes = format!("Path=/; HttpOnly; SameSite=Strict{flags}");
    let mut headers = vec![match op.action {
        Action::Set => format!(
            "{name}={}; Max-Age={}; {attributes}",
            op.value.as_deref().unwrap_or(""),
            op.max_age
        ),
        Action::Clear => deleted(&name, &attributes),
    }];
    if secure {
        // A script-written cookie of the same name (cookie_mode="script")
        // is never read on https in this mode; take it out of the browser.
        headers.push(deleted(
            &op.name,
            "Path=/; HttpOnly; SameSite=Strict; Secure",
        ));
    }
    headers
}

fn deleted(name: &str, attributes: &str) -> String {
    format!("{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; {attributes}")
}

/// The staged operations of one process, shared by the script and the
/// routes. Every method takes `now`, a monotonic clock in seconds.
pub struct NonceRegistry {
    ttl: f64,
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_nonce: HashMap<String, (f64, Staged)>,
    // Staging order is expiry order: one ttl, one monotonic clock. Nonces
    // taken meanwhile stay here until they reach the front.
    order: VecDeque<String>,
}

impl Entries {
    fn purge(&mut self, now: f64) {
        while let Some(oldest) = self.order.front() {
            match self.by_nonce.get(oldest) {
                Some((expires, _)) if *expires > now => return,
                _ => {
                    let oldest = self.order.pop_front().unwrap_or_default();
                    self.by_nonce.remove(&oldest);
                }
            }
        }
    }

    fn evict_oldest(&mut self) {
        while let Some(oldest) = self.order.pop_front() {
            if self.by_nonce.remove(&oldest).is_some() {
                return;
            }
        }
    }
}

impl Default for NonceRegistry {
    fn default() -> Self {
        NonceRegistry {
            ttl: NONCE_TTL,
            capacity: NONCE_CAPACITY,
            entries: Mutex::default(),
        }
    }
}

impl std::fmt::Debug for NonceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceRegistry")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl NonceRegistry {
    /// A registry whose nonces live `ttl` seconds, keeping at most
    /// `capacity` of them.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a capacity of 0 or a `ttl` that is not
    /// a positive number.
    pub fn new(ttl: f64, capacity: usize) -> Result<Self> {
        if capacity < 1 {
            return Err(Error::InvalidInput("capacity must be at least 1".into()));
        }
        if !(ttl.is_finite() && ttl > 0.0) {
            return Err(Error::InvalidInput(
                "ttl must be a positive number of seconds".into(),
            ));
        }
        Ok(NonceRegistry {
            ttl,
            capacity,
            entries: Mutex::default(),
        })
    }

    /// Keeps `op` and returns the nonce that performs it once.
    ///
    /// # Errors
    ///
    /// When the operating system cannot provide randomness.
    pub fn stage(&self, op: Staged, now: f64) -> Result<String> {
        let nonce = URL_SAFE_NO_PAD.encode(crate::secret::random_bytes::<32>()?);
        let mut entries = self.lock();
        entries.purge(now);
        while entries.by_nonce.len() >= self.capacity {
            entries.evict_oldest();
        }
        entries.by_nonce.insert(nonce.clone(), (now + self.ttl, op));
        entries.order.push_back(nonce.clone());
        Ok(nonce)
    }

    /// The operation staged under `nonce` for `action`, or `None`; the
    /// nonce is used up whatever the answer.
    pub fn take(&self, nonce: &str, action: Action, now: f64) -> Option<Staged> {
        if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
            return None;
        }
        let (expires, op) = self.lock().by_nonce.remove(nonce)?;
        (now < expires && op.action == action).then_some(op)
    }

    /// Forgets a nonce that will not be used (its operation was replaced).
    pub fn discard(&self, nonce: &str) {
        self.lock().by_nonce.remove(nonce);
    }

    /// How many staged operations are still waiting at `now`.
    pub fn len(&self, now: f64) -> usize {
        let mut entries = self.lock();
        entries.purge(now);
        entries.by_nonce.len()
    }

    /// Whether no operation is waiting at `now`.
    pub fn is_empty(&self, now: f64) -> bool {
        self.len(now) == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(value: &str) -> Staged {
        Staged::set("c", value, 60).unwrap()
    }

    #[test]
    fn a_nonce_works_once_for_its_action_and_expires() {
        let reg = NonceRegistry::default();
        let nonce = reg.stage(set("a"), 0.0).unwrap();
        assert_eq!(nonce.len(), 43);
        assert_eq!(reg.take(&nonce, Action::Clear, 1.0), None, "wrong action");
        assert_eq!(
            reg.take(&nonce, Action::Set, 1.0),
            None,
            "used up by the wrong try"
        );
        let nonce = reg.stage(set("b"), 0.0).unwrap();
        assert_eq!(
            reg.take(&nonce, Action::Set, 60.0),
            None,
            "expired at the ttl"
        );
        let nonce = reg.stage(set("c"), 0.0).unwrap();
        assert_eq!(reg.take(&nonce, Action::Set, 59.9), Some(set("c")));
        assert!(reg.is_empty(59.9));
    }

    #[test]
    fn the_registry_is_capped_and_evicts_the_oldest() {
        let reg = NonceRegistry::new(60.0, 2).unwrap();
        let first = reg.stage(set("1"), 0.0).unwrap();
        let second = reg.stage(set("2"), 1.0).unwrap();
        reg.take(&second, Action::Set, 1.0);
        let third = reg.stage(set("3"), 2.0).unwrap();
        let fourth = reg.stage(set("4"), 3.0).unwrap();
        assert_eq!(reg.len(3.0), 2);
        assert_eq!(reg.take(&first, Action::Set, 3.0), None);
        assert!(reg.take(&third, Action::Set, 3.0).is_some());
        assert!(reg.take(&fourth, Action::Set, 3.0).is_some());
        assert!(NonceRegistry::new(60.0, 0).is_err());
        assert!(NonceRegistry::new(f64::NAN, 1).is_err());
    }

    #[test]
    fn odd_nonces_find_nothing() {
        let reg = NonceRegistry::default();
        reg.stage(set("a"), 0.0).unwrap();
        for nonce in ["", "unknown", &"x".repeat(5000)] {
            assert_eq!(reg.take(nonce, Action::Set, 0.0), None);
        }
        assert_eq!(reg.len(0.0), 1);
    }

    #[test]
    fn headers_over_http_and_https() {
        let op = set("tok.en");
        assert_eq!(
            set_cookie_headers(&op, false),
            ["c=tok.en; Max-Age=60; Path=/; HttpOnly; SameSite=Strict"]
        );
        assert_eq!(
            set_cookie_headers(&op.clone().secure(true), false),
            [
                "__Host-c=tok.en; Max-Age=60; Path=/; HttpOnly; SameSite=Strict; Secure",
                "c=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Strict; Secure",
            ]
        );
        assert_eq!(
            set_cookie_headers(&Staged::clear("c").unwrap(), false),
            ["c=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Strict"]
        );
    }

    #[test]
    fn on_https_only_the_host_cookie_is_read() {
        assert_eq!(names_to_read("c", true), ["__Host-c"]);
        assert_eq!(names_to_read("c", false), ["__Host-c", "c"]);
    }

    #[test]
    fn names_and_values_that_could_inject_attributes_are_refused() {
        for name in ["", "a b", "a;b", "a=b", "é"] {
            assert!(Staged::clear(name).is_err(), "{name:?}");
        }
        for value in ["a b", "a;Domain=evil", "a\"b", "a,b", "a\\b", "a\nb"] {
            assert!(Staged::set("c", value, 1).is_err(), "{value:?}");
        }
        let debug = format!("{:?}", set("secret-token"));
        assert!(!debug.contains("secret-token"));
    }
}
