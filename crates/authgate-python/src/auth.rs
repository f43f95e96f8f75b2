//! `Authenticator`: the login flows, with the GIL released while they run.

use authgate::account::{PreAuthorization, Registration};
use authgate::admin::NewAccount;
use authgate::auth::{self, AuthConfig, LoginRequest};
use authgate::email_code::{CodePurpose, IssuedCode};
use authgate::factor_policy::FactorPolicy;
use authgate::passkey::PasskeyLoginRequest;
use authgate::second_factor::PasswordStep;
use authgate::throttle::ThrottlePolicy;
use authgate::token::TokenKey;
use authgate::user::User;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::code::{CodeChallenge, TotpChallenge};
use crate::errors::IntoPyResult;
use crate::guard::Guard;
use crate::passkey::{passkey_dict, PasskeyCeremony};
use crate::store::Store;

/// The outcome of a successful login.
#[pyclass(module = "authgate._core", frozen, get_all)]
pub struct LoginResult {
    /// Public fields of the user (`username`, `name`, `email`, `roles`, …).
    user: Py<PyDict>,
    /// The server-side session id.
    session_id: String,
    /// A cookie token to write, or `None` if the cookie stays as it is.
    token: Option<String>,
    /// When the session (and its cookie) expires, Unix seconds.
    expires: f64,
}

#[pymethods]
impl LoginResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        let username = username_in(py, &self.user);
        format!("LoginResult(username={username:?}, token=<redacted>)")
    }
}

/// Runs login, cookie resume and logout against a store.
#[pyclass(module = "authgate._core", frozen)]
pub struct Authenticator {
    pub(crate) inner: auth::Authenticator,
}

/// `require_2fa=`: `True` (everyone), `False` (nobody) or role names.
#[derive(FromPyObject)]
enum RequireSecondFactor {
    All(bool),
    Roles(Vec<String>),
}

#[pymethods]
impl Authenticator {
    #[new]
    // Python keyword arguments, each optional: a builder would not be Pythonic.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (store, cookie_key, cookie_expiry_days = 30.0, *, lockout_window = None, lockout_cooldown = None, idle_timeout = None, accept_plaintext = false, hash_cost = None, insecure_key = false, throttle = true, totp_key = None, totp_issuer = None, require_2fa = None))]
    fn new(
        store: &Store,
        cookie_key: &str,
        cookie_expiry_days: f64,
        lockout_window: Option<f64>,
        lockout_cooldown: Option<f64>,
        idle_timeout: Option<f64>,
        accept_plaintext: bool,
        hash_cost: Option<u32>,
        insecure_key: bool,
        throttle: bool,
        totp_key: Option<&str>,
        totp_issuer: Option<&str>,
        require_2fa: Option<RequireSecondFactor>,
    ) -> PyResult<Self> {
        let key = TokenKey::new(cookie_key);
        let defaults = if insecure_key {
            AuthConfig::new_insecure(key, cookie_expiry_days)
        } else {
            AuthConfig::new(key, cookie_expiry_days)
        }
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let config = defaults
            .clone()
            .with_lockout(
                lockout_window.unwrap_or(defaults.lockout_window),
                lockout_cooldown.unwrap_or(defaults.lockout_cooldown),
            )
            .and_then(|c| {
                c.with_idle_timeout(idle_timeout.unwrap_or(defaults.sessions.idle_timeout))
            })
            .and_then(|c| c.with_hash_cost(hash_cost.unwrap_or(defaults.hash_cost)))
            .and_then(|c| match totp_key {
                Some(key) => c.with_totp_key(key),
                None => Ok(c),
            })
            .and_then(|c| match totp_issuer {
                Some(issuer) => c.with_totp_issuer(issuer),
                None => Ok(c),
            })
            .and_then(|c| match require_2fa {
                Some(RequireSecondFactor::All(true)) => {
                    Ok(c.with_factor_policy(FactorPolicy::Everyone))
                }
                Some(RequireSecondFactor::Roles(roles)) => {
                    FactorPolicy::roles(roles).map(|p| c.with_factor_policy(p))
                }
                Some(RequireSecondFactor::All(false)) | None => Ok(c),
            })
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .with_plaintext_accepted(accept_plaintext)
            .with_throttle(throttle.then(ThrottlePolicy::default));
        Ok(Authenticator {
            inner: auth::Authenticator::new(store.inner.clone(), config),
        })
    }

