//! The authenticator-app (TOTP) second factor and its recovery codes, as
//! flows of the [`Authenticator`]; the codes and keys are in [`crate::totp`].
//!
//! - **Enrolment** — [`Authenticator::begin_totp_enrolment`] draws a secret
//!   and hands back its QR code and a *sealed* pending enrolment (the secret
//!   encrypted under the factor key, bound to the user, valid
//!   [`ENROLMENT_TTL`] seconds): nothing is stored and nothing readable is
//!   kept by the session. [`Authenticator::confirm_totp_enrolment`] stores
//!   the factor only once a code from the app is right, and returns the
//!   [`crate::totp::RECOVERY_CODES`] recovery codes, once.
//! - **Login** — [`Authenticator::login_with_totp`] checks the password as
//!   [`Authenticator::login`] does; a user with the factor gets a
//!   [`TotpChallenge`] (bound to the password's credential version) instead
//!   of a session, which [`Authenticator::finish_totp_login`] opens with a
//!   code or a recovery code.
//! - **Checks** — a code is accepted within one step either side of now and
//!   once: its time step is recorded in the same atomic step that accepts
//!   it, so of two parallel logins with one code exactly one succeeds. A
//!   recovery code is used up the same way. Every code is counted toward
//!   the lockout before it is checked, as a password is.
//! - **Changes** — [`Authenticator::disable_totp`] and
//!   [`Authenticator::regenerate_recovery_codes`] need the password;
//!   [`Authenticator::reset_second_factors`] is the operator's, audited.
//!
//! ```
//! use std::sync::Arc;
//! use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
//! use authgate::second_factor::PasswordStep;
//! use authgate::store::DocStore;
//! use authgate::token::TokenKey;
//!
//! let hash = authgate::password::hash_with_cost("pw", 4)?;
//! let users = authgate::yaml::parse(&format!("usernames:\n  ann:\n    password: '{hash}'\n"), "<dict>".as_ref())?;
//! let store = Arc::new(DocStore::in_memory(users)?);
//! let key = TokenKey::new("an example key of at least 32 bytes!");
//! let auth = Authenticator::new(store, AuthConfig::new(key.clone(), 30.0)?);
//!
//! let enrolment = auth.begin_totp_enrolment("ann")?;
//! // The app shows enrolment.qr_png; the user's authenticator app scans it
//! // and shows a code (played here from the secret it holds):
//! let secret = authgate::totp::TotpSecret::from_base32(&enrolment.secret_base32)?;
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
//! let code = authgate::totp::code_at(&secret, now);
//! let recovery = auth.confirm_totp_enrolment("ann", &enrolment.pending, &code)?;
//! assert_eq!(recovery.len(), 10);
//!
//! let login = LoginRequest { username: "ann", password: "pw", ..Default::default() };
//! let PasswordStep::NeedsCode(mut challenge) = auth.login_with_totp(&login)? else {
//!     panic!("ann has a second factor");
//! };
//! let session = auth.finish_totp_login(&mut challenge, &recovery[0])?;
//! assert_eq!(session.user.username, "ann");
//! # Ok::<(), authgate::Error>(())
//! ```

use crate::account::REAUTH_MAX_ATTEMPTS;
use crate::auth::{Attempt, Authenticator, Login, LoginRequest};
use crate::email_code::credential_of;
use crate::error::{Error, Result};
use crate::lockout::LockState;
use crate::secret::{self, constant_time_eq};
use crate::store::StoredTotp;
use crate::totp::{self, TotpSecret};
use crate::user::{User, UserKey};

/// Seconds a pending enrolment can be confirmed after it began.
pub const ENROLMENT_TTL: f64 = 600.0;
/// Seconds a [`TotpChallenge`] takes a code after the password was right.
pub const CHALLENGE_TTL: f64 = 300.0;

/// Why a second-factor step was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorRefusal {
    /// Neither a right code of the authenticator app nor an unused
    /// recovery code.
    Wrong,
    /// The code is right but was used already (or a later one was): codes
    /// work once.
    Replayed,
    /// The user has a TOTP factor: a password alone does not log in.
    Required,
    /// The user has a passkey: a password alone does not log in.
    PasskeyRequired,
    /// The user has no TOTP factor.
    NotEnabled,
    /// The user has a TOTP factor already: disable it first.
    AlreadyEnabled,
    /// The pending enrolment is older than [`ENROLMENT_TTL`], or not one
    /// this app sealed for this user.
    EnrolmentExpired,
    /// The login challenge is older than [`CHALLENGE_TTL`].
    ChallengeExpired,
    /// The login challenge opened its session already.
    ChallengeSpent,
    /// The password changed (or the user went) since the challenge was
    /// issued.
    Mismatch,
}

