//! bcrypt password hashing, bit-compatible with Python `bcrypt` 5.0.
//!
//! streamlit-authenticator stores `bcrypt.hashpw(pw.encode(), bcrypt.gensalt())`
//! and checks with `bcrypt.checkpw`. This module reproduces both exactly:
//!
//! * [`hash`] writes `$2b$12$` + 22 salt chars + 31 digest chars, like
//!   `hashpw` with a default `gensalt()`.
//! * [`verify`] accepts every hash `checkpw` can ever accept — `$2a$`, `$2b$`,
//!   `$2x$` and `$2y$`, costs 4 to 31 — and returns the same answer. Like
//!   `checkpw` it recomputes the full hash string and compares it with the
//!   stored one in constant time.
//! * Passwords longer than 72 bytes are refused by both, with
//!   [`Error::PasswordTooLong`], where Python raises `ValueError`: bcrypt
//!   would silently ignore everything after byte 72.
//! * NUL bytes are ordinary password bytes, as in Python (no error).
//!
//! A stored value that is not a well-formed bcrypt hash gives
//! [`Error::BadHash`]. Python raises `ValueError` for most such values and
//! returns `False` for the others (say, a hash with a trailing newline); it
//! never returns `True` for one, so no password that Python rejects is ever
//! accepted here.
//!
//! [`dummy_verify`] spends the time of a real check, so that an unknown
//! username cannot be told apart from a wrong password by timing.

use std::sync::OnceLock;

use base64::alphabet;
use base64::engine::general_purpose::NO_PAD;
use base64::engine::GeneralPurpose;
use base64::Engine as _;
use bcrypt::Version;
use rayon::prelude::*;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Work factor of [`hash`]: 2¹² rounds, the default of Python's `gensalt()`.
pub const DEFAULT_COST: u32 = 12;

/// Smallest work factor bcrypt accepts.
pub const MIN_COST: u32 = 4;

/// Largest work factor bcrypt accepts.
pub const MAX_COST: u32 = 31;

/// Longest password, in UTF-8 bytes, that bcrypt reads in full.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// Length of every bcrypt hash string: `$2b$12$` + 22 + 31 characters.
const HASH_LEN: usize = 60;

/// bcrypt's own base64 alphabet (`./A-Za-z0-9`), unpadded, canonical bits only.
const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, NO_PAD);

/// Hashes `password` at [`DEFAULT_COST`] with a fresh random salt.
///
/// The result has the form `$2b$12$<53 chars>`, the same as Python's
/// `bcrypt.hashpw(password.encode(), bcrypt.gensalt())`.
///
/// # Errors
///
/// [`Error::PasswordTooLong`] if `password` is longer than 72 UTF-8 bytes;
/// [`Error::InvalidInput`] if the operating system cannot provide a salt.
///
/// # Examples
///
/// ```no_run
/// let stored = authgate::password::hash("correct horse")?;
/// assert!(stored.starts_with("$2b$12$"));
/// assert!(authgate::password::verify("correct horse", &stored)?);
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn hash(password: &str) -> Result<String> {
    hash_with_cost(password, DEFAULT_COST)
}

/// Hashes `password` with a fresh random salt at the given work factor.
///
/// # Errors
///
/// [`Error::PasswordTooLong`] if `password` is longer than 72 UTF-8 bytes;
/// [`Error::InvalidInput`] if `cost` is outside [`MIN_COST`]..=[`MAX_COST`]
/// or the operating system cannot provide a salt.
///
/// # Examples
///
/// ```
/// use authgate::password;
///
/// let stored = password::hash_with_cost("correct horse", 4)?;
/// assert!(stored.starts_with("$2b$04$"));
/// assert!(password::verify("correct horse", &stored)?);
/// assert!(!password::verify("wrong horse", &stored)?);
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn hash_with_cost(password: &str, cost: u32) -> Result<String> {
    check_length(password)?;
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(Error::InvalidInput(format!(
            "bcrypt cost must be between {MIN_COST} and {MAX_COST}, not {cost}"
        )));
    }
    let salt = crate::secret::random_bytes::<16>()?;
    bcrypt_string(password, cost, salt, Version::TwoB)
}

