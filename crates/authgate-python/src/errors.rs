//! The one mapping from [`authgate::Error`] to Python exceptions.
//!
//! Every exception derives from `AuthgateError`; the Streamlit layer turns
//! them into streamlit-authenticator's widget exceptions where it must.

use authgate::email_code::CodeRefusal;
use authgate::error::PasswordHint;
use authgate::second_factor::SecondFactorRefusal;
use authgate::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _core,
    AuthgateError,
    PyException,
    "Base of every authgate error."
);
create_exception!(
    _core,
    InvalidCredentials,
    AuthgateError,
    "Username or password is incorrect. `hint`: the account's password hint, \
     when the login asked for it (`with_hint=True`) and the account has one; \
     never in the message."
);
create_exception!(
    _core,
    AccountLocked,
    AuthgateError,
    "Too many failed attempts; the lock ends by itself."
);
create_exception!(
    _core,
    TooManyAttempts,
    AuthgateError,
    "The guessing brake makes this client wait before its next password attempt."
);
create_exception!(
    _core,
    TooManyUsers,
    AuthgateError,
    "max_concurrent_users reached."
);
create_exception!(
    _core,
    SessionExists,
    AuthgateError,
    "single_session: the user is logged in elsewhere."
);
create_exception!(
    _core,
    EmailUnverified,
    AuthgateError,
    "The password is right, but the account's email awaits verification."
);
create_exception!(
    _core,
    NotAuthorized,
    AuthgateError,
    "The account may not log in this way."
);
create_exception!(
    _core,
    TokenRefused,
    AuthgateError,
    "A cookie token is malformed, forged, expired or revoked."
);
create_exception!(
    _core,
    PasswordTooLong,
    AuthgateError,
    "bcrypt takes at most 72 bytes."
);
create_exception!(
    _core,
    InvalidInput,
    AuthgateError,
    "Input of the wrong shape."
);
create_exception!(_core, UserNotFound, AuthgateError, "No such user.");
create_exception!(
    _core,
    UsernameTaken,
    InvalidInput,
    "Username already taken."
);
create_exception!(_core, EmailTaken, InvalidInput, "Email already taken.");
create_exception!(
    _core,
    NotPreauthorized,
    InvalidInput,
    "Email not pre-authorized to register."
);
create_exception!(
    _core,
    ConfigError,
    AuthgateError,
    "The config is missing, unreadable or malformed."
);
create_exception!(
    _core,
    StoreError,
    AuthgateError,
    "The store could not be read or written."
);
create_exception!(
    _core,
    OidcError,
    AuthgateError,
    "An OpenID Connect login was refused: bad configuration, provider trouble, a \
     bad state or ID token, or an email owned by a password user."
);

create_exception!(
    _core,
    CodeRefused,
    AuthgateError,
    "A mailed code expired, was used up or spent, or may not be sent yet; a login's \
     second step expired or finished."
);
create_exception!(
    _core,
    WrongCode,
    CodeRefused,
    "Not the code that was mailed (or the authenticator app's), or a refused passkey; the \
     challenge takes more tries."
);

create_exception!(
    _core,
    CaptchaRefused,
    AuthgateError,
    "A form's captcha answer was blank, wrong, or for a picture already used or \
     expired; nothing else was checked."
);

create_exception!(
    _core,
    LinkRefused,
    AuthgateError,
    "A mailed reset link is forged, expired or used."
);

create_exception!(
    _core,
    EmailError,
    AuthgateError,
    "Mail could not be sent, or no mail server is configured."
);

