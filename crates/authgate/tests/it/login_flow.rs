//! The login rules on a fake clock: lockout and its end, sessions, tokens.

use std::sync::Arc;

use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
use authgate::clock::FakeClock;
use authgate::store::DocStore;
use authgate::token::{self, Claims, TokenKey};
use authgate::yaml::{self, Value};
use authgate::Error;

/// A cookie key strong enough for `AuthConfig::new`.
const KEY: &str = "a-cookie-key-of-32-bytes-or-more-0123456789";

const START: f64 = 1_800_000_000.0;

fn credentials() -> Value {
    let hash = authgate::password::hash_with_cost("abc", 4).unwrap();
    let text = format!(
        "usernames:\n  jsmith:\n    email: jsmith@gmail.com\n    first_name: John\n    last_name: Smith\n    password: '{hash}'\n    roles: [admin]\n  guest:\n    email: guest@gmail.com\n"
    );
    yaml::parse(&text, "<test>".as_ref()).unwrap()
}

fn setup() -> (Authenticator, Arc<FakeClock>) {
    let store = Arc::new(DocStore::in_memory(credentials()).unwrap());
    let clock = Arc::new(FakeClock::new(START));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
        .and_then(|c| c.with_lockout(60.0, 300.0))
        .unwrap();
    (
        Authenticator::with_clock(store, config, clock.clone()),
        clock,
    )
}

fn login<'a>(username: &'a str, password: &'a str, max: Option<u32>) -> LoginRequest<'a> {
    LoginRequest {
        username,
        password,
        max_login_attempts: max,
        ..Default::default()
    }
}

#[test]
fn lockout_starts_at_the_limit_refuses_the_right_password_and_ends_by_itself() {
    let (auth, clock) = setup();
    for _ in 0..3 {
        assert!(matches!(
            auth.login(&login("jsmith", "bad", Some(3))),
            Err(Error::InvalidCredentials { .. })
        ));
        clock.advance(1.0);
    }
    match auth.login(&login("jsmith", "abc", Some(3))) {
        Err(Error::AccountLocked { until }) => assert_eq!(until, START + 2.0 + 300.0),
        other => panic!("expected a lock, got {other:?}"),
    }
    clock.advance(298.0); // one second before the lock ends
    assert!(matches!(
        auth.login(&login("jsmith", "abc", Some(3))),
        Err(Error::AccountLocked { .. })
    ));
    clock.advance(1.0);
    let ok = auth.login(&login("jsmith", "abc", Some(3))).unwrap();
    assert_eq!(ok.user.display_name().as_deref(), Some("John Smith"));
}

#[test]
fn failures_spread_beyond_the_window_never_lock() {
    let (auth, clock) = setup();
    for _ in 0..10 {
        let _ = auth.login(&login("jsmith", "bad", Some(2)));
        clock.advance(61.0);
    }
    assert!(auth.login(&login("jsmith", "abc", Some(2))).is_ok());
}

#[test]
fn unknown_user_and_guest_look_like_a_wrong_password() {
    let (auth, _) = setup();
    for (u, p) in [
        ("nobody", "abc"),
        ("guest", "abc"),
        ("", "abc"),
        ("jsmith", ""),
    ] {
        assert!(
            matches!(
                auth.login(&login(u, p, None)),
                Err(Error::InvalidCredentials { .. })
            ),
            "{u}"
        );
    }
    let long = "x".repeat(100);
    assert!(matches!(
        auth.login(&login("jsmith", &long, None)),
        Err(Error::InvalidCredentials { .. })
    ));
}

