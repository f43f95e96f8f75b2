//! Passkeys end to end through the `Authenticator`, driven by a software
//! authenticator, on every store that keeps them — a `config.yaml` file
//! (passkeys in its state database), SQLite and PostgreSQL (a real server
//! from `support`) — and refused in dict mode. Bad input: malformed
//! attestations and assertions, the wrong origin or RP id, a replayed or
//! foreign challenge, a counter that goes back, another user's credential.

use crate::soft_authenticator::{Lie, SoftAuthenticator};
use crate::support;

use std::path::Path;
use std::sync::Arc;

use authgate::auth::{AuthConfig, Authenticator, Login, LoginRequest};
use authgate::clock::FakeClock;
use authgate::passkey::{
    PasskeyCeremony, PasskeyLoginRequest, PasskeyRefusal, RelyingParty, CEREMONY_TTL, MAX_PASSKEYS,
};
use authgate::second_factor::{PasswordStep, SecondFactorRefusal, TotpChallenge};
use authgate::store::document::{Document, Layout};
use authgate::store::{DocStore, OpenOptions, PostgresStore, SqliteStore, Store};
use authgate::token::TokenKey;
use authgate::{yaml, Error};

const T0: f64 = 1_700_000_000.0;
const KEY: &str = "passkey-test-key-0123456789abcdef-0123";
const PASSWORD: &str = "pw-Secret-1";
const ORIGIN: &str = "https://app.example.com";

struct Fixture {
    store: Arc<dyn Store>,
    export: Box<dyn Fn() -> Document + Send + Sync>,
    /// The same store opened again, as another process would.
    reopen: Box<dyn Fn() -> Arc<dyn Store> + Send + Sync>,
    _dir: Option<tempfile::TempDir>,
}

fn users_yaml() -> String {
    let hash = authgate::password::hash_with_cost(PASSWORD, 4).unwrap();
    format!(
        "usernames:\n  ann:\n    email: ann@example.com\n    first_name: Ann\n    \
         last_name: Archer\n    password: '{hash}'\n  \
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
        reopen: Box::new(|| panic!("dict mode is one process's")),
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
        reopen: Box::new(move || {
            Arc::new(DocStore::open_file(&path, OpenOptions::default()).unwrap())
        }),
        _dir: Some(dir),
    }
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    store.import_document(&document()).unwrap();
    let s = Arc::clone(&store);
    Fixture {
        store,
        export: Box::new(move || s.export_document().unwrap()),
        reopen: Box::new(move || Arc::new(SqliteStore::open(&path).unwrap())),
        _dir: Some(dir),
    }
}

fn postgres() -> Fixture {
    let url = support::fresh_database("passkeys");
    let store = Arc::new(PostgresStore::connect(&url).unwrap());
    store.import_document(&document()).unwrap();
    let s = Arc::clone(&store);
    Fixture {
        store,
        export: Box::new(move || s.export_document().unwrap()),
        reopen: Box::new(move || Arc::new(PostgresStore::connect(&url).unwrap())),
        _dir: None,
    }
}

/// Instantiates every listed test for every store that keeps passkeys
/// (dict mode refuses them).
macro_rules! every_persistent_store {
    ($($test:ident),* $(,)?) => {
        suite!(yaml_file => yaml_file; $($test),*);
        suite!(sqlite => sqlite; $($test),*);
        suite!(postgres => postgres; $($test),*);
    };
}

every_persistent_store!(
    enrolment_then_passwordless_sign_in,
    the_passkey_is_a_second_factor_after_the_password,
    malformed_attestations_are_refused,
    malformed_assertions_are_refused,
    the_wrong_origin_is_refused,
    the_wrong_rp_id_is_refused,
    a_ceremony_takes_one_response,
    a_response_to_another_ceremony_is_refused,
    ceremonies_expire,
    a_counter_that_goes_back_is_refused,
    parallel_uses_of_one_counter_value_give_one_success,
    another_users_credential_is_refused,
    user_verification_is_required,
    refused_passkeys_count_toward_the_lockout,
    names_limits_renames_and_removal,
    reset_removes_passkeys_and_disabling_totp_keeps_them,
    passkeys_are_exported_and_imported,
    enrolment_needs_the_password_and_a_password_user,
    whether_any_passkey_exists_is_kept_for_a_while,
);

#[test]
fn dict_mode_refuses_passkeys() {
    let f = memory();
    let (auth, _) = auth(&f);
    let err = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("dict mode")),
        "{err:?}"
    );
    assert!(!f.store.keeps_second_factors());
    assert!(!auth.any_passkeys().unwrap());
}

// ---- helpers ---------------------------------------------------------------------

fn rp() -> RelyingParty {
    RelyingParty::new(ORIGIN, None, "Test App").unwrap()
}

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

