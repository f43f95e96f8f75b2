//! `authgate migrate`: copy a store into another of any kind — config.yaml,
//! SQLite, PostgreSQL — losing nothing.
//!
//! Copied: users (every key of their record, unknown ones included),
//! pre-authorized emails, settings (cookie, api_key, oauth2 and any other
//! top-level key), sessions, lockouts, pending passwords, revocations,
//! second factors (sealed TOTP secrets, recovery code digests) and the
//! audit trail. A `config.yaml` target keeps the second factors in its
//! state database, like the rest of authgate's state. Left out, and said so: state that names a user who no
//! longer exists, which no store can use.
//!
//! What happens depends on the target:
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

use std::io::Write;
use std::path::{Path, PathBuf};

use authgate::store::document::{Document, Layout};
use authgate::store::file::SharedFile;
use authgate::store::{AuditEvent, DocStore, OpenOptions, StoreLocation};
use authgate::yaml::{self, Value};
use clap::Args;

use crate::backend::{Backend, Create};
use crate::failure::{CliResult, Failure};
use crate::output::{count, outln, Out};
use crate::progress::Progress;
use crate::snapshot::{join_and, shared_emails, Counts, EventsPlan, Snapshot};

/// Audit events appended per transaction (and per step of the progress bar).
const EVENT_BATCH: usize = 1_000;

/// Copy a store into a new or empty one: YAML, SQLite or PostgreSQL.
///
/// Copies users (every field, unknown keys included), pre-authorized emails,
/// settings (cookie, api_key, oauth2, …), sessions, lockouts, pending
/// passwords, revocations and the audit trail, then reads the target back to
/// verify it. A target that already holds the same data is left alone
/// (running twice is safe); a target holding other data is refused.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  authgate migrate --from config.yaml --to sqlite:///var/lib/app/auth.db
  authgate migrate --from sqlite:///var/lib/app/auth.db --to postgresql://app@db/auth
  authgate migrate --from postgresql://app@db/auth --to exported.yaml --dry-run

Stop the apps that write to the source first: changes made while copying
are not copied. Command lines are visible to other users of the machine:
pass a URL that holds a password through AUTHGATE_FROM or AUTHGATE_TO.")]
pub struct MigrateArgs {
    /// The store to copy from: a config.yaml path, sqlite:///path.db or
    /// postgresql://user:password@host/dbname.
    #[arg(
        long,
        value_name = "URL_OR_PATH",
        env = "AUTHGATE_FROM",
        hide_env_values = true
    )]
    from: String,
    /// The store to copy into: new or empty. A config.yaml or SQLite file is
    /// created; a PostgreSQL database must exist (its tables are created).
    #[arg(
        long,
        value_name = "URL_OR_PATH",
        env = "AUTHGATE_TO",
        hide_env_values = true
    )]
    to: String,
    /// Compare the stores and say what would be copied; write nothing
    /// (connecting to PostgreSQL still creates authgate's tables if missing).
    #[arg(long)]
    dry_run: bool,
}

/// The target as found before copying.
enum Target {
    /// An existing store, open.
    Open(Box<Backend>),
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

    fn snapshot(&self) -> CliResult<Snapshot> {
        Ok(match self {
            Target::Open(backend) => Snapshot::read(backend)?,
            Target::NewYaml(_) | Target::NewSqlite(_) => Snapshot::empty()?,
        })
    }

    fn is_new(&self) -> bool {
        !matches!(self, Target::Open(_))
    }
}

/// What a migration copies, once the stores are compared.
struct Plan<'a> {
    /// Copy users, settings and state: the target holds none.
    import: bool,
    /// The source's audit events the target does not have yet.
    events: &'a [AuditEvent],
    /// How many records of each kind are copied.
    counts: Counts,
}