    /// Logs in with a password; raises `InvalidCredentials`,
    /// `TooManyAttempts`, `AccountLocked`, `TooManyUsers` or `SessionExists`.
    /// `client` is the address the attempt comes from, for the throttle;
    /// `with_hint=True` has `InvalidCredentials` carry the account's
    /// password hint (its `hint`) when the password was wrong.
    /// `captcha=(captcha_id, entered)`: the form's captcha, checked first
    /// (`CaptchaRefused`).
    // Python keyword arguments, each optional.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (username, password, *, max_login_attempts = None, max_concurrent_users = None, single_session = false, client = None, with_hint = false, captcha = None))]
    fn login(
        &self,
        py: Python<'_>,
        username: &str,
        password: &str,
        max_login_attempts: Option<u32>,
        max_concurrent_users: Option<u32>,
        single_session: bool,
        client: Option<&str>,
        with_hint: bool,
        captcha: Option<(String, String)>,
    ) -> PyResult<LoginResult> {
        let req = LoginRequest {
            username,
            password,
            max_login_attempts,
            max_concurrent_users,
            single_session,
            client,
            with_hint,
        };
        let login = Guard::new(captcha, None).run(py, &self.inner, || self.inner.login(&req))?;
        login_result(py, login)
    }

    /// Checks the password as `login` does (after the form's `captcha`),
    /// then mails a code instead of opening a session: the challenge to
    /// keep, and what to mail.
    #[pyo3(signature = (username, password, *, max_login_attempts = None, client = None, captcha = None))]
    fn login_with_email_code<'py>(
        &self,
        py: Python<'py>,
        username: &str,
        password: &str,
        max_login_attempts: Option<u32>,
        client: Option<&str>,
        captcha: Option<(String, String)>,
    ) -> PyResult<(CodeChallenge, Option<Bound<'py, PyDict>>)> {
        let req = LoginRequest {
            username,
            password,
            max_login_attempts,
            client,
            ..Default::default()
        };
        let issued = Guard::new(captcha, None)
            .run(py, &self.inner, || self.inner.login_with_email_code(&req))?;
        issued_code(py, issued)
    }

    /// Opens the session of a confirmed login challenge.
    #[pyo3(signature = (challenge, *, max_concurrent_users = None, single_session = false))]
    fn finish_login(
        &self,
        py: Python<'_>,
        challenge: &CodeChallenge,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> PyResult<LoginResult> {
        let login = py
            .detach(|| {
                challenge.with(|c| {
                    self.inner
                        .finish_login(c, max_concurrent_users, single_session)
                })
            })
            .py_err()?;
        login_result(py, login)
    }

    /// `login` for apps with authenticator apps: a `LoginResult` for a
    /// user without one, a `TotpChallenge` to finish with a code otherwise.
    #[pyo3(signature = (username, password, *, max_login_attempts = None, max_concurrent_users = None, single_session = false, client = None, with_hint = false, captcha = None))]
    #[allow(clippy::too_many_arguments)]
    fn login_with_totp(
        &self,
        py: Python<'_>,
        username: &str,
        password: &str,
        max_login_attempts: Option<u32>,
        max_concurrent_users: Option<u32>,
        single_session: bool,
        client: Option<&str>,
        with_hint: bool,
        captcha: Option<(String, String)>,
    ) -> PyResult<Py<PyAny>> {
        let req = LoginRequest {
            username,
            password,
            max_login_attempts,
            max_concurrent_users,
            single_session,
            client,
            with_hint,
        };
        let step =
            Guard::new(captcha, None).run(py, &self.inner, || self.inner.login_with_totp(&req))?;
        match step {
            PasswordStep::LoggedIn(login) => Ok(Py::new(py, login_result(py, *login)?)?.into_any()),
            PasswordStep::NeedsCode(challenge) => {
                Ok(Py::new(py, TotpChallenge::new(challenge))?.into_any())
            }
        }
    }

    /// Opens the session of a `TotpChallenge` once `code` (the app's, or a
    /// recovery code) is right; raises `WrongCode` or `CodeRefused`.
    fn finish_totp_login(
        &self,
        py: Python<'_>,
        challenge: &TotpChallenge,
        code: &str,
    ) -> PyResult<LoginResult> {
        let login = py
            .detach(|| challenge.with(|c| self.inner.finish_totp_login(c, code)))
            .py_err()?;
        login_result(py, login)
    }

    /// Starts setting up an authenticator app: `{pending, uri,
    /// secret_base32, qr_png, expires}`; nothing is stored yet.
    fn begin_totp_enrolment<'py>(
        &self,
        py: Python<'py>,
        username: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let e = py
            .detach(|| self.inner.begin_totp_enrolment(username))
            .py_err()?;
        let out = PyDict::new(py);
        out.set_item("pending", e.pending)?;
        out.set_item("uri", e.uri)?;
        out.set_item("secret_base32", e.secret_base32)?;
        out.set_item("qr_png", pyo3::types::PyBytes::new(py, &e.qr_png))?;
        out.set_item("expires", e.expires)?;
        Ok(out)
    }

    /// Stores the factor once `code` is right; returns the recovery codes.
    fn confirm_totp_enrolment(
        &self,
        py: Python<'_>,
        username: &str,
        pending: &str,
        code: &str,
    ) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.confirm_totp_enrolment(username, pending, code))
            .py_err()
    }

    /// Whether the user has an authenticator app set up.
    fn has_totp(&self, py: Python<'_>, username: &str) -> PyResult<bool> {
        py.detach(|| self.inner.has_totp(username)).py_err()
    }

    /// Removes the user's authenticator app, after their password.
    fn disable_totp(&self, py: Python<'_>, username: &str, password: &str) -> PyResult<()> {
        py.detach(|| self.inner.disable_totp(username, password))
            .py_err()
    }

    /// New recovery codes (the old ones stop working), after the password.
    fn regenerate_recovery_codes(
        &self,
        py: Python<'_>,
        username: &str,
        password: &str,
    ) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.regenerate_recovery_codes(username, password))
            .py_err()
    }

    /// Starts adding a passkey named `name` to `username` after their
    /// `password`, for the page at `origin` (RP id `rp_id`, default its
    /// host): the ceremony to keep and the options (JSON) for the browser's
    /// `navigator.credentials.create`.
    #[pyo3(signature = (username, password, name, origin, rp_id = None))]
    fn begin_passkey_enrolment(
        &self,
        py: Python<'_>,
        username: &str,
        password: &str,
        name: &str,
        origin: &str,
        rp_id: Option<&str>,
    ) -> PyResult<(PasskeyCeremony, String)> {
        let (ceremony, options) = py
            .detach(|| {
                let rp = self.inner.relying_party(origin, rp_id)?;
                self.inner
                    .begin_passkey_enrolment(username, password, name, &rp)
            })
            .py_err()?;
        Ok((PasskeyCeremony::new(ceremony), options))
    }

    /// Stores the passkey of the browser's `response` (JSON) to an
    /// enrolment ceremony of `username`; returns it as the list shows it.
    fn finish_passkey_enrolment<'py>(
        &self,
        py: Python<'py>,
        ceremony: &PasskeyCeremony,
        username: &str,
        response: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let info = py
            .detach(|| {
                ceremony.with(|c| self.inner.finish_passkey_enrolment(c, username, response))
            })
            .py_err()?;
        passkey_dict(py, &info)
    }

    /// The user's passkeys, oldest first: dicts of `credential_id`, `name`,
    /// `rp_id`, `created`, `last_used`.
    fn passkeys<'py>(&self, py: Python<'py>, username: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let list = py.detach(|| self.inner.passkeys(username)).py_err()?;
        list.iter().map(|p| passkey_dict(py, p)).collect()
    }

    /// Whether any user has a passkey.
    fn any_passkeys(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.inner.any_passkeys()).py_err()
    }

    /// Renames the user's passkey.
    fn rename_passkey(
        &self,
        py: Python<'_>,
        username: &str,
        credential_id: &str,
        name: &str,
    ) -> PyResult<()> {
        py.detach(|| self.inner.rename_passkey(username, credential_id, name))
            .py_err()
    }

    /// Removes the user's passkey, after their password.
    fn remove_passkey(
        &self,
        py: Python<'_>,
        username: &str,
        credential_id: &str,
        password: &str,
    ) -> PyResult<()> {
        py.detach(|| self.inner.remove_passkey(username, credential_id, password))
            .py_err()
    }

    /// Starts a passkey sign-in for the page at `origin`: passwordless, or
    /// the second step of the login `challenge` waits for. The ceremony to
    /// keep and the options (JSON) for `navigator.credentials.get`.
    #[pyo3(signature = (origin, rp_id = None, challenge = None))]
    fn begin_passkey_login(
        &self,
        py: Python<'_>,
        origin: &str,
        rp_id: Option<&str>,
        challenge: Option<&TotpChallenge>,
    ) -> PyResult<(PasskeyCeremony, String)> {
        let (ceremony, options) = py
            .detach(|| {
                let rp = self.inner.relying_party(origin, rp_id)?;
                match challenge {
                    Some(challenge) => {
                        challenge.with(|c| self.inner.begin_passkey_login(&rp, Some(c)))
                    }
                    None => self.inner.begin_passkey_login(&rp, None),
                }
            })
            .py_err()?;
        Ok((PasskeyCeremony::new(ceremony), options))
    }

    /// Signs in with the passkey of the browser's `response` to a
    /// passwordless ceremony; raises `CodeRefused`, `AccountLocked`,
    /// `TooManyUsers` or `SessionExists`.
    #[pyo3(signature = (ceremony, response, *, max_login_attempts = None, max_concurrent_users = None, single_session = false))]
    fn finish_passkey_login(
        &self,
        py: Python<'_>,
        ceremony: &PasskeyCeremony,
        response: &str,
        max_login_attempts: Option<u32>,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> PyResult<LoginResult> {
        let req = PasskeyLoginRequest {
            max_login_attempts,
            max_concurrent_users,
            single_session,
        };
        let login = py
            .detach(|| ceremony.with(|c| self.inner.finish_passkey_login(c, response, &req)))
            .py_err()?;
        login_result(py, login)
    }

    /// Opens the session of a `TotpChallenge` with the passkey of the
    /// browser's `response` to its second-step ceremony.
    fn finish_passkey_second_factor(
        &self,
        py: Python<'_>,
        challenge: &TotpChallenge,
        ceremony: &PasskeyCeremony,
        response: &str,
    ) -> PyResult<LoginResult> {
        let login = py
            .detach(|| {
                challenge.with(|t| {
                    ceremony.with(|c| self.inner.finish_passkey_second_factor(t, c, response))
                })
            })
            .py_err()?;
        login_result(py, login)
    }

    /// Logs in from a cookie token; raises `TokenRefused` if it is no good.
    #[pyo3(signature = (token, *, max_concurrent_users = None, single_session = false))]
    fn resume(
        &self,
        py: Python<'_>,
        token: &str,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> PyResult<LoginResult> {
        let login = py
            .detach(|| {
                self.inner
                    .resume(token, max_concurrent_users, single_session)
            })
            .py_err()?;
        login_result(py, login)
    }

    /// The user of a live session, or `None` if it ended.
    fn check_session<'py>(
        &self,
        py: Python<'py>,
        session_id: &str,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let user = py
            .detach(|| self.inner.check_session(session_id))
            .py_err()?;
        user.map(|u| user_dict(py, &u)).transpose()
    }

    /// Ends a session everywhere.
    fn logout(&self, py: Python<'_>, session_id: &str) -> PyResult<()> {
        py.detach(|| self.inner.logout(session_id)).py_err()
    }

    /// Registers a user; returns their public fields.
    /// `pre_authorized`: a list of emails, or `None` for the store's list
    /// (if it keeps one); `anyone=True` lifts every restriction.
    /// `dry_run=True` checks everything without adding the user (and
    /// returns `None`): a registration waiting for a mailed code.
    /// `captcha=(captcha_id, entered)` is checked first (`CaptchaRefused`),
    /// then `checks()` (the app's `Validator`, which raises to refuse; what
    /// it raises comes through as it is), then the registration.
    #[pyo3(signature = (*, username, email, first_name, last_name, password, password_repeat, password_hint = None, pre_authorized = None, anyone = false, domains = None, roles = None, awaiting_verification = false, dry_run = false, captcha = None, checks = None))]
    #[allow(clippy::too_many_arguments)]
    fn register<'py>(
        &self,
        py: Python<'py>,
        username: &str,
        email: &str,
        first_name: &str,
        last_name: &str,
        password: &str,
        password_repeat: &str,
        password_hint: Option<&str>,
        pre_authorized: Option<Vec<String>>,
        anyone: bool,
        domains: Option<Vec<String>>,
        roles: Option<Vec<String>>,
        awaiting_verification: bool,
        dry_run: bool,
        captcha: Option<(String, String)>,
        checks: Option<Py<PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let pre_authorized = match (&pre_authorized, anyone) {
            (_, true) => PreAuthorization::Anyone,
            (Some(list), false) => PreAuthorization::List(list),
            (None, false) => PreAuthorization::StoreList,
        };
        let reg = Registration {
            username,
            email,
            first_name,
            last_name,
            password,
            password_repeat,
            password_hint,
            pre_authorized,
            domains: domains.as_deref(),
            roles: roles.as_deref(),
            awaiting_verification,
        };
        let user = Guard::new(captcha, checks).run(py, &self.inner, || {
            if dry_run {
                self.inner.check_registration(&reg).map(|()| None)
            } else {
                self.inner.register(&reg).map(Some)
            }
        })?;
        user.map(|u| user_dict(py, &u)).transpose()
    }

    /// Changes the password after checking the current one; ends every
    /// session of the user and returns a new one for the caller.
    fn reset_password(
        &self,
        py: Python<'_>,
        username: &str,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> PyResult<LoginResult> {
        let login = py
            .detach(|| self.inner.reset_password(username, current, new, repeat))
            .py_err()?;
        login_result(py, login)
    }

    /// Issues a random password: `(user, password)`, or `None` for an
    /// unknown user; after the form's `captcha`.
    #[pyo3(signature = (username, *, captcha = None))]
    fn forgot_password<'py>(
        &self,
        py: Python<'py>,
        username: &str,
        captcha: Option<(String, String)>,
    ) -> PyResult<Option<(Bound<'py, PyDict>, String)>> {
        let issued = Guard::new(captcha, None)
            .run(py, &self.inner, || self.inner.forgot_password(username))?;
        issued
            .map(|i| Ok((user_dict(py, &i.user)?, i.password)))
            .transpose()
    }

    /// Withdraws a password `forgot_password` issued whose mail failed,
    /// unless a newer one replaced it; whether it was withdrawn.
    fn withdraw_password(&self, py: Python<'_>, username: &str, password: &str) -> PyResult<bool> {
        py.detach(|| self.inner.withdraw_password(username, password))
            .py_err()
    }

    /// The user registered with `email`, or `None`; after the form's `captcha`.
    #[pyo3(signature = (email, *, captcha = None))]
    fn forgot_username<'py>(
        &self,
        py: Python<'py>,
        email: &str,
        captcha: Option<(String, String)>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let user =
            Guard::new(captcha, None).run(py, &self.inner, || self.inner.forgot_username(email))?;
        user.map(|u| user_dict(py, &u)).transpose()
    }

    /// Changes `first_name`, `last_name` or `email`; returns the user.
    #[pyo3(signature = (username, field, value, password = None))]
    fn update_details<'py>(
        &self,
        py: Python<'py>,
        username: &str,
        field: &str,
        value: &str,
        password: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let user = py
            .detach(|| self.inner.update_details(username, field, value, password))
            .py_err()?;
        user_dict(py, &user)
    }

    /// A fresh cookie token for a live session (after its details changed).
    fn refresh_token(&self, py: Python<'_>, session_id: &str) -> PyResult<Option<String>> {
        py.detach(|| self.inner.refresh_token(session_id)).py_err()
    }

    /// Issues a code for `purpose` (`register`, `forgot_password`,
    /// `forgot_username`, `login`) to the owner of `name`: the challenge to
    /// keep, and `{"email", "code", "user"}` to mail, or `None` to send
    /// nothing (nobody has the name). `binding`: the form contents the
    /// action will run with; `captcha`: the form's, checked first.
    #[pyo3(signature = (purpose, name, binding = Vec::new(), client = None, *, captcha = None))]
    fn issue_code<'py>(
        &self,
        py: Python<'py>,
        purpose: &str,
        name: &str,
        binding: Vec<String>,
        client: Option<&str>,
        captcha: Option<(String, String)>,
    ) -> PyResult<(CodeChallenge, Option<Bound<'py, PyDict>>)> {
        let purpose = CodePurpose::parse(purpose).py_err()?;
        let binding: Vec<&str> = binding.iter().map(String::as_str).collect();
        let issued = Guard::new(captcha, None).run(py, &self.inner, || {
            self.inner.issue_code(purpose, name, &binding, client)
        })?;
        issued_code(py, issued)
    }

    /// Checks a code against `challenge` (raises `WrongCode` or
    /// `CodeRefused`); on success the challenge is confirmed.
    fn confirm_code(&self, py: Python<'_>, challenge: &CodeChallenge, code: &str) -> PyResult<()> {
        py.detach(|| challenge.with(|c| self.inner.confirm_code(c, code)))
            .py_err()
    }

    /// Spends a confirmed `challenge` on `purpose` with the same `binding`
    /// it was issued with; returns the name it was issued for.
    #[pyo3(signature = (challenge, purpose, binding = Vec::new()))]
    fn spend_code(
        &self,
        challenge: &CodeChallenge,
        purpose: &str,
        binding: Vec<String>,
    ) -> PyResult<String> {
        let purpose = CodePurpose::parse(purpose).py_err()?;
        let binding: Vec<&str> = binding.iter().map(String::as_str).collect();
        challenge
            .with(|c| self.inner.spend_code(c, purpose, &binding))
            .py_err()
    }

    /// A password-reset link token for `username` and the user to mail it
    /// to; `None` for an unknown name or a guest; after the form's `captcha`.
    #[pyo3(signature = (username, *, captcha = None))]
    fn reset_link<'py>(
        &self,
        py: Python<'py>,
        username: &str,
        captcha: Option<(String, String)>,
    ) -> PyResult<Option<(Bound<'py, PyDict>, String)>> {
        let issued =
            Guard::new(captcha, None).run(py, &self.inner, || self.inner.reset_link(username))?;
        issued_link(py, issued)
    }

    /// The user a reset link is for; raises `LinkRefused` if it is forged,
    /// expired or used.
    fn check_reset_link<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyDict>> {
        let user = py.detach(|| self.inner.check_reset_link(token)).py_err()?;
        user_dict(py, &user)
    }

    /// A verification link token for `username` and the user to mail it
    /// to, while the account awaits verification; `None` otherwise.
    fn verification_link<'py>(
        &self,
        py: Python<'py>,
        username: &str,
    ) -> PyResult<Option<(Bound<'py, PyDict>, String)>> {
        let issued = py
            .detach(|| self.inner.verification_link(username))
            .py_err()?;
        issued_link(py, issued)
    }

    /// Marks the account a verification link is for verified; returns the
    /// user. Raises `LinkRefused` for a forged, expired or used link.
    fn verify_email<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyDict>> {
        let user = py.detach(|| self.inner.verify_email(token)).py_err()?;
        user_dict(py, &user)
    }

    /// Sets the password through a reset link; ends the user's sessions.
    fn reset_with_link<'py>(
        &self,
        py: Python<'py>,
        token: &str,
        new: &str,
        repeat: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let user = py
            .detach(|| self.inner.reset_with_link(token, new, repeat))
            .py_err()?;
        user_dict(py, &user)
    }

    /// Users whose username, email or name contains `query`: a page of
    /// dicts (the user's fields, `locked_until`, `sessions`) and the total.
    #[pyo3(signature = (query = "", offset = 0, limit = 20))]
    fn find_users<'py>(
        &self,
        py: Python<'py>,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> PyResult<(Vec<Bound<'py, PyDict>>, usize)> {
        let (page, total) = py
            .detach(|| self.inner.find_users(query, offset, limit))
            .py_err()?;
        let page = page
            .into_iter()
            .map(|s| {
                let d = user_dict(py, &s.user)?;
                d.set_item("locked_until", s.locked_until)?;
                d.set_item("sessions", s.sessions)?;
                Ok(d)
            })
            .collect::<PyResult<_>>()?;
        Ok((page, total))
    }

    /// Gives `username` these roles (`None`: none), audited as `admin`'s.
    #[pyo3(signature = (admin, username, roles))]
    fn admin_set_roles<'py>(
        &self,
        py: Python<'py>,
        admin: &str,
        username: &str,
        roles: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let user = py
            .detach(|| self.inner.admin_set_roles(admin, username, roles))
            .py_err()?;
        user_dict(py, &user)
    }

    /// Locks `username` (`minutes=None`: until unlocked), ending their
    /// sessions; returns how many ended.
    #[pyo3(signature = (admin, username, minutes = None))]
    fn admin_lock(
        &self,
        py: Python<'_>,
        admin: &str,
        username: &str,
        minutes: Option<f64>,
    ) -> PyResult<usize> {
        py.detach(|| self.inner.admin_lock(admin, username, minutes))
            .py_err()
    }

    /// Adds an account, audited as `admin`'s; `password=None` starts it with
    /// a random password nobody knows (the owner sets one by a reset link).
    #[pyo3(signature = (admin, *, username, email, first_name = "", last_name = "", password = None, roles = None))]
    #[allow(clippy::too_many_arguments)]
    fn admin_add_user<'py>(
        &self,
        py: Python<'py>,
        admin: &str,
        username: &str,
        email: &str,
        first_name: &str,
        last_name: &str,
        password: Option<&str>,
        roles: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let account = NewAccount {
            username,
            email,
            first_name,
            last_name,
            password,
            roles: roles.as_deref(),
        };
        let user = py
            .detach(|| self.inner.admin_add_user(admin, &account))
            .py_err()?;
        user_dict(py, &user)
    }

    /// The store's pre-authorized emails, if it keeps a list.
    fn preauthorized_emails(&self, py: Python<'_>) -> PyResult<Option<Vec<String>>> {
        py.detach(|| self.inner.preauthorized_emails()).py_err()
    }

    /// Adds `add` to and removes `remove` from the store's pre-authorized
    /// list, audited as `admin`'s; returns the list.
    #[pyo3(signature = (admin, add = Vec::new(), remove = Vec::new()))]
    fn admin_edit_preauthorized(
        &self,
        py: Python<'_>,
        admin: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.admin_edit_preauthorized(admin, &add, &remove))
            .py_err()
    }

    /// Lifts the lock on `username`.
    fn admin_unlock(&self, py: Python<'_>, admin: &str, username: &str) -> PyResult<()> {
        py.detach(|| self.inner.admin_unlock(admin, username))
            .py_err()
    }

    /// Ends every session of `username`; returns how many.
    fn admin_end_sessions(&self, py: Python<'_>, admin: &str, username: &str) -> PyResult<usize> {
        py.detach(|| self.inner.admin_end_sessions(admin, username))
            .py_err()
    }

    /// Removes `username`.
    fn admin_remove_user(&self, py: Python<'_>, admin: &str, username: &str) -> PyResult<()> {
        py.detach(|| self.inner.admin_remove_user(admin, username))
            .py_err()
    }

    /// Whether `username` must set up a second factor before using the app.
    fn must_enroll_second_factor(&self, py: Python<'_>, username: &str) -> PyResult<bool> {
        py.detach(|| self.inner.must_enroll_second_factor(username))
            .py_err()
    }

    /// Keeps the browser's `User-Agent` with a session just opened.
    fn label_session(&self, py: Python<'_>, session_id: &str, user_agent: &str) -> PyResult<()> {
        py.detach(|| self.inner.label_session(session_id, user_agent))
            .py_err()
    }

    /// `username`'s unexpired sessions, most recently used first, as dicts
    /// (`id`, `created`, `last_seen`, `expires`, `device`).
    fn sessions_of_user<'py>(
        &self,
        py: Python<'py>,
        username: &str,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let sessions = py
            .detach(|| self.inner.sessions_of_user(username))
            .py_err()?;
        sessions
            .into_iter()
            .map(|s| {
                let d = PyDict::new(py);
                d.set_item("id", s.session.id)?;
                d.set_item("created", s.session.created)?;
                d.set_item("last_seen", s.session.last_seen)?;
                d.set_item("expires", s.session.expires)?;
                d.set_item("device", s.device)?;
                Ok(d)
            })
            .collect()
    }

    /// Ends `username`'s own session `session_id`.
    fn end_own_session(&self, py: Python<'_>, username: &str, session_id: &str) -> PyResult<()> {
        py.detach(|| self.inner.end_own_session(username, session_id))
            .py_err()
    }

    /// Ends every session of `username` but `keep`; returns how many.
    fn end_other_sessions(&self, py: Python<'_>, username: &str, keep: &str) -> PyResult<usize> {
        py.detach(|| self.inner.end_other_sessions(username, keep))
            .py_err()
    }

    /// The newest `limit` audit events, newest first, as dicts.
    #[pyo3(signature = (limit = 100))]
    fn audit_trail<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let events = py.detach(|| self.inner.audit_trail(limit)).py_err()?;
        events
            .into_iter()
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("time", e.time)?;
                d.set_item("kind", e.kind)?;
                d.set_item("username", e.username)?;
                d.set_item("detail", e.detail)?;
                Ok(d)
            })
            .collect()
    }

    /// The max-age of the login cookie in seconds (`0`: no cookie).
    #[getter]
    fn cookie_max_age(&self) -> f64 {
        self.inner.cookie_max_age()
    }

    /// The SMTP settings the store keeps — a database's `smtp` setting
    /// (`authgate settings smtp`), a config file's `smtp:` section — as the
    /// dict `Mailer` takes, password included; `None` when there are none
    /// (always in dict mode, whose app passes its own).
    fn smtp_settings<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let settings = py.detach(|| self.inner.store().smtp_settings()).py_err()?;
        settings
            .map(|s| crate::convert::to_py(py, s.section()))
            .transpose()
    }
}

