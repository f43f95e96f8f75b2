//! Captchas shown and not yet answered, kept in this process so that a
//! Streamlit session holds only an id.
//!
//! The rules of a captcha field live here, not in the widgets:
//!
//! - a picture answers **once**: [`answer`] uses its id up whatever the
//!   result, and hands back the next picture in the same call, so a form
//!   never shows a picture that was already tried (a script could otherwise
//!   try all 10⁴ answers on one picture);
//! - an empty answer is refused as [`Verdict::NotEntered`] before anything
//!   is compared, and still uses the picture up (as 0.4.2's widget redraws);
//! - an id that is unknown, used or expired is [`Verdict::Wrong`].
//!
//! Only the [`Challenge`] (salt and digest) is kept, for at most
//! [`CAPTCHA_TTL`] seconds and [`MAX_SHOWN`] captchas: past that the oldest
//! is forgotten, and its form gets "wrong" and a new picture. The registry
//! is per process, like Streamlit's `session_state` itself.
//!
//! A form's answer travels with the core call of its action, as a
//! [`CaptchaAnswer`] in a [`crate::form_guard::FormGuard`]: the action
//! checks it first ([`check`]) and refuses a blank, wrong or used answer
//! with [`crate::Error::CaptchaRefused`] before anything else. [`answer`]
//! is the verdict alone, with the next picture, for an app's own forms.
//!
//! Showing and answering draw pictures, which needs the `captcha` cargo
//! feature; [`check`] does not (without the feature no captcha is ever
//! shown, so every answer is wrong).
//!
//! ```
//! use authgate::captcha_registry::{answer, show_with_answer, Verdict};
//! let shown = show_with_answer("0427", 1_000.0)?;
//! let (verdict, next) = answer(&shown.id, "0427", 1_001.0)?;
//! assert_eq!(verdict, Verdict::Right);
//! // The same picture never answers twice.
//! assert_eq!(answer(&shown.id, "0427", 1_002.0)?.0, Verdict::Wrong);
//! assert_eq!(answer(&next.id, " ", 1_003.0)?.0, Verdict::NotEntered);
//! # Ok::<(), authgate::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock, PoisonError};

use sha2::{Digest, Sha256};

use crate::captcha::Challenge;
#[cfg(feature = "captcha")]
use crate::captcha::{self, Captcha};
use crate::error::{Error, Result};

/// Seconds a shown captcha can still be answered: a day, so that a form
/// left open is not refused for its age.
pub const CAPTCHA_TTL: f64 = 24.0 * 3600.0;

/// Most captchas remembered at once in one process; beyond it the oldest
/// is forgotten.
pub const MAX_SHOWN: usize = 100_000;

/// A captcha to show: the picture, and the id to answer it by. `Debug`
/// shows neither.
#[derive(Clone)]
pub struct Shown {
    /// Keep it server-side (`session_state`) and pass it to [`answer`].
    pub id: String,
    /// The picture: a PNG of `captcha::WIDTH` × `captcha::HEIGHT` pixels.
    pub png: Vec<u8>,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shown")
            .field("png", &format_args!("<{} bytes>", self.png.len()))
            .finish_non_exhaustive()
    }
}

/// What an answer was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The picture's answer.
    Right,
    /// Nothing but blanks was entered.
    NotEntered,
    /// Not the answer, or the picture was unknown, used or expired.
    Wrong,
}

/// A captcha's answer as a form sends it with the action it guards.
/// `Debug` shows neither part.
#[derive(Clone, Copy)]
pub struct CaptchaAnswer<'a> {
    /// The id the picture was shown with ([`Shown::id`]).
    pub id: &'a str,
    /// What was typed.
    pub entered: &'a str,
}

impl std::fmt::Debug for CaptchaAnswer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptchaAnswer").finish_non_exhaustive()
    }
}

