//! `authgate users 2fa` and the second factors in `users show` and
//! `authgate migrate`: shown without secrets, carried between stores (a
//! config.yaml keeps them in its state database, not in the file), reset
//! by the operator with an audit event.

use std::path::Path;

use crate::common::{authgate, sqlite_url, write_rich_config};
use crate::support;
use authgate::store::{PasskeyChange, SqliteStore, Store, StoredPasskey, StoredTotp};

const SEALED: &str = "v1.sealed-secret-that-must-never-be-printed";
const DIGESTS: [&str; 2] = ["digest-one-never-printed", "digest-two-never-printed"];

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn factors_are_shown_carried_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let db_path = dir.path().join("auth.db");
    let db = sqlite_url(&db_path);
    authgate(&["migrate", "--from", path_str(&config), "--to", &db], "").ok();
    {
        let store = SqliteStore::open(&db_path).unwrap();
        let totp = StoredTotp {
            secret: SEALED.into(),
            last_step: Some(56_666_667),
            created: 1_700_000_000.0,
        };
        let digests: Vec<String> = DIGESTS.iter().map(|d| d.to_string()).collect();
        assert!(store.enable_totp("jsmith", &totp, &digests, None).unwrap());
    }
    let pg = support::fresh_database("two_factor_cli");
    let back = dir.path().join("back.yaml");
    let out = authgate(&["migrate", "--from", &db, "--to", &pg], "").ok();
    assert!(
        out.stdout.contains("1 user's second factors"),
        "{}",
        out.stdout
    );
    authgate(&["migrate", "--from", &pg, "--to", path_str(&back)], "").ok();
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(!text.contains(SEALED), "the factors left the YAML file");

    for store in [db.as_str(), pg.as_str(), path_str(&back)] {
        let shown = authgate(&["users", "show", "jsmith", "--store", store], "").ok();
        assert!(
            shown
                .stdout
                .contains("second factors: authenticator app (TOTP) since 2023-11-14"),
            "{store}: {}",
            shown.stdout
        );
        assert!(
            shown.stdout.contains("2 recovery codes left"),
            "{}",
            shown.stdout
        );
        let json = authgate(&["users", "show", "jsmith", "--json", "--store", store], "").ok();
        let view: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(
            view["second_factors"],
            serde_json::json!(["totp", "recovery_codes"])
        );
        assert_eq!(view["recovery_codes_left"], 2);
        let two = authgate(&["users", "2fa", "JSmith", "--store", store], "").ok();
        assert!(
            two.stdout.contains("jsmith: authenticator app (TOTP)"),
            "{}",
            two.stdout
        );
        for run in [&shown, &json, &two] {
            let all = run.all();
            assert!(!all.contains(SEALED));
            assert!(DIGESTS.iter().all(|d| !all.contains(d)));
        }
        let other = authgate(&["users", "show", "rbriggs", "--store", store], "").ok();
        assert!(
            other.stdout.contains("second factors: none"),
            "{}",
            other.stdout
        );
    }

    for store in [db.as_str(), path_str(&back)] {
        let reset = authgate(&["users", "2fa", "jsmith", "--reset", "--store", store], "").ok();
        assert!(reset
            .stdout
            .contains("reset the second factors of 'jsmith'"));
        let two = authgate(&["users", "2fa", "jsmith", "--store", store], "").ok();
        assert!(
            two.stdout.contains("jsmith: no second factor"),
            "{}",
            two.stdout
        );
        let again = authgate(&["users", "2fa", "jsmith", "--reset", "--store", store], "");
        assert_ne!(again.code, Some(0), "{again:?}");
        assert!(again.all().contains("has no second factor"), "{again:?}");
        let audit = authgate(&["audit", "--json", "--limit", "10", "--store", store], "").ok();
        assert!(
            audit.stdout.contains("second_factors_reset"),
            "{}",
            audit.stdout
        );
        let missing = authgate(&["users", "2fa", "nobody", "--reset", "--store", store], "");
        assert_ne!(missing.code, Some(0));
    }
    // PostgreSQL still has them: the reset was per store.
    let two = authgate(&["users", "2fa", "jsmith", "--store", &pg], "").ok();
    assert!(two.stdout.contains("authenticator app (TOTP)"));
}

/// webauthn-rs's record of a passkey, as far as the CLI is concerned: text
/// it must never print.
const RECORD: &str = r#"{"cred":{"key":"public-key-material-never-printed"}}"#;