#[test]
fn a_wrong_password_carries_the_hint_when_asked_and_only_then() {
    let hash = authgate::password::hash_with_cost("abc", 4).unwrap();
    let text = format!(
        "usernames:\n  rbriggs:\n    email: r@x.io\n    password: '{hash}'\n    \
         password_hint: the letter after c\n  jsmith:\n    email: j@x.io\n    password: '{hash}'\n"
    );
    let store = Arc::new(DocStore::in_memory(yaml::parse(&text, "<t>".as_ref()).unwrap()).unwrap());
    let clock = Arc::new(FakeClock::new(START));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap();
    let auth = Authenticator::with_clock(store, config, clock.clone());
    let attempt = |username, password, with_hint| {
        let req = LoginRequest {
            username,
            password,
            max_login_attempts: Some(2),
            with_hint,
            ..Default::default()
        };
        match auth.login(&req) {
            Err(Error::InvalidCredentials { hint }) => Ok(hint.map(|h| h.into_string())),
            other => Err(format!("{other:?}")),
        }
    };
    assert_eq!(attempt("rbriggs", "bad", false), Ok(None), "not asked");
    let refused = attempt(" RBriggs ", "bad", true);
    assert_eq!(refused, Ok(Some("the letter after c".to_string())));
    // Never in the message nor in Debug.
    let err = auth
        .login(&LoginRequest {
            username: "jsmith",
            password: "bad",
            with_hint: true,
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidCredentials { hint: None }),
        "no hint set"
    );
    let err = Error::InvalidCredentials {
        hint: Some(authgate::error::PasswordHint::new("the letter after c")),
    };
    assert_eq!(err.to_string(), "Username/password is incorrect");
    assert!(!format!("{err:?}").contains("letter"), "{err:?}");
    // No account, no hint; a locked account is refused as locked, hint-less.
    assert_eq!(attempt("nobody", "bad", true), Ok(None));
    let locked = attempt("rbriggs", "abc", true).unwrap_err();
    assert!(locked.starts_with("Err(AccountLocked"), "{locked}");
    // The right password: no refusal at all.
    clock.advance(10_000.0);
    assert!(attempt("rbriggs", "abc", true).is_err_and(|e| e.starts_with("Ok(")));
}

#[test]
fn username_and_password_are_trimmed_and_username_case_folded() {
    let (auth, _) = setup();
    assert!(auth.login(&login("  JSmith ", " abc ", None)).is_ok());
}

#[test]
fn a_token_resumes_its_session_until_logout() {
    let (auth, clock) = setup();
    let first = auth.login(&login("jsmith", "abc", None)).unwrap();
    let token = first.token.clone().unwrap();
    clock.advance(3600.0);
    let resumed = auth.resume(&token, None, false).unwrap();
    assert_eq!(resumed.session.id, first.session.id);
    assert!(resumed.token.is_none());
    assert!(auth.check_session(&first.session.id).unwrap().is_some());
    auth.logout(&first.session.id).unwrap();
    assert!(matches!(
        auth.resume(&token, None, false),
        Err(Error::TokenRefused(_))
    ));
    assert!(auth.check_session(&first.session.id).unwrap().is_none());
}

#[test]
fn a_token_expires_with_its_session() {
    let (auth, clock) = setup();
    let token = auth
        .login(&login("jsmith", "abc", None))
        .unwrap()
        .token
        .unwrap();
    clock.advance(30.0 * 86_400.0);
    assert!(matches!(
        auth.resume(&token, None, false),
        Err(Error::TokenRefused(_))
    ));
}

#[test]
fn a_legacy_token_is_exchanged_and_refused_after_logout() {
    // A 0.4.2 cookie must predate the store's first use by authgate (about
    // now, in real time): this test runs then, not at START.
    let (auth, clock) = setup();
    clock.advance(real_now() - START);
    let legacy = token::encode(
        &TokenKey::new(KEY),
        &Claims {
            username: "jsmith".into(),
            exp_date: real_now() + 30.0 * 86_400.0 - 10.0,
            sid: None,
            cv: None,
        },
    )
    .unwrap();
    let login = auth.resume(&legacy, None, false).unwrap();
    assert!(login.token.is_some(), "a legacy cookie is upgraded");
    clock.advance(5.0);
    auth.logout(&login.session.id).unwrap();
    assert!(matches!(
        auth.resume(&legacy, None, false),
        Err(Error::TokenRefused("revoked"))
    ));
}

#[test]
fn single_session_and_concurrent_users_count_live_sessions_only() {
    let (auth, clock) = setup();
    let req = LoginRequest {
        username: "jsmith",
        password: "abc",
        single_session: true,
        ..Default::default()
    };
    auth.login(&req).unwrap();
    assert!(matches!(auth.login(&req), Err(Error::SessionExists)));
    // A closed browser stops counting once the idle timeout passes.
    clock.advance(31.0 * 60.0);
    assert!(auth.login(&req).is_ok());
}

