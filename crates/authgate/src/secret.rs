//! Secrets from the operating system's random number generator.
//!
//! Every random value in authgate comes from here, and everything here comes
//! from `getrandom` (the OS CSPRNG), never from a seeded user-space generator.
//! A failing OS generator is reported as an error, never a panic and never a
//! weaker fallback. Characters are drawn by rejection sampling, so each is
//! exactly uniform over its alphabet.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Shortest password [`random_password`] makes: the default rule's minimum
/// ([`crate::password_policy::DEFAULT_MIN_CHARS`]).
pub const PASSWORD_MIN_LEN: usize = crate::password_policy::DEFAULT_MIN_CHARS;

/// Longest password [`random_password`] makes: the default rule's maximum.
pub const PASSWORD_MAX_LEN: usize = crate::password_policy::DEFAULT_MAX_CHARS;

/// Longest code [`random_digits`] makes.
pub const MAX_DIGITS: usize = 64;

/// The default rule's special characters that [`random_password`] leaves
/// out: like streamlit-authenticator's own generator, `<` and `>`, since the
/// password is usually sent in an HTML e-mail.
const SPECIALS_LEFT_OUT: &[u8] = b"<>";

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

/// A secret string (a password, a PKCE verifier): wiped from memory when
/// dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps `value`.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(value.into()))
    }

    /// The secret itself, for the one place that must send it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

/// `N` bytes from the operating system's random number generator.
///
/// # Errors
///
/// [`Error::InvalidInput`] if the operating system cannot provide randomness.
///
/// # Examples
///
/// ```
/// let key: [u8; 32] = authgate::secret::random_bytes()?;
/// assert_ne!(key, [0; 32]);
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0_u8; N];
    fill(&mut bytes)?;
    Ok(bytes)
}

/// A new session id: 128 random bits, base64url without padding (22 chars).
///
/// # Errors
///
/// [`Error::InvalidInput`] if the operating system cannot provide randomness.
///
/// # Examples
///
/// ```
/// let sid = authgate::secret::session_id()?;
/// assert_eq!(sid.len(), 22);
/// assert!(sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn session_id() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
}

/// A random password that the default password rule
/// ([`crate::password_policy::default`], streamlit-authenticator's) accepts:
/// 8 to 20 characters, with a lowercase letter, an uppercase letter, a digit
/// and a special character (any of the rule's but `<` and `>`).
///
/// The password is uniform over all strings of that length over the 92
/// allowed characters that the rule accepts: characters are drawn uniformly
/// and a draw the rule refuses is thrown away whole.
///
/// # Errors
///
/// [`Error::InvalidInput`] if `len` is outside
/// [`PASSWORD_MIN_LEN`]..=[`PASSWORD_MAX_LEN`] or the operating system cannot
/// provide randomness.
///
/// # Examples
///
/// ```
/// let pw = authgate::secret::random_password(16)?;
/// assert_eq!(pw.len(), 16);
/// assert!(authgate::password_policy::default::accepts(&pw));
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn random_password(len: usize) -> Result<String> {
    if !(PASSWORD_MIN_LEN..=PASSWORD_MAX_LEN).contains(&len) {
        return Err(Error::InvalidInput(format!(
            "random passwords are {PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} characters long, not {len}"
        )));
    }
    let alphabet = password_alphabet();
    let mut source = ByteSource::new();
    loop {
        let candidate = source.string_over(&alphabet, len)?;
        if crate::password_policy::default::accepts(&candidate) {
            return Ok(candidate);
        }
    }
}

/// The characters [`random_password`] draws from: ASCII letters and digits,
/// and the default rule's specials but `<` and `>`.
fn password_alphabet() -> Vec<u8> {
    let specials = crate::password_policy::SPECIALS
        .bytes()
        .filter(|b| !SPECIALS_LEFT_OUT.contains(b));
    LOWER
        .iter()
        .chain(UPPER)
        .chain(DIGITS)
        .copied()
        .chain(specials)
        .collect()
}

/// `n` uniformly random decimal digits, for one-time codes and captchas.
///
/// Leading zeros are kept: `random_digits(4)` may return `"0042"`.
///
/// # Errors
///
/// [`Error::InvalidInput`] if `n` is 0 or above [`MAX_DIGITS`], or the
/// operating system cannot provide randomness.
///
/// # Examples
///
/// ```
/// let code = authgate::secret::random_digits(6)?;
/// assert_eq!(code.len(), 6);
/// assert!(code.bytes().all(|b| b.is_ascii_digit()));
/// # Ok::<(), authgate::error::Error>(())
/// ```
pub fn random_digits(n: usize) -> Result<String> {
    if !(1..=MAX_DIGITS).contains(&n) {
        return Err(Error::InvalidInput(format!(
            "random codes have 1 to {MAX_DIGITS} digits, not {n}"
        )));
    }
    ByteSource::new().string_over(DIGITS, n)
}

/// `len` characters drawn uniformly from the ASCII `alphabet` (2 to 256
/// distinct characters) from the OS random source.
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> Result<String> {
    ByteSource::new().string_over(alphabet, len)
}

