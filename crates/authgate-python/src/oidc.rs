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
use pyo3::prelude::*;

use crate::auth::{login_result, Authenticator, LoginResult};
use crate::convert;
use crate::errors::IntoPyResult;

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

    /// Finishes a login from the provider's redirect through
    /// `authenticator`: checks `state` against the browser's `bindings`,
    /// exchanges `code`, verifies the ID token, registers or updates the
    /// guest and opens a session under the limits, with its cookie token,
    /// as `Authenticator.login` does.
    #[pyo3(signature = (authenticator, *, state, code = None, error = None, bindings, max_concurrent_users = None, single_session = false, roles = None))]
    #[allow(clippy::too_many_arguments)]
    fn guest_login(
        &self,
        py: Python<'_>,
        authenticator: &Authenticator,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
        bindings: Vec<String>,
        max_concurrent_users: Option<u32>,
        single_session: bool,
        roles: Option<Vec<String>>,
    ) -> PyResult<LoginResult> {
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
        };
        let login = py
            .detach(|| {
                authenticator
                    .inner
                    .guest_login(&self.inner, &callback, &request)
            })
            .py_err()?;
        login_result(py, login)
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

/// Adds `OidcClient`, `new_browser_binding` and `oauth2_settings` to the
/// module (`OidcError` is added with the other
/// exceptions, by [`crate::errors::register`]).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<OidcClient>()?;
    m.add_function(wrap_pyfunction!(new_browser_binding, m)?)?;
    m.add("BROWSER_BINDING_MAX_AGE", oidc::BROWSER_BINDING_MAX_AGE)?;
    m.add_function(wrap_pyfunction!(oauth2_settings, m)?)?;
    Ok(())
}
