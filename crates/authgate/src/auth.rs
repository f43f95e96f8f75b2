//! The authentication flows: login, cookie resume, session check, logout.
//!
//! [`Authenticator`] is a function of a [`Store`], a [`Clock`] and its
//! [`AuthConfig`]; it decides every rule and the Python layer only relays.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, PasswordHint, Result};
use crate::factor_policy::FactorPolicy;
use crate::lockout::{LockState, LockoutPolicy};
use crate::password;
use crate::second_factor::{PasswordStep, SecondFactorRefusal};
use crate::secret;
use crate::session::{Session, SessionPolicy};
use crate::store::{
    AuditEvent, FactorKinds, LoginState, PendingPassword, SessionLimits, Store, Throttled,
};
use crate::throttle::{Refund, ThrottleKey, ThrottlePolicy};
use crate::token::{self, Claims, TokenKey};
use crate::user::{User, UserKey};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// How an [`Authenticator`] behaves.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Signs and checks cookie tokens.
    pub token_key: TokenKey,
    /// Cookie and session lifetime in days; `0` issues no cookie (as 0.4.2).
    pub cookie_expiry_days: f64,
    /// Idle timeout and touch interval.
    pub sessions: SessionPolicy,
    /// Seconds in which failures count together.
    pub lockout_window: f64,
    /// Seconds a lock lasts.
    pub lockout_cooldown: f64,
    /// Whether a stored password that is still plaintext (auto-hashing has
    /// not reached it yet) may be compared directly.
    pub accept_plaintext: bool,
    /// bcrypt cost of the passwords this authenticator hashes (register,
    /// reset, forgot password); [`password::DEFAULT_COST`] unless set.
    pub hash_cost: u32,
    /// The brake on password guessing; on by default, `None` turns it off
    /// (an app that throttles in front of Streamlit).
    pub throttle: Option<ThrottlePolicy>,
    /// Seals TOTP secrets and digests recovery codes
    /// ([`crate::second_factor`]): derived from the cookie key unless a
    /// separate `totp_key` is set ([`AuthConfig::with_totp_key`]).
    pub factor_key: crate::totp::FactorKey,
    /// The name authenticator apps show for this app's TOTP entries.
    pub totp_issuer: String,
    /// Who must have a second factor ([`crate::factor_policy`]).
    pub factor_policy: FactorPolicy,
}

impl AuthConfig {
    /// Defaults for everything but the key and expiry.
    ///
    /// A key anyone could guess — empty, a well-known example value, or
    /// shorter than [`token::MIN_KEY_BYTES`] — is refused with
    /// [`Error::WeakKey`]: with it anyone forges a cookie for any user. The
    /// expiry must be a non-negative number of days.
    pub fn new(token_key: TokenKey, cookie_expiry_days: f64) -> Result<Self> {
        if let Some(weakness) = token_key.weakness() {
            return Err(Error::WeakKey(weakness));
        }
        Self::new_insecure(token_key, cookie_expiry_days)
    }

    /// [`AuthConfig::new`] that accepts a weak key (not an empty one): for
    /// development only, where a forged cookie costs nothing.
    pub fn new_insecure(token_key: TokenKey, cookie_expiry_days: f64) -> Result<Self> {
        if token_key.is_empty() {
            return Err(Error::InvalidInput(
                "the cookie key must not be empty".into(),
            ));
        }
        Ok(AuthConfig {
            factor_key: token_key.factor_key().clone(),
            totp_issuer: "authgate".to_string(),
            token_key,
            cookie_expiry_days: non_negative("cookie_expiry_days", cookie_expiry_days)?,
            sessions: SessionPolicy::default(),
            lockout_window: LockoutPolicy::DEFAULT_WINDOW,
            lockout_cooldown: LockoutPolicy::DEFAULT_COOLDOWN,
            accept_plaintext: false,
            hash_cost: password::DEFAULT_COST,
            throttle: Some(ThrottlePolicy::default()),
            factor_policy: FactorPolicy::default(),
        })
    }

    /// Sets who must have a second factor.
    pub fn with_factor_policy(mut self, policy: FactorPolicy) -> Self {
        self.factor_policy = policy;
        self
    }

    /// Lets a login succeed against a stored plaintext password while
    /// start-up hashing (`auto_hash`) has not reached it yet.
    pub fn with_plaintext_accepted(mut self, accept: bool) -> Self {
        self.accept_plaintext = accept;
        self
    }

