//! The [`Store`](crate::store::Store) operations, once for every SQL
//! database: each is one [`Database::write`] transaction or one
//! [`Database::read`], with the semantics of [`DocStore`](crate::store::DocStore).
//!
//! Statements use `$n` placeholders; the SQLite backend rewrites them.
//! Every lookup goes through a primary key or an index, so the cost of an
//! operation does not grow with the number of users. The exceptions are
//! bounded by other things: `list_users` skips `offset` rows, the session
//! limit check reads the sessions used within the idle timeout, and pruning
//! reads the sessions that expired.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::json::{from_json, to_json};
use super::{corrupt, Database, Dialect, Param, Row, Tx};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::lockout::{LockState, LockoutPolicy};
use crate::mail::SmtpSettings;
use crate::password;
use crate::session::{seen_recently, Session};
use crate::store::document::roles_value;
use crate::store::document::EMAIL_VERIFIED;
use crate::store::{
    AuditEvent, FactorKinds, FailureEvent, LoginState, NewUser, PendingPassword, SecondFactors,
    SessionLimits, Settings, StoredTotp, Throttled, UserUpdate,
};
use crate::throttle::{
    Namespace, Refund, Scope, ThrottleKey, ThrottlePolicy, ThrottleState, MAIL_PREFIX,
};
use crate::user::{EmailKey, User, UserKey};
use crate::yaml::{Map, Value};

/// The settings row that says the store keeps a pre-authorized list.
pub(crate) const PREAUTHORIZED_LIST: &str = "preauthorized_list";

/// The `users` columns [`UserRow::from_row`] reads, in its order.
macro_rules! user_columns {
    () => {
        "username, email, first_name, last_name, name, password_hash, roles, \
         password_hint, failed_login_attempts, logged_in, extra"
    };
}

/// The `sessions` columns [`session_from_row`] reads, in its order.
macro_rules! session_columns {
    () => {
        "id, username, created, expires, last_seen, credential, user_agent"
    };
}

const SELECT_USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = $1"
);

/// Every user, in username order (for exports).
pub(super) const SELECT_ALL_USERS: &str =
    concat!("SELECT ", user_columns!(), " FROM users ORDER BY username");

/// A user's sessions, oldest first.
pub(super) const SELECT_SESSIONS_OF: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE username = $1 ORDER BY created, id"
);

/// Every session, by id (for exports).
pub(super) const SELECT_ALL_SESSIONS: &str =
    concat!("SELECT ", session_columns!(), " FROM sessions ORDER BY id");

const SELECT_LOCK_STATE: &str =
    "SELECT failures, window_start, locked_until, disabled_until FROM lockouts WHERE username = $1";

const SELECT_PENDING_PASSWORD: &str =
    "SELECT hash, expires FROM pending_passwords WHERE username = $1";

/// Whether the user has a TOTP factor, and whether a passkey: one row of
/// two booleans (`0`/`1` in SQLite), each an indexed look-up.
const SELECT_FACTOR_KINDS: &str = "SELECT \
     EXISTS (SELECT 1 FROM second_factors WHERE username = $1 AND kind = 'totp'), \
     EXISTS (SELECT 1 FROM passkeys WHERE username = $1)";

const SELECT_USER_EXISTS: &str = "SELECT 1 FROM users WHERE username = $1";

const SELECT_EMAIL_OWNER: &str = "SELECT username FROM users WHERE email_key = $1";

const SELECT_SETTING: &str = "SELECT value FROM settings WHERE name = $1";

const SELECT_USER_BY_EMAIL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE email_key = $1"
);

// ---- conversions -----------------------------------------------------------------

/// The indexed key of a user's email; `None` for an empty one, which is never
/// looked up (as in `DocStore`'s index).
pub(crate) fn email_key(email: &str) -> Option<EmailKey> {
    Some(EmailKey::new(email)).filter(|k| !k.is_empty())
}

/// A text rendering of a scalar, as `DocStore` reads optional string fields.
fn scalar_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// Roles as the flows see them: a list, or a single string as a list of one.
fn roles_of(value: Option<&Value>) -> Option<Vec<String>> {
    match value? {
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
        ),
        Value::Str(s) => Some(vec![s.clone()]),
        _ => None,
    }
}

fn count(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn failures(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// A `users` row.
pub(super) struct UserRow {
    username: String,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    password_hash: Option<String>,
    roles: Option<String>,
    password_hint: Option<String>,
    failed_login_attempts: Option<i64>,
    logged_in: Option<bool>,
    extra: Option<String>,
}

impl UserRow {
    /// Reads the columns of `user_columns!()`, in that order.
    pub(super) fn from_row(row: &Row) -> Result<Self> {
        Ok(UserRow {
            username: row.text(0)?,
            email: row.opt_text(1)?,
            first_name: row.opt_text(2)?,
            last_name: row.opt_text(3)?,
            name: row.opt_text(4)?,
            password_hash: row.opt_text(5)?,
            roles: row.opt_text(6)?,
            password_hint: row.opt_text(7)?,
            failed_login_attempts: row.opt_i64(8)?,
            logged_in: row.opt_bool(9)?,
            extra: row.opt_text(10)?,
        })
    }

    fn extras(&self) -> Result<Map> {
        match self.extra.as_deref().map(from_json).transpose()? {
            None => Ok(Map::new()),
            Some(Value::Map(m)) => Ok(m),
            Some(other) => Err(super::corrupt(format!(
                "users.extra of '{}' is {}, not a mapping",
                self.username,
                other.type_name()
            ))),
        }
    }

    fn roles_value(&self) -> Result<Option<Value>> {
        self.roles.as_deref().map(from_json).transpose()
    }

    fn to_user(&self) -> Result<User> {
        let extras = self.extras()?;
        let text = |column: &Option<String>, key: &str| {
            column.clone().or_else(|| scalar_text(extras.get(key)))
        };
        let roles = self.roles_value()?;
        Ok(User {
            username: self.username.clone(),
            email: text(&self.email, "email"),
            first_name: text(&self.first_name, "first_name"),
            last_name: text(&self.last_name, "last_name"),
            name: text(&self.name, "name"),
            password_hash: text(&self.password_hash, "password"),
            roles: roles_of(roles.as_ref().or_else(|| extras.get("roles"))),
            password_hint: text(&self.password_hint, "password_hint"),
            awaiting_verification: extras.get(EMAIL_VERIFIED) == Some(&Value::Bool(false)),
        })
    }

    /// The record as `config.yaml` would hold it: the fields in the order
    /// streamlit-authenticator registers them, then the other keys.
    pub(super) fn to_record(&self) -> Result<Map> {
        let mut record = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(v) = value {
                record.insert(key, v);
            }
        };
        put("email", self.email.clone().map(Value::Str));
        put("logged_in", self.logged_in.map(Value::Bool));
        put("first_name", self.first_name.clone().map(Value::Str));
        put("last_name", self.last_name.clone().map(Value::Str));
        put("password", self.password_hash.clone().map(Value::Str));
        put("roles", self.roles_value()?);
        put("password_hint", self.password_hint.clone().map(Value::Str));
        put(
            "failed_login_attempts",
            self.failed_login_attempts.map(Value::Int),
        );
        put("name", self.name.clone().map(Value::Str));
        for (key, value) in self.extras()? {
            if record.get_value(&key).is_none() {
                record.insert(key, value);
            }
        }
        Ok(record)
    }
}

pub(super) fn session_from_row(row: &Row) -> Result<Session> {
    Ok(Session {
        id: row.text(0)?,
        username: row.text(1)?,
        created: row.f64(2)?,
        expires: row.f64(3)?,
        last_seen: row.f64(4)?,
        credential: row.opt_text(5)?,
        user_agent: row.opt_text(6)?,
    })
}

fn pending_from_row(row: &Row) -> Result<PendingPassword> {
    Ok(PendingPassword {
        hash: row.text(0)?,
        expires: row.f64(1)?,
    })
}

/// The failure record in `rows` (a [`SELECT_LOCK_STATE`]); none is no failures.
fn lock_state_in(rows: &[Row]) -> Result<LockState> {
    rows.first()
        .map(lock_state_from_row)
        .transpose()
        .map(Option::unwrap_or_default)
}

pub(super) fn lock_state_from_row(row: &Row) -> Result<LockState> {
    Ok(LockState {
        failures: failures(row.i64(0)?),
        window_start: row.opt_f64(1)?,
        locked_until: row.opt_f64(2)?,
        disabled_until: row.opt_f64(3)?,
    })
}

// ---- shared steps ------------------------------------------------------------------

/// Locks the user's row for the rest of the transaction (PostgreSQL; SQLite's
/// transaction holds the database's write lock already). False if there is
/// no such user. Without a `users` table the caller has checked the user.
fn lock_user(tx: &mut dyn Tx, key: &str) -> Result<bool> {
    if !tx.keeps_users() {
        return Ok(true);
    }
    Ok(!tx
        .query(lock_user_sql(tx.dialect()), &[Param::Text(key)])?
        .is_empty())
}

fn lock_user_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => SELECT_USER_EXISTS,
        Dialect::Postgres => "SELECT 1 FROM users WHERE username = $1 FOR UPDATE",
    }
}

