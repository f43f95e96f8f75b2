//! [`Store`](super::Store) in a SQLite database file: the embedded default
//! for apps that outgrow a `config.yaml`.
//!
//! - **Atomic operations.** Every change is one `BEGIN IMMEDIATE`
//!   transaction, which takes the database's write lock before reading, so
//!   writers in every thread and process are serialized and none loses
//!   another's update. Reads are single statements and never wait for writers
//!   (WAL mode).
//! - **Waiting.** A writer waits up to the busy timeout
//!   ([`OpenOptions::lock_timeout`](super::OpenOptions), 10 s by default) for
//!   another's transaction, then fails with [`Error::LockTimeout`].
//! - **Durability.** WAL with `synchronous = NORMAL`, the setting SQLite
//!   recommends for WAL and Rails ships for production: an acknowledged change
//!   survives a crash or kill of any process; a power loss or an OS crash can
//!   roll back the last transactions before the next checkpoint, but never
//!   corrupts the database. A commit then costs no `fsync` (about 1.4 ms each
//!   on a virtual disk), which keeps a login at one bcrypt verify plus well
//!   under a millisecond of storage.
//! - **Connections.** A small pool: a thread takes an idle connection or
//!   opens one; up to eight idle ones are kept.
//! - **Schema.** Created and migrated when the store opens (see the
//!   `store::sql` module docs for the tables). A database whose schema is
//!   newer than this code is refused untouched.
//!
//! The file must be on a local file system: SQLite's locking is unreliable
//! over network file systems. Do not open it with a second copy of SQLite in
//! the same process (Python's `sqlite3` module, say): closing the file there
//! drops the POSIX locks this copy's connections hold, so reads can see stale
//! data. Another process is fine.
//!
//! ```no_run
//! use authgate::store::{SqliteStore, Store};
//! let store = SqliteStore::open("/var/lib/myapp/auth.db".as_ref())?;
//! println!("{} users", store.user_count()?);
//! # Ok::<(), authgate::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::dict_state::UserState;
use super::document::{Document, State};
use super::sql::{self, Cell, Database, Dialect, Param, Row, Tx};
use super::{AuditEvent, OpenOptions};
use crate::error::{Error, Result};
use crate::user::UserKey;
use crate::yaml::Value;

/// The config file a state database sits beside (`<config>.state.db`).
fn config_of_state(state: &Path) -> Option<PathBuf> {
    Some(PathBuf::from(state.to_str()?.strip_suffix(".state.db")?))
}

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

/// Prepared statements cached per connection (the store uses about forty,
/// and an import up to ten more).
const STATEMENT_CACHE: usize = 64;

