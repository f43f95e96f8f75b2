//! The security review's attacks (issue #11), each performed against every
//! store — dict mode, config.yaml, SQLite, PostgreSQL — and each refused.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{SystemTime, UNIX_EPOCH};

use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
use authgate::clock::FakeClock;
use authgate::store::document::{Document, Layout};
use authgate::store::{DocStore, OpenOptions, PostgresStore, SqliteStore, Store};
use authgate::token::{self, Claims, TokenKey};
use authgate::yaml;
use authgate::Error;

use crate::support;

const KEY: &str = "a-cookie-key-of-32-bytes-or-more-0123456789";

fn config() -> String {
    let hash = authgate::password::hash_with_cost("abc", 4).unwrap();
    format!(
        "cookie:\n  expiry_days: 30\n  key: {KEY}\n  name: c\ncredentials:\n  usernames:\n    \
         jsmith:\n      email: jsmith@gmail.com\n      first_name: John\n      last_name: Smith\n      \
         password: '{hash}'\n      roles: [admin]\n"
    )
}

struct Target {
    name: &'static str,
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

fn document() -> Document {
    let value = yaml::parse(&config(), Path::new("config.yaml")).unwrap();
    Document::from_value(value, Layout::Config, Path::new("config.yaml")).unwrap()
}

/// A fresh store of each kind, holding jsmith / abc.
fn targets() -> Vec<Target> {
    let mut root = yaml::parse(&config(), Path::new("config.yaml")).unwrap();
    let credentials = root.as_map_mut().unwrap().remove("credentials").unwrap();
    let memory = Target {
        name: "dict",
        store: Arc::new(DocStore::in_memory(credentials).unwrap()),
        _dir: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config()).unwrap();
    let file = Target {
        name: "config.yaml",
        store: Arc::new(DocStore::open_file(&path, OpenOptions::default()).unwrap()),
        _dir: Some(dir),
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("auth.db")).unwrap();
    sqlite.import_document(&document()).unwrap();
    let sqlite = Target {
        name: "sqlite",
        store: Arc::new(sqlite),
        _dir: Some(dir),
    };
    let postgres = PostgresStore::connect(&support::fresh_database("attacks")).unwrap();
    postgres.import_document(&document()).unwrap();
    let postgres = Target {
        name: "postgres",
        store: Arc::new(postgres),
        _dir: None,
    };
    vec![memory, file, sqlite, postgres]
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn authenticator(store: &Arc<dyn Store>) -> (Authenticator, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(now()));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap();
    (
        Authenticator::with_clock(store.clone(), config, clock.clone()),
        clock,
    )
}

fn login<'a>(password: &'a str, max: Option<u32>) -> LoginRequest<'a> {
    LoginRequest {
        username: "jsmith",
        password,
        max_login_attempts: max,
        ..Default::default()
    }
}

/// A streamlit-authenticator 0.4.2 cookie, as a key holder would make it.
fn legacy(exp_date: f64) -> String {
    token::encode(&TokenKey::new(KEY), &Claims::new("jsmith", exp_date)).unwrap()
}

/// Asserts that the attack on `t` was refused for `reason`.
fn assert_refused(t: &Target, result: authgate::Result<authgate::auth::Login>, reason: &str) {
    assert_eq!(refused(result), reason, "{}", t.name);
}

fn refused(result: authgate::Result<authgate::auth::Login>) -> String {
    match result {
        Err(Error::TokenRefused(reason)) => reason.to_string(),
        Err(Error::AccountLocked { .. }) => "locked".to_string(),
        Err(other) => panic!("expected a refusal, got {other:?}"),
        Ok(login) => panic!("the attack worked: logged in as {}", login.user.username),
    }
}

// ---- 2. 0.4.2 cookies --------------------------------------------------------------

#[test]
fn a_0_4_2_cookie_is_exchanged_once_and_never_replayed() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        let cookie = legacy(now() + 20.0 * 86_400.0);
        let first = auth.resume(&cookie, None, false).unwrap();
        assert_eq!(first.user.username, "jsmith", "{}", t.name);
        assert_refused(&t, auth.resume(&cookie, None, false), "already exchanged");
        let events = t.store.recent_events(50).unwrap();
        assert!(
            events.iter().any(|e| e.kind == "legacy_resume"),
            "{}",
            t.name
        );
    }
}

