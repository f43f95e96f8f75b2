//! The connection pool, error mapping, migrations and transactions of a
//! [`PostgresStore`](super::PostgresStore).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Config, NoTls};

use super::pipeline::{PgConn, PgTx, SESSIONS_LOCK};
use super::tls::Tls;
use super::{chain, scrub, PostgresOptions, PostgresStore};
use crate::error::{Error, Result};
use crate::store::sql::{self, Database, Param, Tx};

/// Advisory lock held while migrating.
const MIGRATION_LOCK: i64 = SESSIONS_LOCK + 1;

/// Retries of a transaction the server aborted for a serialization failure
/// or deadlock.
const MAX_RETRIES: u32 = 5;

/// The server setting (a database's, a role's, or the URL's `options`) that
/// makes session state wait for the disk, as
/// [`PostgresOptions::durable_sessions`] does.
pub(super) const DURABLE_SESSIONS_SETTING: &str = "authgate.durable_sessions";

struct PoolState {
    idle: Vec<PgConn>,
    /// Connections that exist, idle or checked out.
    open: usize,
}

/// The database and its connection pool.
pub(super) struct PgDb {
    config: Config,
    /// How connections negotiate TLS.
    pub(super) tls: Tls,
    /// The database without password, for messages.
    pub(super) location: String,
    /// Text that must never appear in a message.
    secrets: Vec<String>,
    pub(super) options: PostgresOptions,
    /// The options' `durable_sessions`, or the server's setting.
    durable_sessions: AtomicBool,
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
        self.conn.as_ref().is_none_or(PgConn::is_closed)
    }

    /// Closes the connection instead of returning it to the pool.
    fn discard(&mut self) {
        self.conn = None;
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut state = self.db.state();
        match self.conn.take() {
            Some(conn) if !conn.is_closed() => state.idle.push(conn),
            _ => state.open = state.open.saturating_sub(1),
        }
        drop(state);
        self.db.available.notify_one();
    }
}

impl PgDb {
    pub(super) fn new(
        config: Config,
        tls: Tls,
        location: String,
        secrets: Vec<String>,
        options: PostgresOptions,
    ) -> Self {
        PgDb {
            config,
            tls,
            location,
            secrets,
            durable_sessions: AtomicBool::new(options.durable_sessions),
            options,
            pool: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            available: Condvar::new(),
        }
    }

    pub(super) fn durable_sessions(&self) -> bool {
        self.durable_sessions.load(Ordering::Relaxed)
    }

    fn state(&self) -> MutexGuard<'_, PoolState> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection the server has not closed, or a new one if fewer
    /// than `max_connections` exist; otherwise waits for one up to the lock
    /// timeout.
    fn checkout(&self) -> Result<Pooled<'_>> {
        let deadline = Instant::now() + self.options.lock_timeout;
        let mut state = self.state();
        loop {
            if let Some(conn) = state.idle.pop() {
                drop(state);
                if conn.has_closed() {
                    drop(conn);
                    state = self.state();
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

    /// What connecting does once: reads the server's
    /// [`DURABLE_SESSIONS_SETTING`] and brings the schema up to date.
    pub(super) fn prepare(&self) -> Result<()> {
        let mut pooled = self.checkout()?;
        let conn = pooled.conn()?;
        let rows = PgTx::plain(conn, self).query(
            "SELECT current_setting($1, true)",
            &[Param::Text(DURABLE_SESSIONS_SETTING)],
        )?;
        let setting = rows.first().map(|r| r.opt_text(0)).transpose()?.flatten();
        if let Some(value) = setting.filter(|v| !v.trim().is_empty()) {
            if parse_switch(&value).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "{DURABLE_SESSIONS_SETTING} must be on or off, not '{value}'"
                ))
            })? {
                self.durable_sessions.store(true, Ordering::Relaxed);
            }
        }
        self.migrate(conn)
    }

    fn connect(&self) -> Result<PgConn> {
        let cannot = |what: &str, e: &dyn std::error::Error| {
            sql::db_error(
                &self.location,
                scrub(&format!("{what}: {}", chain(e)), &self.secrets),
            )
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| cannot("cannot start the PostgreSQL connection's runtime", &e))?;
        let failed = |e: tokio_postgres::Error| cannot(&self.connect_failure(&e), &e);
        // Each connection task ends with an error when the server closes
        // the connection; the client then reports itself closed and the
        // pool replaces it.
        let client = match &self.tls.connector {
            Some(tls) => {
                let (client, connection) = runtime
                    .block_on(self.config.connect(tls.clone()))
                    .map_err(failed)?;
                runtime.spawn(async move { drop(connection.await) });
                client
            }
            None => {
                let (client, connection) = runtime
                    .block_on(self.config.connect(NoTls))
                    .map_err(failed)?;
                runtime.spawn(async move { drop(connection.await) });
                client
            }
        };
        let mut conn = PgConn::new(client, runtime);
        let millis = self
            .options
            .lock_timeout
            .as_millis()
            .clamp(1, i32::MAX as u128);
        PgTx::plain(&mut conn, self).batch(format!("SET lock_timeout = {millis}"))?;
        Ok(conn)
    }

    /// What to say when connecting failed, with the fix for TLS trouble.
    fn connect_failure(&self, e: &tokio_postgres::Error) -> String {
        let text = chain(e);
        let tls_trouble = ["certificate", "tls", "TLS", "ssl", "SSL", "handshake"]
            .iter()
            .any(|word| text.contains(word));
        if !tls_trouble {
            return "cannot connect to PostgreSQL".to_owned();
        }
        format!(
            "cannot connect to PostgreSQL over TLS (sslmode={}): check the server's \
             certificate, or name its CA with sslrootcert=/path/ca.pem; on a trusted \
             network sslmode=disable turns TLS off",
            self.tls.mode.as_str()
        )
    }

    /// Maps a PostgreSQL error to authgate's; sets `retry` for the errors
    /// after which the whole transaction may simply run again.
    pub(super) fn error(&self, e: &tokio_postgres::Error, retry: &mut bool) -> Error {
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

    /// Brings the schema up to date: nothing (and no DDL) when it is current;
    /// otherwise the missing migrations in one transaction under an advisory
    /// lock, so that replicas starting together migrate once.
    fn migrate(&self, conn: &mut PgConn) -> Result<()> {
        let supported = PostgresStore::SCHEMA_VERSION;
        let found = schema_version(&mut PgTx::plain(conn, self))?;
        if found > supported {
            return Err(sql::schema_too_new(&self.location, found, supported));
        }
        if found == supported {
            return Ok(());
        }
        let mut tx = PgTx::transaction(conn, self);
        let out = migrate_in(&mut tx, &self.location).and_then(|()| tx.commit());
        if out.is_err() {
            // A failed rollback leaves a closed connection, which the pool drops.
            let _ = tx.rollback();
        }
        out
    }
}

