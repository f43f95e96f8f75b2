//! The default brake on password guessing: exponential back-off, counted
//! per client and account, that never locks anyone out for good.
//!
//! streamlit-authenticator 0.4.2 has no limit unless the app sets
//! `max_login_attempts`, and then any stranger who knows a username can
//! keep its owner locked out by failing on purpose. authgate throttles
//! every password check by default, as django-axes and Devise do, under
//! three counters, each with its own free attempts and back-off:
//!
//! | counter | counts | free | then waits | at most |
//! |---|---|---|---|---|
//! | client + account | one client guessing one account | 5 | 1 s, 2 s, 4 s … | 15 min |
//! | client | one client guessing many accounts (credential stuffing) | 30 | 1 s, 2 s, 4 s … | 15 min |
//! | account | every client together (a botnet on one account) | 50 | 1 s, 2 s, 4 s … | 1 min |
//!
//! Each attempt is counted *before* the password is checked, so parallel
//! guesses get no more checks than the counters allow; a success gives its
//! attempt back and clears its client + account counter. A counter starts
//! again when its 15-minute window has passed. A stranger's failures thus
//! slow down the stranger: the owner, on another client, only ever meets
//! the account counter, whose wait is one minute at most.
//!
//! The client is the address of the browser's connection (Streamlit's
//! `st.context.ip_address`, or a header set by a trusted proxy). Unknown
//! usernames are counted like known ones, so the brake tells nothing about
//! which accounts exist.

use crate::user::UserKey;

/// One counter's rule: how many attempts in a window are free, and how the
/// wait grows after them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Attempts per window that never wait.
    pub free: u32,
    /// The wait after the first attempt beyond `free`, in seconds; it
    /// doubles with each further one.
    pub first_delay: f64,
    /// The longest wait, in seconds.
    pub max_delay: f64,
}

impl Backoff {
    /// The count of attempts from which the next one waits.
    pub fn threshold(&self) -> u32 {
        self.free.max(1)
    }

    /// The wait that the `attempts`-th attempt of a window imposes on the
    /// next one: none before the free attempts are used up.
    ///
    /// ```
    /// use authgate::throttle::Backoff;
    /// let b = Backoff { free: 2, first_delay: 1.0, max_delay: 5.0 };
    /// assert_eq!(b.delay_after(1), None);
    /// assert_eq!(b.delay_after(2), Some(1.0)); // the third attempt waits
    /// assert_eq!(b.delay_after(3), Some(2.0));
    /// assert_eq!(b.delay_after(6), Some(5.0));
    /// ```
    pub fn delay_after(&self, attempts: u32) -> Option<f64> {
        let beyond = attempts.checked_sub(self.threshold())?;
        // 2^63 is far beyond any max_delay; the exponent is capped to stay finite.
        let factor = 2f64.powi(beyond.min(63) as i32);
        Some((self.first_delay * factor).min(self.max_delay))
    }
}

/// Which counter a [`ThrottleKey`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// One client guessing one account.
    ClientAccount,
    /// One client, whatever account it tries.
    Client,
    /// One account, from every client.
    Account,
}

/// The stored name of one counter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThrottleKey {
    /// Which rule applies.
    pub scope: Scope,
    /// The row's key in the store.
    pub key: String,
}

/// One counter's record.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ThrottleState {
    /// Attempts counted in the current window.
    pub attempts: u32,
    /// When the current window began.
    pub window_start: f64,
    /// The next attempt must wait until then.
    pub blocked_until: Option<f64>,
}

/// The counters of a successful attempt and their rules: what
/// [`crate::store::Store::open_session_refunding`] gives back.
pub type Refund<'a> = (&'a [ThrottleKey], &'a ThrottlePolicy);

/// Which brake a counter belongs to: each prunes only its own counters,
/// whose windows differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// Password attempts ([`ThrottlePolicy::default`]).
    Login,
    /// Mailed codes ([`ThrottlePolicy::mail`]); keys start with [`MAIL_PREFIX`].
    Mail,
}

/// The start of every key of a [`Namespace::Mail`] counter.
pub const MAIL_PREFIX: &str = "m/";

