//! Where users, sessions and lockout state are kept.
//!
//! [`Store`] is the one interface the flows in [`crate::auth`] use. Each
//! method is one atomic operation ("count this failure and tell me the new
//! count", "open this session if the limits allow"), never a read in one call
//! and a write in another, so concurrent sessions and processes cannot lose
//! each other's updates.
//!
//! Implementations:
//! - [`DocStore`] over a `config.yaml` file ([`DocStore::open_file`]) — the
//!   streamlit-authenticator schema, locked and replaced atomically;
//! - [`DocStore`] in memory ([`DocStore::in_memory`]) — dict mode.
//!
//! [`open`] caches one store per file and process, so building an
//! `Authenticate` on every Streamlit rerun costs a `stat`, not a parse.

mod doc_store;
pub mod document;
pub mod file;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use doc_store::DocStore;

use crate::error::Result;
use crate::lockout::{LockState, LockoutPolicy};
use crate::session::Session;
use crate::user::User;
use crate::yaml::Value;

/// Settings kept in the store next to the users (`cookie`, `api_key`).
#[derive(Clone, Default, PartialEq)]
pub struct Settings {
    /// `cookie.name`.
    pub cookie_name: Option<String>,
    /// `cookie.key`: the secret that signs cookies.
    pub cookie_key: Option<String>,
    /// `cookie.expiry_days`.
    pub cookie_expiry_days: Option<f64>,
    /// `api_key`.
    pub api_key: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("cookie_name", &self.cookie_name)
            .field(
                "cookie_key",
                &self.cookie_key.as_ref().map(|_| "<redacted>"),
            )
            .field("cookie_expiry_days", &self.cookie_expiry_days)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Limits checked when a session opens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionLimits {
    /// At most this many distinct users with live sessions.
    pub max_concurrent_users: Option<u32>,
    /// Refuse a user who already has a live session.
    pub single_session: bool,
    /// Seconds without activity after which a session is not live.
    pub idle_timeout: f64,
}

/// The operations the authentication flows need from storage.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The user with this username (case-insensitive).
    fn user(&self, username: &str) -> Result<Option<User>>;
    /// The user with this email (case-insensitive).
    fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// The user's raw record, unknown keys included.
    fn user_record(&self, username: &str) -> Result<Option<Value>>;
    /// Cookie settings and the like.
    fn settings(&self) -> Result<Settings>;
    /// The user's failure record.
    fn lock_state(&self, username: &str) -> Result<LockState>;
    /// Counts one failed login of an existing user; returns the new record.
    fn record_failure(&self, username: &str, policy: &LockoutPolicy, now: f64)
        -> Result<LockState>;
    /// Opens `session` if `limits` allow it, clears the user's failures and
    /// marks them logged in — all in one step.
    fn open_session(&self, session: &Session, limits: &SessionLimits, now: f64) -> Result<()>;
    /// A session by id.
    fn session(&self, id: &str) -> Result<Option<Session>>;
    /// Records that the session was just used.
    fn touch_session(&self, id: &str, now: f64) -> Result<()>;
    /// Ends a session; marks the user logged out when no live session is
    /// left; refuses legacy tokens of that user issued before `now`.
    fn close_session(&self, id: &str, now: f64, idle_timeout: f64) -> Result<Option<Session>>;
    /// Legacy tokens (without session id) issued before this time are refused.
    fn revoked_before(&self, username: &str) -> Result<Option<f64>>;
    /// Users whose stored password is still plaintext, with it.
    fn plaintext_passwords(&self) -> Result<Vec<(String, String)>>;
    /// Stores hashes for plaintext passwords, each only if the stored value
    /// is still the plaintext that was hashed. Returns the users updated.
    fn store_hashes(&self, hashed: &[(String, String, String)]) -> Result<Vec<String>>;
}

/// Options for opening a file store.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// How long a writer waits for another process's lock.
    pub lock_timeout: std::time::Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            lock_timeout: file::SharedFile::DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// The store for a config file, shared by every caller in this process.
///
/// The first call parses the file; later calls return the same store, which
/// re-reads the file only when it changed on disk.
pub fn open(path: &Path, options: OpenOptions) -> Result<Arc<DocStore>> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Arc<DocStore>>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let registry = OPEN.get_or_init(Default::default);
    if let Some(store) = registry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
    {
        store.refresh()?;
        return Ok(Arc::clone(store));
    }
    // Parse outside the registry lock: a large file must not stall other stores.
    let store = Arc::new(DocStore::open_file(&key, options)?);
    let mut map = registry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Arc::clone(map.entry(key).or_insert(store)))
}
