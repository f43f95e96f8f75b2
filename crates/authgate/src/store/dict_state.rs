//! Dict mode's state, kept where the app's own save keeps it.
//!
//! streamlit-authenticator's README app loads `config.yaml` with PyYAML on
//! every rerun, hands `config['credentials']` to `Authenticate` and saves the
//! YAML at the end of the script. The dict is therefore the source of truth:
//! a counter an operator resets, a lock removed, a user deleted in the file
//! take effect at the next run, and a restart loses nothing the app saved.
//!
//! Each user's entry carries its state: 0.4.2's `failed_login_attempts` and
//! `logged_in`, and under the `authgate` key what 0.4.2 has no place for
//! (the failure window, a lock's end, a pending password from
//! `forgot_password`, the revocation time of 0.4.2 cookies) with a `version`.
//! The working copy lives in the store's in-memory state database, where the
//! same SQL operations as in file mode run on it; after each operation the
//! Python layer copies [`UserState`] back into the caller's dict.
//!
//! The version tells an edit from a stale copy. Every change a store makes
//! to a user's state raises the user's version, and the dict receives it
//! with the state. When a new dict arrives, a user's entry with a lower
//! version than the store's is a copy read before the store's last change
//! (another browser session loaded the file before this one saved it): the
//! store keeps its state, so concurrent sessions cannot undo each other's
//! failed attempts. An entry with the same version whose state differs was
//! edited by hand; an entry with a higher version comes from an earlier
//! process: the dict's state is taken.

use crate::lockout::LockState;
use crate::session::Session;
use crate::store::PendingPassword;
use crate::yaml::{Map, Value};

/// Key of authgate's per-user state in a dict-mode user entry.
pub const USER_STATE_KEY: &str = "authgate";

/// One user's state as a dict entry carries it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserState {
    /// Failed attempts in the current window (`failed_login_attempts`).
    pub failures: u32,
    /// Start of the failure window; `None` in a 0.4.2 entry.
    pub window_start: Option<f64>,
    /// End of a lock.
    pub locked_until: Option<f64>,
    /// End of an operator's lock.
    pub disabled_until: Option<f64>,
    /// A password from `forgot_password`, not used yet.
    pub pending: Option<PendingPassword>,
    /// 0.4.2 cookies issued at or before this time are refused.
    pub revoked_before: Option<f64>,
    /// Whether the user has a session that is not known to be over
    /// (`logged_in`).
    pub logged_in: bool,
    /// The user's sessions that have not expired, by id: a restart of the
    /// app keeps its users logged in, as 0.4.2's cookies did.
    pub sessions: Vec<Session>,
    /// How many changes the store made to this user's state.
    pub version: u64,
}

impl UserState {
    /// The state a store holds for one user, as the dict should carry it:
    /// 0.4.2's `logged_in` is a session the dict did not mark as over
    /// (`last_seen` 0, see `sql::ops::set_user_state`) of a user not logged
    /// out since; expired sessions go at the next login.
    pub fn held(
        lock: LockState,
        pending: Option<PendingPassword>,
        revoked_before: Option<f64>,
        sessions: Vec<Session>,
        logged_out: bool,
        version: u64,
    ) -> Self {
        UserState {
            failures: lock.failures,
            window_start: lock.window_start,
            locked_until: lock.locked_until,
            disabled_until: lock.disabled_until,
            pending,
            revoked_before,
            logged_in: !logged_out && sessions.iter().any(|s| s.last_seen > 0.0),
            sessions,
            version,
        }
    }

