//! Many processes writing one store at once lose no update, for every store:
//! a `config.yaml` file, a SQLite file and a PostgreSQL database.
//!
//! [`WRITERS`] child processes (this test binary re-run, selected by
//! [`CHILD_ENV`]) start together and each runs a fixed number of steps of
//! this mix against its own store handle:
//!
//! 1. register a user of its own (`c3_u7`);
//! 2. count a failed login of the user every writer shares (`shared`);
//! 3. count a failed login of its own user (`c3`);
//! 4. log the new user in (`open_session`, under a `max_concurrent_users`
//!    limit no writer can reach) and out again (`close_session`);
//! 5. set its own user's last name to a value naming the writer and step.
//!
//! After each operation returns `Ok`, the child appends a line to its own
//! acknowledgement log and fsyncs it. The parent then checks, from the logs
//! alone: every acknowledged user exists; every failure count is exactly the
//! number of acknowledged failures, and the counts returned to the writers of
//! the shared user are exactly 1..=N (each failure saw its own predecessor);
//! each last name is the last acknowledged one; every closed session is gone,
//! its user logged out and its old tokens revoked; no session is left.

use std::path::Path;

use crate::robust::{self, AckLog, ChildProc, Kind, HASH};
use crate::support;
use authgate::lockout::LockoutPolicy;
use authgate::session::Session;
use authgate::store::document::{Document, Layout};
use authgate::store::{
    DocStore, NewUser, OpenOptions, PostgresStore, SessionLimits, SqliteStore, UserUpdate,
};
use authgate::yaml::{self, Value};

/// Child processes writing at once.
const WRITERS: usize = 8;

/// Selects the child role and carries its spec.
const CHILD_ENV: &str = "AUTHGATE_MANY_WRITERS_CHILD";

/// Operations per step (see the module docs).
const OPS_PER_STEP: usize = 6;

/// The user every writer counts failures of.
const SHARED: &str = "shared";

/// The time of step 0; step `j` happens at `BASE + j`.
const BASE: f64 = 1_700_000_000.0;

/// Seconds without activity after which a session is not live.
const IDLE: f64 = 1800.0;

/// Counts failures forever: no lock, a window longer than the test.
fn policy() -> LockoutPolicy {
    LockoutPolicy {
        max_attempts: None,
        window_seconds: 1e12,
        cooldown_seconds: 0.0,
    }
}

/// A limit every writer passes (each holds at most one live session), so that
/// opening takes the limit-checking path and must never refuse.
fn limits() -> SessionLimits {
    SessionLimits {
        max_concurrent_users: Some(u32::try_from(WRITERS).expect("few writers")),
        single_session: true,
        idle_timeout: IDLE,
    }
}

fn own_user(index: usize) -> String {
    format!("c{index}")
}

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.to_string(),
        email: format!("{username}@example.com"),
        first_name: "First".into(),
        last_name: "Last".into(),
        password_hash: Some(HASH.into()),
        roles: None,
        password_hint: None,
        awaiting_verification: false,
    }
}

/// The config every store starts from: the shared user and one per writer.
fn seed_config() -> String {
    let mut text = String::from(
        "cookie:\n  expiry_days: 30\n  key: signing-key\n  name: c\ncredentials:\n  usernames:\n",
    );
    let users = std::iter::once(SHARED.to_string()).chain((0..WRITERS).map(own_user));
    for user in users {
        text.push_str(&format!(
            "    {user}:\n      email: {user}@example.com\n      failed_login_attempts: 0\n      \
             first_name: First\n      last_name: Initial\n      logged_in: false\n      \
             password: {HASH}\n"
        ));
    }
    text.push_str("my_app_setting: kept\n");
    text
}

fn seed_document() -> Document {
    let path = Path::new("config.yaml");
    let value = yaml::parse(&seed_config(), path).expect("the seed config parses");
    Document::from_value(value, Layout::Config, path).expect("the seed config is valid")
}

// ---- the child ---------------------------------------------------------------------

