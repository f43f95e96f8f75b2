//! The passkey operations of the SQL stores ([`crate::store::Store`]'s
//! passkey methods), once for SQLite, PostgreSQL and the state database
//! beside a `config.yaml`.
//!
//! A passkey row is keyed by its credential id, which is unique across
//! users; the `(username, name)` index finds a user's passkeys and keeps
//! their names distinct. A change that depends on the user's other passkeys
//! (the limit, a name) first locks the user's row, as every per-user change
//! does (see [`super`]), so two parallel additions cannot both pass the
//! limit. A use raises the signature counter with one conditional `UPDATE`,
//! which PostgreSQL re-checks on the row it waited for.

use super::ops::{check_time, defer_event, lock_user_then};
use super::{corrupt, Database, Param, Row, Tx};
use crate::error::{Error, Result};
use crate::store::{AuditEvent, PasskeyChange, StoredPasskey};
use crate::user::UserKey;

/// The `passkeys` columns [`passkey_from_row`] reads, in its order.
macro_rules! passkey_columns {
    () => {
        "credential_id, user_handle, name, rp_id, passkey, counter, created, last_used"
    };
}

/// A user's passkeys, oldest first.
pub(super) const SELECT_PASSKEYS_OF: &str = concat!(
    "SELECT ",
    passkey_columns!(),
    " FROM passkeys WHERE username = $1 ORDER BY created, credential_id"
);

/// Every passkey with its owner (for exports), in a stable order.
pub(super) const SELECT_ALL_PASSKEYS: &str = concat!(
    "SELECT ",
    passkey_columns!(),
    ", username FROM passkeys ORDER BY username, created, credential_id"
);

const SELECT_BY_CREDENTIAL: &str = concat!(
    "SELECT ",
    passkey_columns!(),
    ", username FROM passkeys WHERE credential_id = $1"
);

const SELECT_NAMES_OF: &str = "SELECT credential_id, name FROM passkeys WHERE username = $1";

/// A passkey row read with [`passkey_columns`]; its owner, if selected,
/// follows in column 8.
pub(super) fn passkey_from_row(row: &Row) -> Result<StoredPasskey> {
    let counter = row.i64(5)?;
    Ok(StoredPasskey {
        credential_id: row.text(0)?,
        user_handle: row.text(1)?,
        name: row.text(2)?,
        rp_id: row.text(3)?,
        passkey: row.text(4)?,
        counter: u32::try_from(counter)
            .map_err(|_| corrupt(format!("a passkey's counter is {counter}")))?,
        created: row.f64(6)?,
        last_used: row.opt_f64(7)?,
    })
}

/// Inserts `passkey` for `key` unless its credential id is taken; whether
/// it was inserted.
pub(super) fn insert_passkey(tx: &mut dyn Tx, key: &str, passkey: &StoredPasskey) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO passkeys (credential_id, username, user_handle, name, rp_id, passkey, \
         counter, created, last_used) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (credential_id) DO NOTHING",
        &[
            Param::Text(&passkey.credential_id),
            Param::Text(key),
            Param::Text(&passkey.user_handle),
            Param::Text(&passkey.name),
            Param::Text(&passkey.rp_id),
            Param::Text(&passkey.passkey),
            Param::Int(i64::from(passkey.counter)),
            Param::real("passkey creation time", passkey.created)?,
            Param::opt_real("passkey use time", passkey.last_used)?,
        ],
    )?;
    Ok(inserted == 1)
}

/// See [`Store::any_passkeys`](crate::store::Store::any_passkeys).
pub(crate) fn any_passkeys(db: &impl Database) -> Result<bool> {
    db.read(|tx| Ok(!tx.query("SELECT 1 FROM passkeys LIMIT 1", &[])?.is_empty()))
}

/// See [`Store::passkey_by_credential`](crate::store::Store::passkey_by_credential).
pub(crate) fn passkey_by_credential(
    db: &impl Database,
    credential_id: &str,
) -> Result<Option<(String, StoredPasskey)>> {
    db.read(|tx| {
        let rows = tx.query(SELECT_BY_CREDENTIAL, &[Param::Text(credential_id)])?;
        rows.first()
            .map(|row| Ok((row.text(8)?, passkey_from_row(row)?)))
            .transpose()
    })
}

/// See [`Store::add_passkey`](crate::store::Store::add_passkey).
pub(crate) fn add_passkey(
    db: &impl Database,
    key: &UserKey,
    passkey: &StoredPasskey,
    limit: usize,
    event: Option<&AuditEvent>,
) -> Result<PasskeyChange> {
    check_time("passkey creation time", passkey.created)?;
    db.write(|tx| {
        let Some(existing) = lock_user_then(tx, key, SELECT_NAMES_OF)? else {
            return Err(Error::UserNotFound(key.to_string()));
        };
        if existing.len() >= limit {
            return Ok(PasskeyChange::Full);
        }
        for row in &existing {
            if row.text(1)? == passkey.name {
                return Ok(PasskeyChange::NameTaken);
            }
        }
        if !insert_passkey(tx, key, passkey)? {
            return Ok(PasskeyChange::Duplicate);
        }
        defer_event(tx, event)?;
        Ok(PasskeyChange::Done)
    })
}

/// See [`Store::use_passkey`](crate::store::Store::use_passkey).
pub(crate) fn use_passkey(
    db: &impl Database,
    key: &UserKey,
    credential_id: &str,
    counter: u32,
    passkey: &str,
    now: f64,
) -> Result<bool> {
    check_time("now", now)?;
    db.write(|tx| {
        let changed = tx.execute(
            "UPDATE passkeys SET counter = $3, passkey = $4, last_used = $5 \
             WHERE username = $1 AND credential_id = $2 \
             AND (counter < $3 OR (counter = 0 AND $3 = 0))",
            &[
                Param::Text(key),
                Param::Text(credential_id),
                Param::Int(i64::from(counter)),
                Param::Text(passkey),
                Param::Real(now),
            ],
        )?;
        Ok(changed == 1)
    })
}

/// See [`Store::rename_passkey`](crate::store::Store::rename_passkey).
pub(crate) fn rename_passkey(
    db: &impl Database,
    key: &UserKey,
    credential_id: &str,
    name: &str,
    event: Option<&AuditEvent>,
) -> Result<PasskeyChange> {
    db.write(|tx| {
        let existing = lock_user_then(tx, key, SELECT_NAMES_OF)?.unwrap_or_default();
        let mut found = false;
        for row in &existing {
            let (id, current) = (row.text(0)?, row.text(1)?);
            if id == credential_id {
                found = true;
            } else if current == name {
                return Ok(PasskeyChange::NameTaken);
            }
        }
        if !found {
            return Ok(PasskeyChange::NotFound);
        }
        tx.execute(
            "UPDATE passkeys SET name = $3 WHERE username = $1 AND credential_id = $2",
            &[
                Param::Text(key),
                Param::Text(credential_id),
                Param::Text(name),
            ],
        )?;
        defer_event(tx, event)?;
        Ok(PasskeyChange::Done)
    })
}

/// See [`Store::remove_passkey`](crate::store::Store::remove_passkey).
pub(crate) fn remove_passkey(
    db: &impl Database,
    key: &UserKey,
    credential_id: &str,
    event: Option<&AuditEvent>,
) -> Result<bool> {
    db.write(|tx| {
        let removed = tx.execute(
            "DELETE FROM passkeys WHERE username = $1 AND credential_id = $2",
            &[Param::Text(key), Param::Text(credential_id)],
        )?;
        if removed == 0 {
            return Ok(false);
        }
        defer_event(tx, event)?;
        Ok(true)
    })
}
