//! A hostile environment gives a clear error naming the problem, and changes
//! nothing already stored:
//!
//! - a full disk (a small tmpfs, filled) under a `config.yaml` and under a
//!   SQLite file;
//! - a lock held by another process for longer than the lock timeout (the
//!   config's sidecar lock, SQLite's write lock) or by another session (a
//!   PostgreSQL row lock);
//! - a database of an older schema: migrated forward on open, every row kept
//!   (PostgreSQL: from version 1, to the schema a new database gets, with
//!   `user_count` exact);
//! - a database whose tables clash with authgate's: refused, untouched.
//!
//! Unreachable PostgreSQL servers, wrong URL schemes and newer schemas are
//! covered by `store_conformance.rs`.
//!
//! The full-disk tests mount a tmpfs and so need root (CI runs as root); run
//! as anyone else they fail, saying so, rather than skip.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::robust::{self, ChildProc, HASH};
use crate::support;
use authgate::lockout::LockoutPolicy;
use authgate::session::Session;
use authgate::store::document::{Document, Layout};
use authgate::store::postgres::PostgresOptions;
use authgate::store::{
    AuditEvent, DocStore, NewUser, OpenOptions, PostgresStore, SessionLimits, SqliteStore, Store,
    UserUpdate,
};
use authgate::yaml;
use authgate::Error;

/// Selects the helper-child role and carries its spec.
const CHILD_ENV: &str = "AUTHGATE_BAD_ENVIRONMENT_CHILD";

const CONFIG: &str = "\
cookie:
  expiry_days: 30
  key: signing-key
  name: c
credentials:
  usernames:
    alice:
      email: alice@example.com
      failed_login_attempts: 0
      first_name: Alice
      last_name: Archer
      logged_in: false
      password: $2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu
    bob:
      email: bob@example.com
      failed_login_attempts: 0
      first_name: Bob
      last_name: Baker
      logged_in: false
      password: $2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu
my_app_setting: kept
";

fn seed_document() -> Document {
    let path = Path::new("config.yaml");
    let value = yaml::parse(CONFIG, path).expect("the seed config parses");
    Document::from_value(value, Layout::Config, path).expect("the seed config is valid")
}

fn policy() -> LockoutPolicy {
    LockoutPolicy {
        max_attempts: None,
        window_seconds: 1e12,
        cooldown_seconds: 0.0,
    }
}

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.to_string(),
        email: format!("{username}@example.com"),
        first_name: "New".into(),
        last_name: "Comer".into(),
        password_hash: Some(HASH.into()),
        roles: None,
        password_hint: None,
        awaiting_verification: false,
    }
}

/// The writes every test tries: a failure, a registration (unless
/// `with_add` is false), a detail change and a login. Each must fail, and
/// none may leave a trace.
fn attempt_writes(store: &dyn Store, with_add: bool) -> Vec<(&'static str, authgate::Result<()>)> {
    let session = Session {
        id: "sid-1".into(),
        username: "bob".into(),
        created: 10.0,
        expires: 1e12,
        last_seen: 10.0,
        credential: None,
        user_agent: None,
    };
    let limits = SessionLimits {
        max_concurrent_users: None,
        single_session: false,
        idle_timeout: 1800.0,
    };
    let mut attempts = vec![
        (
            "record_failure",
            store
                .record_failure("alice", &policy(), 10.0, None)
                .map(drop),
        ),
        (
            "update_user",
            store.update_user("bob", &UserUpdate::LastName("Changed".into()), None),
        ),
        (
            "open_session",
            store.open_session(&session, &limits, 10.0, None),
        ),
    ];
    if with_add {
        attempts.push((
            "add_user",
            store.add_user(&new_user("carol"), false, None).map(drop),
        ));
    }
    attempts
}

/// Whether a write of [`attempt_writes`] changes only authgate's state, which
/// a config-file store keeps in its state database rather than in the file.
fn is_state_write(what: &str) -> bool {
    matches!(what, "record_failure" | "open_session")
}

/// What the writes of [`attempt_writes`] would change.
#[derive(Debug, PartialEq)]
struct Facts {
    alice_failures: u32,
    carol: bool,
    bob_last_name: Option<String>,
    session: bool,
    users: usize,
}

fn facts(store: &dyn Store) -> Facts {
    Facts {
        alice_failures: store.lock_state("alice").expect("read").failures,
        carol: store.user("carol").expect("read").is_some(),
        bob_last_name: store.user("bob").expect("read").and_then(|u| u.last_name),
        session: store.session("sid-1").expect("read").is_some(),
        users: store.user_count().expect("read"),
    }
}

// ---- helper child ------------------------------------------------------------------