/// Adds a passkey named `name` to `username` on a new software authenticator.
fn enrol(auth: &Authenticator, username: &str, name: &str) -> SoftAuthenticator {
    let mut device = SoftAuthenticator::new();
    let (mut ceremony, options) = auth
        .begin_passkey_enrolment(username, PASSWORD, name, &rp())
        .unwrap();
    let response = device.create(&options, ORIGIN);
    let info = auth
        .finish_passkey_enrolment(&mut ceremony, username, &response)
        .unwrap();
    assert_eq!(info.credential_id, device.id());
    assert_eq!(info.name, name.trim());
    device
}

fn sign_in(
    auth: &Authenticator,
    device: &mut SoftAuthenticator,
    lie: &Lie,
) -> authgate::Result<Login> {
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    let response = device.get_lying(&options, ORIGIN, lie);
    auth.finish_passkey_login(&mut ceremony, &response, &PasskeyLoginRequest::default())
}

fn refusal<T: std::fmt::Debug>(r: authgate::Result<T>) -> PasskeyRefusal {
    match r {
        Err(Error::PasskeyRefused(why)) => why,
        other => panic!("expected a passkey refusal, got {other:?}"),
    }
}

fn password_step(auth: &Authenticator, username: &str) -> TotpChallenge {
    let req = LoginRequest {
        username,
        password: PASSWORD,
        ..Default::default()
    };
    match auth.login_with_totp(&req).unwrap() {
        PasswordStep::NeedsCode(c) => c,
        PasswordStep::LoggedIn(_) => panic!("a user with a passkey needs it after the password"),
    }
}

fn events(f: &Fixture, kind: &str) -> Vec<(Option<String>, Option<String>)> {
    f.store
        .recent_events(1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| (e.username, e.detail))
        .collect()
}

fn failures(f: &Fixture, username: &str) -> u32 {
    f.store.lock_state(username).unwrap().failures
}

// ---- the tests -------------------------------------------------------------------

fn enrolment_then_passwordless_sign_in(f: &Fixture) {
    let (auth, clock) = auth(f);
    assert!(!auth.any_passkeys().unwrap());
    let mut device = enrol(&auth, "Ann", " Laptop ");
    assert!(auth.any_passkeys().unwrap());
    let list = auth.passkeys("ann").unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0].name.as_str(),
            list[0].rp_id.as_str(),
            list[0].created
        ),
        ("Laptop", "app.example.com", T0)
    );
    assert_eq!(list[0].last_used, None);
    assert_eq!(
        events(f, "passkey_added"),
        vec![(Some("ann".into()), Some("Laptop".into()))]
    );

    clock.advance(60.0);
    let login = sign_in(&auth, &mut device, &Lie::default()).unwrap();
    assert_eq!(login.user.username, "ann");
    assert!(login.token.is_some(), "a cookie as a password login gets");
    assert!(auth.check_session(&login.session.id).unwrap().is_some());
    assert_eq!(auth.passkeys("ann").unwrap()[0].last_used, Some(T0 + 60.0));
    assert_eq!(
        f.store.second_factors("ann").unwrap().passkeys[0].counter,
        1
    );
    assert!(events(f, "login").contains(&(Some("ann".into()), Some("passkey".into()))));

    // Again: the counter goes up each time.
    let again = sign_in(&auth, &mut device, &Lie::default()).unwrap();
    assert_ne!(again.session.id, login.session.id);
    assert_eq!(
        f.store.second_factors("ann").unwrap().passkeys[0].counter,
        2
    );
}

fn the_passkey_is_a_second_factor_after_the_password(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    let req = LoginRequest {
        username: "ann",
        password: PASSWORD,
        ..Default::default()
    };
    // A password alone no longer opens the account.
    assert!(matches!(
        auth.login(&req),
        Err(Error::SecondFactorRefused(
            SecondFactorRefusal::PasskeyRequired
        ))
    ));
    let mut challenge = password_step(&auth, "ann");
    assert!(challenge.passkey() && !challenge.totp());
    // No code can finish it: the user has no authenticator app.
    assert!(matches!(
        auth.finish_totp_login(&mut challenge.clone(), "123456"),
        Err(Error::SecondFactorRefused(SecondFactorRefusal::NotEnabled))
    ));
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), Some(&challenge)).unwrap();
    assert_eq!(ceremony.username(), Some("ann"));
    let allowed: serde_json::Value = serde_json::from_str(&options).unwrap();
    assert_eq!(
        allowed["publicKey"]["allowCredentials"][0]["id"],
        device.id().as_str()
    );
    let response = device.get(&options, ORIGIN);
    let login = auth
        .finish_passkey_second_factor(&mut challenge, &mut ceremony, &response)
        .unwrap();
    assert_eq!(login.user.username, "ann");
    assert!(
        events(f, "login").contains(&(Some("ann".into()), Some("passkey second factor".into())))
    );
    // The challenge opened its session: it takes nothing more.
    let (mut again, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    let response = device.get(&options, ORIGIN);
    assert!(matches!(
        auth.finish_passkey_second_factor(&mut challenge, &mut again, &response),
        Err(Error::SecondFactorRefused(
            SecondFactorRefusal::ChallengeSpent
        ))
    ));
    // A user without a passkey logs in with the password, as before.
    assert!(auth
        .login(&LoginRequest {
            username: "bob",
            password: PASSWORD,
            ..Default::default()
        })
        .is_ok());
    // Bob has no passkey to ask for.
    assert_eq!(
        f.store.second_factors("bob").unwrap().passkeys.len(),
        0,
        "bob enrolled nothing"
    );
}