/// [`lock_user`], then `sql` (which takes the user's key as `$1`) in the
/// same round trip. `None` if there is no such user.
pub(super) fn lock_user_then(tx: &mut dyn Tx, key: &str, sql: &str) -> Result<Option<Vec<Row>>> {
    let params = [Param::Text(key)];
    if !tx.keeps_users() {
        return tx.query(sql, &params).map(Some);
    }
    let lock = lock_user_sql(tx.dialect());
    let mut out = tx.pipeline(&[(lock, &params), (sql, &params)])?;
    let rows = out.pop().unwrap_or_default();
    let locked = out.pop().unwrap_or_default();
    Ok((!locked.is_empty()).then_some(rows))
}

/// The owner `rows` (a [`SELECT_EMAIL_OWNER`]) name, if any.
fn owner_in(rows: &[Row]) -> Result<Option<String>> {
    rows.first().map(|row| row.text(0)).transpose()
}

/// Whether another user than `key` has `email`, compared by its folded key.
fn email_taken_by_other(tx: &mut dyn Tx, email: &str, key: &str) -> Result<bool> {
    let Some(index) = email_key(email) else {
        return Ok(false);
    };
    let owner = owner_in(&tx.query(SELECT_EMAIL_OWNER, &[Param::Text(&index)])?)?;
    Ok(owner.is_some_and(|owner| owner != key))
}

/// Sessions whose `last_seen` is at or before this bound are certainly idle
/// at `now`: the bound sits a little below `now - idle_timeout`, so that
/// rounding can never exclude a live one. Rows above it are checked exactly
/// with [`Session::is_live`]'s arithmetic.
fn idle_bound(now: f64, idle_timeout: f64) -> f64 {
    let cut = now - idle_timeout;
    let margin = 1e-6 * (now.abs() + idle_timeout.abs() + 1.0);
    let bound = cut - margin;
    if bound.is_nan() {
        f64::NEG_INFINITY
    } else {
        bound
    }
}

/// Whether the user has a live session at `now`.
fn has_live_session(tx: &mut dyn Tx, key: &str, now: f64, idle_timeout: f64) -> Result<bool> {
    let rows = tx.query(
        "SELECT MAX(last_seen) FROM sessions WHERE username = $1 AND expires > $2",
        &[Param::Text(key), Param::real("now", now)?],
    )?;
    let latest = rows.first().map(|r| r.opt_f64(0)).transpose()?.flatten();
    Ok(latest.is_some_and(|seen| seen_recently(seen, now, idle_timeout)))
}

/// The distinct users with a live session at `now`, through the
/// `sessions_last_seen` index: only sessions seen within the idle timeout are read.
fn live_users(tx: &mut dyn Tx, now: f64, idle_timeout: f64) -> Result<Vec<String>> {
    let rows = tx.query(
        "SELECT username, MAX(last_seen) FROM sessions \
         WHERE last_seen > $1 AND expires > $2 GROUP BY username",
        &[
            Param::real("idle bound", idle_bound(now, idle_timeout))?,
            Param::real("now", now)?,
        ],
    )?;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        if seen_recently(row.f64(1)?, now, idle_timeout) {
            users.push(row.text(0)?);
        }
    }
    Ok(users)
}

pub(super) fn upsert_revoked(tx: &mut dyn Tx, key: &str, now: f64) -> Result<()> {
    tx.defer(
        "INSERT INTO revoked_before (username, revoked_at) VALUES ($1, $2) \
         ON CONFLICT (username) DO UPDATE SET revoked_at = excluded.revoked_at",
        &[Param::Text(key), Param::real("now", now)?],
    )
}

pub(super) fn upsert_lockout(tx: &mut dyn Tx, key: &str, state: &LockState) -> Result<()> {
    tx.defer(
        "INSERT INTO lockouts (username, failures, window_start, locked_until, disabled_until) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO UPDATE SET \
         failures = excluded.failures, window_start = excluded.window_start, \
         locked_until = excluded.locked_until, disabled_until = excluded.disabled_until",
        &[
            Param::Text(key),
            Param::Int(i64::from(state.failures)),
            Param::opt_real("window_start", state.window_start)?,
            Param::opt_real("locked_until", state.locked_until)?,
            Param::opt_real("disabled_until", state.disabled_until)?,
        ],
    )
}

/// Stores `session` under `owner` (its [`UserKey`]).
pub(super) fn upsert_session(tx: &mut dyn Tx, session: &Session, owner: &str) -> Result<()> {
    tx.defer(
        "INSERT INTO sessions (id, username, created, expires, last_seen, credential, \
         user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
         username = excluded.username, created = excluded.created, \
         expires = excluded.expires, last_seen = excluded.last_seen, \
         credential = excluded.credential, user_agent = excluded.user_agent",
        &[
            Param::Text(&session.id),
            Param::Text(owner),
            Param::real("session created", session.created)?,
            Param::real("session expires", session.expires)?,
            Param::real("session last_seen", session.last_seen)?,
            Param::opt_text(session.credential.as_deref()),
            Param::opt_text(session.user_agent.as_deref()),
        ],
    )
}

pub(super) fn upsert_pending(tx: &mut dyn Tx, key: &str, pending: &PendingPassword) -> Result<()> {
    tx.defer(
        "INSERT INTO pending_passwords (username, hash, expires) VALUES ($1, $2, $3) \
         ON CONFLICT (username) DO UPDATE SET hash = excluded.hash, \
         expires = excluded.expires",
        &[
            Param::Text(key),
            Param::Text(&pending.hash),
            Param::real("pending password expiry", pending.expires)?,
        ],
    )
}

/// Refuses NaN times up front, so that an operation that would write
/// nothing still answers the same for the same input.
pub(super) fn check_time(what: &str, t: f64) -> Result<()> {
    Param::real(what, t).map(drop)
}

// ---- reads ---------------------------------------------------------------------

pub(crate) fn user(db: &impl Database, key: &UserKey) -> Result<Option<User>> {
    db.read(|tx| first_user(&tx.query(SELECT_USER, &[Param::Text(key)])?))
}

/// The user in the first of `rows` (read with `user_columns!`), if any.
fn first_user(rows: &[Row]) -> Result<Option<User>> {
    rows.first()
        .map(|r| UserRow::from_row(r)?.to_user())
        .transpose()
}

pub(crate) fn user_by_email(db: &impl Database, email: &str) -> Result<Option<User>> {
    let Some(key) = email_key(email) else {
        return Ok(None);
    };
    db.read(|tx| first_user(&tx.query(SELECT_USER_BY_EMAIL, &[Param::Text(&key)])?))
}

pub(crate) fn user_record(db: &impl Database, key: &UserKey) -> Result<Option<Value>> {
    db.read(|tx| {
        let rows = tx.query(SELECT_USER, &[Param::Text(key)])?;
        rows.first()
            .map(|r| UserRow::from_row(r)?.to_record().map(Value::Map))
            .transpose()
    })
}

/// A setting as text, as `DocStore` reads `cookie.name` and the like.
fn setting_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        other => scalar_text(Some(other)),
    }
}

pub(crate) fn settings(db: &impl Database) -> Result<Settings> {
    let rows = db.read(|tx| {
        tx.query(
            "SELECT name, value FROM settings WHERE name IN \
             ('cookie_name', 'cookie_key', 'cookie_expiry_days', 'api_key')",
            &[],
        )
    })?;
    let mut values = Map::new();
    for row in &rows {
        values.insert(row.text(0)?, from_json(&row.text(1)?)?);
    }
    Ok(Settings {
        cookie_name: setting_text(values.get("cookie_name")),
        cookie_key: setting_text(values.get("cookie_key")),
        cookie_expiry_days: match values.get("cookie_expiry_days") {
            Some(Value::Float(f)) => Some(*f),
            #[allow(clippy::cast_precision_loss)]
            Some(Value::Int(i)) => Some(*i as f64),
            _ => None,
        },
        api_key: setting_text(values.get("api_key")),
    })
}

/// The setting that holds the SMTP settings.
const SMTP_SETTING: &str = "smtp";

/// See [`Store::smtp_settings`](crate::store::Store::smtp_settings).
pub(crate) fn smtp_settings(db: &impl Database) -> Result<Option<SmtpSettings>> {
    let rows = db.read(|tx| tx.query(SELECT_SETTING, &[Param::Text(SMTP_SETTING)]))?;
    rows.first()
        .map(|row| Ok(SmtpSettings::stored(from_json(&row.text(0)?)?)))
        .transpose()
}

