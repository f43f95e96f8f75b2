//! What the SQL stores ([`super::SqliteStore`], [`super::PostgresStore`])
//! share: the schema's migrations, the store operations written once against
//! a small transaction interface, and the conversions between rows and
//! authgate's types.
//!
//! # One implementation, two databases
//!
//! Every [`super::Store`] operation is a function in [`ops`] that runs inside
//! one [`Database::write`] (a transaction) or [`Database::read`] (statements
//! on committed data). A backend only supplies the [`Tx`] primitives —
//! run a statement, take the lock that orders session changes — so SQLite and
//! PostgreSQL cannot drift apart in semantics, and both match
//! [`super::DocStore`], which the conformance tests check.
//!
//! # Concurrency
//!
//! - SQLite: every write is one `BEGIN IMMEDIATE` transaction, which holds the
//!   database's single write lock, so writes of all processes are serialized.
//! - PostgreSQL: a write first locks the rows it decides on
//!   (`SELECT … FOR UPDATE` on the user), always the user before their
//!   sessions, so concurrent replicas serialize per user and never deadlock
//!   on each other. Session limits (`max_concurrent_users`, `single_session`)
//!   depend on every user's sessions, so opening a session under a limit takes
//!   an exclusive transaction-scoped advisory lock, and every operation that
//!   can make a session live (opening without a limit, touching) takes it
//!   shared. Serialization failures and deadlocks, should they happen, are
//!   retried.
//!
//! # Schema
//!
//! Versioned by the `schema_version` table; [`Migration`]s are SQL scripts
//! embedded in the binary and applied in order, each once, in one
//! transaction, when a store opens. A database of a newer version than the
//! code knows is refused untouched. Each dialect numbers its own versions: a
//! change only one database needs is a migration of that dialect alone.
//!
//! - `users`: one row per account. `username` is the key
//!   ([`UserKey`](crate::user::UserKey): trimmed, lower-cased), folded where
//!   a `Store` method takes the name. Known fields have typed columns;
//!   `NULL` means the key is absent from the record. `email_key` is the
//!   email's [`EmailKey`](crate::user::EmailKey) (trimmed, lower-cased:
//!   Unicode, computed in Rust, as SQLite's `lower()` only folds ASCII) with
//!   a UNIQUE index.
//!   `password_plain` flags passwords that are not bcrypt hashes, with a
//!   partial index, so finding them never scans every user. `roles` is JSON.
//!   `extra` is a JSON object with every other key of the record (and any
//!   known key whose value has an unexpected type), so importing a
//!   `config.yaml` loses nothing; a typed column, once set, wins over an
//!   `extra` entry of the same name.
//! - `user_count`: one row kept by triggers, so counting users is O(1). In
//!   PostgreSQL (since schema version 2) the triggers fire once per
//!   statement and add or subtract the number of rows it inserted or
//!   deleted (transition tables): a row-level trigger, updating that one row
//!   once per user within a transaction, made an import of n users take
//!   O(n²) time, as each update walks the row's earlier versions. SQLite,
//!   without row versions, keeps row-level triggers.
//! - `lockouts`, `sessions` (indexed by user, expiry and last use),
//!   `pending_passwords`, `revoked_before`, `throttles` (the guessing
//!   brake's counters, [`crate::throttle`]), `second_factors` and
//!   `recovery_codes` ([`crate::second_factor`]), `passkeys`
//!   ([`crate::passkey`], keyed by credential id): authgate's state.
//! - `preauthorized_emails`: the registration allow-list, in order, with
//!   folded keys; the `preauthorized_list` setting says whether the store
//!   keeps a list at all.
//! - `settings`: name → JSON value. `cookie_name`, `cookie_key`,
//!   `cookie_expiry_days`, `api_key` and `oauth2` are the documented home of
//!   what lived in `config.yaml`; other top-level keys of an imported config
//!   are kept under their own names.
//! - `audit_events`: append-only, indexed by time.