/// Entry point of a child that holds a lock until its stdin closes,
/// spawned by [`lock_holder`].
#[test]
#[ignore = "a child process, spawned by the lock-holder tests"]
fn lock_holder_child() {
    let spec = robust::child_spec(CHILD_ENV);
    let (kind, path) = spec.split_once('|').expect("kind|path");
    match kind {
        "yaml-lock" => {
            let file = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .expect("open the lock file");
            file.lock().expect("take the lock");
            robust::announce_ready();
            robust::wait_for_eof();
            drop(file);
        }
        "sqlite-write" => {
            let conn = rusqlite::Connection::open(path).expect("open the database");
            // Takes the write lock and changes a row it never commits.
            conn.execute_batch(
                "BEGIN IMMEDIATE; UPDATE users SET last_name = 'Holder' WHERE username = 'bob';",
            )
            .expect("take the write lock");
            robust::announce_ready();
            robust::wait_for_eof();
            drop(conn);
        }
        "sqlite-begin" => {
            let conn = rusqlite::Connection::open(path).expect("open the database");
            // Takes the write lock and holds it without changing anything.
            conn.execute_batch("BEGIN IMMEDIATE;")
                .expect("take the write lock");
            robust::announce_ready();
            robust::wait_for_eof();
            drop(conn);
        }
        other => panic!("unknown helper role {other:?}"),
    }
}

fn lock_holder(role: &str, path: &Path, dir: &Path) -> ChildProc {
    let mut child = ChildProc::spawn(
        &robust::test_name(module_path!(), "lock_holder_child"),
        CHILD_ENV,
        &format!("{role}|{}", path.display()),
        &dir.join(format!("{role}-stderr.txt")),
        &format!("{role} holder"),
    );
    child.wait_ready();
    child
}

// ---- a full disk -------------------------------------------------------------------

/// A small tmpfs mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let uid = robust::uid();
        assert_eq!(
            uid, "0",
            "simulating a full disk mounts a small tmpfs, which needs root (CI runs as \
             root); this test runs as uid {uid}: run it as root"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755")])
            .arg("authgate-full-disk")
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "`mount -t tmpfs` on {} failed, so a full disk cannot be simulated: {}",
            dir.path().display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
}

/// With the filler gone, a failure and a new user are written and found by
/// a store opened afresh (after `store` is closed).
fn writes_go_through_again<S: Store, R: Store>(
    store: S,
    filler: &Path,
    reopen: impl FnOnce() -> R,
) {
    std::fs::remove_file(filler).unwrap();
    assert_eq!(
        store
            .record_failure("alice", &policy(), 2.0, None)
            .unwrap()
            .failures,
        2
    );
    store.add_user(&new_user("carol"), false, None).unwrap();
    drop(store);
    let reopened = reopen();
    assert_eq!(reopened.lock_state("alice").unwrap().failures, 2);
    assert!(reopened.user("carol").unwrap().is_some());
}

/// Fills the file system of `dir` to the last byte; returns the filler file.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = File::create(&path).expect("create the filler");
    let chunk = vec![0xA5u8; 64 * 1024];
    for size in [chunk.len(), 4096, 1] {
        loop {
            match file.write(&chunk[..size]) {
                Ok(0) => panic!("writing the filler made no progress"),
                Ok(_) => {}
                Err(e) if is_disk_full(&e) => break,
                Err(e) => panic!("fill {}: {e}", dir.display()),
            }
        }
    }
    file.sync_all().expect("sync the filler");
    // Nothing more fits, not even one byte in a new file.
    let probe = dir.join("probe");
    let err = File::create(&probe)
        .and_then(|mut f| f.write_all(b"x").and_then(|()| f.sync_all()))
        .expect_err("the file system is full");
    assert!(is_disk_full(&err), "probe: {err}");
    std::fs::remove_file(&probe).expect("remove the probe");
    path
}

