//! An open store, with what the CLI needs beyond the [`Store`] trait:
//! its name for messages, a whole-store export and a user's sessions.

use authgate::store::document::Document;
use authgate::store::{AuditEvent, DocStore, PostgresStore, SqliteStore, Store};
use authgate::Result;

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