pub(crate) mod export;
pub(crate) mod import;
mod json;
pub(crate) mod ops;
pub(crate) mod passkeys;

use crate::error::{Error, Result};
use crate::percent::percent_decode;

/// A schema change: applied once, in order, in the transaction that records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// The `schema_version` it brings the database to.
    pub version: i64,
    /// The SQL script.
    pub sql: &'static str,
}

/// SQLite's migrations, oldest first.
pub(crate) const SQLITE_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("sqlite/0002_sessions_locks_legacy.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("sqlite/0003_throttles.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("sqlite/0004_second_factors.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("sqlite/0005_session_user_agent.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("sqlite/0006_passkeys.sql"),
    },
];

/// The migrations of the state database beside a `config.yaml`
/// ([`super::DocStore`]): the state tables of [`SQLITE_MIGRATIONS`], without
/// `users` and therefore without foreign keys.
pub(crate) const STATE_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("state/0001_initial.sql"),
    },
    Migration {
        version: 2,
        sql: concat!(
            include_str!("sqlite/0002_sessions_locks_legacy.sql"),
            include_str!("state/0002_settings.sql")
        ),
    },
    Migration {
        version: 3,
        sql: include_str!("sqlite/0003_throttles.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("state/0004_second_factors.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("sqlite/0005_session_user_agent.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("state/0006_passkeys.sql"),
    },
];

/// PostgreSQL's migrations, oldest first.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("postgres/0002_statement_level_user_count.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("postgres/0003_sessions_locks_legacy.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("postgres/0004_throttles.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("postgres/0005_second_factors.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("postgres/0006_session_user_agent.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("postgres/0007_passkeys.sql"),
    },
];

/// The newest version in `migrations`.
pub(crate) const fn latest(migrations: &[Migration]) -> i64 {
    match migrations.last() {
        Some(m) => m.version,
        None => 0,
    }
}

/// The error for a database whose schema is newer than this code.
pub(crate) fn schema_too_new(location: &str, found: i64, supported: i64) -> Error {
    Error::SchemaTooNew {
        location: location.to_string(),
        found,
        supported,
    }
}

/// Which SQL dialect a [`Tx`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

/// A statement parameter. Floats are bound through [`Param::real`], which
/// refuses NaN: SQLite would store it as `NULL` and PostgreSQL sorts it above
/// infinity, so neither could keep the semantics of a comparison with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Param<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// A float, never NaN.
    Real(f64),
    /// Text (also JSON text for `json` columns).
    Text(&'a str),
    /// A boolean (`0`/`1` in SQLite).
    Bool(bool),
}

impl<'a> Param<'a> {
    /// A float parameter; NaN is refused.
    pub fn real(what: &str, value: f64) -> Result<Self> {
        if value.is_nan() {
            Err(Error::InvalidInput(format!(
                "{what} must be a number, not NaN"
            )))
        } else {
            Ok(Param::Real(value))
        }
    }

    /// An optional float parameter; NaN is refused.
    pub fn opt_real(what: &str, value: Option<f64>) -> Result<Self> {
        value.map_or(Ok(Param::Null), |v| Param::real(what, v))
    }

    /// Optional text.
    pub fn opt_text(value: Option<&'a str>) -> Self {
        value.map_or(Param::Null, Param::Text)
    }
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text (and JSON).
    Text(String),
    /// A boolean (PostgreSQL's; SQLite has none).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Bool(bool),
}