#[test]
fn yaml_on_a_full_disk_fails_clearly_and_changes_nothing() {
    let fs = Tmpfs::mount("1m");
    let path = fs.path().join("config.yaml");
    std::fs::write(&path, CONFIG).expect("write the config");
    let store = DocStore::open_file(&path, OpenOptions::default()).expect("open");
    // One write that fits: the store works on this file system.
    assert_eq!(
        store
            .record_failure("alice", &policy(), 1.0, None)
            .unwrap()
            .failures,
        1
    );
    let before_bytes = std::fs::read(&path).unwrap();
    let before = facts(&store);
    let filler = fill(fs.path());

    let state_db = fs.path().join("config.yaml.state.db");
    for (what, result) in attempt_writes(&store, true) {
        let err = result.expect_err(&format!("{what} on a full disk must fail"));
        if is_state_write(what) {
            // Sessions and failed attempts live in the state database beside the file.
            let Error::Database { location, message } = &err else {
                panic!("{what} on a full disk: expected Error::Database naming the state database, got {err:?}");
            };
            assert_eq!(location, &state_db.display().to_string(), "{what}");
            assert!(message.contains("full"), "{what}: {err}");
            continue;
        }
        let Error::Io { path: p, source } = &err else {
            panic!("{what} on a full disk: expected Error::Io naming config.yaml, got {err:?}");
        };
        assert_eq!(p, &path, "{what}: the error names the config file");
        assert!(is_disk_full(source), "{what}: {source}");
        let text = err.to_string();
        assert!(
            text.contains(&path.display().to_string()) && text.contains("No space left"),
            "{what}: the message names the file and the problem: {text}"
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before_bytes,
        "config.yaml changed on a full disk"
    );
    assert_eq!(
        facts(&store),
        before,
        "the store that failed shows what is on disk"
    );
    let reopened = DocStore::open_file(&path, OpenOptions::default())
        .expect("config.yaml still parses after failed writes");
    assert_eq!(facts(&reopened), before);
    assert_eq!(
        robust::temp_files(fs.path()),
        Vec::<String>::new(),
        "a failed write removes its temporary file"
    );

    writes_go_through_again(store, &filler, || {
        DocStore::open_file(&path, OpenOptions::default()).unwrap()
    });
}

#[test]
fn sqlite_on_a_full_disk_fails_clearly_and_changes_nothing() {
    let fs = Tmpfs::mount("4m");
    let path = fs.path().join("auth.db");
    let store = SqliteStore::open(&path).expect("create the database");
    store.import_document(&seed_document()).expect("import");
    assert_eq!(
        store
            .record_failure("alice", &policy(), 1.0, None)
            .unwrap()
            .failures,
        1
    );
    let before = facts(&store);
    let filler = fill(fs.path());

    for (what, result) in attempt_writes(&store, true) {
        let err = result.expect_err(&format!("{what} on a full disk must fail"));
        let Error::Database { location, message } = &err else {
            panic!("{what} on a full disk: expected Error::Database naming auth.db, got {err:?}");
        };
        assert_eq!(
            location,
            &path.display().to_string(),
            "{what}: the error names the database file"
        );
        assert!(
            message.contains("full"),
            "{what}: the message says the disk is full: {err}"
        );
    }
    assert_eq!(
        facts(&store),
        before,
        "nothing changed, seen by the same store"
    );
    let reopened = SqliteStore::open(&path).expect("the database still opens");
    assert_eq!(facts(&reopened), before, "nothing changed, seen afresh");
    drop(reopened);
    assert_eq!(robust::sqlite_integrity(&path), "ok");

    writes_go_through_again(store, &filler, || SqliteStore::open(&path).unwrap());
    assert_eq!(robust::sqlite_integrity(&path), "ok");
}

// ---- a lock held too long ----------------------------------------------------------

const SHORT: Duration = Duration::from_millis(300);

/// Every write of [`attempt_writes`] fails with a lock timeout naming `lock`.
/// PostgreSQL locks rows, so there only the writes to locked users
/// (`with_add` false) must wait.
fn assert_lock_timeouts(store: &dyn Store, lock: &str, what_store: &str, with_add: bool) {
    for (what, result) in attempt_writes(store, with_add) {
        let err = result.expect_err(&format!("{what_store}: {what} while locked must fail"));
        let Error::LockTimeout { path, seconds } = &err else {
            panic!("{what_store}: {what} while locked: expected Error::LockTimeout, got {err:?}");
        };
        assert!(
            path.display().to_string().contains(lock),
            "{what_store}: {what}: the error names {lock}: {err}"
        );
        assert!(*seconds >= SHORT.as_secs_f64() * 0.99, "{err}");
        let text = err.to_string();
        assert!(
            text.contains(lock) && text.contains("timed out"),
            "{what_store}: {what}: {text}"
        );
        assert!(!text.contains(support::PASSWORD), "password leaked: {text}");
    }
}

#[test]
fn yaml_lock_held_by_another_process_times_out_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, CONFIG).unwrap();
    let store = DocStore::open_file(
        &path,
        OpenOptions {
            lock_timeout: SHORT,
        },
    )
    .expect("opening needs no lock");
    // Creates the state database beside the file.
    let before = facts(&store);
    let mut file_holder = lock_holder(
        "yaml-lock",
        &dir.path().join("config.yaml.lock"),
        dir.path(),
    );
    let mut state_holder = lock_holder(
        "sqlite-begin",
        &dir.path().join("config.yaml.state.db"),
        dir.path(),
    );
    for (what, result) in attempt_writes(&store, true) {
        let err = result.expect_err(&format!("{what} while locked must fail"));
        let Error::LockTimeout { path: held, .. } = &err else {
            panic!("{what} while locked: expected Error::LockTimeout, got {err:?}");
        };
        let expected = if is_state_write(what) {
            "config.yaml.state.db"
        } else {
            "config.yaml.lock"
        };
        assert!(
            held.ends_with(expected) && err.to_string().contains("timed out"),
            "{what}: the error names {expected}: {err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        CONFIG,
        "file changed"
    );
    assert_eq!(facts(&store), before);
    assert_eq!(robust::temp_files(dir.path()), Vec::<String>::new());

    // The file's lock does not hold up logins: they write only the state.
    state_holder.close_stdin();
    state_holder.wait_success();
    assert_eq!(
        store
            .record_failure("alice", &policy(), 2.0, None)
            .unwrap()
            .failures,
        1,
        "a failed attempt is counted while another process holds the file's lock"
    );
    assert!(store
        .update_user("bob", &UserUpdate::LastName("Changed".into()), None)
        .is_err());

    file_holder.close_stdin();
    file_holder.wait_success();
    store
        .update_user("bob", &UserUpdate::LastName("Changed".into()), None)
        .expect("once the other process let go, writes go through");
}

