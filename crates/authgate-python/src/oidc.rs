//! OpenID Connect guest login for Python: `OidcClient`, with the GIL
//! released around every request to the provider and every store write.
//!
//! Errors go through the one mapping in [`crate::errors`]: refusals of the
//! flow (`authgate::Error::Oidc`) raise `OidcError` (a subclass of
//! `AuthgateError`) with the core's message; other errors of the core
//! (limits, store) raise their usual classes (`TooManyUsers`,
//! `SessionExists`, `StoreError`, …).

use std::path::PathBuf;

use authgate::clock::{Clock, SystemClock};
use authgate::oidc::{self, Callback, ClientConfig, GuestLoginRequest, StateOwner};
use authgate::session::SessionPolicy;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;
use crate::errors::IntoPyResult;
use crate::store::Store;

/// A login that finished: the guest, their new session.
#[pyclass(module = "authgate._core", frozen, get_all)]
pub struct GuestLoginResult {
    /// Public fields of the user (`username`, `name`, `email`, `roles`, …).
    user: Py<PyDict>,
    /// The server-side session id.
    session_id: String,
    /// When the session expires, Unix seconds.
    expires: f64,
    /// The issuer that vouched for the user.
    issuer: String,
    /// `picture` claim of the ID token, if an https URL.
    picture: Option<String>,
}

#[pymethods]
impl GuestLoginResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        let username = crate::auth::username_in(py, &self.user);
        format!(
            "GuestLoginResult(username={username:?}, issuer={:?})",
            self.issuer
        )
    }
}

/// One OAuth client at one OpenID provider.
///
/// `OidcClient(name, settings)`: `name` is `'google'`, `'microsoft'` or any
/// other name (or `None`) for a provider found by discovery; `settings` the
/// `oauth2.<name>` mapping (`client_id`, `client_secret`, `redirect_uri`,
/// `tenant_id`, `server_metadata_url`, `issuer`, `scope`,
/// `allow_unverified_email`). Raises `OidcError` naming a bad setting.
#[pyclass(module = "authgate._core", frozen)]
pub struct OidcClient {
    inner: oidc::OidcClient,
}

#[pymethods]
impl OidcClient {
    #[new]
    #[pyo3(signature = (name, settings))]
    fn new(name: Option<&str>, settings: &Bound<'_, PyAny>) -> PyResult<Self> {
        let settings = convert::from_py(settings)?;
        let config = ClientConfig::from_settings(name, &settings).py_err()?;
        Ok(OidcClient {
            inner: oidc::OidcClient::new(config),
        })
    }

    /// Starts a login from the browser holding `binding`: returns
    /// `(authorization_url, state, expires)`. Fetches the discovery document
    /// the first time (then from the cache).
    fn begin(&self, py: Python<'_>, binding: &str) -> PyResult<(String, String, f64)> {
        let request = py
            .detach(|| self.inner.begin(binding, SystemClock.now()))
            .py_err()?;
        Ok((request.url, request.state, request.expires))
    }

    /// Who started the login under a redirect's `state`: `'this'` client,
    /// an `'other'` one, or `'unknown'` (forged, used or expired). Does not
    /// use the state up.
    fn state_owner(&self, state: &str) -> &'static str {
        match self.inner.state_owner(state, SystemClock.now()) {
            StateOwner::This => "this",
            StateOwner::Other => "other",
            StateOwner::Unknown => "unknown",
        }
    }

    /// Finishes a login from the provider's redirect: checks `state` against
    /// the browser's `bindings`, exchanges `code`, verifies the ID token,
    /// registers or updates the guest and opens a session under the limits.
    ///
    /// The cookie token is not issued here: get it with
    /// `Authenticator.refresh_token(result.session_id)`.
    #[pyo3(signature = (store, *, state, code = None, error = None, bindings, max_concurrent_users = None, single_session = false, roles = None, cookie_expiry_days = 30.0, idle_timeout = None))]
    #[allow(clippy::too_many_arguments)]
    fn guest_login(
        &self,
        py: Python<'_>,
        store: &Store,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
        bindings: Vec<String>,
        max_concurrent_users: Option<u32>,
        single_session: bool,
        roles: Option<Vec<String>>,
        cookie_expiry_days: f64,
        idle_timeout: Option<f64>,
    ) -> PyResult<GuestLoginResult> {
        let bindings: Vec<&str> = bindings.iter().map(String::as_str).collect();
        let callback = Callback {
            state,
            code,
            error,
            bindings: &bindings,
        };
        let request = GuestLoginRequest {
            max_concurrent_users,
            single_session,
            roles: roles.as_deref(),
            cookie_expiry_days,
            idle_timeout: idle_timeout.unwrap_or(SessionPolicy::default().idle_timeout),
        };
        let guest = py
            .detach(|| {
                oidc::guest_login(
                    store.inner.as_ref(),
                    &self.inner,
                    &callback,
                    &request,
                    SystemClock.now(),
                )
            })
            .py_err()?;
        Ok(GuestLoginResult {
            user: crate::auth::user_dict(py, &guest.user)?.unbind(),
            session_id: guest.session.id,
            expires: guest.session.expires,
            issuer: guest.identity.issuer,
            picture: guest.identity.picture,
        })
    }

    fn __repr__(&self) -> String {
        let config = self.inner.config();
        format!(
            "OidcClient(metadata={:?}, client_id={:?})",
            config.provider.metadata_url(),
            config.client_id
        )
    }
}

/// A new random browser binding (256 bits, base64url) for `OidcClient.begin`.
#[pyfunction]
fn new_browser_binding() -> PyResult<String> {
    oidc::new_browser_binding().py_err()
}

/// The `oauth2` section of the config file at `path`, or `None`; parsed
/// again only when the file changed.
#[pyfunction]
fn oauth2_settings(py: Python<'_>, path: PathBuf) -> PyResult<Option<Bound<'_, PyAny>>> {
    let section = py.detach(|| oidc::oauth2_section(&path)).py_err()?;
    section.map(|s| convert::to_py(py, &s)).transpose()
}

/// Adds `OidcClient`, `GuestLoginResult`, `new_browser_binding` and
/// `oauth2_settings` to the module (`OidcError` is added with the other
/// exceptions, by [`crate::errors::register`]).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<OidcClient>()?;
    m.add_class::<GuestLoginResult>()?;
    m.add_function(wrap_pyfunction!(new_browser_binding, m)?)?;
    m.add_function(wrap_pyfunction!(oauth2_settings, m)?)?;
    Ok(())
}
