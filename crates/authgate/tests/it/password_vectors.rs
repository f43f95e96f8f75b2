//! `authgate::password` against Python bcrypt 5.0.0 and streamlit-authenticator
//! 0.4.2. The fixture is made by `tests/fixtures/crypto/gen_fixtures.py`.

use authgate::error::Error;
use authgate::password::{self, DEFAULT_COST};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    vectors: Vec<Vector>,
    too_long: Vec<TooLong>,
    malformed: Vec<Malformed>,
    well_formed_reference: Reference,
    is_hash: Vec<IsHash>,
}

#[derive(Deserialize)]
struct Vector {
    password: String,
    cost: u32,
    prefix: String,
    hash: String,
    checks: Vec<Check>,
}

#[derive(Deserialize)]
struct Check {
    password: String,
    python: bool,
}

#[derive(Deserialize)]
struct TooLong {
    password: String,
    bytes: usize,
    python_hashpw: String,
    python_checkpw: String,
}

#[derive(Deserialize)]
struct Malformed {
    hash: String,
    /// `false` or `"error:ValueError"`.
    python: serde_json::Value,
}

#[derive(Deserialize)]
struct Reference {
    hash: String,
    password: String,
}

#[derive(Deserialize)]
struct IsHash {
    input: String,
    python: bool,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../fixtures/crypto/password_vectors.json"))
        .expect("fixture parses")
}

#[test]
fn fixture_covers_the_required_cases() {
    let f = fixture();
    let lengths: Vec<usize> = f.vectors.iter().map(|v| v.password.len()).collect();
    for wanted in [0, 71, 72] {
        assert!(lengths.contains(&wanted), "no {wanted}-byte password");
    }
    for prefix in ["2a", "2b", "2y"] {
        assert!(
            f.vectors.iter().any(|v| v.prefix == prefix),
            "no ${prefix}$"
        );
    }
    let costs: Vec<u32> = f.vectors.iter().map(|v| v.cost).collect();
    assert!(costs.contains(&4) && costs.contains(&DEFAULT_COST));
    assert!(f.vectors.iter().flat_map(|v| &v.checks).any(|c| !c.python));
    assert!(f.vectors.iter().any(|v| v.password.contains('\0')));
    assert!(f.vectors.iter().any(|v| !v.password.is_ascii()));
}

#[test]
fn python_hashes_check_exactly_as_python_checkpw() {
    for v in fixture().vectors {
        assert!(v.hash.starts_with(&format!("${}${:02}$", v.prefix, v.cost)));
        assert!(password::is_hash(&v.hash) || v.prefix == "2x");
        for check in &v.checks {
            let ours = password::verify(&check.password, &v.hash).expect("well-formed hash");
            assert_eq!(
                ours, check.python,
                "verify({:?}, {}) differs from checkpw",
                check.password, v.hash
            );
        }
    }
}

#[test]
fn bcrypt_quirks_match_python() {
    // bcrypt appends a NUL to keys under 72 bytes, so these pairs collide in
    // Python too; the fixture records checkpw saying True for them.
    let f = fixture();
    let find = |pw: &str| f.vectors.iter().find(|v| v.password == pw).expect("vector");
    let nul = find("\0");
    assert!(nul.checks.iter().any(|c| c.password.is_empty() && c.python));
    assert!(password::verify("", &nul.hash).unwrap());
    let a71 = find(&"a".repeat(71));
    assert!(password::verify(&format!("{}\0", "a".repeat(71)), &a71.hash).unwrap());
    // ...but NUL bytes are not terminators: "a\0b" is not "a".
    assert!(!password::verify("a", &find("a\0b").hash).unwrap());
}