#[test]
fn sqlite_write_lock_held_by_another_process_times_out_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    SqliteStore::open(&path)
        .unwrap()
        .import_document(&seed_document())
        .unwrap();
    let mut holder = lock_holder("sqlite-write", &path, dir.path());
    let store = SqliteStore::open_with(
        &path,
        OpenOptions {
            lock_timeout: SHORT,
        },
    )
    .expect("opening a current database needs no write lock");
    let before = facts(&store);
    assert_eq!(before.bob_last_name.as_deref(), Some("Baker"));
    assert_lock_timeouts(&store, "auth.db", "sqlite", true);
    assert_eq!(facts(&store), before);

    // The holder exits without committing: its change is gone with it.
    holder.close_stdin();
    holder.wait_success();
    assert_eq!(facts(&store), before);
    assert_eq!(
        store
            .record_failure("alice", &policy(), 2.0, None)
            .unwrap()
            .failures,
        1,
        "once the other process let go, writes go through"
    );
    assert_eq!(robust::sqlite_integrity(&path), "ok");
}

#[test]
fn postgres_row_lock_held_by_another_session_times_out_and_changes_nothing() {
    let url = support::fresh_database("held_lock");
    let options = PostgresOptions {
        lock_timeout: SHORT,
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect_with(&url, options).expect("connect");
    store.import_document(&seed_document()).unwrap();
    let before = facts(&store);
    let dbname = url.rsplit('/').next().unwrap().to_string();
    let mut client = support::server().client(&dbname);
    let mut holder = client.transaction().unwrap();
    // Another session locks both users, as a long transaction of another
    // replica would.
    holder
        .execute(
            "SELECT 1 FROM users WHERE username IN ('alice', 'bob') FOR UPDATE",
            &[],
        )
        .unwrap();
    assert_lock_timeouts(&store, &dbname, "postgres", false);
    assert_eq!(facts(&store), before);
    holder.rollback().unwrap();
    assert_eq!(
        store
            .record_failure("alice", &policy(), 2.0, None)
            .unwrap()
            .failures,
        1,
        "once the other session let go, writes go through"
    );
}

#[test]
fn postgres_connections_the_server_closed_are_replaced() {
    let url = support::fresh_database("closed_connections");
    let options = PostgresOptions {
        max_connections: 2,
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect_with(&url, options).expect("connect");
    store.import_document(&seed_document()).unwrap();
    let users = store.user_count().unwrap();
    let dbname = url.rsplit('/').next().unwrap().to_string();
    let mut admin = support::server().client("postgres");
    let terminate = |admin: &mut postgres::Client| {
        let closed: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND application_name = 'authgate') t",
                &[&dbname],
            )
            .unwrap()
            .get(0);
        assert!(closed >= 1, "no connection to close");
    };
    for round in 1..=3_u32 {
        let event = |kind: &str| AuditEvent {
            time: f64::from(round),
            kind: kind.into(),
            username: None,
            detail: Some(format!("round {round}")),
        };
        // Prepares the event's statement on the connection the next write takes.
        store.record_event(&event("warm")).unwrap();
        // As a server restart or an idle timeout would: every connection the
        // store keeps idle is closed by the server.
        terminate(&mut admin);
        std::thread::sleep(Duration::from_millis(100));
        // A write sent in one round trip, COMMIT included: it must not go out
        // on a connection the server already closed.
        store
            .record_event(&event("probe"))
            .expect("a one-flight write after the server closed the connections");
        assert_eq!(store.recent_events(1).unwrap(), vec![event("probe")]);
        terminate(&mut admin);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            store
                .user_count()
                .expect("a read after the server closed the connections"),
            users
        );
        terminate(&mut admin);
        std::thread::sleep(Duration::from_millis(100));
        let state = store
            .record_failure("alice", &policy(), f64::from(round), None)
            .expect("a write after the server closed the connections");
        assert_eq!(state.failures, round, "round {round}: counted once");
    }
}

