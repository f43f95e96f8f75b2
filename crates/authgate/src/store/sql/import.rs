//! Moving a `config.yaml` into a SQL store, and setting settings.
//!
//! [`import_document`] copies everything a [`Document`] holds into an empty
//! database in one transaction: users (unknown keys into `users.extra`), the
//! cookie settings and every other top-level key into `settings`, the
//! pre-authorized list, and authgate's state (sessions, lockouts, pending
//! passwords, revocations). Nothing is lost; the one thing refused is what a
//! database keeps unique and a hand-edited file may not: two users with the
//! same email.

use std::collections::{BTreeSet, HashMap};

use super::json::to_json;
use super::ops::{
    email_key, insert_recovery_codes, insert_totp, upsert_lockout, upsert_pending, upsert_revoked,
    upsert_session, PREAUTHORIZED_LIST,
};
use super::{Database, Param};
use crate::error::{Error, Result};
use crate::password;
use crate::store::document::{Document, State, STATE_KEY};
use crate::user::{EmailKey, UserKey};
use crate::yaml::{self, Map, Value};

/// A user row ready to insert.
#[derive(Default)]
struct NewRow {
    username: String,
    email: Option<String>,
    email_key: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    password_hash: Option<String>,
    password_plain: bool,
    roles: Option<String>,
    password_hint: Option<String>,
    failed_login_attempts: Option<i64>,
    logged_in: Option<bool>,
    extra: Option<String>,
}

/// Splits a raw user record into typed columns and the JSON of the rest.
fn user_row(username: &str, entry: &Map) -> Result<NewRow> {
    let mut row = NewRow {
        username: username.to_string(),
        ..NewRow::default()
    };
    let mut extra = Map::new();
    for (key, value) in entry.iter() {
        let text = match value {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        };
        match (key.as_str(), text) {
            (Some("email"), Some(s)) => row.email = Some(s),
            (Some("first_name"), Some(s)) => row.first_name = Some(s),
            (Some("last_name"), Some(s)) => row.last_name = Some(s),
            (Some("name"), Some(s)) => row.name = Some(s),
            (Some("password"), Some(s)) => row.password_hash = Some(s),
            (Some("password_hint"), Some(s)) => row.password_hint = Some(s),
            (Some("roles"), _) => row.roles = Some(to_json(value)?),
            (Some("failed_login_attempts"), _) if value.as_i64().is_some() => {
                row.failed_login_attempts = value.as_i64();
            }
            (Some("logged_in"), _) if value.as_bool().is_some() => {
                row.logged_in = value.as_bool();
            }
            _ => {
                extra.insert(key.clone(), value.clone());
            }
        }
    }
    row.email_key = row
        .email
        .as_deref()
        .and_then(email_key)
        .map(EmailKey::into_string);
    row.password_plain = row
        .password_hash
        .as_deref()
        .is_some_and(|p| !password::is_hash(p));
    if !extra.is_empty() {
        row.extra = Some(to_json(&Value::Map(extra))?);
    }
    Ok(row)
}

/// The pre-authorized list: `None` without `pre-authorized.emails`,
/// `Some((true, emails))` for a list (which restricts registration),
/// `Some((false, []))` for an `emails` value that is not a list (listed as
/// empty, restricting nothing, as `DocStore` reads it).
type Preauthorized = Option<(bool, Vec<(String, String)>)>;

/// Settings (name, JSON) and the pre-authorized list from the config's
/// top-level mapping.
fn settings_of(root: &Map, doc: &Document) -> Result<(Vec<(String, String)>, Preauthorized)> {
    let schema = |message: String| Error::ConfigSchema {
        path: doc.origin().to_path_buf(),
        message,
    };
    let mut settings = Vec::new();
    let mut put = |name: &str, value: &Value| -> Result<()> {
        settings.push((name.to_string(), to_json(value)?));
        Ok(())
    };
    let mut preauthorized = None;
    for (key, value) in root.iter() {
        let Some(name) = key.as_str() else {
            return Err(schema(format!(
                "top-level key {} is not a string; a database keeps settings by name",
                yaml::emit(key).trim_end()
            )));
        };
        match (name, value) {
            ("usernames", _) | (STATE_KEY, _) => {}
            ("credentials", Value::Map(credentials)) => {
                let rest = without(credentials, &["usernames"]);
                if !rest.is_empty() {
                    put("credentials", &Value::Map(rest))?;
                }
            }
            ("cookie", Value::Map(cookie)) => {
                for (field, setting) in [
                    ("name", "cookie_name"),
                    ("key", "cookie_key"),
                    ("expiry_days", "cookie_expiry_days"),
                ] {
                    if let Some(v) = cookie.get(field) {
                        put(setting, v)?;
                    }
                }
                let rest = without(cookie, &["name", "key", "expiry_days"]);
                if !rest.is_empty() {
                    put("cookie", &Value::Map(rest))?;
                }
            }
            ("pre-authorized", Value::Map(pre)) => {
                preauthorized = match pre.get("emails") {
                    None => None,
                    Some(Value::Seq(items)) => Some((
                        true,
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|e| (e.to_string(), EmailKey::new(e).into_string()))
                            .collect(),
                    )),
                    Some(_) => Some((false, Vec::new())),
                };
                let rest = without(pre, &["emails"]);
                if !rest.is_empty() {
                    put("pre-authorized", &Value::Map(rest))?;
                }
            }
            (name, value) => put(name, value)?,
        }
    }
    Ok((settings, preauthorized))
}

