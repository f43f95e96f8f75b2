//! Copying a store into another of any kind — config.yaml, SQLite,
//! PostgreSQL — losing nothing (`authgate migrate`).
//!
//! Copied: users (every key of their record, unknown ones included),
//! pre-authorized emails, settings (cookie, api_key, oauth2 and any other
//! top-level key), sessions, lockouts, pending passwords, revocations,
//! second factors (sealed TOTP secrets, recovery code digests) and the
//! audit trail. A `config.yaml` target keeps the second factors in its
//! state database, like the rest of authgate's state. Left out, and said
//! so ([`Snapshot::left_out`]): state that names a user who no longer
//! exists, which no store can use.
//!
//! What happens depends on the target ([`Migration::prepare`]):
//!
//! - **new or empty** → everything is copied, then read back and compared;
//! - **already the same data** → nothing is written (running a migration
//!   twice is safe and says so);
//! - **the same data and the first part of the audit trail** (an earlier run
//!   stopped while copying events) → the rest of the trail is appended;
//! - **anything else** → refused, naming the differences; nothing is written.
//!
//! A `config.yaml` target is written whole, atomically, in the
//! streamlit-authenticator schema (byte for byte what PyYAML writes), with
//! authgate's state under its `authgate:` key and the audit trail beside it
//! in `config.yaml.audit.jsonl`. A database target gets the users, settings
//! and state in one transaction, then the audit trail in batches.
//!
//! The CLI parses the arguments, shows the [`Progress`] and prints the
//! outcome; every decision is made here.

mod open;
mod snapshot;

use std::path::{Path, PathBuf};

pub use open::{Create, OpenStore};
pub use snapshot::{count, join_and, shared_emails, thousands, Counts, EventsPlan, Snapshot};

use crate::error::{Error, Result};
use crate::store::document::{Document, Layout};
use crate::store::file::SharedFile;
use crate::store::{AuditEvent, DocStore, OpenOptions, StoreLocation};
use crate::yaml::{self, Value};

/// Audit events appended per transaction (and per step of the progress).
const EVENT_BATCH: usize = 1_000;

/// Where a long migration tells how far it got. Every method does nothing
/// by default; `()` shows nothing.
pub trait Progress {
    /// What is being done now (`reading config.yaml`).
    fn status(&self, _message: &str) {}
    /// The copy begins: `total` steps.
    fn start(&self, _total: usize, _message: &str) {}
    /// `n` more steps are done.
    fn advance(&self, _n: usize) {}
}

impl Progress for () {}

/// The target as found before copying.
#[derive(Debug)]
enum Target {
    /// An existing store, open.
    Open(Box<OpenStore>),
    /// A config.yaml that does not exist yet: it is written whole.
    NewYaml(PathBuf),
    /// A SQLite database that does not exist yet, in a dry run (which must
    /// not create it).
    NewSqlite(PathBuf),
}

impl Target {
    fn name(&self) -> String {
        match self {
            Target::Open(backend) => backend.name(),
            Target::NewYaml(path) => path.display().to_string(),
            Target::NewSqlite(path) => format!("sqlite://{}", path.display()),
        }
    }

    fn snapshot(&self) -> Result<Snapshot> {
        match self {
            Target::Open(backend) => Snapshot::read(backend),
            Target::NewYaml(_) | Target::NewSqlite(_) => Snapshot::empty(),
        }
    }

    fn is_new(&self) -> bool {
        !matches!(self, Target::Open(_))
    }
}

/// A migration, its stores compared and found compatible: what it copies.
#[derive(Debug)]
pub struct Migration {
    source: Snapshot,
    source_name: String,
    target: Target,
    target_name: String,
    /// Copy users, settings and state: the target holds none.
    import: bool,
    /// The first of the source's audit events the target does not have.
    append_from: usize,
    /// How many records of each kind are copied.
    counts: Counts,
}