#[test]
fn postgres_session_durability_follows_the_options_and_the_server() {
    let url = support::fresh_database("durability");
    let relaxed = PostgresStore::connect(&url).expect("connect");
    assert!(!relaxed.durable_sessions(), "relaxed by default");
    let asked = PostgresOptions {
        durable_sessions: true,
        ..PostgresOptions::default()
    };
    let durable = PostgresStore::connect_with(&url, asked).expect("connect");
    assert!(durable.durable_sessions());
    durable.import_document(&seed_document()).unwrap();
    let state = durable
        .record_failure("alice", &policy(), 1.0, None)
        .expect("a failure counted on a durable store");
    assert_eq!(state.failures, 1);

    // The URL's options, then the database's own setting.
    let with_option = format!("{url}?options=-c%20authgate.durable_sessions%3Don");
    assert!(PostgresStore::connect(&with_option)
        .unwrap()
        .durable_sessions());
    let dbname = url.rsplit('/').next().unwrap().to_string();
    let mut admin = support::server().client("postgres");
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {dbname} SET authgate.durable_sessions = 'yes'"
        ))
        .unwrap();
    assert!(PostgresStore::connect(&url).unwrap().durable_sessions());
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {dbname} SET authgate.durable_sessions = 'maybe'"
        ))
        .unwrap();
    let err = PostgresStore::connect(&url).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("authgate.durable_sessions") && m.contains("maybe")),
        "{err:?}"
    );
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {dbname} RESET authgate.durable_sessions"
        ))
        .unwrap();
    assert!(!PostgresStore::connect(&url).unwrap().durable_sessions());
}

// ---- schemas -----------------------------------------------------------------------

/// The migration scripts of `dialect` (`sqlite`, `postgres`), oldest first,
/// read from the source tree: `(version, sql)`.
fn migrations(dialect: &str) -> Vec<(i64, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("src/store/sql/{dialect}"));
    let mut found: Vec<(i64, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            (name.ends_with(".sql") && !digits.is_empty()).then(|| {
                let sql = std::fs::read_to_string(e.path()).expect("read a migration");
                (digits.parse().expect("version"), sql)
            })
        })
        .collect();
    found.sort_by_key(|(v, _)| *v);
    found
}

/// Names of the tables a migration script creates.
fn created_tables(sql: &str) -> Vec<String> {
    let mut tables = Vec::new();
    for line in sql.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        let name_at = |i: usize| -> Option<String> {
            let name = words.get(i)?.split('(').next()?;
            (!name.is_empty()).then(|| name.to_string())
        };
        match upper[..] {
            ["CREATE", "TABLE", "IF", "NOT", "EXISTS", ..] => tables.extend(name_at(5)),
            ["CREATE", "TABLE", ..] => tables.extend(name_at(2)),
            _ => {}
        }
    }
    tables
}

/// Columns a migration script adds: `(table, column)`.
fn added_columns(sql: &str) -> Vec<(String, String)> {
    let mut columns = Vec::new();
    for line in sql.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        if let ["ALTER", "TABLE", _, "ADD", "COLUMN", _, ..] = upper[..] {
            let column = words[5].trim_end_matches(';').to_string();
            columns.push((words[2].to_string(), column));
        }
    }
    columns
}

/// What the last migration of `dialect` did, checked against the version
/// the code reports: the tables it creates and the columns it adds.
fn last_migration(dialect: &str, schema_version: i64) -> (Vec<String>, Vec<(String, String)>) {
    let all = migrations(dialect);
    let versions: Vec<i64> = all.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        versions,
        (1..=schema_version).collect::<Vec<_>>(),
        "{dialect}: the migration files do not match SCHEMA_VERSION {schema_version}"
    );
    let (_, sql) = all.last().expect("at least one migration");
    let (tables, columns) = (created_tables(sql), added_columns(sql));
    let statements = sql
        .split(';')
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
        })
        .count();
    assert_eq!(
        statements,
        tables.len() + columns.len() + count_indexes(sql),
        "{dialect}: the last migration does more than create tables and indexes and add \
         columns; this test simulates the older schema by undoing those: update the test"
    );
    (tables, columns)
}

fn count_indexes(sql: &str) -> usize {
    sql.to_ascii_uppercase().matches("CREATE INDEX").count()
        + sql
            .to_ascii_uppercase()
            .matches("CREATE UNIQUE INDEX")
            .count()
}

/// Every table of a SQLite file (but `schema_version`), with its rows.
fn sqlite_contents(path: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let columns = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    (0..columns)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| format!("{v:?}"))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (t, rows)
        })
        .collect()
}

