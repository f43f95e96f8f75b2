//! TOTP (RFC 6238) for the authenticator-app second factor, its recovery
//! codes, and the key that seals its secrets.
//!
//! - A secret is [`SECRET_BYTES`] bytes (160 bits) from the OS random source;
//!   codes are [`DIGITS`] digits of HMAC-SHA1 over [`STEP`]-second time
//!   steps (what every authenticator app reads from an `otpauth://` URI),
//!   accepted within [`SKEW`] step either side of now.
//! - [`verify`] returns the time step a code matched, and refuses steps at
//!   or before the last one used: a code works once (RFC 6238 §5.2).
//! - A secret is stored sealed ([`FactorKey::seal_secret`]): XChaCha20-Poly1305
//!   under a key derived from the cookie key (or a separate `totp_key`)
//!   with a label of its own, a random nonce per sealing, and the username
//!   and purpose as associated data, so that a sealed secret moved to
//!   another user, or used for another purpose, does not open.
//! - Recovery codes are [`RECOVERY_CODES`] codes of the form `xxxxx-xxxxx`
//!   over 32 unambiguous characters (50 bits each), kept only as keyed
//!   digests ([`FactorKey::recovery_digest`]).
//!
//! ```
//! use authgate::totp::{self, FactorKey, TotpSecret};
//!
//! let secret = TotpSecret::generate()?;
//! let code = totp::code_at(&secret, 1_700_000_000);
//! let step = totp::verify(&secret, &code, 1_700_000_000.0, None).expect("a fresh code");
//! assert_eq!(totp::verify(&secret, &code, 1_700_000_000.0, Some(step)), None);
//!
//! let key = FactorKey::new("an example key of at least 32 bytes!");
//! let sealed = key.seal_secret("ann", &secret)?;
//! assert_eq!(key.open_secret("ann", &sealed)?.to_base32(), secret.to_base32());
//! assert!(key.open_secret("bob", &sealed).is_err());
//! # Ok::<(), authgate::Error>(())
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{self, constant_time_eq};

/// Bytes in a TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Digits in a code.
pub const DIGITS: usize = 6;
/// Seconds in a time step.
pub const STEP: u64 = 30;
/// Steps either side of now whose codes are accepted.
pub const SKEW: u64 = 1;
/// Recovery codes issued at once.
pub const RECOVERY_CODES: usize = 10;

/// The characters of recovery codes: Crockford's base 32 in lower case
/// (no `i`, `l`, `o`, `u`).
const RECOVERY_ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in each of a recovery code's two halves.
const RECOVERY_HALF: usize = 5;

/// Version prefix of a sealed value.
const SEALED_PREFIX: &str = "v1.";
/// Bytes of an XChaCha20 nonce.
const NONCE_BYTES: usize = 24;

/// A TOTP secret. Wiped from memory when dropped; `Debug` never shows it.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<[u8; SECRET_BYTES]>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A new secret from the OS random source.
    pub fn generate() -> Result<Self> {
        Ok(Self(
            Zeroizing::new(secret::random_bytes::<SECRET_BYTES>()?),
        ))
    }

    /// A secret of exactly [`SECRET_BYTES`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let array: [u8; SECRET_BYTES] = bytes.try_into().map_err(|_| {
            Error::InvalidInput(format!(
                "a TOTP secret has {SECRET_BYTES} bytes, not {}",
                bytes.len()
            ))
        })?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// The secret an authenticator app was given in base 32 (as
    /// [`TotpSecret::to_base32`] writes it; spaces and case ignored).
    pub fn from_base32(text: &str) -> Result<Self> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let secret = totp_rs::Secret::try_from_base32(compact)
            .map_err(|_| Error::InvalidInput("not a base-32 TOTP secret".to_string()))?;
        Self::from_bytes(secret.as_ref())
    }

    /// The secret in base 32 without padding, as authenticator apps take it
    /// when typed in by hand.
    #[must_use]
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::from(self.0.to_vec()).to_base32()
    }

    fn totp(&self, issuer: Option<&str>, account: &str) -> Result<totp_rs::Totp> {
        let mut builder = totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(DIGITS as u8)
            .with_skew(SKEW as u16)
            .with_step_duration(STEP)
            .with_secret(self.0.to_vec());
        if !account.is_empty() {
            builder = builder
                .with_account_name(label(account))
                .with_issuer(issuer.map(label));
        }
        builder
            .build()
            .map_err(|e| Error::InvalidInput(format!("TOTP parameters refused: {e:?}")))
    }
}

