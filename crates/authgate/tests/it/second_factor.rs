//! The TOTP second factor and its recovery codes, end to end through the
//! `Authenticator`, on every store: in memory (dict mode), a `config.yaml`
//! file (factors in its state database), SQLite and PostgreSQL (a real
//! server from `support`).

use std::path::Path;
use std::sync::{Arc, Barrier};

use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
use authgate::clock::FakeClock;
use authgate::second_factor::{FactorUsed, PasswordStep, SecondFactorRefusal, TotpChallenge};
use authgate::store::document::{Document, Layout};
use authgate::store::{
    DocStore, NewUser, OpenOptions, PostgresStore, SqliteStore, Store, StoredTotp,
};
use authgate::token::TokenKey;
use authgate::totp::{self, TotpSecret};
use authgate::{yaml, Error};

use crate::support;

/// A time on a step boundary plus 10 s: steps are 30 s.
const T0: f64 = 1_700_000_010.0;
const KEY: &str = "second-factor-test-key-0123456789abcdef";
const PASSWORD: &str = "pw-Secret-1";

struct Fixture {
    store: Arc<dyn Store>,
    export: Box<dyn Fn() -> Document + Send + Sync>,
    /// The config file of the YAML store.
    file: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

fn users_yaml() -> String {
    let hash = authgate::password::hash_with_cost(PASSWORD, 4).unwrap();
    format!(
        "usernames:\n  ann:\n    email: ann@example.com\n    password: '{hash}'\n  \
         bob:\n    email: bob@example.com\n    password: '{hash}'\n  \
         guest:\n    email: guest@example.com\n"
    )
}

fn config_text() -> String {
    let users: String = users_yaml().lines().map(|l| format!("  {l}\n")).collect();
    format!("cookie:\n  expiry_days: 30\n  key: {KEY}\n  name: c\ncredentials:\n{users}")
}

fn document() -> Document {
    let value = yaml::parse(&config_text(), Path::new("config.yaml")).unwrap();
    Document::from_value(value, Layout::Config, Path::new("config.yaml")).unwrap()
}

fn memory() -> Fixture {
    let users = yaml::parse(&users_yaml(), Path::new("<dict>")).unwrap();
    let store = Arc::new(DocStore::in_memory(users).unwrap());
    let s = Arc::clone(&store);
    Fixture {
        store,
        export: Box::new(move || s.export_document().unwrap()),
        file: None,
        _dir: None,
    }
}

fn yaml_file() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config_text()).unwrap();
    let store = Arc::new(DocStore::open_file(&path, OpenOptions::default()).unwrap());
    let s = Arc::clone(&store);
    Fixture {
        store,
        export: Box::new(move || s.export_document().unwrap()),
        file: Some(path),
        _dir: Some(dir),
    }
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("auth.db")).unwrap());
    store.import_document(&document()).unwrap();
    let s = Arc::clone(&store);
    Fixture {
        store,
        export: Box::new(move || s.export_document().unwrap()),
        file: None,
        _dir: Some(dir),
    }
}

fn postgres() -> Fixture {
    let url = support::fresh_database("second_factor");
    let store = Arc::new(PostgresStore::connect(&url).unwrap());
    store.import_document(&document()).unwrap();
    let s = Arc::clone(&store);
    Fixture {
        store,
        export: Box::new(move || s.export_document().unwrap()),
        file: None,
        _dir: None,
    }
}

every_store!(
    enrolment_needs_a_right_code,
    login_asks_for_the_code_and_a_code_works_once,
    one_step_either_side_and_no_further,
    parallel_logins_with_one_code_give_one_session,
    recovery_codes_work_once_and_regenerate_with_the_password,
    wrong_codes_count_toward_the_lockout,
    disable_needs_the_password,
    a_secret_moved_to_another_user_does_not_open,
    reset_is_audited_and_removal_takes_the_factors,
    a_password_change_voids_the_challenge,
    factors_are_exported_and_imported,
    debug_shows_no_secret,
);

// ---- helpers ---------------------------------------------------------------------

fn auth(f: &Fixture) -> (Authenticator, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(T0));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
        .unwrap()
        .with_totp_issuer("Test App")
        .unwrap();
    (
        Authenticator::with_clock(Arc::clone(&f.store), config, clock.clone()),
        clock,
    )
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn code(secret: &TotpSecret, now: f64) -> String {
    totp::code_at(secret, now as u64)
}