    /// Reads the state a user's entry carries; missing or malformed values
    /// read as none (the entry was written by 0.4.2 or by hand).
    pub fn from_entry(entry: &Map) -> Self {
        let own = entry.get(USER_STATE_KEY).and_then(Value::as_map);
        let float = |key: &str| own.and_then(|m| m.get(key)).and_then(number);
        let pending = own
            .and_then(|m| m.get("pending_password"))
            .and_then(Value::as_map)
            .and_then(|p| {
                Some(PendingPassword {
                    hash: p.get("hash")?.as_str()?.to_string(),
                    expires: p.get("expires").and_then(number)?,
                })
            });
        UserState {
            failures: entry
                .get("failed_login_attempts")
                .and_then(Value::as_i64)
                .map_or(0, |n| u32::try_from(n.max(0)).unwrap_or(u32::MAX)),
            window_start: float("window_start"),
            locked_until: float("locked_until"),
            disabled_until: float("disabled_until"),
            pending,
            revoked_before: float("revoked_before"),
            logged_in: matches!(entry.get("logged_in"), Some(Value::Bool(true))),
            sessions: own
                .and_then(|m| m.get("sessions"))
                .and_then(Value::as_map)
                .map(|m| {
                    m.iter()
                        .filter_map(|(id, s)| {
                            let s = s.as_map()?;
                            Some(Session {
                                id: id.as_str()?.to_string(),
                                username: String::new(),
                                created: s.get("created").and_then(number)?,
                                expires: s.get("expires").and_then(number)?,
                                last_seen: s.get("last_seen").and_then(number)?,
                                credential: s
                                    .get("credential")
                                    .and_then(Value::as_str)
                                    .map(str::to_string),
                                user_agent: s
                                    .get("user_agent")
                                    .and_then(Value::as_str)
                                    .map(str::to_string),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
            version: own
                .and_then(|m| m.get("version"))
                .and_then(Value::as_i64)
                .map_or(0, |v| u64::try_from(v).unwrap_or(0)),
        }
    }

    /// Whether the dict's state (`self`) says something other than the
    /// store's (`ours`). A window start the dict does not carry (a 0.4.2
    /// entry) is not a difference.
    pub fn differs_from(&self, ours: &UserState) -> bool {
        self.failures != ours.failures
            || (self.window_start.is_some() && self.window_start != ours.window_start)
            || self.locked_until != ours.locked_until
            || self.disabled_until != ours.disabled_until
            || self.pending != ours.pending
            || self.revoked_before != ours.revoked_before
            || self.logged_in != ours.logged_in
            || session_ids(&self.sessions) != session_ids(&ours.sessions)
    }

    /// Writes the state into a user's entry, as the app's save will keep
    /// it. A user the store never changed keeps their entry as it is.
    pub fn write_into(&self, entry: &mut Map) {
        if *self == UserState::default() {
            return;
        }
        entry.insert(
            "failed_login_attempts",
            Value::Int(i64::from(self.failures)),
        );
        entry.insert("logged_in", Value::Bool(self.logged_in));
        let mut own = Map::new();
        let mut put = |key: &str, v: Option<f64>| {
            if let Some(v) = v {
                own.insert(key, Value::Float(v));
            }
        };
        put("window_start", self.window_start);
        put("locked_until", self.locked_until);
        put("disabled_until", self.disabled_until);
        put("revoked_before", self.revoked_before);
        if !self.sessions.is_empty() {
            let mut sessions = Map::new();
            for s in &self.sessions {
                let mut m = Map::new();
                m.insert("created", Value::Float(s.created));
                m.insert("expires", Value::Float(s.expires));
                m.insert("last_seen", Value::Float(s.last_seen));
                if let Some(c) = &s.credential {
                    m.insert("credential", Value::Str(c.clone()));
                }
                if let Some(agent) = &s.user_agent {
                    m.insert("user_agent", Value::Str(agent.clone()));
                }
                sessions.insert(s.id.as_str(), Value::Map(m));
            }
            own.insert("sessions", Value::Map(sessions));
        }
        if let Some(p) = &self.pending {
            let mut m = Map::new();
            m.insert("hash", Value::Str(p.hash.clone()));
            m.insert("expires", Value::Float(p.expires));
            own.insert("pending_password", Value::Map(m));
        }
        own.insert(
            "version",
            Value::Int(i64::try_from(self.version).unwrap_or(i64::MAX)),
        );
        entry.insert(USER_STATE_KEY, Value::Map(own));
    }
}

fn session_ids(sessions: &[Session]) -> Vec<&str> {
    let mut ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    ids
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) if !f.is_nan() => Some(*f),
        #[allow(clippy::cast_precision_loss)]
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_round_trips_and_a_0_4_2_entry_reads_as_its_counter() {
        let state = UserState {
            failures: 2,
            window_start: Some(10.0),
            locked_until: Some(99.5),
            disabled_until: Some(f64::INFINITY),
            pending: Some(PendingPassword {
                hash: "$2b$12$x".into(),
                expires: 1e9,
            }),
            revoked_before: Some(5.0),
            logged_in: true,
            sessions: vec![Session {
                id: "s1".into(),
                username: String::new(),
                created: 1.0,
                expires: 2e9,
                last_seen: 1.5,
                credential: Some("cv".into()),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0".into()),
            }],
            version: 7,
        };
        let mut entry = Map::new();
        entry.insert("password", Value::Str("$2b$12$y".into()));
        state.write_into(&mut entry);
        assert_eq!(UserState::from_entry(&entry), state);

        let mut old = Map::new();
        old.insert("failed_login_attempts", Value::Int(4));
        old.insert("logged_in", Value::Bool(false));
        let read = UserState::from_entry(&old);
        assert_eq!(
            (read.failures, read.version, read.window_start),
            (4, 0, None)
        );
        let ours = UserState {
            failures: 4,
            window_start: Some(3.0),
            ..UserState::default()
        };
        assert!(!read.differs_from(&ours));
        assert!(UserState::default().differs_from(&ours));
    }
}