fn malformed_attestations_are_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = SoftAuthenticator::new();
    let good = {
        let (_, options) = auth
            .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
            .unwrap();
        device.create(&options, ORIGIN)
    };
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["response"]["attestationObject"] = "AAAA".into();
    let bad_cbor = value.to_string();
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["response"]["clientDataJSON"] = "!!not base64!!".into();
    let bad_base64 = value.to_string();
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["response"]
        .as_object_mut()
        .unwrap()
        .remove("attestationObject");
    let missing = value.to_string();
    for response in [
        String::new(),
        "null".to_string(),
        "{}".to_string(),
        "not json".to_string(),
        "\u{0}".repeat(10),
        format!("\"{}\"", "x".repeat(70_000)),
        bad_cbor,
        bad_base64,
        missing,
    ] {
        let (mut ceremony, _) = auth
            .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
            .unwrap();
        let why = refusal(auth.finish_passkey_enrolment(&mut ceremony, "ann", &response));
        assert!(
            matches!(why, PasskeyRefusal::Malformed | PasskeyRefusal::Rejected(_)),
            "{why:?} for {}",
            &response[..response.len().min(40)]
        );
        assert!(ceremony.is_spent());
    }
    assert!(auth.passkeys("ann").unwrap().is_empty(), "nothing stored");
}

fn malformed_assertions_are_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    let good = {
        let (_, options) = auth.begin_passkey_login(&rp(), None).unwrap();
        device.get(&options, ORIGIN)
    };
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["response"]["authenticatorData"] = "AAAA".into();
    let short_auth_data = value.to_string();
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["response"]["clientDataJSON"] = "e30".into(); // {}
    let empty_client_data = value.to_string();
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["rawId"] = 7.into();
    let bad_id = value.to_string();
    for response in [
        String::new(),
        "[]".to_string(),
        "not json".to_string(),
        short_auth_data,
        empty_client_data,
        bad_id,
    ] {
        let (mut ceremony, _) = auth.begin_passkey_login(&rp(), None).unwrap();
        let why = refusal(auth.finish_passkey_login(
            &mut ceremony,
            &response,
            &PasskeyLoginRequest::default(),
        ));
        assert!(
            matches!(why, PasskeyRefusal::Malformed | PasskeyRefusal::Rejected(_)),
            "{why:?}"
        );
    }
    // The stored counter did not move.
    assert_eq!(
        f.store.second_factors("ann").unwrap().passkeys[0].counter,
        0
    );
}

fn the_wrong_origin_is_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let evil = Lie {
        origin: Some("https://app.example.com.evil.example".into()),
        ..Lie::default()
    };
    // At enrolment.
    let mut device = SoftAuthenticator::new();
    let (mut ceremony, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
        .unwrap();
    let response = device.create_lying(&options, ORIGIN, &evil);
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut ceremony, "ann", &response)),
        PasskeyRefusal::Rejected("origin")
    );
    assert!(auth.passkeys("ann").unwrap().is_empty());
    // Another port or scheme of the same host is another origin too.
    let mut device = enrol(&auth, "ann", "Laptop");
    for origin in [
        "https://evil.example",
        "https://app.example.com:8443",
        "http://app.example.com",
        "https://sub.app.example.com",
    ] {
        let lie = Lie {
            origin: Some(origin.into()),
            ..Lie::default()
        };
        assert_eq!(
            refusal(sign_in(&auth, &mut device, &lie)),
            PasskeyRefusal::Rejected("origin"),
            "{origin}"
        );
    }
    assert!(events(f, "passkey_failed").contains(&(Some("ann".into()), Some("origin".into()))));
}

