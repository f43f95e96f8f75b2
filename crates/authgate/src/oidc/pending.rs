//! Logins started and not yet finished: sealed into their `state`, so that
//! starting one stores nothing.
//!
//! Why not in Streamlit's `session_state`: the provider sends the browser
//! back with a full page load, which opens a *new* Streamlit session (and
//! a link button opens a new tab), so that session's state is gone. Why
//! not in a registry either: the login button carries its URL, so a login
//! starts on every page view, and a registry of them is something any
//! visitor can fill until real users' logins are pushed out.
//!
//! So the `state` carries what the callback needs, authenticated by a key
//! this process draws at random when it starts:
//!
//! `state = b64(random ‖ expires) . b64(tag(ours) ‖ tag(client) ‖ tag(browser))`
//!
//! - *ours* says this process issued it (anything else is [`StateOwner::Unknown`](super::StateOwner));
//! - *client* says which client (issuer, client id, redirect URI) started
//!   it, so an app with several provider buttons lets each finish its own;
//! - *browser* binds it to the random binding the starting browser keeps in
//!   a cookie, so a callback URL opened in another browser is refused.
//!
//! The `nonce` and the PKCE verifier are derived from the `state` with the
//! same key: they never leave the server, and nothing needs keeping until
//! the browser returns. A `state` works once: it is remembered (by its
//! SHA-256) from its first use until it expires. Only states that carry a
//! valid tag are remembered, and the provider's authorization code is
//! single-use too, so the memory of used states cannot be flooded by
//! forged callbacks.
//!
//! The key is per process: an app run as several processes behind a load
//! balancer needs sticky sessions for the login redirect, and a restart
//! ends the logins in flight.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Mutex, OnceLock, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::pkce::{digest, SecretString};
use crate::error::Result;
use crate::secret::{self, constant_time_eq};

/// Seconds a started login may take before its `state` stops working.
pub const PENDING_TTL: f64 = 600.0;

/// Most used states remembered at once in one process; beyond it the
/// oldest is forgotten (its replay still needs the provider's single-use
/// code, and the browser binding).
pub const MAX_PENDING: usize = 100_000;

const RANDOM_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// Longest `state` accepted; a sealed one is 32 + 1 + 64 characters.
const MAX_STATE_LEN: usize = 128;

/// What a `state` says once its tags are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// Issued by this process for the client asking, not expired, unused.
    This,
    /// Issued by this process for another client.
    Other,
    /// Not one of ours, expired, malformed or used.
    Unknown,
}

/// A started login's secrets, derived from its `state`.
pub(crate) struct Pending {
    /// The `nonce` the ID token must carry.
    pub nonce: SecretString,
    /// The PKCE verifier sent to the token endpoint.
    pub verifier: SecretString,
    /// When the `state` stops working, Unix seconds.
    pub expires: f64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

fn tag(purpose: &str, parts: &[&[u8]]) -> Result<[u8; TAG_LEN]> {
    let full = secret::process_mac(purpose, parts)?;
    let mut out = [0; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    Ok(out)
}

/// A secret derived from a `state`: 43 base64url characters, a valid PKCE
/// verifier (RFC 7636 §4.1).
fn derive(purpose: &str, state: &str) -> Result<SecretString> {
    let bytes = Zeroizing::new(secret::process_mac(purpose, &[state.as_bytes()])?);
    Ok(SecretString::new(URL_SAFE_NO_PAD.encode(bytes.as_slice())))
}

/// Starts a login of `client` (its fingerprint) in the browser holding
/// `binding`: the `state` to send, and its nonce and verifier.
pub(crate) fn seal(client: &[u8; 32], binding: &str, now: f64) -> Result<(String, Pending)> {
    let random = secret::random_bytes::<RANDOM_LEN>()?;
    let expires = now + PENDING_TTL;
    // Whole milliseconds, so that what is read back is what was sealed.
    let expires_ms = (expires * 1000.0).ceil().max(0.0) as u64;
    let mut body = Vec::with_capacity(RANDOM_LEN + 8);
    body.extend_from_slice(&random);
    body.extend_from_slice(&expires_ms.to_be_bytes());
    let binding = digest(binding);
    let mut tags = Vec::with_capacity(3 * TAG_LEN);
    tags.extend_from_slice(&tag("ours", &[&body])?);
    tags.extend_from_slice(&tag("client", &[&body, client])?);
    tags.extend_from_slice(&tag("browser", &[&body, client, &binding])?);
    let state = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&body),
        URL_SAFE_NO_PAD.encode(&tags)
    );
    let pending = secrets_of(&state, expires_ms)?;
    Ok((state, pending))
}

