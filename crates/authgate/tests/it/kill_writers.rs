//! A writer killed with SIGKILL at any moment loses no acknowledged change
//! and leaves a store that opens: a `config.yaml` file, a SQLite file and a
//! PostgreSQL database.
//!
//! Each round starts a child process (this test binary re-run, selected by
//! [`CHILD_ENV`]) that opens the store and runs a stream of operations
//! ([`op`]: register, count a failure, change a last name, log in, log out),
//! appending and fsyncing one acknowledgement line after each returns `Ok`;
//! it says it is ready once the first is acknowledged. After a delay drawn
//! from a seeded generator (1–40 ms) the parent kills it with SIGKILL and
//! checks the store, opened afresh (for the YAML file: parsed again):
//!
//! - its whole observable state equals the state the acknowledged operations
//!   produce, **or** that state plus the one operation in flight when the
//!   kill came — nothing else, so no acknowledged change is lost, none is
//!   half-applied, and nothing unacknowledged beyond the one in flight appears;
//! - the config file holds no more than one leftover temporary file (what one
//!   interrupted write can leave): temporary files must not pile up;
//! - the SQLite file passes `PRAGMA integrity_check`.
//!
//! The next round continues from that state with the next operation. The
//! delays are reproducible from the seed; where each kill lands is not (it
//! depends on the machine), which is the point: every outcome is checked.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::robust::{self, AckLog, ChildProc, Kind, Rng, HASH};
use crate::support;
use authgate::lockout::LockoutPolicy;
use authgate::session::Session;
use authgate::store::document::{Document, Layout};
use authgate::store::{
    DocStore, NewUser, OpenOptions, PostgresStore, SessionLimits, SqliteStore, Store, UserUpdate,
};
use authgate::yaml::{self, Value};

/// Selects the child role and carries its spec.
const CHILD_ENV: &str = "AUTHGATE_KILL_WRITERS_CHILD";

/// The user whose failures are counted and whose last name changes.
const TARGET: &str = "target";

/// The user who logs in and out.
const WALKER: &str = "walker";

/// Operation `s` happens at `BASE + SPACING * s`.
const BASE: f64 = 1_700_000_000.0;
const SPACING: f64 = 10.0;

/// Shorter than [`SPACING`]: a session left open by a kill is no longer live
/// when the next one closes, so logging out always marks the walker out.
const IDLE: f64 = 5.0;

/// A child that is never killed stops after this many operations.
const MAX_OPS_PER_CHILD: u64 = 20_000;

/// Kill delays, in milliseconds after the child is ready.
const DELAY_MS: (u64, u64) = (1, 40);

/// The `application_name` of the children's PostgreSQL connections, so that
/// the parent can wait until the server has seen them go.
const PG_CHILD_APP: &str = "authgate_kill_child";

fn now_of(step: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let s = step as f64;
    BASE + SPACING * s
}

fn policy() -> LockoutPolicy {
    LockoutPolicy {
        max_attempts: None,
        window_seconds: 1e12,
        cooldown_seconds: 0.0,
    }
}

fn limits() -> SessionLimits {
    SessionLimits {
        max_concurrent_users: None,
        single_session: false,
        idle_timeout: IDLE,
    }
}

/// What operation `step` of the stream is.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// Register user `u{step}`.
    Add(String),
    /// Count a failed login of [`TARGET`].
    Fail,
    /// Set [`TARGET`]'s last name to `v{step}`.
    Last(String),
    /// Log [`WALKER`] in with session `s{step}`.
    Open(String),
    /// Log out session `s{step - 1}`.
    Close(String),
}

fn op(step: u64) -> Op {
    match step % 5 {
        0 => Op::Add(format!("u{step}")),
        1 => Op::Fail,
        2 => Op::Last(format!("v{step}")),
        3 => Op::Open(format!("s{step}")),
        _ => Op::Close(format!("s{}", step - 1)),
    }
}

const SEED_CONFIG: &str = "\
cookie:
  expiry_days: 30
  key: signing-key
  name: c