/// A result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Cell> {
        self.0
            .get(i)
            .ok_or_else(|| corrupt(format!("a result row has no column {i}")))
    }

    /// Column `i` as optional text.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s.clone())),
            other => Err(mismatch(i, other, "text")),
        }
    }

    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| corrupt(format!("column {i} is NULL, expected text")))
    }

    /// Column `i` as an optional integer.
    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            other => Err(mismatch(i, other, "an integer")),
        }
    }

    /// Column `i` as an integer.
    pub fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?
            .ok_or_else(|| corrupt(format!("column {i} is NULL, expected an integer")))
    }

    /// Column `i` as an optional float (an integer is accepted: SQLite stores
    /// whole REAL values written by hand as integers).
    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Real(v) => Ok(Some(*v)),
            #[allow(clippy::cast_precision_loss)]
            Cell::Int(v) => Ok(Some(*v as f64)),
            other => Err(mismatch(i, other, "a number")),
        }
    }

    /// Column `i` as a float.
    pub fn f64(&self, i: usize) -> Result<f64> {
        self.opt_f64(i)?
            .ok_or_else(|| corrupt(format!("column {i} is NULL, expected a number")))
    }

    /// Column `i` as an optional boolean (`0`/`1` in SQLite).
    pub fn opt_bool(&self, i: usize) -> Result<Option<bool>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Bool(b) => Ok(Some(*b)),
            Cell::Int(0) => Ok(Some(false)),
            Cell::Int(1) => Ok(Some(true)),
            other => Err(mismatch(i, other, "a boolean")),
        }
    }
}

fn mismatch(i: usize, found: &Cell, expected: &str) -> Error {
    let kind = match found {
        Cell::Null => "NULL",
        Cell::Int(_) => "an integer",
        Cell::Real(_) => "a float",
        Cell::Text(_) => "text",
        Cell::Bool(_) => "a boolean",
    };
    corrupt(format!("column {i} holds {kind}, expected {expected}"))
}

/// An error for stored data that does not have the shape the schema promises
/// (a hand edit, or a bug).
pub(crate) fn corrupt(message: String) -> Error {
    Error::io(
        "<database>",
        std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    )
}

/// A database failure at `location` (a path, or a URL without its password).
///
/// Until `Error` has a variant of its own for databases, this is an
/// [`Error::Io`] naming the location, whose message is `message`.
pub(crate) fn db_error(location: &str, message: impl Into<String>) -> Error {
    Error::Database {
        location: location.to_string(),
        message: message.into(),
    }
}

