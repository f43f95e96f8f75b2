//! `authgate users 2fa` and the second factors in `users show` and
//! `authgate migrate`: shown without secrets, carried between stores (a
//! config.yaml keeps them in its state database, not in the file), reset
//! by the operator with an audit event.

use std::path::Path;

use crate::common::{authgate, sqlite_url, write_rich_config};
use crate::support;
use authgate::store::{SqliteStore, Store, StoredTotp};

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