#[test]
fn passwords_over_72_bytes_are_refused_by_hash_and_verify() {
    let f = fixture();
    assert!(!f.too_long.is_empty());
    for case in &f.too_long {
        assert!(case.bytes > 72 && case.password.len() == case.bytes);
        assert_eq!(case.python_hashpw, "error:ValueError");
        assert_eq!(case.python_checkpw, "error:ValueError");
        assert!(matches!(
            password::hash_with_cost(&case.password, 4),
            Err(Error::PasswordTooLong)
        ));
        assert!(matches!(
            password::hash(&case.password),
            Err(Error::PasswordTooLong)
        ));
        assert!(matches!(
            password::verify(&case.password, &f.well_formed_reference.hash),
            Err(Error::PasswordTooLong)
        ));
        // Python checks the length before the hash; so do we.
        assert!(matches!(
            password::verify(&case.password, "not a hash"),
            Err(Error::PasswordTooLong)
        ));
    }
    let straddling = format!("{}é", "a".repeat(71));
    assert_eq!(straddling.len(), 73);
    assert!(matches!(
        password::hash_with_cost(&straddling, 4),
        Err(Error::PasswordTooLong)
    ));
}

#[test]
fn malformed_hashes_are_bad_hash() {
    let f = fixture();
    let reference = &f.well_formed_reference;
    assert!(password::verify(&reference.password, &reference.hash).unwrap());
    for case in &f.malformed {
        // Python raised or said False: never True.
        let python_ok = case.python == false || case.python == "error:ValueError";
        assert!(python_ok, "{:?}", case.python);
        let ours = password::verify(&reference.password, &case.hash);
        assert!(
            matches!(ours, Err(Error::BadHash)),
            "{:?} gave {ours:?}",
            case.hash
        );
    }
    assert!(f.malformed.len() >= 20);
}

#[test]
fn is_hash_matches_streamlit_authenticator() {
    let table = fixture().is_hash;
    assert!(table.iter().any(|c| c.python) && table.iter().any(|c| !c.python));
    for case in &table {
        assert_eq!(
            password::is_hash(&case.input),
            case.python,
            "{:?}",
            case.input
        );
    }
}

#[test]
fn our_hash_has_the_python_format_and_verifies() {
    let stored = password::hash("Tr0ub4dor&3").unwrap();
    assert_eq!(stored.len(), 60);
    assert!(stored.starts_with("$2b$12$"), "{stored}");
    assert!(stored[7..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/'));
    assert!(password::is_hash(&stored));
    assert!(password::verify("Tr0ub4dor&3", &stored).unwrap());
    assert!(!password::verify("Tr0ub4dor&4", &stored).unwrap());
}

#[test]
fn our_hashes_round_trip_for_every_fixture_password() {
    let f = fixture();
    let mut salts = std::collections::HashSet::new();
    for v in &f.vectors {
        let stored = password::hash_with_cost(&v.password, 4).unwrap();
        assert!(stored.starts_with("$2b$04$"));
        assert!(salts.insert(stored[7..29].to_owned()), "salt reused");
        for check in &v.checks {
            assert_eq!(
                password::verify(&check.password, &stored).unwrap(),
                check.python,
                "{:?} against our hash of {:?}",
                check.password,
                v.password
            );
        }
    }
}

#[test]
fn cost_must_be_4_to_31() {
    for cost in [0, 3, 32, u32::MAX] {
        assert!(matches!(
            password::hash_with_cost("pw", cost),
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(password::hash_with_cost("pw", 4)
        .unwrap()
        .starts_with("$2b$04$"));
    assert!(password::hash_with_cost("pw", 5)
        .unwrap()
        .starts_with("$2b$05$"));
}

#[test]
fn hash_many_keeps_the_order() {
    let passwords = ["first-pw", "second-pw", "third-pw"];
    let hashes: Vec<String> = password::hash_many(&passwords)
        .into_iter()
        .map(|h| h.expect("hash"))
        .collect();
    assert_eq!(hashes.len(), 3);
    for (pw, stored) in passwords.iter().zip(&hashes) {
        assert!(stored.starts_with("$2b$12$"));
        assert!(password::verify(pw, stored).unwrap());
    }
    assert!(!password::verify(passwords[0], &hashes[1]).unwrap());

    let mixed = password::hash_many(&["ok", "x".repeat(73).as_str()]);
    assert!(mixed[0].is_ok());
    assert!(matches!(mixed[1], Err(Error::PasswordTooLong)));
    assert!(password::hash_many(&[]).is_empty());
}