/// Checks `password` against a stored bcrypt hash, exactly like Python's
/// `bcrypt.checkpw`.
///
/// Returns `Ok(true)` on a match and `Ok(false)` otherwise. The comparison
/// takes the same time wherever the strings first differ.
///
/// # Errors
///
/// [`Error::PasswordTooLong`] if `password` is longer than 72 UTF-8 bytes
/// (checked first, as Python does); [`Error::BadHash`] if `hash` is not a
/// well-formed `$2a$`/`$2b$`/`$2x$`/`$2y$` hash with a cost from 4 to 31.
///
/// # Examples
///
/// ```
/// use authgate::{error::Error, password};
///
/// // Made by Python: bcrypt.hashpw(b"password", bcrypt.gensalt(4, b"2a"))
/// let stored = "$2a$04$DLukZDNNL/iqMLBFTFo3ceqrZbnauTM.O80LXNS4wfAs4ko5X6mQq";
/// assert!(password::verify("password", stored)?);
/// assert!(!password::verify("Password", stored)?);
/// assert!(matches!(password::verify("password", "hunter2"), Err(Error::BadHash)));
/// # Ok::<(), Error>(())
/// ```
pub fn verify(password: &str, hash: &str) -> Result<bool> {
    check_length(password)?;
    let parsed = ParsedHash::parse(hash).ok_or(Error::BadHash)?;
    let recomputed = bcrypt_string(password, parsed.cost, parsed.salt, parsed.version)?;
    Ok(recomputed.as_bytes().ct_eq(hash.as_bytes()).into())
}

/// The cost of a bcrypt hash [`verify`] accepts; `None` for anything else.
///
/// ```
/// use authgate::password::{cost, hash_with_cost};
/// assert_eq!(cost(&hash_with_cost("pw", 5)?), Some(5));
/// assert_eq!(cost("hunter2"), None);
/// # Ok::<(), authgate::Error>(())
/// ```
pub fn cost(hash: &str) -> Option<u32> {
    ParsedHash::parse(hash).map(|p| p.cost)
}

/// Whether streamlit-authenticator would consider `s` already hashed.
///
/// This is `Hasher.is_hash` of streamlit-authenticator 0.4.2, the Python
/// regular expression `^\$2[aby]\$\d+\$.{53}$` under `re.match`, reproduced
/// to the letter: `\d` is any Unicode decimal digit (category Nd, Unicode 14
/// as in CPython 3.11), `.` is any character but `\n` (counted in characters,
/// not bytes), and `$` also matches before one final `\n`.
///
/// It decides which stored passwords are plaintext to be hashed; it does not
/// promise that [`verify`] will accept the value (`$2b$1$…` passes here).
///
/// # Examples
///
/// ```
/// use authgate::password::is_hash;
///
/// assert!(is_hash("$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
/// assert!(!is_hash("$2x$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
/// assert!(!is_hash("hunter2"));
/// ```
#[must_use]
pub fn is_hash(s: &str) -> bool {
    // Python's `$` matches at the very end or just before a final newline.
    let s = s.strip_suffix('\n').unwrap_or(s);
    let Some(rest) = s.strip_prefix("$2") else {
        return false;
    };
    let mut chars = rest.chars();
    if !matches!(chars.next(), Some('a' | 'b' | 'y')) || chars.next() != Some('$') {
        return false;
    }
    let mut digits = 0_usize;
    loop {
        match chars.next() {
            Some('$') if digits > 0 => break,
            Some(c) if is_unicode_decimal(c) => digits += 1,
            _ => return false,
        }
    }
    let mut tail = 0_usize;
    for c in chars {
        if c == '\n' {
            return false;
        }
        tail += 1;
    }
    tail == 53
}

