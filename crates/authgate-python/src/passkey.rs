//! `PasskeyCeremony`: what a Streamlit session keeps between the WebAuthn
//! options it sends the browser and the response it gets back
//! ([`authgate::passkey`]). It never leaves the process.

use std::sync::{Mutex, PoisonError};

use authgate::passkey::{self, PasskeyInfo};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One passkey ceremony (enrolment, sign-in or a login's second step):
/// single use, expiring; it holds the challenge, never shown.
#[pyclass(module = "authgate._core", frozen)]
pub struct PasskeyCeremony {
    inner: Mutex<passkey::PasskeyCeremony>,
}

impl PasskeyCeremony {
    pub(crate) fn new(inner: passkey::PasskeyCeremony) -> Self {
        PasskeyCeremony {
            inner: Mutex::new(inner),
        }
    }

    /// Runs `f` on the ceremony (a poisoned lock is taken over: spending it
    /// is one field write).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut passkey::PasskeyCeremony) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[pymethods]
impl PasskeyCeremony {
    /// `enrol`, `sign-in` or `second-factor`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.with(|c| c.kind())
    }

    /// The user it was begun for; `None` for passwordless sign-in.
    #[getter]
    fn username(&self) -> Option<String> {
        self.with(|c| c.username().map(str::to_string))
    }

    /// The origin it was begun for.
    #[getter]
    fn origin(&self) -> String {
        self.with(|c| c.rp().origin().to_string())
    }

    /// The RP id it was begun for.
    #[getter]
    fn rp_id(&self) -> String {
        self.with(|c| c.rp().id().to_string())
    }

    /// When it stops taking a response, Unix seconds.
    #[getter]
    fn expires(&self) -> f64 {
        self.with(|c| c.expires())
    }

    /// Whether it took a response already.
    #[getter]
    fn spent(&self) -> bool {
        self.with(|c| c.is_spent())
    }

    fn __repr__(&self) -> String {
        self.with(|c| {
            format!(
                "PasskeyCeremony(kind={:?}, username={:?}, spent={})",
                c.kind(),
                c.username(),
                c.is_spent()
            )
        })
    }
}

/// A passkey as its owner's list shows it: `credential_id`, `name`,
/// `rp_id`, `created`, `last_used`.
pub(crate) fn passkey_dict<'py>(py: Python<'py>, p: &PasskeyInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("credential_id", &p.credential_id)?;
    d.set_item("name", &p.name)?;
    d.set_item("rp_id", &p.rp_id)?;
    d.set_item("created", p.created)?;
    d.set_item("last_used", p.last_used)?;
    Ok(d)
}
