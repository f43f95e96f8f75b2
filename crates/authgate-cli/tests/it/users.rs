//! `authgate users …` and `authgate audit`, on a config.yaml and on a
//! SQLite database: the same commands give the same answers.

use std::path::Path;

use crate::common::{self, authgate, write_rich_config, Run};

/// The stores every test runs on: the rich config itself, and a SQLite
/// database migrated from it.
fn stores(dir: &Path) -> Vec<String> {
    let config = write_rich_config(dir);
    let db = format!("sqlite://{}", dir.join("auth.db").display());
    authgate(
        &["migrate", "--from", config.to_str().unwrap(), "--to", &db],
        "",
    )
    .ok();
    vec![config.display().to_string(), db]
}

/// `users add` of carol; the tests feed her password (or none) on stdin.
const ADD_CAROL: &[&str] = &[
    "users",
    "add",
    "carol",
    "--email",
    "c@x.io",
    "--first-name",
    "C",
    "--last-name",
    "D",
];

/// `authgate <args…> --store <store>`.
fn on(store: &str, args: &[&str], stdin: &str) -> Run {
    let mut all = args.to_vec();
    all.extend(["--store", store]);
    authgate(&all, stdin)
}

/// `authgate users add NAME --email EMAIL --first-name FIRST --last-name
/// LAST` with `more` arguments, on `store`.
fn add_user(store: &str, who: [&str; 4], more: &[&str], stdin: &str) -> Run {
    let [name, email, first, last] = who;
    let mut args = vec![
        "users",
        "add",
        name,
        "--email",
        email,
        "--first-name",
        first,
        "--last-name",
        last,
    ];
    args.extend(more);
    on(store, &args, stdin)
}

/// No output may hold a bcrypt hash.
#[track_caller]
fn no_hash(run: &Run) {
    assert!(!run.all().contains("$2b$"), "a hash was printed: {run:#?}");
}

#[test]
fn list_shows_users_in_order_without_hashes() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let out = on(&store, &["users", "list"], "").ok();
        no_hash(&out);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert!(lines[0].starts_with("USERNAME"), "{store}: {}", out.stdout);
        assert!(lines[1].starts_with("guest "), "{store}: {}", out.stdout);
        assert!(lines[2].starts_with("jsmith "), "{store}: {}", out.stdout);
        assert!(lines[2].contains("John Smith"), "{store}: {}", out.stdout);
        assert!(
            lines[2].contains("admin, editor"),
            "{store}: {}",
            out.stdout
        );
        assert!(
            lines[3].contains("Rebecca Briggs"),
            "{store}: {}",
            out.stdout
        );
        assert_eq!(lines[4], "3 users", "{store}");

        let page = on(
            &store,
            &["users", "list", "--offset", "1", "--limit", "1"],
            "",
        )
        .ok();
        assert!(page.stdout.contains("jsmith"), "{store}: {}", page.stdout);
        assert!(!page.stdout.contains("guest"), "{store}: {}", page.stdout);
        assert!(
            page.stdout.contains("users 2–2 of 3"),
            "{store}: {}",
            page.stdout
        );

        let json = on(&store, &["users", "list", "--json"], "").ok();
        no_hash(&json);
        let users: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let users = users.as_array().unwrap();
        assert_eq!(users.len(), 3, "{store}");
        assert_eq!(users[1]["username"], "jsmith");
        assert_eq!(users[1]["roles"], serde_json::json!(["admin", "editor"]));
        assert_eq!(users[1]["password_set"], true);
        assert_eq!(users[0]["password_set"], false, "the guest has none");
        assert_eq!(users[2]["roles"], serde_json::json!(["viewer"]));

        let empty = on(&store, &["users", "list", "--json", "--offset", "9"], "").ok();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&empty.stdout).unwrap(),
            serde_json::json!([])
        );
    }
}

#[test]
fn show_tells_lock_sessions_and_whether_a_password_is_set() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let out = on(&store, &["users", "show", "RBriggs"], "").ok();
        no_hash(&out);
        assert!(
            out.stdout.contains("username:       rbriggs"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("name:           Rebecca Briggs"));
        assert!(out.stdout.contains("roles:          viewer"));
        assert!(out.stdout.contains("password hint:  pets"));
        assert!(out.stdout.contains("failed logins:  3"));
        assert!(
            out.stdout
                .contains("locked:         until 2100-01-01 00:00:00 UTC"),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains("def"), "not even a plaintext password");

        let json = on(&store, &["users", "show", "jsmith", "--json"], "").ok();
        no_hash(&json);
        let user: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(user["email"], "jsmith@gmail.com");
        assert_eq!(user["password_set"], true);
        assert_eq!(user["locked"], false);
        assert_eq!(user["open_sessions"], 1, "{store}");
        assert_eq!(user["last_seen"], 2.25);

        let missing = on(&store, &["users", "show", "nobody"], "").fails(1);
        assert!(missing.stderr.contains("user 'nobody' not found"));
    }
}