/// Whether `s` looks like a password hash of another scheme than the bcrypt
/// [`is_hash`] accepts (`$argon2id$…`, `$pbkdf2-sha256$…`, `$6$…`, `$2x$…`):
/// `$`, an identifier, `$`. Such a value is never taken for a plaintext
/// password — as one, the hash itself would log in, and `auto_hash` would
/// bury it under bcrypt for good.
///
/// ```
/// use authgate::password::is_foreign_hash;
/// assert!(is_foreign_hash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"));
/// assert!(is_foreign_hash("$pbkdf2-sha256$29000$abc$def"));
/// assert!(!is_foreign_hash("abc"));
/// assert!(!is_foreign_hash("$notes about my password"));
/// ```
#[must_use]
pub fn is_foreign_hash(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('$') else {
        return false;
    };
    let Some((id, tail)) = rest.split_once('$') else {
        return false;
    };
    !id.is_empty()
        && id.len() <= 32
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !tail.is_empty()
        && !is_hash(s)
}

/// Spends the time of one [`verify`] at [`DEFAULT_COST`] and forgets the result.
///
/// Call it when the username is unknown, so that the answer takes as long as
/// for a known user with a wrong password. The hash it checks against is made
/// once per process; the call that makes it hashes instead of verifying,
/// which costs the same. A password over 72 bytes returns at once, as
/// [`verify`] does.
///
/// # Examples
///
/// ```no_run
/// use authgate::password;
///
/// fn check(stored: Option<&str>, attempt: &str) -> authgate::error::Result<bool> {
///     match stored {
///         Some(hash) => password::verify(attempt, hash),
///         None => {
///             password::dummy_verify(attempt);
///             Ok(false)
///         }
///     }
/// }
/// assert!(!check(None, "guess")?);
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn dummy_verify(password: &str) {
    dummy_verify_at_cost(password, DEFAULT_COST);
}

/// [`dummy_verify`] at bcrypt cost `cost`: an app that hashes at another
/// cost than the default makes an unknown username cost what its users'
/// hashes cost (a cost outside bcrypt's range is taken as the default).
pub fn dummy_verify_at_cost(password: &str, cost: u32) {
    if password.len() > MAX_PASSWORD_BYTES {
        return; // verify refuses these before any hashing
    }
    let cost = if (MIN_COST..=MAX_COST).contains(&cost) {
        cost
    } else {
        DEFAULT_COST
    };
    let hashes = dummy_hashes();
    let stored = hashes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&cost)
        .cloned();
    match stored {
        Some(stored) => {
            let _ = std::hint::black_box(verify(std::hint::black_box(password), &stored));
        }
        // Making the hash costs what a verify costs.
        None => {
            let made = dummy_hash(cost);
            hashes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(cost)
                .or_insert(made);
        }
    }
}

/// Hashes every password at [`DEFAULT_COST`] in parallel on all cores.
///
/// The results are in the order of `passwords`; each one is what [`hash`]
/// would return for that password.
///
/// # Examples
///
/// ```no_run
/// let hashes = authgate::password::hash_many(&["alice-pw", "bob-pw"]);
/// assert_eq!(hashes.len(), 2);
/// if let Ok(bob) = &hashes[1] {
///     assert!(authgate::password::verify("bob-pw", bob)?);
/// }
/// # Ok::<(), authgate::error::Error>(())
/// ```
#[must_use]
pub fn hash_many(passwords: &[&str]) -> Vec<Result<String>> {
    passwords
        .par_iter()
        .map(|password| hash(password))
        .collect()
}

/// The fields of a well-formed bcrypt hash string.
struct ParsedHash {
    version: Version,
    cost: u32,
    salt: [u8; 16],
}