/// Why a captcha answer was refused, in streamlit-authenticator 0.4.2's
/// words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaptchaRefusal {
    /// Nothing but blanks was entered.
    #[error("Captcha not entered")]
    NotEntered,
    /// Not the answer, or the picture was unknown, used or expired.
    #[error("Captcha entered incorrectly")]
    Wrong,
}

/// Uses the captcha `answer.id` up and accepts `answer.entered` if it is
/// the picture's answer (surrounding blanks ignored).
///
/// ```
/// use authgate::captcha_registry::{check, CaptchaAnswer, CaptchaRefusal};
/// use authgate::Error;
/// let unknown = CaptchaAnswer { id: "no such id", entered: "1234" };
/// assert!(matches!(check(&unknown, 0.0), Err(Error::CaptchaRefused(CaptchaRefusal::Wrong))));
/// let blank = CaptchaAnswer { id: "no such id", entered: " " };
/// assert!(matches!(check(&blank, 0.0), Err(Error::CaptchaRefused(CaptchaRefusal::NotEntered))));
/// ```
///
/// # Errors
///
/// [`Error::CaptchaRefused`] unless the answer is right.
pub fn check(answer: &CaptchaAnswer<'_>, now: f64) -> Result<()> {
    match judge(answer.id, answer.entered, now) {
        Verdict::Right => Ok(()),
        Verdict::NotEntered => Err(Error::CaptchaRefused(CaptchaRefusal::NotEntered)),
        Verdict::Wrong => Err(Error::CaptchaRefused(CaptchaRefusal::Wrong)),
    }
}

/// A new captcha of random digits, registered until answered.
///
/// # Errors
///
/// [`crate::Error::InvalidInput`] if the operating system cannot provide
/// randomness.
#[cfg(feature = "captcha")]
pub fn show(now: f64) -> Result<Shown> {
    register(captcha::generate()?, now)
}

/// A new captcha showing `answer` (1 to 6 digits), registered until
/// answered: for apps that pick their own answers, and for tests.
///
/// # Errors
///
/// Those of [`captcha::generate_with_answer`].
#[cfg(feature = "captcha")]
pub fn show_with_answer(answer: &str, now: f64) -> Result<Shown> {
    register(captcha::generate_with_answer(answer)?, now)
}

/// Answers the captcha `id` with `entered` (surrounding blanks ignored):
/// the verdict, and the next captcha to show in its place. The id is used
/// up whatever the verdict.
///
/// # Errors
///
/// Those of [`show`], for the next picture.
#[cfg(feature = "captcha")]
pub fn answer(id: &str, entered: &str, now: f64) -> Result<(Verdict, Shown)> {
    let verdict = judge(id, entered, now);
    Ok((verdict, show(now)?))
}

/// The verdict on `entered` for the captcha `id`, which is used up.
fn judge(id: &str, entered: &str, now: f64) -> Verdict {
    let challenge = take(id, now);
    if entered.trim().is_empty() {
        Verdict::NotEntered
    } else if challenge.is_some_and(|c| c.verify(entered)) {
        Verdict::Right
    } else {
        Verdict::Wrong
    }
}

/// The captchas shown: by the SHA-256 of their id, with the order they were
/// shown in (which is also the order they expire in) for pruning.
#[derive(Default)]
// Without the `captcha` feature nothing is shown: only `take` is used.
#[cfg_attr(not(feature = "captcha"), allow(dead_code))]
struct Registry {
    shown: HashMap<[u8; 32], (Challenge, f64, u64)>,
    by_age: BTreeMap<u64, [u8; 32]>,
    next: u64,
}