fn the_wrong_rp_id_is_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let other = Lie {
        rp_id: Some("example.com".into()),
        ..Lie::default()
    };
    let mut device = SoftAuthenticator::new();
    let (mut ceremony, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
        .unwrap();
    let response = device.create_lying(&options, ORIGIN, &other);
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut ceremony, "ann", &response)),
        PasskeyRefusal::Rejected("rp id")
    );
    let mut device = enrol(&auth, "ann", "Laptop");
    assert_eq!(
        refusal(sign_in(&auth, &mut device, &other)),
        PasskeyRefusal::Rejected("rp id")
    );
    // A passkey made for app.example.com is not offered to, and does not
    // sign in at, a relying party with the parent domain as its RP id.
    let parent = RelyingParty::new(ORIGIN, Some("example.com"), "Test App").unwrap();
    let (mut ceremony, options) = auth.begin_passkey_login(&parent, None).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&options).unwrap();
    value["publicKey"]["rpId"] = "app.example.com".into();
    let response = device.get_lying(&value.to_string(), ORIGIN, &other);
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut ceremony, &response, &Default::default())),
        PasskeyRefusal::Rejected("rp id")
    );
    let mut challenge = password_step(&auth, "ann");
    assert_eq!(
        refusal(auth.begin_passkey_login(&parent, Some(&challenge))),
        PasskeyRefusal::NotEnabled
    );
    // The right one still works.
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), Some(&challenge)).unwrap();
    let response = device.get(&options, ORIGIN);
    assert!(auth
        .finish_passkey_second_factor(&mut challenge, &mut ceremony, &response)
        .is_ok());
}

fn a_ceremony_takes_one_response(f: &Fixture) {
    let (auth, _) = auth(f);
    // Enrolment: the same attestation twice.
    let mut device = SoftAuthenticator::new();
    let (mut ceremony, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
        .unwrap();
    let response = device.create(&options, ORIGIN);
    auth.finish_passkey_enrolment(&mut ceremony, "ann", &response)
        .unwrap();
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut ceremony, "ann", &response)),
        PasskeyRefusal::Spent
    );
    // Sign-in: the same assertion twice; then replayed into a new
    // ceremony, whose challenge it does not carry.
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    let response = device.get(&options, ORIGIN);
    auth.finish_passkey_login(&mut ceremony, &response, &Default::default())
        .unwrap();
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut ceremony, &response, &Default::default())),
        PasskeyRefusal::Spent
    );
    let (mut fresh, _) = auth.begin_passkey_login(&rp(), None).unwrap();
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut fresh, &response, &Default::default())),
        PasskeyRefusal::Rejected("challenge")
    );
    // A refused response spends its ceremony too: the right one comes too late.
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    refusal(auth.finish_passkey_login(&mut ceremony, "garbage", &Default::default()));
    let response = device.get(&options, ORIGIN);
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut ceremony, &response, &Default::default())),
        PasskeyRefusal::Spent
    );
}

fn a_response_to_another_ceremony_is_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    let (_, options_a) = auth.begin_passkey_login(&rp(), None).unwrap();
    let (mut b, _) = auth.begin_passkey_login(&rp(), None).unwrap();
    let response = device.get(&options_a, ORIGIN);
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut b, &response, &Default::default())),
        PasskeyRefusal::Rejected("challenge")
    );
    // A ceremony of one kind takes no response of another.
    let (mut enrolment, _) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Phone", &rp())
        .unwrap();
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut enrolment, &response, &Default::default())),
        PasskeyRefusal::Mismatch
    );
    // An enrolment of one user is not another's.
    let (mut enrolment, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Phone", &rp())
        .unwrap();
    let response = SoftAuthenticator::new().create(&options, ORIGIN);
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut enrolment, "bob", &response)),
        PasskeyRefusal::Mismatch
    );
    // Nor is a second step of one user's login another's, nor a
    // passwordless ceremony a second step.
    enrol(&auth, "bob", "Key");
    let mut ann = password_step(&auth, "ann");
    let bob = password_step(&auth, "bob");
    let (mut for_bob, _) = auth.begin_passkey_login(&rp(), Some(&bob)).unwrap();
    let (_, ann_options) = auth.begin_passkey_login(&rp(), Some(&ann)).unwrap();
    let response = device.get(&ann_options, ORIGIN);
    assert_eq!(
        refusal(auth.finish_passkey_second_factor(&mut ann, &mut for_bob, &response)),
        PasskeyRefusal::Mismatch
    );
    let (mut passwordless, _) = auth.begin_passkey_login(&rp(), None).unwrap();
    assert_eq!(
        refusal(auth.finish_passkey_second_factor(&mut ann, &mut passwordless, &response)),
        PasskeyRefusal::Mismatch
    );
}