impl ParsedHash {
    /// Accepts exactly the strings Python's `checkpw` could return `True` for:
    /// `$2[abxy]$NN$` with a cost of 4 to 31 written in two digits, then 22
    /// salt and 31 digest characters of bcrypt base64 with canonical bits.
    fn parse(hash: &str) -> Option<Self> {
        let bytes = hash.as_bytes();
        if bytes.len() != HASH_LEN {
            return None;
        }
        let [b'$', b'2', version, b'$', tens, units, b'$', rest @ ..] = bytes else {
            return None;
        };
        let version = match version {
            b'a' => Version::TwoA,
            b'b' => Version::TwoB,
            b'x' => Version::TwoX,
            b'y' => Version::TwoY,
            _ => return None,
        };
        if !tens.is_ascii_digit() || !units.is_ascii_digit() {
            return None;
        }
        let cost = u32::from(tens - b'0') * 10 + u32::from(units - b'0');
        if !(MIN_COST..=MAX_COST).contains(&cost) {
            return None;
        }
        let (salt, digest) = rest.split_at_checked(22)?;
        let salt: [u8; 16] = BCRYPT_B64.decode(salt).ok()?.try_into().ok()?;
        let digest = BCRYPT_B64.decode(digest).ok()?;
        (digest.len() == 23).then_some(Self {
            version,
            cost,
            salt,
        })
    }
}

/// Refuses passwords bcrypt would truncate, like Python's `hashpw`/`checkpw`.
fn check_length(password: &str) -> Result<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::PasswordTooLong);
    }
    Ok(())
}

/// The full hash string for `password`, as Python's `hashpw` formats it.
fn bcrypt_string(password: &str, cost: u32, salt: [u8; 16], version: Version) -> Result<String> {
    bcrypt::hash_with_salt(password.as_bytes(), cost, salt)
        .map(|parts| parts.format_for_version(version))
        // Only an out-of-range cost fails, and every caller has checked it.
        .map_err(|_| Error::BadHash)
}

/// The hashes [`dummy_verify_at_cost`] checks against, by cost, made on
/// first use.
fn dummy_hashes() -> &'static std::sync::Mutex<std::collections::HashMap<u32, String>> {
    static DUMMY_HASHES: OnceLock<std::sync::Mutex<std::collections::HashMap<u32, String>>> =
        OnceLock::new();
    DUMMY_HASHES.get_or_init(Default::default)
}

/// The hash [`dummy_verify`] checks against. Its salt need not be secret,
/// only its cost matters, so a failing RNG falls back to a fixed salt.
fn dummy_hash(cost: u32) -> String {
    let salt = crate::secret::random_bytes::<16>().unwrap_or([0x5a; 16]);
    bcrypt_string("authgate dummy password", cost, salt, Version::TwoB).unwrap_or_default()
}

/// Python's `\d` for `str` patterns: Unicode general category Nd.
fn is_unicode_decimal(c: char) -> bool {
    let cp = u32::from(c);
    c.is_ascii_digit()
        || (cp > 0x7f
            && UNICODE_14_ND
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&cp)))
}