impl<'a> Plan<'a> {
    /// Compares the snapshots; refuses a target that holds other data,
    /// naming the differences. A new target is always written, even with
    /// nothing in it, so that the migration creates it.
    fn new(
        source: &'a Snapshot,
        target: &Target,
        existing: &Snapshot,
        names: &Names,
    ) -> CliResult<Self> {
        let import = target.is_new() || !source.same_doc(existing);
        let mut problems = Vec::new();
        if import && !existing.doc_is_empty() {
            problems = source.differences(existing, &names.source, &names.target);
        }
        let append_from = match EventsPlan::new(source.events(), existing.events()) {
            EventsPlan::Same => source.events().len(),
            EventsPlan::AppendFrom(n) => n,
            EventsPlan::Conflict => {
                problems.push(format!(
                    "the audit trails differ: the {} of {} do not begin with the {} of {}",
                    count(source.events().len(), "event", "events"),
                    names.source,
                    count(existing.events().len(), "event", "events"),
                    names.target
                ));
                0
            }
        };
        if !problems.is_empty() {
            return Err(Failure::invalid(format!(
                "refusing to migrate: {} already holds other data than {}:\n{}\nNothing was \
                 written. Migrate into a new or empty store, or remove the target first.",
                names.target,
                names.source,
                bullets(&problems)
            )));
        }
        let events = source.events().get(append_from..).unwrap_or_default();
        let counts = Counts {
            events: events.len(),
            ..if import {
                source.counts()
            } else {
                Counts::default()
            }
        };
        Ok(Plan {
            import,
            events,
            counts,
        })
    }

    /// What is copied, in words.
    fn describe(&self) -> String {
        if self.import {
            self.counts.describe()
        } else {
            count(self.events.len(), "audit event", "audit events")
        }
    }
}

/// The two stores as messages name them.
struct Names {
    source: String,
    target: String,
}

/// Compares, copies, verifies and prints a summary.
pub fn run(args: MigrateArgs) -> CliResult {
    let source_location = StoreLocation::parse(&args.from)?;
    let target_location = StoreLocation::parse(&args.to)?;
    let progress = Progress::new();

    progress.status("opening the source");
    let source_store = Backend::open_at(&source_location, Create::No)?;
    progress.status(format!("reading {}", source_store.name()));
    let source = Snapshot::read(&source_store)?;
    if !matches!(target_location, StoreLocation::ConfigFile(_)) {
        refuse_shared_emails(source.doc(), &source_store.name())?;
    }

    progress.status("opening the target");
    let target = open_target(&target_location, args.dry_run)?;
    let names = Names {
        source: source_store.name(),
        target: target.name(),
    };
    progress.status(format!("reading {}", names.target));
    let existing = target.snapshot()?;
    let plan = Plan::new(&source, &target, &existing, &names)?;
    drop(progress);

    let left_out = source.left_out();
    if left_out.records() > 0 {
        note(&format!(
            "left out {} of users that no longer exist in {}",
            left_out.describe_present(),
            names.source
        ));
    }
    let mut out = Out::new();
    let Names {
        source: from,
        target: to,
    } = &names;
    if !plan.import && plan.events.is_empty() {
        return outln!(
            out,
            "nothing to do: {to} already holds the same {} as {from}",
            source.counts().describe()
        );
    }
    let what = plan.describe();
    if args.dry_run {
        let verb = if plan.import { "migrate" } else { "append" };
        return outln!(
            out,
            "dry run: would {verb} {what} from {from} to {to}; nothing was written"
        );
    }

    copy(target, &plan, &source, &names)?;
    if plan.import {
        outln!(out, "migrated {what} from {from} to {to}")
    } else {
        outln!(
            out,
            "appended {what} to {to} (an earlier migration stopped before copying them); \
             it now holds the same {} as {from}",
            source.counts().describe()
        )
    }
}