fn ceremonies_expire(f: &Fixture) {
    let (auth, clock) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    assert_eq!(ceremony.expires(), T0 + CEREMONY_TTL);
    assert!(ceremony.is_open(T0));
    let response = device.get(&options, ORIGIN);
    clock.advance(CEREMONY_TTL);
    assert!(!ceremony.is_open(T0 + CEREMONY_TTL));
    assert_eq!(
        refusal(auth.finish_passkey_login(&mut ceremony, &response, &Default::default())),
        PasskeyRefusal::Expired
    );
    let (mut enrolment, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Phone", &rp())
        .unwrap();
    let response = SoftAuthenticator::new().create(&options, ORIGIN);
    clock.advance(CEREMONY_TTL + 1.0);
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut enrolment, "ann", &response)),
        PasskeyRefusal::Expired
    );
    assert_eq!(auth.passkeys("ann").unwrap().len(), 1);
}

fn a_counter_that_goes_back_is_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    for _ in 0..3 {
        sign_in(&auth, &mut device, &Lie::default()).unwrap();
    }
    assert_eq!(
        f.store.second_factors("ann").unwrap().passkeys[0].counter,
        3
    );
    for counter in [3, 2, 0] {
        let lie = Lie {
            counter: Some(counter),
            ..Lie::default()
        };
        assert_eq!(
            refusal(sign_in(&auth, &mut device, &lie)),
            PasskeyRefusal::CounterRegressed,
            "counter {counter}"
        );
    }
    assert_eq!(
        f.store.second_factors("ann").unwrap().passkeys[0].counter,
        3
    );
    assert!(events(f, "passkey_failed")
        .contains(&(Some("ann".into()), Some("counter went back".into()))));
    // A counter further up is fine.
    let lie = Lie {
        counter: Some(10),
        ..Lie::default()
    };
    sign_in(&auth, &mut device, &lie).unwrap();
    assert_eq!(
        f.store.second_factors("ann").unwrap().passkeys[0].counter,
        10
    );
}

fn parallel_uses_of_one_counter_value_give_one_success(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    let (mut a, options_a) = auth.begin_passkey_login(&rp(), None).unwrap();
    let (mut b, options_b) = auth.begin_passkey_login(&rp(), None).unwrap();
    let same = Lie {
        counter: Some(7),
        ..Lie::default()
    };
    let response_a = device.get_lying(&options_a, ORIGIN, &same);
    let response_b = device.get_lying(&options_b, ORIGIN, &same);
    let results: Vec<authgate::Result<Login>> = std::thread::scope(|s| {
        let auth = &auth;
        let one =
            s.spawn(move || auth.finish_passkey_login(&mut a, &response_a, &Default::default()));
        let two =
            s.spawn(move || auth.finish_passkey_login(&mut b, &response_b, &Default::default()));
        vec![one.join().unwrap(), two.join().unwrap()]
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let refused = results.into_iter().find(Result::is_err).unwrap();
    assert_eq!(refusal(refused), PasskeyRefusal::CounterRegressed);
    // The store's own step: one use of a counter value.
    let id = device.id();
    let record = f.store.second_factors("ann").unwrap().passkeys[0]
        .passkey
        .clone();
    assert!(f.store.use_passkey("ann", &id, 8, &record, T0).unwrap());
    assert!(!f.store.use_passkey("ann", &id, 8, &record, T0).unwrap());
    assert!(!f.store.use_passkey("bob", &id, 9, &record, T0).unwrap());
}

fn another_users_credential_is_refused(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut ann_device = enrol(&auth, "ann", "Laptop");
    let mut bob_device = enrol(&auth, "bob", "Key");
    // Bob's passkey in Ann's second step (the options name only Ann's:
    // a browser would not offer it, a forger can send it).
    let mut challenge = password_step(&auth, "ann");
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), Some(&challenge)).unwrap();
    let mut forged: serde_json::Value = serde_json::from_str(&options).unwrap();
    forged["publicKey"]["allowCredentials"] = serde_json::json!([]);
    let response = bob_device.get(&forged.to_string(), ORIGIN);
    assert_eq!(
        refusal(auth.finish_passkey_second_factor(&mut challenge, &mut ceremony, &response)),
        PasskeyRefusal::Rejected("another user's credential")
    );
    assert_eq!(failures(f, "ann"), 1, "counted against the login's user");
    assert_eq!(failures(f, "bob"), 0);
    // Passwordless: Ann's credential claiming Bob's user handle.
    let lie = Lie {
        user_handle: Some(bob_device.user_handle.clone()),
        ..Lie::default()
    };
    assert_eq!(
        refusal(sign_in(&auth, &mut ann_device, &lie)),
        PasskeyRefusal::Rejected("user handle")
    );
    // A credential nobody registered, for this RP id and Ann's handle.
    let mut stranger = SoftAuthenticator::new();
    stranger.rp_id = ann_device.rp_id.clone();
    stranger.user_handle = ann_device.user_handle.clone();
    assert_eq!(
        refusal(sign_in(&auth, &mut stranger, &Lie::default())),
        PasskeyRefusal::Rejected("unknown credential")
    );
    // Each user's own works.
    assert_eq!(
        sign_in(&auth, &mut ann_device, &Lie::default())
            .unwrap()
            .user
            .username,
        "ann"
    );
    assert_eq!(
        sign_in(&auth, &mut bob_device, &Lie::default())
            .unwrap()
            .user
            .username,
        "bob"
    );
}