fn secrets_of(state: &str, expires_ms: u64) -> Result<Pending> {
    Ok(Pending {
        nonce: derive("nonce", state)?,
        verifier: derive("verifier", state)?,
        expires: expires_ms as f64 / 1000.0,
    })
}

/// A `state`'s parts: body, its expiry, and the three tags.
struct Parsed {
    body: Vec<u8>,
    expires_ms: u64,
    tags: Vec<u8>,
}

fn parse(state: &str) -> Option<Parsed> {
    if state.len() > MAX_STATE_LEN {
        return None;
    }
    let (body, tags) = state.split_once('.')?;
    let body = URL_SAFE_NO_PAD.decode(body).ok()?;
    let tags = URL_SAFE_NO_PAD.decode(tags).ok()?;
    if body.len() != RANDOM_LEN + 8 || tags.len() != 3 * TAG_LEN {
        return None;
    }
    let expires_ms = u64::from_be_bytes(body[RANDOM_LEN..].try_into().ok()?);
    Some(Parsed {
        body,
        expires_ms,
        tags,
    })
}

fn tag_matches(tags: &[u8], index: usize, expected: Result<[u8; TAG_LEN]>) -> bool {
    let found = &tags[index * TAG_LEN..(index + 1) * TAG_LEN];
    expected.is_ok_and(|t| constant_time_eq(found, &t))
}

/// What `state` is to `client` at `now`; it stays usable.
pub(crate) fn open(state: &str, client: &[u8; 32], now: f64) -> Opened {
    let Some(p) = parse(state) else {
        return Opened::Unknown;
    };
    let live = (p.expires_ms as f64 / 1000.0) > now;
    if !live || !tag_matches(&p.tags, 0, tag("ours", &[&p.body])) || used(state) {
        return Opened::Unknown;
    }
    if tag_matches(&p.tags, 1, tag("client", &[&p.body, client])) {
        Opened::This
    } else {
        Opened::Other
    }
}

/// Uses up `state` for `client`, returning its secrets if it is this
/// client's, unexpired, unused, and one of `bindings` is the browser's that
/// started it. A state with a valid tag is used up whatever happens next.
pub(crate) fn take(
    state: &str,
    client: &[u8; 32],
    bindings: &[&str],
    now: f64,
) -> Result<Option<Pending>> {
    if open(state, client, now) != Opened::This {
        return Ok(None);
    }
    let Some(p) = parse(state) else {
        return Ok(None);
    };
    if !remember(state, p.expires_ms as f64 / 1000.0, now) {
        return Ok(None); // used meanwhile, by a parallel callback
    }
    let browser = bindings
        .iter()
        .filter(|b| !b.is_empty() && b.len() <= 256)
        .fold(false, |found, b| {
            let expected = tag("browser", &[&p.body, client, &digest(b)]);
            found | tag_matches(&p.tags, 2, expected)
        });
    if !browser {
        return Ok(None);
    }
    secrets_of(state, p.expires_ms).map(Some)
}

/// Used states, by SHA-256, with an index by expiry for pruning.
#[derive(Default)]
struct Used {
    states: HashSet<[u8; 32]>,
    by_expiry: BTreeSet<(u64, [u8; 32])>,
}

