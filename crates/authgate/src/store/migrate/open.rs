//! A store opened as its concrete kind, for what the [`Store`] trait does
//! not offer: its name for messages, a whole-store export, the audit trail
//! appended in batches, and its schema version.

use crate::error::{Error, Result};
use crate::store::document::Document;
#[cfg(feature = "postgres")]
use crate::store::PostgresStore;
use crate::store::{AuditEvent, DocStore, OpenOptions, SqliteStore, Store, StoreLocation};

/// Whether opening may create a store that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Only a migration target is created.
    Yes,
    /// Every other operator command refuses a missing store, so that a typo
    /// never becomes a new, empty database.
    No,
}

/// A store of one of the three kinds, opened on its own (not shared with
/// the apps' stores of this process).
#[derive(Debug)]
// One per migration, held by value: the size of the largest kind costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum OpenStore {
    /// A `config.yaml` file.
    Yaml(DocStore),
    /// A SQLite database.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

impl OpenStore {
    /// Opens the store `source` names ([`StoreLocation::parse`]).
    ///
    /// # Errors
    ///
    /// Those of [`StoreLocation::parse`] and [`OpenStore::open_at`].
    pub fn open(source: &str, create: Create) -> Result<OpenStore> {
        OpenStore::open_at(&StoreLocation::parse(source)?, create)
    }

    /// Opens the store at `location`. A SQLite file is created only with
    /// [`Create::Yes`]; a `config.yaml` never is (a migration writes one
    /// whole).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] for a SQLite file that does not exist under
    /// [`Create::No`]; otherwise what opening the store reports (a missing
    /// or invalid config, an unreachable database, named without its
    /// password).
    pub fn open_at(location: &StoreLocation, create: Create) -> Result<OpenStore> {
        match location {
            StoreLocation::ConfigFile(path) => Ok(OpenStore::Yaml(DocStore::open_file(
                path,
                OpenOptions::default(),
            )?)),
            StoreLocation::Sqlite(path) => {
                if create == Create::No && !path.exists() {
                    return Err(Error::io(
                        path,
                        std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "SQLite database not found (migrating a store into it creates one)",
                        ),
                    ));
                }
                Ok(OpenStore::Sqlite(SqliteStore::open(path)?))
            }
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => Ok(OpenStore::Postgres(PostgresStore::connect(url)?)),
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(_) => Err(Error::InvalidInput(
                "this build of authgate has no postgres store (cargo feature \"postgres\")".into(),
            )),
        }
    }

    /// The store, for the operations every kind has.
    pub fn store(&self) -> &dyn Store {
        match self {
            OpenStore::Yaml(s) => s,
            OpenStore::Sqlite(s) => s,
            #[cfg(feature = "postgres")]
            OpenStore::Postgres(s) => s,
        }
    }

    /// The store as messages name it; never with a password.
    pub fn name(&self) -> String {
        match self {
            OpenStore::Yaml(s) => s.origin().display().to_string(),
            OpenStore::Sqlite(s) => format!("sqlite://{}", s.path().display()),
            #[cfg(feature = "postgres")]
            OpenStore::Postgres(s) => s.location().to_string(),
        }
    }

    /// The schema version of a database; `None` for a file.
    pub fn schema_version(&self) -> Option<i64> {
        match self {
            OpenStore::Yaml(_) => None,
            // Opening brings the schema to this version or refuses the database.
            OpenStore::Sqlite(_) => Some(SqliteStore::SCHEMA_VERSION),
            #[cfg(feature = "postgres")]
            OpenStore::Postgres(_) => Some(PostgresStore::SCHEMA_VERSION),
        }
    }

    /// Everything the store holds but its audit trail, as a config document.
    pub fn export(&self) -> Result<Document> {
        match self {
            OpenStore::Yaml(s) => s.export_document(),
            OpenStore::Sqlite(s) => s.export_document(),
            #[cfg(feature = "postgres")]
            OpenStore::Postgres(s) => s.export_document(),
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
            OpenStore::Yaml(s) => events.iter().try_for_each(|e| s.record_event(e)),
            OpenStore::Sqlite(s) => s.append_events(events).map(drop),
            #[cfg(feature = "postgres")]
            OpenStore::Postgres(s) => s.append_events(events).map(drop),
        }
    }
}
