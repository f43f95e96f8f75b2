//! Logins started and not yet finished, kept server-side.
//!
//! Why not in Streamlit's `session_state`: the provider sends the browser
//! back with a full page load, which opens a *new* Streamlit session (and
//! a link button opens a new tab), so that session's state is gone. The
//! pending login therefore lives in this process, found again by the
//! `state` the provider hands back, and is tied to the browser that started
//! it by a random *binding* the browser keeps in a cookie (and the starting
//! session keeps in its state). A `state` is taken out of the registry the
//! first time it is presented, whatever happens next: it works once.
//!
//! Entries are found by the SHA-256 of their `state` — so the lookup's timing
//! says nothing about the secret — then compared in constant time. They
//! expire after [`PENDING_TTL`]; the registry holds at most
//! [`MAX_PENDING`], dropping the oldest first.
//!
//! The registry is per process: an app run as several processes behind a
//! load balancer needs sticky sessions for the login redirect.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use super::pkce::{digest, SecretString};
use crate::secret::constant_time_eq;

/// Seconds a started login may take before its `state` stops working.
pub const PENDING_TTL: f64 = 600.0;

/// Most logins pending at once in one process.
pub const MAX_PENDING: usize = 10_000;

/// What is kept of a started login.
#[derive(Clone)]
pub(crate) struct Pending {
    /// Which client started it (issuer, client id, redirect URI).
    pub client: [u8; 32],
    /// The `nonce` the ID token must carry.
    pub nonce: SecretString,
    /// The PKCE verifier sent to the token endpoint.
    pub verifier: SecretString,
    /// SHA-256 of the browser binding.
    pub binding: [u8; 32],
    /// When it stops working, Unix seconds.
    pub expires: f64,
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

struct Entry {
    state: SecretString,
    pending: Pending,
}

fn registry() -> &'static Mutex<HashMap<[u8; 32], Entry>> {
    static PENDING: OnceLock<Mutex<HashMap<[u8; 32], Entry>>> = OnceLock::new();
    PENDING.get_or_init(Default::default)
}

/// Records a started login under its `state`.
pub(crate) fn insert(state: &SecretString, pending: Pending, now: f64) {
    let mut map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    map.retain(|_, e| e.pending.expires > now);
    while map.len() >= MAX_PENDING {
        let oldest = map
            .iter()
            .min_by(|a, b| a.1.pending.expires.total_cmp(&b.1.pending.expires))
            .map(|(k, _)| *k);
        match oldest {
            Some(key) => map.remove(&key),
            None => break,
        };
    }
    map.insert(
        digest(state.expose()),
        Entry {
            state: state.clone(),
            pending,
        },
    );
}

/// Takes the login started under `state` out of the registry: it is gone
/// afterwards, whether the login then succeeds or not. `None` if there is
/// none, or it has expired.
pub(crate) fn take(state: &str, now: f64) -> Option<Pending> {
    let entry = registry()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&digest(state))?;
    let same = constant_time_eq(entry.state.expose().as_bytes(), state.as_bytes());
    (same && entry.pending.expires > now).then_some(entry.pending)
}

/// The client that started the login under `state`, if it is pending and
/// not expired; the login stays pending.
pub(crate) fn client_of(state: &str, now: f64) -> Option<[u8; 32]> {
    let map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    let entry = map.get(&digest(state))?;
    let same = constant_time_eq(entry.state.expose().as_bytes(), state.as_bytes());
    (same && entry.pending.expires > now).then_some(entry.pending.client)
}

/// Whether one of `candidates` is the browser binding recorded in `pending`.
pub(crate) fn binding_matches(pending: &Pending, candidates: &[&str]) -> bool {
    candidates
        .iter()
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .fold(false, |found, c| {
            found | constant_time_eq(&digest(c), &pending.binding)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::pkce::random_token;

    fn pending(binding: &str, expires: f64) -> Pending {
        Pending {
            client: [1; 32],
            nonce: SecretString::new("n"),
            verifier: SecretString::new("v"),
            binding: digest(binding),
            expires,
        }
    }

    #[test]
    fn a_state_works_once() {
        let state = random_token().unwrap();
        insert(&state, pending("b", 1_600.0), 1_000.0);
        assert_eq!(client_of(state.expose(), 1_001.0), Some([1; 32]));
        assert_eq!(client_of(state.expose(), 1_600.0), None);
        let p = take(state.expose(), 1_001.0).unwrap();
        assert_eq!(client_of(state.expose(), 1_001.0), None);
        assert!(binding_matches(&p, &["x", "b"]));
        assert!(!binding_matches(&p, &["x", ""]));
        assert!(take(state.expose(), 1_002.0).is_none());
    }

    #[test]
    fn unknown_and_expired_states_are_refused() {
        assert!(take("never-issued", 0.0).is_none());
        let state = random_token().unwrap();
        insert(&state, pending("b", 1_600.0), 1_000.0);
        assert!(take(state.expose(), 1_600.0).is_none());
        // Expired entries are gone, not kept for a later try.
        assert!(take(state.expose(), 1_000.0).is_none());
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", pending("binding-secret", 1.0));
        assert_eq!(shown, "Pending { expires: 1.0, .. }");
    }
}
