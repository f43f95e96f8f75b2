//! Server-side login sessions.
//!
//! A cookie token names a session; the session lives in the store. Logging
//! out deletes it, so the cookie stops working everywhere at once. A session
//! counts as *live* (for `max_concurrent_users` and `single_session`) only
//! while it has been seen recently, so a closed browser never locks its user
//! out for longer than the idle timeout.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::SessionLimits;

/// One login session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Random identifier, also carried in the cookie token (`sid`).
    pub id: String,
    /// Lower-cased username.
    pub username: String,
    /// When it was created (Unix seconds).
    pub created: f64,
    /// When it ends regardless of activity.
    pub expires: f64,
    /// Last time the app saw it in use.
    pub last_seen: f64,
    /// The user's credential version when the session opened
    /// ([`crate::token::credential_version`] of the stored password). The
    /// session ends when the stored password no longer has this version.
    /// Hashing a plaintext password (`auto_hash`) carries the session over
    /// to the hash, so only a real password change ends it. `None` for
    /// sessions stored before authgate kept it: their cookie's `cv` claim is
    /// checked instead.
    #[serde(default)]
    pub credential: Option<String>,
    /// The browser's `User-Agent` as the session's login sent it (at most
    /// [`USER_AGENT_MAX`] bytes), so its user can tell their sessions apart
    /// ([`crate::device`]); `None` when unknown.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// The longest `User-Agent` kept with a session; real ones are far shorter.
pub const USER_AGENT_MAX: usize = 512;

/// `agent` cut to [`USER_AGENT_MAX`] bytes on a character boundary, with
/// control characters dropped; `None` if nothing is left.
pub fn clean_user_agent(agent: &str) -> Option<String> {
    let mut kept = String::new();
    for c in agent.trim().chars().filter(|c| !c.is_control()) {
        if kept.len() + c.len_utf8() > USER_AGENT_MAX {
            break;
        }
        kept.push(c);
    }
    Some(kept).filter(|k| !k.is_empty())
}

impl Session {
    /// Whether it can still be resumed at `now`.
    pub fn is_valid(&self, now: f64) -> bool {
        self.expires > now
    }

    /// Whether it counts as someone using the app at `now`.
    pub fn is_live(&self, now: f64, idle_timeout: f64) -> bool {
        self.is_valid(now) && seen_recently(self.last_seen, now, idle_timeout)
    }
}

/// Whether a session last seen at `last_seen` is live at `now` (it must
/// also be valid): the one definition the stores' queries use too.
pub fn seen_recently(last_seen: f64, now: f64, idle_timeout: f64) -> bool {
    now - last_seen < idle_timeout
}

/// Whether `user` may open a session under `limits`, given whether they
/// already have a live session and the distinct users that have one.
///
/// ```
/// use authgate::session::admit;
/// use authgate::store::SessionLimits;
/// let limits = SessionLimits { max_concurrent_users: Some(1), single_session: false, idle_timeout: 60.0 };
/// assert!(admit(&limits, "a", false, &["b".to_string()]).is_err());
/// assert!(admit(&limits, "b", true, &["b".to_string()]).is_ok());
/// ```
///
/// # Errors
///
/// [`Error::SessionExists`] under `single_session` when the user has a
/// live session; [`Error::TooManyUsers`] when `max_concurrent_users` others
/// are in already.
pub fn admit(
    limits: &SessionLimits,
    user: &str,
    has_live_session: bool,
    live_users: &[String],
) -> Result<()> {
    if limits.single_session && has_live_session {
        return Err(Error::SessionExists);
    }
    if let Some(max) = limits.max_concurrent_users {
        let already_in = live_users.iter().any(|u| u == user);
        if !already_in && live_users.len() >= max as usize {
            return Err(Error::TooManyUsers);
        }
    }
    Ok(())
}

/// Timings of sessions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionPolicy {
    /// Seconds of inactivity after which a session stops counting as live.
    pub idle_timeout: f64,
    /// Minimum seconds between two writes of `last_seen` for one session.
    pub touch_interval: f64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_timeout: 30.0 * 60.0,
            touch_interval: 5.0 * 60.0,
        }
    }
}