/// Entry point of a child writer, spawned by the writer races.
#[test]
#[ignore = "a child process, spawned by the writer races"]
fn writer_child() {
    let spec = robust::child_spec(CHILD_ENV);
    let parts: Vec<&str> = spec.split('|').collect();
    let [kind, index, location, ack_path, steps] = parts[..] else {
        panic!("bad child spec {spec:?}");
    };
    let kind = Kind::parse(kind);
    let index: usize = index.parse().expect("writer index");
    let steps: usize = steps.parse().expect("step count");
    let store = robust::open_store(kind, location)
        .unwrap_or_else(|e| panic!("writer {index}: open {location}: {e}"));
    let mut acks = AckLog::create(Path::new(ack_path));
    robust::announce_ready();
    robust::wait_for_go();
    let me = own_user(index);
    let fail = |what: &str, j: usize, e: authgate::Error| -> ! {
        panic!("writer {me} ({}) step {j}: {what} failed: {e}", kind.name())
    };
    for j in 0..steps {
        #[allow(clippy::cast_precision_loss)]
        let now = BASE + j as f64;
        let user = format!("{me}_u{j}");
        store
            .add_user(&new_user(&user), false, None)
            .unwrap_or_else(|e| fail("add_user", j, e));
        acks.ack(&format!("add {user}"));
        let state = store
            .record_failure(SHARED, &policy(), now, None)
            .unwrap_or_else(|e| fail("record_failure(shared)", j, e));
        acks.ack(&format!("fail-shared {}", state.failures));
        let state = store
            .record_failure(&me, &policy(), now, None)
            .unwrap_or_else(|e| fail("record_failure(own)", j, e));
        acks.ack(&format!("fail-own {}", state.failures));
        let sid = format!("{me}-s{j}");
        let session = Session {
            id: sid.clone(),
            username: user.clone(),
            created: now,
            expires: now + 1e6,
            last_seen: now,
            credential: None,
            user_agent: None,
        };
        store
            .open_session(&session, &limits(), now, None)
            .unwrap_or_else(|e| fail("open_session", j, e));
        acks.ack(&format!("open {sid}"));
        let closed = store
            .close_session(&sid, now, IDLE, None)
            .unwrap_or_else(|e| fail("close_session", j, e));
        let closed = closed.map_or_else(|| "-".to_string(), |s| s.id);
        acks.ack(&format!("close {sid} {user} {now} {closed}"));
        let value = format!("{me}-step{j}");
        store
            .update_user(&me, &UserUpdate::LastName(value.clone()), None)
            .unwrap_or_else(|e| fail("update_user", j, e));
        acks.ack(&format!("last {value}"));
    }
}

// ---- the parent --------------------------------------------------------------------

/// Runs [`WRITERS`] children of `steps` steps each on a fresh store of `kind`
/// and checks what they acknowledged.
fn many_writers(kind: Kind, steps: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = match kind {
        Kind::Yaml => {
            let path = dir.path().join("config.yaml");
            std::fs::write(&path, seed_config()).expect("write the config");
            path.display().to_string()
        }
        Kind::Sqlite => {
            let path = dir.path().join("auth.db");
            let store = SqliteStore::open(&path).expect("create the SQLite store");
            store.import_document(&seed_document()).expect("import");
            path.display().to_string()
        }
        Kind::Postgres => {
            let url = support::fresh_database("many_writers");
            let store = PostgresStore::connect(&url).expect("connect to PostgreSQL");
            store.import_document(&seed_document()).expect("import");
            url
        }
    };
    let ack_path = |i: usize| dir.path().join(format!("acks-{i}.log"));
    let mut children: Vec<ChildProc> = (0..WRITERS)
        .map(|i| {
            let spec = format!(
                "{}|{i}|{location}|{}|{steps}",
                kind.name(),
                ack_path(i).display()
            );
            ChildProc::spawn(
                &robust::test_name(module_path!(), "writer_child"),
                CHILD_ENV,
                &spec,
                &dir.path().join(format!("stderr-{i}.txt")),
                &format!("{} writer {i}", kind.name()),
            )
        })
        .collect();
    // Every child has its store open before any starts writing.
    for child in &mut children {
        child.wait_ready();
    }
    for child in &mut children {
        child.go();
    }
    for child in &mut children {
        child.wait_success();
    }
    let acks: Vec<Vec<String>> = (0..WRITERS)
        .map(|i| robust::read_acks(&ack_path(i)))
        .collect();
    check(kind, &location, &acks, steps);
    if kind == Kind::Yaml {
        let leftovers = robust::temp_files(dir.path());
        assert!(
            leftovers.is_empty(),
            "temporary files left by writers that all finished: {leftovers:?}"
        );
    }
}

