//! Account flows: register, reset password, forgot password, forgot
//! username, update details.
//!
//! Each flow checks its input, then changes the store in one atomic
//! operation. Checks that apps may customise (name, email, username and
//! password strength) belong to the Python `Validator` and run before these
//! (after a form's captcha: [`crate::form_guard`]).

use crate::auth::{Attempt, Authenticator, Login};
use crate::error::{Error, Result};
use crate::password;
use crate::secret;
use crate::store::{NewUser, PendingPassword, UserUpdate};
use crate::user::{EmailKey, User, UserKey};

/// How long a password from `forgot_password` works if unused: one day.
pub const PENDING_PASSWORD_TTL: f64 = 24.0 * 3600.0;
/// Wrong current passwords (in `reset_password`, or to change the email)
/// within the lockout window that lock the account.
pub const REAUTH_MAX_ATTEMPTS: u32 = 5;
/// Length of a password from `forgot_password` (0.4.2 used 16).
pub const RANDOM_PASSWORD_LEN: usize = 16;

/// The refusal of a forgot-password request without a username (0.4.2's words).
pub(crate) const USERNAME_NOT_PROVIDED: &str = "Username not provided";
/// The refusal of a forgot-username request without an email (0.4.2's words).
pub(crate) const EMAIL_NOT_PROVIDED: &str = "Email not provided";

/// Who may register.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum PreAuthorization<'a> {
    /// The emails on the store's pre-authorized list, if it keeps one
    /// (0.4.2 in path mode); the email is removed from it.
    #[default]
    StoreList,
    /// The emails the app passed.
    List(&'a [String]),
    /// Anyone (0.2's `preauthorization=False`).
    Anyone,
}

/// What a registration form submits.
#[derive(Clone, Default)]
pub struct Registration<'a> {
    /// Chosen username (trimmed, lower-cased here).
    pub username: &'a str,
    /// Email (trimmed here).
    pub email: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Password (trimmed here, as 0.4.2 does).
    pub password: &'a str,
    /// Password again.
    pub password_repeat: &'a str,
    /// Optional hint.
    pub password_hint: Option<&'a str>,
    /// Who may register.
    pub pre_authorized: PreAuthorization<'a>,
    /// Allowed email domains; `None`: any.
    pub domains: Option<&'a [String]>,
    /// Roles of the new user.
    pub roles: Option<&'a [String]>,
    /// `verify_email`: no login until the link [`Authenticator::verification_link`]
    /// makes is opened.
    pub awaiting_verification: bool,
}

impl std::fmt::Debug for Registration<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("username", &self.username)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A new random password issued by `forgot_password`.
#[derive(Clone)]
pub struct IssuedPassword {
    /// Whose.
    pub user: User,
    /// The plaintext, to hand to the user once; never stored.
    pub password: String,
}

