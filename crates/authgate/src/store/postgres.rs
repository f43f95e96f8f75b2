//! [`Store`](super::Store) in PostgreSQL: for apps run as several replicas
//! behind a load balancer.
//!
//! - **Atomic operations.** Each change is one transaction (READ COMMITTED)
//!   that locks what it decides on before reading it: the user's row
//!   (`SELECT … FOR UPDATE`), and for session limits a transaction-scoped
//!   advisory lock. Every transaction takes its locks in the same order
//!   (advisory lock, user, the user's sessions), so replicas never lose each
//!   other's updates and do not deadlock; should the server still report a
//!   deadlock or serialization failure, the transaction is retried.
//! - **Waiting.** A lock held by another transaction is waited for up to
//!   [`PostgresOptions::lock_timeout`] (the session's `lock_timeout`), then
//!   the operation fails with [`Error::LockTimeout`]; nothing is half-done.
//! - **Connections.** A small pool of at most
//!   [`PostgresOptions::max_connections`] connections, opened on demand.
//!   Statements are prepared once per connection. A connection the server
//!   closed (a restart, a failover) is replaced, and a read or a transaction
//!   that had not started yet is retried once on the new one.
//! - **Schema.** Created and migrated when the store connects, under an
//!   advisory lock so that replicas starting together migrate once, in the
//!   first schema of the connection's `search_path` (set one with
//!   `?options=-c%20search_path%3Dauth` in the URL). A database whose schema
//!   is newer than this code is refused untouched. When the schema is
//!   current, connecting runs no DDL, so the app's role needs no `CREATE`
//!   privilege after the first migration.
//! - **Secrets.** The password never appears in `Debug` output or error
//!   messages: stores name their database as
//!   `postgresql://user@host:port/dbname`.
//!
//! **TLS** is not supported yet: connections use `sslmode=prefer` without a
//! TLS implementation, so they are unencrypted, and a URL that requires TLS
//! (`sslmode=require`) fails to connect. Use a Unix socket or a trusted
//! network until rustls support lands.
//!
//! ```no_run
//! use authgate::store::{PostgresStore, Store};
//! let store = PostgresStore::connect("postgresql://app:secret@db.internal/auth")?;
//! println!("{} users", store.user_count()?);
//! # Ok::<(), authgate::Error>(())
//! ```

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use postgres::config::Host;
use postgres::error::SqlState;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use postgres::{Client, Config, GenericClient, NoTls, Statement};

use super::document::Document;
use super::sql::{self, Cell, Database, Dialect, Param, Row, Tx};
use super::AuditEvent;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::yaml::Value;

/// Advisory lock that orders changes to which sessions are live
/// (`"authgate"` in ASCII).
const SESSIONS_LOCK: i64 = 0x6175_7468_6761_7465;

/// Advisory lock held while migrating.
const MIGRATION_LOCK: i64 = SESSIONS_LOCK + 1;

/// Retries of a transaction the server aborted for a serialization failure
/// or deadlock.
const MAX_RETRIES: u32 = 5;

/// How a [`PostgresStore`] connects and waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostgresOptions {
    /// Most connections open at once; an operation waits for a free one.
    pub max_connections: usize,
    /// How long an operation waits for a lock another transaction holds, or
    /// for a free connection, before failing.
    pub lock_timeout: Duration,
    /// How long opening a connection may take, unless the URL sets
    /// `connect_timeout`.
    pub connect_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 8,
            lock_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A store in a PostgreSQL database, shared safely by threads and replicas.