/// Checks the store against the acknowledgement logs.
fn check(kind: Kind, location: &str, acks: &[Vec<String>], steps: usize) {
    let k = kind.name();
    // A fresh handle: for the YAML store this parses the file again.
    let store = robust::open_store(kind, location)
        .unwrap_or_else(|e| panic!("{k}: the store no longer opens after the writers: {e}"));
    let store = store.as_ref();
    let mut shared_counts: Vec<u32> = Vec::new();
    let mut registered = 0usize;
    for (i, lines) in acks.iter().enumerate() {
        let me = own_user(i);
        // Every child exited successfully, so every operation was acknowledged.
        assert_eq!(
            lines.len(),
            steps * OPS_PER_STEP,
            "{k}: writer {me} acknowledged {} operations, expected {}",
            lines.len(),
            steps * OPS_PER_STEP
        );
        let mut own_counts: Vec<u32> = Vec::new();
        let mut last_name: Option<String> = None;
        let mut open: Vec<String> = Vec::new();
        for line in lines {
            let words: Vec<&str> = line.split(' ').collect();
            match words[..] {
                ["add", user] => {
                    registered += 1;
                    let found = store.user(user).expect("read a user");
                    let found = found.unwrap_or_else(|| {
                        panic!("{k}: acknowledged registration of {user} is lost")
                    });
                    assert_eq!(
                        found.email.as_deref(),
                        Some(format!("{user}@example.com").as_str()),
                        "{k}: {user}'s email"
                    );
                    assert_eq!(
                        store.user_by_email(&format!("{user}@EXAMPLE.com")).unwrap(),
                        Some(found),
                        "{k}: {user} is found by email"
                    );
                }
                ["fail-shared", n] => shared_counts.push(n.parse().expect("count")),
                ["fail-own", n] => own_counts.push(n.parse().expect("count")),
                ["open", sid] => open.push(sid.to_string()),
                ["close", sid, user, now, closed] => {
                    assert_eq!(
                        closed, sid,
                        "{k}: close_session({sid}) right after opening it did not find it"
                    );
                    assert_eq!(open.pop().as_deref(), Some(sid), "{k}: ack order");
                    assert_eq!(
                        store.session(sid).unwrap(),
                        None,
                        "{k}: closed session {sid} is back"
                    );
                    let now: f64 = now.parse().expect("time");
                    assert_eq!(
                        store.revoked_before(user).unwrap(),
                        Some(now),
                        "{k}: logging out {user} revoked its older tokens"
                    );
                    let record = store.user_record(user).unwrap().expect("record");
                    assert_eq!(
                        record.as_map().and_then(|m| m.get("logged_in")),
                        Some(&Value::Bool(false)),
                        "{k}: {user} logged out"
                    );
                }
                ["last", value] => last_name = Some(value.to_string()),
                _ => panic!("{k}: writer {me} wrote an unknown ack {line:?}"),
            }
        }
        assert!(open.is_empty(), "{k}: sessions opened but not closed");
        // Only this writer counts its own user's failures: 1, 2, 3, … in order.
        let expected: Vec<u32> = (1..=u32::try_from(steps).unwrap()).collect();
        assert_eq!(
            own_counts, expected,
            "{k}: counts returned to {me} for its own failures"
        );
        let failures = store.lock_state(&me).unwrap().failures;
        assert_eq!(
            failures as usize,
            own_counts.len(),
            "{k}: {me}'s failure count is exactly its acknowledged failures"
        );
        let record = store.user_record(&me).unwrap().expect("own user");
        // A config file keeps the count in the state database beside it and
        // leaves the field as the file had it.
        let field = if kind == Kind::Yaml {
            0
        } else {
            i64::from(failures)
        };
        assert_eq!(
            record.as_map().and_then(|m| m.get("failed_login_attempts")),
            Some(&Value::Int(field)),
            "{k}: {me}'s failed_login_attempts field"
        );
        let user = store.user(&me).unwrap().expect("own user");
        assert_eq!(
            user.last_name, last_name,
            "{k}: {me}'s last name is the last acknowledged one"
        );
    }
    let total = shared_counts.len();
    assert_eq!(total, WRITERS * steps, "{k}: shared failures acknowledged");
    assert_eq!(
        store.lock_state(SHARED).unwrap().failures as usize,
        total,
        "{k}: the shared user's failure count is exactly the acknowledged failures"
    );
    // Each failure of the shared user was counted on top of all earlier ones:
    // the counts returned are 1..=N, each once.
    shared_counts.sort_unstable();
    let expected: Vec<u32> = (1..=u32::try_from(total).unwrap()).collect();
    assert_eq!(
        shared_counts, expected,
        "{k}: two writers saw the same failure count of the shared user (a lost update)"
    );
    assert_eq!(
        store.user_count().unwrap(),
        1 + WRITERS + registered,
        "{k}: user count is the seeded users plus the acknowledged registrations"
    );
    let listed = store.list_users(0, 1_000_000).unwrap();
    assert_eq!(listed.len(), 1 + WRITERS + registered, "{k}: users listed");
    let sessions = robust::session_ids(kind, location);
    assert!(
        sessions.is_empty(),
        "{k}: sessions left after every login was logged out: {sessions:?}"
    );
    if kind == Kind::Yaml {
        let doc = DocStore::open_file(Path::new(location), OpenOptions::default()).unwrap();
        assert_eq!(
            doc.read(|d| d.setting("my_app_setting").cloned()).unwrap(),
            Some(Value::Str("kept".into())),
            "yaml: unknown top-level keys survive every rewrite"
        );
    }
}

#[test]
fn yaml_file_writers_lose_nothing() {
    // The whole file is rewritten per operation: keep it small.
    many_writers(Kind::Yaml, 15);
}

#[test]
fn sqlite_writers_lose_nothing() {
    many_writers(Kind::Sqlite, 50);
}

#[test]
fn postgres_writers_lose_nothing() {
    many_writers(Kind::Postgres, 50);
}