/// A store in a SQLite database file, shared safely by threads and processes.
pub struct SqliteStore {
    db: SqliteDb,
    /// [`Store::any_passkeys`](super::Store::any_passkeys) as last read.
    passkeys_seen: super::PasskeyPresence,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.db.path)
            .field("busy_timeout", &self.db.busy_timeout)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The schema version this code creates and understands.
    pub const SCHEMA_VERSION: i64 = sql::latest(sql::SQLITE_MIGRATIONS);

    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. The directory must exist.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory is missing or the file cannot be opened
    /// or is not a SQLite database; [`Error::ConfigSchema`] if its schema is
    /// newer than this code; [`Error::LockTimeout`] if another process holds
    /// the write lock for longer than the timeout.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, OpenOptions::default())
    }

    /// [`SqliteStore::open`] with options: `lock_timeout` is how long a
    /// writer waits for another's transaction (SQLite's busy timeout).
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    pub fn open_with(path: &Path, options: OpenOptions) -> Result<Self> {
        SqliteDb::open(path, options, sql::SQLITE_MIGRATIONS, true).map(SqliteStore::on)
    }

    /// The state database beside a `config.yaml` (sessions, lockouts,
    /// pending passwords, revocations; no users). Only the state operations
    /// of [`Store`](super::Store) work on it; [`DocStore`](super::DocStore)
    /// checks users against the file before it calls them.
    pub(crate) fn open_state(path: &Path, options: OpenOptions) -> Result<Self> {
        SqliteDb::open(path, options, sql::STATE_MIGRATIONS, false).map(SqliteStore::on)
    }

    /// A state database in memory, for dict mode: the same tables and the
    /// same operations as beside a config file, gone with the store.
    ///
    /// It is a SQLite `memdb` database under a random name, shared by the
    /// pool's connections (with the usual locking between them) and kept
    /// alive by one connection held for the store's lifetime.
    pub(crate) fn open_state_in_memory() -> Result<Self> {
        let name = format!(
            "file:/authgate-state-{}?vfs=memdb",
            crate::secret::session_id()?
        );
        SqliteDb::open_in_memory(name, sql::STATE_MIGRATIONS).map(SqliteStore::on)
    }

    fn on(db: SqliteDb) -> Self {
        SqliteStore {
            db,
            passkeys_seen: super::PasskeyPresence::default(),
        }
    }

    /// Dict mode: sets one user's failure record, pending password and
    /// revocation to what the app's dict says (see
    /// [`super::dict_state`]); when the dict says the user is not logged
    /// in, their sessions stop counting as live until next used.
    pub(crate) fn set_user_state(&self, username: &str, state: &UserState, now: f64) -> Result<()> {
        sql::ops::set_user_state(&self.db, &UserKey::new(username), state, now)
    }

    /// The state database's part of a login beside a config file: `user`
    /// (read from the file) with their failure record, pending password
    /// and kinds of second factor, read in one round trip.
    pub(crate) fn login_state_of(
        &self,
        key: &UserKey,
        user: Option<crate::user::User>,
    ) -> Result<Option<super::LoginState>> {
        sql::ops::login_state_of(&self.db, key, &sql::ops::LoginUser::Given(user))
    }

    /// [`SqliteStore::login_state_of`] after the throttle's count, in one
    /// transaction (see [`super::Store::throttled_login_state`]).
    pub(crate) fn throttled_login_state_of(
        &self,
        key: &UserKey,
        user: Option<crate::user::User>,
        keys: &[crate::throttle::ThrottleKey],
        policy: &crate::throttle::ThrottlePolicy,
        now: f64,
    ) -> Result<super::Throttled<Option<super::LoginState>>> {
        let from = sql::ops::LoginUser::Given(user);
        sql::ops::throttled_login_state_of(&self.db, key, keys, policy, now, &from)
    }

    /// Moves sessions bound to a replaced hash to its successor (see
    /// [`sql::ops::rebind_sessions`]).
    pub(crate) fn rebind_sessions(&self, changed: &[(String, String, String)]) -> Result<()> {
        sql::ops::rebind_sessions(&self.db, changed)
    }

    /// Everything in the state tables.
    pub(crate) fn export_state(&self) -> Result<State> {
        self.db.read(sql::export::read_state)
    }

    /// Writes `state` into the state tables in one transaction, replacing
    /// rows with the same key.
    pub(crate) fn import_state(&self, state: &State) -> Result<()> {
        let imported = self
            .db
            .write(|tx| sql::import::write_state(tx, state, |_| true));
        self.passkeys_seen.forget();
        imported
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.db.path
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
        let imported = sql::import::import_document(&self.db, doc);
        self.passkeys_seen.forget();
        imported
    }

    /// Deletes all but the newest `keep` events of the audit trail. The
    /// store does this by itself at [`MAX_AUDIT_EVENTS`](super::MAX_AUDIT_EVENTS).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn prune_audit(&self, keep: usize) -> Result<()> {
        sql::ops::prune_audit(&self.db, i64::try_from(keep).unwrap_or(i64::MAX))
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
        sql::export::export_document(&self.db, &self.db.path)
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

sql::impl_store_via_ops!(SqliteStore, db, passkeys_seen);