pub struct PostgresStore {
    db: PgDb,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.db.location)
            .field("options", &self.db.options)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// The schema version this code creates and understands.
    pub const SCHEMA_VERSION: i64 = sql::latest(sql::POSTGRES_MIGRATIONS);

    /// Connects to the database at `url` (`postgresql://user:password@host:port/dbname`,
    /// or a `key=value` connection string) and brings its schema up to date.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the database (without its password) if the URL is
    /// invalid or the server cannot be reached or refuses the login;
    /// [`Error::ConfigSchema`] if the schema is newer than this code.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// [`PostgresStore::connect`] with options.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`]; [`Error::InvalidInput`] for
    /// `max_connections == 0`.
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self> {
        if options.max_connections == 0 {
            return Err(Error::InvalidInput(
                "max_connections must be at least 1".into(),
            ));
        }
        let secrets = sql::url_secrets(url);
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            let location = if url.contains("://") {
                sql::redact_url(url)
            } else {
                "<PostgreSQL connection string>".to_string()
            };
            sql::db_error(
                &location,
                scrub(&format!("invalid PostgreSQL URL: {}", chain(&e)), &secrets),
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("authgate");
        }
        let mut secrets = secrets;
        if let Some(p) = config.get_password() {
            secrets.push(String::from_utf8_lossy(p).into_owned());
        }
        let db = PgDb {
            location: describe(&config),
            config,
            secrets,
            options,
            pool: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            available: Condvar::new(),
        };
        {
            let mut conn = db.checkout()?;
            db.migrate(&mut conn)?;
        }
        Ok(PostgresStore { db })
    }

    /// The database, as `postgresql://user@host:port/dbname` (no password).
    pub fn location(&self) -> &str {
        &self.db.location
    }

    /// Copies a `config.yaml` document (users, settings, pre-authorized
    /// emails, sessions and lockouts) into this store, which must have no
    /// users yet, in one transaction. Returns the number of users imported.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the store already has users;
    /// [`Error::ConfigSchema`] if two users of the document share an email or
    /// a top-level key is not a string; database errors as for any write.
    pub fn import_document(&self, doc: &Document) -> Result<usize> {
        sql::import::import_document(&self.db, doc)
    }

    /// Sets (or with `None` removes) a setting: `cookie_name`, `cookie_key`,
    /// `cookie_expiry_days`, `api_key`, `oauth2`, or any other name.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty or reserved name; database errors.
    pub fn set_setting(&self, name: &str, value: Option<&Value>) -> Result<()> {
        sql::import::set_setting(&self.db, name, value)
    }

    /// The whole store as a `config.yaml` document — users with every key of
    /// their record, the settings under the keys they had in the file, the
    /// pre-authorized list, sessions, lockouts, pending passwords and
    /// revocations — read from one consistent snapshot. Writing it to a file,
    /// or importing it into an empty store, loses nothing.
    ///
    /// # Errors
    ///
    /// Database errors; [`Error::ConfigSchema`] if a stored record does not
    /// fit the config schema (a hand edit of the database).
    pub fn export_document(&self) -> Result<Document> {
        sql::export::export_document(&self.db, std::path::Path::new(&self.db.location))
    }

    /// The sessions of one user, oldest first.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn sessions_of(&self, username: &str) -> Result<Vec<Session>> {
        sql::export::sessions_of(&self.db, username)
    }

    /// Appends audit events, in order, in one transaction (for migrations;
    /// apps record events through [`Store::record_event`](super::Store::record_event)).
    /// Returns how many were appended.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an event whose time is NaN; database errors.
    pub fn append_events(&self, events: &[AuditEvent]) -> Result<usize> {
        sql::export::append_events(&self.db, events)
    }
}

sql::impl_store_via_ops!(PostgresStore, db);

/// `config` as a URL without password, for messages.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    format!(
        "postgresql://{user}{}/{}",
        hosts.join(","),
        config.get_dbname().unwrap_or_default()
    )
}

/// An error and its causes, `: `-separated.
fn chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `text` with every secret replaced by `***`: a last line of defence, as
/// no message is built from the URL's password in the first place.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 3)
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

/// One pooled connection and the statements prepared on it.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

struct PoolState {
    idle: Vec<PgConn>,
    /// Connections that exist, idle or checked out.
    open: usize,
}

/// The database and its connection pool.
struct PgDb {
    config: Config,
    /// The database without password, for messages.
    location: String,
    /// Text that must never appear in a message.
    secrets: Vec<String>,
    options: PostgresOptions,
    pool: Mutex<PoolState>,
    available: Condvar,
}