#[test]
fn add_hashes_the_password_and_refuses_taken_names_and_emails() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let add = |name: &str, email: &str| {
            let roles = ["--role", "editor", "--role", "viewer", "--password-stdin"];
            add_user(
                &store,
                [name, email, "Alice", "Liddell"],
                &roles,
                "Wonderland-1\n",
            )
        };
        let out = add("Alice", "alice@example.com").ok();
        assert!(out.stdout.contains("added user 'alice'"), "{}", out.stdout);
        assert!(!out.all().contains("Wonderland"), "never echo the password");
        let shown = on(&store, &["users", "show", "alice", "--json"], "").ok();
        let user: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(user["roles"], serde_json::json!(["editor", "viewer"]));
        assert_eq!(user["password_set"], true);

        let taken = add("ALICE", "other@example.com").fails(1);
        assert!(
            taken.stderr.contains("user 'alice' already exists"),
            "{}",
            taken.stderr
        );
        let email = add("alice2", "  JSmith@Gmail.com").fails(1);
        assert!(
            email.stderr.contains("already has the email"),
            "{}",
            email.stderr
        );
        let bad = add("bob", "not-an-email").fails(1);
        assert!(
            bad.stderr.contains("not an email address"),
            "{}",
            bad.stderr
        );
        let long = on(&store, ADD_CAROL, &format!("{}\n", "p".repeat(73))).fails(1);
        assert!(long.stderr.contains("72 bytes"), "{}", long.stderr);
        let empty = on(&store, ADD_CAROL, "").fails(1);
        assert!(
            empty.stderr.contains("no password given"),
            "{}",
            empty.stderr
        );
        // The password policy apps apply: 0.4.2's rule unless told otherwise.
        let weak = on(&store, ADD_CAROL, "wonderland-1\n").fails(1);
        assert!(
            weak.stderr
                .contains("Contain at least one uppercase letter"),
            "{}",
            weak.stderr
        );
        assert!(
            !weak.all().contains("wonderland"),
            "never echo the password"
        );
        let passphrase = "tofu kayak mildew lantern\n";
        let refused = on(&store, ADD_CAROL, passphrase).fails(1);
        assert!(
            refused.stderr.contains("Contain only letters"),
            "{}",
            refused.stderr
        );
        let list = on(&store, &["users", "list"], "").ok();
        assert!(list.stdout.contains("4 users"), "{store}: {}", list.stdout);
        let nist = [ADD_CAROL, &["--password-policy", "nist"]].concat();
        on(&store, &nist, passphrase).ok();
        let other = [ADD_CAROL, &["--password-policy", "strict"]].concat();
        let unknown = on(&store, &other, passphrase).fails(1);
        assert!(unknown.stderr.contains("unknown password policy"));
        let list = on(&store, &["users", "list"], "").ok();
        assert!(list.stdout.contains("5 users"), "{store}: {}", list.stdout);
    }
    // The stored hash is a real bcrypt hash of what was typed.
    let config = dir.path().join("config.yaml");
    let text = std::fs::read_to_string(config).unwrap();
    let hash = text
        .lines()
        .skip_while(|l| !l.starts_with("    alice:"))
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap();
    assert!(authgate::password::verify("Wonderland-1", hash).unwrap());
}

#[test]
fn add_refuses_what_registration_refuses_before_asking_for_a_password() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        // No password on stdin: a refusal must come before it is read.
        let add = |name: &str, email: &str| add_user(&store, [name, email, "Al", "Bo"], &[], "");
        for (name, email, says) in [
            ("j smith", "j@x.io", "\"j smith\" is not a valid username"),
            (
                "twenty-one-characters",
                "t@x.io",
                "use 1 to 20 letters, digits, '_' or '-', or an email address",
            ),
            ("bob!", "bob@x.io", "\"bob!\" is not a valid username"),
            (
                "bob",
                "bob@localhost",
                "\"bob@localhost\" is not an email address",
            ),
            ("bob", "zoë@x.io", "is not an email address"),
        ] {
            let refused = add(name, email).fails(1);
            assert!(refused.stderr.contains(says), "{store}: {}", refused.stderr);
            assert!(
                !refused.stderr.contains("no password given"),
                "{}",
                refused.stderr
            );
        }
        // Twenty characters, or an email address as the username, are fine.
        let twenty = add(&"t".repeat(20), "t20@x.io").fails(1);
        assert!(
            twenty.stderr.contains("no password given"),
            "{}",
            twenty.stderr
        );
        let list = on(&store, &["users", "list"], "").ok();
        assert!(list.stdout.contains("3 users"), "{store}: {}", list.stdout);
        let ann = ["Ann.Lee@Example.com", "ann.lee@example.com", "Ann", "Lee"];
        let out = add_user(&store, ann, &["--password-stdin"], "Wonderland-1\n").ok();
        assert!(
            out.stdout.contains("added user 'ann.lee@example.com'"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn remove_deletes_the_user_once() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let out = on(&store, &["users", "remove", "JSmith"], "").ok();
        assert!(
            out.stdout.contains("removed user 'jsmith'"),
            "{}",
            out.stdout
        );
        let again = on(&store, &["users", "remove", "jsmith"], "").fails(1);
        assert!(again.stderr.contains("user 'jsmith' not found"));
        let list = on(&store, &["users", "list"], "").ok();
        assert!(list.stdout.contains("2 users"), "{store}: {}", list.stdout);
    }
}

