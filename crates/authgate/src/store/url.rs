//! Which store a source names, and opening it: a URL or a `config.yaml` path.
//!
//! | source | store |
//! |---|---|
//! | `sqlite:///abs/path.db` | [`SqliteStore`] at `/abs/path.db` |
//! | `sqlite://relative.db` | [`SqliteStore`] at `relative.db`, from the working directory |
//! | `postgresql://…`, `postgres://…` | [`PostgresStore`] |
//! | anything without `scheme://` | the `config.yaml` at that path ([`super::open`]) |
//!
//! [`StoreLocation::parse`] is the one place this is decided: apps (through
//! the bindings) and the operator's CLI both ask it, so a source never means
//! one store to an app and another to the CLI. Any other scheme is refused,
//! so that a typo never silently becomes a file name. One store is kept per
//! source and process, so an app that builds its authenticator on every
//! Streamlit rerun opens each database once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

#[cfg(feature = "postgres")]
use super::PostgresStore;
use super::{OpenOptions, SqliteStore, Store};
use crate::error::{Error, Result};

/// What a store source names. `Debug` hides a PostgreSQL password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A streamlit-authenticator `config.yaml` file.
    ConfigFile(PathBuf),
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL, as given (it may hold a password: never print it;
    /// [`StoreLocation::redacted`] is safe to show).
    Postgres(String),
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::ConfigFile(path) => f.debug_tuple("ConfigFile").field(path).finish(),
            StoreLocation::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StoreLocation::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&super::sql::redact_url(url))
                .finish(),
        }
    }
}

/// Whether `s` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl StoreLocation {
    /// Classifies `source` (see the module docs). A path that happens to
    /// contain `://` after something that is not a scheme (`dir with
    /// ://odd/config.yaml`) is a file.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty source, an unsupported scheme or
    /// a sqlite URL without a file (or `:memory:`, which no second
    /// connection could see). The message never repeats the source, which
    /// may hold a password.
    ///
    /// ```
    /// use authgate::store::StoreLocation;
    /// assert_eq!(
    ///     StoreLocation::parse("sqlite:///var/lib/app/auth.db")?,
    ///     StoreLocation::Sqlite("/var/lib/app/auth.db".into())
    /// );
    /// assert_eq!(
    ///     StoreLocation::parse("config.yaml")?,
    ///     StoreLocation::ConfigFile("config.yaml".into())
    /// );
    /// assert!(StoreLocation::parse("mysql://root:pw@h/db").is_err());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn parse(source: &str) -> Result<Self> {
        if source.trim().is_empty() {
            return Err(Error::InvalidInput(
                "no store given: pass a config.yaml path, sqlite:///path.db or \
                 postgresql://user:password@host/dbname"
                    .into(),
            ));
        }
        let Some((scheme, rest)) = source.split_once("://").filter(|(s, _)| is_scheme(s)) else {
            return Ok(StoreLocation::ConfigFile(PathBuf::from(source)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" if rest.is_empty() => Err(Error::InvalidInput(
                "the sqlite URL names no file: use sqlite:///absolute/path.db or \
                 sqlite://relative/path.db"
                    .into(),
            )),
            "sqlite" if rest.trim_start_matches('/') == ":memory:" => Err(Error::InvalidInput(
                "an in-memory SQLite database cannot be shared by connections or \
                 processes and disappears with them: use a file (or, in an app, \
                 credentials passed as a dict)"
                    .into(),
            )),
            "sqlite" if !cfg!(feature = "sqlite") => Err(not_built("sqlite")),
            "sqlite" => Ok(StoreLocation::Sqlite(PathBuf::from(rest))),
            "postgres" | "postgresql" => Ok(StoreLocation::Postgres(source.to_string())),
            other => Err(Error::InvalidInput(format!(
                "unsupported store URL scheme '{other}://': use a config.yaml path, \
                 sqlite:///path.db or postgresql://user:password@host/dbname"
            ))),
        }
    }

    /// The location as messages may show it: a path, or the URL with its
    /// password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreLocation::ConfigFile(path) => path.display().to_string(),
            StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreLocation::Postgres(url) => super::sql::redact_url(url),
        }
    }

    /// Opens (or reuses) the store, shared by every caller in this process.
    /// `options` apply to a config file (a database has its own timeouts);
    /// a file already open in this process keeps the options it was opened
    /// with.
    ///
    /// # Errors
    ///
    /// What [`SqliteStore::open`], [`PostgresStore::connect`] or
    /// [`super::open`] report: an unreachable database or a missing file is
    /// an error naming it, never its password.
    pub fn open(&self, options: OpenOptions) -> Result<Arc<dyn Store>> {
        static OPEN: OnceLock<Mutex<HashMap<String, Arc<dyn Store>>>> = OnceLock::new();
        type Opener<'a> = Box<dyn FnOnce() -> Result<Arc<dyn Store>> + 'a>;
        let (key, open): (String, Opener<'_>) = match self {
            StoreLocation::ConfigFile(path) => {
                // `super::open` keeps its own per-file cache.
                let store: Arc<dyn Store> = super::open(path, options)?;
                return Ok(store);
            }
            StoreLocation::Sqlite(path) => (
                format!("sqlite:{}", cache_path(path).display()),
                Box::new(move || Ok(Arc::new(SqliteStore::open(path)?) as Arc<dyn Store>)),
            ),
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => (
                format!("postgres:{url}"),
                Box::new(move || Ok(Arc::new(PostgresStore::connect(url)?) as Arc<dyn Store>)),
            ),
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(_) => return Err(not_built("postgres")),
        };
        let registry = OPEN.get_or_init(Default::default);
        if let Some(store) = registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(store));
        }
        // Connect outside the registry lock: a slow database must not stall others.
        let store = open()?;
        let mut map = registry.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Arc::clone(map.entry(key).or_insert(store)))
    }
}