fn user_verification_is_required(f: &Fixture) {
    let (auth, _) = auth(f);
    let unverified = Lie {
        unverified: true,
        ..Lie::default()
    };
    let mut device = SoftAuthenticator::new();
    let (mut ceremony, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
        .unwrap();
    let response = device.create_lying(&options, ORIGIN, &unverified);
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut ceremony, "ann", &response)),
        PasskeyRefusal::Rejected("user verification")
    );
    let mut device = enrol(&auth, "ann", "Laptop");
    assert_eq!(
        refusal(sign_in(&auth, &mut device, &unverified)),
        PasskeyRefusal::Rejected("user verification")
    );
    let bad = Lie {
        bad_signature: true,
        ..Lie::default()
    };
    assert_eq!(
        refusal(sign_in(&auth, &mut device, &bad)),
        PasskeyRefusal::Rejected("signature")
    );
}

fn refused_passkeys_count_toward_the_lockout(f: &Fixture) {
    let (auth, clock) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    let evil = Lie {
        origin: Some("https://evil.example".into()),
        ..Lie::default()
    };
    for n in 1..=authgate::account::REAUTH_MAX_ATTEMPTS {
        refusal(sign_in(&auth, &mut device, &evil));
        assert_eq!(failures(f, "ann"), n);
    }
    // Locked: even the right passkey is refused until the lock ends.
    assert!(matches!(
        sign_in(&auth, &mut device, &Lie::default()),
        Err(Error::AccountLocked { .. })
    ));
    assert!(!events(f, "locked").is_empty());
    clock.advance(authgate::lockout::LockoutPolicy::DEFAULT_COOLDOWN + 1.0);
    let login = sign_in(&auth, &mut device, &Lie::default()).unwrap();
    assert_eq!(login.user.username, "ann");
    assert_eq!(failures(f, "ann"), 0, "a session clears the failures");
    // A login's own max_login_attempts counts too (at most the default).
    let req = PasskeyLoginRequest {
        max_login_attempts: Some(1),
        ..Default::default()
    };
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    let response = device.get_lying(&options, ORIGIN, &evil);
    refusal(auth.finish_passkey_login(&mut ceremony, &response, &req));
    let (mut ceremony, options) = auth.begin_passkey_login(&rp(), None).unwrap();
    let response = device.get(&options, ORIGIN);
    assert!(matches!(
        auth.finish_passkey_login(&mut ceremony, &response, &req),
        Err(Error::AccountLocked { .. })
    ));
}

