//! HttpOnly cookie mode for Python: the nonce registry and the
//! `Set-Cookie` headers are the core's ([`authgate::cookie_route`]); the
//! Starlette routes only relay them.

use authgate::cookie_route::{self, Action, Staged};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// `(action, name, value, max_age, secure)`, as Python's `StagedCookie`.
type StagedTuple = (&'static str, String, Option<String>, u64, bool);

fn action(name: &str) -> PyResult<Action> {
    match name {
        "set" => Ok(Action::Set),
        "clear" => Ok(Action::Clear),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "action must be 'set' or 'clear', not {other:?}"
        ))),
    }
}

fn staged(
    act: &str,
    name: &str,
    value: Option<&str>,
    max_age: u64,
    secure: bool,
) -> PyResult<Staged> {
    let op = match action(act)? {
        Action::Set => Staged::set(name, value.unwrap_or(""), max_age),
        Action::Clear => Staged::clear(name),
    };
    Ok(op.py_err()?.secure(secure))
}

fn to_tuple(op: Staged) -> StagedTuple {
    let act = match op.action {
        Action::Set => "set",
        Action::Clear => "clear",
    };
    (act, op.name, op.value, op.max_age, op.secure)
}

/// The staged cookie operations of this process.
#[pyclass(module = "authgate._core", frozen)]
pub struct CookieNonces {
    inner: cookie_route::NonceRegistry,
}

#[pymethods]
impl CookieNonces {
    #[new]
    #[pyo3(signature = (ttl = cookie_route::NONCE_TTL, capacity = cookie_route::NONCE_CAPACITY))]
    fn new(ttl: f64, capacity: usize) -> PyResult<Self> {
        Ok(CookieNonces {
            inner: cookie_route::NonceRegistry::new(ttl, capacity).py_err()?,
        })
    }

    /// Keeps the operation; returns the nonce that performs it once.
    #[pyo3(signature = (action, name, value, max_age, secure, now))]
    fn stage(
        &self,
        action: &str,
        name: &str,
        value: Option<&str>,
        max_age: u64,
        secure: bool,
        now: f64,
    ) -> PyResult<String> {
        let op = staged(action, name, value, max_age, secure)?;
        self.inner.stage(op, now).py_err()
    }

    /// The operation staged under `nonce` for `action`, or `None`; the
    /// nonce is used up whatever the answer.
    fn take(&self, nonce: &str, action: &str, now: f64) -> PyResult<Option<StagedTuple>> {
        let action = self::action(action)?;
        Ok(self.inner.take(nonce, action, now).map(to_tuple))
    }

    /// Forgets a nonce that will not be used.
    fn discard(&self, nonce: &str) {
        self.inner.discard(nonce);
    }

    /// How many operations are still waiting at `now`.
    fn waiting(&self, now: f64) -> usize {
        self.inner.len(now)
    }
}

/// The `Set-Cookie` header values that perform an operation, for a
/// request that came over https (`request_https`) or not.
#[pyfunction]
#[pyo3(signature = (action, name, value, max_age, secure, request_https))]
fn cookie_headers(
    action: &str,
    name: &str,
    value: Option<&str>,
    max_age: u64,
    secure: bool,
    request_https: bool,
) -> PyResult<Vec<String>> {
    let op = staged(action, name, value, max_age, secure)?;
    Ok(cookie_route::set_cookie_headers(&op, request_https))
}

/// The cookie names that may hold the token, best first.
#[pyfunction]
fn cookie_names_to_read(name: &str, page_https: bool) -> Vec<String> {
    cookie_route::names_to_read(name, page_https)
}

/// Raises `InvalidInput` unless `name` can be a cookie's name.
#[pyfunction]
fn check_cookie_name(name: &str) -> PyResult<()> {
    cookie_route::check_name(name).py_err()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CookieNonces>()?;
    m.add_function(wrap_pyfunction!(cookie_headers, m)?)?;
    m.add_function(wrap_pyfunction!(check_cookie_name, m)?)?;
    m.add_function(wrap_pyfunction!(cookie_names_to_read, m)?)?;
    m.add("COOKIE_NONCE_TTL", cookie_route::NONCE_TTL)?;
    m.add("COOKIE_NONCE_CAPACITY", cookie_route::NONCE_CAPACITY)?;
    Ok(())
}