/// Code point ranges of category Nd in Unicode 14.0 (CPython 3.11's
/// `unicodedata`). `tests/it/password_vectors.rs` checks both ends of each range
/// against Python.
const UNICODE_14_ND: [(u32, u32); 62] = [
    (0x0030, 0x0039),
    (0x0660, 0x0669),
    (0x06F0, 0x06F9),
    (0x07C0, 0x07C9),
    (0x0966, 0x096F),
    (0x09E6, 0x09EF),
    (0x0A66, 0x0A6F),
    (0x0AE6, 0x0AEF),
    (0x0B66, 0x0B6F),
    (0x0BE6, 0x0BEF),
    (0x0C66, 0x0C6F),
    (0x0CE6, 0x0CEF),
    (0x0D66, 0x0D6F),
    (0x0DE6, 0x0DEF),
    (0x0E50, 0x0E59),
    (0x0ED0, 0x0ED9),
    (0x0F20, 0x0F29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x17E0, 0x17E9),
    (0x1810, 0x1819),
    (0x1946, 0x194F),
    (0x19D0, 0x19D9),
    (0x1A80, 0x1A89),
    (0x1A90, 0x1A99),
    (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9),
    (0x1C40, 0x1C49),
    (0x1C50, 0x1C59),
    (0xA620, 0xA629),
    (0xA8D0, 0xA8D9),
    (0xA900, 0xA909),
    (0xA9D0, 0xA9D9),
    (0xA9F0, 0xA9F9),
    (0xAA50, 0xAA59),
    (0xABF0, 0xABF9),
    (0xFF10, 0xFF19),
    (0x104A0, 0x104A9),
    (0x10D30, 0x10D39),
    (0x11066, 0x1106F),
    (0x110F0, 0x110F9),
    (0x11136, 0x1113F),
    (0x111D0, 0x111D9),
    (0x112F0, 0x112F9),
    (0x11450, 0x11459),
    (0x114D0, 0x114D9),
    (0x11650, 0x11659),
    (0x116C0, 0x116C9),
    (0x11730, 0x11739),
    (0x118E0, 0x118E9),
    (0x11950, 0x11959),
    (0x11C50, 0x11C59),
    (0x11D50, 0x11D59),
    (0x11DA0, 0x11DA9),
    (0x16A60, 0x16A69),
    (0x16AC0, 0x16AC9),
    (0x16B50, 0x16B59),
    (0x1D7CE, 0x1D7FF),
    (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9),
    (0x1E950, 0x1E959),
    (0x1FBF0, 0x1FBF9),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_checks_the_cost_range() {
        let good = "$2a$04$DLukZDNNL/iqMLBFTFo3ceqrZbnauTM.O80LXNS4wfAs4ko5X6mQq";
        assert!(ParsedHash::parse(good).is_some());
        assert!(ParsedHash::parse(&good.replace("$04$", "$03$")).is_none());
        assert!(ParsedHash::parse(&good.replace("$04$", "$32$")).is_none());
    }

    #[test]
    fn nd_table_is_sorted_and_in_blocks_of_ten() {
        for (lo, hi) in UNICODE_14_ND {
            assert!(lo <= hi && (hi - lo + 1) % 10 == 0, "{lo:#x}..{hi:#x}");
        }
        assert!(UNICODE_14_ND.windows(2).all(|w| w[0].1 < w[1].0));
    }

    /// The dummy hash made for `cost`, if any. The cache is per process:
    /// each test below uses costs no other test in this binary asks for.
    fn dummy_hash_at(cost: u32) -> Option<String> {
        dummy_hashes()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&cost)
            .cloned()
    }

    #[test]
    fn dummy_verify_checks_a_real_hash_of_the_asked_cost() {
        dummy_verify_at_cost("", 5);
        let made = dummy_hash_at(5).expect("the first call makes the hash");
        assert_eq!(ParsedHash::parse(&made).map(|p| p.cost), Some(5));
        assert!(verify("authgate dummy password", &made).expect("a valid hash"));
        dummy_verify_at_cost("guess", 5);
        assert_eq!(
            dummy_hash_at(5),
            Some(made),
            "later calls check against the same hash"
        );
    }

    #[test]
    fn dummy_verify_skips_what_verify_refuses_before_hashing() {
        let longest = "x".repeat(MAX_PASSWORD_BYTES);
        let too_long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        let some_hash = "$2a$04$DLukZDNNL/iqMLBFTFo3ceqrZbnauTM.O80LXNS4wfAs4ko5X6mQq";
        assert!(verify(&too_long, some_hash).is_err());
        dummy_verify_at_cost(&too_long, 6);
        assert_eq!(
            dummy_hash_at(6),
            None,
            "no bcrypt work for a refused length"
        );
        dummy_verify_at_cost(&longest, 6);
        assert!(
            dummy_hash_at(6).is_some(),
            "the longest accepted password is checked"
        );
    }

    #[test]
    fn dummy_verify_takes_a_cost_outside_bcrypts_range_as_the_default() {
        dummy_verify_at_cost("", MAX_COST + 1);
        dummy_verify_at_cost("", MIN_COST - 1);
        assert_eq!(dummy_hash_at(MAX_COST + 1), None);
        assert_eq!(dummy_hash_at(MIN_COST - 1), None);
        let default = dummy_hash_at(DEFAULT_COST).expect("a hash at the default cost");
        assert_eq!(
            ParsedHash::parse(&default).map(|p| p.cost),
            Some(DEFAULT_COST)
        );
    }
}