credentials:
  usernames:
    target:
      email: target@example.com
      failed_login_attempts: 0
      first_name: Tara
      last_name: Initial
      logged_in: false
      password: $2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu
    walker:
      email: walker@example.com
      failed_login_attempts: 0
      first_name: Walt
      last_name: Walker
      logged_in: false
      password: $2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu
my_app_setting: kept
";

// ---- the child ---------------------------------------------------------------------

/// Entry point of a child writer, spawned by the kill rounds.
#[test]
#[ignore = "a child process, spawned by the kill rounds"]
fn writer_child() {
    let spec = robust::child_spec(CHILD_ENV);
    let parts: Vec<&str> = spec.split('|').collect();
    let [kind, location, ack_path, start] = parts[..] else {
        panic!("bad child spec {spec:?}");
    };
    let kind = Kind::parse(kind);
    let start: u64 = start.parse().expect("first step");
    let store = robust::open_store(kind, location)
        .unwrap_or_else(|e| panic!("{}: open {location}: {e}", kind.name()));
    let mut acks = AckLog::create(Path::new(ack_path));
    for step in start..start + MAX_OPS_PER_CHILD {
        let now = now_of(step);
        let fail = |e: authgate::Error| -> ! {
            panic!("{} step {step} ({:?}) failed: {e}", kind.name(), op(step))
        };
        let ack = match op(step) {
            Op::Add(user) => {
                let new = NewUser {
                    email: format!("{user}@example.com"),
                    username: user,
                    first_name: "First".into(),
                    last_name: "Last".into(),
                    password_hash: Some(HASH.into()),
                    roles: None,
                    password_hint: None,
                    awaiting_verification: false,
                };
                store
                    .add_user(&new, false, None)
                    .unwrap_or_else(|e| fail(e));
                format!("{step}")
            }
            Op::Fail => {
                let state = store
                    .record_failure(TARGET, &policy(), now, None)
                    .unwrap_or_else(|e| fail(e));
                format!("{step} {}", state.failures)
            }
            Op::Last(value) => {
                store
                    .update_user(TARGET, &UserUpdate::LastName(value), None)
                    .unwrap_or_else(|e| fail(e));
                format!("{step}")
            }
            Op::Open(sid) => {
                let session = Session {
                    id: sid,
                    username: WALKER.into(),
                    created: now,
                    expires: now + 1e9,
                    last_seen: now,
                    credential: None,
                    user_agent: None,
                };
                store
                    .open_session(&session, &limits(), now, None)
                    .unwrap_or_else(|e| fail(e));
                format!("{step}")
            }
            Op::Close(sid) => {
                let closed = store
                    .close_session(&sid, now, IDLE, None)
                    .unwrap_or_else(|e| fail(e));
                format!("{step} {}", closed.is_some())
            }
        };
        acks.ack(&ack);
        if step == start {
            // Ready once one operation is done: every round kills a writer
            // that is in its stream of writes, however slow the machine.
            robust::announce_ready();
        }
    }
}

// ---- what a store holds ------------------------------------------------------------

/// Everything the stream of operations can change.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    users: BTreeSet<String>,
    /// [`TARGET`]'s lock state.
    failures: u32,
    /// [`TARGET`]'s `failed_login_attempts` field.
    failures_field: Option<i64>,
    last_name: Option<String>,
    sessions: BTreeSet<String>,
    /// [`WALKER`]'s `logged_in` field.
    walker_logged_in: Option<bool>,
    /// Whether the two fields above follow the state. A config file keeps
    /// its state in the state database beside it and leaves them as they are.
    fields_follow_state: bool,
}

impl Snapshot {
    fn initial(kind: Kind) -> Self {
        Snapshot {
            fields_follow_state: kind != Kind::Yaml,
            users: [TARGET, WALKER].iter().map(|u| (*u).to_string()).collect(),
            failures: 0,
            failures_field: Some(0),
            last_name: Some("Initial".into()),
            sessions: BTreeSet::new(),
            walker_logged_in: Some(false),
        }
    }