impl Registry {
    /// Forgets expired captchas, and the oldest while there are too many.
    #[cfg(feature = "captcha")]
    fn prune(&mut self, now: f64) {
        while let Some((&seq, key)) = self.by_age.first_key_value() {
            let expired = self
                .shown
                .get(key)
                .is_none_or(|(_, until, _)| *until <= now);
            if !expired && self.shown.len() < MAX_SHOWN {
                break;
            }
            let key = *key;
            self.by_age.remove(&seq);
            self.shown.remove(&key);
        }
    }
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

#[cfg(feature = "captcha")]
fn register(captcha: Captcha, now: f64) -> Result<Shown> {
    let id = crate::secret::session_id()?;
    let mut registry = registry().lock().unwrap_or_else(PoisonError::into_inner);
    registry.prune(now);
    let seq = registry.next;
    registry.next += 1;
    let k = key(&id);
    registry
        .shown
        .insert(k, (captcha.challenge, now + CAPTCHA_TTL, seq));
    registry.by_age.insert(seq, k);
    Ok(Shown {
        id,
        png: captcha.png,
    })
}

/// The challenge of `id`, removed; `None` if unknown, used or expired.
fn take(id: &str, now: f64) -> Option<Challenge> {
    let mut registry = registry().lock().unwrap_or_else(PoisonError::into_inner);
    let (challenge, until, seq) = registry.shown.remove(&key(id))?;
    registry.by_age.remove(&seq);
    (until > now).then_some(challenge)
}

#[cfg(all(test, feature = "captcha"))]
mod tests {
    use super::*;

    #[test]
    fn a_picture_answers_once_and_the_next_is_new() {
        let shown = show_with_answer("1234", 10.0).unwrap();
        let (verdict, next) = answer(&shown.id, "4321", 11.0).unwrap();
        assert_eq!(verdict, Verdict::Wrong);
        assert_ne!(next.id, shown.id);
        assert_ne!(next.png, shown.png);
        // Its answer no longer helps: the picture is gone.
        assert_eq!(answer(&shown.id, "1234", 12.0).unwrap().0, Verdict::Wrong);
        let right = show_with_answer("1234", 13.0).unwrap();
        assert_eq!(answer(&right.id, " 1234 ", 14.0).unwrap().0, Verdict::Right);
    }

    #[test]
    fn blank_answers_unknown_and_expired_ids() {
        let shown = show_with_answer("5555", 100.0).unwrap();
        assert_eq!(
            answer(&shown.id, "\t", 101.0).unwrap().0,
            Verdict::NotEntered
        );
        assert_eq!(
            answer(&shown.id, "5555", 101.0).unwrap().0,
            Verdict::Wrong,
            "used up"
        );
        assert_eq!(
            answer("no such id", "5555", 101.0).unwrap().0,
            Verdict::Wrong
        );
        let old = show_with_answer("5555", 100.0).unwrap();
        let late = 100.0 + CAPTCHA_TTL;
        assert_eq!(answer(&old.id, "5555", late).unwrap().0, Verdict::Wrong);
        assert!(!format!("{shown:?}").contains(&shown.id));
    }

    #[test]
    fn check_uses_the_picture_up_and_words_the_refusal() {
        let shown = show_with_answer("2468", 10.0).unwrap();
        let right = CaptchaAnswer {
            id: &shown.id,
            entered: " 2468 ",
        };
        assert!(check(&right, 11.0).is_ok());
        let again = check(&right, 12.0).unwrap_err();
        assert!(matches!(
            again,
            Error::CaptchaRefused(CaptchaRefusal::Wrong)
        ));
        assert_eq!(again.to_string(), "Captcha entered incorrectly");
        let blank = show_with_answer("2468", 13.0).unwrap();
        let not_entered = CaptchaAnswer {
            id: &blank.id,
            entered: "",
        };
        let refused = check(&not_entered, 14.0).unwrap_err();
        assert_eq!(refused.to_string(), "Captcha not entered");
        let after_blank = CaptchaAnswer {
            id: &blank.id,
            entered: "2468",
        };
        assert!(check(&after_blank, 15.0).is_err(), "a blank uses it up too");
        assert!(!format!("{right:?}").contains("2468"));
        assert!(!format!("{right:?}").contains(&shown.id));
    }
}