#[test]
fn a_far_future_0_4_2_cookie_is_refused() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        let forged = legacy(1e12);
        assert_refused(&t, auth.resume(&forged, None, false), "expiry too far");
    }
}

#[test]
fn no_0_4_2_cookie_survives_a_logout_or_password_change() {
    for t in targets() {
        let (auth, clock) = authenticator(&t.store);
        let session = auth.login(&login("abc", None)).unwrap();
        auth.logout(&session.session.id).unwrap();
        clock.advance(5.0);
        // Even one whose derived issue time is after the logout (the
        // operator lowered expiry_days, or a forger picked the date).
        let cookie = legacy(now() + 29.9 * 86_400.0);
        assert_refused(&t, auth.resume(&cookie, None, false), "revoked");
    }
}

#[test]
fn a_removed_users_0_4_2_cookie_does_not_log_in_their_successor() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        let cookie = legacy(now() + 10.0 * 86_400.0);
        assert!(t.store.remove_user("jsmith").unwrap(), "{}", t.name);
        let hash = authgate::password::hash_with_cost("new-owner", 4).unwrap();
        let user = authgate::store::NewUser {
            username: "jsmith".into(),
            email: "new@example.com".into(),
            first_name: "New".into(),
            last_name: "Owner".into(),
            password_hash: Some(hash),
            roles: None,
            password_hint: None,
            awaiting_verification: false,
        };
        t.store.add_user(&user, false, None).unwrap();
        assert_refused(&t, auth.resume(&cookie, None, false), "revoked");
    }
}

// ---- 4. an operator's lock holds against every way in -------------------------------

#[test]
fn an_operators_lock_holds_against_every_way_in() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        t.store.set_lock("jsmith", Some(f64::INFINITY)).unwrap();
        assert!(
            matches!(
                auth.login(&login("abc", None)),
                Err(Error::AccountLocked { .. })
            ),
            "{}: password",
            t.name
        );
        let cookie = legacy(now() + 10.0 * 86_400.0);
        assert_refused(&t, auth.resume(&cookie, None, false), "locked");
        assert!(
            matches!(
                auth.reset_password("jsmith", "abc", "N3w-Passw0rd!", "N3w-Passw0rd!"),
                Err(Error::AccountLocked { .. })
            ),
            "{}: reset",
            t.name
        );
        // Nothing erased it.
        let lock = t.store.lock_state("jsmith").unwrap();
        assert_eq!(lock.disabled_until, Some(f64::INFINITY), "{}", t.name);
        t.store.set_lock("jsmith", None).unwrap();
        assert!(
            auth.login(&login("abc", None)).is_ok(),
            "{}: unlocked",
            t.name
        );
    }
}

// ---- 5. parallel guesses ------------------------------------------------------------

/// Runs `attempt` on 12 threads released at once; their results.
fn all_at_once<F>(
    auth: &Arc<Authenticator>,
    attempt: F,
) -> Vec<authgate::Result<authgate::auth::Login>>
where
    F: Fn(&Authenticator) -> authgate::Result<authgate::auth::Login> + Send + Sync + 'static,
{
    let attempt = Arc::new(attempt);
    let barrier = Arc::new(Barrier::new(12));
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let (auth, barrier, attempt) = (auth.clone(), barrier.clone(), attempt.clone());
            std::thread::spawn(move || {
                barrier.wait();
                attempt(&auth)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn parallel_guesses_get_no_more_checks_than_the_limit() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        let auth = Arc::new(auth);
        let mut checked = 0;
        for guess in all_at_once(&auth, |auth| auth.login(&login("wrong", Some(3)))) {
            match guess {
                Err(Error::InvalidCredentials { .. }) => checked += 1,
                Err(Error::AccountLocked { .. } | Error::TooManyAttempts { .. }) => {}
                other => panic!("{}: {other:?}", t.name),
            }
        }
        assert!(checked <= 3, "{}: {checked} guesses were checked", t.name);
        let owner = LoginRequest {
            client: Some(OWNER),
            ..login("abc", Some(3))
        };
        assert!(
            matches!(auth.login(&owner), Err(Error::AccountLocked { .. })),
            "{}: the right password after the lock",
            t.name
        );
    }
}

// ---- 6. the default throttle -------------------------------------------------------

const STRANGER: &str = "198.51.100.7";
const OWNER: &str = "203.0.113.5";

fn from<'a>(client: &'a str, username: &'a str, password: &'a str) -> LoginRequest<'a> {
    LoginRequest {
        username,
        password,
        client: Some(client),
        ..Default::default()
    }
}