impl Migration {
    /// Opens and reads both stores and compares them. The source must
    /// exist; the target is opened (a SQLite file created, unless
    /// `dry_run`), or found missing and written whole later.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the target holds other data (naming the
    /// differences), or the source has two users with one email and the
    /// target is a database (which keeps emails unique); what opening and
    /// reading the stores report.
    pub fn prepare(
        from: &StoreLocation,
        to: &StoreLocation,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<Migration> {
        progress.status("opening the source");
        let source_store = OpenStore::open_at(from, Create::No)?;
        let source_name = source_store.name();
        progress.status(&format!("reading {source_name}"));
        let source = Snapshot::read(&source_store)?;
        if !matches!(to, StoreLocation::ConfigFile(_)) {
            refuse_shared_emails(source.doc(), &source_name)?;
        }
        progress.status("opening the target");
        let target = open_target(to, dry_run)?;
        let target_name = target.name();
        progress.status(&format!("reading {target_name}"));
        let existing = target.snapshot()?;

        // A new target is always written, even with nothing in it, so that
        // the migration creates it.
        let import = target.is_new() || !source.same_doc(&existing);
        let mut problems = Vec::new();
        if import && !existing.doc_is_empty() {
            problems = source.differences(&existing, &source_name, &target_name);
        }
        let append_from = match EventsPlan::new(source.events(), existing.events()) {
            EventsPlan::Same => source.events().len(),
            EventsPlan::AppendFrom(n) => n,
            EventsPlan::Conflict => {
                problems.push(format!(
                    "the audit trails differ: the {} of {source_name} do not begin with the {} \
                     of {target_name}",
                    count(source.events().len(), "event", "events"),
                    count(existing.events().len(), "event", "events"),
                ));
                0
            }
        };
        if !problems.is_empty() {
            return Err(Error::InvalidInput(format!(
                "refusing to migrate: {target_name} already holds other data than \
                 {source_name}:\n{}\nNothing was written. Migrate into a new or empty store, or \
                 remove the target first.",
                bullets(&problems)
            )));
        }
        let events = source.events().len().saturating_sub(append_from);
        let counts = Counts {
            events,
            ..if import {
                source.counts()
            } else {
                Counts::default()
            }
        };
        Ok(Migration {
            source,
            source_name,
            target,
            target_name,
            import,
            append_from,
            counts,
        })
    }

    /// The source as messages name it (never with a password).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The target as messages name it (never with a password).
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// Everything the source holds.
    pub fn source(&self) -> &Snapshot {
        &self.source
    }

    /// Whether users, settings and state are copied; if not, only audit
    /// events are appended (or nothing is done).
    pub fn imports(&self) -> bool {
        self.import
    }

    /// The audit events the target does not have yet.
    pub fn events(&self) -> &[AuditEvent] {
        self.source
            .events()
            .get(self.append_from..)
            .unwrap_or_default()
    }

    /// Whether the target already holds everything.
    pub fn nothing_to_do(&self) -> bool {
        !self.import && self.events().is_empty()
    }

    /// What is copied, in words: `1,000 users, … and 250 audit events`.
    pub fn describe(&self) -> String {
        if self.import {
            self.counts.describe()
        } else {
            count(self.events().len(), "audit event", "audit events")
        }
    }

    /// Copies, then reads the target back and checks it holds exactly
    /// what was copied; returns the target, open.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when another process wrote to a new
    /// config.yaml meanwhile, or the target does not read back as the
    /// source; what writing the target reports.
    pub fn run(self, progress: &dyn Progress) -> Result<OpenStore> {
        let Migration {
            source,
            source_name,
            target,
            target_name,
            import,
            append_from,
            counts,
        } = self;
        let events = source.events().get(append_from..).unwrap_or_default();
        progress.start(counts.records() + events.len(), "migrating");
        let target = match target {
            Target::Open(backend) if !import => *backend,
            target => {
                let backend = write_document(target, &source)?;
                progress.advance(counts.records());
                backend
            }
        };
        for batch in events.chunks(EVENT_BATCH) {
            target.append_events(batch)?;
            progress.advance(batch.len());
        }
        progress.status(&format!("verifying {target_name}"));
        verify(&target, &source, &source_name)?;
        Ok(target)
    }
}

/// Refuses, before anything is created, a source that a database would
/// refuse part way: two users with one email.
fn refuse_shared_emails(doc: &Document, source_name: &str) -> Result<()> {
    let pairs = shared_emails(doc);
    if pairs.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = pairs
        .iter()
        .map(|(a, b)| format!("'{a}' and '{b}'"))
        .collect();
    Err(Error::InvalidInput(format!(
        "{source_name}: users {} share an email; a database keeps emails unique: change \
         one of each, then migrate again. Nothing was written.",
        join_and(&names)
    )))
}

/// Opens the target, creating a SQLite file unless this is a dry run. A
/// missing config.yaml is written whole later.
fn open_target(to: &StoreLocation, dry_run: bool) -> Result<Target> {
    match to {
        StoreLocation::ConfigFile(path) if !path.exists() => {
            let dir = parent_dir(path);
            if !dir.is_dir() {
                return Err(Error::io(
                    dir,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "directory does not exist"),
                ));
            }
            let log = crate::store::audit::log_beside(path);
            if log.exists() {
                return Err(Error::InvalidInput(format!(
                    "{} does not exist, but its audit trail {} does: move the trail away \
                     or migrate to another path. Nothing was written.",
                    path.display(),
                    log.display()
                )));
            }
            Ok(Target::NewYaml(path.clone()))
        }
        StoreLocation::Sqlite(path) if dry_run && !path.exists() => {
            Ok(Target::NewSqlite(path.clone()))
        }
        _ => Ok(Target::Open(Box::new(OpenStore::open_at(to, Create::Yes)?))),
    }
}

