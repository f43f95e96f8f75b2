//! An open store, with what the CLI needs beyond the [`Store`] trait:
//! its name for messages, a whole-store export and a user's sessions.
//!
//! Which store a `--store`, `--from` or `--to` argument names is decided by
//! the core ([`StoreLocation::parse`], the rule apps follow too); the CLI
//! opens the concrete store types itself, because migrating and checking
//! need more than the [`Store`] trait offers, and because it must not create
//! a store by accident (see [`Create`]).

use authgate::store::document::Document;
use authgate::store::{
    AuditEvent, DocStore, OpenOptions, PostgresStore, SqliteStore, Store, StoreLocation,
};
use authgate::Result;

use crate::failure::{CliResult, Failure};

/// Whether opening may create a store that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Only a migration target is created.
    Yes,
    /// Every other command refuses a missing store, so that a typo never
    /// becomes a new, empty database.
    No,
}

/// A store of one of the three kinds.
#[derive(Debug)]
pub enum Backend {
    /// A `config.yaml` file.
    Yaml(DocStore),
    /// A SQLite database.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PostgresStore),
}

impl Backend {
    /// Opens the store `source` names. A SQLite file is created only with
    /// [`Create::Yes`]; a `config.yaml` never is (see
    /// [`crate::commands::migrate`], which writes one whole).
    ///
    /// # Errors
    ///
    /// Exit-1 failures for a source the core refuses or an invalid config;
    /// exit-3 failures for a missing file or an unreachable database, named
    /// without its password.
    pub fn open(source: &str, create: Create) -> CliResult<Backend> {
        Backend::open_at(&StoreLocation::parse(source)?, create)
    }

    /// Opens the store at `location` (see [`Backend::open`]).
    pub fn open_at(location: &StoreLocation, create: Create) -> CliResult<Backend> {
        match location {
            StoreLocation::ConfigFile(path) => Ok(Backend::Yaml(DocStore::open_file(
                path,
                OpenOptions::default(),
            )?)),
            StoreLocation::Sqlite(path) => {
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
            StoreLocation::Postgres(url) => Ok(Backend::Postgres(PostgresStore::connect(url)?)),
        }
    }

    /// The store, for the operations every kind has.
    pub fn store(&self) -> &dyn Store {
        match self {
            Backend::Yaml(s) => s,
            Backend::Sqlite(s) => s,
            Backend::Postgres(s) => s,
        }
    }

    /// The store as messages name it; never with a password.
    pub fn name(&self) -> String {
        match self {
            Backend::Yaml(s) => s.origin().display().to_string(),
            Backend::Sqlite(s) => format!("sqlite://{}", s.path().display()),
            Backend::Postgres(s) => s.location().to_string(),
        }
    }

    /// The schema version of a database; `None` for a file.
    pub fn schema_version(&self) -> Option<i64> {
        match self {
            Backend::Yaml(_) => None,
            // Opening brings the schema to this version or refuses the database.
            Backend::Sqlite(_) => Some(SqliteStore::SCHEMA_VERSION),
            Backend::Postgres(_) => Some(PostgresStore::SCHEMA_VERSION),
        }
    }

    /// Everything the store holds but its audit trail, as a config document.
    pub fn export(&self) -> Result<Document> {
        match self {
            Backend::Yaml(s) => s.export_document(),
            Backend::Sqlite(s) => s.export_document(),
            Backend::Postgres(s) => s.export_document(),
        }
    }

    /// The whole audit trail, oldest first.
    pub fn events(&self) -> Result<Vec<AuditEvent>> {
        self.store().recent_events(usize::MAX)
    }

    /// Appends `events` to the audit trail, in order. Databases append them
    /// in one transaction; a file appends one line per event.
    pub fn append_events(&self, events: &[AuditEvent]) -> Result<()> {
        match self {
            Backend::Yaml(s) => events.iter().try_for_each(|e| s.record_event(e)),
            Backend::Sqlite(s) => s.append_events(events).map(drop),
            Backend::Postgres(s) => s.append_events(events).map(drop),
        }
    }
}