/// A checked-out connection, returned to the pool when dropped (or
/// discarded, if the server closed it).
struct Pooled<'a> {
    db: &'a PgDb,
    conn: Option<PgConn>,
    /// Whether it was idle in the pool (and so may have been closed by the
    /// server since).
    reused: bool,
}

impl Pooled<'_> {
    fn conn(&mut self) -> Result<&mut PgConn> {
        self.conn
            .as_mut()
            .ok_or_else(|| sql::db_error(&self.db.location, "connection already released"))
    }

    fn is_closed(&self) -> bool {
        self.conn.as_ref().is_none_or(|c| c.client.is_closed())
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut state = self.db.state();
        match self.conn.take() {
            Some(conn) if !conn.client.is_closed() => state.idle.push(conn),
            _ => state.open = state.open.saturating_sub(1),
        }
        drop(state);
        self.db.available.notify_one();
    }
}

impl PgDb {
    fn state(&self) -> MutexGuard<'_, PoolState> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, or a new one if fewer than `max_connections`
    /// exist; otherwise waits for one up to the lock timeout.
    fn checkout(&self) -> Result<Pooled<'_>> {
        let deadline = Instant::now() + self.options.lock_timeout;
        let mut state = self.state();
        loop {
            if let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    state.open = state.open.saturating_sub(1);
                    continue;
                }
                return Ok(Pooled {
                    db: self,
                    conn: Some(conn),
                    reused: true,
                });
            }
            if state.open < self.options.max_connections {
                state.open += 1;
                drop(state);
                // The guard gives the slot back if connecting fails.
                let mut pooled = Pooled {
                    db: self,
                    conn: None,
                    reused: false,
                };
                pooled.conn = Some(self.connect()?);
                return Ok(pooled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(sql::db_error(
                    &self.location,
                    format!(
                        "all {} connections stayed busy for {:.1} s",
                        self.options.max_connections,
                        self.options.lock_timeout.as_secs_f64()
                    ),
                ));
            }
            state = self
                .available
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn connect(&self) -> Result<PgConn> {
        let mut client = self.config.connect(NoTls).map_err(|e| {
            sql::db_error(
                &self.location,
                scrub(
                    &format!("cannot connect to PostgreSQL: {}", chain(&e)),
                    &self.secrets,
                ),
            )
        })?;
        let millis = self
            .options
            .lock_timeout
            .as_millis()
            .clamp(1, i32::MAX as u128);
        client
            .batch_execute(&format!("SET lock_timeout = {millis}"))
            .map_err(|e| self.error(&e, &mut false))?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }

    /// Maps a PostgreSQL error to authgate's; sets `retry` for the errors
    /// after which the whole transaction may simply run again.
    fn error(&self, e: &postgres::Error, retry: &mut bool) -> Error {
        let Some(db) = e.as_db_error() else {
            return sql::db_error(
                &self.location,
                scrub(&format!("PostgreSQL: {}", chain(e)), &self.secrets),
            );
        };
        let code = db.code();
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            *retry = true;
        }
        if *code == SqlState::UNIQUE_VIOLATION {
            match db.constraint() {
                Some("users_pkey") => return Error::UsernameTaken,
                Some("users_email_key") => return Error::EmailTaken,
                _ => {}
            }
        }
        if *code == SqlState::LOCK_NOT_AVAILABLE {
            return Error::LockTimeout {
                path: self.location.clone().into(),
                seconds: self.options.lock_timeout.as_secs_f64(),
            };
        }
        // The message only: the DETAIL of a constraint error can quote a row.
        sql::db_error(
            &self.location,
            scrub(
                &format!("PostgreSQL: {} ({})", db.message(), code.code()),
                &self.secrets,
            ),
        )
    }

    /// The schema version; 0 for a database without authgate's tables.
    fn schema_version(&self, client: &mut impl GenericClient) -> Result<i64> {
        let mut no_retry = false;
        let row = client
            .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
            .map_err(|e| self.error(&e, &mut no_retry))?;
        let exists: bool = row.try_get(0).map_err(|e| self.error(&e, &mut no_retry))?;
        if !exists {
            return Ok(0);
        }
        let row = client
            .query_one(
                "SELECT coalesce(max(version), 0)::bigint FROM schema_version",
                &[],
            )
            .map_err(|e| self.error(&e, &mut no_retry))?;
        row.try_get(0).map_err(|e| self.error(&e, &mut no_retry))
    }

    /// Brings the schema up to date: nothing (and no DDL) when it is current;
    /// otherwise the missing migrations in one transaction under an advisory
    /// lock, so that replicas starting together migrate once.
    fn migrate(&self, pooled: &mut Pooled<'_>) -> Result<()> {
        let supported = PostgresStore::SCHEMA_VERSION;
        let client = &mut pooled.conn()?.client;
        let found = self.schema_version(client)?;
        if found > supported {
            return Err(sql::schema_too_new(&self.location, found, supported));
        }
        if found == supported {
            return Ok(());
        }
        let mut no_retry = false;
        let mut err = |e: postgres::Error| self.error(&e, &mut no_retry);
        let mut tx = client.transaction().map_err(&mut err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(&mut err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (\
                 version    BIGINT           NOT NULL PRIMARY KEY, \
                 applied_at DOUBLE PRECISION NOT NULL)",
        )
        .map_err(&mut err)?;
        let found = self.schema_version(&mut tx)?;
        if found > supported {
            return Err(sql::schema_too_new(&self.location, found, supported));
        }
        for migration in sql::POSTGRES_MIGRATIONS
            .iter()
            .filter(|m| m.version > found)
        {
            tx.batch_execute(migration.sql).map_err(&mut err)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                &[&migration.version, &super::sqlite::unix_now()],
            )
            .map_err(&mut err)?;
        }
        tx.commit().map_err(&mut err)
    }
}