/// The three counters' rules and their window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottlePolicy {
    /// Whose counters these are.
    pub namespace: Namespace,
    /// Seconds after which a counter starts again.
    pub window: f64,
    /// One client guessing one account.
    pub client_account: Backoff,
    /// One client guessing many accounts.
    pub client: Backoff,
    /// Every client guessing one account.
    pub account: Backoff,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            namespace: Namespace::Login,
            window: 15.0 * 60.0,
            client_account: Backoff {
                free: 5,
                first_delay: 1.0,
                max_delay: 15.0 * 60.0,
            },
            client: Backoff {
                free: 30,
                first_delay: 1.0,
                max_delay: 15.0 * 60.0,
            },
            account: Backoff {
                free: 50,
                first_delay: 1.0,
                max_delay: 60.0,
            },
        }
    }
}

/// A client address as a key part: what a store can keep, without the
/// separator of [`ThrottlePolicy::keys`].
fn client_part(client: Option<&str>) -> String {
    let client = client.map(str::trim).filter(|c| !c.is_empty());
    let mut part: String = client
        .unwrap_or("-")
        .chars()
        .filter(|c| *c != '|' && !c.is_control())
        .take(128)
        .collect();
    if part.is_empty() {
        part.push('-');
    }
    part
}

/// The client + account, client and account counters under `prefix` (a
/// brake's namespace); `pair` names the account in the first, which may
/// say more than `account` (the mail brake adds the purpose).
fn three_keys(prefix: &str, pair: &str, account: &str, client: Option<&str>) -> [ThrottleKey; 3] {
    let client = client_part(client);
    [
        ThrottleKey {
            scope: Scope::ClientAccount,
            key: format!("{prefix}ca:{client}|{pair}"),
        },
        ThrottleKey {
            scope: Scope::Client,
            key: format!("{prefix}c:{client}"),
        },
        ThrottleKey {
            scope: Scope::Account,
            key: format!("{prefix}a:{account}"),
        },
    ]
}

impl ThrottlePolicy {
    /// The brake on mailed codes, so that nobody can fill an inbox: within
    /// a day, one code a minute per client and name asked for, ten per name
    /// from all clients, fifty per client; beyond a cap, a day's wait.
    ///
    /// ```
    /// use authgate::throttle::{Scope, ThrottlePolicy};
    /// let p = ThrottlePolicy::mail();
    /// assert_eq!(p.client_account.delay_after(1), Some(60.0));
    /// assert_eq!(p.account.delay_after(9), None);
    /// assert_eq!(p.account.delay_after(10), Some(86_400.0));
    /// ```
    pub fn mail() -> Self {
        const DAY: f64 = 24.0 * 3600.0;
        ThrottlePolicy {
            namespace: Namespace::Mail,
            window: DAY,
            client_account: Backoff {
                free: 1,
                first_delay: 60.0,
                max_delay: 60.0,
            },
            client: Backoff {
                free: 50,
                first_delay: DAY,
                max_delay: DAY,
            },
            account: Backoff {
                free: 10,
                first_delay: DAY,
                max_delay: DAY,
            },
        }
    }

    /// The counters a code mailed for `purpose` to the owner of `name`
    /// (a username or an email, as typed) from `client` is counted under:
    /// the name as typed, so that the brake says nothing of who exists.
    ///
    /// ```
    /// use authgate::throttle::ThrottlePolicy;
    /// let keys = ThrottlePolicy::mail_keys("register", " Bob@X.org", Some("203.0.113.9"));
    /// assert_eq!(keys[0].key, "m/ca:203.0.113.9|register|bob@x.org");
    /// assert_eq!(keys[1].key, "m/c:203.0.113.9");
    /// assert_eq!(keys[2].key, "m/a:bob@x.org");
    /// ```
    pub fn mail_keys(purpose: &str, name: &str, client: Option<&str>) -> [ThrottleKey; 3] {
        // A username or an email: the two keys fold alike (user.rs tests it).
        let name = UserKey::new(name);
        three_keys(MAIL_PREFIX, &format!("{purpose}|{name}"), &name, client)
    }

    /// The rule of `scope`.
    pub fn backoff(&self, scope: Scope) -> &Backoff {
        match scope {
            Scope::ClientAccount => &self.client_account,
            Scope::Client => &self.client,
            Scope::Account => &self.account,
        }
    }

