//! Where users, sessions and lockout state are kept.
//!
//! [`Store`] is the one interface the flows in [`crate::auth`] use. Each
//! method is one atomic operation ("count this failure and tell me the new
//! count", "open this session if the limits allow"), never a read in one call
//! and a write in another, so concurrent sessions and processes cannot lose
//! each other's updates.
//!
//! Implementations:
//! - [`DocStore`] over a `config.yaml` file ([`DocStore::open_file`]) — the
//!   streamlit-authenticator schema, locked and replaced atomically;
//! - [`DocStore`] in memory ([`DocStore::in_memory`]) — dict mode;
//! - [`SqliteStore`] (`sqlite:///path.db`) and [`PostgresStore`]
//!   (`postgresql://…`) — schema created and migrated on open; settings that
//!   lived in config.yaml (cookie, api_key, oauth2, smtp, pre-authorized
//!   emails) are kept in their `settings` and `preauthorized_emails` tables.
//!
//! [`StoreLocation::parse`] decides which store a source names, for apps and
//! the CLI alike; [`open_url`] opens it.
//!
//! [`open`] caches one store per file and process, so building an
//! `Authenticate` on every Streamlit rerun costs a `stat`, not a parse.

mod audit;
pub mod dict_state;
mod doc_store;
pub mod document;
pub mod file;
pub mod migrate;
#[cfg(feature = "postgres")]
pub mod postgres;
mod presence;
mod sql;
pub mod sqlite;
mod url;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use doc_store::DocStore;
pub(crate) use doc_store::DICT_KEEPS_NO_PASSKEYS;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use presence::{PasskeyPresence, PASSKEY_PRESENCE_TTL};
pub use sql::ops::MAX_AUDIT_EVENTS;
pub use sqlite::SqliteStore;
pub use url::{import_into, open_url, StoreLocation};

use crate::error::Result;
use crate::lockout::{LockState, LockoutPolicy};
use crate::mail::SmtpSettings;
use crate::session::Session;
use crate::user::User;
use crate::yaml::Value;

/// Settings kept in the store next to the users (`cookie`, `api_key`).
#[derive(Clone, Default, PartialEq)]
pub struct Settings {
    /// `cookie.name`.
    pub cookie_name: Option<String>,
    /// `cookie.key`: the secret that signs cookies.
    pub cookie_key: Option<String>,
    /// `cookie.expiry_days`.
    pub cookie_expiry_days: Option<f64>,
    /// `api_key`.
    pub api_key: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("cookie_name", &self.cookie_name)
            .field(
                "cookie_key",
                &self.cookie_key.as_ref().map(|_| "<redacted>"),
            )
            .field("cookie_expiry_days", &self.cookie_expiry_days)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Limits checked when a session opens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionLimits {
    /// At most this many distinct users with live sessions.
    pub max_concurrent_users: Option<u32>,
    /// Refuse a user who already has a live session.
    pub single_session: bool,
    /// Seconds without activity after which a session is not live.
    pub idle_timeout: f64,
}

/// A user to add, with the password already hashed.
#[derive(Clone, PartialEq)]
pub struct NewUser {
    /// Lower-cased username.
    pub username: String,
    /// Email address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// bcrypt hash; `None` for an OAuth guest.
    pub password_hash: Option<String>,
    /// Roles.
    pub roles: Option<Vec<String>>,
    /// Password hint.
    pub password_hint: Option<String>,
    /// Registered with `verify_email`: no login until the mailed link is
    /// opened ([`User::awaiting_verification`]).
    pub awaiting_verification: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A change to a user's details.
#[derive(Debug, Clone, PartialEq)]
pub enum UserUpdate {
    /// New first name.
    FirstName(String),
    /// New last name.
    LastName(String),
    /// New email; refused if another user has it.
    Email(String),
    /// New roles.
    Roles(Option<Vec<String>>),
    /// The mailed verification link was opened: the password logs in.
    EmailVerified,
}

/// A password issued by `forgot_password` that has not been used yet.
#[derive(Clone, PartialEq)]
pub struct PendingPassword {
    /// Its bcrypt hash.
    pub hash: String,
    /// When it stops working, Unix seconds.
    pub expires: f64,
}

impl std::fmt::Debug for PendingPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingPassword")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// A security event for the audit trail.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// Unix seconds.
    pub time: f64,
    /// What happened: `login`, `login_failed`, `locked`, `logout`, `register`, …
    pub kind: String,
    /// Who it concerns, if known (never a password).
    pub username: Option<String>,
    /// Why, for refusals.
    pub detail: Option<String>,
}

/// The audit event of a failed login, made from the user's new failure
/// record (`locked` when this failure locked the account, say).
pub type FailureEvent<'a> = &'a dyn Fn(&LockState) -> AuditEvent;

/// What a password login reads about a user before deciding.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginState {
    /// The user.
    pub user: User,
    /// Their failure record.
    pub lock: LockState,
    /// Their pending password from `forgot_password`, if any.
    pub pending: Option<PendingPassword>,
    /// Which second factors they have: whether the password alone logs
    /// them in.
    pub factors: FactorKinds,
}