/// `text` without the `:` an `otpauth://` label may not hold.
fn label(text: &str) -> String {
    text.replace(':', " ")
}

/// The code of `secret` at `unix` seconds: what an authenticator app shows.
///
/// RFC 6238 Appendix B, SHA-1, last six digits:
///
/// ```
/// use authgate::totp::{code_at, TotpSecret};
/// let secret = TotpSecret::from_bytes(b"12345678901234567890")?;
/// assert_eq!(code_at(&secret, 59), "287082");
/// assert_eq!(code_at(&secret, 1_111_111_109), "081804");
/// # Ok::<(), authgate::Error>(())
/// ```
#[must_use]
pub fn code_at(secret: &TotpSecret, unix: u64) -> String {
    // Six digits and a 20-byte secret always build.
    secret
        .totp(None, "")
        .map(|t| t.generate(unix).to_string())
        .unwrap_or_default()
}

/// The time step `code` matches for `secret` at `now` (Unix seconds),
/// within [`SKEW`] step either side; `None` for a wrong code, a code that
/// is not [`DIGITS`] digits (spaces around and inside are ignored), or a
/// step at or before `last_step` (a code used already, or an older one).
/// Every candidate step is compared, in constant time.
#[must_use]
pub fn verify(secret: &TotpSecret, code: &str, now: f64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) || !now.is_finite() {
        return None;
    }
    if now < 0.0 {
        return None;
    }
    // Truncation to whole seconds, as apps count.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let origin = (now as u64) / STEP;
    let mut matched = None;
    for step in origin.saturating_sub(SKEW)..=origin.saturating_add(SKEW) {
        let Ok(signed) = i64::try_from(step) else {
            continue;
        };
        let candidate = code_at(secret, step.saturating_mul(STEP));
        let same = constant_time_eq(candidate.as_bytes(), code.as_bytes());
        let fresh = last_step.is_none_or(|last| signed > last);
        if same && fresh && matched.is_none() {
            matched = Some(signed);
        }
    }
    matched
}

/// The `otpauth://totp/…` URI an authenticator app scans: `issuer` (the
/// app's name) and `account` (the username) label the entry; a `:` in
/// either, which the URI format reserves, becomes a space.
pub fn provisioning_uri(secret: &TotpSecret, issuer: &str, account: &str) -> Result<String> {
    if account.trim().is_empty() {
        return Err(Error::InvalidInput(
            "a TOTP provisioning URI needs an account name".to_string(),
        ));
    }
    let issuer = Some(issuer.trim()).filter(|i| !i.is_empty());
    secret
        .totp(issuer, account.trim())?
        .to_url()
        .map_err(|e| Error::InvalidInput(format!("TOTP provisioning URI refused: {e:?}")))
}

/// `text` (a provisioning URI) as a QR code in a grey-scale PNG: black
/// modules of [`QR_MODULE_PIXELS`] pixels on white, with the four-module
/// quiet zone scanners need.
pub fn qr_png(text: &str) -> Result<Vec<u8>> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::InvalidInput(format!("no QR code for this text: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    const QUIET: usize = 4;
    let side = (modules + 2 * QUIET) * QR_MODULE_PIXELS;
    let mut pixels = vec![255_u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * QR_MODULE_PIXELS..(my + 1) * QR_MODULE_PIXELS {
            let row = y * side;
            pixels[row + mx * QR_MODULE_PIXELS..row + (mx + 1) * QR_MODULE_PIXELS].fill(0);
        }
    }
    let dim = u32::try_from(side)
        .map_err(|_| Error::InvalidInput("the QR code is too large".to_string()))?;
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, dim, dim);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let failed = |e: png::EncodingError| {
            Error::InvalidInput(format!("the QR code could not be encoded: {e}"))
        };
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&pixels).map_err(failed)?;
        writer.finish().map_err(failed)?;
    }
    Ok(png)
}