fn names_limits_renames_and_removal(f: &Fixture) {
    let (auth, clock) = auth(f);
    let laptop = enrol(&auth, "ann", "Laptop");
    assert_eq!(
        refusal(auth.begin_passkey_enrolment("ann", PASSWORD, " Laptop", &rp())),
        PasskeyRefusal::NameTaken
    );
    for bad in ["", "  ", "a\tb", &"x".repeat(65)] {
        assert!(matches!(
            auth.begin_passkey_enrolment("ann", PASSWORD, bad, &rp()),
            Err(Error::InvalidInput(_))
        ));
    }
    // The same authenticator cannot be added twice (the options exclude
    // it; a forger's response is refused by the store).
    let (_, options) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Again", &rp())
        .unwrap();
    let excluded: serde_json::Value = serde_json::from_str(&options).unwrap();
    assert_eq!(
        excluded["publicKey"]["excludeCredentials"][0]["id"],
        laptop.id().as_str()
    );
    // Bob cannot register Ann's credential either.
    let mut copy = SoftAuthenticator::new();
    copy.credential_id = laptop.credential_id.clone();
    let (mut ceremony, options) = auth
        .begin_passkey_enrolment("bob", PASSWORD, "Stolen", &rp())
        .unwrap();
    let response = copy.create(&options, ORIGIN);
    assert_eq!(
        refusal(auth.finish_passkey_enrolment(&mut ceremony, "bob", &response)),
        PasskeyRefusal::Duplicate
    );
    assert!(auth.passkeys("bob").unwrap().is_empty());

    clock.advance(1.0); // listed oldest first
    let phone = enrol(&auth, "ann", "Phone");
    auth.rename_passkey("ann", &phone.id(), "Old phone")
        .unwrap();
    assert_eq!(
        refusal(auth.rename_passkey("ann", &phone.id(), "Laptop")),
        PasskeyRefusal::NameTaken
    );
    assert_eq!(
        refusal(auth.rename_passkey("bob", &phone.id(), "Mine")),
        PasskeyRefusal::NotFound
    );
    assert_eq!(
        refusal(auth.rename_passkey("nobody", &phone.id(), "Mine")),
        PasskeyRefusal::NotFound
    );
    let names: Vec<String> = auth
        .passkeys("ann")
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Laptop", "Old phone"]);

    // Removal needs the password, and only takes the owner's.
    assert!(matches!(
        auth.remove_passkey("ann", &phone.id(), "wrong"),
        Err(Error::InvalidCredentials { .. })
    ));
    assert_eq!(
        refusal(auth.remove_passkey("bob", &phone.id(), PASSWORD)),
        PasskeyRefusal::NotFound
    );
    auth.remove_passkey("ann", &phone.id(), PASSWORD).unwrap();
    assert_eq!(auth.passkeys("ann").unwrap().len(), 1);
    assert_eq!(
        events(f, "passkey_removed"),
        vec![(Some("ann".into()), Some("Old phone".into()))]
    );
    // A removed passkey signs nobody in.
    let mut phone = phone;
    assert_eq!(
        refusal(sign_in(&auth, &mut phone, &Lie::default())),
        PasskeyRefusal::Rejected("unknown credential")
    );

    // At most MAX_PASSKEYS.
    for i in 1..MAX_PASSKEYS {
        enrol(&auth, "ann", &format!("Key {i}"));
    }
    assert_eq!(
        refusal(auth.begin_passkey_enrolment("ann", PASSWORD, "One more", &rp())),
        PasskeyRefusal::TooMany
    );
}

fn reset_removes_passkeys_and_disabling_totp_keeps_them(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    // Turning off an authenticator app leaves the passkeys alone.
    assert!(matches!(
        auth.disable_totp("ann", PASSWORD),
        Err(Error::SecondFactorRefused(SecondFactorRefusal::NotEnabled))
    ));
    assert_eq!(auth.passkeys("ann").unwrap().len(), 1);
    assert_eq!(auth.second_factor_summary("ann").unwrap().passkeys, 1);
    assert!(auth.reset_second_factors("ann").unwrap());
    assert!(auth.passkeys("ann").unwrap().is_empty());
    assert!(!auth.any_passkeys().unwrap());
    assert_eq!(
        events(f, "second_factors_reset"),
        vec![(Some("ann".into()), Some("operator".into()))]
    );
    assert_eq!(
        refusal(sign_in(&auth, &mut device, &Lie::default())),
        PasskeyRefusal::Rejected("unknown credential")
    );
    // The password alone works again.
    assert!(auth
        .login(&LoginRequest {
            username: "ann",
            password: PASSWORD,
            ..Default::default()
        })
        .is_ok());
    assert!(!auth.reset_second_factors("ann").unwrap());
    // Removing the user takes their passkeys along.
    let mut device = enrol(&auth, "bob", "Key");
    assert!(f.store.remove_user("bob").unwrap());
    assert!(f
        .store
        .passkey_by_credential(&device.id())
        .unwrap()
        .is_none());
    assert_eq!(
        refusal(sign_in(&auth, &mut device, &Lie::default())),
        PasskeyRefusal::Rejected("unknown credential")
    );
}

fn passkeys_are_exported_and_imported(f: &Fixture) {
    let (auth, _) = auth(f);
    let mut device = enrol(&auth, "ann", "Laptop");
    sign_in(&auth, &mut device, &Lie::default()).unwrap();
    let doc = (f.export)();
    let stored = &doc.state.second_factors["ann"].passkeys;
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].name.as_str(), stored[0].counter), ("Laptop", 1));
    // Into a new SQLite store (what `authgate migrate` does), and through
    // the YAML text of a document, and the passkey signs in there.
    let dir = tempfile::tempdir().unwrap();
    let target = Arc::new(SqliteStore::open(&dir.path().join("copy.db")).unwrap());
    let text = yaml::emit(&doc.to_value());
    let reread = Document::from_value(
        yaml::parse(&text, Path::new("copy.yaml")).unwrap(),
        Layout::Config,
        Path::new("copy.yaml"),
    )
    .unwrap();
    assert_eq!(reread.state, doc.state);
    target.import_document(&reread).unwrap();
    let copy = Fixture {
        store: target,
        export: Box::new(|| unreachable!()),
        reopen: Box::new(|| unreachable!()),
        _dir: Some(dir),
    };
    let (copied, _) = auth_of(&copy);
    assert_eq!(
        copied.passkeys("ann").unwrap(),
        auth.passkeys("ann").unwrap()
    );
    assert_eq!(
        sign_in(&copied, &mut device, &Lie::default())
            .unwrap()
            .user
            .username,
        "ann"
    );
    // The copy keeps the counter: the old response's counter is refused.
    let lie = Lie {
        counter: Some(1),
        ..Lie::default()
    };
    assert_eq!(
        refusal(sign_in(&copied, &mut device, &lie)),
        PasskeyRefusal::CounterRegressed
    );
}