/// Which second factors a user has, without the factors themselves: what a
/// password login needs to know to decide between a session and a second
/// step, read with the rest of [`LoginState`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorKinds {
    /// A confirmed authenticator app (TOTP).
    pub totp: bool,
    /// At least one passkey.
    pub passkey: bool,
}

impl FactorKinds {
    /// The kinds of `factors`.
    pub fn of(factors: &SecondFactors) -> Self {
        FactorKinds {
            totp: factors.totp.is_some(),
            passkey: !factors.passkeys.is_empty(),
        }
    }

    /// Whether there is none: the password alone logs the user in.
    pub fn is_none(self) -> bool {
        !self.totp && !self.passkey
    }
}

/// A user's confirmed TOTP factor as stored: its secret sealed under the
/// factor key ([`crate::totp::FactorKey`]), never in plaintext. `Debug`
/// shows no secret.
#[derive(Clone, PartialEq)]
pub struct StoredTotp {
    /// The sealed secret ([`crate::totp::FactorKey::seal_secret`]).
    pub secret: String,
    /// The last time step a code was accepted for: codes of this step and
    /// earlier ones are refused (no replay).
    pub last_step: Option<i64>,
    /// When enrolment was confirmed, Unix seconds.
    pub created: f64,
}

impl std::fmt::Debug for StoredTotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTotp")
            .field("secret", &"<redacted>")
            .field("last_step", &self.last_step)
            .field("created", &self.created)
            .finish()
    }
}

/// A user's passkey as stored ([`crate::passkey`]): the WebAuthn public
/// key credential an authenticator made for this app, under the name the
/// user gave it. Nothing in it is secret (the private key never leaves
/// the authenticator), but `Debug` leaves the key material out all the same.
#[derive(Clone, PartialEq)]
pub struct StoredPasskey {
    /// The credential id, base64url without padding: unique across users.
    pub credential_id: String,
    /// The WebAuthn user handle (a random UUID): the same for all of a
    /// user's passkeys, and what a discoverable credential names its
    /// owner by.
    pub user_handle: String,
    /// The name the user gave it ("Laptop", "Phone").
    pub name: String,
    /// The relying-party id (the app's domain) it was made for; it signs
    /// for no other.
    pub rp_id: String,
    /// The credential as webauthn-rs keeps it (JSON): public key, signature
    /// counter, backup flags.
    pub passkey: String,
    /// The authenticator's signature counter at its last use: a use must
    /// raise it (unless the authenticator keeps none, and it stays 0).
    pub counter: u32,
    /// When it was added, Unix seconds.
    pub created: f64,
    /// When it last signed the user in, Unix seconds.
    pub last_used: Option<f64>,
}