/// The database file and its connection pool.
struct SqliteDb {
    path: PathBuf,
    /// The path as text, for messages.
    location: String,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    /// The schema: the store's, or the state tables beside a config file.
    migrations: &'static [sql::Migration],
    /// False for the state database beside a config file.
    keeps_users: bool,
    /// For a database in memory: a connection that keeps it alive while
    /// the pool's come and go.
    anchor: Option<Box<Mutex<Connection>>>,
    /// Whether `path` is a `memdb` URI rather than a file.
    in_memory: bool,
}

impl SqliteDb {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to `migrations`. The directory must exist.
    fn open(
        path: &Path,
        options: OpenOptions,
        migrations: &'static [sql::Migration],
        keeps_users: bool,
    ) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            match std::fs::metadata(dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(Error::io(
                        path,
                        std::io::Error::new(
                            std::io::ErrorKind::NotADirectory,
                            format!("{} is not a directory", dir.display()),
                        ),
                    ))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::io(
                        path,
                        std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            format!("directory {} does not exist", dir.display()),
                        ),
                    ))
                }
                Err(e) => return Err(Error::io(dir, e)),
            }
        }
        // It holds hashes, sessions and perhaps the cookie key: created
        // private (beside a config, with the config's mode), and SQLite
        // gives its -wal and -shm files the same mode.
        let beside = if keeps_users {
            None
        } else {
            config_of_state(path)
        };
        super::file::create_private(path, beside.as_deref())?;
        let db = SqliteDb {
            path: path.to_path_buf(),
            location: path.display().to_string(),
            busy_timeout: options.lock_timeout,
            idle: Mutex::new(Vec::new()),
            migrations,
            keeps_users,
            anchor: None,
            in_memory: false,
        };
        db.prepare()
    }

    /// A database in memory named by the `memdb` URI `name`.
    fn open_in_memory(name: String, migrations: &'static [sql::Migration]) -> Result<Self> {
        let mut db = SqliteDb {
            path: PathBuf::from(name),
            location: "<memory>".to_string(),
            busy_timeout: OpenOptions::default().lock_timeout,
            idle: Mutex::new(Vec::new()),
            migrations,
            keeps_users: false,
            anchor: None,
            in_memory: true,
        };
        db.anchor = Some(Box::new(Mutex::new(db.connect()?)));
        db.prepare()
    }

    /// Checks the schema version, switches to WAL and migrates.
    fn prepare(self) -> Result<Self> {
        let db = self;
        let mut conn = db.connect()?;
        // Refuse a newer schema before anything is written, WAL mode included.
        let found = db.schema_version(&conn)?;
        let supported = sql::latest(db.migrations);
        if found > supported {
            return Err(sql::schema_too_new(&db.location, found, supported));
        }
        if !db.in_memory {
            db.enable_wal(&conn)?;
        }
        if found < supported {
            db.migrate(&mut conn)?;
        }
        db.release(conn);
        Ok(db)
    }

    fn connect(&self) -> Result<Connection> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if self.in_memory {
            flags |= OpenFlags::SQLITE_OPEN_URI;
        }
        let conn = Connection::open_with_flags(&self.path, flags).map_err(|e| self.error(e))?;
        conn.busy_timeout(self.busy_timeout)
            .map_err(|e| self.error(e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.error(e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.error(e))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Switches the database to WAL. The switch needs the database to
    /// itself, and SQLite answers "busy" at once rather than waiting when
    /// another connection is opening it too (threads or processes starting
    /// together on a new file), so it is retried until the busy timeout.
    fn enable_wal(&self, conn: &Connection) -> Result<()> {
        let deadline = std::time::Instant::now() + self.busy_timeout;
        loop {
            match conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            {
                Ok(_) => return Ok(()),
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    /// Runs `f` on a pooled connection.
    fn with_conn<R>(&self, f: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let out = f(&mut conn);
        self.release(conn);
        out
    }

    /// Returns a connection to the pool, unless it is mid-transaction (it
    /// is then dropped, which rolls back) or the pool is full.
    fn release(&self, conn: Connection) {
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// The database's schema version; 0 for a new database.
    fn schema_version(&self, conn: &Connection) -> Result<i64> {
        let has_table = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.error(e))?;
        if has_table == 0 {
            return Ok(0);
        }
        conn.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_version",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| self.error(e))
    }

    /// Applies the missing migrations in one `BEGIN IMMEDIATE` transaction,
    /// so that two processes opening a new database migrate it once.
    fn migrate(&self, conn: &mut Connection) -> Result<()> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (\
                 version    INTEGER NOT NULL PRIMARY KEY, \
                 applied_at REAL    NOT NULL)",
        )
        .map_err(|e| self.error(e))?;
        let found = self.schema_version(&tx)?;
        let supported = sql::latest(self.migrations);
        if found > supported {
            return Err(sql::schema_too_new(&self.location, found, supported));
        }
        for migration in self.migrations.iter().filter(|m| m.version > found) {
            tx.execute_batch(migration.sql).map_err(|e| self.error(e))?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                rusqlite::params![migration.version, unix_now()],
            )
            .map_err(|e| self.error(e))?;
        }
        tx.commit().map_err(|e| self.error(e))
    }

    /// Maps a SQLite error to authgate's, naming the file.
    fn error(&self, e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(failure, message) = &e {
            match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    return Error::LockTimeout {
                        path: self.path.clone(),
                        seconds: self.busy_timeout.as_secs_f64(),
                    };
                }
                ErrorCode::ConstraintViolation => {
                    let message = message.as_deref().unwrap_or_default();
                    if message.contains("users.email_key") {
                        return Error::EmailTaken;
                    }
                    if message.contains("users.username") {
                        return Error::UsernameTaken;
                    }
                }
                _ => {}
            }
        }
        sql::db_error(&self.location, format!("SQLite: {e}"))
    }
}