#[test]
fn lock_ends_sessions_and_unlock_lifts_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let out = on(&store, &["users", "lock", "jsmith"], "").ok();
        assert!(
            out.stdout
                .contains("locked 'jsmith' until unlocked; ended 1 session"),
            "{store}: {}",
            out.stdout
        );
        let shown = on(&store, &["users", "show", "jsmith", "--json"], "").ok();
        let user: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(user["locked"], true, "{store}");
        assert_eq!(
            user["locked_until"],
            serde_json::Value::Null,
            "until unlocked"
        );
        assert_eq!(user["open_sessions"], 0, "{store}");

        on(&store, &["users", "unlock", "jsmith"], "").ok();
        let shown = on(&store, &["users", "show", "jsmith", "--json"], "").ok();
        let user: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(user["locked"], false, "{store}");
        assert_eq!(user["failed_attempts"], 0, "{store}");

        // rbriggs is locked by failed attempts until 2100: lift that
        // first, so what shows is the operator's lock.
        on(&store, &["users", "unlock", "rbriggs"], "").ok();
        let timed = on(
            &store,
            &[
                "users",
                "lock",
                "rbriggs",
                "--minutes",
                "5",
                "--keep-sessions",
            ],
            "",
        )
        .ok();
        assert!(
            timed.stdout.contains("ended 0 sessions"),
            "{}",
            timed.stdout
        );
        let shown = on(&store, &["users", "show", "rbriggs", "--json"], "").ok();
        let user: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
        let until = user["locked_until"].as_f64().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!((until - now - 300.0).abs() < 60.0, "{until} vs {now}");
        assert_eq!(user["open_sessions"], 1, "kept");

        on(&store, &["users", "lock", "nobody"], "").fails(1);
        on(&store, &["users", "unlock", "nobody"], "").fails(1);
    }
}

#[test]
fn roles_are_set_added_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let roles = |args: &[&str]| {
            let mut all = vec!["users", "roles", "jsmith"];
            all.extend(args);
            on(&store, &all, "").ok().stdout
        };
        assert_eq!(
            roles(&["--add", "ops", "--add", "admin"]),
            "roles of 'jsmith': admin, editor, ops\n"
        );
        assert_eq!(
            roles(&["--remove", "editor"]),
            "roles of 'jsmith': admin, ops\n"
        );
        assert_eq!(
            roles(&["--remove", "nothing"]),
            "roles of 'jsmith' unchanged: admin, ops\n"
        );
        assert_eq!(roles(&["--set", "a,b,a"]), "roles of 'jsmith': a, b\n");
        assert_eq!(roles(&["--set", ""]), "roles of 'jsmith': none\n");
        let shown = on(&store, &["users", "show", "jsmith", "--json"], "").ok();
        let user: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(user["roles"], serde_json::json!([]), "{store}");
        on(&store, &["users", "roles", "nobody", "--add", "x"], "").fails(1);
    }
}

#[test]
fn audit_shows_recent_events_including_operator_changes() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        on(&store, &["users", "unlock", "rbriggs"], "").ok();
        let out = on(&store, &["audit", "--limit", "3"], "").ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert!(lines[0].starts_with("TIME"), "{}", out.stdout);
        assert!(lines[1].contains("login_failed"), "{store}: {}", out.stdout);
        assert!(
            lines[2].starts_with("2023-11-14 22:13:24 UTC  login "),
            "{}",
            out.stdout
        );
        assert!(
            lines[3].contains("user_unlocked  rbriggs  authgate CLI"),
            "{}",
            out.stdout
        );
        assert_eq!(lines[4], "3 events (most recent last)");

        let json = on(&store, &["audit", "--json"], "").ok();
        let events: Vec<authgate::store::AuditEvent> = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(events.len(), 6, "{store}");
        assert_eq!(events[..5], common::some_events()[..]);
    }
}

#[test]
fn commands_refuse_a_missing_store() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("nope.yaml");
    let out = on(yaml.to_str().unwrap(), &["users", "list"], "").fails(3);
    assert!(
        out.stderr.contains("config file not found"),
        "{}",
        out.stderr
    );
    let db = dir.path().join("nope.db");
    let url = format!("sqlite://{}", db.display());
    let out = on(&url, &["audit"], "").fails(3);
    assert!(
        out.stderr.contains("SQLite database not found"),
        "{}",
        out.stderr
    );
    assert!(!db.exists(), "a typo never creates a database");
}