/// Enrols `username` at the clock's time; the secret and recovery codes.
fn enrol(auth: &Authenticator, clock: &FakeClock, username: &str) -> (TotpSecret, Vec<String>) {
    use authgate::clock::Clock;
    let enrolment = auth.begin_totp_enrolment(username).unwrap();
    let secret = TotpSecret::from_base32(&enrolment.secret_base32).unwrap();
    let codes = auth
        .confirm_totp_enrolment(username, &enrolment.pending, &code(&secret, clock.now()))
        .unwrap();
    (secret, codes)
}

fn refusal<T: std::fmt::Debug>(r: authgate::Result<T>) -> SecondFactorRefusal {
    match r {
        Err(Error::SecondFactorRefused(why)) => why,
        other => panic!("expected a second-factor refusal, got {other:?}"),
    }
}

fn request(username: &str) -> LoginRequest<'_> {
    LoginRequest {
        username,
        password: PASSWORD,
        ..Default::default()
    }
}

fn challenge(auth: &Authenticator, req: &LoginRequest<'_>) -> TotpChallenge {
    match auth.login_with_totp(req).unwrap() {
        PasswordStep::NeedsCode(c) => c,
        PasswordStep::LoggedIn(_) => panic!("a user with TOTP must be asked for a code"),
    }
}

// ---- the tests -------------------------------------------------------------------

