//! Where a store is, as the operator names it: the sources
//! [`authgate::store::open_url`] accepts.
//!
//! | source | store |
//! |---|---|
//! | `sqlite:///abs/path.db`, `sqlite://relative.db` | a SQLite database file |
//! | `postgresql://…`, `postgres://…` | a PostgreSQL database |
//! | anything without `scheme://` | a `config.yaml` file |
//!
//! The CLI opens the concrete store types itself (see [`crate::backend`]),
//! because migrating and checking need more than the [`Store`] trait
//! offers; the classification follows `open_url`'s rules exactly.
//!
//! [`Store`]: authgate::store::Store

use std::path::PathBuf;

use authgate::store::{DocStore, OpenOptions, PostgresStore, SqliteStore};

use crate::backend::Backend;
use crate::failure::{CliResult, Failure};

/// What a `--store`, `--from` or `--to` argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A `config.yaml` file.
    Yaml(PathBuf),
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL or connection string (it may hold a password: never
    /// print it).
    Postgres(String),
}

/// Whether opening may create a store that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Only a migration target is created.
    Yes,
    /// Every other command refuses a missing store, so that a typo never
    /// becomes a new, empty database.
    No,
}

/// Whether `s` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl Location {
    /// Classifies `source`.
    ///
    /// # Errors
    ///
    /// [`Failure::Invalid`] for an empty source, an unsupported scheme or a
    /// SQLite URL without a file. The message never repeats the source,
    /// which may hold a password.
    pub fn parse(source: &str) -> CliResult<Self> {
        if source.trim().is_empty() {
            return Err(Failure::invalid(
                "no store given: pass a config.yaml path, sqlite:///path.db or \
                 postgresql://user:password@host/dbname",
            ));
        }
        let Some((scheme, rest)) = source.split_once("://").filter(|(s, _)| is_scheme(s)) else {
            return Ok(Location::Yaml(PathBuf::from(source)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" if rest.is_empty() => Err(Failure::invalid(
                "the sqlite URL names no file: use sqlite:///absolute/path.db or \
                 sqlite://relative/path.db",
            )),
            "sqlite" if rest.trim_start_matches('/') == ":memory:" => Err(Failure::invalid(
                "an in-memory SQLite database disappears when the command ends: use a file",
            )),
            "sqlite" => Ok(Location::Sqlite(PathBuf::from(rest))),
            "postgres" | "postgresql" => Ok(Location::Postgres(source.to_string())),
            other => Err(Failure::invalid(format!(
                "unsupported store URL scheme '{other}://': use a config.yaml path, \
                 sqlite:///path.db or postgresql://user:password@host/dbname"
            ))),
        }
    }

    /// Opens the store. A SQLite file is created only with [`Create::Yes`];
    /// a `config.yaml` never is (see [`crate::commands::migrate`], which
    /// writes one whole).
    ///
    /// # Errors
    ///
    /// Exit-3 failures for a missing file or an unreachable database, named
    /// without its password; exit-1 failures for an invalid config.
    pub fn open(&self, create: Create) -> CliResult<Backend> {
        match self {
            Location::Yaml(path) => Ok(Backend::Yaml(DocStore::open_file(
                path,
                OpenOptions::default(),
            )?)),
            Location::Sqlite(path) => {
                if create == Create::No && !path.exists() {
                    return Err(Failure::io(format!(
                        "{}: SQLite database not found (`authgate migrate --from config.yaml \
                         --to sqlite://{}` creates one)",
                        path.display(),
                        path.display()
                    )));
                }
                Ok(Backend::Sqlite(SqliteStore::open(path)?))
            }
            Location::Postgres(url) => Ok(Backend::Postgres(PostgresStore::connect(url)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified_as_open_url_does() {
        assert_eq!(
            Location::parse("sqlite:///abs/a.db").unwrap(),
            Location::Sqlite("/abs/a.db".into())
        );
        assert_eq!(
            Location::parse("SQLite://rel/a.db").unwrap(),
            Location::Sqlite("rel/a.db".into())
        );
        assert_eq!(
            Location::parse("postgres://h/d").unwrap(),
            Location::Postgres("postgres://h/d".into())
        );
        assert_eq!(
            Location::parse("config.yaml").unwrap(),
            Location::Yaml("config.yaml".into())
        );
        assert_eq!(
            Location::parse("dir with ://odd/config.yaml").unwrap(),
            Location::Yaml("dir with ://odd/config.yaml".into())
        );
    }

    #[test]
    fn bad_sources_are_refused_without_repeating_them() {
        for source in [
            "mysql://root:s3cret@h/db",
            "sqlite://",
            "sqlite:///:memory:",
            " ",
        ] {
            let err = Location::parse(source).unwrap_err();
            assert!(matches!(err, Failure::Invalid(_)), "{source}: {err:?}");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }
}
