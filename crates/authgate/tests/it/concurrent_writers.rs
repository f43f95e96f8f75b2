//! Two processes writing one config.yaml at once never lose an update.
//!
//! The test re-runs this test binary as child processes (an ignored test
//! selected by name, its role in an environment variable; see `robust`);
//! each child counts failures (kept in the state database beside the file)
//! and adds users (kept in the file) through its own store.

use std::path::Path;

use authgate::lockout::LockoutPolicy;
use authgate::store::{DocStore, NewUser, OpenOptions, Store, UserUpdate};

use crate::robust;

const CHILD_ENV: &str = "AUTHGATE_TEST_WRITER";
const WRITES: u32 = 40;

const CONFIG: &str = "\
cookie:
  expiry_days: 30
  key: k
  name: c
credentials:
  usernames:
    alice:
      email: alice@example.com
      failed_login_attempts: 0
      logged_in: false
      password: $2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu
    bob:
      email: bob@example.com
      failed_login_attempts: 0
      logged_in: false
      password: $2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu
my_app_setting: kept
";

/// Entry point of a child writer, spawned by
/// `two_processes_never_lose_each_others_updates`.
#[test]
#[ignore = "a child process, spawned by two_processes_never_lose_each_others_updates"]
fn child_writer() {
    let spec = robust::child_spec(CHILD_ENV);
    let (path, own_user) = spec.split_once('|').expect("path|user");
    let store = DocStore::open_file(Path::new(path), OpenOptions::default()).expect("open");
    robust::announce_ready();
    let policy = LockoutPolicy::new(None);
    for i in 0..WRITES {
        let now = 1_000_000.0 + f64::from(i);
        store
            .record_failure("alice", &policy, now, None)
            .expect("shared user");
        store
            .record_failure(own_user, &policy, now, None)
            .expect("own user");
        let name = format!("{own_user}-{i}");
        store
            .add_user(
                &NewUser {
                    email: format!("{name}@example.com"),
                    username: name,
                    first_name: "F".into(),
                    last_name: "L".into(),
                    password_hash: None,
                    roles: None,
                    password_hint: None,
                    awaiting_verification: false,
                },
                false,
                None,
            )
            .expect("add a user");
    }
}

#[test]
fn two_processes_never_lose_each_others_updates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, CONFIG).unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut children: Vec<_> = ["alice", "bob"]
        .iter()
        .map(|user| {
            robust::ChildProc::spawn(
                &robust::test_name(module_path!(), "child_writer"),
                CHILD_ENV,
                &format!("{}|{user}", path.display()),
                &logs.path().join(format!("{user}-stderr.txt")),
                &format!("{user}'s writer"),
            )
        })
        .collect();
    for child in &mut children {
        child.wait_success();
    }
    let store = DocStore::open_file(&path, OpenOptions::default()).unwrap();
    let count = |user: &str| store.lock_state(user).unwrap().failures;
    // alice: WRITES from each child on the shared user, plus WRITES from her own child.
    assert_eq!(count("alice"), 3 * WRITES);
    assert_eq!(count("bob"), WRITES);
    assert_eq!(store.user_count().unwrap(), 2 + 2 * WRITES as usize);
    for user in ["alice", "bob"] {
        for i in 0..WRITES {
            assert!(store.user(&format!("{user}-{i}")).unwrap().is_some());
        }
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("my_app_setting: kept"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_store_sees_changes_made_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, CONFIG).unwrap();
    let reader = DocStore::open_file(&path, OpenOptions::default()).unwrap();
    assert!(reader.user("carol").unwrap().is_none());
    let edited = CONFIG.replace("    bob:", "    carol:\n      email: c@x.io\n    bob:");
    std::fs::write(&path, edited).unwrap();
    assert_eq!(
        reader.user("carol").unwrap().unwrap().email.as_deref(),
        Some("c@x.io")
    );
    assert_eq!(
        reader.user_by_email("C@X.IO").unwrap().unwrap().username,
        "carol"
    );
}

#[test]
fn a_lock_held_too_long_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, CONFIG).unwrap();
    let holder = std::fs::File::create(dir.path().join("config.yaml.lock")).unwrap();
    holder.lock().unwrap();
    let options = OpenOptions {
        lock_timeout: std::time::Duration::from_millis(200),
    };
    let store = DocStore::open_file(&path, options).unwrap();
    let err = store
        .update_user("alice", &UserUpdate::LastName("Changed".into()), None)
        .unwrap_err();
    assert!(
        matches!(err, authgate::Error::LockTimeout { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("config.yaml.lock"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), CONFIG);
}

#[test]
fn a_writer_never_trusts_a_repeated_fingerprint() {
    // Another writer's change can leave size, mtime and inode as they were
    // (two writes in one clock tick, the second reusing the first's inode).
    // Simulated: same-length text written in place, the mtime set back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, CONFIG).unwrap();
    let store = DocStore::open_file(&path, OpenOptions::default()).unwrap();
    assert!(store.user("alice").unwrap().is_some());
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let renamed = CONFIG.replace("    bob:", "    bub:");
    assert_eq!(renamed.len(), CONFIG.len());
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all(renamed.as_bytes()).unwrap();
        file.set_modified(modified).unwrap();
    }
    store
        .update_user("alice", &UserUpdate::LastName("Changed".into()), None)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("  bub:") && !text.contains("  bob:"),
        "{text}"
    );
    assert!(text.contains("last_name: Changed"), "{text}");
}

/// A misspelt child name makes libtest run no test and exit 0: the parent
/// must not take that for a child that did its work.
#[test]
fn a_child_that_ran_no_test_is_refused() {
    let logs = tempfile::tempdir().unwrap();
    let mut child = robust::ChildProc::spawn(
        &robust::test_name(module_path!(), "no_such_child"),
        CHILD_ENV,
        "unused",
        &logs.path().join("stderr.txt"),
        "a misnamed child",
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| child.wait_success()));
    assert!(outcome.is_err(), "a child that ran nothing was accepted");
}