impl std::fmt::Debug for StoredPasskey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredPasskey")
            .field("name", &self.name)
            .field("rp_id", &self.rp_id)
            .field("counter", &self.counter)
            .field("created", &self.created)
            .field("last_used", &self.last_used)
            .finish_non_exhaustive()
    }
}

/// What a change to a user's passkeys did ([`Store::add_passkey`],
/// [`Store::rename_passkey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyChange {
    /// Done.
    Done,
    /// Nothing changed: the credential is registered already (to this
    /// user or another).
    Duplicate,
    /// Nothing changed: the user has a passkey of that name.
    NameTaken,
    /// Nothing changed: the user has as many passkeys as allowed.
    Full,
    /// Nothing changed: the user has no passkey with that id.
    NotFound,
}

/// A user's second factors as stored ([`crate::second_factor`],
/// [`crate::passkey`]). `Debug` shows no secret and no digest.
#[derive(Clone, Default, PartialEq)]
pub struct SecondFactors {
    /// The TOTP factor, once enrolment was confirmed.
    pub totp: Option<StoredTotp>,
    /// Keyed digests of the recovery codes not used yet, sorted.
    pub recovery_codes: Vec<String>,
    /// Passkeys, oldest first (by time added, then credential id).
    pub passkeys: Vec<StoredPasskey>,
}

impl SecondFactors {
    /// Whether the user has no second factor at all.
    pub fn is_empty(&self) -> bool {
        self.totp.is_none() && self.recovery_codes.is_empty() && self.passkeys.is_empty()
    }
}

impl std::fmt::Debug for SecondFactors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondFactors")
            .field("totp", &self.totp)
            .field("recovery_codes_left", &self.recovery_codes.len())
            .field("passkeys", &self.passkeys)
            .finish()
    }
}