/// See [`Store::set_smtp_settings`](crate::store::Store::set_smtp_settings).
pub(crate) fn set_smtp_settings(
    db: &impl Database,
    settings: Option<&SmtpSettings>,
    event: Option<&AuditEvent>,
) -> Result<bool> {
    let json = settings.map(|s| to_json(s.section())).transpose()?;
    db.write(|tx| {
        let changed = match &json {
            Some(value) => tx.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[Param::Text(SMTP_SETTING), Param::Text(value)],
            )?,
            None => tx.execute(
                "DELETE FROM settings WHERE name = $1",
                &[Param::Text(SMTP_SETTING)],
            )?,
        } > 0;
        if changed {
            defer_event(tx, event)?;
        }
        Ok(changed)
    })
}

pub(crate) fn lock_state(db: &impl Database, key: &UserKey) -> Result<LockState> {
    db.read(|tx| lock_state_in(&tx.query(SELECT_LOCK_STATE, &[Param::Text(key)])?))
}

/// Where a login's user comes from: the `users` table, read with the rest
/// of its state, or the caller (the state database beside a `config.yaml`
/// has no users: its store reads them from the file); `Given(None)` for no
/// such user.
pub(crate) enum LoginUser {
    Table,
    Given(Option<User>),
}

pub(crate) fn login_state(db: &impl Database, key: &UserKey) -> Result<Option<LoginState>> {
    login_state_of(db, key, &LoginUser::Table)
}

/// [`login_state`] with the user from `from`: one round trip.
pub(crate) fn login_state_of(
    db: &impl Database,
    key: &UserKey,
    from: &LoginUser,
) -> Result<Option<LoginState>> {
    if matches!(from, LoginUser::Given(None)) {
        return Ok(None);
    }
    let by_key = [Param::Text(key)];
    db.read(|tx| {
        let rows = tx.pipeline(&login_reads(from, &by_key))?;
        login_state_in(&rows, from)
    })
}

/// A login's reads, in the order [`login_state_in`] takes their rows:
/// `SELECT_USER` (when the user comes from the table), `SELECT_LOCK_STATE`,
/// `SELECT_PENDING_PASSWORD` and `SELECT_FACTOR_KINDS`.
fn login_reads<'a>(
    from: &LoginUser,
    by_key: &'a [Param<'a>],
) -> Vec<(&'static str, &'a [Param<'a>])> {
    let user = matches!(from, LoginUser::Table).then_some((SELECT_USER, by_key));
    user.into_iter()
        .chain([
            (SELECT_LOCK_STATE, by_key),
            (SELECT_PENDING_PASSWORD, by_key),
            (SELECT_FACTOR_KINDS, by_key),
        ])
        .collect()
}

/// The login state in the rows of [`login_reads`].
fn login_state_in(rows: &[Vec<Row>], from: &LoginUser) -> Result<Option<LoginState>> {
    let part = |i: usize| rows.get(i).map(Vec::as_slice).unwrap_or_default();
    let (user, first) = match from {
        LoginUser::Table => match part(0).first() {
            Some(row) => (UserRow::from_row(row)?.to_user()?, 1),
            None => return Ok(None),
        },
        LoginUser::Given(Some(user)) => (user.clone(), 0),
        LoginUser::Given(None) => return Ok(None),
    };
    Ok(Some(LoginState {
        user,
        lock: lock_state_in(part(first))?,
        pending: part(first + 1).first().map(pending_from_row).transpose()?,
        factors: factor_kinds_in(part(first + 2))?,
    }))
}

/// The row of `SELECT_FACTOR_KINDS`.
fn factor_kinds_in(rows: &[Row]) -> Result<FactorKinds> {
    let Some(row) = rows.first() else {
        return Ok(FactorKinds::default());
    };
    Ok(FactorKinds {
        totp: row.opt_bool(0)? == Some(true),
        passkey: row.opt_bool(1)? == Some(true),
    })
}

pub(crate) fn session(db: &impl Database, id: &str) -> Result<Option<Session>> {
    db.read(|tx| {
        let rows = tx.query(
            concat!(
                "SELECT ",
                session_columns!(),
                " FROM sessions WHERE id = $1"
            ),
            &[Param::Text(id)],
        )?;
        rows.first().map(session_from_row).transpose()
    })
}

pub(crate) fn revoked_before(db: &impl Database, key: &UserKey) -> Result<Option<f64>> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT revoked_at FROM revoked_before WHERE username = $1",
            &[Param::Text(key)],
        )?;
        rows.first().map(|r| r.f64(0)).transpose()
    })
}

pub(crate) fn plaintext_passwords(db: &impl Database) -> Result<Vec<(String, String)>> {
    db.read(|tx| {
        // Served by the partial index `users_plaintext`: reads only the flagged rows.
        let rows = tx.query(
            "SELECT username, password_hash FROM users WHERE password_plain \
             ORDER BY username",
            &[],
        )?;
        rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
    })
}

pub(crate) fn preauthorized_emails(db: &impl Database) -> Result<Option<Vec<String>>> {
    db.read(|tx| {
        if preauthorized_mode(tx)?.is_none() {
            return Ok(None);
        }
        let rows = tx.query("SELECT email FROM preauthorized_emails ORDER BY id", &[])?;
        rows.iter()
            .map(|r| r.text(0))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    })
}

/// See [`Store::edit_preauthorized`](crate::store::Store::edit_preauthorized).
pub(crate) fn edit_preauthorized(
    db: &impl Database,
    add: &[String],
    remove: &[String],
    event: Option<&AuditEvent>,
) -> Result<Vec<String>> {
    db.write(|tx| {
        for email in remove {
            tx.execute(
                "DELETE FROM preauthorized_emails WHERE email_key = $1",
                &[Param::Text(&EmailKey::new(email))],
            )?;
        }
        if !add.is_empty() {
            // A list of emails restricts registration (as a YAML list does).
            tx.execute(
                "INSERT INTO settings (name, value) VALUES ($1, 'true') \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[Param::Text(PREAUTHORIZED_LIST)],
            )?;
        }
        for email in add {
            let key = EmailKey::new(email);
            let listed = tx.query(
                "SELECT 1 FROM preauthorized_emails WHERE email_key = $1",
                &[Param::Text(&key)],
            )?;
            if listed.is_empty() {
                tx.execute(
                    "INSERT INTO preauthorized_emails (email, email_key) VALUES ($1, $2)",
                    &[Param::Text(email.trim()), Param::Text(&key)],
                )?;
            }
        }
        defer_event(tx, event)?;
        let rows = tx.query("SELECT email FROM preauthorized_emails ORDER BY id", &[])?;
        rows.iter().map(|r| r.text(0)).collect()
    })
}

/// What the store keeps of a pre-authorized list, as `DocStore` reads
/// `pre-authorized.emails`: `None` for no list, `Some(true)` for a list of
/// emails (which restricts registration), `Some(false)` for an `emails` key
/// that is not a list (which lists nothing and, as in 0.4.2, restricts
/// nothing).
fn preauthorized_mode(tx: &mut dyn Tx) -> Result<Option<bool>> {
    list_mode(&tx.query(SELECT_SETTING, &[Param::Text(PREAUTHORIZED_LIST)])?)
}

/// [`preauthorized_mode`] from the settings row it reads.
fn list_mode(rows: &[Row]) -> Result<Option<bool>> {
    match rows.first() {
        None => Ok(None),
        Some(row) => Ok(Some(from_json(&row.text(0)?)? == Value::Bool(true))),
    }
}

pub(crate) fn pending_password(
    db: &impl Database,
    key: &UserKey,
) -> Result<Option<PendingPassword>> {
    db.read(|tx| {
        let rows = tx.query(SELECT_PENDING_PASSWORD, &[Param::Text(key)])?;
        rows.first().map(pending_from_row).transpose()
    })
}

pub(crate) fn withdraw_pending_password(
    db: &impl Database,
    key: &UserKey,
    hash: &str,
) -> Result<bool> {
    db.write(|tx| {
        Ok(tx.execute(
            "DELETE FROM pending_passwords WHERE username = $1 AND hash = $2",
            &[Param::Text(key), Param::Text(hash)],
        )? > 0)
    })
}

pub(crate) fn list_users(db: &impl Database, offset: usize, limit: usize) -> Result<Vec<User>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    db.read(|tx| {
        let rows = tx.query(
            concat!(
                "SELECT ",
                user_columns!(),
                " FROM users ORDER BY username LIMIT $1 OFFSET $2"
            ),
            &[Param::Int(sql_int(limit)), Param::Int(sql_int(offset))],
        )?;
        rows.iter()
            .map(|r| UserRow::from_row(r)?.to_user())
            .collect()
    })
}

pub(crate) fn user_count(db: &impl Database) -> Result<usize> {
    db.read(|tx| {
        let rows = tx.query("SELECT n FROM user_count WHERE id = 1", &[])?;
        Ok(count(
            rows.first().map(|r| r.i64(0)).transpose()?.unwrap_or(0),
        ))
    })
}

pub(crate) fn recent_events(db: &impl Database, limit: usize) -> Result<Vec<AuditEvent>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut events = db.read(|tx| {
        let rows = tx.query(
            "SELECT occurred_at, kind, username, detail FROM audit_events \
             ORDER BY id DESC LIMIT $1",
            &[Param::Int(sql_int(limit))],
        )?;
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    time: r.f64(0)?,
                    kind: r.text(1)?,
                    username: r.opt_text(2)?,
                    detail: r.opt_text(3)?,
                })
            })
            .collect::<Result<Vec<_>>>()
    })?;
    events.reverse();
    Ok(events)
}