/// Copies the document (users, settings, state) into the empty target and
/// returns the target, open.
fn write_document(target: Target, source: &Snapshot) -> Result<OpenStore> {
    let backend = match target {
        Target::NewYaml(path) => return write_yaml(&path, source.value()),
        Target::NewSqlite(path) => OpenStore::open_at(&StoreLocation::Sqlite(path), Create::Yes)?,
        Target::Open(backend) => *backend,
    };
    match backend {
        OpenStore::Yaml(store) => write_yaml(&store.origin(), source.value()),
        OpenStore::Sqlite(ref store) => {
            store.import_document(source.doc())?;
            Ok(backend)
        }
        #[cfg(feature = "postgres")]
        OpenStore::Postgres(ref store) => {
            store.import_document(source.doc())?;
            Ok(backend)
        }
    }
}

/// Writes `config` as the config file at `path`, atomically, under the lock
/// apps take; refuses if another process has meanwhile put data there.
fn write_yaml(path: &Path, config: &Value) -> Result<OpenStore> {
    let options = OpenOptions::default();
    let file = SharedFile::new(path, options.lock_timeout);
    let lock = file.lock()?;
    match file.read() {
        Ok((text, _)) => {
            let current = Document::from_value(yaml::parse(&text, path)?, Layout::Config, path)?;
            if !Snapshot::new(current, Vec::new()).doc_is_empty() {
                return Err(Error::InvalidInput(format!(
                    "{}: another process wrote to it while migrating; nothing was written",
                    path.display()
                )));
            }
        }
        Err(Error::ConfigNotFound(_)) => {}
        Err(e) => return Err(e),
    }
    file.replace(&yaml::emit(config))?;
    // Opening hands the state (under the `authgate` key) to the state
    // database beside the file, which takes the file's lock itself.
    drop(lock);
    Ok(OpenStore::Yaml(DocStore::open_file(path, options)?))
}

/// Reads the target back and checks it holds exactly what was copied.
fn verify(target: &OpenStore, source: &Snapshot, source_name: &str) -> Result<()> {
    let written = Snapshot::read(target)?;
    let mut problems = Vec::new();
    if !written.same_doc(source) {
        problems = written.differences(source, &target.name(), source_name);
        if problems.is_empty() {
            problems.push("the documents differ".to_string());
        }
    }
    if written.events() != source.events() {
        problems.push("the audit trails differ".to_string());
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "{} does not hold what was copied (did an app write to it meanwhile?):\n{}",
        target.name(),
        bullets(&problems)
    )))
}