    /// Sets the lockout window and cooldown, in seconds.
    pub fn with_lockout(mut self, window: f64, cooldown: f64) -> Result<Self> {
        self.lockout_window = non_negative("lockout_window", window)?;
        self.lockout_cooldown = non_negative("lockout_cooldown", cooldown)?;
        Ok(self)
    }

    /// Sets the bcrypt cost of new password hashes (4 to 31; each step
    /// doubles the work). Stored hashes keep their own cost.
    ///
    /// ```
    /// use authgate::auth::AuthConfig;
    /// use authgate::token::TokenKey;
    /// let key = TokenKey::new("J4m8x1Q0vKs9TzRw2bYc7LpNe5HdGu3A");
    /// let config = AuthConfig::new(key.clone(), 30.0)?.with_hash_cost(13)?;
    /// assert_eq!(config.hash_cost, 13);
    /// assert!(AuthConfig::new(key, 30.0)?.with_hash_cost(3).is_err());
    /// assert!(AuthConfig::new(TokenKey::new("some_key"), 30.0).is_err());
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn with_hash_cost(mut self, cost: u32) -> Result<Self> {
        if !(password::MIN_COST..=password::MAX_COST).contains(&cost) {
            return Err(Error::InvalidInput(format!(
                "bcrypt cost must be between {} and {}, not {cost}",
                password::MIN_COST,
                password::MAX_COST
            )));
        }
        self.hash_cost = cost;
        Ok(self)
    }

    /// Replaces the brake on password guessing; `None` turns it off.
    pub fn with_throttle(mut self, throttle: Option<ThrottlePolicy>) -> Self {
        self.throttle = throttle;
        self
    }

    /// Seals TOTP secrets under a key derived from `totp_key` instead of
    /// the cookie key, so that the cookie key can be rotated without
    /// resetting every user's authenticator app. A key anyone could guess
    /// is refused ([`Error::WeakKey`]).
    pub fn with_totp_key(mut self, totp_key: &str) -> Result<Self> {
        if let Some(weakness) = token::key_weakness(totp_key) {
            return Err(Error::WeakKey(weakness));
        }
        self.factor_key = crate::totp::FactorKey::new(totp_key);
        Ok(self)
    }

    /// Sets the name authenticator apps show for this app's TOTP entries
    /// (the issuer of the provisioning URI).
    pub fn with_totp_issuer(mut self, issuer: &str) -> Result<Self> {
        let issuer = issuer.trim();
        if issuer.is_empty() {
            return Err(Error::InvalidInput(
                "the TOTP issuer (the app's name) must not be empty".into(),
            ));
        }
        self.totp_issuer = issuer.to_string();
        Ok(self)
    }

    /// Sets the idle timeout of sessions, in seconds.
    pub fn with_idle_timeout(mut self, seconds: f64) -> Result<Self> {
        self.sessions.idle_timeout = non_negative("session_idle_timeout", seconds)?;
        Ok(self)
    }

    /// Whether logins get a cookie: not with `cookie_expiry_days = 0`, as
    /// in 0.4.2.
    pub fn issues_cookie(&self) -> bool {
        self.cookie_expiry_days > 0.0
    }

    /// The cookie's max-age in seconds (`0`: no cookie). The one place a
    /// number of days becomes seconds: the Python layer asks for it
    /// ([`Authenticator::cookie_max_age`]) rather than multiplying itself.
    ///
    /// ```
    /// use authgate::auth::AuthConfig;
    /// use authgate::token::TokenKey;
    /// let key = TokenKey::new("J4m8x1Q0vKs9TzRw2bYc7LpNe5HdGu3A");
    /// assert_eq!(AuthConfig::new(key.clone(), 30.0)?.cookie_max_age(), 2_592_000.0);
    /// assert_eq!(AuthConfig::new(key.clone(), 0.0)?.cookie_max_age(), 0.0);
    /// // Without a cookie a session still outlives the browser tab: one day.
    /// assert_eq!(AuthConfig::new(key, 0.0)?.session_lifetime(), 86_400.0);
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn cookie_max_age(&self) -> f64 {
        self.cookie_expiry_days.max(0.0) * SECONDS_PER_DAY
    }

