//! One WebAuthn ceremony, as the asking session holds it between the
//! options it sends the browser and the response it gets back.

use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration, Uuid,
};

use super::{refused, PasskeyRefusal, RelyingParty, CEREMONY_TTL};
use crate::error::Result;

/// What a ceremony is for.
pub(crate) enum Step {
    /// Adding a passkey named `name` to `username`, under their user
    /// handle.
    Enrol {
        username: String,
        name: String,
        handle: Uuid,
        state: PasskeyRegistration,
    },
    /// Passwordless sign-in with any passkey of this app.
    SignIn { state: DiscoverableAuthentication },
    /// The second step of `username`'s login, with one of their passkeys.
    SecondFactor {
        username: String,
        state: PasskeyAuthentication,
    },
}

/// A ceremony begun by [`crate::auth::Authenticator`]: its challenge and
/// what it is for. Single use: the first response spends it, whatever
/// that response is; it expires [`CEREMONY_TTL`] seconds after it began.
/// Keep it in the asking session only (it never needs to leave the
/// process). `Debug` shows no challenge.
pub struct PasskeyCeremony {
    step: Step,
    rp: RelyingParty,
    issued: f64,
    spent: bool,
}

impl std::fmt::Debug for PasskeyCeremony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeyCeremony")
            .field("kind", &self.kind())
            .field("username", &self.username())
            .field("rp_id", &self.rp.id())
            .field("issued", &self.issued)
            .field("spent", &self.spent)
            .finish_non_exhaustive()
    }
}

impl PasskeyCeremony {
    pub(crate) fn new(step: Step, rp: RelyingParty, issued: f64) -> Self {
        PasskeyCeremony {
            step,
            rp,
            issued,
            spent: false,
        }
    }

    /// `enrol`, `sign-in` or `second-factor`.
    pub fn kind(&self) -> &'static str {
        match self.step {
            Step::Enrol { .. } => "enrol",
            Step::SignIn { .. } => "sign-in",
            Step::SecondFactor { .. } => "second-factor",
        }
    }

    /// The user it was begun for; `None` for passwordless sign-in.
    pub fn username(&self) -> Option<&str> {
        match &self.step {
            Step::Enrol { username, .. } | Step::SecondFactor { username, .. } => Some(username),
            Step::SignIn { .. } => None,
        }
    }

    /// When it stops taking a response, Unix seconds.
    pub fn expires(&self) -> f64 {
        self.issued + CEREMONY_TTL
    }

    /// Whether it took a response already.
    pub fn is_spent(&self) -> bool {
        self.spent
    }

    /// Whether a response at `now` would still be looked at: neither spent
    /// nor expired.
    pub fn is_open(&self, now: f64) -> bool {
        !self.spent && self.issued <= now && now < self.expires()
    }

    /// The relying party it was begun for.
    pub fn rp(&self) -> &RelyingParty {
        &self.rp
    }

    /// Spends the ceremony for a response arriving at `now`: refused if it
    /// was spent already or has expired (an expired one is spent too).
    pub(crate) fn spend(&mut self, now: f64) -> Result<&Step> {
        if self.spent {
            return Err(refused(PasskeyRefusal::Spent));
        }
        self.spent = true;
        if !(self.issued <= now && now < self.expires()) {
            return Err(refused(PasskeyRefusal::Expired));
        }
        Ok(&self.step)
    }
}