    /// The state after operation `step` succeeded.
    fn apply(&mut self, step: u64) {
        match op(step) {
            Op::Add(user) => {
                self.users.insert(user);
            }
            Op::Fail => {
                self.failures += 1;
                if self.fields_follow_state {
                    self.failures_field = Some(i64::from(self.failures));
                }
            }
            Op::Last(value) => self.last_name = Some(value),
            Op::Open(sid) => {
                self.sessions.insert(sid);
                if self.fields_follow_state {
                    self.walker_logged_in = Some(true);
                }
            }
            Op::Close(sid) => {
                // Closing a session that is not there changes nothing.
                if self.sessions.remove(&sid) && self.fields_follow_state {
                    self.walker_logged_in = Some(false);
                }
            }
        }
    }
}

/// What the store at `location` holds, through a newly opened store.
fn observe(kind: Kind, location: &str, when: &str) -> Snapshot {
    let store = robust::open_store(kind, location)
        .unwrap_or_else(|e| panic!("{} {when}: the store does not open: {e}", kind.name()));
    let store: &dyn Store = store.as_ref();
    let users: BTreeSet<String> = store
        .list_users(0, 1_000_000)
        .expect("list users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        store.user_count().expect("count users"),
        users.len(),
        "{} {when}: user_count disagrees with list_users",
        kind.name()
    );
    let field = |user: &str, key: &str| {
        store
            .user_record(user)
            .expect("read a record")
            .and_then(|r| r.as_map().and_then(|m| m.get(key)).cloned())
    };
    Snapshot {
        fields_follow_state: kind != Kind::Yaml,
        failures: store.lock_state(TARGET).expect("lock state").failures,
        failures_field: field(TARGET, "failed_login_attempts").and_then(|v| v.as_i64()),
        last_name: store
            .user(TARGET)
            .expect("read target")
            .and_then(|u| u.last_name),
        sessions: robust::session_ids(kind, location),
        walker_logged_in: match field(WALKER, "logged_in") {
            Some(Value::Bool(b)) => Some(b),
            _ => None,
        },
        users,
    }
}

/// Waits until the server has closed the killed child's connection, so that
/// a COMMIT it sent before dying cannot land after the parent looked.
fn wait_until_children_disconnected(admin: &mut postgres::Client) {
    for _ in 0..6000 {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&PG_CHILD_APP],
            )
            .expect("query pg_stat_activity")
            .get(0);
        if n == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the server still has the killed writer's connection after 30 s");
}

// ---- the parent --------------------------------------------------------------------

fn seed_document() -> Document {
    let path = Path::new("config.yaml");
    let value = yaml::parse(SEED_CONFIG, path).expect("the seed config parses");
    Document::from_value(value, Layout::Config, path).expect("the seed config is valid")
}