/// Asserts that the attempt on `t` was checked and the password was wrong.
fn assert_wrong(t: &Target, result: authgate::Result<authgate::auth::Login>) {
    match result {
        Err(Error::InvalidCredentials { .. }) => {}
        Err(other) => panic!("{}: expected a wrong password, got {other:?}", t.name),
        Ok(_) => panic!("{}: the guess logged in", t.name),
    }
}

/// The wait a refused attempt was told, or a panic naming what happened.
fn wait_of(t: &Target, result: authgate::Result<authgate::auth::Login>) -> f64 {
    match result {
        Err(Error::TooManyAttempts { retry_after }) => retry_after,
        Err(other) => panic!("{}: expected a wait, got {other:?}", t.name),
        Ok(_) => panic!("{}: the guess was checked and logged in", t.name),
    }
}

#[test]
fn guessing_is_slowed_by_default_and_the_owner_is_not_locked_out() {
    for t in targets() {
        let (auth, clock) = authenticator(&t.store);
        for _ in 0..5 {
            assert_wrong(&t, auth.login(&from(STRANGER, "jsmith", "guess")));
        }
        // The next attempt waits, even with the right password: not checked.
        let wait = wait_of(&t, auth.login(&from(STRANGER, "jsmith", "abc")));
        assert!((wait - 1.0).abs() < 1e-6, "{}: {wait}", t.name);
        // The owner, on another client, is not slowed at all.
        assert!(
            auth.login(&from(OWNER, "jsmith", "abc")).is_ok(),
            "{}",
            t.name
        );
        // The stranger's waits double.
        for expected in [2.0, 4.0, 8.0] {
            clock.advance(wait_of(&t, auth.login(&from(STRANGER, "jsmith", "x"))));
            assert_wrong(&t, auth.login(&from(STRANGER, "jsmith", "guess")));
            let wait = wait_of(&t, auth.login(&from(STRANGER, "jsmith", "x")));
            assert!((wait - expected).abs() < 1e-6, "{}: {wait}", t.name);
        }
        // A new window starts over.
        clock.advance(15.0 * 60.0);
        assert!(
            auth.login(&from(STRANGER, "jsmith", "abc")).is_ok(),
            "{}",
            t.name
        );
    }
}

#[test]
fn parallel_guesses_from_one_client_get_only_the_free_checks() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        let auth = Arc::new(auth);
        let mut checked = 0;
        for guess in all_at_once(&auth, |auth| auth.login(&from(STRANGER, "jsmith", "wrong"))) {
            match guess {
                Err(Error::InvalidCredentials { .. }) => checked += 1,
                Err(Error::TooManyAttempts { .. }) => {}
                other => panic!("{}: {other:?}", t.name),
            }
        }
        assert_eq!(checked, 5, "{}", t.name);
    }
}

#[test]
fn a_locked_account_says_so_even_while_the_client_waits() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        let attempt = |password| LoginRequest {
            max_login_attempts: Some(5),
            ..from(STRANGER, "jsmith", password)
        };
        for _ in 0..5 {
            assert_wrong(&t, auth.login(&attempt("guess")));
        }
        assert!(
            matches!(
                auth.login(&attempt("abc")),
                Err(Error::AccountLocked { .. })
            ),
            "{}",
            t.name
        );
    }
}

