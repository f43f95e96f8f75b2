//! `authgate migrate` between config.yaml, SQLite and PostgreSQL: nothing
//! lost, idempotent, refusing conflicting targets, and never printing a
//! database password. PostgreSQL is a real server the tests start.

use std::path::Path;

use crate::common::{
    self, authgate, authgate_with_env, canonical, read_events, sqlite_url, write_events,
    write_rich_config, Run,
};
use crate::support;

/// Everything the rich config holds, as the summary counts it.
const EVERYTHING: &str = "3 users, 2 pre-authorized emails, 4 settings, 2 sessions, \
                          1 lockout, 1 pending password, 2 revocations and 5 audit events";

fn migrate(from: &str, to: &str) -> Run {
    authgate(&["migrate", "--from", from, "--to", to], "")
}

/// No output may hold the test server's password.
#[track_caller]
fn no_password(run: &Run) {
    assert!(
        !run.all().contains(support::PASSWORD),
        "the database password was printed: {run:#?}"
    );
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn yaml_to_sqlite_to_postgres_to_yaml_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let db = sqlite_url(&dir.path().join("auth.db"));
    let pg = support::fresh_database("round_trip");
    let back = dir.path().join("back.yaml");

    for (from, to) in [
        (path_str(&config), db.as_str()),
        (db.as_str(), pg.as_str()),
        (pg.as_str(), path_str(&back)),
    ] {
        let out = migrate(from, to).ok();
        no_password(&out);
        assert!(out.stdout.starts_with("migrated "), "{}", out.stdout);
        assert!(out.stdout.contains(EVERYTHING), "{}", out.stdout);
        assert_eq!(out.stderr, "", "no progress bar without a terminal");
    }

    // The file written is what PyYAML would write for the original data:
    // every user field, unknown keys, settings and state came through.
    let original = canonical(&config);
    assert_eq!(canonical(&back), original);
    assert!(original.contains("big: 123456789012345678901234567890"));
    assert!(original.contains("joined: 2024-01-05"));
    assert!(original.contains("client_secret: oauth-secret"));
    assert!(original.contains("removed_user: 60.0"));
    assert_eq!(read_events(&back), read_events(&config));

    // The database stores answer like the file.
    for store in [&db, &pg] {
        let out = authgate(&["users", "show", "jsmith", "--json", "--store", store], "").ok();
        no_password(&out);
        let user: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(user["open_sessions"], 1, "{store}");
        assert_eq!(user["roles"], serde_json::json!(["admin", "editor"]));
    }
}

#[test]
fn a_second_run_changes_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let db = sqlite_url(&dir.path().join("auth.db"));
    let pg = support::fresh_database("idempotent");
    let back = dir.path().join("back.yaml");
    let hops = [
        (path_str(&config).to_string(), db.clone()),
        (db.clone(), pg.clone()),
        (pg.clone(), path_str(&back).to_string()),
    ];
    for (from, to) in &hops {
        migrate(from, to).ok();
    }
    let file_before = std::fs::read(&back).unwrap();
    let trail_before = std::fs::read(common::audit_log(&back)).unwrap();
    for (from, to) in &hops {
        let out = migrate(from, to).ok();
        no_password(&out);
        assert!(
            out.stdout.starts_with("nothing to do: "),
            "{from} -> {to}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("already holds the same 3 users"),
            "{}",
            out.stdout
        );
    }
    assert_eq!(std::fs::read(&back).unwrap(), file_before);
    assert_eq!(
        std::fs::read(common::audit_log(&back)).unwrap(),
        trail_before
    );
    for store in [&db, &pg] {
        let out = authgate(&["audit", "--json", "--limit", "100", "--store", store], "").ok();
        let events: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(events.len(), 5, "{store}: no event copied twice");
    }
}

#[test]
fn a_target_with_other_data_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let db_path = dir.path().join("auth.db");
    let db = sqlite_url(&db_path);
    migrate(path_str(&config), &db).ok();
    authgate(
        &[
            "users",
            "add",
            "zed",
            "--email",
            "zed@x.io",
            "--first-name",
            "Z",
            "--last-name",
            "Z",
            "--store",
            &db,
        ],
        "Pw-zed-2024\n",
    )
    .ok();
    authgate(
        &["users", "roles", "jsmith", "--set", "ops", "--store", &db],
        "",
    )
    .ok();
    let before = authgate(&["users", "list", "--json", "--store", &db], "")
        .ok()
        .stdout;

    let out = migrate(path_str(&config), &db).fails(1);
    assert!(out.stderr.contains("refusing to migrate"), "{}", out.stderr);
    assert!(out.stderr.contains("1 user only in"), "{}", out.stderr);
    assert!(out.stderr.contains("'zed'"), "{}", out.stderr);
    assert!(
        out.stderr.contains("1 user with other details: 'jsmith'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("the audit trails differ"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Nothing was written"), "{}", out.stderr);
    let after = authgate(&["users", "list", "--json", "--store", &db], "")
        .ok()
        .stdout;
    assert_eq!(before, after);

    // A config.yaml with data is refused the same way.
    let other = dir.path().join("other.yaml");
    std::fs::write(
        &other,
        "credentials:\n  usernames:\n    eve: {email: e@x.io}\n",
    )
    .unwrap();
    let text_before = std::fs::read(&other).unwrap();
    let out = migrate(&db, path_str(&other)).fails(1);
    assert!(out.stderr.contains("1 user only in"), "{}", out.stderr);
    assert_eq!(std::fs::read(&other).unwrap(), text_before);
}

