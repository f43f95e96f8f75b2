//! `authgate settings smtp` and the SMTP settings in `authgate migrate`:
//! set, shown with the password redacted, cleared, audited; bad input
//! refused with its exit code and nothing stored changed; carried between
//! SQLite, PostgreSQL and a config.yaml's `smtp:` section. (`authgate mail
//! test` against a real SMTP server is tests/test_cli_mail.py.)

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{authgate, canonical, sqlite_url, write_rich_config, Run};
use crate::support;
use authgate::store::{SqliteStore, Store};
use authgate::yaml::{self, Value};

const PASSWORD: &str = "smtp-pa55-s3cret";

/// `authgate settings smtp --store <store> <args…>` with `stdin`.
fn smtp(store: &str, args: &[&str], stdin: &str) -> Run {
    let mut all = vec!["settings", "smtp", "--store", store];
    all.extend(args);
    authgate(&all, stdin)
}

/// Every setting, the password on stdin.
const FULL: &[&str] = &[
    "--host",
    "mail.example.com",
    "--port",
    "2465",
    "--security",
    "TLS",
    "--username",
    "app@example.com",
    "--from",
    "Acme <app@example.com>",
    "--reply-to",
    "help@example.com",
    "--ca-file",
    "/etc/ssl/mail-ca.pem",
    "--timeout",
    "7.5",
    "--password-stdin",
];

/// A SQLite store migrated from the rich config, and its URL.
fn sqlite_store(dir: &Path) -> String {
    let config = write_rich_config(dir);
    let db = sqlite_url(&dir.join("auth.db"));
    authgate(
        &["migrate", "--from", config.to_str().unwrap(), "--to", &db],
        "",
    )
    .ok();
    db
}

/// The SMTP settings as stored, read through the core.
fn stored(dir: &Path) -> Option<Value> {
    let store = SqliteStore::open(&dir.join("auth.db")).unwrap();
    store.smtp_settings().unwrap().map(|s| s.section().clone())
}

/// The entries of a mapping by key: a config.yaml sorts its keys.
fn entries(value: &Value) -> BTreeMap<String, Value> {
    value
        .as_map()
        .expect("a mapping")
        .iter()
        .map(|(k, v)| (k.as_str().expect("a string key").to_string(), v.clone()))
        .collect()
}

fn parse(text: &str) -> Value {
    yaml::parse(text, Path::new("smtp")).unwrap()
}

#[track_caller]
fn never_the_password(run: &Run) {
    assert!(!run.all().contains(PASSWORD), "{run:#?}");
}

#[test]
fn set_show_and_clear_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_store(dir.path());
    let out = smtp(&db, &["--show"], "").ok();
    assert!(
        out.stdout.contains("has no SMTP settings"),
        "{}",
        out.stdout
    );

    let out = smtp(&db, FULL, &format!("{PASSWORD}\n")).ok();
    never_the_password(&out);
    assert!(
        out.stdout.contains(
            "mail.example.com:2465 (tls), from Acme <app@example.com>, as app@example.com"
        ),
        "{}",
        out.stdout
    );
    // Numbers as numbers, the security lower-cased, the password stored.
    assert_eq!(
        stored(dir.path()),
        Some(parse(&format!(
            "host: mail.example.com\nport: 2465\nsecurity: tls\nusername: app@example.com\n\
             from: Acme <app@example.com>\nreply_to: help@example.com\n\
             ca_file: /etc/ssl/mail-ca.pem\ntimeout: 7.5\npassword: {PASSWORD}\n"
        )))
    );

    let out = smtp(&db, &["--show"], "").ok();
    never_the_password(&out);
    for line in [
        "  host: mail.example.com",
        "  port: 2465",
        "  password: <redacted>",
        "  timeout: 7.5",
    ] {
        assert!(out.stdout.contains(line), "{line}: {}", out.stdout);
    }
    assert_eq!(out.stderr, "");

    // A new set replaces the old whole: no username, no password.
    smtp(
        &db,
        &[
            "--host",
            "127.0.0.1",
            "--security",
            "none",
            "--from",
            "a@x.io",
        ],
        "",
    )
    .ok();
    assert_eq!(
        stored(dir.path()),
        Some(parse("host: 127.0.0.1\nsecurity: none\nfrom: a@x.io\n"))
    );

    let out = smtp(&db, &["--clear"], "").ok();
    assert!(out.stdout.starts_with("removed the SMTP settings"));
    assert_eq!(stored(dir.path()), None);
    let out = smtp(&db, &["--clear"], "").ok();
    assert!(out.stdout.contains("nothing removed"), "{}", out.stdout);

    // Each change is in the audit trail; the no-op clear is not.
    let audit = authgate(&["audit", "--json", "--store", &db], "").ok();
    let events: Vec<serde_json::Value> = serde_json::from_str(&audit.stdout).unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e["detail"] == "authgate CLI")
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "smtp_settings_set",
            "smtp_settings_set",
            "smtp_settings_cleared"
        ]
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_store(dir.path());
    smtp(&db, FULL, &format!("{PASSWORD}\n")).ok();
    let before = stored(dir.path());
    assert!(before.is_some());
    let with = |replace: &str, by: &str| -> Vec<String> {
        let mut args: Vec<String> = FULL.iter().map(|s| (*s).to_string()).collect();
        let at = args.iter().position(|a| a == replace).unwrap();
        args[at + 1] = by.to_string();
        args
    };
    for (args, expected) in [
        (
            with("--port", "70000"),
            "smtp port must be 1 to 65535, not '70000'",
        ),
        (
            with("--port", "smtp"),
            "smtp port must be 1 to 65535, not 'smtp'",
        ),
        (with("--port", "0"), "smtp port must be 1 to 65535"),
        (
            with("--security", "ssl3"),
            "smtp security must be starttls, tls or none, not 'ssl3'",
        ),
        (with("--from", "nobody"), "from"),
        (with("--timeout", "-3"), "smtp timeout"),
        (
            with("--security", "none"),
            "security none sends mail in plain text: only for a server on this machine",
        ),
        (
            {
                let mut local = with("--security", "none");
                local[1] = "127.0.0.1".into();
                local
            },
            "SMTP credentials are never sent in plain text",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = smtp(&db, &args, "other-pa55\n").fails(1);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        assert!(!out.all().contains("other-pa55"), "{out:#?}");
        assert_eq!(stored(dir.path()), before, "{args:?}");
    }
    // No password on standard input.
    let out = smtp(&db, FULL, "").fails(1);
    assert!(out.stderr.contains("no password given"), "{}", out.stderr);
    assert_eq!(stored(dir.path()), before);

    // Usage errors: exit 2, nothing changed.
    for args in [
        &["--show", "--clear"][..],
        &["--show", "--host", "h"],
        &["--clear", "--from", "a@x.io"],
        &["--host", "h"],
        &["--host", "h", "--from", "a@x.io", "--password-stdin"],
        &["--host", "h", "--from", "a@x.io", "--password", PASSWORD],
    ] {
        let out = smtp(&db, args, "").fails(2);
        assert!(!out.stderr.contains("authgate: "), "{}", out.stderr);
        assert_eq!(stored(dir.path()), before, "{args:?}");
    }
    // A missing store is not created.
    let missing = sqlite_url(&dir.path().join("missing.db"));
    smtp(&missing, FULL, &format!("{PASSWORD}\n")).fails(3);
    assert!(!dir.path().join("missing.db").exists());
}