/// The lines as an indented list.
fn bullets(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("  - {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The directory a file is in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "cookie: {name: c, key: k}\ncredentials:\n  usernames:\n    \
                          bob: {email: b@x.io, roles: [a], password: x, extra: kept}\n";

    fn event(kind: &str) -> AuditEvent {
        AuditEvent {
            time: 1.0,
            kind: kind.into(),
            username: Some("bob".into()),
            detail: None,
        }
    }

    /// A config file with two audit events, in `dir`.
    fn config(dir: &Path) -> StoreLocation {
        let path = dir.join("config.yaml");
        std::fs::write(&path, CONFIG).unwrap();
        let store =
            OpenStore::open_at(&StoreLocation::ConfigFile(path.clone()), Create::No).unwrap();
        store.append_events(&[event("a"), event("b")]).unwrap();
        StoreLocation::ConfigFile(path)
    }

    #[test]
    fn a_config_goes_into_sqlite_and_back_whole_and_twice_is_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let from = config(dir.path());
        let db = StoreLocation::Sqlite(dir.path().join("auth.db"));

        let dry = Migration::prepare(&from, &db, true, &()).unwrap();
        assert!(dry.imports() && !dry.nothing_to_do());
        assert_eq!(dry.describe(), "1 user, 1 setting and 2 audit events");
        assert!(
            !dir.path().join("auth.db").exists(),
            "a dry run creates nothing"
        );

        Migration::prepare(&from, &db, false, &())
            .unwrap()
            .run(&())
            .unwrap();
        let again = Migration::prepare(&from, &db, false, &()).unwrap();
        assert!(again.nothing_to_do());

        let back = StoreLocation::ConfigFile(dir.path().join("back.yaml"));
        let written = Migration::prepare(&db, &back, false, &())
            .unwrap()
            .run(&())
            .unwrap();
        let original = Snapshot::read(&OpenStore::open_at(&from, Create::No).unwrap()).unwrap();
        let copy = Snapshot::read(&written).unwrap();
        assert!(copy.same_doc(&original));
        assert_eq!(copy.events(), original.events());
    }

    #[test]
    fn a_target_with_other_data_is_refused_and_a_short_trail_is_completed() {
        let dir = tempfile::tempdir().unwrap();
        let from = config(dir.path());
        let other = dir.path().join("other.yaml");
        std::fs::write(&other, "credentials: {usernames: {eve: {email: e@x.io}}}\n").unwrap();
        let err =
            Migration::prepare(&from, &StoreLocation::ConfigFile(other), false, &()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert!(text.starts_with("refusing to migrate"), "{text}");
        assert!(text.contains("1 user only in"), "{text}");

        // An earlier run stopped after the first event.
        let path = dir.path().join("half.db");
        let half = OpenStore::open_at(&StoreLocation::Sqlite(path.clone()), Create::Yes).unwrap();
        let source = Snapshot::read(&OpenStore::open_at(&from, Create::No).unwrap()).unwrap();
        if let OpenStore::Sqlite(store) = &half {
            store.import_document(source.doc()).unwrap();
        }
        half.append_events(&source.events()[..1]).unwrap();
        let rest = Migration::prepare(&from, &StoreLocation::Sqlite(path), false, &()).unwrap();
        assert!(!rest.imports());
        assert_eq!(rest.describe(), "1 audit event");
        rest.run(&()).unwrap();
    }

    #[test]
    fn shared_emails_are_refused_for_a_database_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(
            &path,
            "credentials:\n  usernames:\n    a: {email: X@y.io}\n    b: {email: x@Y.io}\n",
        )
        .unwrap();
        let from = StoreLocation::ConfigFile(path);
        let db = StoreLocation::Sqlite(dir.path().join("auth.db"));
        let err = Migration::prepare(&from, &db, false, &()).unwrap_err();
        assert!(err.to_string().contains("users 'a' and 'b' share an email"));
        assert!(
            !dir.path().join("auth.db").exists(),
            "refused before creating"
        );
        let yaml = StoreLocation::ConfigFile(dir.path().join("copy.yaml"));
        assert!(Migration::prepare(&from, &yaml, false, &()).is_ok());
    }

    #[test]
    fn a_missing_source_or_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = StoreLocation::Sqlite(dir.path().join("none.db"));
        let err = OpenStore::open_at(&missing, Create::No).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("SQLite database not found"));
        let from = config(dir.path());
        let nowhere = StoreLocation::ConfigFile(dir.path().join("no/such/dir/c.yaml"));
        let err = Migration::prepare(&from, &nowhere, false, &()).unwrap_err();
        assert!(
            err.to_string().contains("directory does not exist"),
            "{err}"
        );
    }
}