impl std::fmt::Display for SecondFactorRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SecondFactorRefusal::Wrong => "Code is incorrect",
            SecondFactorRefusal::Replayed => {
                "This code was used already: wait for the next one in your authenticator app"
            }
            SecondFactorRefusal::Required => {
                "This account needs the code of its authenticator app to log in"
            }
            SecondFactorRefusal::PasskeyRequired => {
                "This account needs one of its passkeys to log in"
            }
            SecondFactorRefusal::NotEnabled => "Two-factor authentication is not enabled",
            SecondFactorRefusal::AlreadyEnabled => {
                "Two-factor authentication is enabled already: disable it first"
            }
            SecondFactorRefusal::EnrolmentExpired => {
                "The set-up of the authenticator app expired: start again"
            }
            SecondFactorRefusal::ChallengeExpired => "The login expired: log in again",
            SecondFactorRefusal::ChallengeSpent => "This login is finished: log in again",
            SecondFactorRefusal::Mismatch => "The account changed since the password: log in again",
        })
    }
}

fn refused(why: SecondFactorRefusal) -> Error {
    Error::SecondFactorRefused(why)
}

/// What [`Authenticator::begin_totp_enrolment`] hands the asking session.
/// Its `Debug` shows none of it.
#[derive(Clone)]
pub struct TotpEnrolment {
    /// The enrolment, sealed under the factor key for this user: keep it
    /// until the code comes ([`Authenticator::confirm_totp_enrolment`]).
    pub pending: String,
    /// The `otpauth://` URI (it holds the secret: show it, never log it).
    pub uri: String,
    /// The secret in base 32, for typing into the app by hand.
    pub secret_base32: String,
    /// The URI as a QR code, PNG.
    pub qr_png: Vec<u8>,
    /// When [`ENROLMENT_TTL`] runs out, Unix seconds.
    pub expires: f64,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Which second factor a check accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorUsed {
    /// A code of the authenticator app, of this time step.
    Totp {
        /// The time step (Unix time / 30) the code was for.
        step: i64,
    },
    /// A recovery code, now used up.
    RecoveryCode {
        /// Recovery codes the user has left.
        left: usize,
    },
}

/// The second factors a user has, as `users show` tells them (never a
/// secret).
#[derive(Debug, Clone, PartialEq)]
pub struct FactorSummary {
    /// When the TOTP factor was confirmed; `None` without one.
    pub totp_since: Option<f64>,
    /// Unused recovery codes.
    pub recovery_codes_left: usize,
    /// Passkeys.
    pub passkeys: usize,
}

/// A login whose password was right, waiting for the second factor (a
/// code of the authenticator app, or a passkey); kept by the asking
/// session ([`Authenticator::finish_totp_login`],
/// [`Authenticator::finish_passkey_second_factor`]). It holds no secret: a
/// digest binding it to the user's password, under a key this process
/// draws at start. Its `Debug` shows no digest.
#[derive(Clone)]
pub struct TotpChallenge {
    username: String,
    binding: [u8; 32],
    issued: f64,
    max_login_attempts: Option<u32>,
    max_concurrent_users: Option<u32>,
    single_session: bool,
    spent: bool,
    totp: bool,
    passkey: bool,
}

impl std::fmt::Debug for TotpChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpChallenge")
            .field("username", &self.username)
            .field("issued", &self.issued)
            .field("spent", &self.spent)
            .field("totp", &self.totp)
            .field("passkey", &self.passkey)
            .finish_non_exhaustive()
    }
}

impl TotpChallenge {
    /// The user who typed the right password.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// When it stops taking codes, Unix seconds.
    pub fn expires(&self) -> f64 {
        self.issued + CHALLENGE_TTL
    }

    /// Whether the user has an authenticator app (a code, or a recovery
    /// code, finishes the login).
    pub fn totp(&self) -> bool {
        self.totp
    }

    /// Whether the user has a passkey (one of them finishes the login).
    pub fn passkey(&self) -> bool {
        self.passkey
    }
}

/// The outcome of [`Authenticator::login_with_totp`].
#[derive(Debug, Clone)]
pub enum PasswordStep {
    /// The user has no second factor: the session is open.
    LoggedIn(Box<Login>),
    /// The user has one: ask for a code or a passkey.
    NeedsCode(TotpChallenge),
}