#[test]
fn unknown_usernames_are_slowed_like_known_ones() {
    for t in targets() {
        let (auth, _) = fast_authenticator(&t.store);
        for username in ["jsmith", "nobody"] {
            for _ in 0..5 {
                assert_wrong(&t, auth.login(&from(STRANGER, username, "guess")));
            }
            let wait = wait_of(&t, auth.login(&from(STRANGER, username, "guess")));
            assert!((wait - 1.0).abs() < 1e-6, "{}: {username}: {wait}", t.name);
        }
    }
}

#[test]
fn one_client_trying_many_accounts_is_slowed() {
    for t in targets() {
        let (auth, _) = fast_authenticator(&t.store);
        let names: Vec<String> = (0..30).map(|i| format!("user{i}")).collect();
        for name in &names {
            assert_wrong(&t, auth.login(&from(STRANGER, name, "Passw0rd!")));
        }
        wait_of(&t, auth.login(&from(STRANGER, "user30", "Passw0rd!")));
        // Its first try of the real account waits too.
        wait_of(&t, auth.login(&from(STRANGER, "jsmith", "abc")));
        assert!(auth.login(&from(OWNER, "jsmith", "abc")).is_ok());
    }
}

#[test]
fn a_success_gives_its_attempt_back() {
    for t in targets() {
        let (auth, _) = fast_authenticator(&t.store);
        for i in 0..29 {
            let name = format!("user{i}");
            assert_wrong(&t, auth.login(&from(STRANGER, &name, "x")));
        }
        // The 30th attempt succeeds: it does not use up the client's last free one…
        assert!(
            auth.login(&from(STRANGER, "jsmith", "abc")).is_ok(),
            "{}",
            t.name
        );
        assert_wrong(&t, auth.login(&from(STRANGER, "user99", "x")));
        // …so the 31st is the first to wait, and waits the first wait.
        let wait = wait_of(&t, auth.login(&from(STRANGER, "user98", "x")));
        assert!((wait - 1.0).abs() < 1e-6, "{}: {wait}", t.name);
    }
}

#[test]
fn many_clients_on_one_account_make_its_owner_wait_a_minute_at_most() {
    for t in targets() {
        let (auth, clock) = fast_authenticator(&t.store);
        for i in 0..60 {
            let client = format!("192.0.2.{i}");
            match auth.login(&from(&client, "jsmith", "guess")) {
                Err(Error::InvalidCredentials { .. } | Error::TooManyAttempts { .. }) => {}
                other => panic!("{}: {other:?}", t.name),
            }
            clock.advance(0.001);
        }
        let wait = wait_of(&t, auth.login(&from(OWNER, "jsmith", "abc")));
        assert!(wait > 0.0 && wait <= 60.0, "{}: {wait}", t.name);
        clock.advance(wait);
        assert!(
            auth.login(&from(OWNER, "jsmith", "abc")).is_ok(),
            "{}",
            t.name
        );
    }
}

/// [`authenticator`] whose dummy bcrypt (for unknown users) is cheap.
fn fast_authenticator(store: &Arc<dyn Store>) -> (Authenticator, Arc<FakeClock>) {
    authenticator_at_cost(store, 4)
}

fn authenticator_at_cost(store: &Arc<dyn Store>, cost: u32) -> (Authenticator, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(now()));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
        .unwrap()
        .with_hash_cost(cost)
        .unwrap();
    (
        Authenticator::with_clock(store.clone(), config, clock.clone()),
        clock,
    )
}

// ---- low: enumeration by timing ----------------------------------------------------