/// The operations the authentication flows need from storage.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The user with this username (case-insensitive).
    fn user(&self, username: &str) -> Result<Option<User>>;
    /// The user with this email (case-insensitive).
    fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// The user's raw record, unknown keys included.
    fn user_record(&self, username: &str) -> Result<Option<Value>>;
    /// Cookie settings and the like.
    fn settings(&self) -> Result<Settings>;
    /// The SMTP server the store names for the app's mail, if any: a
    /// database's `smtp` setting, a config file's `smtp:` section; never
    /// in dict mode, whose app passes its own.
    fn smtp_settings(&self) -> Result<Option<SmtpSettings>>;
    /// Replaces the store's SMTP settings, or with `None` removes them, and
    /// records `event` in the same step; `false` (and no event) when there
    /// were none to remove. Databases keep them in their `settings` table.
    /// A `config.yaml` is the operator's file and dict mode the app's dict:
    /// both refuse with [`crate::Error::InvalidInput`] saying where to set
    /// them instead.
    fn set_smtp_settings(
        &self,
        settings: Option<&SmtpSettings>,
        event: Option<&AuditEvent>,
    ) -> Result<bool>;
    /// The user's failure record.
    fn lock_state(&self, username: &str) -> Result<LockState>;
    /// The user, their failure record, pending password and kinds of
    /// second factor, for a login; `None` for no such user. SQL stores (and
    /// a `config.yaml`'s state database) read them in one round trip.
    fn login_state(&self, username: &str) -> Result<Option<LoginState>> {
        let Some(user) = self.user(username)? else {
            return Ok(None);
        };
        Ok(Some(LoginState {
            lock: self.lock_state(username)?,
            pending: self.pending_password(username)?,
            factors: FactorKinds::of(&self.second_factors(username)?),
            user,
        }))
    }
    /// Counts one failed login of an existing user, with the event
    /// `event` makes of the new record; returns the new record.
    fn record_failure(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now: f64,
        event: Option<FailureEvent<'_>>,
    ) -> Result<LockState>;
    /// Binds the guest `username` to the OpenID Connect identity
    /// (`issuer`, `subject`) unless it is bound already; returns the
    /// identity it is bound to.
    fn bind_guest(&self, username: &str, issuer: &str, subject: &str) -> Result<(String, String)>;
    /// The cookie key this store generated for itself, generating it (32
    /// random bytes) on first use; for stores whose settings name none.
    /// Replicas that ask at once agree on one key.
    fn generated_cookie_key(&self) -> Result<String>;
    /// Records that the 0.4.2 cookie whose token has the SHA-256 `digest`
    /// was exchanged for a session; `false` if it had been already (a
    /// replay).
    fn consume_legacy_token(&self, digest: &str, username: &str, now: f64) -> Result<bool>;
    /// When authgate first opened this store (its schema's first
    /// migration): every 0.4.2 cookie was issued before it.
    fn legacy_cutoff(&self) -> Result<Option<f64>>;
    /// Counts a login attempt of an existing user *before* its password is
    /// checked, in one atomic step, so that parallel guesses cannot all be
    /// checked before the first failure is counted. A success then clears
    /// the count ([`Store::open_session`]). `None` when the account was
    /// already locked (the attempt is not counted) or the user is unknown.
    fn reserve_attempt(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now: f64,
    ) -> Result<Option<LockState>>;
    /// Counts a password attempt under each of `keys`
    /// ([`ThrottlePolicy::keys`](crate::throttle::ThrottlePolicy::keys))
    /// before the password is checked, in one atomic step — unless one of
    /// them makes it wait: then nothing is counted and the answer is when
    /// the wait ends. Unknown usernames are counted like known ones.
    fn throttle_attempt(
        &self,
        keys: &[crate::throttle::ThrottleKey],
        policy: &crate::throttle::ThrottlePolicy,
        now: f64,
    ) -> Result<Option<f64>>;
    /// Gives back the attempt [`Store::throttle_attempt`] counted, after the
    /// password was right: the client and account counter goes; the others
    /// count one attempt less, and wait no more once below their threshold
    /// ([`Backoff::threshold`](crate::throttle::Backoff::threshold)).
    fn throttle_success(
        &self,
        keys: &[crate::throttle::ThrottleKey],
        policy: &crate::throttle::ThrottlePolicy,
        now: f64,
    ) -> Result<()>;
    /// [`Store::throttle_attempt`], then, unless the client must wait,
    /// [`Store::login_state`] — in one transaction where the store can
    /// (databases read the user in the same round trip as the counters).
    fn throttled_login_state(
        &self,
        username: &str,
        keys: &[crate::throttle::ThrottleKey],
        policy: &crate::throttle::ThrottlePolicy,
        now: f64,
    ) -> Result<Throttled<Option<LoginState>>> {
        if let Some(until) = self.throttle_attempt(keys, policy, now)? {
            return Ok(Throttled::Wait(until));
        }
        Ok(Throttled::Go(self.login_state(username)?))
    }
    /// [`Store::open_session`] after a right password, giving back its
    /// throttled attempt ([`Store::throttle_success`]) in the same step
    /// where the store can.
    fn open_session_refunding(
        &self,
        session: &Session,
        limits: &SessionLimits,
        now: f64,
        event: Option<&AuditEvent>,
        refund: crate::throttle::Refund<'_>,
    ) -> Result<()> {
        self.throttle_success(refund.0, refund.1, now)?;
        self.open_session(session, limits, now, event)
    }
    /// Opens `session` if `limits` allow it and no operator's lock holds
    /// ([`Error::AccountLocked`](crate::Error::AccountLocked)), clears the
    /// user's failures and the lock they set and marks them logged in — all
    /// in one step, with `event`.
    fn open_session(
        &self,
        session: &Session,
        limits: &SessionLimits,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<()>;
    /// A session by id.
    fn session(&self, id: &str) -> Result<Option<Session>>;
    /// The user's sessions, oldest first (expired ones too, until pruned).
    fn sessions_of(&self, username: &str) -> Result<Vec<Session>>;
    /// Ends every session of the user ("log out everywhere"); how many
    /// were open. The user is marked logged out.
    fn end_sessions(&self, username: &str, now: f64) -> Result<usize> {
        let mut ended = 0;
        for session in self.sessions_of(username)? {
            // A zero idle timeout: with no live session left, the user is
            // marked logged out.
            if self.close_session(&session.id, now, 0.0, None)?.is_some() {
                ended += 1;
            }
        }
        Ok(ended)
    }
    /// Records that the session was just used.
    fn touch_session(&self, id: &str, now: f64) -> Result<()>;
    /// Keeps the browser's `User-Agent` with session `id` (already cleaned,
    /// see [`crate::session::clean_user_agent`]); nothing if it is gone.
    fn label_session(&self, id: &str, user_agent: &str) -> Result<()>;
    /// Ends a session; marks the user logged out when no live session is
    /// left; refuses legacy tokens of that user issued before `now`. Records
    /// `event` for the session's owner (its `username` is replaced by
    /// theirs) if there was such a session.
    fn close_session(
        &self,
        id: &str,
        now: f64,
        idle_timeout: f64,
        event: Option<&AuditEvent>,
    ) -> Result<Option<Session>>;
    /// Legacy tokens (without session id) issued before this time are refused.
    fn revoked_before(&self, username: &str) -> Result<Option<f64>>;
    /// Users whose stored password is still plaintext, with it.
    fn plaintext_passwords(&self) -> Result<Vec<(String, String)>>;
    /// Stores hashes for plaintext passwords, each only if the stored value
    /// is still the plaintext that was hashed. Returns the users updated.
    fn store_hashes(&self, hashed: &[(String, String, String)]) -> Result<Vec<String>>;

    // ---- accounts ----------------------------------------------------------------

    /// The pre-authorized emails kept in the store, if it keeps a list.
    fn preauthorized_emails(&self) -> Result<Option<Vec<String>>>;
    /// Adds `add` to and removes `remove` from the store's pre-authorized
    /// list (emails compared case-insensitively; one already listed is not
    /// added twice) in one step that also records `event`, and returns the
    /// list as it now is. Adding to a store that keeps no list starts one,
    /// which then restricts registration as 0.4.2's list does.
    fn edit_preauthorized(
        &self,
        add: &[String],
        remove: &[String],
        event: Option<&AuditEvent>,
    ) -> Result<Vec<String>>;
    /// Whether a registration of `username` with `email` can go ahead, in
    /// 0.4.2's order: [`crate::Error::EmailTaken`] if any user has the email
    /// (case-insensitive), else [`crate::Error::UsernameTaken`] if the
    /// username is taken. A check before the bcrypt work, not a reservation:
    /// [`Store::add_user`] checks again. SQL stores read both in one round
    /// trip.
    fn check_available(&self, username: &str, email: &str) -> Result<()> {
        if self.user_by_email(email)?.is_some() {
            return Err(crate::Error::EmailTaken);
        }
        if self.user(username)?.is_some() {
            return Err(crate::Error::UsernameTaken);
        }
        Ok(())
    }
    /// Adds a user in one step and returns them as stored. Refuses a taken
    /// username ([`crate::Error::UsernameTaken`]) or email, compared
    /// case-insensitively ([`crate::Error::EmailTaken`]). With
    /// `consume_preauthorized`, the email must be on the store's
    /// pre-authorized list (when it keeps one) and is removed from it in the
    /// same step, which also records `event`.
    fn add_user(
        &self,
        user: &NewUser,
        consume_preauthorized: bool,
        event: Option<&AuditEvent>,
    ) -> Result<User>;
    /// Removes a user, their sessions and second factors (passkeys
    /// included); false if there was none.
    fn remove_user(&self, username: &str) -> Result<bool>;
    /// Applies a change to a user's details and records `event`.
    fn update_user(
        &self,
        username: &str,
        update: &UserUpdate,
        event: Option<&AuditEvent>,
    ) -> Result<()>;
    /// Replaces the password; ends every session of the user and drops any
    /// pending password, so every cookie issued before stops working;
    /// records `event`.
    fn set_password(
        &self,
        username: &str,
        hash: &str,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<()>;
    /// Stores a pending password next to the current one.
    fn set_pending_password(&self, username: &str, pending: &PendingPassword) -> Result<()>;
    /// The user's pending password, if any.
    fn pending_password(&self, username: &str) -> Result<Option<PendingPassword>>;
    /// Drops the user's pending password if it is still the one with
    /// `hash` (a newer one stays); whether it was.
    fn withdraw_pending_password(&self, username: &str, hash: &str) -> Result<bool>;
    /// Users in username order, `offset` and `limit` for paging.
    fn list_users(&self, offset: usize, limit: usize) -> Result<Vec<User>>;
    /// How many users there are.
    fn user_count(&self) -> Result<usize>;
    /// Sets (or with `None` clears) a lock on the user, whatever the failures.
    fn set_lock(&self, username: &str, until: Option<f64>) -> Result<()>;
    /// Clears the user's failed attempts and the lock they set, as opening
    /// a session does (an operator's lock stays): a logged-in user typed
    /// their right password again (a re-authentication, counted before its
    /// check like any attempt).
    fn clear_failures(&self, username: &str) -> Result<()>;
    /// Whether a login may store the user's hash again at a higher cost
    /// ([`Store::store_hashes`]). A database may; a `config.yaml` is not
    /// rewritten by a login, and in dict mode the app's dict would then
    /// disagree with a file it never saves.
    fn upgrades_hashes_on_login(&self) -> bool {
        false
    }

    // ---- second factors ----------------------------------------------------------

    /// The user's second factors (empty for an unknown user).
    fn second_factors(&self, username: &str) -> Result<SecondFactors>;
    /// Stores the user's confirmed TOTP factor and their recovery codes
    /// (digests), with `event`, in one step; `false` (nothing changed) if
    /// the user has a TOTP factor already. [`crate::Error::UserNotFound`]
    /// for an unknown user.
    fn enable_totp(
        &self,
        username: &str,
        totp: &StoredTotp,
        recovery_codes: &[String],
        event: Option<&AuditEvent>,
    ) -> Result<bool>;
    /// Records that a code of time step `step` was accepted for the TOTP
    /// factor whose sealed secret is `secret`, in one atomic step: `false`
    /// (nothing changed) if that step or a later one was used already, or
    /// the factor is gone or was replaced. Of parallel calls with one step,
    /// exactly one gets `true`.
    fn use_totp_step(&self, username: &str, secret: &str, step: i64) -> Result<bool>;
    /// Marks the recovery code with `digest` used, with `event`, in one
    /// atomic step; `false` if it is not an unused code of the user. Of
    /// parallel calls with one code, exactly one gets `true`.
    fn consume_recovery_code(
        &self,
        username: &str,
        digest: &str,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<bool>;
    /// Replaces all the user's recovery codes (used ones too) with
    /// `digests`, with `event`; `false` (nothing changed) if the user has
    /// no TOTP factor.
    fn replace_recovery_codes(
        &self,
        username: &str,
        digests: &[String],
        event: Option<&AuditEvent>,
    ) -> Result<bool>;
    /// Removes every second factor of the user (TOTP, recovery codes,
    /// passkeys), with `event`; `false` (and no event) if there were none.
    fn remove_second_factors(&self, username: &str, event: Option<&AuditEvent>) -> Result<bool>;
    /// Removes the user's TOTP factor and recovery codes (their passkeys
    /// stay), with `event`; `false` (and no event) if there were none.
    fn remove_totp(&self, username: &str, event: Option<&AuditEvent>) -> Result<bool>;

    // ---- passkeys ----------------------------------------------------------------

    /// Whether this store keeps second factors across restarts. Dict mode
    /// does not: its state lives in this process for the app's dict, and
    /// a factor a restart forgets would silently let the password alone
    /// in again.
    fn keeps_second_factors(&self) -> bool {
        true
    }
    /// Whether any user has a passkey (a login form offers passkey sign-in
    /// only then). One indexed look-up.
    fn any_passkeys(&self) -> Result<bool>;
    /// Where this store keeps its last answer of [`Store::any_passkeys`]
    /// for every `Authenticator` on it in this process
    /// ([`crate::auth::Authenticator::any_passkeys`] uses it); its own
    /// changes of passkeys, factors and users forget the answer. `None`:
    /// every call asks the store.
    fn passkey_presence(&self) -> Option<&PasskeyPresence> {
        None
    }
    /// The passkey with this credential id and its owner's username.
    fn passkey_by_credential(&self, credential_id: &str)
        -> Result<Option<(String, StoredPasskey)>>;
    /// Adds a passkey to the user, with `event`, in one step, unless its
    /// credential is registered already (to anyone), the user has one of
    /// that name, or `limit` passkeys. [`crate::Error::UserNotFound`] for
    /// an unknown user.
    fn add_passkey(
        &self,
        username: &str,
        passkey: &StoredPasskey,
        limit: usize,
        event: Option<&AuditEvent>,
    ) -> Result<PasskeyChange>;
    /// Records a use of the user's passkey: its new signature `counter`
    /// and credential (`passkey`, JSON) and the time, in one atomic step —
    /// only if the counter went up, or the authenticator keeps none (it
    /// was 0 and stays 0). `false` (nothing changed) otherwise, or if the
    /// passkey is gone: of parallel uses with one counter, one gets `true`.
    fn use_passkey(
        &self,
        username: &str,
        credential_id: &str,
        counter: u32,
        passkey: &str,
        now: f64,
    ) -> Result<bool>;
    /// Renames the user's passkey, with `event`:
    /// [`PasskeyChange::NotFound`] or [`PasskeyChange::NameTaken`] change
    /// nothing.
    fn rename_passkey(
        &self,
        username: &str,
        credential_id: &str,
        name: &str,
        event: Option<&AuditEvent>,
    ) -> Result<PasskeyChange>;
    /// Removes the user's passkey, with `event`; `false` (and no event) if
    /// they have none with that id.
    fn remove_passkey(
        &self,
        username: &str,
        credential_id: &str,
        event: Option<&AuditEvent>,
    ) -> Result<bool>;

    // ---- audit -------------------------------------------------------------------

    /// Appends an event to the audit trail. Changes record theirs as part of
    /// the change (the `event` parameters): in one transaction in SQL
    /// stores; after the change in the audit log beside a `config.yaml`.
    fn record_event(&self, event: &AuditEvent) -> Result<()>;
    /// The most recent events, newest last.
    fn recent_events(&self, limit: usize) -> Result<Vec<AuditEvent>>;
}

/// What a throttled step gives: its result, or when the client may try
/// again (see [`crate::throttle`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Throttled<T> {
    /// The attempt was counted; here is the step's result.
    Go(T),
    /// Nothing was counted: the client must wait until then (Unix seconds).
    Wait(f64),
}

/// Options for opening a file store.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// How long a writer waits for another process's lock.
    pub lock_timeout: std::time::Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            lock_timeout: file::SharedFile::DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// The store for a config file, shared by every caller in this process.
///
/// The first call parses the file; later calls return the same store, which
/// re-reads the file only when it changed on disk.
pub fn open(path: &Path, options: OpenOptions) -> Result<Arc<DocStore>> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Arc<DocStore>>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let registry = OPEN.get_or_init(Default::default);
    if let Some(store) = registry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
    {
        store.refresh()?;
        return Ok(Arc::clone(store));
    }
    // Parse outside the registry lock: a large file must not stall other stores.
    let store = Arc::new(DocStore::open_file(&key, options)?);
    let mut map = registry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Arc::clone(map.entry(key).or_insert(store)))
}