/// `rounds` rounds of start, kill, check on a fresh store of `kind`.
fn kill_writers(kind: Kind, rounds: usize, seed: u64) {
    let k = kind.name();
    let dir = tempfile::tempdir().expect("temp dir");
    let store_dir = dir.path().join("store");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&store_dir).expect("create the store directory");
    std::fs::create_dir(&logs).expect("create the log directory");
    let (location, child_location) = match kind {
        Kind::Yaml => {
            let path = store_dir.join("config.yaml");
            std::fs::write(&path, SEED_CONFIG).expect("write the config");
            let p = path.display().to_string();
            (p.clone(), p)
        }
        Kind::Sqlite => {
            let path = store_dir.join("auth.db");
            let store = SqliteStore::open(&path).expect("create the SQLite store");
            store.import_document(&seed_document()).expect("import");
            let p = path.display().to_string();
            (p.clone(), p)
        }
        Kind::Postgres => {
            let url = support::fresh_database("kill_writers");
            let store = PostgresStore::connect(&url).expect("connect to PostgreSQL");
            store.import_document(&seed_document()).expect("import");
            let child = format!("{url}?application_name={PG_CHILD_APP}");
            (url, child)
        }
    };
    let mut admin = (kind == Kind::Postgres).then(|| {
        postgres::Client::connect(&location, postgres::NoTls).expect("connect to PostgreSQL")
    });
    let mut model = Snapshot::initial(kind);
    assert_eq!(observe(kind, &location, "at the start"), model);
    let mut rng = Rng::new(seed);
    let mut start = 0u64;
    let (mut acked_total, mut in_flight_landed, mut mid_write) = (0usize, 0usize, 0usize);
    for round in 0..rounds {
        let delay = rng.between(DELAY_MS.0, DELAY_MS.1);
        let context = format!("round {round} (seed {seed:#x}, kill after {delay} ms)");
        let ack_path = logs.join(format!("acks-{round}.log"));
        let mut child = ChildProc::spawn(
            &robust::test_name(module_path!(), "writer_child"),
            CHILD_ENV,
            &format!("{k}|{child_location}|{}|{start}", ack_path.display()),
            &logs.join(format!("stderr-{round}.txt")),
            &format!("{k} writer, {context}"),
        );
        child.wait_ready();
        std::thread::sleep(Duration::from_millis(delay));
        let status = child.kill();
        if status.code().is_some() {
            // It ended by itself before the kill: only a clean finish is fine.
            assert!(
                status.success(),
                "{k} {context}: the writer failed ({status}) before it was killed:\n{}",
                child.stderr()
            );
        }
        if let Some(admin) = admin.as_mut() {
            wait_until_children_disconnected(admin);
        }

        // What the child acknowledged: consecutive steps from `start`.
        let acks = robust::read_acks(&ack_path);
        for (n, line) in acks.iter().enumerate() {
            let words: Vec<&str> = line.split(' ').collect();
            let step: u64 = words[0].parse().expect("ack step");
            assert_eq!(
                step,
                start + n as u64,
                "{k} {context}: acks out of order: {acks:?}"
            );
            let before = model.clone();
            model.apply(step);
            match (op(step), &words[1..]) {
                (Op::Fail, [count]) => assert_eq!(
                    count.parse::<u32>().ok(),
                    Some(model.failures),
                    "{k} {context}: step {step} counted failure {count}, expected {} \
                     (one per acknowledged failure)",
                    model.failures
                ),
                (Op::Close(sid), [found]) => assert_eq!(
                    *found == "true",
                    before.sessions.contains(&sid),
                    "{k} {context}: close_session({sid}) at step {step} found={found}, \
                     but the session {} there",
                    if before.sessions.contains(&sid) {
                        "was"
                    } else {
                        "was not"
                    }
                ),
                (Op::Fail | Op::Close(_), _) => panic!("{k} {context}: bad ack {line:?}"),
                (_, []) => {}
                (_, _) => panic!("{k} {context}: bad ack {line:?}"),
            }
        }
        acked_total += acks.len();
        let in_flight = start + acks.len() as u64;
        let mut landed = model.clone();
        landed.apply(in_flight);

        let observed = observe(kind, &location, &format!("after the kill of {context}"));
        if observed == model {
            // The operation in flight did not happen (or changed nothing).
        } else if observed == landed {
            // It happened, but the writer died before acknowledging it.
            model = landed;
            in_flight_landed += 1;
        } else {
            panic!(
                "{k} {context}: after {} acknowledged operations (steps {start}..{in_flight}), \
                 the store holds neither the acknowledged state nor that state plus the \
                 operation in flight (step {in_flight}: {:?}).\n\
                 acknowledged:   {model:?}\nplus in flight: {landed:?}\nobserved:       {observed:?}",
                acks.len(),
                op(in_flight),
            );
        }
        match kind {
            Kind::Yaml => {
                let leftovers = robust::temp_files(&store_dir);
                mid_write += usize::from(!leftovers.is_empty());
                assert!(
                    leftovers.len() <= 1,
                    "yaml {context}: temporary files pile up beside config.yaml: one \
                     interrupted write leaves at most one, and the next write must remove \
                     it; found {}: {leftovers:?}",
                    leftovers.len()
                );
                let kept = DocStore::open_file(Path::new(&location), OpenOptions::default())
                    .expect("open")
                    .read(|d| d.setting("my_app_setting").cloned())
                    .expect("read");
                assert_eq!(
                    kept,
                    Some(Value::Str("kept".into())),
                    "yaml {context}: unknown keys survive"
                );
            }
            Kind::Sqlite => {
                let integrity = robust::sqlite_integrity(Path::new(&location));
                assert_eq!(integrity, "ok", "sqlite {context}: integrity_check");
            }
            Kind::Postgres => {}
        }
        start = in_flight + 1;
    }
    eprintln!(
        "{k}: {rounds} kills, {acked_total} acknowledged operations, {in_flight_landed} \
         operations landed unacknowledged, {mid_write} kills left a temporary file (YAML: \
         killed mid-write)"
    );
    assert!(
        acked_total >= rounds,
        "{k}: each writer acknowledges an operation before it is killed"
    );

    // Writes after the last kill succeed, and (YAML) the first rewrite of
    // the file clears what a killed write left behind.
    let store = robust::open_store(kind, &location).expect("open after the kills");
    let state = store
        .record_failure(TARGET, &policy(), now_of(start), None)
        .expect("a write after the kills");
    model.failures += 1;
    if model.fields_follow_state {
        model.failures_field = Some(i64::from(model.failures));
    }
    assert_eq!(state.failures, model.failures, "{k}: the count goes on");
    // A config file keeps failures in its state database; a change of a
    // user's details is what rewrites the file itself.
    store
        .update_user(TARGET, &UserUpdate::LastName("after".into()), None)
        .expect("an update after the kills");
    model.last_name = Some("after".into());
    drop(store);
    assert_eq!(observe(kind, &location, "at the end"), model);
    if kind == Kind::Yaml {
        let leftovers = robust::temp_files(&store_dir);
        assert!(
            leftovers.is_empty(),
            "yaml: a successful write leaves temporary files of killed writers behind: \
             {leftovers:?}"
        );
    }
}