fn sqlite_versions(path: &Path) -> Vec<(i64, f64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT version, applied_at FROM schema_version ORDER BY version")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// Checks that a store over an older schema works and keeps what it is given.
fn exercise(store: &dyn Store, what: &str) {
    store
        .add_user(&new_user("newbie"), false, None)
        .unwrap_or_else(|e| panic!("{what}: add_user after the migration: {e}"));
    assert_eq!(
        store
            .record_failure("newbie", &policy(), 5.0, None)
            .unwrap()
            .failures,
        1
    );
    assert_eq!(
        store.user("NEWBIE").unwrap().and_then(|u| u.last_name),
        Some("Comer".into())
    );
}

#[test]
fn sqlite_of_an_older_schema_is_migrated_forward_keeping_rows() {
    let latest = SqliteStore::SCHEMA_VERSION;
    let (tables, columns) = last_migration("sqlite", latest);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    SqliteStore::open(&path)
        .unwrap()
        .import_document(&seed_document())
        .unwrap();
    {
        // Back to the previous version: the app's own rows, and the last
        // migration undone (its tables dropped, its version row deleted).
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE app_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
             INSERT INTO app_notes (body) VALUES ('first'), ('second'), ('third');",
        )
        .unwrap();
        for table in tables.iter().rev() {
            conn.execute_batch(&format!("DROP TABLE \"{table}\""))
                .unwrap_or_else(|e| panic!("drop {table}: {e}"));
        }
        for (table, column) in columns.iter().rev() {
            conn.execute_batch(&format!("ALTER TABLE \"{table}\" DROP COLUMN \"{column}\""))
                .unwrap_or_else(|e| panic!("drop {table}.{column}: {e}"));
        }
        conn.execute("DELETE FROM schema_version WHERE version = ?1", [latest])
            .unwrap();
    }
    let before = sqlite_contents(&path);
    let old_versions = sqlite_versions(&path);
    assert_eq!(
        old_versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (1..latest).collect::<Vec<_>>()
    );

    let store = SqliteStore::open(&path).expect("an older schema is migrated forward on open");
    let versions = sqlite_versions(&path);
    assert_eq!(
        versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (1..=latest).collect::<Vec<_>>(),
        "every migration recorded once"
    );
    assert_eq!(
        &versions[..old_versions.len()],
        &old_versions[..],
        "older migrations were not run again"
    );
    let after = sqlite_contents(&path);
    for (table, rows) in &before {
        // An added column reads as NULL in the rows that were there.
        let added = columns.iter().filter(|(t, _)| t == table).count();
        let kept: Vec<String> = after
            .get(table)
            .unwrap_or_else(|| panic!("{table} is gone"))
            .iter()
            .map(|row| {
                let mut row = row.clone();
                for _ in 0..added {
                    row = row
                        .strip_suffix(", Null]")
                        .map(|r| format!("{r}]"))
                        .unwrap_or_else(|| panic!("{table}: the added column is not NULL: {row}"));
                }
                row
            })
            .collect();
        assert_eq!(&kept, rows, "rows of {table} survive the migration");
    }
    for table in &tables {
        assert!(after.contains_key(table), "{table} was created");
    }
    exercise(&store, "sqlite");
    drop(store);
    // Opening the migrated database changes its schema no more.
    SqliteStore::open(&path).unwrap();
    assert_eq!(sqlite_versions(&path), versions);
    assert_eq!(robust::sqlite_integrity(&path), "ok");
}

/// Every table of the database (but `schema_version`), with its rows.
fn postgres_contents(client: &mut postgres::Client) -> BTreeMap<String, String> {
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename <> 'schema_version'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let rows: String = client
                .query_one(
                    &format!(
                        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') \
                         FROM \"{t}\" t"
                    ),
                    &[],
                )
                .unwrap()
                .get(0);
            (t, rows)
        })
        .collect()
}