/// Pixels per QR module in [`qr_png`].
pub const QR_MODULE_PIXELS: usize = 6;

/// [`RECOVERY_CODES`] new recovery codes, `xxxxx-xxxxx`, from the OS random
/// source. Show them once; keep only their digests.
pub fn recovery_codes() -> Result<Vec<String>> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let a = secret::random_string(RECOVERY_ALPHABET, RECOVERY_HALF)?;
            let b = secret::random_string(RECOVERY_ALPHABET, RECOVERY_HALF)?;
            Ok(format!("{a}-{b}"))
        })
        .collect()
}

/// A recovery code as typed, in the form it is digested in: lower case,
/// without spaces or dashes, Crockford's look-alikes read as digits
/// (`o` as 0, `i` and `l` as 1). `None` unless it has the length and
/// alphabet of a code.
#[must_use]
pub fn normalize_recovery_code(code: &str) -> Option<String> {
    let out: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    let fits =
        out.len() == 2 * RECOVERY_HALF && out.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    fits.then_some(out)
}

/// The key that seals TOTP secrets and digests recovery codes: derived
/// with a label of its own from the cookie key (or a separate `totp_key`),
/// so it never signs a cookie. Wiped when dropped; `Debug` never shows it.
#[derive(Clone)]
pub struct FactorKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for FactorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactorKey(<redacted>)")
    }
}

/// What a sealed value is for: its associated data, with the username.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A confirmed factor's secret, in the store.
    Stored,
    /// An enrolment not yet confirmed, kept by the asking session.
    Pending,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Stored => b"authgate totp secret v1",
            Purpose::Pending => b"authgate totp enrolment v1",
        }
    }
}

impl FactorKey {
    /// The factor key of `key` (the cookie key, or a `totp_key`).
    #[must_use]
    pub fn new(key: &str) -> Self {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
            .expect("HMAC takes a key of any length");
        m.update(b"authgate second-factor key v1");
        Self(Zeroizing::new(m.finalize().into_bytes().into()))
    }