#[test]
fn yaml_file_survives_kills() {
    kill_writers(Kind::Yaml, 300, 0x5EED_7A41);
}

#[test]
fn sqlite_survives_kills() {
    kill_writers(Kind::Sqlite, 200, 0x5EED_5917);
}

#[test]
fn postgres_survives_kills() {
    kill_writers(Kind::Postgres, 150, 0x5EED_9057);
}

/// What a killed write leaves is removed by the next write of the same
/// config, and only that: another config's write in progress in the same
/// directory, or the app's own files, are not touched.
#[test]
fn the_next_write_removes_only_leftovers_of_its_own_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, SEED_CONFIG).expect("write the config");
    let own = [
        ".authgate-config.yaml.AbC123.tmp",
        ".authgate-config.yaml.zz99ZZ.tmp",
    ];
    let others = [
        // Another config's writer, possibly mid-write.
        ".authgate-other.yaml.XyZ789.tmp",
        // A config whose name extends this one's.
        ".authgate-config.yaml.bak.Qq1234.tmp",
        // Not authgate's at all.
        "notes.tmp",
        ".authgate-config.yaml.AbC123.tmp.keep",
    ];
    for name in own.iter().chain(&others) {
        std::fs::write(dir.path().join(name), "partial: [").expect("write a leftover");
    }
    let store = DocStore::open_file(&path, OpenOptions::default())
        .expect("leftovers do not stop the config from opening");
    store
        .update_user(TARGET, &UserUpdate::LastName("Changed".into()), None)
        .expect("a write");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config.yaml" && n != "config.yaml.lock")
        .collect();
    left.sort();
    let mut expected: Vec<String> = others.iter().map(|n| (*n).to_string()).collect();
    expected.sort();
    assert_eq!(
        left, expected,
        "the write removes its own config's leftovers and nothing else"
    );
}