fn without(map: &Map, keys: &[&str]) -> Map {
    map.iter()
        .filter(|(k, _)| k.as_str().is_none_or(|k| !keys.contains(&k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Copies `doc` into the empty database `db` in one transaction; returns the
/// number of users imported.
///
/// Refuses a database that already has users, and a document in which two
/// users share an email. State that names a user the document does not have
/// (a session of a deleted user, say) is dropped, as it could never be used.
pub(crate) fn import_document(db: &impl Database, doc: &Document) -> Result<usize> {
    let root = match doc.to_value() {
        Value::Map(m) => m,
        _ => Map::new(),
    };
    let (settings, preauthorized) = settings_of(&root, doc)?;
    let mut rows = Vec::with_capacity(doc.user_count());
    let mut owners: HashMap<String, String> = HashMap::new();
    for name in doc.usernames() {
        let Some(entry) = doc.user_entry(name) else {
            continue;
        };
        let row = user_row(name, entry)?;
        if let Some(key) = &row.email_key {
            if let Some(other) = owners.insert(key.clone(), name.to_string()) {
                return Err(Error::ConfigSchema {
                    path: doc.origin().to_path_buf(),
                    message: format!(
                        "users '{other}' and '{name}' have the same email; a database \
                         keeps emails unique: change one and import again"
                    ),
                });
            }
        }
        rows.push(row);
    }
    let users: BTreeSet<&str> = doc.usernames().collect();
    let state = &doc.state;
    db.write(|tx| {
        let existing = tx.query("SELECT n FROM user_count WHERE id = 1", &[])?;
        if existing.first().map(|r| r.i64(0)).transpose()?.unwrap_or(0) > 0 {
            return Err(Error::InvalidInput(
                "the database already has users; import a config into an empty database".into(),
            ));
        }
        for (name, value) in &settings {
            put_setting(tx, name, Some(value))?;
        }
        if let Some((has_list, emails)) = &preauthorized {
            put_setting(
                tx,
                PREAUTHORIZED_LIST,
                Some(if *has_list { "true" } else { "false" }),
            )?;
            tx.execute("DELETE FROM preauthorized_emails", &[])?;
            for (email, key) in emails {
                tx.execute(
                    "INSERT INTO preauthorized_emails (email, email_key) VALUES ($1, $2)",
                    &[Param::Text(email), Param::Text(key)],
                )?;
            }
        }
        insert_users(tx, &rows)?;
        write_state(tx, state, |name| users.contains(name))?;
        Ok(rows.len())
    })
}

/// The columns of `users` an import fills, in the order of [`NewRow::params`].
const USER_COLUMNS: [&str; 13] = [
    "username",
    "email",
    "email_key",
    "first_name",
    "last_name",
    "name",
    "password_hash",
    "password_plain",
    "roles",
    "password_hint",
    "failed_login_attempts",
    "logged_in",
    "extra",
];

/// The most rows one `INSERT` carries. Each row binds a parameter per
/// column, which must stay within SQLite's default limit of 32,766 variables
/// and PostgreSQL's 65,535 parameters.
const MAX_BATCH: usize = 512;
const _: () = assert!(MAX_BATCH * USER_COLUMNS.len() <= 32_766);
const _: () = assert!(MAX_BATCH.is_power_of_two());

impl NewRow {
    /// The row's values, in the order of [`USER_COLUMNS`].
    fn params(&self) -> [Param<'_>; USER_COLUMNS.len()] {
        [
            Param::Text(&self.username),
            Param::opt_text(self.email.as_deref()),
            Param::opt_text(self.email_key.as_deref()),
            Param::opt_text(self.first_name.as_deref()),
            Param::opt_text(self.last_name.as_deref()),
            Param::opt_text(self.name.as_deref()),
            Param::opt_text(self.password_hash.as_deref()),
            Param::Bool(self.password_plain),
            Param::opt_text(self.roles.as_deref()),
            Param::opt_text(self.password_hint.as_deref()),
            self.failed_login_attempts.map_or(Param::Null, Param::Int),
            self.logged_in.map_or(Param::Null, Param::Bool),
            Param::opt_text(self.extra.as_deref()),
        ]
    }
}

/// `INSERT INTO users (…) VALUES ($1, …, $13), ($14, …), …` for `rows` rows.
fn insert_users_sql(rows: usize) -> String {
    let columns = USER_COLUMNS.len();
    let mut sql = format!("INSERT INTO users ({}) VALUES ", USER_COLUMNS.join(", "));
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Inserts `rows` in order, many per statement, so that the statement-level
/// trigger that keeps `user_count` in PostgreSQL runs once per batch, not
/// once per user.
///
/// Batches are [`MAX_BATCH`] rows, and then powers of two for the rest, so
/// that an import prepares at most ten distinct statements (both
/// backends cache prepared statements per connection), whatever its size.
fn insert_users(tx: &mut dyn super::Tx, rows: &[NewRow]) -> Result<()> {
    let mut rest = rows;
    for size in batch_sizes(rows.len()) {
        let (batch, tail) = rest.split_at(size);
        let params: Vec<Param<'_>> = batch.iter().flat_map(NewRow::params).collect();
        tx.execute(&insert_users_sql(size), &params)?;
        rest = tail;
    }
    Ok(())
}

/// The sizes of the batches `rows` rows are inserted in: [`MAX_BATCH`] as
/// long as that many are left, then decreasing powers of two.
fn batch_sizes(rows: usize) -> Vec<usize> {
    let mut sizes = vec![MAX_BATCH; rows / MAX_BATCH];
    let rest = rows % MAX_BATCH;
    let mut size = MAX_BATCH / 2;
    while size > 0 {
        if rest & size != 0 {
            sizes.push(size);
        }
        size /= 2;
    }
    sizes
}

/// Writes `state` into the state tables, replacing rows with the same key;
/// sessions, lockouts, pending passwords and second factors of users `keep`
/// refuses are
/// left out (revocations are kept for every name).
pub(crate) fn write_state(
    tx: &mut dyn super::Tx,
    state: &State,
    keep: impl Fn(&str) -> bool,
) -> Result<()> {
    for s in state.sessions.values() {
        let owner = UserKey::new(&s.username);
        if keep(&owner) {
            upsert_session(tx, s, &owner)?;
        }
    }
    for (name, l) in state.lockouts.iter().filter(|(name, _)| keep(name)) {
        upsert_lockout(tx, name, l)?;
    }
    for (name, p) in state
        .pending_passwords
        .iter()
        .filter(|(name, _)| keep(name))
    {
        upsert_pending(tx, name, p)?;
    }
    for (name, t) in &state.revoked_before {
        upsert_revoked(tx, name, *t)?;
    }
    for (name, f) in state.second_factors.iter().filter(|(name, _)| keep(name)) {
        for sql in [
            "DELETE FROM second_factors WHERE username = $1",
            "DELETE FROM recovery_codes WHERE username = $1",
            "DELETE FROM passkeys WHERE username = $1",
        ] {
            tx.execute(sql, &[Param::Text(name)])?;
        }
        if let Some(totp) = &f.totp {
            insert_totp(tx, name, totp)?;
        }
        insert_recovery_codes(tx, name, &f.recovery_codes)?;
        for passkey in &f.passkeys {
            if !super::passkeys::insert_passkey(tx, name, passkey)? {
                return Err(Error::InvalidInput(format!(
                    "the passkey '{}' of '{name}' has a credential id another user's \
                     passkey has",
                    passkey.name
                )));
            }
        }
    }
    Ok(())
}

fn put_setting(tx: &mut dyn super::Tx, name: &str, json: Option<&str>) -> Result<()> {
    match json {
        Some(value) => tx.execute(
            "INSERT INTO settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[Param::Text(name), Param::Text(value)],
        ),
        None => tx.execute("DELETE FROM settings WHERE name = $1", &[Param::Text(name)]),
    }
    .map(drop)
}

/// Sets (or with `None` removes) the setting `name`: `cookie_name`,
/// `cookie_key`, `cookie_expiry_days`, `api_key`, `oauth2`, or any other.
pub(crate) fn set_setting(db: &impl Database, name: &str, value: Option<&Value>) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidInput("a setting needs a name".into()));
    }
    if name == PREAUTHORIZED_LIST {
        return Err(Error::InvalidInput(format!(
            "'{PREAUTHORIZED_LIST}' is kept by the store itself"
        )));
    }
    let json = value.map(to_json).transpose()?;
    db.write(|tx| put_setting(tx, name, json.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_inserts_number_their_parameters_row_by_row() {
        let sql = insert_users_sql(2);
        assert!(sql.starts_with(
            "INSERT INTO users (username, email, email_key, first_name, last_name, name, \
             password_hash, password_plain, roles, password_hint, failed_login_attempts, \
             logged_in, extra) VALUES ($1, $2, "
        ));
        assert!(sql.ends_with(
            "$12, $13), ($14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)"
        ));
        assert_eq!(NewRow::default().params().len(), USER_COLUMNS.len());
    }

    #[test]
    fn batches_cover_every_row_in_few_distinct_sizes() {
        assert!(batch_sizes(0).is_empty());
        assert_eq!(batch_sizes(1), [1]);
        assert_eq!(batch_sizes(512), [512]);
        assert_eq!(
            batch_sizes(3_333),
            [512, 512, 512, 512, 512, 512, 256, 4, 1]
        );
        let mut distinct = std::collections::BTreeSet::new();
        for rows in 0..3_000 {
            let sizes = batch_sizes(rows);
            assert_eq!(sizes.iter().sum::<usize>(), rows);
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
            distinct.extend(sizes);
        }
        assert_eq!(distinct.len(), 10);
    }
}