/// Lower-case hexadecimal of `bytes`: digests kept or compared as text.
///
/// ```
/// assert_eq!(authgate::secret::hex(&[0x0f, 0xa0]), "0fa0");
/// ```
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|&b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]])
        .map(char::from)
        .collect()
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
///
/// Use it for every comparison of a secret with a guess (codes, tokens,
/// credential versions). Lengths are not hidden.
///
/// # Examples
///
/// ```
/// use authgate::secret::constant_time_eq;
///
/// assert!(constant_time_eq(b"123456", b"123456"));
/// assert!(!constant_time_eq(b"123456", b"123457"));
/// assert!(!constant_time_eq(b"123456", b"12345"));
/// ```
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// This process's secret key, drawn once from the OS: it seals what the
/// process hands out and must recognise later (OpenID Connect `state`s,
/// mailed codes), and dies with the process.
fn process_key() -> Result<&'static Zeroizing<[u8; 32]>> {
    static KEY: OnceLock<Zeroizing<[u8; 32]>> = OnceLock::new();
    if let Some(key) = KEY.get() {
        return Ok(key);
    }
    let drawn = Zeroizing::new(random_bytes::<32>()?);
    Ok(KEY.get_or_init(|| drawn))
}

/// HMAC-SHA256 under this process's key of `purpose` and `parts`, each
/// length-prefixed so that no two different lists of parts read the same;
/// `purpose` keeps the uses of the key apart.
pub(crate) fn process_mac(purpose: &str, parts: &[&[u8]]) -> Result<[u8; 32]> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(process_key()?.as_slice())
        .expect("HMAC takes a key of any length");
    for part in std::iter::once(purpose.as_bytes()).chain(parts.iter().copied()) {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    Ok(m.finalize().into_bytes().into())
}

fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| {
        Error::InvalidInput("the operating system's random number generator failed".to_owned())
    })
}

/// Random bytes fetched from the OS in blocks, handed out one at a time.
struct ByteSource {
    block: [u8; 64],
    next: usize,
}

impl ByteSource {
    fn new() -> Self {
        Self {
            block: [0; 64],
            next: 64,
        }
    }

    fn byte(&mut self) -> Result<u8> {
        if self.next == self.block.len() {
            fill(&mut self.block)?;
            self.next = 0;
        }
        let byte = self.block[self.next];
        self.next += 1;
        Ok(byte)
    }

    /// A uniform index below `n` (1..=256): bytes at or above the largest
    /// multiple of `n` are rejected, so no index is more likely than another.
    fn index_below(&mut self, n: usize) -> Result<usize> {
        let limit = 256 - 256 % n;
        loop {
            let byte = usize::from(self.byte()?);
            if byte < limit {
                return Ok(byte % n);
            }
        }
    }

    /// `len` characters drawn uniformly from the ASCII `alphabet`.
    fn string_over(&mut self, alphabet: &[u8], len: usize) -> Result<String> {
        debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256 && alphabet.is_ascii());
        let mut out = String::with_capacity(len);
        for _ in 0..len {
            out.push(char::from(alphabet[self.index_below(alphabet.len())?]));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_92_distinct_ascii_characters() {
        let alphabet = password_alphabet();
        let mut sorted = alphabet.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 92);
        assert!(alphabet.is_ascii() && !alphabet.contains(&b'<') && !alphabet.contains(&b'>'));
    }

    #[test]
    fn index_below_covers_the_range() {
        let mut source = ByteSource::new();
        let mut seen = [false; 92];
        for _ in 0..20_000 {
            seen[source.index_below(92).unwrap()] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(source.index_below(1).unwrap(), 0);
        assert!(source.index_below(256).unwrap() < 256);
    }

    #[test]
    fn random_passwords_always_pass_the_rule() {
        let mut seen = std::collections::HashSet::new();
        let mut chars = std::collections::HashSet::new();
        for i in 0..10_000 {
            let len = PASSWORD_MIN_LEN + i % (PASSWORD_MAX_LEN - PASSWORD_MIN_LEN + 1);
            let pw = random_password(len).unwrap();
            assert_eq!(pw.len(), len);
            assert!(crate::password_policy::default::accepts(&pw), "{pw}");
            chars.extend(pw.bytes());
            seen.insert(pw);
        }
        assert_eq!(seen.len(), 10_000);
        assert_eq!(chars.len(), 92);
    }

    #[test]
    fn session_ids_are_unique_128_bit_values() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let sid = session_id().unwrap();
            assert_eq!(sid.len(), 22);
            assert_eq!(URL_SAFE_NO_PAD.decode(&sid).unwrap().len(), 16);
            assert!(seen.insert(sid));
        }
    }

    #[test]
    fn digits_are_roughly_uniform() {
        let mut counts = [0_u32; 10];
        for _ in 0..1_000 {
            for b in random_digits(MAX_DIGITS).unwrap().bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        // 6,400 expected per digit, standard deviation 76: ±600 is ~8 sigma.
        assert!(
            counts.iter().all(|&n| (5_800..7_000).contains(&n)),
            "{counts:?}"
        );
        assert_eq!(random_digits(1).unwrap().len(), 1);
    }

    #[test]
    fn random_bytes_differ() {
        let (a, b) = (random_bytes::<32>().unwrap(), random_bytes::<32>().unwrap());
        assert_ne!(a, b);
        assert_eq!(random_bytes::<0>().unwrap(), [0_u8; 0]);
    }

    #[test]
    fn lengths_out_of_range_are_errors() {
        for len in [0, 7, 21, usize::MAX] {
            assert!(matches!(random_password(len), Err(Error::InvalidInput(_))));
        }
        for n in [0, MAX_DIGITS + 1, usize::MAX] {
            assert!(matches!(random_digits(n), Err(Error::InvalidInput(_))));
        }
    }
}
