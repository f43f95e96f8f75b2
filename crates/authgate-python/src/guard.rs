//! A form's guard from Python: `captcha=(captcha_id, entered)`, and for a
//! registration `checks=` (the app's `Validator`: a callable that raises to
//! refuse). The order they are checked in is the core's
//! ([`authgate::form_guard`]); this module only converts, and hands back
//! what `checks` raised as it was raised.

use std::sync::{Mutex, PoisonError};

use authgate::auth;
use authgate::captcha_registry::CaptchaAnswer;
use authgate::form_guard::{AppChecks, FormGuard};
use authgate::Error;
use pyo3::prelude::*;

use crate::errors::to_py;

/// The guard of one core call.
pub struct Guard {
    captcha: Option<(String, String)>,
    checks: Option<Py<PyAny>>,
    /// What `checks` raised, to raise again unchanged.
    raised: Mutex<Option<PyErr>>,
}

impl Guard {
    /// A guard of `captcha` (`(captcha_id, entered)`) and `checks`.
    pub fn new(captcha: Option<(String, String)>, checks: Option<Py<PyAny>>) -> Self {
        Guard {
            captcha,
            checks,
            raised: Mutex::new(None),
        }
    }

    /// Runs `action` through [`auth::Authenticator::guarded`] with the GIL
    /// released (taken again for `checks`).
    pub fn run<T: Send>(
        &self,
        py: Python<'_>,
        auth: &auth::Authenticator,
        action: impl FnOnce() -> authgate::Result<T> + Send,
    ) -> PyResult<T> {
        let call = |checks: &Py<PyAny>| -> authgate::Result<()> {
            Python::attach(|py| checks.call0(py).map(drop)).map_err(|e| {
                *self.raised.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                Error::InvalidInput("refused by the app's checks".to_string())
            })
        };
        let checks = self.checks.as_ref().map(|c| move || call(c));
        let guard = FormGuard {
            captcha: self
                .captcha
                .as_ref()
                .map(|(id, entered)| CaptchaAnswer { id, entered }),
            app_checks: checks.as_ref().map(|f| f as &AppChecks<'_>),
        };
        let result = py.detach(|| auth.guarded(&guard, action));
        result.map_err(|e| {
            let raised = self
                .raised
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            raised.unwrap_or_else(|| to_py(e))
        })
    }
}