impl Database for PgDb {
    fn read<R>(&self, mut f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut pooled = self.checkout()?;
        let reused = pooled.reused;
        let out = run_plain(self, &mut pooled, &mut f);
        if out.is_err() && reused && pooled.is_closed() {
            // The server closed the idle connection; a read is safe to repeat.
            drop(pooled);
            let mut fresh = self.checkout()?;
            return run_plain(self, &mut fresh, &mut f);
        }
        out
    }

    fn write<R>(&self, mut f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut pooled = self.checkout()?;
        let mut attempt = 0;
        loop {
            let mut retry = false;
            let mut began = false;
            let out = run_transaction(self, &mut pooled, &mut f, &mut retry, &mut began);
            match out {
                Err(_) if !began && pooled.reused && pooled.is_closed() && attempt == 0 => {
                    // Nothing was sent on the dead connection: start over on a new one.
                    drop(pooled);
                    pooled = self.checkout()?;
                }
                Err(_) if retry && attempt < MAX_RETRIES => {
                    std::thread::sleep(Duration::from_millis(5 << attempt));
                }
                out => return out,
            }
            attempt += 1;
        }
    }
}

fn run_plain<R>(
    db: &PgDb,
    pooled: &mut Pooled<'_>,
    f: &mut impl FnMut(&mut dyn Tx) -> Result<R>,
) -> Result<R> {
    let PgConn { client, statements } = pooled.conn()?;
    let mut retry = false;
    f(&mut PgTx {
        client,
        statements,
        db,
        retry: &mut retry,
    })
}

fn run_transaction<R>(
    db: &PgDb,
    pooled: &mut Pooled<'_>,
    f: &mut impl FnMut(&mut dyn Tx) -> Result<R>,
    retry: &mut bool,
    began: &mut bool,
) -> Result<R> {
    let PgConn { client, statements } = pooled.conn()?;
    let mut tx = client.transaction().map_err(|e| db.error(&e, retry))?;
    *began = true;
    // On error the transaction is dropped, which rolls it back.
    let out = f(&mut PgTx {
        client: &mut tx,
        statements,
        db,
        retry,
    })?;
    tx.commit().map_err(|e| db.error(&e, retry))?;
    Ok(out)
}