fn enrolment_needs_a_right_code(f: &Fixture) {
    let (auth, clock) = auth(f);
    let enrolment = auth.begin_totp_enrolment("Ann").unwrap();
    assert!(
        enrolment.uri.starts_with("otpauth://totp/Test%20App:ann?"),
        "{}",
        enrolment.uri
    );
    assert_eq!(&enrolment.qr_png[..4], b"\x89PNG");
    let secret = TotpSecret::from_base32(&enrolment.secret_base32).unwrap();
    let right = code(&secret, T0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(
        refusal(auth.confirm_totp_enrolment("ann", &enrolment.pending, wrong)),
        SecondFactorRefusal::Wrong
    );
    assert!(!auth.has_totp("ann").unwrap());
    assert!(
        f.store.second_factors("ann").unwrap().is_empty(),
        "nothing stored"
    );
    // Another user's pending enrolment, or a forged one, does not confirm.
    assert_eq!(
        refusal(auth.confirm_totp_enrolment("bob", &enrolment.pending, &right)),
        SecondFactorRefusal::EnrolmentExpired
    );
    assert_eq!(
        refusal(auth.confirm_totp_enrolment("ann", "v1.AAAA", &right)),
        SecondFactorRefusal::EnrolmentExpired
    );
    let codes = auth
        .confirm_totp_enrolment("ann", &enrolment.pending, &right)
        .unwrap();
    assert_eq!(codes.len(), totp::RECOVERY_CODES);
    assert!(auth.has_totp("ANN").unwrap());
    let stored = f.store.second_factors("ann").unwrap();
    let sealed = stored.totp.expect("stored").secret;
    assert!(!sealed.contains(&enrolment.secret_base32));
    assert_eq!(stored.recovery_codes.len(), totp::RECOVERY_CODES);
    for c in &codes {
        assert!(stored
            .recovery_codes
            .iter()
            .all(|d| !d.contains(c.as_str())));
    }
    assert_eq!(
        refusal(auth.begin_totp_enrolment("ann")),
        SecondFactorRefusal::AlreadyEnabled
    );
    assert_eq!(
        refusal(auth.confirm_totp_enrolment("ann", &enrolment.pending, &right)),
        SecondFactorRefusal::AlreadyEnabled
    );
    // A pending enrolment expires.
    let late = auth.begin_totp_enrolment("bob").unwrap();
    clock.advance(authgate::second_factor::ENROLMENT_TTL);
    let bob_secret = TotpSecret::from_base32(&late.secret_base32).unwrap();
    assert_eq!(
        refusal(auth.confirm_totp_enrolment(
            "bob",
            &late.pending,
            &code(&bob_secret, T0 + authgate::second_factor::ENROLMENT_TTL)
        )),
        SecondFactorRefusal::EnrolmentExpired
    );
    assert!(matches!(
        auth.begin_totp_enrolment("guest"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        auth.begin_totp_enrolment("nobody"),
        Err(Error::UserNotFound(_))
    ));
}

fn login_asks_for_the_code_and_a_code_works_once(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, _) = enrol(&auth, &clock, "ann");
    // The code that confirmed the enrolment cannot log in.
    let mut c = challenge(&auth, &request("ann"));
    assert_eq!(
        refusal(auth.finish_totp_login(&mut c, &code(&secret, T0))),
        SecondFactorRefusal::Replayed
    );
    clock.advance(30.0);
    let now = T0 + 30.0;
    let login = auth.finish_totp_login(&mut c, &code(&secret, now)).unwrap();
    assert_eq!(login.user.username, "ann");
    assert!(auth.check_session(&login.session.id).unwrap().is_some());
    assert_eq!(
        refusal(auth.finish_totp_login(&mut c, &code(&secret, now))),
        SecondFactorRefusal::ChallengeSpent
    );
    let mut again = challenge(&auth, &request("ann"));
    assert_eq!(
        refusal(auth.finish_totp_login(&mut again, &code(&secret, now))),
        SecondFactorRefusal::Replayed
    );
    // A wrong password never gets to the code.
    let bad = LoginRequest {
        password: "wrong",
        ..request("ann")
    };
    assert!(matches!(
        auth.login_with_totp(&bad),
        Err(Error::InvalidCredentials { .. })
    ));
    // Without the factor, the password opens the session.
    match auth.login_with_totp(&request("bob")).unwrap() {
        PasswordStep::LoggedIn(login) => assert_eq!(login.user.username, "bob"),
        PasswordStep::NeedsCode(_) => panic!("bob has no second factor"),
    }
    // A challenge expires.
    let mut old = challenge(&auth, &request("ann"));
    clock.advance(authgate::second_factor::CHALLENGE_TTL);
    let later = now + authgate::second_factor::CHALLENGE_TTL;
    assert_eq!(
        refusal(auth.finish_totp_login(&mut old, &code(&secret, later))),
        SecondFactorRefusal::ChallengeExpired
    );
}

fn one_step_either_side_and_no_further(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, _) = enrol(&auth, &clock, "ann");
    clock.advance(300.0);
    let now = T0 + 300.0;
    for offset in [-2.0, 2.0] {
        let mut c = challenge(&auth, &request("ann"));
        assert_eq!(
            refusal(auth.finish_totp_login(&mut c, &code(&secret, now + offset * 30.0))),
            SecondFactorRefusal::Wrong,
            "{offset} steps"
        );
    }
    auth.store().set_lock("ann", None).unwrap();
    // Ascending, so that each is newer than the one before.
    for offset in [-1.0, 0.0, 1.0] {
        let mut c = challenge(&auth, &request("ann"));
        auth.finish_totp_login(&mut c, &code(&secret, now + offset * 30.0))
            .unwrap_or_else(|e| panic!("{offset} steps: {e}"));
    }
    // After the step ahead was used, the current one is refused.
    let mut c = challenge(&auth, &request("ann"));
    assert_eq!(
        refusal(auth.finish_totp_login(&mut c, &code(&secret, now))),
        SecondFactorRefusal::Replayed
    );
}

fn parallel_logins_with_one_code_give_one_session(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, codes) = enrol(&auth, &clock, "ann");
    let auth = Arc::new(auth);
    for round in 1..=4 {
        clock.advance(30.0);
        let now = T0 + 30.0 * f64::from(round);
        // The odd rounds race a TOTP code, the even ones a recovery code.
        let typed = if round % 2 == 1 {
            code(&secret, now)
        } else {
            codes[round as usize].clone()
        };
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let mut c = challenge(&auth, &request("ann"));
                let (auth, barrier, typed) =
                    (Arc::clone(&auth), Arc::clone(&barrier), typed.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    auth.finish_totp_login(&mut c, &typed)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "round {round}: {results:?}");
        for r in results.into_iter().filter(Result::is_err) {
            let why = refusal(r);
            assert!(
                matches!(
                    why,
                    SecondFactorRefusal::Replayed | SecondFactorRefusal::Wrong
                ),
                "{why:?}"
            );
        }
        // The failures counted; clear them for the next round.
        auth.store().set_lock("ann", None).unwrap();
    }
}

