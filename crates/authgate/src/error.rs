//! The one error type of the core.
//!
//! Every fallible function in `authgate` returns [`Result`]. The Python
//! bindings map each variant to exactly one exception class, once, in
//! `authgate-python/src/errors.rs`; the CLI maps each to a message and an exit
//! code. Messages never contain passwords, codes, tokens or the cookie key.

use std::path::PathBuf;

#[cfg(feature = "oidc")]
use crate::oidc::OidcFailure;

/// Everything that can go wrong in authgate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- authentication outcomes -------------------------------------------------
    /// Username unknown or password wrong: deliberately not told apart.
    #[error("Username/password is incorrect")]
    InvalidCredentials {
        /// The password hint of the account named, when the login asked for
        /// it ([`crate::auth::LoginRequest::with_hint`]) and the account
        /// has one; never in the message, nor in `Debug`.
        hint: Option<PasswordHint>,
    },
    /// Too many failed attempts inside the window; ends by itself at `until`.
    #[error("Maximum number of login attempts exceeded")]
    AccountLocked {
        /// Unix time (seconds) at which the lock ends.
        until: f64,
    },
    /// The [`crate::throttle`] makes this client wait before its next
    /// password attempt; nothing was checked or counted.
    #[error("Too many login attempts: try again in {}", seconds(*retry_after))]
    TooManyAttempts {
        /// Seconds until the next attempt is checked.
        retry_after: f64,
    },
    /// `max_concurrent_users` live sessions exist already.
    #[error("Maximum number of concurrent users exceeded")]
    TooManyUsers,
    /// `single_session` is on and the user has a live session elsewhere.
    #[error("Cannot log in multiple sessions")]
    SessionExists,
    /// The password is right, but the account was registered with
    /// `verify_email` and its mailed link was not opened yet.
    #[error("Email address not verified: open the link that was mailed to it")]
    EmailUnverified,
    /// The account exists but may not log in with a password (an OAuth guest).
    #[error("User not authorized")]
    NotAuthorized,

    /// A mailed code was wrong, expired or used up, or may not be sent
    /// yet ([`crate::email_code`]).
    #[error("{0}")]
    CodeRefused(crate::email_code::CodeRefusal),

    /// A TOTP code or recovery code was wrong or used, or a second-factor
    /// step was asked for out of turn ([`crate::second_factor`]).
    #[error("{0}")]
    SecondFactorRefused(crate::second_factor::SecondFactorRefusal),

    /// A passkey ceremony was refused: a response that does not verify or
    /// cannot be read, a spent or expired ceremony, or a change to the
    /// user's passkeys that cannot be made ([`crate::passkey`]).
    #[error("{0}")]
    PasskeyRefused(crate::passkey::PasskeyRefusal),

    /// A form's captcha answer was blank, wrong, or for a picture that is
    /// unknown, used or expired ([`crate::captcha_registry::check`]);
    /// nothing else of the action was checked ([`crate::form_guard`]).
    #[error("{0}")]
    CaptchaRefused(crate::captcha_registry::CaptchaRefusal),

    /// A mailed reset link that is forged, expired or used ([`crate::link`]).
    #[error("This link {0}: request a new one")]
    LinkRefused(&'static str),

    // ---- tokens ------------------------------------------------------------------
    /// A cookie token that is malformed, forged, expired or revoked.
    #[error("re-authentication token refused: {0}")]
    TokenRefused(&'static str),

    // ---- passwords and input -----------------------------------------------------
    /// bcrypt only reads 72 bytes; Python bcrypt refuses longer passwords, so do we.
    #[error("password cannot be longer than 72 bytes")]
    PasswordTooLong,
    /// A stored password value that is not a bcrypt hash (plaintext with auto_hash off).
    #[error("stored password is not a valid bcrypt hash")]
    BadHash,
    /// Input that does not have the shape an operation needs.
    #[error("{0}")]
    InvalidInput(String),
    /// A cookie key anyone could guess or brute-force (see
    /// [`crate::token::key_weakness`]); the key itself is never shown.
    #[error(
        "{0}. Set a random key of at least 32 bytes as cookie.key (or the cookie_key \
         argument), e.g. the output of: python -c \"import secrets; \
         print(secrets.token_urlsafe(32))\". A config file or database without a key \
         gets one generated and kept in its state. During development only, \
         Authenticate(..., insecure_dev_key=True) accepts it."
    )]
    WeakKey(crate::token::KeyWeakness),
    /// `add_user` with a username someone has.
    #[error("Username already taken")]
    UsernameTaken,
    /// `add_user` or an email change with an email someone has.
    #[error("Email already taken")]
    EmailTaken,
    /// Registration limited to pre-authorized emails, and this one is not.
    #[error("User not pre-authorized to register")]
    NotPreauthorized,
    /// The user named does not exist.
    #[error("user '{0}' not found")]
    UserNotFound(String),

    // ---- configuration and stores ------------------------------------------------
    /// The config file or store is missing.
    #[error("config file not found: {}", .0.display())]
    ConfigNotFound(PathBuf),
    /// The YAML text could not be loaded ([`crate::yaml::SyntaxError`]);
    /// line and column are 1-based.
    #[error("{}: YAML syntax error at line {line}, column {column}: {message}", path.display())]
    YamlSyntax {
        /// File the text came from (`<dict>` in dict mode).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// Parsed YAML whose shape is not the streamlit-authenticator schema.
    #[error("{}: {message}", path.display())]
    ConfigSchema {
        /// File the document came from.
        path: PathBuf,
        /// Which key is wrong and how.
        message: String,
    },
    /// The cross-process lock could not be taken in time.
    #[error("timed out after {seconds:.1} s waiting for the lock on {}", path.display())]
    LockTimeout {
        /// The sidecar lock file.
        path: PathBuf,
        /// How long we waited.
        seconds: f64,
    },
    /// A database refused or failed an operation. `location` never holds a password.
    #[error("{location}: {message}")]
    Database {
        /// The database file or URL (password removed).
        location: String,
        /// What went wrong.
        message: String,
    },
    /// The database was migrated by a newer authgate.
    #[error(
        "{location}: the database schema is version {found}, newer than version {supported} \
         that this authgate knows; upgrade authgate to use this database"
    )]
    SchemaTooNew {
        /// The database file or URL (password removed).
        location: String,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// An I/O error, with the path it happened on.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    // ---- OpenID Connect ----------------------------------------------------------
    /// An OpenID Connect guest login was refused: bad `oauth2` settings,
    /// provider trouble, a bad `state` or ID token, or an email owned by a
    /// password user. Errors of the core met on the way (limits, store) are
    /// their own variants, not this one.
    #[cfg(feature = "oidc")]
    #[error(transparent)]
    Oidc(#[from] OidcFailure),
    /// Mail could not be sent, or no mail server is configured.
    #[error("{0}")]
    Email(#[from] crate::mail::EmailFailure),
}

/// A user's password hint, as [`Error::InvalidCredentials`] carries it.
///
/// It helps whoever guesses the account as much as its owner, so it is
/// kept out of logs: `Debug` does not show it.
///
/// ```
/// use authgate::error::PasswordHint;
/// let hint = PasswordHint::new("the letter after c");
/// assert_eq!(hint.as_str(), "the letter after c");
/// assert_eq!(format!("{hint:?}"), "PasswordHint(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHint(String);

impl PasswordHint {
    /// Wraps a hint.
    pub fn new(hint: impl Into<String>) -> Self {
        PasswordHint(hint.into())
    }

    /// The hint's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hint's text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for PasswordHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHint(<redacted>)")
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<crate::yaml::SyntaxError> for Error {
    /// The YAML crate has its own error; here it becomes
    /// [`Error::YamlSyntax`], field for field, with the same message.
    fn from(e: crate::yaml::SyntaxError) -> Self {
        Error::YamlSyntax {
            path: e.path,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A wait as people say it: "1 second", "42 seconds" (rounded up).
pub(crate) fn seconds(wait: f64) -> String {
    let n = wait.max(0.0).ceil();
    if n == 1.0 {
        "1 second".to_string()
    } else {
        format!("{n} seconds")
    }
}