impl Database for SqliteDb {
    fn read<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        self.with_conn(|conn| f(&mut SqliteTx { conn, db: self }))
    }

    fn write<R>(&self, mut f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R> {
        self.with_conn(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.error(e))?;
            // On error the transaction is dropped, which rolls it back.
            let out = f(&mut SqliteTx {
                conn: &tx,
                db: self,
            })?;
            tx.commit().map_err(|e| self.error(e))?;
            Ok(out)
        })
    }
}

/// Statements on one connection, inside or outside a transaction.
struct SqliteTx<'a> {
    conn: &'a Connection,
    db: &'a SqliteDb,
}

/// `$1`-style placeholders as SQLite's positional `?1`.
fn positional(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let err = |e| self.db.error(e);
        let mut stmt = self.conn.prepare_cached(&positional(sql)).map_err(err)?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut cells = Vec::with_capacity(columns);
            for i in 0..columns {
                cells.push(match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => {
                        return Err(sql::corrupt(format!(
                            "column {i} holds a blob, which authgate never stores"
                        )))
                    }
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let err = |e| self.db.error(e);
        let mut stmt = self.conn.prepare_cached(&positional(sql)).map_err(err)?;
        let changed = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(err)?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn lock_sessions(&mut self, _exclusive: bool) -> Result<()> {
        // BEGIN IMMEDIATE already serializes every writer.
        Ok(())
    }

    fn keeps_users(&self) -> bool {
        self.db.keeps_users
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as V;
        Ok(match *self {
            Param::Null => ToSqlOutput::Owned(V::Null),
            Param::Int(v) => ToSqlOutput::Owned(V::Integer(v)),
            Param::Real(v) => ToSqlOutput::Owned(V::Real(v)),
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Bool(b) => ToSqlOutput::Owned(V::Integer(i64::from(b))),
        })
    }
}

/// Seconds since the Unix epoch, for `schema_version.applied_at`.
pub(super) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_positional() {
        assert_eq!(
            positional("SELECT $1, $12 FROM t WHERE a = '$x' AND b = $2"),
            "SELECT ?1, ?12 FROM t WHERE a = '$x' AND b = ?2"
        );
    }
}