    /// Seconds a new session lasts, whatever its activity: as long as its
    /// cookie, or one day when no cookie is issued (the session only has to
    /// outlive the browser tab). Every kind of login (password, code,
    /// authenticator app, guest) opens its session for this long.
    pub fn session_lifetime(&self) -> f64 {
        if self.issues_cookie() {
            self.cookie_max_age()
        } else {
            SECONDS_PER_DAY
        }
    }
}

/// What a login form submits, with the widget's limits.
#[derive(Clone, Default)]
pub struct LoginRequest<'a> {
    /// As typed; trimmed and lower-cased here, as 0.4.2 does.
    pub username: &'a str,
    /// As typed; trimmed, as 0.4.2 does.
    pub password: &'a str,
    /// Failures that lock the account (`None`: never).
    pub max_login_attempts: Option<u32>,
    /// At most this many users logged in at once.
    pub max_concurrent_users: Option<u32>,
    /// Refuse a second live session of the same user.
    pub single_session: bool,
    /// The address of the client the attempt comes from, for the
    /// [`crate::throttle`] (`None`: unknown, as for a browser on the same
    /// machine).
    pub client: Option<&'a str>,
    /// A refusal for a wrong password carries the account's password hint
    /// ([`Error::InvalidCredentials`]'s `hint`), if it has one. The hint
    /// helps whoever guesses the account too: ask only when the app shows
    /// it (`show_password_hint`).
    pub with_hint: bool,
}

impl std::fmt::Debug for LoginRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("max_login_attempts", &self.max_login_attempts)
            .field("max_concurrent_users", &self.max_concurrent_users)
            .field("single_session", &self.single_session)
            .field("client", &self.client)
            .field("with_hint", &self.with_hint)
            .finish()
    }
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct Login {
    /// Who.
    pub user: User,
    /// The server-side session.
    pub session: Session,
    /// A new cookie token to store, if one must be (re)written.
    pub token: Option<String>,
}

/// A password attempt, as [`Authenticator::reserve_attempt`] left it.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Counted before the check; the account's record after it.
    Counted(LockState),
    /// No limit: failures are counted after the check.
    Uncounted,
    /// The account is locked until then: the password is not checked.
    Locked(f64),
}

/// What [`Authenticator::check_login`] found: the user whose password was
/// right, the throttle counters the attempt was counted under (and their
/// rules), when, and which second factors the user has (read with the rest:
/// the decision between a session and a second step needs no other read).
pub(crate) type CheckedLogin = (
    User,
    Option<([ThrottleKey; 3], ThrottlePolicy)>,
    f64,
    FactorKinds,
);

/// Runs the flows against one store.
#[derive(Debug, Clone)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    config: AuthConfig,
    clock: Arc<dyn Clock>,
}

impl Authenticator {
    /// An authenticator on the system clock.
    pub fn new(store: Arc<dyn Store>, config: AuthConfig) -> Self {
        Self::with_clock(store, config, Arc::new(SystemClock))
    }