#[test]
fn an_empty_config_file_is_a_fine_target() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let target = dir.path().join("empty.yaml");
    std::fs::write(&target, "credentials:\n  usernames: {}\n").unwrap();
    let out = migrate(path_str(&config), path_str(&target)).ok();
    assert!(out.stdout.contains(EVERYTHING), "{}", out.stdout);
    assert_eq!(canonical(&target), canonical(&config));
}

#[test]
fn a_stopped_copy_of_the_audit_trail_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let pg = support::fresh_database("resume");
    migrate(path_str(&config), &pg).ok();
    let dbname = pg.rsplit('/').next().unwrap();
    support::server()
        .client(dbname)
        .batch_execute(
            "DELETE FROM audit_events WHERE id IN \
             (SELECT id FROM audit_events ORDER BY id DESC LIMIT 2)",
        )
        .unwrap();
    let out = migrate(path_str(&config), &pg).ok();
    no_password(&out);
    assert!(
        out.stdout.starts_with("appended 2 audit events to "),
        "{}",
        out.stdout
    );
    assert!(migrate(path_str(&config), &pg)
        .ok()
        .stdout
        .starts_with("nothing to do"));
    let out = authgate(&["audit", "--json", "--store", &pg], "").ok();
    let events: Vec<authgate::store::AuditEvent> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(events, common::some_events());
}

#[test]
fn a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let db = dir.path().join("auth.db");
    let yaml = dir.path().join("copy.yaml");
    for target in [sqlite_url(&db), path_str(&yaml).to_string()] {
        let out = authgate(
            &[
                "migrate",
                "--from",
                path_str(&config),
                "--to",
                &target,
                "--dry-run",
            ],
            "",
        )
        .ok();
        assert!(
            out.stdout
                .starts_with(&format!("dry run: would migrate {EVERYTHING}")),
            "{}",
            out.stdout
        );
    }
    assert!(!db.exists());
    assert!(!yaml.exists());
    assert!(!common::audit_log(&yaml).exists());
}

#[test]
fn users_sharing_an_email_are_refused_before_a_database_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "credentials:\n  usernames:\n    a: {email: Same@x.io}\n    b: {email: ' same@x.io'}\n",
    )
    .unwrap();
    let db = dir.path().join("auth.db");
    let out = migrate(path_str(&config), &sqlite_url(&db)).fails(1);
    assert!(
        out.stderr.contains("users 'a' and 'b' share an email"),
        "{}",
        out.stderr
    );
    assert!(!db.exists());
    // A config.yaml keeps them as they are.
    let copy = dir.path().join("copy.yaml");
    migrate(path_str(&config), path_str(&copy)).ok();
    assert_eq!(canonical(&copy), canonical(&config));
}

#[test]
fn state_of_users_that_no_longer_exist_is_left_out_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "credentials:\n  usernames:\n    bob: {email: b@x.io}\nauthgate:\n  sessions:\n    \
         s9: {username: ghost, created: 1.0, expires: 4102444800.0, last_seen: 1.0}\n",
    )
    .unwrap();
    write_events(&config, &[]);
    let db = sqlite_url(&dir.path().join("auth.db"));
    let out = migrate(path_str(&config), &db).ok();
    assert!(
        out.stderr
            .contains("note: left out 1 session of users that no longer exist"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.starts_with("migrated 1 user from "),
        "{}",
        out.stdout
    );
    let again = migrate(path_str(&config), &db).ok();
    assert!(
        again.stdout.starts_with("nothing to do"),
        "{}",
        again.stdout
    );
}

#[test]
fn an_unreachable_database_exits_3_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let url = format!(
        "postgresql://postgres:{}@127.0.0.1:{}/auth?connect_timeout=5",
        support::PASSWORD,
        support::free_port()
    );
    let out = migrate(path_str(&config), &url).fails(3);
    no_password(&out);
    assert!(
        out.stderr.contains("cannot connect to PostgreSQL"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("postgresql://postgres@127.0.0.1:"),
        "{}",
        out.stderr
    );

    let out = authgate_with_env(&["users", "list"], "", &[("AUTHGATE_STORE", &url)]).fails(3);
    no_password(&out);
    let out = authgate_with_env(
        &["migrate", "--to", path_str(&dir.path().join("x.yaml"))],
        "",
        &[("AUTHGATE_FROM", &url)],
    )
    .fails(3);
    no_password(&out);
}

#[test]
fn bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    for (url, code, message) in [
        (
            "mysql://root:s3cret@h/db",
            1,
            "unsupported store URL scheme",
        ),
        ("sqlite://", 1, "names no file"),
        ("sqlite:///:memory:", 1, "in-memory"),
        (
            "postgresql://app:s3cret@h:notaport/db",
            3,
            "invalid PostgreSQL URL",
        ),
    ] {
        let out = migrate(path_str(&config), url).fails(code);
        assert!(out.stderr.contains(message), "{url}: {}", out.stderr);
        assert!(!out.all().contains("s3cret"), "{url}: {}", out.all());
    }
    let out = migrate(path_str(&dir.path().join("missing.yaml")), "x.yaml").fails(3);
    assert!(
        out.stderr.contains("config file not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_empty_source_still_creates_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "credentials:\n  usernames: {}\n").unwrap();
    write_events(&config, &common::some_events()[..1]);
    let copy = dir.path().join("copy.yaml");
    let out = migrate(path_str(&config), path_str(&copy)).ok();
    assert!(
        out.stdout.starts_with("migrated 0 users and 1 audit event"),
        "{}",
        out.stdout
    );
    assert_eq!(canonical(&copy), canonical(&config));
    assert_eq!(read_events(&copy), read_events(&config));
}