/// A boolean as PostgreSQL spells its settings (`on`, `true`, `yes`, `1`, …).
fn parse_switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn migrate_in(tx: &mut PgTx<'_>, location: &str) -> Result<()> {
    let supported = PostgresStore::SCHEMA_VERSION;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[Param::Int(MIGRATION_LOCK)],
    )?;
    tx.batch(
        "CREATE TABLE IF NOT EXISTS schema_version (\
             version    BIGINT           NOT NULL PRIMARY KEY, \
             applied_at DOUBLE PRECISION NOT NULL)",
    )?;
    let found = schema_version(tx)?;
    if found > supported {
        return Err(sql::schema_too_new(location, found, supported));
    }
    for migration in sql::POSTGRES_MIGRATIONS
        .iter()
        .filter(|m| m.version > found)
    {
        tx.batch(migration.sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[
                Param::Int(migration.version),
                Param::real("now", crate::store::sqlite::unix_now())?,
            ],
        )?;
    }
    Ok(())
}

/// The schema version; 0 for a database without authgate's tables.
fn schema_version(tx: &mut dyn Tx) -> Result<i64> {
    let rows = tx.query("SELECT to_regclass('schema_version') IS NOT NULL", &[])?;
    if !rows
        .first()
        .map(|r| r.opt_bool(0))
        .transpose()?
        .flatten()
        .unwrap_or(false)
    {
        return Ok(0);
    }
    let rows = tx.query(
        "SELECT coalesce(max(version), 0)::bigint FROM schema_version",
        &[],
    )?;
    rows.first().map_or(Ok(0), |r| r.i64(0))
}

impl Database for PgDb {
    fn read<R>(&self, mut f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut pooled = self.checkout()?;
        let out = f(&mut PgTx::plain(pooled.conn()?, self));
        if out.is_err() && pooled.reused && pooled.is_closed() {
            // The server closed the connection as it was taken; a read is
            // safe to repeat.
            drop(pooled);
            let mut fresh = self.checkout()?;
            return f(&mut PgTx::plain(fresh.conn()?, self));
        }
        out
    }

    fn write<R>(&self, mut f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut pooled = self.checkout()?;
        let mut attempt = 0;
        loop {
            let (out, retry, commit_sent, broken) = {
                let mut tx = PgTx::transaction(pooled.conn()?, self);
                let out = f(&mut tx).and_then(|value| tx.commit().map(|()| value));
                let broken = out.is_err() && tx.sent() && tx.rollback().is_err();
                (out, tx.retry(), tx.commit_sent(), broken)
            };
            if broken {
                pooled.discard();
            }
            match out {
                // Without COMMIT nothing took effect: start over on a new
                // connection if the server closed this one as it was taken.
                Err(_) if attempt == 0 && !commit_sent && pooled.reused && pooled.is_closed() => {
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
