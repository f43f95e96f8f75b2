//! Hashing the plaintext passwords of a config at start-up (`auto_hash`).
//!
//! streamlit-authenticator 0.4.2 hashes them one by one on every
//! `Authenticate` — 200 users cost it 50 s per start on one core. Here they
//! are hashed once, on every core, and by default in the background: the
//! login form is up at once, and a user whose password is not hashed yet is
//! checked against the plaintext in constant time (see
//! [`crate::auth::AuthConfig::with_plaintext_accepted`]). Each hash is stored
//! only if the plaintext is still the one that was hashed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::{Error, Result};
use crate::password;
use crate::store::Store;

/// The stored passwords that are plaintext: neither bcrypt hashes nor hashes
/// of another scheme ([`password::is_foreign_hash`]), which are left alone.
fn plaintext(store: &dyn Store) -> Result<Vec<(String, String)>> {
    let mut plain = store.plaintext_passwords()?;
    plain.retain(|(_, p)| !password::is_foreign_hash(p));
    Ok(plain)
}

/// Hashes every plaintext password of `store` in parallel and stores the
/// hashes. Returns the users updated; a password bcrypt cannot take is
/// reported by username, after the others are stored.
pub fn hash_plaintext_passwords(store: &dyn Store) -> Result<Vec<String>> {
    let plain = plaintext(store)?;
    if plain.is_empty() {
        return Ok(Vec::new());
    }
    let refs: Vec<&str> = plain.iter().map(|(_, p)| p.as_str()).collect();
    let mut hashed = Vec::with_capacity(plain.len());
    let mut refused = Vec::new();
    for ((username, plaintext), result) in plain.iter().zip(password::hash_many(&refs)) {
        match result {
            Ok(hash) => hashed.push((username.clone(), plaintext.clone(), hash)),
            Err(_) => refused.push(username.as_str()),
        }
    }
    let stored = store.store_hashes(&hashed)?;
    if refused.is_empty() {
        Ok(stored)
    } else {
        Err(too_long(&refused))
    }
}

/// Starts hashing `store`'s plaintext passwords on a background thread,
/// unless that is already under way for this store. Refuses at once, before
/// starting, if a plaintext password is longer than bcrypt takes.
///
/// Returns the number of plaintext passwords it set out to hash.
pub fn hash_in_background(store: &Arc<dyn Store>) -> Result<usize> {
    static RUNNING: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
    let plain = plaintext(store.as_ref())?;
    if plain.is_empty() {
        return Ok(0);
    }
    let refused: Vec<&str> = plain
        .iter()
        .filter(|(_, p)| p.len() > password::MAX_PASSWORD_BYTES)
        .map(|(u, _)| u.as_str())
        .collect();
    if !refused.is_empty() {
        return Err(too_long(&refused));
    }
    // The store's address identifies it for as long as the Arc lives.
    let id = Arc::as_ptr(store).cast::<()>() as usize;
    let running = RUNNING.get_or_init(Default::default);
    if !running
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id)
    {
        return Ok(plain.len());
    }
    let store = Arc::clone(store);
    let count = plain.len();
    drop(plain);
    std::thread::Builder::new()
        .name("authgate-auto-hash".into())
        .spawn(move || {
            // A failure leaves the plaintext in place; the next start tries again.
            let _ = hash_plaintext_passwords(store.as_ref());
            running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        })
        .map_err(|e| Error::io("<thread>", e))?;
    Ok(count)
}

fn too_long(users: &[&str]) -> Error {
    Error::InvalidInput(format!(
        "cannot hash the password of {}: longer than 72 bytes",
        users.join(", ")
    ))
}