// ---- writes ----------------------------------------------------------------------

pub(crate) fn record_failure(
    db: &impl Database,
    key: &UserKey,
    policy: &LockoutPolicy,
    now: f64,
    event: Option<FailureEvent<'_>>,
) -> Result<LockState> {
    count_attempt(db, key, policy, now, event).map(|(_, new)| new.unwrap_or_default())
}

/// See [`Store::bind_guest`](crate::store::Store::bind_guest).
pub(crate) fn bind_guest(
    db: &impl Database,
    key: &UserKey,
    issuer: &str,
    subject: &str,
) -> Result<(String, String)> {
    db.write(|tx| {
        tx.execute(
            "INSERT INTO guest_identities (username, issuer, subject) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO NOTHING",
            &[Param::Text(key), Param::Text(issuer), Param::Text(subject)],
        )?;
        let rows = tx.query(
            "SELECT issuer, subject FROM guest_identities WHERE username = $1",
            &[Param::Text(key)],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| corrupt("a guest identity vanished".into()))?;
        Ok((row.text(0)?, row.text(1)?))
    })
}

/// See [`Store::generated_cookie_key`](crate::store::Store::generated_cookie_key):
/// the `cookie_key` setting, inserted only if there is none.
pub(crate) fn generated_cookie_key(db: &impl Database) -> Result<String> {
    let fresh = to_json(&Value::Str(crate::token::generate_key()?))?;
    db.write(|tx| {
        tx.execute(
            "INSERT INTO settings (name, value) VALUES ('cookie_key', $1) \
             ON CONFLICT (name) DO NOTHING",
            &[Param::Text(&fresh)],
        )?;
        let rows = tx.query(SELECT_SETTING, &[Param::Text("cookie_key")])?;
        let stored = rows
            .first()
            .map(|row| row.text(0))
            .transpose()?
            .ok_or_else(|| corrupt("the cookie_key setting vanished".into()))?;
        match from_json(&stored)? {
            Value::Str(key) => Ok(key),
            _ => Err(corrupt("the cookie_key setting is not a string".into())),
        }
    })
}

/// See [`Store::consume_legacy_token`](crate::store::Store::consume_legacy_token).
pub(crate) fn consume_legacy_token(
    db: &impl Database,
    digest: &str,
    key: &UserKey,
    now: f64,
) -> Result<bool> {
    check_time("now", now)?;
    db.write(|tx| {
        let inserted = tx.execute(
            "INSERT INTO consumed_legacy_tokens (digest, username, used_at) \
             VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING",
            &[
                Param::Text(digest),
                Param::Text(key),
                Param::real("now", now)?,
            ],
        )?;
        Ok(inserted > 0)
    })
}

/// See [`Store::legacy_cutoff`](crate::store::Store::legacy_cutoff).
pub(crate) fn legacy_cutoff(db: &impl Database) -> Result<Option<f64>> {
    db.read(|tx| {
        let rows = tx.query(
            "SELECT applied_at FROM schema_version WHERE version = 1",
            &[],
        )?;
        rows.first().map(|r| r.f64(0)).transpose()
    })
}

/// Throttle counters by key.
type Counters = HashMap<String, ThrottleState>;