fn postgres_versions(client: &mut postgres::Client) -> Vec<(i64, f64)> {
    client
        .query(
            "SELECT version, applied_at FROM schema_version ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Rows written as version 1 of authgate wrote them, through version 1's
/// triggers: users inserted several to a statement and one at a time, one
/// removed, and a row in every other table.
const POSTGRES_V1_ROWS: &str = "
INSERT INTO users (username, email, email_key, first_name, last_name, password_hash,
                   password_plain, roles, failed_login_attempts, logged_in, extra) VALUES
    ('alice', 'alice@example.com', 'alice@example.com', 'Alice', 'Archer',
     '$2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu', FALSE, '[\"admin\"]',
     0, FALSE, NULL),
    ('bob', 'Bob@Example.com', 'bob@example.com', 'Bob', 'Baker', 'plain', TRUE, NULL, 1,
     TRUE, '{\"department\": \"sales\"}'),
    ('carol', 'carol@example.com', 'carol@example.com', 'Carol', 'Cole', NULL, FALSE, NULL,
     NULL, NULL, NULL);
INSERT INTO users (username, email, email_key) VALUES ('dave', 'dave@example.com', 'dave@example.com');
DELETE FROM users WHERE username = 'carol';
INSERT INTO lockouts (username, failures, window_start, locked_until) VALUES ('bob', 2, 100.0, NULL);
INSERT INTO sessions (id, username, created, expires, last_seen)
    VALUES ('s-alice', 'alice', 100.0, 1e12, 150.0);
INSERT INTO pending_passwords (username, hash, expires)
    VALUES ('alice', '$2b$04$bbcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu', 1e12);
INSERT INTO revoked_before (username, revoked_at) VALUES ('carol', 90.0);
INSERT INTO preauthorized_emails (email, email_key) VALUES ('Invited@Example.com', 'invited@example.com');
INSERT INTO settings (name, value) VALUES ('cookie_name', '\"c\"'), ('my_app_setting', '\"kept\"');
INSERT INTO audit_events (occurred_at, kind, username, detail) VALUES (100.0, 'login', 'alice', NULL);
CREATE TABLE app_notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO app_notes (body) VALUES ('first'), ('second'), ('third');
";

/// A new database at schema version 1, as authgate's first release left
/// it: the first migration script (from the source tree) applied and
/// recorded the way the store does, then [`POSTGRES_V1_ROWS`]. Returns its
/// URL and a client.
fn postgres_v1_database(hint: &str) -> (String, postgres::Client) {
    let all = migrations("postgres");
    assert_eq!(
        all.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (1..=PostgresStore::SCHEMA_VERSION).collect::<Vec<_>>(),
        "postgres: the migration files do not match SCHEMA_VERSION"
    );
    let url = support::fresh_database(hint);
    let dbname = url.rsplit('/').next().unwrap().to_string();
    let mut client = support::server().client(&dbname);
    client
        .batch_execute(
            "CREATE TABLE schema_version (\
                 version    BIGINT           NOT NULL PRIMARY KEY, \
                 applied_at DOUBLE PRECISION NOT NULL)",
        )
        .unwrap();
    client.batch_execute(&all[0].1).expect("version 1 applies");
    client
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (1, 1700000000.5)",
            &[],
        )
        .unwrap();
    client
        .batch_execute(POSTGRES_V1_ROWS)
        .expect("version 1 takes its rows");
    (url, client)
}

/// `user_count` as stored, and the users there are.
fn postgres_counts(client: &mut postgres::Client) -> (i64, i64) {
    let row = client
        .query_one(
            "SELECT (SELECT n FROM user_count WHERE id = 1), (SELECT count(*) FROM users)",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// What a database's schema is made of (columns, constraints, indexes,
/// triggers, functions), leaving out the test's own `app_notes`.
fn postgres_schema(client: &mut postgres::Client) -> Vec<String> {
    let queries = [
        "SELECT format('column %s.%s %s %s %s %s', table_name, column_name, data_type, \
                is_nullable, column_default, collation_name) \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> 'app_notes'",
        "SELECT format('constraint %s %s %s', conrelid::regclass, conname, \
                pg_get_constraintdef(oid)) \
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
         AND conrelid::regclass::text NOT LIKE 'app_notes%'",
        "SELECT 'index ' || indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename <> 'app_notes'",
        "SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
        "SELECT format('function %s %s', proname, prosrc) FROM pg_proc \
         WHERE pronamespace = current_schema()::regnamespace",
    ];
    let mut schema: Vec<String> = queries
        .iter()
        .flat_map(|q| client.query(*q, &[]).unwrap())
        .map(|r| r.get(0))
        .collect();
    schema.sort();
    schema
}

/// A database of schema version 1 is brought through every later migration
/// when a store connects: every row kept, the schema as a new database's,
/// `user_count` exact before and after, and as users come and go.
#[test]
fn postgres_of_an_older_schema_is_migrated_forward_keeping_rows() {
    let latest = PostgresStore::SCHEMA_VERSION;
    let (url, mut client) = postgres_v1_database("older_schema");
    assert_eq!(postgres_counts(&mut client), (3, 3), "version 1 counts");
    let before = postgres_contents(&mut client);
    let old_versions = postgres_versions(&mut client);
    assert_eq!(
        old_versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        [1]
    );

    let store = PostgresStore::connect(&url).expect("an older schema is migrated forward on open");
    let versions = postgres_versions(&mut client);
    assert_eq!(
        versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (1..=latest).collect::<Vec<_>>(),
        "every migration recorded once"
    );
    assert_eq!(
        &versions[..old_versions.len()],
        &old_versions[..],
        "older migrations were not run again"
    );
    let after = postgres_contents(&mut client);
    let added: Vec<(String, String)> = migrations("postgres")
        .iter()
        .skip(1)
        .flat_map(|(_, sql)| added_columns(sql))
        .collect();
    for (table, rows) in &before {
        // A column added since version 1 reads as NULL in the rows that
        // were there (an empty field in the row's text).
        let count = added.iter().filter(|(t, _)| t == table).count();
        let kept = after.get(table).map(|text| {
            text.lines()
                .map(|row| {
                    let mut row = row.to_string();
                    for _ in 0..count {
                        row = row
                            .strip_suffix(",)")
                            .map(|r| format!("{r})"))
                            .unwrap_or_else(|| {
                                panic!("{table}: the added column is not NULL: {row}")
                            });
                    }
                    row
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
        assert_eq!(
            kept.as_ref(),
            Some(rows),
            "rows of {table} survive the migration"
        );
    }

    // The migrated schema is the one a new database gets.
    let fresh_url = support::fresh_database("fresh_schema");
    PostgresStore::connect(&fresh_url).unwrap();
    let fresh_db = fresh_url.rsplit('/').next().unwrap().to_string();
    let mut fresh = support::server().client(&fresh_db);
    assert_eq!(
        postgres_schema(&mut client),
        postgres_schema(&mut fresh),
        "a migrated schema matches a new one"
    );
    // Counting users per row made importing n users in one transaction
    // take O(n²) time; the count is kept per statement.
    let row_level: Vec<String> = client
        .query(
            "SELECT tgname::text FROM pg_trigger \
             WHERE tgrelid = 'users'::regclass AND NOT tgisinternal AND tgtype & 1 = 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        row_level.is_empty(),
        "row-level triggers on users: {row_level:?}"
    );

    assert_eq!(store.user_count().unwrap(), 3);
    assert_eq!(
        store.user("bob").unwrap().and_then(|u| u.first_name),
        Some("Bob".into())
    );
    assert_eq!(store.lock_state("bob").unwrap().failures, 2);
    assert!(store.session("s-alice").unwrap().is_some());
    assert_eq!(store.settings().unwrap().cookie_name, Some("c".into()));
    exercise(&store, "postgres");
    assert_eq!(store.user_count().unwrap(), 4);
    assert_eq!(postgres_counts(&mut client), (4, 4));
    assert!(store.remove_user("alice").unwrap(), "alice is removed");
    assert!(
        !store.remove_user("carol").unwrap(),
        "carol was removed in v1"
    );
    assert_eq!(store.user_count().unwrap(), 3);
    assert_eq!(postgres_counts(&mut client), (3, 3));
    drop(store);
    PostgresStore::connect(&url).unwrap();
    assert_eq!(postgres_versions(&mut client), versions);
}

/// Migrating counts the users afresh: a count that had drifted in an older
/// database (rows removed with `TRUNCATE`, which fires no row trigger, or by
/// hand with the trigger disabled) is exact afterwards.
#[test]
fn postgres_migration_recounts_users() {
    let (url, mut client) = postgres_v1_database("recount");
    client
        .batch_execute("UPDATE user_count SET n = 42 WHERE id = 1")
        .unwrap();
    assert_eq!(postgres_counts(&mut client), (42, 3));
    let store = PostgresStore::connect(&url).unwrap();
    assert_eq!(store.user_count().unwrap(), 3);
    assert_eq!(postgres_counts(&mut client), (3, 3));
}

#[test]
fn sqlite_with_a_clashing_users_table_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE);
             INSERT INTO users (login) VALUES ('ann'), ('ben');",
        )
        .unwrap();
    }
    let before = sqlite_contents(&path);
    let err = SqliteStore::open(&path).expect_err("a clashing users table is refused");
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Database { location, .. } if location == &path.display().to_string()),
        "{err:?}"
    );
    assert!(
        text.contains("users") && text.contains("already exists"),
        "the message names the clash: {text}"
    );
    assert_eq!(
        sqlite_contents(&path),
        before,
        "the app's table is untouched"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let leftovers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leftovers, 0, "the failed migration left nothing behind");
}

#[test]
fn postgres_with_a_clashing_users_table_is_refused_untouched() {
    let url = support::fresh_database("clashing_users");
    let dbname = url.rsplit('/').next().unwrap().to_string();
    let mut client = support::server().client(&dbname);
    client
        .batch_execute(
            "CREATE TABLE users (id SERIAL PRIMARY KEY, login TEXT NOT NULL UNIQUE);
             INSERT INTO users (login) VALUES ('ann'), ('ben');",
        )
        .unwrap();
    let before = postgres_contents(&mut client);
    let err = PostgresStore::connect(&url).expect_err("a clashing users table is refused");
    let text = err.to_string();
    assert!(!text.contains(support::PASSWORD), "password leaked: {text}");
    assert!(
        matches!(&err, Error::Database { location, .. } if location.contains(&dbname)),
        "{err:?}"
    );
    assert!(
        text.contains("users") && text.contains("already exists"),
        "the message names the clash: {text}"
    );
    assert_eq!(
        postgres_contents(&mut client),
        before,
        "the app's table is untouched"
    );
    let leftover: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!leftover, "the failed migration left nothing behind");
}
