//! `authgate hash`, `check` and `--help`, run as a user would run them.

use crate::common::{authgate, authgate_with_env, sqlite_url, write_rich_config};

#[test]
fn hash_reads_passwords_from_stdin_and_prints_bcrypt_hashes() {
    let out = authgate(&["hash"], "abc\npässwörd\n").ok();
    let hashes: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(hashes.len(), 2);
    assert!(authgate::password::verify("abc", hashes[0]).unwrap());
    assert!(authgate::password::verify("pässwörd", hashes[1]).unwrap());
    assert!(hashes.iter().all(|h| h.starts_with("$2b$12$")));
}

#[test]
fn hash_refuses_a_password_over_72_bytes() {
    let out = authgate(&["hash"], &format!("{}\n", "x".repeat(73))).fails(1);
    assert!(out.stderr.contains("72 bytes"));
    assert!(!out.stderr.contains("xxxx"), "never echo a password");
}

#[test]
fn hash_with_nothing_on_stdin_is_an_error() {
    let out = authgate(&["hash"], "").fails(1);
    assert!(out.stderr.contains("no password"));
}

#[test]
fn check_accepts_a_good_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "cookie: {expiry_days: 30, key: a-long-enough-secret-key-of-32-bytes, name: c}\ncredentials:\n  usernames:\n    jsmith: {email: j@x.io, password: abc}\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let out = authgate(&["check", path.to_str().unwrap()], "").ok();
    assert!(out.stdout.contains("OK, 1 user\n"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("can be read by other users"),
        "{}",
        out.stdout
    );
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let open = authgate(&["check", path.to_str().unwrap()], "").ok();
    assert!(
        open.stdout
            .contains("config.yaml can be read by other users of this machine"),
        "{}",
        open.stdout
    );
    assert!(
        out.stdout.contains("1 plaintext password;"),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "check never writes");
}

#[test]
fn check_names_the_line_of_a_yaml_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "credentials:\n  usernames:\n    jsmith: a: b\n").unwrap();
    let out = authgate(&["check", path.to_str().unwrap()], "").fails(1);
    assert!(out.stderr.contains("line 3"), "{}", out.stderr);
    assert!(out.stderr.contains("config.yaml"), "{}", out.stderr);
}

#[test]
fn check_reports_schema_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "credentials:\n  usernames:\n    bob: {roles: 5}\n").unwrap();
    let out = authgate(&["check", path.to_str().unwrap()], "").fails(1);
    assert!(out.stderr.contains("'roles' must be a list of strings"));
}

#[test]
fn check_of_a_missing_file_exits_3() {
    let out = authgate(&["check", "/nonexistent/config.yaml"], "").fails(3);
    assert!(out.stderr.contains("config file not found"));
}

#[test]
fn check_warns_about_weak_settings_and_shared_emails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "cookie: {key: k3y-xy}\ncredentials:\n  usernames:\n    a: {email: Same@x.io}\n    b: {email: same@x.io}\n",
    )
    .unwrap();
    let out = authgate(&["check", "--store", path.to_str().unwrap()], "").fails(1);
    assert!(out.stdout.contains("OK, 2 users"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("cookie.key: the cookie key has 6 bytes; at least 32 random bytes"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("warning: cookie.name is missing"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("users 'a' and 'b' share an email"),
        "{}",
        out.stdout
    );
    assert!(!out.all().contains("k3y-xy"), "never print the key");
}

#[test]
fn check_of_a_database_names_its_schema_version_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let url = sqlite_url(&dir.path().join("auth.db"));
    authgate(
        &["migrate", "--from", config.to_str().unwrap(), "--to", &url],
        "",
    )
    .ok();
    let out = authgate_with_env(&["check"], "", &[("AUTHGATE_STORE", url.as_str())]).ok();
    let version = authgate::store::SqliteStore::SCHEMA_VERSION;
    assert!(
        out.stdout
            .contains(&format!("OK, schema version {version}, 3 users")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 plaintext password;"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("cookie"), "{}", out.stdout);
}

#[test]
fn check_never_creates_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo.db");
    let out = authgate(&["check", &sqlite_url(&db)], "").fails(3);
    assert!(
        out.stderr.contains("SQLite database not found"),
        "{}",
        out.stderr
    );
    assert!(!db.exists());
}

#[test]
fn check_without_a_store_is_refused() {
    let out = authgate(&["check"], "").fails(1);
    assert!(out.stderr.contains("no store to check"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    authgate(&["frobnicate"], "").fails(2);
    authgate(&["users", "list"], "").fails(2);
    authgate(&["users", "roles", "x", "--store", "c.yaml"], "").fails(2);
    authgate(
        &[
            "users", "roles", "x", "--store", "c.yaml", "--set", "a", "--add", "b",
        ],
        "",
    )
    .fails(2);
    authgate(
        &["users", "lock", "x", "--store", "c.yaml", "--minutes", "0"],
        "",
    )
    .fails(2);
}

#[test]
fn every_command_has_help() {
    for command in [
        &[][..],
        &["users"],
        &["users", "list"],
        &["users", "show"],
        &["users", "add"],
        &["users", "remove"],
        &["users", "lock"],
        &["users", "unlock"],
        &["users", "roles"],
        &["users", "2fa"],
        &["hash"],
        &["check"],
        &["migrate"],
        &["audit"],
        &["settings", "smtp"],
        &["mail", "test"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = authgate(&args, "").ok();
        assert!(
            out.stdout.contains("Usage: authgate"),
            "{args:?}: {}",
            out.stdout
        );
    }
    let top = authgate(&["--help"], "").ok().stdout;
    for needle in [
        "users",
        "hash",
        "check",
        "migrate",
        "audit",
        "settings",
        "mail",
        "Exit codes:",
        "3  I/O",
    ] {
        assert!(top.contains(needle), "{needle}: {top}");
    }
    let store_help = authgate(&["users", "list", "--help"], "").ok().stdout;
    assert!(store_help.contains("AUTHGATE_STORE"), "{store_help}");
}

#[test]
fn an_unsupported_url_is_refused_without_echoing_it() {
    let out = authgate(
        &["users", "list", "--store", "mysql://root:s3cret@db/auth"],
        "",
    )
    .fails(1);
    assert!(out
        .stderr
        .contains("unsupported store URL scheme 'mysql://'"));
    assert!(!out.all().contains("s3cret"));
}
