//! Reading a SQL store back out, for migrations and operators: the other
//! half of [`super::import`].
//!
//! [`export_document`] rebuilds the `config.yaml` document a store holds —
//! users with every key of their record, the settings under the top-level
//! keys they came from, the pre-authorized list and authgate's state — from
//! one consistent snapshot, so that importing it into an empty store, or
//! writing it as a file, loses nothing. [`append_events`] copies an audit
//! trail in one transaction; [`sessions_of`] lists one user's sessions.

use std::path::Path;

use super::json::from_json;
use super::ops::{
    lock_state_from_row, session_from_row, stored_totp_from_row, UserRow, PREAUTHORIZED_LIST,
    SELECT_ALL_SESSIONS, SELECT_ALL_USERS, SELECT_SESSIONS_OF,
};
use super::{Database, Dialect, Param, Tx};
use crate::error::Result;
use crate::session::Session;
use crate::store::document::{Document, Layout, State};
use crate::store::{AuditEvent, PendingPassword};
use crate::user::UserKey;
use crate::yaml::{Map, Value};

/// The settings that [`super::import`] splits out of the `cookie` mapping,
/// with the key each had there.
const COOKIE_FIELDS: [(&str, &str); 3] = [
    ("cookie_name", "name"),
    ("cookie_key", "key"),
    ("cookie_expiry_days", "expiry_days"),
];

/// The whole store as a config document (`credentials.usernames`, `cookie`,
/// `pre-authorized`, every other setting under its own name, and authgate's
/// state), read in one transaction: a consistent snapshot even while apps
/// write (SQLite holds its write lock meanwhile; PostgreSQL reads one
/// `REPEATABLE READ` snapshot and blocks no one).
///
/// `origin` names the store in the messages of the document.
pub(crate) fn export_document(db: &impl Database, origin: &Path) -> Result<Document> {
    let (root, state) = db.write(|tx| {
        if tx.dialect() == Dialect::Postgres {
            // Must come first in the transaction: every query below then
            // reads the same snapshot.
            tx.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                &[],
            )?;
        }
        let mut users = Map::new();
        for row in tx.query(SELECT_ALL_USERS, &[])? {
            let record = UserRow::from_row(&row)?.to_record()?;
            // Usernames are the primary key, so distinct: no look-up needed.
            users.push_unchecked(Value::Str(row.text(0)?), Value::Map(record));
        }
        let mut settings = Map::new();
        for row in tx.query("SELECT name, value FROM settings ORDER BY name", &[])? {
            settings.insert(row.text(0)?, from_json(&row.text(1)?)?);
        }
        let preauthorized = tx
            .query("SELECT email FROM preauthorized_emails ORDER BY id", &[])?
            .iter()
            .map(|row| row.text(0).map(Value::Str))
            .collect::<Result<Vec<_>>>()?;

        let state = read_state(tx)?;
        Ok((config_root(users, settings, preauthorized), state))
    })?;
    let mut doc = Document::from_value(Value::Map(root), Layout::Config, origin)?;
    doc.state = state;
    Ok(doc)
}

/// authgate's state tables (sessions, lockouts, pending passwords,
/// revocations, second factors with their unused recovery codes and
/// passkeys) as a
/// [`State`].
pub(crate) fn read_state(tx: &mut dyn Tx) -> Result<State> {
    let mut state = State::default();
    for row in tx.query(SELECT_ALL_SESSIONS, &[])? {
        let session = session_from_row(&row)?;
        state.sessions.insert(session.id.clone(), session);
    }
    for row in tx.query(
        "SELECT failures, window_start, locked_until, disabled_until, username FROM lockouts",
        &[],
    )? {
        state
            .lockouts
            .insert(row.text(4)?, lock_state_from_row(&row)?);
    }
    for row in tx.query("SELECT username, hash, expires FROM pending_passwords", &[])? {
        let pending = PendingPassword {
            hash: row.text(1)?,
            expires: row.f64(2)?,
        };
        state.pending_passwords.insert(row.text(0)?, pending);
    }
    for row in tx.query("SELECT username, revoked_at FROM revoked_before", &[])? {
        state.revoked_before.insert(row.text(0)?, row.f64(1)?);
    }
    for row in tx.query(
        "SELECT secret, last_step, created, username FROM second_factors WHERE kind = 'totp'",
        &[],
    )? {
        let totp = stored_totp_from_row(&row)?;
        state.second_factors.entry(row.text(3)?).or_default().totp = Some(totp);
    }
    for row in tx.query(
        "SELECT username, digest FROM recovery_codes WHERE used_at IS NULL \
         ORDER BY username, digest",
        &[],
    )? {
        state
            .second_factors
            .entry(row.text(0)?)
            .or_default()
            .recovery_codes
            .push(row.text(1)?);
    }
    for row in tx.query(super::passkeys::SELECT_ALL_PASSKEYS, &[])? {
        let passkey = super::passkeys::passkey_from_row(&row)?;
        state
            .second_factors
            .entry(row.text(8)?)
            .or_default()
            .passkeys
            .push(passkey);
    }
    Ok(state)
}