    fn aad(purpose: Purpose, username: &str, extra: &[u8]) -> Vec<u8> {
        let mut aad = Vec::new();
        for part in [purpose.label(), username.as_bytes(), extra] {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part);
        }
        aad
    }

    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<String> {
        let cipher = XChaCha20Poly1305::new(&(*self.0).into());
        let nonce = secret::random_bytes::<NONCE_BYTES>()?;
        let sealed = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::InvalidInput("sealing a TOTP secret failed".to_string()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    fn open(&self, aad: &[u8], sealed: &str) -> Option<Zeroizing<Vec<u8>>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed.strip_prefix(SEALED_PREFIX)?)
            .ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, body) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        let cipher = XChaCha20Poly1305::new(&(*self.0).into());
        cipher
            .decrypt(&nonce.into(), Payload { msg: body, aad })
            .ok()
            .map(Zeroizing::new)
    }

    /// `secret` sealed for the store, bound to `username`.
    pub fn seal_secret(&self, username: &str, secret: &TotpSecret) -> Result<String> {
        self.seal(
            &Self::aad(Purpose::Stored, username, &[]),
            secret.0.as_slice(),
        )
    }

    /// The secret [`FactorKey::seal_secret`] sealed for `username`.
    /// Refused ([`Error::InvalidInput`]) when it was sealed for another
    /// user, under another key (the cookie key or `totp_key` changed since
    /// enrolment), or altered.
    pub fn open_secret(&self, username: &str, sealed: &str) -> Result<TotpSecret> {
        let plain = self
            .open(&Self::aad(Purpose::Stored, username, &[]), sealed)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "the TOTP secret stored for '{username}' cannot be opened: the cookie key \
                     (or totp_key) changed since enrolment, or the record was altered or \
                     belongs to another user; an operator can reset it with \
                     `authgate users 2fa {username} --reset`"
                ))
            })?;
        TotpSecret::from_bytes(&plain)
    }

    /// An enrolment of `secret` for `username` begun at `issued`, sealed
    /// for the asking session to keep until a code confirms it.
    pub(crate) fn seal_pending(
        &self,
        username: &str,
        secret: &TotpSecret,
        issued: f64,
    ) -> Result<String> {
        let mut plain = Zeroizing::new(issued.to_be_bytes().to_vec());
        plain.extend_from_slice(secret.0.as_slice());
        self.seal(&Self::aad(Purpose::Pending, username, &[]), &plain)
    }

    /// The secret and start time of a pending enrolment of `username`;
    /// `None` if it is not one this key sealed for them.
    pub(crate) fn open_pending(&self, username: &str, sealed: &str) -> Option<(TotpSecret, f64)> {
        let plain = self.open(&Self::aad(Purpose::Pending, username, &[]), sealed)?;
        if plain.len() != 8 + SECRET_BYTES {
            return None;
        }
        let issued = f64::from_be_bytes(plain[..8].try_into().ok()?);
        Some((TotpSecret::from_bytes(&plain[8..]).ok()?, issued))
    }

    /// The keyed digest a recovery code of `username` is kept as (hex), of
    /// its [`normalize_recovery_code`] form; `None` for text that is not a
    /// recovery code.
    #[must_use]
    pub fn recovery_digest(&self, username: &str, code: &str) -> Option<String> {
        let code = normalize_recovery_code(code)?;
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        for part in [
            b"recovery code".as_slice(),
            username.as_bytes(),
            code.as_bytes(),
        ] {
            m.update(&(part.len() as u64).to_be_bytes());
            m.update(part);
        }
        Some(secret::hex(&m.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    /// RFC 6238 Appendix B, SHA-1: the last six digits of its eight-digit
    /// values.
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc_6238_vectors() {
        let secret = rfc_secret();
        for (time, eight) in RFC_VECTORS {
            let six = &eight[2..];
            assert_eq!(code_at(&secret, time), six, "T = {time}");
            #[allow(clippy::cast_precision_loss)]
            let step = verify(&secret, six, time as f64, None).expect("the vector verifies");
            assert_eq!(step, i64::try_from(time / STEP).unwrap(), "T = {time}");
        }
    }

    #[test]
    fn one_step_either_side_and_no_further() {
        let secret = rfc_secret();
        let now = 1_234_567_890.0;
        let origin = 1_234_567_890 / STEP;
        for (offset, accepted) in [
            (-2_i64, false),
            (-1, true),
            (0, true),
            (1, true),
            (2, false),
        ] {
            let step = origin.checked_add_signed(offset).unwrap();
            let code = code_at(&secret, step * STEP);
            let got = verify(&secret, &code, now, None);
            if accepted {
                assert_eq!(got, Some(i64::try_from(step).unwrap()), "offset {offset}");
            } else {
                assert_eq!(got, None, "offset {offset}");
            }
        }
    }

    #[test]
    fn a_used_step_and_earlier_ones_are_refused() {
        let secret = rfc_secret();
        let now = 1_111_111_111.0;
        let code = code_at(&secret, 1_111_111_111);
        let step = verify(&secret, &code, now, None).unwrap();
        assert_eq!(verify(&secret, &code, now, Some(step)), None);
        assert_eq!(verify(&secret, &code, now, Some(step + 1)), None);
        assert_eq!(verify(&secret, &code, now, Some(step - 1)), Some(step));
        let previous = code_at(&secret, 1_111_111_111 - STEP);
        assert_eq!(verify(&secret, &previous, now, Some(step)), None);
    }

    #[test]
    fn bad_input_is_refused() {
        let secret = rfc_secret();
        let code = code_at(&secret, 59);
        assert_eq!(
            verify(
                &secret,
                &format!(" {} {} ", &code[..3], &code[3..]),
                59.0,
                None
            ),
            Some(1)
        );
        for bad in [
            "",
            "28708",
            "2870822",
            "28708a",
            "+28708",
            "２８７０８２",
            "287082\0",
            "-87082",
        ] {
            assert_eq!(verify(&secret, bad, 59.0, None), None, "{bad:?}");
        }
        for now in [f64::NAN, f64::INFINITY, -59.0] {
            assert_eq!(verify(&secret, &code, now, None), None);
        }
        assert!(TotpSecret::from_bytes(&[0; 19]).is_err());
        assert!(TotpSecret::from_bytes(&[0; 21]).is_err());
    }

    #[test]
    fn provisioning_uri_and_qr_code() {
        let secret = rfc_secret();
        let uri = provisioning_uri(&secret, "My App: prod", "ann").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(
            uri.contains(&format!("secret={}", secret.to_base32())),
            "{uri}"
        );
        assert!(uri.contains("ann"), "{uri}");
        assert!(uri.contains("issuer=My%20App"), "{uri}");
        assert!(provisioning_uri(&secret, "x", " ").is_err());
        let png = qr_png(&uri).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width as usize % QR_MODULE_PIXELS, 0);
    }

    #[test]
    fn secrets_are_random_and_never_shown() {
        let (a, b) = (
            TotpSecret::generate().unwrap(),
            TotpSecret::generate().unwrap(),
        );
        assert_ne!(a.to_base32(), b.to_base32());
        assert_eq!(a.to_base32().len(), 32);
        assert_eq!(format!("{a:?}"), "TotpSecret(<redacted>)");
        let key = FactorKey::new("k");
        assert_eq!(format!("{key:?}"), "FactorKey(<redacted>)");
    }

    #[test]
    fn sealed_secrets_open_only_for_their_user_key_and_purpose() {
        let key = FactorKey::new("an example key of at least 32 bytes!");
        let secret = TotpSecret::generate().unwrap();
        let sealed = key.seal_secret("ann", &secret).unwrap();
        assert!(!sealed.contains(&secret.to_base32()));
        assert_ne!(
            sealed,
            key.seal_secret("ann", &secret).unwrap(),
            "a nonce per sealing"
        );
        assert_eq!(
            key.open_secret("ann", &sealed).unwrap().to_base32(),
            secret.to_base32()
        );
        assert!(key.open_secret("bob", &sealed).is_err());
        assert!(FactorKey::new("another key")
            .open_secret("ann", &sealed)
            .is_err());
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(key
            .open_secret("ann", &String::from_utf8(altered).unwrap())
            .is_err());
        for junk in ["", "v1.", "v1.!!", "v2.AAAA", "v1.AAAA"] {
            assert!(key.open_secret("ann", junk).is_err(), "{junk:?}");
        }
        // A pending enrolment is not a stored secret, nor the other way round.
        let pending = key.seal_pending("ann", &secret, 5.0).unwrap();
        assert!(key.open_secret("ann", &pending).is_err());
        assert!(key.open_pending("ann", &sealed).is_none());
        assert!(key.open_pending("bob", &pending).is_none());
        let (opened, issued) = key.open_pending("ann", &pending).unwrap();
        assert_eq!((opened.to_base32(), issued), (secret.to_base32(), 5.0));
    }

    #[test]
    fn recovery_codes_are_unambiguous_and_digested_per_user() {
        let codes = recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let key = FactorKey::new("k");
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(code.as_bytes()[5], b'-');
            let d = key.recovery_digest("ann", code).unwrap();
            assert_eq!(d.len(), 64);
            assert_eq!(
                key.recovery_digest("ann", &code.to_uppercase()),
                Some(d.clone())
            );
            assert_eq!(
                key.recovery_digest("ann", &code.replace('-', " ")),
                Some(d.clone())
            );
            assert_ne!(key.recovery_digest("bob", code), Some(d.clone()));
            assert_ne!(FactorKey::new("j").recovery_digest("ann", code), Some(d));
        }
        assert_eq!(
            normalize_recovery_code("O0IL1-abcde"),
            Some("00111abcde".into())
        );
        for bad in [
            "",
            "abcd-efgh",
            "abcde-fghjku",
            "abcde-fghj!",
            "abcde-fghjkm",
        ] {
            assert_eq!(normalize_recovery_code(bad), None, "{bad:?}");
        }
    }
}