/// The throttle counters under `keys`, locked until the transaction ends,
/// by key (absent ones are missing); `extra` queries go out in the same
/// round trip, their rows after.
fn lock_throttles_then(
    tx: &mut dyn Tx,
    keys: &[ThrottleKey],
    extra: &[(&str, &[Param<'_>])],
) -> Result<(Counters, Vec<Vec<Row>>)> {
    let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let mut sql = format!(
        "SELECT key, attempts, window_start, blocked_until FROM throttles WHERE key IN ({})",
        placeholders.join(", ")
    );
    if tx.dialect() == Dialect::Postgres {
        // Rows are locked in index order, the keys' order, by every caller.
        sql.push_str(" ORDER BY key FOR UPDATE");
    }
    let params: Vec<Param<'_>> = keys.iter().map(|k| Param::Text(&k.key)).collect();
    let mut queries: Vec<(&str, &[Param<'_>])> = vec![(&sql, &params)];
    queries.extend_from_slice(extra);
    let mut out = tx.pipeline(&queries)?.into_iter();
    let rows = out.next().unwrap_or_default();
    let states = rows
        .iter()
        .map(|row| {
            let attempts = u32::try_from(row.i64(1)?)
                .map_err(|_| corrupt("a throttle's attempts are out of range".into()))?;
            let state = ThrottleState {
                attempts,
                window_start: row.f64(2)?,
                blocked_until: row.opt_f64(3)?,
            };
            Ok((row.text(0)?, state))
        })
        .collect::<Result<_>>()?;
    Ok((states, out.collect()))
}

/// `keys` in the one order every transaction locks them in, once each.
fn lock_order(keys: &[ThrottleKey]) -> Vec<ThrottleKey> {
    let mut keys = keys.to_vec();
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    keys.dedup_by(|a, b| a.key == b.key);
    keys
}

/// Writes one throttle counter (or deletes it, for `None`).
fn put_throttle(tx: &mut dyn Tx, key: &str, state: Option<&ThrottleState>) -> Result<()> {
    let Some(state) = state else {
        return tx.defer("DELETE FROM throttles WHERE key = $1", &[Param::Text(key)]);
    };
    tx.defer(
        "INSERT INTO throttles (key, attempts, window_start, blocked_until) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
         attempts = excluded.attempts, window_start = excluded.window_start, \
         blocked_until = excluded.blocked_until",
        &[
            Param::Text(key),
            Param::Int(i64::from(state.attempts)),
            Param::real("window_start", state.window_start)?,
            Param::opt_real("blocked_until", state.blocked_until)?,
        ],
    )
}

/// See [`Store::throttle_attempt`](crate::store::Store::throttle_attempt).
pub(crate) fn throttle_attempt(
    db: &impl Database,
    keys: &[ThrottleKey],
    policy: &ThrottlePolicy,
    now: f64,
) -> Result<Option<f64>> {
    check_time("now", now)?;
    let keys = lock_order(keys);
    db.write(|tx| {
        let (current, _) = prepare_count(tx, &keys, now, &[])?;
        count_unless_waiting(tx, &keys, policy, now, &current)
    })
}

/// See [`Store::throttled_login_state`](crate::store::Store::throttled_login_state):
/// the counters and the login's reads ([`login_reads`]) in one round trip,
/// the count with `COMMIT` in a second.
pub(crate) fn throttled_login_state(
    db: &impl Database,
    key: &UserKey,
    keys: &[ThrottleKey],
    policy: &ThrottlePolicy,
    now: f64,
) -> Result<Throttled<Option<LoginState>>> {
    throttled_login_state_of(db, key, keys, policy, now, &LoginUser::Table)
}

/// [`throttled_login_state`] with the user from `from`.
pub(crate) fn throttled_login_state_of(
    db: &impl Database,
    key: &UserKey,
    keys: &[ThrottleKey],
    policy: &ThrottlePolicy,
    now: f64,
    from: &LoginUser,
) -> Result<Throttled<Option<LoginState>>> {
    check_time("now", now)?;
    let keys = lock_order(keys);
    let by_key = [Param::Text(key)];
    let reads = match from {
        LoginUser::Given(None) => Vec::new(),
        _ => login_reads(from, &by_key),
    };
    db.write(|tx| {
        let (current, rows) = prepare_count(tx, &keys, now, &reads)?;
        if let Some(until) = count_unless_waiting(tx, &keys, policy, now, &current)? {
            return Ok(Throttled::Wait(until));
        }
        Ok(Throttled::Go(login_state_in(&rows, from)?))
    })
}

/// Makes sure the counters' rows exist and locks them, with `extra` reads.
fn prepare_count(
    tx: &mut dyn Tx,
    keys: &[ThrottleKey],
    now: f64,
    extra: &[(&str, &[Param<'_>])],
) -> Result<(Counters, Vec<Vec<Row>>)> {
    tx.relax_durability()?;
    // Rows two first attempts insert at once would otherwise not be
    // there to lock: the insert makes them, the later one waits.
    for k in keys {
        tx.defer(
            "INSERT INTO throttles (key, attempts, window_start) VALUES ($1, 0, $2) \
             ON CONFLICT (key) DO NOTHING",
            &[Param::Text(&k.key), Param::real("now", now)?],
        )?;
    }
    lock_throttles_then(tx, keys, extra)
}

/// Counts the attempt under every counter, unless one makes it wait: then
/// nothing is counted and the answer is when the wait ends.
fn count_unless_waiting(
    tx: &mut dyn Tx,
    keys: &[ThrottleKey],
    policy: &ThrottlePolicy,
    now: f64,
    current: &Counters,
) -> Result<Option<f64>> {
    let waits = keys.iter().filter_map(|k| {
        let state = current.get(&k.key)?;
        policy.blocked_until(state, now)
    });
    if let Some(until) = waits.reduce(f64::max) {
        return Ok(Some(until));
    }
    for k in keys {
        let counted = policy.count(k.scope, current.get(&k.key), now);
        put_throttle(tx, &k.key, Some(&counted))?;
    }
    // Each brake prunes its own counters: their windows differ.
    let prune = match policy.namespace {
        Namespace::Login => {
            "DELETE FROM throttles WHERE window_start <= $1 \
             AND (blocked_until IS NULL OR blocked_until <= $2) AND key NOT LIKE $3"
        }
        Namespace::Mail => {
            "DELETE FROM throttles WHERE window_start <= $1 \
             AND (blocked_until IS NULL OR blocked_until <= $2) AND key LIKE $3"
        }
    };
    let mail_keys = format!("{MAIL_PREFIX}%");
    tx.defer(
        prune,
        &[
            Param::real("now", now - policy.window)?,
            Param::real("now", now)?,
            Param::Text(&mail_keys),
        ],
    )?;
    Ok(None)
}

/// See [`Store::throttle_success`](crate::store::Store::throttle_success).
pub(crate) fn throttle_success(
    db: &impl Database,
    keys: &[ThrottleKey],
    policy: &ThrottlePolicy,
    now: f64,
) -> Result<()> {
    check_time("now", now)?;
    db.write(|tx| {
        tx.relax_durability()?;
        defer_refund(tx, keys, policy)
    })
}

/// Gives back a successful attempt, written without reading first so that
/// it goes out with the transaction's `COMMIT`.
fn defer_refund(tx: &mut dyn Tx, keys: &[ThrottleKey], policy: &ThrottlePolicy) -> Result<()> {
    for k in &lock_order(keys) {
        let key = [Param::Text(&k.key)];
        // The last attempt of a counter, or a client and account's:
        // the counter goes.
        let gone = if k.scope == Scope::ClientAccount {
            "DELETE FROM throttles WHERE key = $1"
        } else {
            "DELETE FROM throttles WHERE key = $1 AND attempts <= 1"
        };
        tx.defer(gone, &key)?;
        if k.scope != Scope::ClientAccount {
            let threshold = i64::from(policy.backoff(k.scope).threshold());
            tx.defer(
                "UPDATE throttles SET attempts = attempts - 1, blocked_until = \
                 CASE WHEN attempts - 1 < $2 THEN NULL ELSE blocked_until END \
                 WHERE key = $1",
                &[Param::Text(&k.key), Param::Int(threshold)],
            )?;
        }
    }
    Ok(())
}

/// See [`Store::reserve_attempt`](crate::store::Store::reserve_attempt).
pub(crate) fn reserve_attempt(
    db: &impl Database,
    key: &UserKey,
    policy: &LockoutPolicy,
    now: f64,
) -> Result<Option<LockState>> {
    let (counted, new) = count_attempt(db, key, policy, now, None)?;
    Ok(new.filter(|_| counted))
}

/// Counts one attempt; returns whether it was counted (the account was not
/// locked already) and the new record (`None` for an unknown user).
fn count_attempt(
    db: &impl Database,
    key: &UserKey,
    policy: &LockoutPolicy,
    now: f64,
    event: Option<FailureEvent<'_>>,
) -> Result<(bool, Option<LockState>)> {
    check_time("now", now)?;
    db.write(|tx| {
        tx.relax_durability()?;
        let Some(rows) = lock_user_then(tx, key, SELECT_LOCK_STATE)? else {
            return Ok((false, None));
        };
        let old = lock_state_in(&rows)?;
        let counted = policy.locked_until(&old, now).is_none();
        let new = policy.record_failure(&old, now);
        if new != old {
            if tx.keeps_users() {
                tx.defer(
                    "UPDATE users SET failed_login_attempts = $2 WHERE username = $1",
                    &[Param::Text(key), Param::Int(i64::from(new.failures))],
                )?;
            }
            upsert_lockout(tx, key, &new)?;
        }
        defer_event(tx, event.map(|e| e(&new)).as_ref())?;
        Ok((counted, Some(new)))
    })
}

pub(crate) fn open_session(
    db: &impl Database,
    session: &Session,
    limits: &SessionLimits,
    now: f64,
    event: Option<&AuditEvent>,
    refund: Option<Refund<'_>>,
) -> Result<()> {
    check_time("now", now)?;
    check_time("idle_timeout", limits.idle_timeout)?;
    for (what, t) in [
        ("session created", session.created),
        ("session expires", session.expires),
        ("session last_seen", session.last_seen),
    ] {
        check_time(what, t)?;
    }
    let key = UserKey::new(&session.username);
    let limited = limits.single_session || limits.max_concurrent_users.is_some();
    let opened = db.write(|tx| {
        tx.relax_durability()?;
        tx.lock_sessions(limited)?;
        // The user's row is locked first, the order every writer follows,
        // and an operator's lock read with it: it holds against every way
        // in (password, cookie, guest, password reset).
        let Some(rows) = lock_user_then(tx, &key, SELECT_LOCK_STATE)? else {
            return Err(Error::UserNotFound(session.username.clone()));
        };
        if let Some(until) = lock_state_in(&rows)?.disabled_until.filter(|t| *t > now) {
            return Err(Error::AccountLocked { until });
        }
        if limited {
            // The limits are decided on what is read here too.
            let has_live =
                limits.single_session && has_live_session(tx, &key, now, limits.idle_timeout)?;
            let users = match limits.max_concurrent_users {
                Some(_) => live_users(tx, now, limits.idle_timeout)?,
                None => Vec::new(),
            };
            crate::session::admit(limits, &key, has_live, &users)?;
        }
        // The change goes out with `COMMIT` in one round trip. A success
        // resets the failures and the lock they set, never an operator's.
        if tx.keeps_users() {
            tx.defer(
                "UPDATE users SET failed_login_attempts = 0, logged_in = $2 WHERE username = $1",
                &[Param::Text(&key), Param::Bool(true)],
            )?;
        }
        // Sessions that can no longer be resumed (`expires <= now`), through
        // the `sessions_expires` index.
        tx.defer(
            "DELETE FROM sessions WHERE expires <= $1",
            &[Param::real("now", now)?],
        )?;
        tx.defer(
            "DELETE FROM lockouts WHERE username = $1 AND disabled_until IS NULL",
            &[Param::Text(&key)],
        )?;
        tx.defer(
            "UPDATE lockouts SET failures = 0, window_start = NULL, locked_until = NULL \
             WHERE username = $1",
            &[Param::Text(&key)],
        )?;
        if let Some((keys, policy)) = refund {
            defer_refund(tx, keys, policy)?;
        }
        defer_event(tx, event)?;
        upsert_session(tx, session, &key)
    });
    opened
}

pub(crate) fn label_session(db: &impl Database, id: &str, user_agent: &str) -> Result<()> {
    db.write(|tx| {
        tx.relax_durability()?;
        tx.defer(
            "UPDATE sessions SET user_agent = $2 WHERE id = $1",
            &[Param::Text(id), Param::Text(user_agent)],
        )
    })
}

pub(crate) fn touch_session(db: &impl Database, id: &str, now: f64) -> Result<()> {
    check_time("now", now)?;
    db.write(|tx| {
        tx.relax_durability()?;
        tx.lock_sessions(false)?;
        tx.defer(
            "UPDATE sessions SET last_seen = $2 WHERE id = $1",
            &[Param::Text(id), Param::Real(now)],
        )
    })
}

pub(crate) fn close_session(
    db: &impl Database,
    id: &str,
    now: f64,
    idle_timeout: f64,
    event: Option<&AuditEvent>,
) -> Result<Option<Session>> {
    check_time("now", now)?;
    check_time("idle_timeout", idle_timeout)?;
    let params = [
        Param::Text(id),
        Param::real("now", now)?,
        Param::real("idle_timeout", idle_timeout)?,
        Param::Bool(false),
    ];
    let event_params = match event {
        Some(e) => Some([
            Param::Text(id),
            Param::real("event time", e.time)?,
            Param::Text(&e.kind),
            Param::opt_text(e.detail.as_deref()),
        ]),
        None => None,
    };
    db.write(|tx| {
        tx.relax_durability()?;
        // Every statement finds the owner through the session, so the whole
        // change is one round trip. The owner's row is locked first, the
        // order every writer follows; the owner stays logged in while
        // another of their sessions is live (`Session::is_live`'s test).
        let mut steps: Vec<(&str, &[Param<'_>])> = Vec::with_capacity(4);
        if tx.keeps_users() {
            if tx.dialect() == Dialect::Postgres {
                steps.push((
                    "SELECT 1 FROM sessions s JOIN users u ON u.username = s.username \
                     WHERE s.id = $1 FOR UPDATE OF u",
                    &params[..1],
                ));
            }
            steps.push((
                "UPDATE users SET logged_in = $4 \
                 WHERE username = (SELECT username FROM sessions WHERE id = $1) \
                 AND NOT EXISTS (SELECT 1 FROM sessions o WHERE o.username = users.username \
                 AND o.id <> $1 AND o.expires > $2 AND $2 - o.last_seen < $3)",
                &params,
            ));
        }
        steps.push((
            "INSERT INTO revoked_before (username, revoked_at) \
             SELECT username, CAST($2 AS DOUBLE PRECISION) FROM sessions WHERE id = $1 \
             ON CONFLICT (username) DO UPDATE SET revoked_at = excluded.revoked_at",
            &params[..2],
        ));
        if let Some(event_params) = &event_params {
            steps.push((
                "INSERT INTO audit_events (occurred_at, kind, username, detail) \
                 SELECT CAST($2 AS DOUBLE PRECISION), CAST($3 AS TEXT), username, \
                 CAST($4 AS TEXT) FROM sessions WHERE id = $1",
                event_params,
            ));
        }
        steps.push((
            concat!(
                "DELETE FROM sessions WHERE id = $1 RETURNING ",
                session_columns!()
            ),
            &params[..1],
        ));
        let closed = tx.finish(&steps)?.pop().unwrap_or_default();
        closed.first().map(session_from_row).transpose()
    })
}

/// When a stored hash is replaced by another hash of the same password (a
/// rehash to another cost or scheme), the user's sessions move to the new
/// credential version: a rehash is not a password change. A plaintext
/// `old` has no sessions bound to it (see `auth::current_credential`).
fn defer_rebind_sessions(tx: &mut dyn Tx, key: &str, old: &str, new: &str) -> Result<()> {
    if !password::is_hash(old) {
        return Ok(());
    }
    let (old_cv, new_cv) = (
        crate::token::credential_version(old),
        crate::token::credential_version(new),
    );
    tx.defer(
        "UPDATE sessions SET credential = $3 WHERE username = $1 AND credential = $2",
        &[Param::Text(key), Param::Text(&old_cv), Param::Text(&new_cv)],
    )
}

/// Dict mode: one user's state as the app's dict says it (see
/// `store::dict_state`), in one transaction. A failure count without a
/// window start (a 0.4.2 entry, or a hand edit) counts from `now`. When the
/// dict says the user is not logged in, their sessions are marked unseen
/// (`last_seen = 0`): they stop counting towards `single_session` and
/// `max_concurrent_users` but still resume, and the next use marks them
/// seen again.
pub(crate) fn set_user_state(
    db: &impl Database,
    key: &UserKey,
    state: &crate::store::dict_state::UserState,
    now: f64,
) -> Result<()> {
    let lock = LockState {
        failures: state.failures,
        window_start: state.window_start.or((state.failures > 0).then_some(now)),
        locked_until: state.locked_until,
        disabled_until: state.disabled_until,
    };
    db.write(|tx| {
        if lock.failures == 0 && lock.locked_until.is_none() && lock.disabled_until.is_none() {
            tx.defer(
                "DELETE FROM lockouts WHERE username = $1",
                &[Param::Text(key)],
            )?;
        } else {
            upsert_lockout(tx, key, &lock)?;
        }
        match &state.pending {
            Some(pending) => upsert_pending(tx, key, pending)?,
            None => tx.defer(
                "DELETE FROM pending_passwords WHERE username = $1",
                &[Param::Text(key)],
            )?,
        }
        match state.revoked_before {
            Some(t) => upsert_revoked(tx, key, t)?,
            None => tx.defer(
                "DELETE FROM revoked_before WHERE username = $1",
                &[Param::Text(key)],
            )?,
        }
        let kept: Vec<&str> = state.sessions.iter().map(|s| s.id.as_str()).collect();
        for id in existing_sessions(tx, key)? {
            if !kept.contains(&id.as_str()) {
                tx.defer("DELETE FROM sessions WHERE id = $1", &[Param::Text(&id)])?;
            }
        }
        for session in state.sessions.iter().filter(|s| s.is_valid(now)) {
            upsert_session(tx, session, key)?;
        }
        if !state.logged_in {
            tx.defer(
                "UPDATE sessions SET last_seen = 0 WHERE username = $1",
                &[Param::Text(key)],
            )?;
        }
        Ok(())
    })
}

fn existing_sessions(tx: &mut dyn Tx, key: &str) -> Result<Vec<String>> {
    tx.query(
        "SELECT id FROM sessions WHERE username = $1",
        &[Param::Text(key)],
    )?
    .iter()
    .map(|row| row.text(0))
    .collect()
}

/// [`store_hashes`]'s session step for the state database beside a config
/// file, whose users live in the file: `changed` are the (username, old,
/// new) values the file took.
pub(crate) fn rebind_sessions(
    db: &impl Database,
    changed: &[(String, String, String)],
) -> Result<()> {
    if !changed.iter().any(|(_, old, _)| password::is_hash(old)) {
        return Ok(());
    }
    db.write(|tx| {
        for (username, old, new) in changed {
            defer_rebind_sessions(tx, &UserKey::new(username), old, new)?;
        }
        Ok(())
    })
}

pub(crate) fn store_hashes(
    db: &impl Database,
    hashed: &[(String, String, String)],
) -> Result<Vec<String>> {
    if hashed.is_empty() {
        return Ok(Vec::new());
    }
    // Rows are changed in key order, so that two concurrent calls lock them in
    // the same order; a stable sort keeps repeated users in input order.
    let mut order: Vec<(UserKey, usize)> = hashed
        .iter()
        .enumerate()
        .map(|(i, (username, _, _))| (UserKey::new(username), i))
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let stored = db.write(|tx| {
        let mut stored = vec![false; hashed.len()];
        for (key, i) in &order {
            let (_, plaintext, hash) = &hashed[*i];
            let changed = tx.execute(
                "UPDATE users SET password_hash = $3, password_plain = $4 \
                 WHERE username = $1 AND password_hash = $2",
                &[
                    Param::Text(key),
                    Param::Text(plaintext),
                    Param::Text(hash),
                    Param::Bool(!password::is_hash(hash)),
                ],
            )?;
            stored[*i] = changed > 0;
            if changed > 0 {
                defer_rebind_sessions(tx, key, plaintext, hash)?;
            }
        }
        Ok(stored)
    })?;
    Ok(hashed
        .iter()
        .zip(stored)
        .filter(|(_, ok)| *ok)
        .map(|((username, _, _), _)| username.clone())
        .collect())
}

pub(crate) fn add_user(
    db: &impl Database,
    user: &NewUser,
    consume_preauthorized: bool,
    event: Option<&AuditEvent>,
) -> Result<User> {
    let key = UserKey::new(&user.username);
    let roles = to_json(&roles_value(user.roles.as_deref()))?;
    let email_index = email_key(&user.email);
    let extra = if user.awaiting_verification {
        let mut extra = Map::new();
        extra.insert(EMAIL_VERIFIED, Value::Bool(false));
        Some(to_json(&Value::Map(extra))?)
    } else {
        None
    };
    db.write(|tx| {
        // A taken username or email fails the insert on its unique key
        // (`UsernameTaken`, `EmailTaken`), so without an invitation to
        // consume nothing needs reading first: the insert, the event, the
        // read-back and `COMMIT` go out in one round trip.
        if consume_preauthorized {
            consume_invitation(tx, &key, &user.email)?;
        }
        let plain = user
            .password_hash
            .as_deref()
            .is_some_and(|p| !password::is_hash(p));
        tx.defer(
            "INSERT INTO users (username, email, email_key, first_name, last_name, \
             password_hash, password_plain, roles, password_hint, logged_in, extra) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                Param::Text(&key),
                Param::Text(&user.email),
                Param::opt_text(email_index.as_deref()),
                Param::Text(&user.first_name),
                Param::Text(&user.last_name),
                Param::opt_text(user.password_hash.as_deref()),
                Param::Bool(plain),
                Param::Text(&roles),
                Param::opt_text(user.password_hint.as_deref()),
                Param::Bool(false),
                Param::opt_text(extra.as_deref()),
            ],
        )?;
        defer_event(tx, event)?;
        // The user as stored comes back with the commit: no read after it.
        let added = tx.finish(&[(SELECT_USER, &[Param::Text(&key)])])?;
        first_user(added.first().map_or(&[][..], Vec::as_slice))?
            .ok_or_else(|| corrupt(format!("the user {key} just added is not there")))
    })
}

/// Removes `email` from the store's pre-authorized list, if it keeps one;
/// refuses an email not on it. A taken username or email is refused first,
/// as the insert would, so that an invitation is never spent on a refusal.
fn consume_invitation(tx: &mut dyn Tx, key: &str, email: &str) -> Result<()> {
    let checked = taken(tx, key, email, true)?;
    refuse_taken(&checked, key)?;
    if !checked.preauthorized_list {
        return Ok(());
    }
    let removed = tx.execute(
        "DELETE FROM preauthorized_emails WHERE email_key = $1",
        &[Param::Text(&EmailKey::new(email))],
    )?;
    if removed == 0 {
        // Another replica may have just registered this account and
        // consumed the email; then say what it was.
        refuse_taken(&taken(tx, key, email, false)?, key)?;
        return Err(Error::NotPreauthorized);
    }
    Ok(())
}

fn refuse_taken(checked: &Taken, key: &str) -> Result<()> {
    if checked.username {
        return Err(Error::UsernameTaken);
    }
    if checked
        .email_owner
        .as_deref()
        .is_some_and(|owner| owner != key)
    {
        return Err(Error::EmailTaken);
    }
    Ok(())
}

pub(crate) fn check_available(db: &impl Database, key: &UserKey, email: &str) -> Result<()> {
    db.read(|tx| {
        let checked = taken(tx, key, email, false)?;
        if checked.email_owner.is_some() {
            return Err(Error::EmailTaken);
        }
        if checked.username {
            return Err(Error::UsernameTaken);
        }
        Ok(())
    })
}

/// What [`add_user`] and [`check_available`] check, read in one round trip.
struct Taken {
    username: bool,
    /// Who has the email, if anyone.
    email_owner: Option<String>,
    /// Whether the store keeps a pre-authorized list (read only if asked).
    preauthorized_list: bool,
}

fn taken(tx: &mut dyn Tx, key: &str, email: &str, preauthorized: bool) -> Result<Taken> {
    let email_index = email_key(email);
    let by_key = [Param::Text(key)];
    let by_email = [Param::opt_text(email_index.as_deref())];
    let mode = [Param::Text(PREAUTHORIZED_LIST)];
    let mut queries: Vec<(&str, &[Param<'_>])> = vec![(SELECT_USER_EXISTS, &by_key)];
    if email_index.is_some() {
        queries.push((SELECT_EMAIL_OWNER, &by_email));
    }
    if preauthorized {
        queries.push((SELECT_SETTING, &mode));
    }
    let mut out = tx.pipeline(&queries)?.into_iter();
    let username = !out.next().unwrap_or_default().is_empty();
    let email_owner = match email_index {
        Some(_) => owner_in(&out.next().unwrap_or_default())?,
        None => None,
    };
    let preauthorized_list = list_mode(&out.next().unwrap_or_default())? == Some(true);
    Ok(Taken {
        username,
        email_owner,
        preauthorized_list,
    })
}

pub(crate) fn remove_user(db: &impl Database, key: &UserKey) -> Result<bool> {
    let now = SystemClock.now();
    // Sessions, lockout, pending password and second factors go with the row (ON DELETE
    // CASCADE). Revocations stay, and one is written now: a user registered
    // later under the same name must not inherit the removed user's 0.4.2
    // cookies, which no session row names.
    db.write(|tx| {
        upsert_revoked(tx, key, now)?;
        if !tx.keeps_users() {
            for sql in [
                "DELETE FROM sessions WHERE username = $1",
                "DELETE FROM lockouts WHERE username = $1",
                "DELETE FROM pending_passwords WHERE username = $1",
                "DELETE FROM second_factors WHERE username = $1",
                "DELETE FROM recovery_codes WHERE username = $1",
                "DELETE FROM passkeys WHERE username = $1",
            ] {
                tx.execute(sql, &[Param::Text(key)])?;
            }
            return Ok(true);
        }
        Ok(tx.execute("DELETE FROM users WHERE username = $1", &[Param::Text(key)])? > 0)
    })
}

pub(crate) fn update_user(
    db: &impl Database,
    key: &UserKey,
    update: &UserUpdate,
    event: Option<&AuditEvent>,
) -> Result<()> {
    let roles = match update {
        UserUpdate::Roles(r) => Some(to_json(&roles_value(r.as_deref()))?),
        _ => None,
    };
    db.write(|tx| {
        if !lock_user(tx, key)? {
            return Err(Error::UserNotFound(key.to_string()));
        }
        defer_event(tx, event)?;
        let (sql, value) = match update {
            UserUpdate::FirstName(v) => (
                "UPDATE users SET first_name = $2 WHERE username = $1",
                v.as_str(),
            ),
            UserUpdate::LastName(v) => (
                "UPDATE users SET last_name = $2 WHERE username = $1",
                v.as_str(),
            ),
            UserUpdate::Roles(_) => (
                "UPDATE users SET roles = $2 WHERE username = $1",
                roles.as_deref().unwrap_or("null"),
            ),
            UserUpdate::EmailVerified => {
                let sql = match tx.dialect() {
                    Dialect::Postgres => {
                        "UPDATE users SET extra = NULLIF((extra::jsonb - $2)::text, '{}')::json \
                         WHERE username = $1"
                    }
                    _ => {
                        "UPDATE users SET extra = NULLIF(json_remove(extra, '$.' || $2), '{}') \
                         WHERE username = $1"
                    }
                };
                (sql, EMAIL_VERIFIED)
            }
            UserUpdate::Email(v) => {
                if email_taken_by_other(tx, v, key)? {
                    return Err(Error::EmailTaken);
                }
                let index = email_key(v);
                return tx.defer(
                    "UPDATE users SET email = $2, email_key = $3 WHERE username = $1",
                    &[
                        Param::Text(key),
                        Param::Text(v),
                        Param::opt_text(index.as_deref()),
                    ],
                );
            }
        };
        tx.defer(sql, &[Param::Text(key), Param::Text(value)])
    })
}

pub(crate) fn set_password(
    db: &impl Database,
    key: &UserKey,
    hash: &str,
    now: f64,
    event: Option<&AuditEvent>,
) -> Result<()> {
    check_time("now", now)?;
    db.write(|tx| {
        if !lock_user(tx, key)? {
            return Err(Error::UserNotFound(key.to_string()));
        }
        if tx.keeps_users() {
            tx.defer(
                "UPDATE users SET password_hash = $2, password_plain = $3 WHERE username = $1",
                &[
                    Param::Text(key),
                    Param::Text(hash),
                    Param::Bool(!password::is_hash(hash)),
                ],
            )?;
        }
        tx.defer(
            "DELETE FROM sessions WHERE username = $1",
            &[Param::Text(key)],
        )?;
        tx.defer(
            "DELETE FROM pending_passwords WHERE username = $1",
            &[Param::Text(key)],
        )?;
        defer_event(tx, event)?;
        upsert_revoked(tx, key, now)
    })
}

pub(crate) fn set_pending_password(
    db: &impl Database,
    key: &UserKey,
    pending: &PendingPassword,
) -> Result<()> {
    check_time("pending password expiry", pending.expires)?;
    db.write(|tx| {
        if !lock_user(tx, key)? {
            return Err(Error::UserNotFound(key.to_string()));
        }
        upsert_pending(tx, key, pending)
    })
}

/// See [`Store::clear_failures`](crate::store::Store::clear_failures): what
/// [`open_session`] does to the failures, without a session.
pub(crate) fn clear_failures(db: &impl Database, key: &UserKey) -> Result<()> {
    db.write(|tx| {
        tx.relax_durability()?;
        if tx.keeps_users() {
            tx.defer(
                "UPDATE users SET failed_login_attempts = 0 WHERE username = $1",
                &[Param::Text(key)],
            )?;
        }
        tx.defer(
            "DELETE FROM lockouts WHERE username = $1 AND disabled_until IS NULL",
            &[Param::Text(key)],
        )?;
        tx.execute(
            "UPDATE lockouts SET failures = 0, window_start = NULL, locked_until = NULL \
             WHERE username = $1",
            &[Param::Text(key)],
        )?;
        Ok(())
    })
}

pub(crate) fn set_lock(db: &impl Database, key: &UserKey, until: Option<f64>) -> Result<()> {
    if let Some(t) = until {
        check_time("lock end", t)?;
    }
    db.write(|tx| {
        if !lock_user(tx, key)? {
            return Err(Error::UserNotFound(key.to_string()));
        }
        match until {
            Some(t) => {
                // An operator's lock, apart from the failures' lock: no
                // session opens while it holds. (`authgate users lock` then
                // ends the open ones, unless told to keep them.)
                tx.execute(
                    "INSERT INTO lockouts (username, failures, window_start, locked_until, \
                     disabled_until) VALUES ($1, 0, NULL, NULL, $2) ON CONFLICT (username) \
                     DO UPDATE SET disabled_until = excluded.disabled_until",
                    &[Param::Text(key), Param::Real(t)],
                )?;
            }
            None => {
                tx.execute(
                    "DELETE FROM lockouts WHERE username = $1",
                    &[Param::Text(key)],
                )?;
                if tx.keeps_users() {
                    tx.execute(
                        "UPDATE users SET failed_login_attempts = 0 WHERE username = $1",
                        &[Param::Text(key)],
                    )?;
                }
            }
        }
        Ok(())
    })
}

// ---- second factors ------------------------------------------------------------------

/// The kind of a TOTP row in `second_factors`.
pub(crate) const TOTP_KIND: &str = "totp";

const SELECT_TOTP: &str =
    "SELECT secret, last_step, created FROM second_factors WHERE username = $1 AND kind = 'totp'";

const SELECT_RECOVERY_CODES: &str =
    "SELECT digest FROM recovery_codes WHERE username = $1 AND used_at IS NULL ORDER BY digest";

/// A `second_factors` TOTP row: secret, last step, created.
pub(super) fn stored_totp_from_row(row: &Row) -> Result<StoredTotp> {
    Ok(StoredTotp {
        secret: row.text(0)?,
        last_step: row.opt_i64(1)?,
        created: row.f64(2)?,
    })
}

fn second_factors_in(totp: &[Row], codes: &[Row], passkeys: &[Row]) -> Result<SecondFactors> {
    Ok(SecondFactors {
        totp: totp.first().map(stored_totp_from_row).transpose()?,
        recovery_codes: codes.iter().map(|r| r.text(0)).collect::<Result<_>>()?,
        passkeys: passkeys
            .iter()
            .map(super::passkeys::passkey_from_row)
            .collect::<Result<_>>()?,
    })
}

/// See [`Store::second_factors`](crate::store::Store::second_factors).
pub(crate) fn second_factors(db: &impl Database, key: &UserKey) -> Result<SecondFactors> {
    db.read(|tx| {
        let params = [Param::Text(key)];
        let mut out = tx.pipeline(&[
            (SELECT_TOTP, &params),
            (SELECT_RECOVERY_CODES, &params),
            (super::passkeys::SELECT_PASSKEYS_OF, &params),
        ])?;
        let passkeys = out.pop().unwrap_or_default();
        let codes = out.pop().unwrap_or_default();
        let totp = out.pop().unwrap_or_default();
        second_factors_in(&totp, &codes, &passkeys)
    })
}

/// Inserts `digests` as the user's unused recovery codes.
pub(super) fn insert_recovery_codes(tx: &mut dyn Tx, key: &str, digests: &[String]) -> Result<()> {
    for digest in digests {
        tx.defer(
            "INSERT INTO recovery_codes (username, digest, used_at) VALUES ($1, $2, NULL)",
            &[Param::Text(key), Param::Text(digest)],
        )?;
    }
    Ok(())
}

/// Inserts the user's TOTP row.
pub(super) fn insert_totp(tx: &mut dyn Tx, key: &str, totp: &StoredTotp) -> Result<()> {
    tx.execute(
        "INSERT INTO second_factors (username, kind, secret, last_step, created) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            Param::Text(key),
            Param::Text(TOTP_KIND),
            Param::Text(&totp.secret),
            totp.last_step.map_or(Param::Null, Param::Int),
            Param::real("enrolment time", totp.created)?,
        ],
    )
    .map(drop)
}

/// See [`Store::enable_totp`](crate::store::Store::enable_totp).
pub(crate) fn enable_totp(
    db: &impl Database,
    key: &UserKey,
    totp: &StoredTotp,
    recovery_codes: &[String],
    event: Option<&AuditEvent>,
) -> Result<bool> {
    check_time("enrolment time", totp.created)?;
    db.write(|tx| {
        let Some(existing) = lock_user_then(tx, key, SELECT_TOTP)? else {
            return Err(Error::UserNotFound(key.to_string()));
        };
        if !existing.is_empty() {
            return Ok(false);
        }
        // Codes left from an earlier factor (an import, a hand edit) go.
        tx.execute(
            "DELETE FROM recovery_codes WHERE username = $1",
            &[Param::Text(key)],
        )?;
        insert_totp(tx, key, totp)?;
        insert_recovery_codes(tx, key, recovery_codes)?;
        defer_event(tx, event)?;
        Ok(true)
    })
}

/// See [`Store::use_totp_step`](crate::store::Store::use_totp_step): one
/// conditional `UPDATE`, which PostgreSQL re-checks on the row it waited
/// for, so a parallel use of the same step changes nothing.
pub(crate) fn use_totp_step(
    db: &impl Database,
    key: &UserKey,
    secret: &str,
    step: i64,
) -> Result<bool> {
    db.write(|tx| {
        let changed = tx.execute(
            "UPDATE second_factors SET last_step = $3 \
             WHERE username = $1 AND kind = 'totp' AND secret = $2 \
             AND (last_step IS NULL OR last_step < $3)",
            &[Param::Text(key), Param::Text(secret), Param::Int(step)],
        )?;
        Ok(changed == 1)
    })
}

/// See [`Store::consume_recovery_code`](crate::store::Store::consume_recovery_code).
pub(crate) fn consume_recovery_code(
    db: &impl Database,
    key: &UserKey,
    digest: &str,
    now: f64,
    event: Option<&AuditEvent>,
) -> Result<bool> {
    check_time("now", now)?;
    db.write(|tx| {
        let changed = tx.execute(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE username = $1 AND digest = $2 AND used_at IS NULL",
            &[Param::Text(key), Param::Text(digest), Param::Real(now)],
        )?;
        if changed != 1 {
            return Ok(false);
        }
        defer_event(tx, event)?;
        Ok(true)
    })
}

/// See [`Store::replace_recovery_codes`](crate::store::Store::replace_recovery_codes).
pub(crate) fn replace_recovery_codes(
    db: &impl Database,
    key: &UserKey,
    digests: &[String],
    event: Option<&AuditEvent>,
) -> Result<bool> {
    db.write(|tx| {
        let Some(totp) = lock_user_then(tx, key, SELECT_TOTP)? else {
            return Err(Error::UserNotFound(key.to_string()));
        };
        if totp.is_empty() {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM recovery_codes WHERE username = $1",
            &[Param::Text(key)],
        )?;
        insert_recovery_codes(tx, key, digests)?;
        defer_event(tx, event)?;
        Ok(true)
    })
}

/// See [`Store::remove_second_factors`](crate::store::Store::remove_second_factors).
pub(crate) fn remove_second_factors(
    db: &impl Database,
    key: &UserKey,
    event: Option<&AuditEvent>,
) -> Result<bool> {
    remove_factors(db, key, true, event)
}

/// See [`Store::remove_totp`](crate::store::Store::remove_totp).
pub(crate) fn remove_totp(
    db: &impl Database,
    key: &UserKey,
    event: Option<&AuditEvent>,
) -> Result<bool> {
    remove_factors(db, key, false, event)
}

/// Removes the user's TOTP factor and recovery codes, and their passkeys
/// too `with_passkeys`; records `event` if anything went.
fn remove_factors(
    db: &impl Database,
    key: &UserKey,
    with_passkeys: bool,
    event: Option<&AuditEvent>,
) -> Result<bool> {
    db.write(|tx| {
        let mut removed = tx.execute(
            "DELETE FROM second_factors WHERE username = $1",
            &[Param::Text(key)],
        )?;
        removed += tx.execute(
            "DELETE FROM recovery_codes WHERE username = $1",
            &[Param::Text(key)],
        )?;
        if with_passkeys {
            removed += tx.execute(
                "DELETE FROM passkeys WHERE username = $1",
                &[Param::Text(key)],
            )?;
        }
        if removed == 0 {
            return Ok(false);
        }
        defer_event(tx, event)?;
        Ok(true)
    })
}

pub(crate) fn record_event(db: &impl Database, event: &AuditEvent) -> Result<()> {
    check_time("event time", event.time)?;
    db.write(|tx| {
        tx.relax_durability()?;
        defer_event(tx, Some(event))
    })
}

/// The audit trail keeps this many events at most; older ones are deleted.
/// Anyone can add events (a refused cookie is one), so it must be bounded.
pub const MAX_AUDIT_EVENTS: i64 = 1_000_000;

/// The trail is cut back to [`MAX_AUDIT_EVENTS`] once per this many events
/// a process records, not at every one.
const AUDIT_PRUNE_EVERY: u64 = 64;

/// Appends `event`, if any, to the audit trail as part of the transaction.
pub(super) fn defer_event(tx: &mut dyn Tx, event: Option<&AuditEvent>) -> Result<()> {
    static RECORDED: AtomicU64 = AtomicU64::new(0);
    let Some(event) = event else {
        return Ok(());
    };
    tx.defer(
        "INSERT INTO audit_events (occurred_at, kind, username, detail) \
         VALUES ($1, $2, $3, $4)",
        &[
            Param::real("event time", event.time)?,
            Param::Text(&event.kind),
            Param::opt_text(event.username.as_deref()),
            Param::opt_text(event.detail.as_deref()),
        ],
    )?;
    if RECORDED
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(AUDIT_PRUNE_EVERY)
    {
        defer_audit_prune(tx, MAX_AUDIT_EVENTS)?;
    }
    Ok(())
}

/// Deletes all but the newest `keep` events (by id, which grows with time).
fn defer_audit_prune(tx: &mut dyn Tx, keep: i64) -> Result<()> {
    tx.defer(
        "DELETE FROM audit_events WHERE id <= (SELECT max(id) FROM audit_events) - $1",
        &[Param::Int(keep)],
    )
}

/// Cuts the audit trail back to its newest `keep` events now.
pub(crate) fn prune_audit(db: &impl Database, keep: i64) -> Result<()> {
    db.write(|tx| defer_audit_prune(tx, keep))
}