fn recovery_codes_work_once_and_regenerate_with_the_password(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (_, codes) = enrol(&auth, &clock, "ann");
    let mut c = challenge(&auth, &request("ann"));
    let login = auth
        .finish_totp_login(&mut c, &codes[0].to_uppercase().replace('-', " "))
        .unwrap();
    assert_eq!(login.user.username, "ann");
    let mut c = challenge(&auth, &request("ann"));
    assert_eq!(
        refusal(auth.finish_totp_login(&mut c, &codes[0])),
        SecondFactorRefusal::Wrong
    );
    assert_eq!(
        auth.check_second_factor("ann", &codes[1]).unwrap(),
        FactorUsed::RecoveryCode {
            left: totp::RECOVERY_CODES - 2
        }
    );
    assert_eq!(
        auth.second_factor_summary("ann")
            .unwrap()
            .recovery_codes_left,
        totp::RECOVERY_CODES - 2
    );
    assert!(matches!(
        auth.regenerate_recovery_codes("ann", "wrong"),
        Err(Error::InvalidCredentials { .. })
    ));
    let fresh = auth.regenerate_recovery_codes("ann", PASSWORD).unwrap();
    assert_eq!(fresh.len(), totp::RECOVERY_CODES);
    assert_eq!(
        auth.second_factor_summary("ann")
            .unwrap()
            .recovery_codes_left,
        totp::RECOVERY_CODES
    );
    auth.store().set_lock("ann", None).unwrap();
    assert_eq!(
        refusal(auth.check_second_factor("ann", &codes[2])),
        SecondFactorRefusal::Wrong,
        "the old codes are gone"
    );
    assert!(matches!(
        auth.check_second_factor("ann", &fresh[9]).unwrap(),
        FactorUsed::RecoveryCode { .. }
    ));
    // A code of one user is no code of another.
    let (_, bob_codes) = enrol(&auth, &clock, "bob");
    assert_eq!(
        refusal(auth.check_second_factor("ann", &bob_codes[0])),
        SecondFactorRefusal::Wrong
    );
    assert!(matches!(
        auth.regenerate_recovery_codes("guest", "x"),
        Err(Error::InvalidInput(_))
    ));
    auth.disable_totp("bob", PASSWORD).unwrap();
    assert_eq!(
        refusal(auth.regenerate_recovery_codes("bob", PASSWORD)),
        SecondFactorRefusal::NotEnabled
    );
}

fn wrong_codes_count_toward_the_lockout(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, _) = enrol(&auth, &clock, "ann");
    clock.advance(60.0);
    let now = T0 + 60.0;
    let right = code(&secret, now);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let req = LoginRequest {
        max_login_attempts: Some(3),
        ..request("ann")
    };
    let mut c = challenge(&auth, &req);
    // The password attempt counted one; two wrong codes make three.
    let mut tries = 0;
    let until = loop {
        tries += 1;
        assert!(tries <= 3, "no lock after {tries} wrong codes");
        match auth.finish_totp_login(&mut c, wrong) {
            Err(Error::SecondFactorRefused(SecondFactorRefusal::Wrong)) => {}
            Err(Error::AccountLocked { until }) => break until,
            other => panic!("{other:?}"),
        }
    };
    assert!(until > now);
    assert!(matches!(
        auth.finish_totp_login(&mut c, &right),
        Err(Error::AccountLocked { .. })
    ));
    let events = auth.store().recent_events(50).unwrap();
    assert!(events
        .iter()
        .any(|e| e.kind == "second_factor_failed" && e.username.as_deref() == Some("ann")));
    assert!(events.iter().any(|e| e.kind == "locked"));
    // The same for a check outside a login, at five attempts.
    enrol(&auth, &clock, "bob");
    let mut refused = 0;
    while let Err(e) = auth.check_second_factor("bob", wrong) {
        match e {
            Error::SecondFactorRefused(_) => refused += 1,
            Error::AccountLocked { .. } => break,
            other => panic!("{other}"),
        }
        assert!(refused <= 5, "bob never locked");
    }
    assert!(refused <= 5);
}