/// The top-level mapping of a config file, rebuilt from what
/// [`super::import`] split apart: `credentials` around the users, `cookie`
/// around its three settings, `pre-authorized` around the list, and every
/// other setting under its own name.
fn config_root(users: Map, mut settings: Map, preauthorized: Vec<Value>) -> Map {
    let mut root = Map::new();

    let mut credentials = match settings.remove("credentials") {
        Some(Value::Map(rest)) => rest,
        _ => Map::new(),
    };
    credentials.insert("usernames", Value::Map(users));
    root.insert("credentials", Value::Map(credentials));

    let rest = settings.remove("cookie");
    let fields: Vec<(&str, Value)> = COOKIE_FIELDS
        .iter()
        .filter_map(|(setting, key)| settings.remove(setting).map(|v| (*key, v)))
        .collect();
    if fields.is_empty() {
        if let Some(rest) = rest {
            root.insert("cookie", rest);
        }
    } else {
        let mut cookie = match rest {
            Some(Value::Map(m)) => m,
            _ => Map::new(),
        };
        for (key, value) in fields {
            cookie.insert(key, value);
        }
        root.insert("cookie", Value::Map(cookie));
    }

    // `true`: a list; `false`: an `emails` key that was not a list (kept as
    // null, which restricts nothing either); absent: no `emails` key.
    let mode = settings.remove(PREAUTHORIZED_LIST);
    let rest = settings.remove("pre-authorized");
    match (mode, rest) {
        (Some(mode), rest) => {
            let mut pre = match rest {
                Some(Value::Map(m)) => m,
                _ => Map::new(),
            };
            let emails = if mode == Value::Bool(true) {
                Value::Seq(preauthorized)
            } else {
                Value::Null
            };
            pre.insert("emails", emails);
            root.insert("pre-authorized", Value::Map(pre));
        }
        (None, Some(rest)) => {
            root.insert("pre-authorized", rest);
        }
        (None, None) => {}
    }

    for (name, value) in settings {
        root.insert(name, value);
    }
    root
}

/// The sessions of one user, oldest first.
pub(crate) fn sessions_of(db: &impl Database, key: &UserKey) -> Result<Vec<Session>> {
    db.read(|tx| {
        tx.query(SELECT_SESSIONS_OF, &[Param::Text(key)])?
            .iter()
            .map(session_from_row)
            .collect()
    })
}

/// Appends `events` to the audit trail, in order, in one transaction.
/// Returns how many were appended.
pub(crate) fn append_events(db: &impl Database, events: &[AuditEvent]) -> Result<usize> {
    let times = events
        .iter()
        .map(|e| Param::real("event time", e.time))
        .collect::<Result<Vec<_>>>()?;
    db.write(|tx| {
        for (event, time) in events.iter().zip(&times) {
            tx.execute(
                "INSERT INTO audit_events (occurred_at, kind, username, detail) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    *time,
                    Param::Text(&event.kind),
                    Param::opt_text(event.username.as_deref()),
                    Param::opt_text(event.detail.as_deref()),
                ],
            )?;
        }
        Ok(events.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Map {
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect()
    }

    #[test]
    fn settings_go_back_under_the_keys_they_came_from() {
        let settings = map(&[
            ("api_key", "k".into()),
            ("cookie", Value::Map(map(&[("path", "/".into())]))),
            ("cookie_key", "secret".into()),
            ("cookie_name", "c".into()),
            ("credentials", Value::Map(map(&[("note", "x".into())]))),
            (
                "pre-authorized",
                Value::Map(map(&[("domains", "d".into())])),
            ),
            (PREAUTHORIZED_LIST, Value::Bool(true)),
        ]);
        let root = config_root(Map::new(), settings, vec!["a@x.io".into()]);
        let cookie = root.get("cookie").and_then(Value::as_map).unwrap();
        assert_eq!(cookie.get("key"), Some(&"secret".into()));
        assert_eq!(cookie.get("name"), Some(&"c".into()));
        assert_eq!(cookie.get("path"), Some(&"/".into()));
        let pre = root.get("pre-authorized").and_then(Value::as_map).unwrap();
        assert_eq!(pre.get("emails"), Some(&Value::Seq(vec!["a@x.io".into()])));
        assert_eq!(pre.get("domains"), Some(&"d".into()));
        let credentials = root.get("credentials").and_then(Value::as_map).unwrap();
        assert_eq!(credentials.get("note"), Some(&"x".into()));
        assert_eq!(credentials.get("usernames"), Some(&Value::Map(Map::new())));
        assert_eq!(root.get("api_key"), Some(&"k".into()));
        assert!(root.get(PREAUTHORIZED_LIST).is_none());
    }

    #[test]
    fn odd_shapes_come_back_as_they_were() {
        let settings = map(&[("cookie", Value::Null), ("pre-authorized", "none".into())]);
        let root = config_root(Map::new(), settings, Vec::new());
        assert_eq!(root.get("cookie"), Some(&Value::Null));
        assert_eq!(root.get("pre-authorized"), Some(&"none".into()));

        let settings = map(&[(PREAUTHORIZED_LIST, Value::Bool(false))]);
        let root = config_root(Map::new(), settings, Vec::new());
        let pre = root.get("pre-authorized").and_then(Value::as_map).unwrap();
        assert_eq!(pre.get("emails"), Some(&Value::Null));
        assert!(root.get("cookie").is_none());
    }
}