/// The statements of one transaction (or, for reads, one connection).
pub(crate) trait Tx {
    /// The dialect the statements must be written in.
    fn dialect(&self) -> Dialect;
    /// Runs a query; placeholders are written `$1`, `$2`, … in both dialects.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>>;
    /// Runs a statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64>;
    /// Takes the transaction-scoped lock that orders changes to which
    /// sessions are live: exclusive to check session limits, shared to add or
    /// revive a session. A no-op where writes are serialized anyway (SQLite).
    fn lock_sessions(&mut self, exclusive: bool) -> Result<()>;
    /// Runs a statement whose only outcome that matters is success; an
    /// error may surface at the next statement or at commit instead.
    /// PostgreSQL sends it with the next round trip; SQLite runs it now.
    fn defer(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        self.execute(sql, params).map(drop)
    }
    /// Runs queries in order and returns each one's rows. PostgreSQL sends
    /// them, and the deferred statements before them, in one round trip.
    fn pipeline(&mut self, queries: &[(&str, &[Param<'_>])]) -> Result<Vec<Vec<Row>>> {
        queries
            .iter()
            .map(|(sql, params)| self.query(sql, params))
            .collect()
    }
    /// Runs queries as the last statements of the transaction and commits
    /// it: PostgreSQL sends them, the deferred statements and `COMMIT` in one
    /// round trip. The caller writes nothing after and returns `Ok`.
    fn finish(&mut self, queries: &[(&str, &[Param<'_>])]) -> Result<Vec<Vec<Row>>> {
        self.pipeline(queries)
    }
    /// Lets this transaction commit without waiting for its log to reach
    /// the disk, for session state (sessions, failure counts, audit events)
    /// whose loss in a server crash costs a login, never an account change.
    /// A no-op where commits are already relaxed (SQLite in WAL with
    /// `synchronous = NORMAL`) or where the store was asked to be durable.
    fn relax_durability(&mut self) -> Result<()> {
        Ok(())
    }
    /// Whether this database holds the `users` table. The state database
    /// beside a `config.yaml` does not: its users live in the file, which
    /// the caller checks, so steps that lock or update a user's row skip it.
    fn keeps_users(&self) -> bool {
        true
    }
}

/// A database that runs closures in transactions.
pub(crate) trait Database {
    /// Runs `f` on one connection without a transaction: each statement
    /// sees the data committed when it starts. For reads only. `f` may run
    /// twice if the first connection turned out to be closed.
    fn read<R>(&self, f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R>;
    /// Runs `f` in one write transaction, committed if `f` succeeds and
    /// rolled back if it fails. `f` may run more than once when the database
    /// asks for a retry (a serialization failure), so it must not have effects
    /// outside the transaction.
    fn write<R>(&self, f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R>;
}

/// `url` with the password (in the user info or a `password=` query
/// parameter) replaced by `***`, for messages and `Debug`.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))] // only PostgreSQL has URLs with passwords
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***{host}"),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            let mut out = format!("{path}?{}", query.join("&"));
            if let Some(f) = fragment {
                out.push('#');
                out.push_str(f);
            }
            out
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The passwords written in a URL (user info and `password=` query
/// parameters), as written and percent-decoded, to keep them out of messages.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let Some((_, rest)) = url.split_once("://") else {
        return secrets;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if let Some((_, password)) = userinfo.split_once(':') {
            secrets.push(password.to_string());
        }
    }
    if let Some((_, query)) = tail.split_once('?') {
        let query = query.split('#').next().unwrap_or_default();
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                if key.eq_ignore_ascii_case("password") {
                    secrets.push(value.to_string());
                }
            }
        }
    }
    let decoded: Vec<String> = secrets.iter().map(|s| percent_decode(s)).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Implements [`crate::store::Store`] for a type whose field `$field` is a
/// [`Database`], by calling the shared operations in [`ops`]; its field
/// `$presence` is the store's [`crate::store::PasskeyPresence`], forgotten
/// after every change that can add or remove a passkey.
macro_rules! impl_store_via_ops {
    ($ty:ty, $field:ident, $presence:ident) => {
        impl $crate::store::Store for $ty {
            fn user(&self, username: &str) -> $crate::Result<Option<$crate::user::User>> {
                $crate::store::sql::ops::user(&self.$field, &$crate::user::UserKey::new(username))
            }
            fn user_by_email(&self, email: &str) -> $crate::Result<Option<$crate::user::User>> {
                $crate::store::sql::ops::user_by_email(&self.$field, email)
            }
            fn user_record(&self, username: &str) -> $crate::Result<Option<$crate::yaml::Value>> {
                $crate::store::sql::ops::user_record(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn settings(&self) -> $crate::Result<$crate::store::Settings> {
                $crate::store::sql::ops::settings(&self.$field)
            }
            fn smtp_settings(&self) -> $crate::Result<Option<$crate::mail::SmtpSettings>> {
                $crate::store::sql::ops::smtp_settings(&self.$field)
            }
            fn set_smtp_settings(
                &self,
                settings: Option<&$crate::mail::SmtpSettings>,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::set_smtp_settings(&self.$field, settings, event)
            }
            fn lock_state(&self, username: &str) -> $crate::Result<$crate::lockout::LockState> {
                $crate::store::sql::ops::lock_state(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn login_state(
                &self,
                username: &str,
            ) -> $crate::Result<Option<$crate::store::LoginState>> {
                $crate::store::sql::ops::login_state(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn record_failure(
                &self,
                username: &str,
                policy: &$crate::lockout::LockoutPolicy,
                now: f64,
                event: Option<$crate::store::FailureEvent<'_>>,
            ) -> $crate::Result<$crate::lockout::LockState> {
                $crate::store::sql::ops::record_failure(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    policy,
                    now,
                    event,
                )
            }
            fn bind_guest(
                &self,
                username: &str,
                issuer: &str,
                subject: &str,
            ) -> $crate::Result<(String, String)> {
                $crate::store::sql::ops::bind_guest(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    issuer,
                    subject,
                )
            }
            fn generated_cookie_key(&self) -> $crate::Result<String> {
                $crate::store::sql::ops::generated_cookie_key(&self.$field)
            }
            fn consume_legacy_token(
                &self,
                digest: &str,
                username: &str,
                now: f64,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::consume_legacy_token(
                    &self.$field,
                    digest,
                    &$crate::user::UserKey::new(username),
                    now,
                )
            }
            fn legacy_cutoff(&self) -> $crate::Result<Option<f64>> {
                $crate::store::sql::ops::legacy_cutoff(&self.$field)
            }
            fn reserve_attempt(
                &self,
                username: &str,
                policy: &$crate::lockout::LockoutPolicy,
                now: f64,
            ) -> $crate::Result<Option<$crate::lockout::LockState>> {
                $crate::store::sql::ops::reserve_attempt(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    policy,
                    now,
                )
            }
            fn throttle_attempt(
                &self,
                keys: &[$crate::throttle::ThrottleKey],
                policy: &$crate::throttle::ThrottlePolicy,
                now: f64,
            ) -> $crate::Result<Option<f64>> {
                $crate::store::sql::ops::throttle_attempt(&self.$field, keys, policy, now)
            }
            fn throttled_login_state(
                &self,
                username: &str,
                keys: &[$crate::throttle::ThrottleKey],
                policy: &$crate::throttle::ThrottlePolicy,
                now: f64,
            ) -> $crate::Result<$crate::store::Throttled<Option<$crate::store::LoginState>>> {
                $crate::store::sql::ops::throttled_login_state(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    keys,
                    policy,
                    now,
                )
            }
            fn open_session_refunding(
                &self,
                session: &$crate::session::Session,
                limits: &$crate::store::SessionLimits,
                now: f64,
                event: Option<&$crate::store::AuditEvent>,
                refund: $crate::throttle::Refund<'_>,
            ) -> $crate::Result<()> {
                $crate::store::sql::ops::open_session(
                    &self.$field,
                    session,
                    limits,
                    now,
                    event,
                    Some(refund),
                )
            }
            fn throttle_success(
                &self,
                keys: &[$crate::throttle::ThrottleKey],
                policy: &$crate::throttle::ThrottlePolicy,
                now: f64,
            ) -> $crate::Result<()> {
                $crate::store::sql::ops::throttle_success(&self.$field, keys, policy, now)
            }
            fn open_session(
                &self,
                session: &$crate::session::Session,
                limits: &$crate::store::SessionLimits,
                now: f64,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<()> {
                $crate::store::sql::ops::open_session(
                    &self.$field,
                    session,
                    limits,
                    now,
                    event,
                    None,
                )
            }
            fn session(&self, id: &str) -> $crate::Result<Option<$crate::session::Session>> {
                $crate::store::sql::ops::session(&self.$field, id)
            }
            fn label_session(&self, id: &str, user_agent: &str) -> $crate::Result<()> {
                $crate::store::sql::ops::label_session(&self.$field, id, user_agent)
            }
            fn touch_session(&self, id: &str, now: f64) -> $crate::Result<()> {
                $crate::store::sql::ops::touch_session(&self.$field, id, now)
            }
            fn close_session(
                &self,
                id: &str,
                now: f64,
                idle_timeout: f64,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<Option<$crate::session::Session>> {
                $crate::store::sql::ops::close_session(&self.$field, id, now, idle_timeout, event)
            }
            fn revoked_before(&self, username: &str) -> $crate::Result<Option<f64>> {
                $crate::store::sql::ops::revoked_before(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn plaintext_passwords(&self) -> $crate::Result<Vec<(String, String)>> {
                $crate::store::sql::ops::plaintext_passwords(&self.$field)
            }
            fn store_hashes(
                &self,
                hashed: &[(String, String, String)],
            ) -> $crate::Result<Vec<String>> {
                $crate::store::sql::ops::store_hashes(&self.$field, hashed)
            }
            fn preauthorized_emails(&self) -> $crate::Result<Option<Vec<String>>> {
                $crate::store::sql::ops::preauthorized_emails(&self.$field)
            }
            fn edit_preauthorized(
                &self,
                add: &[String],
                remove: &[String],
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<Vec<String>> {
                $crate::store::sql::ops::edit_preauthorized(&self.$field, add, remove, event)
            }
            fn check_available(&self, username: &str, email: &str) -> $crate::Result<()> {
                $crate::store::sql::ops::check_available(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    email,
                )
            }
            fn add_user(
                &self,
                user: &$crate::store::NewUser,
                consume_preauthorized: bool,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<$crate::user::User> {
                $crate::store::sql::ops::add_user(&self.$field, user, consume_preauthorized, event)
            }
            fn remove_user(&self, username: &str) -> $crate::Result<bool> {
                let removed = $crate::store::sql::ops::remove_user(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                );
                self.$presence.forget();
                removed
            }
            fn update_user(
                &self,
                username: &str,
                update: &$crate::store::UserUpdate,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<()> {
                $crate::store::sql::ops::update_user(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    update,
                    event,
                )
            }
            fn set_password(
                &self,
                username: &str,
                hash: &str,
                now: f64,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<()> {
                $crate::store::sql::ops::set_password(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    hash,
                    now,
                    event,
                )
            }
            fn set_pending_password(
                &self,
                username: &str,
                pending: &$crate::store::PendingPassword,
            ) -> $crate::Result<()> {
                $crate::store::sql::ops::set_pending_password(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    pending,
                )
            }
            fn sessions_of(&self, username: &str) -> $crate::Result<Vec<$crate::session::Session>> {
                $crate::store::sql::export::sessions_of(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn pending_password(
                &self,
                username: &str,
            ) -> $crate::Result<Option<$crate::store::PendingPassword>> {
                $crate::store::sql::ops::pending_password(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn withdraw_pending_password(
                &self,
                username: &str,
                hash: &str,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::withdraw_pending_password(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    hash,
                )
            }
            fn list_users(
                &self,
                offset: usize,
                limit: usize,
            ) -> $crate::Result<Vec<$crate::user::User>> {
                $crate::store::sql::ops::list_users(&self.$field, offset, limit)
            }
            fn user_count(&self) -> $crate::Result<usize> {
                $crate::store::sql::ops::user_count(&self.$field)
            }
            fn set_lock(&self, username: &str, until: Option<f64>) -> $crate::Result<()> {
                $crate::store::sql::ops::set_lock(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    until,
                )
            }
            fn clear_failures(&self, username: &str) -> $crate::Result<()> {
                $crate::store::sql::ops::clear_failures(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn second_factors(
                &self,
                username: &str,
            ) -> $crate::Result<$crate::store::SecondFactors> {
                $crate::store::sql::ops::second_factors(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                )
            }
            fn enable_totp(
                &self,
                username: &str,
                totp: &$crate::store::StoredTotp,
                recovery_codes: &[String],
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::enable_totp(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    totp,
                    recovery_codes,
                    event,
                )
            }
            fn use_totp_step(
                &self,
                username: &str,
                secret: &str,
                step: i64,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::use_totp_step(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    secret,
                    step,
                )
            }
            fn consume_recovery_code(
                &self,
                username: &str,
                digest: &str,
                now: f64,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::consume_recovery_code(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    digest,
                    now,
                    event,
                )
            }
            fn replace_recovery_codes(
                &self,
                username: &str,
                digests: &[String],
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::replace_recovery_codes(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    digests,
                    event,
                )
            }
            fn remove_second_factors(
                &self,
                username: &str,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                let removed = $crate::store::sql::ops::remove_second_factors(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    event,
                );
                self.$presence.forget();
                removed
            }
            fn remove_totp(
                &self,
                username: &str,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                $crate::store::sql::ops::remove_totp(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    event,
                )
            }
            fn any_passkeys(&self) -> $crate::Result<bool> {
                $crate::store::sql::passkeys::any_passkeys(&self.$field)
            }
            fn passkey_presence(&self) -> Option<&$crate::store::PasskeyPresence> {
                Some(&self.$presence)
            }
            fn passkey_by_credential(
                &self,
                credential_id: &str,
            ) -> $crate::Result<Option<(String, $crate::store::StoredPasskey)>> {
                $crate::store::sql::passkeys::passkey_by_credential(&self.$field, credential_id)
            }
            fn add_passkey(
                &self,
                username: &str,
                passkey: &$crate::store::StoredPasskey,
                limit: usize,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<$crate::store::PasskeyChange> {
                let added = $crate::store::sql::passkeys::add_passkey(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    passkey,
                    limit,
                    event,
                );
                self.$presence.forget();
                added
            }
            fn use_passkey(
                &self,
                username: &str,
                credential_id: &str,
                counter: u32,
                passkey: &str,
                now: f64,
            ) -> $crate::Result<bool> {
                $crate::store::sql::passkeys::use_passkey(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    credential_id,
                    counter,
                    passkey,
                    now,
                )
            }
            fn rename_passkey(
                &self,
                username: &str,
                credential_id: &str,
                name: &str,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<$crate::store::PasskeyChange> {
                $crate::store::sql::passkeys::rename_passkey(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    credential_id,
                    name,
                    event,
                )
            }
            fn remove_passkey(
                &self,
                username: &str,
                credential_id: &str,
                event: Option<&$crate::store::AuditEvent>,
            ) -> $crate::Result<bool> {
                let removed = $crate::store::sql::passkeys::remove_passkey(
                    &self.$field,
                    &$crate::user::UserKey::new(username),
                    credential_id,
                    event,
                );
                self.$presence.forget();
                removed
            }
            fn record_event(&self, event: &$crate::store::AuditEvent) -> $crate::Result<()> {
                $crate::store::sql::ops::record_event(&self.$field, event)
            }
            fn upgrades_hashes_on_login(&self) -> bool {
                true
            }
            fn recent_events(
                &self,
                limit: usize,
            ) -> $crate::Result<Vec<$crate::store::AuditEvent>> {
                $crate::store::sql::ops::recent_events(&self.$field, limit)
            }
        }
    };
}
pub(crate) use impl_store_via_ops;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        for (url, want) in [
            (
                "postgresql://app:s3cret@db.example:5432/auth",
                "postgresql://app:***@db.example:5432/auth",
            ),
            (
                "postgres://app:p%40ss@h/db?sslmode=disable&password=x#f",
                "postgres://app:***@h/db?sslmode=disable&password=***#f",
            ),
            ("postgres://app@h/db", "postgres://app@h/db"),
            ("postgres://h", "postgres://h"),
            ("postgres://a:b:c@d@h/x", "postgres://a:***@h/x"),
            ("not a url", "not a url"),
            ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn url_secrets_are_found_as_written_and_decoded() {
        assert_eq!(
            url_secrets("postgres://app:p%40ss@h/db?password=q&x=1"),
            vec!["p%40ss".to_string(), "p@ss".to_string(), "q".to_string()]
        );
        assert!(url_secrets("postgres://app@h/db").is_empty());
    }

    #[test]
    fn nan_is_refused_as_a_parameter() {
        assert!(Param::real("now", f64::NAN).is_err());
        assert_eq!(
            Param::real("now", f64::INFINITY).unwrap(),
            Param::Real(f64::INFINITY)
        );
        assert_eq!(Param::opt_real("x", None).unwrap(), Param::Null);
    }

    #[test]
    fn rows_check_their_types() {
        let row = Row(vec![Cell::Int(1), Cell::Null, Cell::Text("t".into())]);
        assert_eq!(row.opt_bool(0).unwrap(), Some(true));
        assert_eq!(row.opt_f64(0).unwrap(), Some(1.0));
        assert!(row.text(1).is_err());
        assert!(row.i64(2).is_err());
        assert!(row.opt_text(9).is_err());
    }
}