fn disable_needs_the_password(f: &Fixture) {
    let (auth, clock) = auth(f);
    enrol(&auth, &clock, "ann");
    assert!(matches!(
        auth.disable_totp("ann", "wrong"),
        Err(Error::InvalidCredentials { .. })
    ));
    assert!(auth.has_totp("ann").unwrap());
    auth.disable_totp("ann", PASSWORD).unwrap();
    assert!(!auth.has_totp("ann").unwrap());
    assert!(f.store.second_factors("ann").unwrap().is_empty());
    assert_eq!(
        refusal(auth.disable_totp("ann", PASSWORD)),
        SecondFactorRefusal::NotEnabled
    );
    assert!(matches!(
        auth.login_with_totp(&request("ann")).unwrap(),
        PasswordStep::LoggedIn(_)
    ));
    assert!(auth
        .store()
        .recent_events(20)
        .unwrap()
        .iter()
        .any(|e| e.kind == "totp_disabled"));
    // Enrolment works again afterwards.
    enrol(&auth, &clock, "ann");
    assert!(auth.has_totp("ann").unwrap());
}

fn a_secret_moved_to_another_user_does_not_open(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, _) = enrol(&auth, &clock, "ann");
    let sealed = f.store.second_factors("ann").unwrap().totp.unwrap().secret;
    let moved = StoredTotp {
        secret: sealed,
        last_step: None,
        created: T0,
    };
    assert!(f.store.enable_totp("bob", &moved, &[], None).unwrap());
    clock.advance(30.0);
    let err = auth
        .check_second_factor("bob", &code(&secret, T0 + 30.0))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("cannot be opened"), "{err}");
    // Under another cookie key, the own secret does not open either.
    let other = Authenticator::with_clock(
        Arc::clone(&f.store),
        AuthConfig::new(TokenKey::new("another-key-0123456789-abcdefghijklmn"), 30.0).unwrap(),
        clock.clone(),
    );
    assert!(matches!(
        other.check_second_factor("ann", &code(&secret, T0 + 30.0)),
        Err(Error::InvalidInput(_))
    ));
    // A separate totp_key is another key, too.
    let separate = Authenticator::with_clock(
        Arc::clone(&f.store),
        AuthConfig::new(TokenKey::new(KEY), 30.0)
            .unwrap()
            .with_totp_key("a-separate-totp-key-0123456789-abcdef")
            .unwrap(),
        clock.clone(),
    );
    assert!(matches!(
        separate.check_second_factor("ann", &code(&secret, T0 + 30.0)),
        Err(Error::InvalidInput(_))
    ));
    assert!(AuthConfig::new(TokenKey::new(KEY), 30.0)
        .unwrap()
        .with_totp_key("short")
        .is_err());
}

fn reset_is_audited_and_removal_takes_the_factors(f: &Fixture) {
    let (auth, clock) = auth(f);
    enrol(&auth, &clock, "ann");
    enrol(&auth, &clock, "bob");
    assert!(auth.reset_second_factors("ann").unwrap());
    assert!(!auth.reset_second_factors("ann").unwrap());
    assert!(!auth.has_totp("ann").unwrap());
    assert!(matches!(
        auth.reset_second_factors("nobody"),
        Err(Error::UserNotFound(_))
    ));
    let events = auth.store().recent_events(50).unwrap();
    let resets: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "second_factors_reset")
        .collect();
    assert_eq!(resets.len(), 1, "{events:?}");
    assert_eq!(resets[0].username.as_deref(), Some("ann"));
    // Removing bob removes his factors: a new bob starts without.
    assert!(f.store.remove_user("bob").unwrap());
    assert!(f.store.second_factors("bob").unwrap().is_empty());
    let hash = authgate::password::hash_with_cost(PASSWORD, 4).unwrap();
    f.store
        .add_user(
            &NewUser {
                username: "bob".into(),
                email: "bob2@example.com".into(),
                first_name: "B".into(),
                last_name: "B".into(),
                password_hash: Some(hash),
                roles: None,
                password_hint: None,
                awaiting_verification: false,
            },
            false,
            None,
        )
        .unwrap();
    assert!(!auth.has_totp("bob").unwrap());
    assert!(matches!(
        f.store.enable_totp(
            "nobody",
            &StoredTotp {
                secret: "v1.x".into(),
                last_step: None,
                created: T0
            },
            &[],
            None
        ),
        Err(Error::UserNotFound(_))
    ));
}