#[test]
fn new_passwords_are_hashed_at_the_configured_cost() {
    let store = Arc::new(DocStore::in_memory(credentials()).unwrap());
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
        .and_then(|c| c.with_hash_cost(5))
        .unwrap();
    let auth = Authenticator::new(store.clone(), config);
    let user = auth
        .register(&authgate::account::Registration {
            username: "ann",
            email: "ann@example.com",
            first_name: "Ann",
            last_name: "Lee",
            password: "Secret-123",
            password_repeat: "Secret-123",
            password_hint: None,
            pre_authorized: authgate::account::PreAuthorization::Anyone,
            domains: None,
            roles: None,
            awaiting_verification: false,
        })
        .unwrap();
    let stored = authgate::store::Store::user(store.as_ref(), &user.username)
        .unwrap()
        .and_then(|u| u.password_hash)
        .expect("a hash");
    assert!(stored.starts_with("$2b$05$"), "{stored}");
    auth.login(&login("ann", "Secret-123", None))
        .expect("logs in");
    // The default stays 12; out-of-range costs are refused with the range.
    let defaults = AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap();
    assert_eq!(defaults.hash_cost, 12);
    for bad in [3, 32] {
        let err = defaults.clone().with_hash_cost(bad).unwrap_err();
        assert!(err.to_string().contains("between 4 and 31"), "{err}");
    }
}

fn real_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn plaintext_setup() -> (Authenticator, Arc<DocStore>, Arc<FakeClock>) {
    let text = "usernames:\n  jsmith:\n    email: jsmith@gmail.com\n    password: abc\n  rbriggs:\n    email: rbriggs@gmail.com\n    password: def\n";
    let store =
        Arc::new(DocStore::in_memory(yaml::parse(text, "<test>".as_ref()).unwrap()).unwrap());
    let clock = Arc::new(FakeClock::new(START));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
        .unwrap()
        .with_plaintext_accepted(true)
        .with_hash_cost(4)
        .unwrap();
    let auth = Authenticator::with_clock(store.clone(), config, clock.clone());
    (auth, store, clock)
}

/// A login before auto-hashing reached the user stores the hash itself, so
/// the cookie it gets survives the background hasher.
#[test]
fn a_cookie_issued_while_auto_hash_runs_survives_it() {
    use authgate::store::Store;
    let (auth, store, _clock) = plaintext_setup();
    let ok = auth.login(&login("jsmith", "abc", None)).unwrap();
    let token = ok.token.unwrap();
    let stored = store
        .user("jsmith")
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert!(
        authgate::password::is_hash(&stored),
        "the login hashed the password"
    );
    let claims = token::decode(&TokenKey::new(KEY), &token, START).unwrap();
    assert_eq!(
        claims.cv.as_deref(),
        Some(token::credential_version(&stored).as_str())
    );
    // The background hasher finds only rbriggs still in plaintext.
    let hashed = auth.hash_plaintext_passwords().unwrap();
    assert_eq!(hashed, ["rbriggs"]);
    assert_eq!(
        auth.resume(&token, None, false).unwrap().user.username,
        "jsmith"
    );
    assert!(auth.check_session(&ok.session.id).unwrap().is_some());
}

/// A hash replaced by another hash of the same password (a rehash) is not a
/// password change: sessions and their cookies carry over. An edit of the
/// stored hash (an operator's, in the dict or the file) ends them.
#[test]
fn a_rehash_keeps_sessions_and_an_edited_hash_ends_them() {
    use authgate::store::Store;
    let store = Arc::new(DocStore::in_memory(credentials()).unwrap());
    let clock = Arc::new(FakeClock::new(START));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap();
    let auth = Authenticator::with_clock(store.clone(), config, clock);
    let ok = auth.login(&login("jsmith", "abc", None)).unwrap();
    let token = ok.token.unwrap();
    let old = store
        .user("jsmith")
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    let rehashed = authgate::password::hash_with_cost("abc", 5).unwrap();
    let done = store
        .store_hashes(&[("jsmith".into(), old, rehashed.clone())])
        .unwrap();
    assert_eq!(done, ["jsmith"]);
    assert_eq!(
        auth.resume(&token, None, false).unwrap().user.username,
        "jsmith"
    );
    assert!(auth.check_session(&ok.session.id).unwrap().is_some());

    let mut record = store.user_record("jsmith").unwrap().unwrap();
    let other = authgate::password::hash_with_cost("xyz", 4).unwrap();
    if let Value::Map(m) = &mut record {
        m.insert("password", Value::Str(other));
    }
    let mut users = authgate::yaml::Map::new();
    users.insert("jsmith", record);
    let mut dict = authgate::yaml::Map::new();
    dict.insert("usernames", Value::Map(users));
    store.replace_credentials(Value::Map(dict)).unwrap();
    assert!(auth.check_session(&ok.session.id).unwrap().is_none());
    assert!(matches!(
        auth.resume(&token, None, false),
        Err(Error::TokenRefused("credentials changed"))
    ));
}