fn passkey(id: &str, name: &str, created: f64) -> StoredPasskey {
    StoredPasskey {
        credential_id: id.into(),
        user_handle: "0b7c6e2a-51c4-4d6b-9a3e-1f2d3c4b5a69".into(),
        name: name.into(),
        rp_id: "app.example.com".into(),
        passkey: RECORD.into(),
        counter: 0,
        created,
        last_used: None,
    }
}

#[test]
fn passkeys_are_listed_carried_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_rich_config(dir.path());
    let db_path = dir.path().join("auth.db");
    let db = sqlite_url(&db_path);
    authgate(&["migrate", "--from", path_str(&config), "--to", &db], "").ok();
    {
        let store = SqliteStore::open(&db_path).unwrap();
        for (id, name, created) in [
            ("Y3JlZC1sYXB0b3A", "Laptop", 1_700_000_000.0),
            ("Y3JlZC1waG9uZQ", "Phone", 1_700_086_400.0),
        ] {
            let added = store
                .add_passkey("jsmith", &passkey(id, name, created), 20, None)
                .unwrap();
            assert_eq!(added, PasskeyChange::Done);
        }
        assert!(store
            .use_passkey("jsmith", "Y3JlZC1waG9uZQ", 3, RECORD, 1_700_172_800.0)
            .unwrap());
    }
    let pg = support::fresh_database("passkeys_cli");
    let back = dir.path().join("back.yaml");
    let out = authgate(&["migrate", "--from", &db, "--to", &pg], "").ok();
    assert!(out.stdout.contains("2 passkeys"), "{}", out.stdout);
    authgate(&["migrate", "--from", &pg, "--to", path_str(&back)], "").ok();
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(
        !text.contains("Laptop") && !text.contains("public-key-material"),
        "passkeys stay out of the YAML file"
    );

    for store in [db.as_str(), pg.as_str(), path_str(&back)] {
        let shown = authgate(&["users", "show", "jsmith", "--store", store], "").ok();
        for line in [
            "second factors: passkeys",
            "passkeys:       2",
            "  - Laptop (app.example.com), added 2023-11-14",
            "last used never",
            "  - Phone (app.example.com), added 2023-11-15",
            "last used 2023-11-16",
        ] {
            assert!(
                shown.stdout.contains(line),
                "{store}: {line}\n{}",
                shown.stdout
            );
        }
        let json = authgate(&["users", "show", "jsmith", "--json", "--store", store], "").ok();
        let view: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(view["second_factors"], serde_json::json!(["passkeys"]));
        assert_eq!(view["passkeys"][0]["name"], "Laptop");
        assert_eq!(view["passkeys"][0]["last_used"], serde_json::Value::Null);
        assert_eq!(view["passkeys"][1]["name"], "Phone");
        assert_eq!(view["passkeys"][1]["last_used"], 1_700_172_800.0);
        let two = authgate(&["users", "2fa", "jsmith", "--store", store], "").ok();
        assert!(
            two.stdout
                .contains("jsmith: passkey Laptop (app.example.com)")
                && two.stdout.contains("jsmith: passkey Phone"),
            "{}",
            two.stdout
        );
        for run in [&shown, &json, &two] {
            assert!(!run.all().contains("public-key-material"));
        }
        let other = authgate(&["users", "show", "rbriggs", "--store", store], "").ok();
        assert!(
            other.stdout.contains("passkeys:       none"),
            "{}",
            other.stdout
        );
    }

    for store in [db.as_str(), path_str(&back)] {
        let reset = authgate(&["users", "2fa", "jsmith", "--reset", "--store", store], "").ok();
        assert!(
            reset.stdout.contains("an authenticator app or a passkey"),
            "{}",
            reset.stdout
        );
        let shown = authgate(&["users", "show", "jsmith", "--store", store], "").ok();
        assert!(
            shown.stdout.contains("passkeys:       none"),
            "{}",
            shown.stdout
        );
        let audit = authgate(&["audit", "--json", "--limit", "10", "--store", store], "").ok();
        assert!(
            audit.stdout.contains("second_factors_reset"),
            "{}",
            audit.stdout
        );
    }
    let two = authgate(&["users", "2fa", "jsmith", "--store", &pg], "").ok();
    assert!(two.stdout.contains("passkey Laptop"), "{}", two.stdout);
}