/// Statements on one connection, in a transaction or not.
struct PgTx<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
    db: &'a PgDb,
    retry: &'a mut bool,
}

impl<C: GenericClient> PgTx<'_, C> {
    fn err(&mut self, e: &postgres::Error) -> Error {
        self.db.error(e, self.retry)
    }

    /// The statement for `sql`, prepared once per connection.
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(|e| self.err(&e))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

impl<C: GenericClient> Tx for PgTx<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self
            .client
            .query(&statement, &refs)
            .map_err(|e| self.err(&e))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<_, Cell>(i))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map(Row)
                    .map_err(|e| sql::corrupt(format!("PostgreSQL: {}", chain(&e))))
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let statement = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.client
            .execute(&statement, &refs)
            .map_err(|e| self.err(&e))
    }

    fn lock_sessions(&mut self, exclusive: bool) -> Result<()> {
        let sql = if exclusive {
            "SELECT pg_advisory_xact_lock($1)"
        } else {
            "SELECT pg_advisory_xact_lock_shared($1)"
        };
        self.execute(sql, &[Param::Int(SESSIONS_LOCK)]).map(drop)
    }
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) if *ty == Type::INT8 => v.to_sql(ty, out),
            Param::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Param::Int(v) if *ty == Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
            Param::Real(v) if *ty == Type::FLOAT8 => v.to_sql(ty, out),
            Param::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            // The binary form of `json` is the text itself.
            Param::Text(s) if *ty == Type::JSON => s.to_sql(&Type::TEXT, out),
            Param::Text(s) if <&str as ToSql>::accepts(ty) => s.to_sql(ty, out),
            other => {
                // Name the kind only: the value may be a password hash.
                let kind = match other {
                    Param::Null => "NULL",
                    Param::Int(_) => "an integer",
                    Param::Real(_) => "a float",
                    Param::Text(_) => "text",
                    Param::Bool(_) => "a boolean",
                };
                Err(format!("cannot send {kind} as a {ty} parameter").into())
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`.
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(if *ty == Type::BOOL {
            Cell::Bool(bool::from_sql(ty, raw)?)
        } else if *ty == Type::INT2 {
            Cell::Int(i16::from_sql(ty, raw)?.into())
        } else if *ty == Type::INT4 {
            Cell::Int(i32::from_sql(ty, raw)?.into())
        } else if *ty == Type::INT8 {
            Cell::Int(i64::from_sql(ty, raw)?)
        } else if *ty == Type::FLOAT4 {
            Cell::Real(f32::from_sql(ty, raw)?.into())
        } else if *ty == Type::FLOAT8 {
            Cell::Real(f64::from_sql(ty, raw)?)
        } else if *ty == Type::JSON {
            Cell::Text(std::str::from_utf8(raw)?.to_owned())
        } else if <&str as FromSql>::accepts(ty) {
            Cell::Text(<&str as FromSql>::from_sql(ty, raw)?.to_owned())
        } else {
            return Err(format!("unexpected column type {ty}").into());
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Cell::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_have_no_password() {
        let config: Config = "postgresql://app:s3cret@db.example:6543/auth"
            .parse()
            .unwrap();
        assert_eq!(describe(&config), "postgresql://app@db.example:6543/auth");
        let config: Config = "host=/run/pg user=u password=s3cret dbname=d"
            .parse()
            .unwrap();
        assert_eq!(describe(&config), "postgresql://u@/run/pg/d");
    }

    #[test]
    fn bad_urls_are_errors_without_the_password() {
        let err =
            PostgresStore::connect("postgresql://app:s3cret@db.example:notaport/auth").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("invalid PostgreSQL URL"), "{text}");
    }

    #[test]
    fn scrub_removes_secrets() {
        assert_eq!(
            scrub("bad password s3cret!", &["s3cret".into(), "".into()]),
            "bad password ***!"
        );
    }
}