impl std::fmt::Debug for IssuedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedPassword")
            .field("user", &self.user.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn refuse(message: &str) -> Error {
    Error::InvalidInput(message.to_string())
}

impl Authenticator {
    /// Registers a user.
    ///
    /// Refuses an email outside `domains`, empty or different passwords, an
    /// email not pre-authorized, a taken username or email. The pre-authorized
    /// email is consumed in the same store operation that adds the user.
    pub fn register(&self, reg: &Registration<'_>) -> Result<User> {
        self.check_registration(reg)?;
        let username = UserKey::new(reg.username);
        let email = reg.email.trim();
        let new = NewUser {
            username: username.to_string(),
            email: email.to_string(),
            first_name: reg.first_name.trim().to_string(),
            last_name: reg.last_name.trim().to_string(),
            password_hash: Some(self.hash_new(reg.password.trim())?),
            roles: reg.roles.map(<[String]>::to_vec),
            password_hint: reg
                .password_hint
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_string),
            awaiting_verification: reg.awaiting_verification,
        };
        let consume = reg.pre_authorized == PreAuthorization::StoreList;
        let event = self.event("register", Some(&username), None);
        self.store().add_user(&new, consume, Some(&event))
    }

    /// What [`Authenticator::register`] refuses, checked without adding
    /// anyone: a registration confirmed by a mailed code is checked before
    /// the code goes out, and again when it is added.
    pub fn check_registration(&self, reg: &Registration<'_>) -> Result<()> {
        let username = UserKey::new(reg.username);
        let email = reg.email.trim();
        let password = reg.password.trim();
        if let Some(domains) = reg.domains {
            if !EmailKey::new(email).in_domains(domains) {
                return Err(refuse("Email domain is not allowed to register"));
            }
        }
        if password.is_empty() || reg.password_repeat.trim().is_empty() {
            return Err(refuse("Password/repeat password fields cannot be empty"));
        }
        if !secret::constant_time_eq(password.as_bytes(), reg.password_repeat.trim().as_bytes()) {
            return Err(refuse("Passwords do not match"));
        }
        // 0.4.2's order: a taken email, a taken username, then pre-authorization.
        // Checked before hashing so a refusal costs no bcrypt work; the store
        // checks again atomically when it adds the user.
        self.store().check_available(&username, email)?;
        if let PreAuthorization::List(list) = reg.pre_authorized {
            let wanted = EmailKey::new(email);
            if !list.iter().any(|e| EmailKey::new(e) == wanted) {
                return Err(Error::NotPreauthorized);
            }
        }
        Ok(())
    }

    /// Changes a logged-in user's password after checking the current one.
    ///
    /// Every session of the user ends (their cookies stop working
    /// everywhere); the caller's session is replaced by a new one, returned
    /// with its cookie token.
    pub fn reset_password(
        &self,
        username: &str,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<Login> {
        let username = UserKey::new(username);
        let (current, new, repeat) = (current.trim(), new.trim(), repeat.trim());
        if new.is_empty() {
            return Err(refuse("No new password provided"));
        }
        if new != repeat {
            return Err(refuse("Passwords do not match"));
        }
        if current == new {
            return Err(refuse("New and current passwords are the same"));
        }
        let user = self
            .store()
            .user(&username)?
            .ok_or_else(|| Error::UserNotFound(username.to_string()))?;
        let Some(hash) = user.password_hash.as_deref() else {
            return Err(refuse("Guest user cannot reset password"));
        };
        self.check_current_password(&username, current, hash)?;
        let new_hash = self.hash_new(new)?;
        let event = self.event("password_reset", Some(&username), None);
        self.store()
            .set_password(&username, &new_hash, self.now(), Some(&event))?;
        self.login_as(&username)
    }

    /// Checks a logged-in user's current password as a login would: a
    /// locked account is refused, and the attempt is counted (at most
    /// [`REAUTH_MAX_ATTEMPTS`] in the lockout window) before the check, so
    /// whoever holds a session cannot guess the password at bcrypt speed;
    /// the right password clears the count, as a login does.
    pub(crate) fn check_current_password(
        &self,
        username: &str,
        password: &str,
        hash: &str,
    ) -> Result<()> {
        let now = self.now();
        let policy = self.lockout_policy(Some(REAUTH_MAX_ATTEMPTS));
        let lock = self.store().lock_state(username)?;
        let attempt = self.reserve_attempt(username, &policy, &lock, now)?;
        let counted = matches!(attempt, Attempt::Counted(_));
        let matches = password::verify(password, hash).unwrap_or(false);
        let state = match attempt {
            Attempt::Counted(state) => state,
            Attempt::Locked(until) => {
                self.audit("reauth_refused", Some(username), Some("locked"));
                return Err(Error::AccountLocked { until });
            }
            // The policy has a limit, so attempts are counted before the
            // check; were it ever without one, count after it.
            Attempt::Uncounted if !matches => {
                self.store().record_failure(username, &policy, now, None)?
            }
            Attempt::Uncounted => lock,
        };
        if !matches {
            let kind = if policy.locked_until(&state, now).is_some() {
                "locked"
            } else {
                "reauth_failed"
            };
            self.audit(kind, Some(username), None);
            return Err(Error::InvalidCredentials { hint: None });
        }
        // The right password gives its counted attempt back, as a login
        // does: a user who manages their account (passkeys, authenticator
        // app, details) must not lock it.
        if counted {
            self.store().clear_failures(username)?;
        }
        Ok(())
    }

    /// Issues a random password for `username`, from the OS random source.
    ///
    /// Unlike 0.4.2 it does not replace the current password: both work
    /// until the new one is first used (it then becomes the password) or
    /// expires after [`PENDING_PASSWORD_TTL`]. Returns `None` for an unknown
    /// user; refuses a blank name ("Username not provided").
    pub fn forgot_password(&self, username: &str) -> Result<Option<IssuedPassword>> {
        let username = UserKey::new(username);
        if username.is_empty() {
            return Err(refuse(USERNAME_NOT_PROVIDED));
        }
        let Some(user) = self.store().user(&username)? else {
            // The bcrypt work a known user's new password costs: the answer
            // must not come sooner for a name nobody has.
            password::dummy_verify_at_cost(&username, self.hash_cost());
            return Ok(None);
        };
        if user.password_hash.is_none() {
            return Err(refuse("Guest user cannot use forgot password widget"));
        }
        let password = secret::random_password(RANDOM_PASSWORD_LEN)?;
        let pending = PendingPassword {
            hash: self.hash_new(&password)?,
            expires: self.now() + PENDING_PASSWORD_TTL,
        };
        self.store().set_pending_password(&username, &pending)?;
        self.audit("password_issued", Some(&username), None);
        Ok(Some(IssuedPassword { user, password }))
    }

    /// Withdraws the password [`Authenticator::forgot_password`] issued as
    /// `password`, whose mail could not be delivered, unless a newer one
    /// replaced it or it was used; whether it was withdrawn.
    pub fn withdraw_password(&self, username: &str, password: &str) -> Result<bool> {
        let username = UserKey::new(username);
        let Some(pending) = self.store().pending_password(&username)? else {
            return Ok(false);
        };
        if !password::verify(password, &pending.hash).unwrap_or(false) {
            return Ok(false);
        }
        let withdrawn = self
            .store()
            .withdraw_pending_password(&username, &pending.hash)?;
        if withdrawn {
            self.audit("password_withdrawn", Some(&username), Some("not delivered"));
        }
        Ok(withdrawn)
    }

    /// The user registered with `email` (case-insensitive), if any;
    /// refuses a blank email ("Email not provided").
    pub fn forgot_username(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim();
        if email.is_empty() {
            return Err(refuse(EMAIL_NOT_PROVIDED));
        }
        self.store().user_by_email(email)
    }

    /// Changes one detail of a user: `first_name`, `last_name` or `email`.
    /// The email, where password resets are sent, changes only with the
    /// user's current `password` (checked as [`Authenticator::reset_password`]
    /// checks it).
    ///
    /// Returns the updated user; refuses an unchanged value or a taken email.
    pub fn update_details(
        &self,
        username: &str,
        field: &str,
        value: &str,
        password: Option<&str>,
    ) -> Result<User> {
        let username = UserKey::new(username);
        let value = value.trim().to_string();
        let user = self
            .store()
            .user(&username)?
            .ok_or_else(|| Error::UserNotFound(username.to_string()))?;
        let (current, update) = match field {
            "first_name" => (user.first_name, UserUpdate::FirstName(value.clone())),
            "last_name" => (user.last_name, UserUpdate::LastName(value.clone())),
            "email" => (user.email, UserUpdate::Email(value.clone())),
            other => return Err(refuse(&format!("Field '{other}' cannot be updated"))),
        };
        if current.as_deref() == Some(value.as_str()) {
            return Err(refuse("New and current values are the same"));
        }
        if field == "email" {
            match (password.map(str::trim), user.password_hash.as_deref()) {
                (_, None) => return Err(refuse("Guest user cannot change the email")),
                (None | Some(""), _) => {
                    return Err(refuse("Enter your current password to change the email"))
                }
                (Some(password), Some(hash)) => {
                    self.check_current_password(&username, password, hash)?;
                }
            }
        }
        let event = self.event("details_updated", Some(&username), Some(field));
        self.store().update_user(&username, &update, Some(&event))?;
        self.store()
            .user(&username)?
            .ok_or(Error::UserNotFound(username.into()))
    }
}
