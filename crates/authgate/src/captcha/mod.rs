//! Image captchas: a picture of random digits, checked without keeping them.
//!
//! streamlit-authenticator 0.4.2 shows a 120×75 PNG of 4 digits drawn with
//! Python's `random` and keeps the answer, encrypted, in `session_state`.
//! authgate keeps the picture and its size and does the rest differently:
//!
//! * the answer comes from the operating system's random number generator
//!   ([`crate::secret::random_digits`]);
//! * the picture is drawn here, in pure Rust, from a small table of stroked
//!   digit glyphs that are each scaled, rotated and sheared, then bent by a
//!   wave, on a grainy gradient, with interference curves in the colours of
//!   the digits and dots. Every random choice of the drawing comes from a
//!   256-bit OS seed expanded with SHA-256, so nothing about the image can be
//!   predicted from a user-space generator's state;
//! * only a [`Challenge`] is kept: a random 16-byte salt and
//!   SHA-256(salt ‖ answer). The answer is dropped once drawn;
//! * [`Challenge::verify`] compares digests in constant time.
//!
//! A challenge is meant for one attempt: draw a new captcha after every
//! attempt, right or wrong, or a script can simply try all the answers.
//! [`crate::captcha_registry`] does that for the widgets: it keeps the
//! challenges of the captchas shown, and the app holds only an id.
//! For the same reason the token is a server-side value: with 10⁴ possible
//! answers, whoever holds a token can find its answer by trying them all,
//! so it belongs in Streamlit's `session_state` and never in the browser.
//! The salted digest keeps the answer out of plain sight (logs, state
//! dumps); it is not meant to resist a search.
//!
//! ```
//! use authgate::captcha::{self, Challenge};
//!
//! let captcha = captcha::generate()?;
//! assert!(captcha.png.starts_with(b"\x89PNG\r\n\x1a\n"));
//!
//! // Keep the token, show the picture, then check what the user typed.
//! let token = captcha.challenge.to_token();
//! let challenge = Challenge::from_token(&token)?;
//! assert!(!challenge.verify("not the answer"));
//! # Ok::<(), authgate::Error>(())
//! ```
//!
//! The challenge ([`Challenge`], `challenge.rs`) is always built; drawing
//! the picture (`draw.rs`: the glyphs, noise, rasteriser and PNG) needs the
//! `captcha` cargo feature.

mod challenge;
#[cfg(feature = "captcha")]
mod draw;

pub use challenge::{Challenge, ANSWER_LEN, MAX_ANSWER_LEN};
#[cfg(feature = "captcha")]
pub use draw::{generate, generate_with_answer, Captcha, HEIGHT, WIDTH};