#[test]
fn a_cheaper_hash_is_raised_to_the_apps_cost_at_login_and_the_session_lives_on() {
    // Databases only: a login never rewrites a config.yaml, nor the app's dict.
    for t in targets()
        .into_iter()
        .filter(|t| t.store.upgrades_hashes_on_login())
    {
        // A session opened while the hash was the cheap one…
        let (cheap, _) = authenticator_at_cost(&t.store, 4);
        let earlier = cheap.login(&login("abc", None)).unwrap();
        let old = t
            .store
            .user("jsmith")
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap();
        assert_eq!(authgate::password::cost(&old), Some(4), "{}", t.name);
        // …an app hashing at 5 raises it at the next login…
        let (auth, _) = authenticator_at_cost(&t.store, 5);
        auth.login(&login("abc", None)).unwrap();
        let hash = t
            .store
            .user("jsmith")
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap();
        assert_eq!(authgate::password::cost(&hash), Some(5), "{}", t.name);
        assert!(authgate::password::verify("abc", &hash).unwrap());
        // …and the password did not change, so the session and its cookie live on.
        assert!(
            auth.check_session(&earlier.session.id).unwrap().is_some(),
            "{}",
            t.name
        );
        let token = earlier.token.expect("a cookie token");
        assert!(auth.resume(&token, None, false).is_ok(), "{}", t.name);
        // A dearer hash is left alone.
        cheap.login(&login("abc", None)).unwrap();
        let kept = t
            .store
            .user("jsmith")
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap();
        assert_eq!(kept, hash, "{}", t.name);
    }
}

#[test]
fn hashes_in_a_config_or_dict_keep_their_cost() {
    let kinds: Vec<&str> = targets()
        .iter()
        .filter(|t| t.store.upgrades_hashes_on_login())
        .map(|t| t.name)
        .collect();
    assert_eq!(kinds, ["sqlite", "postgres"]);
    for t in targets().into_iter().take(2) {
        let (auth, _) = authenticator_at_cost(&t.store, 5);
        auth.login(&login("abc", None)).unwrap();
        let hash = t
            .store
            .user("jsmith")
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap();
        assert_eq!(authgate::password::cost(&hash), Some(4), "{}", t.name);
    }
}

#[test]
fn an_overlong_password_is_refused_alike_and_counts_nothing() {
    for t in targets() {
        let (auth, _) = fast_authenticator(&t.store);
        let long = "x".repeat(73);
        for username in ["jsmith", "nobody"] {
            let attempt = LoginRequest {
                username,
                password: &long,
                max_login_attempts: Some(1),
                ..Default::default()
            };
            assert_wrong(&t, auth.login(&attempt));
        }
        assert_eq!(
            t.store.lock_state("jsmith").unwrap().failures,
            0,
            "{}",
            t.name
        );
        assert!(auth.login(&login("abc", Some(1))).is_ok(), "{}", t.name);
    }
}

// ---- 11. reset_password and the email --------------------------------------------

#[test]
fn reset_password_cannot_be_used_to_guess_the_current_password() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        for _ in 0..authgate::account::REAUTH_MAX_ATTEMPTS {
            assert!(matches!(
                auth.reset_password("jsmith", "guess", "N3w-Passw0rd!", "N3w-Passw0rd!"),
                Err(Error::InvalidCredentials { .. })
            ));
        }
        assert!(
            matches!(
                auth.reset_password("jsmith", "abc", "N3w-Passw0rd!", "N3w-Passw0rd!"),
                Err(Error::AccountLocked { .. })
            ),
            "{}",
            t.name
        );
        let user = t.store.user("jsmith").unwrap().unwrap();
        assert!(authgate::password::verify("abc", user.password_hash.as_deref().unwrap()).unwrap());
    }
}

#[test]
fn the_email_changes_only_with_the_current_password() {
    for t in targets() {
        let (auth, _) = authenticator(&t.store);
        for password in [None, Some(""), Some("wrong")] {
            assert!(
                auth.update_details("jsmith", "email", "attacker@example.com", password)
                    .is_err(),
                "{}: {password:?}",
                t.name
            );
        }
        let user = t.store.user("jsmith").unwrap().unwrap();
        assert_eq!(
            user.email.as_deref(),
            Some("jsmith@gmail.com"),
            "{}",
            t.name
        );
        let changed = auth
            .update_details("jsmith", "email", "john@example.com", Some("abc"))
            .unwrap();
        assert_eq!(
            changed.email.as_deref(),
            Some("john@example.com"),
            "{}",
            t.name
        );
        // Names need no password.
        auth.update_details("jsmith", "last_name", "Smythe", None)
            .unwrap();
    }
}
