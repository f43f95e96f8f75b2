//! Opening a store from what an app configures: a URL or a `config.yaml` path.
//!
//! | source | store |
//! |---|---|
//! | `sqlite:///abs/path.db` | [`SqliteStore`] at `/abs/path.db` |
//! | `sqlite://relative.db` | [`SqliteStore`] at `relative.db`, from the working directory |
//! | `postgresql://…`, `postgres://…` | [`PostgresStore`] |
//! | anything without `scheme://` | the `config.yaml` at that path ([`super::open`]) |
//!
//! Any other scheme is refused, so that a typo never silently becomes a file
//! name. One store is kept per source and process, so an app that builds its
//! authenticator on every Streamlit rerun opens each database once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

#[cfg(feature = "postgres")]
use super::PostgresStore;
use super::{OpenOptions, SqliteStore, Store};
use crate::error::{Error, Result};

/// What a source names.
#[derive(Debug, PartialEq)]
enum Target {
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres,
    File(PathBuf),
}

/// Whether `s` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn classify(source: &str) -> Result<Target> {
    let Some((scheme, rest)) = source.split_once("://").filter(|(s, _)| is_scheme(s)) else {
        return Ok(Target::File(PathBuf::from(source)));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" if !cfg!(feature = "sqlite") => Err(not_built("sqlite")),
        "sqlite" => {
            if rest.is_empty() {
                return Err(Error::InvalidInput(
                    "the sqlite URL names no file: use sqlite:///absolute/path.db or \
                     sqlite://relative/path.db"
                        .into(),
                ));
            }
            if rest.trim_start_matches('/') == ":memory:" {
                return Err(Error::InvalidInput(
                    "an in-memory SQLite database cannot be shared by connections or \
                     processes: use a file, or credentials passed as a dict"
                        .into(),
                ));
            }
            Ok(Target::Sqlite(PathBuf::from(rest)))
        }
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => Ok(Target::Postgres),
        #[cfg(not(feature = "postgres"))]
        "postgres" | "postgresql" => Err(not_built("postgres")),
        other => Err(Error::InvalidInput(format!(
            "unsupported store URL scheme '{other}://': use sqlite:///path.db, \
             postgresql://user:password@host/dbname, or the path of a config.yaml"
        ))),
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
/// this process.
///
/// # Errors
///
/// [`Error::InvalidInput`] for an unsupported scheme or a sqlite URL without
/// a file; otherwise what [`SqliteStore::open`], [`PostgresStore::connect`] or
/// [`super::open`] report — an unreachable database or a missing directory
/// is an error naming it, never its password.
///
/// ```no_run
/// let store = authgate::store::open_url("sqlite:///var/lib/myapp/auth.db")?;
/// println!("{} users", store.user_count()?);
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn open_url(source: &str) -> Result<Arc<dyn Store>> {
    static OPEN: OnceLock<Mutex<HashMap<String, Arc<dyn Store>>>> = OnceLock::new();
    type Opener<'a> = Box<dyn FnOnce() -> Result<Arc<dyn Store>> + 'a>;
    let (key, open): (String, Opener<'_>) = match classify(source)? {
        Target::File(path) => {
            // `super::open` keeps its own per-file cache.
            let store: Arc<dyn Store> = super::open(&path, OpenOptions::default())?;
            return Ok(store);
        }
        Target::Sqlite(path) => (
            format!("sqlite:{}", cache_path(&path).display()),
            Box::new(move || Ok(Arc::new(SqliteStore::open(&path)?) as Arc<dyn Store>)),
        ),
        #[cfg(feature = "postgres")]
        Target::Postgres => (
            format!("postgres:{source}"),
            Box::new(|| Ok(Arc::new(PostgresStore::connect(source)?) as Arc<dyn Store>)),
        ),
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

/// Copies a whole config document (users, settings, pre-authorized emails,
/// sessions, lockouts) into the empty database named by `url`, in one
/// transaction. Returns the number of users copied.
pub fn import_into(url: &str, doc: &super::document::Document) -> Result<usize> {
    match classify(url)? {
        Target::Sqlite(path) => SqliteStore::open(&path)?.import_document(doc),
        #[cfg(feature = "postgres")]
        Target::Postgres => PostgresStore::connect(url)?.import_document(doc),
        Target::File(path) => Err(Error::InvalidInput(format!(
            "{} is a config file, not a database: copy the file instead",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified() {
        assert_eq!(
            classify("sqlite:///abs/a.db").unwrap(),
            Target::Sqlite("/abs/a.db".into())
        );
        assert_eq!(
            classify("SQLite://rel/a.db").unwrap(),
            Target::Sqlite("rel/a.db".into())
        );
        #[cfg(feature = "postgres")]
        assert_eq!(classify("postgresql://u:p@h/d").unwrap(), Target::Postgres);
        #[cfg(feature = "postgres")]
        assert_eq!(classify("postgres://h/d").unwrap(), Target::Postgres);
        assert_eq!(
            classify("config.yaml").unwrap(),
            Target::File("config.yaml".into())
        );
        assert_eq!(
            classify("C:\\app\\config.yaml").unwrap(),
            Target::File("C:\\app\\config.yaml".into())
        );
        assert_eq!(
            classify("dir with ://odd/config.yaml").unwrap(),
            Target::File("dir with ://odd/config.yaml".into())
        );
    }

    #[test]
    fn bad_sources_are_clear_errors_without_secrets() {
        for source in [
            "mysql://root:s3cret@h/db",
            "sqlite://",
            "sqlite:///:memory:",
        ] {
            let err = classify(source).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, Error::InvalidInput(_)), "{source}: {err:?}");
            assert!(!text.contains("s3cret"), "{text}");
        }
        assert!(classify("mysql://x")
            .unwrap_err()
            .to_string()
            .contains("'mysql://'"));
    }
}
