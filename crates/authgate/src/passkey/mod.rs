//! Passkeys: WebAuthn credentials (webauthn-rs) for passwordless sign-in,
//! and as the second step of a password login.
//!
//! - **Relying party** — [`RelyingParty`] is the app as WebAuthn sees it:
//!   its origin (`https://app.example.com`, or `http://localhost:8501`
//!   during development) and RP id (its host, or a parent domain of it).
//!   A credential signs for one RP id only, and the browser names the
//!   origin it ran on in what it signs: both are checked here.
//! - **Ceremonies** — every step the browser takes is a [`PasskeyCeremony`]
//!   the asking session holds: its random challenge never leaves the
//!   process but in the options the browser gets, it is bound to the user
//!   (enrolment) or to the waiting login (second step), it expires after
//!   [`CEREMONY_TTL`] seconds, and it is spent by the first response
//!   whatever that response is, so a response cannot be replayed and a
//!   failed one costs a new ceremony.
//! - **Enrolment** — [`Authenticator::begin_passkey_enrolment`] needs the
//!   user's password (a passkey alone opens the account, so a session
//!   left open must not be enough to add one) and a name;
//!   [`Authenticator::finish_passkey_enrolment`] checks the browser's
//!   attestation (origin, RP id, challenge, user verification) and stores
//!   the public key. A user has at most [`MAX_PASSKEYS`], with distinct
//!   names. Passkeys are discoverable credentials (resident keys): the
//!   authenticator itself says whose they are.
//! - **Sign-in** — [`Authenticator::begin_passkey_login`] without a waiting
//!   login asks the browser for any passkey of this app (passwordless;
//!   user verification required); with a [`TotpChallenge`] (a login whose
//!   password was right) it asks for one of that user's passkeys.
//!   [`Authenticator::finish_passkey_login`] and
//!   [`Authenticator::finish_passkey_second_factor`] check the assertion,
//!   raise the stored signature counter in the same atomic step as they
//!   accept it (a counter that goes back is refused: a cloned
//!   authenticator) and open the session as a password login does: same
//!   session, cookie, limits, lockout and audit trail. A refused assertion
//!   of a known passkey counts toward its owner's lockout, as a wrong TOTP
//!   code does.
//! - **Second factor** — a user with a passkey needs it (or their
//!   authenticator app's code) after the password: a password alone no
//!   longer opens the account ([`crate::second_factor`]).
//! - **Changes** — [`Authenticator::rename_passkey`];
//!   [`Authenticator::remove_passkey`] needs the password; the operator's
//!   [`Authenticator::reset_second_factors`] removes them all.
//!
//! Dict mode refuses passkeys ([`crate::store::Store::keeps_second_factors`]).

mod ceremony;
mod flows;
mod rp;

pub use ceremony::PasskeyCeremony;
pub use flows::{PasskeyInfo, PasskeyLoginRequest};
pub use rp::RelyingParty;

#[cfg(doc)]
use crate::auth::Authenticator;
#[cfg(doc)]
use crate::second_factor::TotpChallenge;

/// Seconds a ceremony's challenge is good for, and the timeout the browser
/// is given.
pub const CEREMONY_TTL: f64 = 300.0;
/// Passkeys a user may have at most.
pub const MAX_PASSKEYS: usize = 20;
/// Characters a passkey's name may have at most.
pub const MAX_NAME_CHARS: usize = 64;
/// Bytes of a browser response read at most: a real one is a few KiB.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Why a passkey step was refused. Its text is what the user is shown;
/// [`PasskeyRefusal::Rejected`] carries the check that failed, for the
/// audit trail (never shown: it would tell a forger what to fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyRefusal {
    /// The browser's response is not a WebAuthn response of this ceremony's
    /// kind (not JSON, a field missing, bytes that do not decode).
    Malformed,
    /// The response did not verify: the wrong origin or RP id, another
    /// challenge, no user verification, a bad signature, an unknown
    /// credential, or another user's.
    Rejected(&'static str),
    /// The authenticator's signature counter did not go up: it may have
    /// been cloned.
    CounterRegressed,
    /// The ceremony took a response already: start a new one.
    Spent,
    /// The ceremony is older than [`CEREMONY_TTL`].
    Expired,
    /// The ceremony was begun for another user or step.
    Mismatch,
    /// The user has no passkey (for this app's RP id).
    NotEnabled,
    /// The credential is registered already.
    Duplicate,
    /// The user has a passkey of that name.
    NameTaken,
    /// The user has [`MAX_PASSKEYS`].
    TooMany,
    /// The user has no passkey with that id.
    NotFound,
}

impl std::fmt::Display for PasskeyRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PasskeyRefusal::Malformed => "The browser's passkey response could not be read",
            PasskeyRefusal::Rejected(_) => "The passkey was not accepted",
            PasskeyRefusal::CounterRegressed => {
                "The passkey was not accepted: its authenticator may have been copied"
            }
            PasskeyRefusal::Spent => "This passkey request was used already: try again",
            PasskeyRefusal::Expired => "The passkey request expired: try again",
            PasskeyRefusal::Mismatch => "This passkey request is for another sign-in: try again",
            PasskeyRefusal::NotEnabled => "This account has no passkey",
            PasskeyRefusal::Duplicate => "This passkey is registered already",
            PasskeyRefusal::NameTaken => "You have a passkey of this name already",
            PasskeyRefusal::TooMany => "You have as many passkeys as an account may have",
            PasskeyRefusal::NotFound => "No such passkey",
        })
    }
}

pub(crate) fn refused(why: PasskeyRefusal) -> crate::Error {
    crate::Error::PasskeyRefused(why)
}

/// A passkey's name as typed: trimmed, 1 to [`MAX_NAME_CHARS`] characters,
/// no control characters.
pub fn check_name(name: &str) -> crate::Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::Error::InvalidInput(
            "Give the passkey a name".to_string(),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(crate::Error::InvalidInput(format!(
            "A passkey's name has at most {MAX_NAME_CHARS} characters, none of them control \
             characters"
        )));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Laptop ").unwrap(), "Laptop");
        assert_eq!(check_name("Téléphone 📱").unwrap(), "Téléphone 📱");
        assert!(check_name(" ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name("a\u{0}").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(check_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn refusals_never_say_which_check_failed() {
        let shown = PasskeyRefusal::Rejected("origin").to_string();
        assert!(!shown.contains("origin"), "{shown}");
        assert_eq!(shown, PasskeyRefusal::Rejected("signature").to_string());
    }
}
