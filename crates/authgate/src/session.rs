//! Server-side login sessions.
//!
//! A cookie token names a session; the session lives in the store. Logging
//! out deletes it, so the cookie stops working everywhere at once. A session
//! counts as *live* (for `max_concurrent_users` and `single_session`) only
//! while it has been seen recently, so a closed browser never locks its user
//! out for longer than the idle timeout.

use serde::{Deserialize, Serialize};

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
}

impl Session {
    /// Whether it can still be resumed at `now`.
    pub fn is_valid(&self, now: f64) -> bool {
        self.expires > now
    }

    /// Whether it counts as someone using the app at `now`.
    pub fn is_live(&self, now: f64, idle_timeout: f64) -> bool {
        self.is_valid(now) && now - self.last_seen < idle_timeout
    }
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