fn a_password_change_voids_the_challenge(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, _) = enrol(&auth, &clock, "ann");
    let mut c = challenge(&auth, &request("ann"));
    let hash = authgate::password::hash_with_cost("new-Password-2", 4).unwrap();
    auth.store().set_password("ann", &hash, T0, None).unwrap();
    clock.advance(30.0);
    assert_eq!(
        refusal(auth.finish_totp_login(&mut c, &code(&secret, T0 + 30.0))),
        SecondFactorRefusal::Mismatch
    );
}

fn factors_are_exported_and_imported(f: &Fixture) {
    let (auth, clock) = auth(f);
    let (secret, codes) = enrol(&auth, &clock, "ann");
    auth.check_second_factor("ann", &codes[3]).unwrap();
    let before = f.store.second_factors("ann").unwrap();
    let doc = (f.export)();
    assert_eq!(doc.state.second_factors.get("ann"), Some(&before));
    if let Some(path) = &f.file {
        let text = std::fs::read_to_string(path).unwrap();
        let sealed = &before.totp.as_ref().unwrap().secret;
        assert!(
            !text.contains(sealed.as_str()),
            "factors stay out of the YAML"
        );
        assert!(!text.contains("second_factors"));
    }
    // Into SQLite, as `authgate migrate` copies it.
    let dir = tempfile::tempdir().unwrap();
    let copy = Arc::new(SqliteStore::open(&dir.path().join("copy.db")).unwrap());
    copy.import_document(&doc).unwrap();
    assert_eq!(copy.second_factors("ann").unwrap(), before);
    // Into a config file through its `authgate:` key, absorbed on open.
    let path = dir.path().join("copy.yaml");
    // (Dict mode's export has no file layout: give its state one.)
    let mut config = document();
    config.state = doc.state.clone();
    std::fs::write(&path, yaml::emit(&config.to_value())).unwrap();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("second_factors"));
    let file = DocStore::open_file(&path, OpenOptions::default()).unwrap();
    assert_eq!(file.second_factors("ann").unwrap(), before);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("second_factors"),
        "absorbed into the state database"
    );
    // The copy works with the same key, and remembers the used code.
    let copied = Authenticator::with_clock(
        copy,
        AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap(),
        clock.clone(),
    );
    assert_eq!(
        refusal(copied.check_second_factor("ann", &codes[3])),
        SecondFactorRefusal::Wrong
    );
    clock.advance(30.0);
    assert!(matches!(
        copied
            .check_second_factor("ann", &code(&secret, T0 + 30.0))
            .unwrap(),
        FactorUsed::Totp { .. }
    ));
}

fn debug_shows_no_secret(f: &Fixture) {
    let (auth, clock) = auth(f);
    let enrolment = auth.begin_totp_enrolment("ann").unwrap();
    let shown = format!("{enrolment:?}");
    for secret in [&enrolment.secret_base32, &enrolment.pending, &enrolment.uri] {
        assert!(!shown.contains(secret.as_str()), "{shown}");
    }
    let secret = TotpSecret::from_base32(&enrolment.secret_base32).unwrap();
    let codes = auth
        .confirm_totp_enrolment("ann", &enrolment.pending, &code(&secret, T0))
        .unwrap();
    let stored = f.store.second_factors("ann").unwrap();
    let shown = format!("{stored:?}");
    assert!(
        !shown.contains(&stored.totp.as_ref().unwrap().secret),
        "{shown}"
    );
    assert!(stored
        .recovery_codes
        .iter()
        .all(|d| !shown.contains(d.as_str())));
    assert!(!format!("{secret:?}").contains(&enrolment.secret_base32));
    let c = challenge(&auth, &request("ann"));
    assert!(format!("{c:?}").contains("ann"));
    let events = format!("{:?}", auth.store().recent_events(50).unwrap());
    for code in &codes {
        assert!(!events.contains(code.as_str()));
    }
    let _ = clock;
}