fn challenge_binding(username: &str, credential: &str, issued: f64) -> Result<[u8; 32]> {
    secret::process_mac(
        "totp-login",
        &[
            username.as_bytes(),
            credential.as_bytes(),
            &issued.to_be_bytes(),
        ],
    )
}

fn new_recovery_codes(auth: &Authenticator, username: &str) -> Result<(Vec<String>, Vec<String>)> {
    let codes = totp::recovery_codes()?;
    let mut digests = codes
        .iter()
        .map(|c| {
            auth.factor_key()
                .recovery_digest(username, c)
                .ok_or_else(|| Error::InvalidInput("a new recovery code is malformed".into()))
        })
        .collect::<Result<Vec<_>>>()?;
    digests.sort();
    Ok((codes, digests))
}

impl Authenticator {
    fn factor_key(&self) -> &totp::FactorKey {
        &self.config().factor_key
    }

    /// Starts setting up an authenticator app for `username`: a new secret,
    /// its provisioning URI and QR code, and the sealed pending enrolment.
    /// Nothing is stored until [`Authenticator::confirm_totp_enrolment`].
    /// Refused for a user who has the factor already, and for guests (who
    /// sign in with their provider).
    pub fn begin_totp_enrolment(&self, username: &str) -> Result<TotpEnrolment> {
        let username = UserKey::new(username);
        let user = self.existing_user(&username)?;
        if user.password_hash.is_none() {
            return Err(Error::InvalidInput(
                "Guest users sign in with their provider and have no authenticator app here"
                    .to_string(),
            ));
        }
        if self.store().second_factors(&username)?.totp.is_some() {
            return Err(refused(SecondFactorRefusal::AlreadyEnabled));
        }
        let secret = TotpSecret::generate()?;
        let now = self.now();
        let uri = totp::provisioning_uri(&secret, &self.config().totp_issuer, &username)?;
        Ok(TotpEnrolment {
            pending: self.factor_key().seal_pending(&username, &secret, now)?,
            qr_png: totp::qr_png(&uri)?,
            secret_base32: secret.to_base32(),
            uri,
            expires: now + ENROLMENT_TTL,
        })
    }

    /// Stores the TOTP factor of a pending enrolment once `code`, from the
    /// app, is right; returns the new recovery codes, to show once.
    /// Refused: [`SecondFactorRefusal::Wrong`] (try another code),
    /// [`SecondFactorRefusal::EnrolmentExpired`],
    /// [`SecondFactorRefusal::AlreadyEnabled`]. The confirming code cannot
    /// then log in.
    pub fn confirm_totp_enrolment(
        &self,
        username: &str,
        pending: &str,
        code: &str,
    ) -> Result<Vec<String>> {
        let username = UserKey::new(username);
        let now = self.now();
        let (secret, issued) = self
            .factor_key()
            .open_pending(&username, pending)
            .ok_or_else(|| refused(SecondFactorRefusal::EnrolmentExpired))?;
        if !(issued <= now && now < issued + ENROLMENT_TTL) {
            return Err(refused(SecondFactorRefusal::EnrolmentExpired));
        }
        self.existing_user(&username)?;
        let Some(step) = totp::verify(&secret, code, now, None) else {
            return Err(refused(SecondFactorRefusal::Wrong));
        };
        let stored = StoredTotp {
            secret: self.factor_key().seal_secret(&username, &secret)?,
            last_step: Some(step),
            created: now,
        };
        let (codes, digests) = new_recovery_codes(self, &username)?;
        let event = self.event("totp_enabled", Some(&username), None);
        if !self
            .store()
            .enable_totp(&username, &stored, &digests, Some(&event))?
        {
            return Err(refused(SecondFactorRefusal::AlreadyEnabled));
        }
        Ok(codes)
    }

    /// Whether `username` has a confirmed TOTP factor.
    pub fn has_totp(&self, username: &str) -> Result<bool> {
        Ok(self
            .store()
            .second_factors(&UserKey::new(username))?
            .totp
            .is_some())
    }

    /// Which second factors `username` has (no secret).
    pub fn second_factor_summary(&self, username: &str) -> Result<FactorSummary> {
        let factors = self.store().second_factors(&UserKey::new(username))?;
        Ok(FactorSummary {
            totp_since: factors.totp.map(|t| t.created),
            recovery_codes_left: factors.recovery_codes.len(),
            passkeys: factors.passkeys.len(),
        })
    }

