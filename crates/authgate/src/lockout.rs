//! When repeated failed logins lock an account, and when the lock ends.
//!
//! streamlit-authenticator 0.4.2 counted failures forever and refused the
//! account once the count reached `max_login_attempts`, so anyone who knew a
//! username could lock its owner out for good. Here failures only count inside
//! a window that starts at the first failure, and a lock always ends by itself
//! after a cooldown. Without a limit, [`crate::throttle`] still slows guessing.

use serde::{Deserialize, Serialize};

/// How many failures within which window lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LockoutPolicy {
    /// Failures that lock the account; `None` disables lockout.
    pub max_attempts: Option<u32>,
    /// Failures older than this many seconds no longer count.
    pub window_seconds: f64,
    /// How long, in seconds, a lock lasts.
    pub cooldown_seconds: f64,
}

impl LockoutPolicy {
    /// Default window: failures within 15 minutes count together.
    pub const DEFAULT_WINDOW: f64 = 15.0 * 60.0;
    /// Default cooldown: a lock lasts 15 minutes.
    pub const DEFAULT_COOLDOWN: f64 = 15.0 * 60.0;

    /// A policy with the default window and cooldown.
    pub fn new(max_attempts: Option<u32>) -> Self {
        LockoutPolicy {
            max_attempts,
            window_seconds: Self::DEFAULT_WINDOW,
            cooldown_seconds: Self::DEFAULT_COOLDOWN,
        }
    }

    /// The lock in force at `now`, if any — failures' or an operator's,
    /// whichever ends later: its end time.
    pub fn locked_until(&self, state: &LockState, now: f64) -> Option<f64> {
        let failures = state.locked_until.filter(|until| *until > now);
        let operator = state.disabled_until.filter(|until| *until > now);
        match (failures, operator) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Counts one more failure at `now` and returns the new state.
    ///
    /// ```
    /// use authgate::lockout::{LockoutPolicy, LockState};
    /// let policy = LockoutPolicy { max_attempts: Some(2), window_seconds: 60.0, cooldown_seconds: 300.0 };
    /// let s = policy.record_failure(&LockState::default(), 0.0);
    /// assert_eq!(policy.locked_until(&s, 1.0), None);
    /// let s = policy.record_failure(&s, 10.0);
    /// assert_eq!(policy.locked_until(&s, 11.0), Some(310.0));
    /// assert_eq!(policy.locked_until(&s, 311.0), None);
    /// ```
    pub fn record_failure(&self, state: &LockState, now: f64) -> LockState {
        if self.locked_until(state, now).is_some() {
            // Attempts during a lock neither extend it nor count towards the next.
            return state.clone();
        }
        let in_window = state
            .window_start
            .is_some_and(|start| now - start < self.window_seconds)
            && state.locked_until.is_none();
        let (failures, window_start) = if in_window {
            (state.failures.saturating_add(1), state.window_start)
        } else {
            (1, Some(now))
        };
        let locked_until = match self.max_attempts {
            Some(max) if failures >= max.max(1) => Some(now + self.cooldown_seconds),
            _ => None,
        };
        LockState {
            failures,
            window_start,
            locked_until,
            disabled_until: state.disabled_until,
        }
    }
}

/// The failure record of one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LockState {
    /// Failures in the current window (streamlit-authenticator's `failed_login_attempts`).
    pub failures: u32,
    /// When the current window began.
    pub window_start: Option<f64>,
    /// When the current or last lock ends.
    pub locked_until: Option<f64>,
    /// When an operator's lock ends (`f64::INFINITY`: until lifted). Apart
    /// from the lock failures set: a successful login resets the failures
    /// and never this.
    #[serde(default)]
    pub disabled_until: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_attempts: Some(3),
            window_seconds: 60.0,
            cooldown_seconds: 120.0,
        }
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let p = policy();
        let s = p.record_failure(&LockState::default(), 0.0);
        let s = p.record_failure(&s, 30.0);
        let s = p.record_failure(&s, 100.0);
        assert_eq!(s.failures, 1);
        assert_eq!(p.locked_until(&s, 100.0), None);
    }

    #[test]
    fn a_lock_ends_by_itself_and_is_not_extended() {
        let p = policy();
        let mut s = LockState::default();
        for t in [0.0, 1.0, 2.0] {
            s = p.record_failure(&s, t);
        }
        assert_eq!(p.locked_until(&s, 3.0), Some(122.0));
        let during = p.record_failure(&s, 50.0);
        assert_eq!(during, s);
        assert_eq!(p.locked_until(&s, 122.0), None);
        let after = p.record_failure(&s, 130.0);
        assert_eq!(after.failures, 1);
        assert_eq!(p.locked_until(&after, 130.0), None);
    }

    #[test]
    fn no_limit_never_locks() {
        let p = LockoutPolicy::new(None);
        let mut s = LockState::default();
        for t in 0..100 {
            s = p.record_failure(&s, f64::from(t));
        }
        assert_eq!(p.locked_until(&s, 100.0), None);
        assert_eq!(s.failures, 100);
    }
}