fn auth_of(f: &Fixture) -> (Authenticator, Arc<FakeClock>) {
    auth(f)
}

fn enrolment_needs_the_password_and_a_password_user(f: &Fixture) {
    let (auth, _) = auth(f);
    assert!(matches!(
        auth.begin_passkey_enrolment("ann", "wrong", "Laptop", &rp()),
        Err(Error::InvalidCredentials { .. })
    ));
    assert_eq!(failures(f, "ann"), 1, "a wrong password is counted");
    // The right one clears the count, as a login does: managing passkeys
    // (each change asks for the password) must not lock the account.
    for _ in 0..authgate::account::REAUTH_MAX_ATTEMPTS + 1 {
        auth.begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
            .unwrap();
        assert_eq!(failures(f, "ann"), 0);
    }
    // An operator's lock is not the failures': it stays.
    f.store.set_lock("ann", Some(T0 + 3600.0)).unwrap();
    f.store.clear_failures("ann").unwrap();
    assert_eq!(
        f.store.lock_state("ann").unwrap().disabled_until,
        Some(T0 + 3600.0)
    );
    assert!(matches!(
        auth.begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp()),
        Err(Error::AccountLocked { .. })
    ));
    f.store.set_lock("ann", None).unwrap();
    assert!(matches!(
        auth.begin_passkey_enrolment("guest", "", "Laptop", &rp()),
        Err(Error::InvalidInput(m)) if m.contains("Guest")
    ));
    assert!(matches!(
        auth.begin_passkey_enrolment("nobody", PASSWORD, "Laptop", &rp()),
        Err(Error::UserNotFound(_))
    ));
    // Debug shows no challenge.
    let (ceremony, options): (PasskeyCeremony, String) = auth
        .begin_passkey_enrolment("ann", PASSWORD, "Laptop", &rp())
        .unwrap();
    let challenge: serde_json::Value = serde_json::from_str(&options).unwrap();
    let challenge = challenge["publicKey"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = format!("{ceremony:?}");
    assert!(!shown.contains(&challenge), "{shown}");
    assert!(shown.contains("enrol") && shown.contains("ann"), "{shown}");
    let record = format!("{:?}", f.store.second_factors("ann").unwrap());
    assert!(!record.contains("cred_id"), "{record}");
}

/// The login form asks `any_passkeys` on every render: the answer is kept
/// with the store for `PASSKEY_PRESENCE_TTL`, except that this process's
/// own changes are seen at once; another process's within the TTL.
fn whether_any_passkey_exists_is_kept_for_a_while(f: &Fixture) {
    use authgate::store::PASSKEY_PRESENCE_TTL;
    let (auth, clock) = auth(f);
    let on = |store: Arc<dyn Store>| {
        let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
            .unwrap()
            .with_totp_issuer("Test App")
            .unwrap();
        Authenticator::with_clock(store, config, clock.clone())
    };
    // Another Authenticator on the same store (the next rerun) shares it.
    let rerun = on(Arc::clone(&f.store));
    assert!(!auth.any_passkeys().unwrap());
    let device = enrol(&auth, "ann", "Laptop");
    assert!(rerun.any_passkeys().unwrap(), "this process's enrolment");
    auth.remove_passkey("ann", &device.id(), PASSWORD).unwrap();
    assert!(!rerun.any_passkeys().unwrap(), "this process's removal");

    // Another process enrols the first passkey: seen once the answer ages.
    let other = on((f.reopen)());
    let device = enrol(&other, "bob", "Key");
    assert!(other.any_passkeys().unwrap());
    clock.advance(PASSKEY_PRESENCE_TTL - 1.0);
    assert!(!auth.any_passkeys().unwrap(), "not asked again yet");
    clock.advance(1.0);
    assert!(auth.any_passkeys().unwrap());
    // Its removal of the last one, likewise: a button shown a little
    // longer, whose ceremony fails politely.
    other.remove_passkey("bob", &device.id(), PASSWORD).unwrap();
    assert!(!other.any_passkeys().unwrap());
    assert!(auth.any_passkeys().unwrap(), "kept");
    clock.advance(PASSKEY_PRESENCE_TTL);
    assert!(!auth.any_passkeys().unwrap());
}
