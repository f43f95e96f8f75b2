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
//! - **Round trips.** Statements are prepared once per connection and sent
//!   pipelined: what an operation does not need an answer from waits and
//!   goes out with its next query or with `COMMIT`. After the login's read,
//!   a login without session limits is one round trip (two with limits,
//!   which are decided on a read), a failed login two, a logout one; a
//!   registration is one read and one write, whose unique keys refuse a
//!   taken username or email. Every change carries its audit event in the
//!   same transaction.
//! - **Durability.** Account changes (registration, details, passwords,
//!   roles, imports) commit as the server is configured to, normally after
//!   the WAL reached the disk. Session state (sessions, failure counts,
//!   audit events) commits with `synchronous_commit = off`, like the SQLite
//!   store's `synchronous = NORMAL`: a crash of the server can lose its last
//!   fraction of a second (a session to log in to again, a failure not
//!   counted) and never corrupts anything. Set
//!   [`PostgresOptions::durable_sessions`], or the server setting
//!   `authgate.durable_sessions = on`, to make it wait too; put
//!   `?options=-c%20synchronous_commit%3Doff` in the URL to stop every commit
//!   waiting.
//! - **Connections.** A small pool of at most
//!   [`PostgresOptions::max_connections`] connections, opened on demand, each
//!   driven by its own single-threaded runtime while an operation waits. An
//!   idle connection the server closed (a restart, a failover) is noticed
//!   before use and replaced; a read, or a transaction whose `COMMIT` had not
//!   been sent, is retried once on a new one.
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
//! - **TLS** (rustls): libpq's `sslmode` (`disable`, `prefer`, `require`,
//!   `verify-ca`, `verify-full`) and `sslrootcert` in the URL. Without
//!   `sslmode`, a server on another machine is reached over TLS
//!   (`require`; `verify-full` when `sslrootcert` names its CA), one on a
//!   loopback address or a Unix socket with `prefer`. Only `verify-full`
//!   stops an attacker on the path who presents a certificate of their own:
//!   use it with `sslrootcert` for a server on another machine. See
//!   [`SslMode`] for the table. An explicit `sslmode=disable` (or `prefer`)
//!   to another machine is the operator's choice and allowed, but then the
//!   URL must hold no password: whoever is on an unencrypted path can ask
//!   for it in clear text, and tokio-postgres would send it, so such a URL
//!   is refused before anything is sent (a server that asks for no
//!   password, `trust`, still works). Over TLS the server's authentication
//!   method is not restricted: under `require` without `sslrootcert` an
//!   attacker with a certificate of their own could still ask for the
//!   password. Client certificates are not supported.
//!
//! ```no_run
//! use authgate::store::{PostgresStore, Store};
//! let store = PostgresStore::connect("postgresql://app:secret@db.internal/auth")?;
//! println!("{} users", store.user_count()?);
//! # Ok::<(), authgate::Error>(())
//! ```

mod pipeline;
mod pool;
mod tls;
mod types;

use std::error::Error as StdError;
use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

use super::document::Document;
use super::sql;
use super::AuditEvent;
use crate::error::{Error, Result};
use crate::yaml::Value;
use pool::PgDb;
pub use tls::SslMode;

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
    /// Whether session state (opened and closed sessions, failure counts,
    /// locks from failures, audit events) waits for the server's disk like
    /// account changes do. By default it does not (`synchronous_commit =
    /// off` for those transactions): a server crash can lose the last
    /// fraction of a second of them — a session to log in to again, a
    /// failure not counted — and never corrupts anything; registrations,
    /// detail and password changes, roles and imports always wait.
    ///
    /// The server can ask for it too, without a change to the app:
    /// `ALTER DATABASE auth SET authgate.durable_sessions = on` (or `ALTER
    /// ROLE`, or `?options=-c%20authgate.durable_sessions%3Don` in the URL),
    /// read when the store connects.
    pub durable_sessions: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 8,
            lock_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            durable_sessions: false,
        }
    }
}

/// A store in a PostgreSQL database, shared safely by threads and replicas.
pub struct PostgresStore {
    db: PgDb,
    /// [`Store::any_passkeys`](super::Store::any_passkeys) as last read.
    passkeys_seen: super::PasskeyPresence,
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
    /// TLS follows libpq's `sslmode` and `sslrootcert` in the URL (see
    /// [`SslMode`]): without `sslmode`, a server on another machine is
    /// reached with `require` (`verify-full` when `sslrootcert` is given),
    /// one on a loopback address or Unix socket with `prefer`. For a server
    /// across a network you do not control, give
    /// `?sslmode=verify-full&sslrootcert=/path/ca.pem`. A URL that would send
    /// its password to another machine over a connection that may be
    /// unencrypted (`sslmode=disable` or `prefer`) is refused.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the database (without its password) if the URL is
    /// invalid (including an unreadable `sslrootcert`, or a password with
    /// `sslmode=disable`/`prefer` to another machine), or the server cannot be
    /// reached, fails the TLS handshake or certificate check, or refuses the
    /// login; [`Error::ConfigSchema`] if the schema is newer than this code.
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
        let location = if url.contains("://") {
            sql::redact_url(url)
        } else {
            "<PostgreSQL connection string>".to_string()
        };
        let invalid = |message: String| {
            sql::db_error(
                &location,
                scrub(&format!("invalid PostgreSQL URL: {message}"), &secrets),
            )
        };
        let (rest, tls_params) = tls::split_tls_params(url).map_err(invalid)?;
        let mut config: Config = rest
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(chain(&e)))?;
        let tls = tls::configure(&tls_params, &mut config)
            .map_err(|m| sql::db_error(&describe(&config), scrub(&m, &secrets)))?;
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
        let location = describe(&config);
        let db = PgDb::new(config, tls, location, secrets, options);
        db.prepare()?;
        Ok(PostgresStore {
            db,
            passkeys_seen: super::PasskeyPresence::default(),
        })
    }

    /// The database, as `postgresql://user@host:port/dbname` (no password).
    pub fn location(&self) -> &str {
        &self.db.location
    }

    /// The `sslmode` its connections use: the URL's, or the default for its
    /// hosts (see [`SslMode`]).
    pub fn ssl_mode(&self) -> SslMode {
        self.db.tls.mode
    }

    /// Whether session state waits for the disk: from
    /// [`PostgresOptions::durable_sessions`], or the server's
    /// `authgate.durable_sessions` setting when the store connected.
    pub fn durable_sessions(&self) -> bool {
        self.db.durable_sessions()
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
        sql::export::export_document(&self.db, std::path::Path::new(&self.db.location))
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

sql::impl_store_via_ops!(PostgresStore, db, passkeys_seen);

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