/// Converts a core error into its Python exception.
pub fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    match err {
        Error::InvalidCredentials { hint } => invalid_credentials(msg, hint),
        Error::AccountLocked { .. } => AccountLocked::new_err(msg),
        Error::TooManyAttempts { .. } => TooManyAttempts::new_err(msg),
        Error::TooManyUsers => TooManyUsers::new_err(msg),
        Error::SessionExists => SessionExists::new_err(msg),
        Error::NotAuthorized => NotAuthorized::new_err(msg),
        Error::EmailUnverified => EmailUnverified::new_err(msg),
        Error::TokenRefused(_) => TokenRefused::new_err(msg),
        Error::PasswordTooLong => PasswordTooLong::new_err(msg),
        Error::BadHash | Error::InvalidInput(_) | Error::WeakKey(_) => InvalidInput::new_err(msg),
        Error::UserNotFound(_) => UserNotFound::new_err(msg),
        Error::UsernameTaken => UsernameTaken::new_err(msg),
        Error::EmailTaken => EmailTaken::new_err(msg),
        Error::NotPreauthorized => NotPreauthorized::new_err(msg),
        Error::ConfigNotFound(_) | Error::YamlSyntax { .. } | Error::ConfigSchema { .. } => {
            ConfigError::new_err(msg)
        }
        Error::LockTimeout { .. } | Error::Io { .. } | Error::Database { .. } => {
            StoreError::new_err(msg)
        }
        Error::SchemaTooNew { .. } => ConfigError::new_err(msg),
        Error::Oidc(_) => OidcError::new_err(msg),
        Error::Email(_) => EmailError::new_err(msg),
        Error::CodeRefused(CodeRefusal::Wrong { .. }) => WrongCode::new_err(msg),
        Error::CodeRefused(_) => CodeRefused::new_err(msg),
        Error::SecondFactorRefused(SecondFactorRefusal::Wrong) => WrongCode::new_err(msg),
        Error::SecondFactorRefused(_) => CodeRefused::new_err(msg),
        // The login waiting for it takes another passkey (or code).
        Error::PasskeyRefused(_) => WrongCode::new_err(msg),
        Error::LinkRefused(_) => LinkRefused::new_err(msg),
        Error::CaptchaRefused(_) => CaptchaRefused::new_err(msg),
        _ => AuthgateError::new_err(msg),
    }
}

/// `InvalidCredentials` with its `hint` attribute (`None` unless the core
/// sent one).
fn invalid_credentials(msg: String, hint: Option<PasswordHint>) -> PyErr {
    let err = InvalidCredentials::new_err(msg);
    Python::attach(|py| {
        let hint = hint.map(PasswordHint::into_string);
        // Setting an attribute of a new exception object cannot fail but
        // for memory; the refusal is raised all the same.
        let _ = err.value(py).setattr("hint", hint);
    });
    err
}

/// `?`-friendly conversion.
pub trait IntoPyResult<T> {
    /// Maps the error with [`to_py`].
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for authgate::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AuthgateError", py.get_type::<AuthgateError>())?;
    let invalid_credentials = py.get_type::<InvalidCredentials>();
    invalid_credentials.setattr("hint", py.None())?;
    m.add("InvalidCredentials", invalid_credentials)?;
    m.add("AccountLocked", py.get_type::<AccountLocked>())?;
    m.add("EmailError", py.get_type::<EmailError>())?;
    m.add("CodeRefused", py.get_type::<CodeRefused>())?;
    m.add("WrongCode", py.get_type::<WrongCode>())?;
    m.add("LinkRefused", py.get_type::<LinkRefused>())?;
    m.add("CaptchaRefused", py.get_type::<CaptchaRefused>())?;
    m.add("EmailUnverified", py.get_type::<EmailUnverified>())?;
    m.add("TooManyAttempts", py.get_type::<TooManyAttempts>())?;
    m.add("TooManyUsers", py.get_type::<TooManyUsers>())?;
    m.add("SessionExists", py.get_type::<SessionExists>())?;
    m.add("NotAuthorized", py.get_type::<NotAuthorized>())?;
    m.add("TokenRefused", py.get_type::<TokenRefused>())?;
    m.add("PasswordTooLong", py.get_type::<PasswordTooLong>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("UserNotFound", py.get_type::<UserNotFound>())?;
    m.add("UsernameTaken", py.get_type::<UsernameTaken>())?;
    m.add("EmailTaken", py.get_type::<EmailTaken>())?;
    m.add("NotPreauthorized", py.get_type::<NotPreauthorized>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("OidcError", py.get_type::<OidcError>())?;
    Ok(())
}