/// Every refused cookie is in the audit trail, with its reason.
#[test]
fn every_refused_token_is_audited_with_its_reason() {
    use authgate::store::Store;
    let store = Arc::new(DocStore::in_memory(credentials()).unwrap());
    let clock = Arc::new(FakeClock::new(START));
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap();
    let auth = Authenticator::with_clock(store.clone(), config, clock.clone());
    let start = real_now();
    clock.advance(start - START);
    let key = TokenKey::new(KEY);
    let first = auth.login(&login("jsmith", "abc", None)).unwrap();
    let second = auth.login(&login("jsmith", "abc", None)).unwrap();
    let forged = token::encode(
        &TokenKey::new("other"),
        &Claims::new("jsmith", start + 60.0),
    )
    .unwrap();
    let unknown = token::encode(&key, &Claims::new("nobody", start + 60.0)).unwrap();
    let mut no_session = token::decode(&key, first.token.as_deref().unwrap(), start).unwrap();
    no_session.sid = Some("not-a-session".into());
    let no_session = token::encode(&key, &no_session).unwrap();
    let legacy = token::encode(&key, &Claims::new("jsmith", start + 10.0)).unwrap();
    auth.logout(&first.session.id).unwrap();
    clock.advance(1.0);
    // An edit of the stored hash (the operator's) leaves the second session
    // with a credential that is no longer the user's.
    let mut record = store.user_record("jsmith").unwrap().unwrap();
    if let Value::Map(m) = &mut record {
        m.insert(
            "password",
            Value::Str(authgate::password::hash_with_cost("xyz", 4).unwrap()),
        );
    }
    let mut users = authgate::yaml::Map::new();
    users.insert("jsmith", record);
    let mut dict = authgate::yaml::Map::new();
    dict.insert("usernames", Value::Map(users));
    store.replace_credentials(Value::Map(dict)).unwrap();
    let second = second.token.unwrap();
    for token in [&forged, &unknown, &no_session, &legacy, &second] {
        assert!(matches!(
            auth.resume(token, None, false),
            Err(Error::TokenRefused(_))
        ));
    }
    let refused: Vec<(Option<String>, Option<String>)> = store
        .recent_events(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "token_refused")
        .map(|e| (e.username, e.detail))
        .collect();
    let reasons: Vec<&str> = refused.iter().filter_map(|(_, d)| d.as_deref()).collect();
    assert_eq!(
        reasons,
        [
            "bad signature",
            "unknown user",
            "no such session",
            "revoked",
            "credentials changed"
        ]
    );
    assert_eq!(refused[1].0.as_deref(), Some("nobody"));
    assert_eq!(
        refused[0].0, None,
        "a token whose signature fails names no one"
    );
}

/// The review's L7: a stored hash of another scheme is not a plaintext
/// password — the hash itself does not log in, and auto_hash leaves it.
#[test]
fn a_foreign_hash_is_never_taken_for_plaintext() {
    use authgate::store::Store;
    let argon = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
    let text = format!("usernames:\n  jsmith:\n    email: j@x.io\n    password: '{argon}'\n");
    let store =
        Arc::new(DocStore::in_memory(yaml::parse(&text, "<test>".as_ref()).unwrap()).unwrap());
    let config = AuthConfig::new(TokenKey::new(KEY), 30.0)
        .unwrap()
        .with_plaintext_accepted(true);
    let auth = Authenticator::new(store.clone(), config);
    assert!(auth.login(&login("jsmith", argon, None)).is_err());
    assert_eq!(
        auth.hash_plaintext_passwords().unwrap(),
        Vec::<String>::new()
    );
    let stored = store
        .user("jsmith")
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert_eq!(stored, argon, "left as it was");
}