    /// The counters an attempt on `username` from `client` is counted
    /// under, in the order stores lock them. An unknown client (`None`, as
    /// Streamlit reports a browser on the same machine) is one client.
    ///
    /// ```
    /// use authgate::throttle::{Scope, ThrottlePolicy};
    /// let keys = ThrottlePolicy::keys("Alice", Some("203.0.113.9"));
    /// assert_eq!(keys[0].scope, Scope::ClientAccount);
    /// assert_eq!(keys[0].key, "ca:203.0.113.9|alice");
    /// assert_eq!(keys[1].key, "c:203.0.113.9");
    /// assert_eq!(keys[2].key, "a:alice");
    /// ```
    pub fn keys(username: &str, client: Option<&str>) -> [ThrottleKey; 3] {
        let account = UserKey::new(username);
        three_keys("", &account, &account, client)
    }

    /// Until when `state` makes the next attempt wait, if it does at `now`.
    pub fn blocked_until(&self, state: &ThrottleState, now: f64) -> Option<f64> {
        state.blocked_until.filter(|until| *until > now)
    }

    /// Counts one attempt at `now` under a counter of `scope`.
    ///
    /// ```
    /// use authgate::throttle::{Scope, ThrottlePolicy, ThrottleState};
    /// let p = ThrottlePolicy::default();
    /// let mut s = ThrottleState::default();
    /// for t in 0..4 {
    ///     s = p.count(Scope::ClientAccount, Some(&s).filter(|_| t > 0), f64::from(t));
    ///     assert_eq!(p.blocked_until(&s, f64::from(t)), None);
    /// }
    /// // The fifth attempt is the last free one: the sixth waits a second.
    /// s = p.count(Scope::ClientAccount, Some(&s), 4.0);
    /// assert_eq!(p.blocked_until(&s, 4.0), Some(5.0));
    /// ```
    pub fn count(&self, scope: Scope, state: Option<&ThrottleState>, now: f64) -> ThrottleState {
        let current = state.filter(|s| now - s.window_start < self.window);
        let (attempts, window_start) = match current {
            Some(s) => (s.attempts.saturating_add(1), s.window_start),
            None => (1, now),
        };
        let blocked_until = self
            .backoff(scope)
            .delay_after(attempts)
            .map(|delay| now + delay);
        ThrottleState {
            attempts,
            window_start,
            blocked_until,
        }
    }

    /// Whether a stored counter is over (its window and wait both passed)
    /// at `now`, and can be deleted.
    pub fn expired(&self, state: &ThrottleState, now: f64) -> bool {
        now - state.window_start >= self.window && self.blocked_until(state, now).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &ThrottlePolicy, scope: Scope, times: &[f64]) -> ThrottleState {
        let mut state = None;
        for t in times {
            state = Some(p.count(scope, state.as_ref(), *t));
        }
        state.unwrap_or_default()
    }

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let p = ThrottlePolicy::default();
        let s = run(&p, Scope::Account, &[0.0; 49]);
        assert_eq!(p.blocked_until(&s, 0.0), None);
        let waits: Vec<f64> = (50..=60)
            .map(|n| p.account.delay_after(n).unwrap())
            .collect();
        assert_eq!(waits[..7], [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]);
        assert!(waits.iter().all(|w| *w <= 60.0));
        assert_eq!(p.client_account.delay_after(u32::MAX), Some(900.0));
    }

    #[test]
    fn a_new_window_starts_over() {
        let p = ThrottlePolicy::default();
        let s = run(&p, Scope::ClientAccount, &[0.0; 8]);
        assert!(p.blocked_until(&s, 0.0).is_some());
        let later = p.count(Scope::ClientAccount, Some(&s), p.window);
        assert_eq!(later.attempts, 1);
        assert_eq!(p.blocked_until(&later, p.window), None);
        assert!(p.expired(&s, p.window + 1000.0));
        assert!(!p.expired(&s, 10.0));
    }

    #[test]
    fn keys_cannot_be_confused() {
        let a = ThrottlePolicy::keys("b|c", Some("a"));
        let b = ThrottlePolicy::keys("c", Some("a|b"));
        assert_ne!(a[0], b[0]);
        let none = ThrottlePolicy::keys("x", None);
        let blank = ThrottlePolicy::keys("x", Some(" \n"));
        assert_eq!(none, blank);
        assert_eq!(none[1].key, "c:-");
    }
}