    /// An authenticator on a given clock (tests use [`crate::clock::FakeClock`]).
    pub fn with_clock(store: Arc<dyn Store>, config: AuthConfig, clock: Arc<dyn Clock>) -> Self {
        Authenticator {
            store,
            config,
            clock,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How this authenticator behaves.
    pub(crate) fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The max-age, in seconds, of the cookie a login's token goes in
    /// (`0`: no cookie); see [`AuthConfig::cookie_max_age`].
    pub fn cookie_max_age(&self) -> f64 {
        self.config.cookie_max_age()
    }

    /// Logs in with a password.
    ///
    /// Unknown user, guest account and wrong password all return
    /// [`Error::InvalidCredentials`] after the same bcrypt work. Every
    /// attempt first passes the [`crate::throttle`] (refused with
    /// [`Error::TooManyAttempts`], before any bcrypt work, while it makes
    /// the client wait). With a limit, the attempt is also counted before
    /// the password is checked ([`Store::reserve_attempt`]), so parallel
    /// guesses get no more checks than the limit; a success clears the
    /// count. A locked account is refused even with the right password
    /// until the lock ends.
    ///
    /// With [`LoginRequest::with_hint`], the refusal of a wrong password
    /// carries the password hint of the account named (any case, trimmed,
    /// as the login takes the name), if it has one: in the same call, so
    /// that the app does not look the account up a second time. An unknown
    /// user has none; a locked account, a throttled client and every other
    /// refusal carry none.
    ///
    /// A user with an authenticator app (TOTP) or a passkey never logs in
    /// by password alone: refused with `SecondFactorRefusal::Required` (or
    /// `PasskeyRequired`, [`SecondFactorRefusal`]); use
    /// [`Authenticator::login_with_totp`].
    pub fn login(&self, req: &LoginRequest<'_>) -> Result<Login> {
        match self.login_with_totp(req)? {
            PasswordStep::LoggedIn(login) => Ok(*login),
            PasswordStep::NeedsCode(challenge) => {
                Err(Error::SecondFactorRefused(if challenge.totp() {
                    SecondFactorRefusal::Required
                } else {
                    SecondFactorRefusal::PasskeyRequired
                }))
            }
        }
    }

    /// Everything [`Authenticator::login`] checks before it opens the
    /// session: the user, the throttle's counters to refund, and the time.
    pub(crate) fn check_login(&self, req: &LoginRequest<'_>) -> Result<CheckedLogin> {
        let username = UserKey::new(req.username);
        let password = req.password.trim();
        let now = self.clock.now();
        let throttle = self
            .config
            .throttle
            .map(|policy| (ThrottlePolicy::keys(&username, req.client), policy));
        let state = match &throttle {
            Some((keys, policy)) => {
                match self
                    .store
                    .throttled_login_state(&username, keys, policy, now)?
                {
                    Throttled::Go(state) => state,
                    // Not audited: a flood of refusals must not grow the
                    // audit log; the failures that led here were.
                    Throttled::Wait(until) => {
                        return Err(self.locked_or_wait(&username, now, (until - now).max(0.0))?)
                    }
                }
            }
            None => self.store.login_state(&username)?,
        };
        let factors = state.as_ref().map(|s| s.factors).unwrap_or_default();
        let user = match self.check_password(req, &username, password, state, now) {
            Err(Error::InvalidCredentials { .. }) if req.with_hint => {
                let hint = self.store.user(&username)?.and_then(|u| u.password_hint);
                return Err(Error::InvalidCredentials {
                    hint: hint.map(PasswordHint::new),
                });
            }
            checked => checked?,
        };
        if user.awaiting_verification {
            self.audit("login_refused", Some(&username), Some("email not verified"));
            return Err(Error::EmailUnverified);
        }
        Ok((user, throttle, now, factors))
    }

    /// The refusal of an attempt the throttle made wait: a locked account
    /// says it is locked (its lock outlasts the wait), as it would once the
    /// wait is over.
    fn locked_or_wait(&self, username: &str, now: f64, retry_after: f64) -> Result<Error> {
        let lock = self.store.lock_state(username)?;
        Ok(match self.lockout_policy(None).locked_until(&lock, now) {
            Some(until) => Error::AccountLocked { until },
            None => Error::TooManyAttempts { retry_after },
        })
    }

    /// The password part of [`Authenticator::login`]: the user whose
    /// password (or pending password) `password` is, after the lockout
    /// rules; failures are counted.
    fn check_password(
        &self,
        req: &LoginRequest<'_>,
        username: &str,
        password: &str,
        state: Option<LoginState>,
        now: f64,
    ) -> Result<User> {
        let username = username.to_string();
        if password.len() > password::MAX_PASSWORD_BYTES {
            // No stored password can match it (bcrypt refuses it): refused
            // alike for every username, before any lookup or count, so its
            // timing tells no account from another.
            return Err(Error::InvalidCredentials { hint: None });
        }
        let LoginState {
            user,
            lock,
            pending,
            factors: _,
        } = match state {
            Some(state) if !username.is_empty() => state,
            _ => return Err(self.dummy_then_refuse(password)),
        };
        let policy = self.lockout_policy(req.max_login_attempts);
        let Some(hash) = user.password_hash.as_deref() else {
            return Err(self.dummy_then_refuse(password));
        };
        let attempt = self.reserve_attempt(&username, &policy, &lock, now)?;
        // A hash of another scheme is never plaintext: refused as a bad hash
        // below, so the hash itself cannot log in.
        let plaintext = self.config.accept_plaintext
            && !password::is_hash(hash)
            && !password::is_foreign_hash(hash);
        let matches = if plaintext {
            // A constant-time compare; the bcrypt work comes below (the hash
            // the password is stored as from now on) or, on a mismatch, as
            // the dummy a wrong password costs.
            let same = secret::constant_time_eq(password.as_bytes(), hash.as_bytes());
            if !same {
                password::dummy_verify_at_cost(password, self.config.hash_cost);
            }
            same
        } else {
            match password::verify(password, hash) {
                Ok(m) => m,
                Err(Error::PasswordTooLong) => false,
                Err(e) => return Err(e),
            }
        };
        if let Attempt::Locked(until) = attempt {
            self.audit("login_refused", Some(&username), Some("locked"));
            return Err(Error::AccountLocked { until });
        }
        let took_pending =
            !matches && self.try_pending_password(&username, pending, password, now)?;
        if !matches && !took_pending {
            let failure = |state: &LockState| {
                let locked_now = policy.locked_until(state, now).is_some();
                let kind = if locked_now { "locked" } else { "login_failed" };
                self.event(kind, Some(&username), None)
            };
            match &attempt {
                // Counted already, before the check.
                Attempt::Counted(state) => {
                    let _ = self.store.record_event(&failure(state));
                }
                _ => {
                    self.store
                        .record_failure(&username, &policy, now, Some(&failure))?;
                }
            }
            return Err(Error::InvalidCredentials { hint: None });
        }
        if plaintext && matches {
            self.hash_on_login(user, password)
        } else if matches
            && self.store.upgrades_hashes_on_login()
            && password::cost(hash).is_some_and(|c| c < self.config.hash_cost)
        {
            let old = hash.to_owned();
            Ok(self.rehash_on_login(user, password, &old))
        } else if took_pending {
            // The session is bound to the password it opens with: the new one.
            self.store
                .user(&username)?
                .ok_or_else(|| Error::UserNotFound(username.clone()))
        } else {
            Ok(user)
        }
    }

    /// Counts a password attempt on `username` before its check, if
    /// `policy` has a limit ([`Store::reserve_attempt`]); `lock` is the
    /// account's record as last read.
    pub(crate) fn reserve_attempt(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        lock: &LockState,
        now: f64,
    ) -> Result<Attempt> {
        if let Some(until) = policy.locked_until(lock, now) {
            return Ok(Attempt::Locked(until));
        }
        if policy.max_attempts.is_none() {
            return Ok(Attempt::Uncounted);
        }
        match self.store.reserve_attempt(username, policy, now)? {
            Some(state) => Ok(Attempt::Counted(state)),
            None => {
                // Locked meanwhile by parallel attempts: this one is not checked.
                let current = self.store.lock_state(username)?;
                let until = policy.locked_until(&current, now).unwrap_or(now);
                Ok(Attempt::Locked(until))
            }
        }
    }

    /// Spends the bcrypt work a wrong password costs (at the cost this app
    /// hashes with), then refuses: an unknown username must not answer
    /// faster than a known one.
    fn dummy_then_refuse(&self, password: &str) -> Error {
        password::dummy_verify_at_cost(password, self.hash_cost());
        Error::InvalidCredentials { hint: None }
    }

    /// A user whose password is still stored as plaintext (auto-hashing has
    /// not reached it) logs in: the password is hashed and stored now, so
    /// the session and its cookie are bound to the hash and survive the
    /// background hasher. A session is never bound to plaintext, whose
    /// digest in a cookie could be guessed offline.
    fn hash_on_login(&self, user: User, password: &str) -> Result<User> {
        let hash = self.hash_new(password)?;
        let stored =
            self.store
                .store_hashes(&[(user.username.clone(), password.to_string(), hash)])?;
        if !stored.is_empty() {
            return self
                .store
                .user(&user.username)?
                .ok_or_else(|| Error::UserNotFound(user.username.clone()));
        }
        // Someone else changed it meanwhile: the background hasher (the
        // password still matches its hash), or an edit of the store.
        let current = self
            .store
            .user(&user.username)?
            .ok_or_else(|| Error::UserNotFound(user.username.clone()))?;
        match current.password_hash.as_deref() {
            Some(h) if password::is_hash(h) && password::verify(password, h).unwrap_or(false) => {
                Ok(current)
            }
            _ => Err(Error::InvalidCredentials { hint: None }),
        }
    }

    /// A user of a database store whose hash is cheaper than this app's
    /// `hash_cost` logs in: the password is hashed again at that cost, so
    /// that over time every hash costs what the dummy for an unknown user
    /// costs, and a guesser cannot tell accounts apart by timing. Best
    /// effort: if the store changed meanwhile, or cannot be written, the
    /// login goes on with the old hash.
    fn rehash_on_login(&self, user: User, password: &str, old: &str) -> User {
        let Ok(hash) = self.hash_new(password) else {
            return user;
        };
        let change = [(user.username.clone(), old.to_string(), hash)];
        match self.store.store_hashes(&change) {
            Ok(stored) if !stored.is_empty() => match self.store.user(&user.username) {
                Ok(Some(fresh)) => fresh,
                _ => user,
            },
            _ => user,
        }
    }

    /// A password from `forgot_password`, if it matches and has not expired,
    /// becomes the password (ending every other session).
    fn try_pending_password(
        &self,
        username: &str,
        pending: Option<PendingPassword>,
        password: &str,
        now: f64,
    ) -> Result<bool> {
        let Some(pending) = pending else {
            return Ok(false);
        };
        if pending.expires <= now || !password::verify(password, &pending.hash).unwrap_or(false) {
            return Ok(false);
        }
        let event = self.event("password_reset", Some(username), Some("forgot_password"));
        self.store
            .set_password(username, &pending.hash, now, Some(&event))?;
        Ok(true)
    }

    /// Opens a new session for `username` without limits (after a password
    /// change, for the session that made it).
    pub(crate) fn login_as(&self, username: &str) -> Result<Login> {
        let user = self
            .store
            .user(username)?
            .ok_or_else(|| Error::UserNotFound(username.to_string()))?;
        // An operator's lock is checked by the store as the session opens.
        let limits = self.limits(None, false);
        self.open_session(user, &limits, self.now(), None)
    }

    /// The user named `username` (any case, trimmed); `UserNotFound` if none.
    pub(crate) fn existing_user(&self, username: &str) -> Result<User> {
        let key = UserKey::new(username);
        self.store
            .user(&key)?
            .ok_or(Error::UserNotFound(key.into()))
    }

    /// A new hash of `password` at this authenticator's cost.
    pub(crate) fn hash_new(&self, password: &str) -> Result<String> {
        password::hash_with_cost(password, self.config.hash_cost)
    }

    /// The cookie key, which also signs mailed links.
    pub(crate) fn token_key(&self) -> &TokenKey {
        &self.config.token_key
    }

    /// The bcrypt cost this authenticator hashes with.
    pub(crate) fn hash_cost(&self) -> u32 {
        self.config.hash_cost
    }

    /// The current time of this authenticator's clock.
    /// Seconds of inactivity after which a session stops counting as live.
    pub(crate) fn idle_timeout(&self) -> f64 {
        self.config.sessions.idle_timeout
    }

    pub(crate) fn factor_policy(&self) -> &FactorPolicy {
        &self.config.factor_policy
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }

    /// This authenticator's clock.
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Records a security event that comes with no change (a refusal).
    /// Best effort: a full disk must not lock users out, so a failure to
    /// record is not an error of the flow. Changes take their event along
    /// (the stores' `event` parameters), so that both land together.
    pub(crate) fn audit(&self, kind: &str, username: Option<&str>, detail: Option<&str>) {
        let _ = self.store.record_event(&self.event(kind, username, detail));
    }

    /// An event of this authenticator's clock.
    pub(crate) fn event(
        &self,
        kind: &str,
        username: Option<&str>,
        detail: Option<&str>,
    ) -> AuditEvent {
        AuditEvent {
            time: self.now(),
            kind: kind.to_string(),
            username: username.map(str::to_string),
            detail: detail.map(str::to_string),
        }
    }

    /// Logs in from a cookie token, if it is still good.
    ///
    /// A token issued by authgate must name a live session and match the
    /// user's current password. A streamlit-authenticator token (no session id)
    /// is accepted once, unless its user logged out after it was issued, and is
    /// exchanged for an authgate token.
    ///
    /// Every refusal is recorded in the audit trail with its reason.
    pub fn resume(
        &self,
        token: &str,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> Result<Login> {
        let now = self.clock.now();
        let mut claimed = None;
        let resumed = self.resume_claims(
            token,
            now,
            &mut claimed,
            max_concurrent_users,
            single_session,
        );
        if let Err(Error::TokenRefused(reason)) = &resumed {
            self.audit("token_refused", claimed.as_deref(), Some(reason));
        }
        resumed
    }

    /// [`Authenticator::resume`] without the audit of a refusal; `claimed`
    /// receives the token's username once its signature is checked.
    fn resume_claims(
        &self,
        token: &str,
        now: f64,
        claimed: &mut Option<String>,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> Result<Login> {
        let claims = token::decode(&self.config.token_key, token, now)?;
        *claimed = Some(claims.username.clone());
        let Some(user) = self.store.user(&claims.username)? else {
            return Err(Error::TokenRefused("unknown user"));
        };
        let Some(sid) = &claims.sid else {
            let limits = self.limits(max_concurrent_users, single_session);
            return self.exchange_legacy(token, &claims, user, &limits, now);
        };
        let session = self
            .live_session(sid, now)?
            .filter(|s| s.username == user.username)
            .ok_or(Error::TokenRefused("no such session"))?;
        // The session remembers the credential it was opened with, which
        // must still be the user's (a rehash carries it over). Sessions
        // stored before it was kept are checked by the token's own claim.
        let still_current = match session.credential.as_deref() {
            Some(opened_with) => is_current_credential(&user, opened_with),
            None => claims
                .cv
                .as_deref()
                .is_some_and(|cv| is_current_credential(&user, cv)),
        };
        if !still_current {
            return Err(Error::TokenRefused("credentials changed"));
        }
        Ok(Login {
            user,
            session,
            token: None,
        })
    }

    /// A streamlit-authenticator 0.4.2 cookie (no session id) is exchanged
    /// for a session once, so that migrating logs no one out — and only
    /// then, because nothing server-side names it: it is refused when
    ///
    /// * its expiry is further than one cookie lifetime from now (a key
    ///   holder's forgery: 0.4.2 wrote `now + expiry_days`);
    /// * it was issued after authgate first opened the store: its expiry
    ///   lies beyond that time plus the lifetime (30 days at least);
    /// * its user has any revocation (a logout, a password change, a
    ///   removal): every 0.4.2 cookie predates authgate, so after one none
    ///   can be trusted;
    /// * it was exchanged before (by the SHA-256 of the token);
    /// * the account is locked.
    ///
    /// Each exchange is audited (`legacy_resume`).
    fn exchange_legacy(
        &self,
        token: &str,
        claims: &Claims,
        user: User,
        limits: &SessionLimits,
        now: f64,
    ) -> Result<Login> {
        const MIN_WINDOW: f64 = 30.0 * SECONDS_PER_DAY;
        let lifetime = self.config.cookie_max_age();
        if claims.exp_date > now + lifetime + 60.0 {
            return Err(Error::TokenRefused("expiry too far"));
        }
        let cutoff = self.store.legacy_cutoff()?.unwrap_or(now);
        if claims.exp_date > cutoff + lifetime.max(MIN_WINDOW) {
            return Err(Error::TokenRefused("issued after the migration"));
        }
        if self.store.revoked_before(&user.username)?.is_some() {
            return Err(Error::TokenRefused("revoked"));
        }
        let lock = self.store.lock_state(&user.username)?;
        if let Some(until) = self.lockout_policy(None).locked_until(&lock, now) {
            self.audit("login_refused", Some(&user.username), Some("locked"));
            return Err(Error::AccountLocked { until });
        }
        let digest = hex_sha256(token.as_bytes());
        if !self
            .store
            .consume_legacy_token(&digest, &user.username, now)?
        {
            return Err(Error::TokenRefused("already exchanged"));
        }
        let event = self.event("legacy_resume", Some(&user.username), None);
        self.open_session(user, limits, now, Some(&event))
    }

    /// Checks, on a rerun, that a logged-in session still exists and that
    /// its user's password has not changed since it opened (in authgate or
    /// by an edit of the store); returns the user's current record, or
    /// `None` if the session ended.
    pub fn check_session(&self, session_id: &str) -> Result<Option<User>> {
        let now = self.clock.now();
        let Some(session) = self.live_session(session_id, now)? else {
            return Ok(None);
        };
        let Some(user) = self.store.user(&session.username)? else {
            return Ok(None);
        };
        if let Some(opened_with) = &session.credential {
            if !is_current_credential(&user, opened_with) {
                self.audit(
                    "session_ended",
                    Some(&user.username),
                    Some("credentials changed"),
                );
                return Ok(None);
            }
        }
        Ok(Some(user))
    }

    /// Ends a session; its cookie stops working everywhere.
    pub fn logout(&self, session_id: &str) -> Result<()> {
        let now = self.clock.now();
        // The store names the session's owner in the event.
        let event = self.event("logout", None, None);
        self.store.close_session(
            session_id,
            now,
            self.config.sessions.idle_timeout,
            Some(&event),
        )?;
        Ok(())
    }

    /// Hashes every plaintext password in the store on all cores and stores
    /// the hashes. Returns the users updated; a password bcrypt cannot take
    /// is reported by username, after the others are stored.
    pub fn hash_plaintext_passwords(&self) -> Result<Vec<String>> {
        crate::auto_hash::hash_plaintext_passwords(self.store.as_ref())
    }

    fn live_session(&self, id: &str, now: f64) -> Result<Option<Session>> {
        let Some(session) = self.store.session(id)? else {
            return Ok(None);
        };
        if !session.is_valid(now) {
            return Ok(None);
        }
        if now - session.last_seen >= self.config.sessions.touch_interval {
            self.store.touch_session(id, now)?;
        }
        Ok(Some(session))
    }

    pub(crate) fn open_session(
        &self,
        user: User,
        limits: &SessionLimits,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<Login> {
        self.open_session_with(user, limits, now, event, None)
    }

    /// [`Authenticator::open_session`], giving back a throttled attempt
    /// (`refund`) in the same step.
    pub(crate) fn open_session_with(
        &self,
        user: User,
        limits: &SessionLimits,
        now: f64,
        event: Option<&AuditEvent>,
        refund: Option<Refund<'_>>,
    ) -> Result<Login> {
        let session = Session {
            id: secret::session_id()?,
            username: user.username.clone(),
            created: now,
            expires: now + self.config.session_lifetime(),
            last_seen: now,
            credential: Some(current_credential(&user)),
            user_agent: None,
        };
        match refund {
            Some(refund) => self
                .store
                .open_session_refunding(&session, limits, now, event, refund)?,
            None => self.store.open_session(&session, limits, now, event)?,
        }
        let token = if self.config.issues_cookie() {
            Some(self.issue_token(&user, &session)?)
        } else {
            None
        };
        Ok(Login {
            user,
            session,
            token,
        })
    }

    /// A new cookie token for a live session, e.g. after its user's details
    /// changed; `None` if the session ended or no cookie is issued.
    pub fn refresh_token(&self, session_id: &str) -> Result<Option<String>> {
        if !self.config.issues_cookie() {
            return Ok(None);
        }
        let now = self.clock.now();
        let Some(session) = self.live_session(session_id, now)? else {
            return Ok(None);
        };
        let Some(user) = self.store.user(&session.username)? else {
            return Ok(None);
        };
        self.issue_token(&user, &session).map(Some)
    }

    /// A cookie token for `session`.
    pub fn issue_token(&self, user: &User, session: &Session) -> Result<String> {
        let claims = Claims {
            username: user.username.clone(),
            exp_date: session.expires,
            sid: Some(session.id.clone()),
            cv: Some(
                session
                    .credential
                    .clone()
                    .unwrap_or_else(|| current_credential(user)),
            ),
        };
        token::encode(&self.config.token_key, &claims)
    }

    pub(crate) fn lockout_policy(&self, max_attempts: Option<u32>) -> LockoutPolicy {
        LockoutPolicy {
            max_attempts,
            window_seconds: self.config.lockout_window,
            cooldown_seconds: self.config.lockout_cooldown,
        }
    }

    pub(crate) fn limits(
        &self,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> SessionLimits {
        SessionLimits {
            max_concurrent_users,
            single_session,
            idle_timeout: self.config.sessions.idle_timeout,
        }
    }
}

fn non_negative(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidInput(format!(
            "{name} must be a non-negative number"
        )))
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    secret::hex(&sha2::Sha256::digest(bytes))
}

/// Whether `version` (a session's or a token's) is the credential version
/// of the user's stored password now, compared in constant time.
fn is_current_credential(user: &User, version: &str) -> bool {
    secret::constant_time_eq(version.as_bytes(), current_credential(user).as_bytes())
}

/// The credential version of the user's stored password (see
/// [`token::credential_version`]); guests have the version of no password.
///
/// A password still stored as plaintext has no version a session can keep:
/// its digest would let anyone who sees a cookie guess the password
/// offline. It gets a random one instead, so a session opened on it (a
/// 0.4.2 cookie resumed before auto-hashing finished) ends once the hash
/// is stored; a password login hashes first ([`Authenticator::login`]).
fn current_credential(user: &User) -> String {
    match user.password_hash.as_deref() {
        None => token::credential_version(""),
        Some(hash) if password::is_hash(hash) => token::credential_version(hash),
        Some(_) => secret::session_id().unwrap_or_default(),
    }
}