/// A mailed link's user (as a dict) and token, or `None`.
fn issued_link(
    py: Python<'_>,
    issued: Option<(User, String)>,
) -> PyResult<Option<(Bound<'_, PyDict>, String)>> {
    issued
        .map(|(user, token)| Ok((user_dict(py, &user)?, token)))
        .transpose()
}

/// A challenge to keep and `{"email", "code", "user"}` to mail (or `None`).
fn issued_code(
    py: Python<'_>,
    issued: IssuedCode,
) -> PyResult<(CodeChallenge, Option<Bound<'_, PyDict>>)> {
    let delivery = issued
        .delivery
        .map(|d| {
            let out = PyDict::new(py);
            out.set_item("email", &d.email)?;
            out.set_item("code", &d.code)?;
            out.set_item("user", d.user.map(|u| user_dict(py, &u)).transpose()?)?;
            Ok::<_, PyErr>(out)
        })
        .transpose()?;
    Ok((CodeChallenge::new(issued.challenge), delivery))
}

pub(crate) fn login_result(py: Python<'_>, login: auth::Login) -> PyResult<LoginResult> {
    Ok(LoginResult {
        user: user_dict(py, &login.user)?.unbind(),
        session_id: login.session.id,
        token: login.token,
        expires: login.session.expires,
    })
}

/// The `username` of a user dict made by [`user_dict`], for `__repr__`.
pub(crate) fn username_in(py: Python<'_>, user: &Py<PyDict>) -> String {
    user.bind(py)
        .get_item("username")
        .ok()
        .flatten()
        .map(|u| u.to_string())
        .unwrap_or_default()
}

/// The public fields of a user as a dict; never the password hash.
pub fn user_dict<'py>(py: Python<'py>, user: &User) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("username", &user.username)?;
    d.set_item("name", user.display_name())?;
    d.set_item("email", &user.email)?;
    d.set_item("first_name", &user.first_name)?;
    d.set_item("last_name", &user.last_name)?;
    d.set_item("roles", &user.roles)?;
    Ok(d)
}

/// Why `key` must not sign cookies (`None` if it may): the core's rule,
/// for a message or `authgate check`; the key is never in the text.
#[pyfunction]
pub fn cookie_key_weakness(key: &str) -> Option<String> {
    authgate::token::key_weakness(key).map(|w| w.to_string())
}