fn used_states() -> &'static Mutex<Used> {
    static USED: OnceLock<Mutex<Used>> = OnceLock::new();
    USED.get_or_init(Default::default)
}

fn used(state: &str) -> bool {
    let used = used_states().lock().unwrap_or_else(PoisonError::into_inner);
    used.states.contains(&digest(state))
}

/// Remembers `state` as used until it expires; `false` if it was already.
fn remember(state: &str, expires: f64, now: f64) -> bool {
    let mut used = used_states().lock().unwrap_or_else(PoisonError::into_inner);
    let now_bits = now.max(0.0).to_bits();
    // Expired states are refused by their expiry: no need to remember them.
    while let Some(&(until, d)) = used.by_expiry.first() {
        if until > now_bits && used.states.len() < MAX_PENDING {
            break;
        }
        used.by_expiry.pop_first();
        used.states.remove(&d);
    }
    let d = digest(state);
    if !used.states.insert(d) {
        return false;
    }
    used.by_expiry.insert((expires.max(0.0).to_bits(), d));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: [u8; 32] = [1; 32];

    #[test]
    fn a_state_works_once_in_the_browser_that_started_it() {
        let (state, started) = seal(&CLIENT, "b", 1_000.0).unwrap();
        assert_eq!(open(&state, &CLIENT, 1_001.0), Opened::This);
        assert_eq!(open(&state, &[2; 32], 1_001.0), Opened::Other);
        assert_eq!(open(&state, &CLIENT, 1_600.0), Opened::Unknown);
        let p = take(&state, &CLIENT, &["x", "b"], 1_001.0)
            .unwrap()
            .unwrap();
        assert_eq!(p.nonce, started.nonce);
        assert_eq!(p.verifier, started.verifier);
        assert_ne!(p.nonce, p.verifier);
        assert_eq!(p.verifier.expose().len(), 43);
        assert_eq!(open(&state, &CLIENT, 1_001.0), Opened::Unknown);
        assert!(take(&state, &CLIENT, &["b"], 1_002.0).unwrap().is_none());
    }

    #[test]
    fn another_browser_uses_it_up_and_gets_nothing() {
        let (state, _) = seal(&CLIENT, "b", 1_000.0).unwrap();
        assert!(take(&state, &CLIENT, &["x", ""], 1_001.0)
            .unwrap()
            .is_none());
        assert!(take(&state, &CLIENT, &["b"], 1_001.0).unwrap().is_none());
    }

    #[test]
    fn forged_tampered_and_expired_states_are_refused() {
        assert_eq!(open("never-issued", &CLIENT, 0.0), Opened::Unknown);
        let (state, _) = seal(&CLIENT, "b", 1_000.0).unwrap();
        // A later expiry, with the old tags.
        let (body, tags) = state.split_once('.').unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(body).unwrap();
        raw[RANDOM_LEN] ^= 1;
        let forged = format!("{}.{tags}", URL_SAFE_NO_PAD.encode(&raw));
        assert_eq!(open(&forged, &CLIENT, 1_001.0), Opened::Unknown);
        assert!(take(&state, &CLIENT, &["b"], 1_600.0).unwrap().is_none());
        assert_eq!(open(&"a".repeat(500), &CLIENT, 0.0), Opened::Unknown);
    }

    #[test]
    fn starting_a_login_stores_nothing() {
        let before = used_states().lock().unwrap().states.len();
        for _ in 0..1_000 {
            seal(&CLIENT, "b", 1_000.0).unwrap();
        }
        let after = used_states().lock().unwrap().states.len();
        // Other tests may use states meanwhile, but never a thousand.
        assert!(after < before + 10, "{before} -> {after}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let (_, p) = seal(&CLIENT, "binding-secret", 1.0).unwrap();
        let shown = format!("{p:?}");
        assert!(shown.starts_with("Pending { expires: 601"), "{shown}");
        assert!(!shown.contains(p.nonce.expose()));
    }
}