/// Carries out the plan with a progress bar, then verifies the target.
fn copy(target: Target, plan: &Plan<'_>, source: &Snapshot, names: &Names) -> CliResult {
    let progress = Progress::new();
    progress.start(plan.counts.records() + plan.events.len(), "migrating");
    let target = match target {
        Target::Open(backend) if !plan.import => *backend,
        target => {
            let backend = write_document(target, source)?;
            progress.advance(plan.counts.records());
            backend
        }
    };
    for batch in plan.events.chunks(EVENT_BATCH) {
        target.append_events(batch)?;
        progress.advance(batch.len());
    }
    progress.status(format!("verifying {}", names.target));
    verify(&target, source, &names.source)
}

/// Refuses, before anything is created, a source that a database would
/// refuse part way: two users with one email.
fn refuse_shared_emails(doc: &Document, source_name: &str) -> CliResult {
    let pairs = shared_emails(doc);
    if pairs.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = pairs
        .iter()
        .map(|(a, b)| format!("'{a}' and '{b}'"))
        .collect();
    Err(Failure::invalid(format!(
        "{source_name}: users {} share an email; a database keeps emails unique: change \
         one of each, then migrate again. Nothing was written.",
        join_and(&names)
    )))
}

/// Opens the target, creating a SQLite file unless this is a dry run. A
/// missing config.yaml is written whole later.
fn open_target(to: &StoreLocation, dry_run: bool) -> CliResult<Target> {
    match to {
        StoreLocation::ConfigFile(path) if !path.exists() => {
            let dir = parent_dir(path);
            if !dir.is_dir() {
                return Err(Failure::io(format!(
                    "{}: directory does not exist",
                    dir.display()
                )));
            }
            let log = audit_log_beside(path);
            if log.exists() {
                return Err(Failure::invalid(format!(
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
        _ => Ok(Target::Open(Box::new(Backend::open_at(to, Create::Yes)?))),
    }
}

/// Copies the document (users, settings, state) into the empty target and
/// returns the target, open.
fn write_document(target: Target, source: &Snapshot) -> CliResult<Backend> {
    let backend = match target {
        Target::NewYaml(path) => return write_yaml(&path, source.value()),
        Target::NewSqlite(path) => Backend::open_at(&StoreLocation::Sqlite(path), Create::Yes)?,
        Target::Open(backend) => *backend,
    };
    match backend {
        Backend::Yaml(store) => write_yaml(&store.origin(), source.value()),
        Backend::Sqlite(ref store) => {
            store.import_document(source.doc())?;
            Ok(backend)
        }
        Backend::Postgres(ref store) => {
            store.import_document(source.doc())?;
            Ok(backend)
        }
    }
}

/// Writes `config` as the config file at `path`, atomically, under the lock
/// apps take; refuses if another process has meanwhile put data there.
fn write_yaml(path: &Path, config: &Value) -> CliResult<Backend> {
    let options = OpenOptions::default();
    let file = SharedFile::new(path, options.lock_timeout);
    let lock = file.lock()?;
    match file.read() {
        Ok((text, _)) => {
            let current = Document::from_value(yaml::parse(&text, path)?, Layout::Config, path)?;
            if !Snapshot::new(current, Vec::new()).doc_is_empty() {
                return Err(Failure::invalid(format!(
                    "{}: another process wrote to it while migrating; nothing was written",
                    path.display()
                )));
            }
        }
        Err(authgate::Error::ConfigNotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    file.replace(&yaml::emit(config))?;
    // Opening hands the state (under the `authgate` key) to the state
    // database beside the file, which takes the file's lock itself.
    drop(lock);
    Ok(Backend::Yaml(DocStore::open_file(path, options)?))
}

/// Reads the target back and checks it holds exactly what was copied.
fn verify(target: &Backend, source: &Snapshot, source_name: &str) -> CliResult {
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
    Err(Failure::invalid(format!(
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

/// A note on standard error.
fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "authgate: note: {message}");
}

/// The directory a file is in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Where a config file's audit trail is kept: `<config>.audit.jsonl`, as
/// `authgate::store::DocStore` keeps it.
fn audit_log_beside(config: &Path) -> PathBuf {
    let mut name = config.as_os_str().to_owned();
    name.push(".audit.jsonl");
    PathBuf::from(name)
}