/// The refusal of a store this build of authgate leaves out.
fn not_built(feature: &str) -> Error {
    Error::InvalidInput(format!(
        "this build of authgate has no {feature} store (cargo feature \"{feature}\")"
    ))
}

/// `path` made absolute without requiring it to exist, so that two spellings
/// of one database share a store.
fn cache_path(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// The store `source` names (see the module docs), shared by every caller in
/// this process: [`StoreLocation::parse`], then [`StoreLocation::open`] with
/// the default options.
///
/// # Errors
///
/// Those of [`StoreLocation::parse`] and [`StoreLocation::open`].
///
/// ```no_run
/// let store = authgate::store::open_url("sqlite:///var/lib/myapp/auth.db")?;
/// println!("{} users", store.user_count()?);
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn open_url(source: &str) -> Result<Arc<dyn Store>> {
    StoreLocation::parse(source)?.open(OpenOptions::default())
}

/// Copies a whole config document (users, settings, pre-authorized emails,
/// sessions, lockouts) into the empty database named by `url`, in one
/// transaction. Returns the number of users copied.
pub fn import_into(url: &str, doc: &super::document::Document) -> Result<usize> {
    match StoreLocation::parse(url)? {
        StoreLocation::Sqlite(path) => SqliteStore::open(&path)?.import_document(doc),
        #[cfg(feature = "postgres")]
        StoreLocation::Postgres(url) => PostgresStore::connect(&url)?.import_document(doc),
        #[cfg(not(feature = "postgres"))]
        StoreLocation::Postgres(_) => Err(not_built("postgres")),
        StoreLocation::ConfigFile(path) => Err(Error::InvalidInput(format!(
            "{} is a config file, not a database: copy the file instead",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> StoreLocation {
        StoreLocation::parse(source).unwrap()
    }

    #[test]
    fn sources_are_classified() {
        assert_eq!(
            parse("sqlite:///abs/a.db"),
            StoreLocation::Sqlite("/abs/a.db".into())
        );
        assert_eq!(
            parse("SQLite://rel/a.db"),
            StoreLocation::Sqlite("rel/a.db".into())
        );
        assert_eq!(
            parse("postgresql://u:p@h/d"),
            StoreLocation::Postgres("postgresql://u:p@h/d".into())
        );
        assert_eq!(
            parse("postgres://h/d"),
            StoreLocation::Postgres("postgres://h/d".into())
        );
        assert_eq!(
            parse("config.yaml"),
            StoreLocation::ConfigFile("config.yaml".into())
        );
        assert_eq!(
            parse("C:\\app\\config.yaml"),
            StoreLocation::ConfigFile("C:\\app\\config.yaml".into())
        );
        assert_eq!(
            parse("dir with ://odd/config.yaml"),
            StoreLocation::ConfigFile("dir with ://odd/config.yaml".into())
        );
    }

    #[test]
    fn bad_sources_are_clear_errors_without_secrets() {
        for source in [
            "mysql://root:s3cret@h/db",
            "sqlite://",
            "sqlite:///:memory:",
            "",
            "  ",
        ] {
            let err = StoreLocation::parse(source).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, Error::InvalidInput(_)), "{source}: {err:?}");
            assert!(!text.contains("s3cret"), "{text}");
        }
        assert!(StoreLocation::parse("mysql://x")
            .unwrap_err()
            .to_string()
            .contains("'mysql://'"));
    }

    #[test]
    fn a_postgres_password_is_never_shown() {
        let location = parse("postgresql://app:s3cret@db.internal/auth?password=s3cret");
        assert!(!format!("{location:?}").contains("s3cret"));
        assert!(!location.redacted().contains("s3cret"));
        assert!(location.redacted().contains("db.internal"));
    }
}