    /// Checks a code of the user's authenticator app, or one of their
    /// recovery codes, as a second step of something the app asks for:
    /// counted toward the lockout before it is checked (at most
    /// [`REAUTH_MAX_ATTEMPTS`] in the lockout window), a locked account
    /// refused. A code is accepted once; a recovery code is used up.
    pub fn check_second_factor(&self, username: &str, code: &str) -> Result<FactorUsed> {
        let username = UserKey::new(username);
        self.check_factor(&username, code, REAUTH_MAX_ATTEMPTS)
    }

    fn check_factor(&self, username: &str, code: &str, max_attempts: u32) -> Result<FactorUsed> {
        let factors = self.store().second_factors(username)?;
        let Some(stored) = factors.totp else {
            return Err(refused(SecondFactorRefusal::NotEnabled));
        };
        let now = self.now();
        let policy = self.lockout_policy(Some(max_attempts));
        let lock = self.store().lock_state(username)?;
        let attempt = self.reserve_attempt(username, &policy, &lock, now)?;
        let state = match attempt {
            Attempt::Locked(until) => {
                self.audit("second_factor_refused", Some(username), Some("locked"));
                return Err(Error::AccountLocked { until });
            }
            Attempt::Counted(state) => Some(state),
            Attempt::Uncounted => None,
        };
        let secret = self.factor_key().open_secret(username, &stored.secret)?;
        let outcome = if let Some(step) = totp::verify(&secret, code, now, None) {
            let fresh = stored.last_step.is_none_or(|last| step > last);
            if fresh && self.store().use_totp_step(username, &stored.secret, step)? {
                Ok(FactorUsed::Totp { step })
            } else {
                Err(SecondFactorRefusal::Replayed)
            }
        } else if let Some(digest) = self.factor_key().recovery_digest(username, code) {
            // Every unused code is compared, in constant time.
            let known = factors.recovery_codes.iter().fold(false, |found, d| {
                found | constant_time_eq(d.as_bytes(), digest.as_bytes())
            });
            let event = self.event("recovery_code_used", Some(username), None);
            if known
                && self
                    .store()
                    .consume_recovery_code(username, &digest, now, Some(&event))?
            {
                Ok(FactorUsed::RecoveryCode {
                    left: factors.recovery_codes.len().saturating_sub(1),
                })
            } else {
                Err(SecondFactorRefusal::Wrong)
            }
        } else {
            Err(SecondFactorRefusal::Wrong)
        };
        match outcome {
            Ok(used) => Ok(used),
            Err(why) => {
                let state: LockState = match state {
                    Some(state) => state,
                    None => self.store().record_failure(username, &policy, now, None)?,
                };
                let kind = if policy.locked_until(&state, now).is_some() {
                    "locked"
                } else {
                    "second_factor_failed"
                };
                let detail = match why {
                    SecondFactorRefusal::Replayed => "code replayed",
                    _ => "wrong code",
                };
                self.audit(kind, Some(username), Some(detail));
                Err(refused(why))
            }
        }
    }

    /// [`Authenticator::login`] for apps with second factors: the
    /// password is checked as a login checks it (throttle, lockout,
    /// counting). A user without a factor is logged in; a user with an
    /// authenticator app or a passkey gets a [`TotpChallenge`] for
    /// [`Authenticator::finish_totp_login`] or
    /// [`Authenticator::finish_passkey_second_factor`].
    pub fn login_with_totp(&self, req: &LoginRequest<'_>) -> Result<PasswordStep> {
        // The factors were read with the password's state, in the same
        // round trip, before the bcrypt check: a factor confirmed while that
        // check runs is missed by this one login, as one confirmed between
        // any read and the session's opening would be.
        let (user, throttle, now, factors) = self.check_login(req)?;
        if factors.is_none() {
            let limits = self.limits(req.max_concurrent_users, req.single_session);
            let event = self.event("login", Some(&user.username), None);
            let refund = throttle.as_ref().map(|(keys, policy)| (&keys[..], policy));
            return self
                .open_session_with(user, &limits, now, Some(&event), refund)
                .map(|login| PasswordStep::LoggedIn(Box::new(login)));
        }
        if let Some((keys, policy)) = &throttle {
            self.store().throttle_success(keys, policy, now)?;
        }
        let binding = challenge_binding(&user.username, &credential_of(&user), now)?;
        Ok(PasswordStep::NeedsCode(TotpChallenge {
            username: user.username,
            binding,
            issued: now,
            max_login_attempts: req.max_login_attempts,
            max_concurrent_users: req.max_concurrent_users,
            single_session: req.single_session,
            spent: false,
            totp: factors.totp,
            passkey: factors.passkey,
        }))
    }