#[test]
fn a_config_yaml_shows_its_section_and_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let path = config.to_str().unwrap();
    let out = smtp(path, &["--show"], "").ok();
    assert!(
        out.stdout.contains("has no SMTP settings"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let with_smtp = format!(
        "{text}smtp:\n  host: mail.example.com\n  username: app\n  password: {PASSWORD}\n  \
         from: app@example.com\n"
    );
    std::fs::write(&config, &with_smtp).unwrap();
    let out = smtp(path, &["--show"], "").ok();
    never_the_password(&out);
    assert!(
        out.stdout.contains("  host: mail.example.com"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  password: <redacted>"),
        "{}",
        out.stdout
    );

    for args in [FULL, &["--clear"]] {
        let out = smtp(path, args, &format!("{PASSWORD}\n")).fails(1);
        assert!(
            out.stderr
                .contains("keeps its SMTP settings in its smtp: section"),
            "{}",
            out.stderr
        );
        never_the_password(&out);
        assert_eq!(std::fs::read_to_string(&config).unwrap(), with_smtp);
    }

    // A hand edit the mailer cannot use is shown, with a warning.
    std::fs::write(
        &config,
        format!("{text}smtp:\n  host: mail.example.com\n  port: 99999\n  from: a@x.io\n"),
    )
    .unwrap();
    let out = smtp(path, &["--show"], "").ok();
    assert!(out.stdout.contains("port: 99999"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: the mailer cannot use these settings"),
        "{}",
        out.stderr
    );
}

#[test]
fn migrate_carries_the_smtp_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_store(dir.path());
    smtp(&db, FULL, &format!("{PASSWORD}\n")).ok();
    let want = stored(dir.path()).unwrap();
    let pg = support::fresh_database("smtp_migrate");
    let yaml = dir.path().join("back.yaml");
    let again = dir.path().join("again.db");
    let again_url = sqlite_url(&again);
    for (from, to) in [
        (db.as_str(), pg.as_str()),
        (pg.as_str(), yaml.to_str().unwrap()),
        (yaml.to_str().unwrap(), again_url.as_str()),
    ] {
        let out = authgate(&["migrate", "--from", from, "--to", to], "").ok();
        never_the_password(&out);
        assert!(!out.all().contains(support::PASSWORD), "{out:#?}");
        assert!(out.stdout.contains("5 settings"), "{}", out.stdout);
    }
    // PostgreSQL kept it as its smtp setting.
    let store = authgate::store::PostgresStore::connect(&pg).unwrap();
    assert_eq!(
        store.smtp_settings().unwrap().map(|s| s.section().clone()),
        Some(want.clone())
    );
    // The file has it as its smtp: section, as an operator would write it.
    let doc = yaml::parse(&canonical(&yaml), &yaml).unwrap();
    assert_eq!(
        entries(doc.as_map().unwrap().get("smtp").unwrap()),
        entries(&want)
    );
    // And back into SQLite from the file.
    let back = SqliteStore::open(&again).unwrap();
    assert_eq!(
        entries(back.smtp_settings().unwrap().unwrap().section()),
        entries(&want)
    );
}