    /// Opens the session of a [`TotpChallenge`] once `code` (of the app, or
    /// a recovery code) is right, unless the password changed since it was
    /// typed or the challenge expired. Wrong codes count toward the lockout
    /// (at the login's `max_login_attempts`, or [`REAUTH_MAX_ATTEMPTS`]
    /// without one: a six-digit code must never be guessable at will).
    pub fn finish_totp_login(&self, challenge: &mut TotpChallenge, code: &str) -> Result<Login> {
        let (user, max) = self.second_step_user(challenge)?;
        let used = self.check_factor(&user.username, code, max)?;
        let detail = match used {
            FactorUsed::Totp { .. } => "totp",
            FactorUsed::RecoveryCode { .. } => "recovery code",
        };
        self.finish_second_step(challenge, user, detail)
    }

    /// The user of a [`TotpChallenge`] that may still take its second
    /// factor, and the failures it may cost (the login's
    /// `max_login_attempts`, at most [`REAUTH_MAX_ATTEMPTS`]): refused if
    /// it opened its session already, expired, or the password changed
    /// since.
    pub(crate) fn second_step_user(&self, challenge: &TotpChallenge) -> Result<(User, u32)> {
        if challenge.spent {
            return Err(refused(SecondFactorRefusal::ChallengeSpent));
        }
        let now = self.now();
        if !(challenge.issued <= now && now < challenge.expires()) {
            return Err(refused(SecondFactorRefusal::ChallengeExpired));
        }
        let user = self
            .store()
            .user(&challenge.username)?
            .ok_or_else(|| refused(SecondFactorRefusal::Mismatch))?;
        let expected = challenge_binding(&user.username, &credential_of(&user), challenge.issued)?;
        if !constant_time_eq(&expected, &challenge.binding) {
            return Err(refused(SecondFactorRefusal::Mismatch));
        }
        let max = challenge
            .max_login_attempts
            .map_or(REAUTH_MAX_ATTEMPTS, |m| m.min(REAUTH_MAX_ATTEMPTS));
        Ok((user, max))
    }

    /// Opens the session of a [`TotpChallenge`] whose second factor
    /// (`detail`, for the audit trail) was accepted; the challenge is
    /// spent.
    pub(crate) fn finish_second_step(
        &self,
        challenge: &mut TotpChallenge,
        user: User,
        detail: &str,
    ) -> Result<Login> {
        challenge.spent = true;
        let limits = self.limits(challenge.max_concurrent_users, challenge.single_session);
        let event = self.event("login", Some(&user.username), Some(detail));
        self.open_session_with(user, &limits, self.now(), Some(&event), None)
    }

    /// Removes the user's TOTP factor and recovery codes (their passkeys
    /// stay), with their current `password` (checked as a password change
    /// checks it).
    pub fn disable_totp(&self, username: &str, password: &str) -> Result<()> {
        let username = UserKey::new(username);
        self.check_password_of(&username, password)?;
        let event = self.event("totp_disabled", Some(&username), None);
        if !self.store().remove_totp(&username, Some(&event))? {
            return Err(refused(SecondFactorRefusal::NotEnabled));
        }
        Ok(())
    }

    /// Replaces all the user's recovery codes with
    /// [`crate::totp::RECOVERY_CODES`] new ones, with their current
    /// `password`; returns them, to show once.
    pub fn regenerate_recovery_codes(&self, username: &str, password: &str) -> Result<Vec<String>> {
        let username = UserKey::new(username);
        self.check_password_of(&username, password)?;
        let (codes, digests) = new_recovery_codes(self, &username)?;
        let event = self.event("recovery_codes_regenerated", Some(&username), None);
        if !self
            .store()
            .replace_recovery_codes(&username, &digests, Some(&event))?
        {
            return Err(refused(SecondFactorRefusal::NotEnabled));
        }
        Ok(codes)
    }

    /// The operator's reset: removes every second factor of `username`
    /// (authenticator app, recovery codes, passkeys; they then log in with
    /// the password alone and may enrol again), audited as
    /// `second_factors_reset`. `false` if there was none.
    pub fn reset_second_factors(&self, username: &str) -> Result<bool> {
        crate::admin::Accounts::operator(self.store().as_ref(), self.clock(), "operator")
            .reset_second_factors(username)
    }

    pub(crate) fn check_password_of(&self, username: &str, password: &str) -> Result<()> {
        let user = self.existing_user(username)?;
        let Some(hash) = user.password_hash.as_deref() else {
            return Err(Error::InvalidInput(
                "Guest users have no password and no authenticator app here".to_string(),
            ));
        };
        self.check_current_password(username, password.trim(), hash)
    }
}
