//! What a Streamlit session keeps between the steps of a login or an
//! action: `CodeChallenge` while a mailed code is on its way
//! ([`authgate::email_code`]), `TotpChallenge` while a login waits for the
//! authenticator app's code ([`authgate::second_factor`]).

use std::sync::{Mutex, PoisonError};

use authgate::{email_code, second_factor};
use pyo3::prelude::*;

/// A challenge for one mailed code; it holds the code's HMAC, never the code.
#[pyclass(module = "authgate._core", frozen)]
pub struct CodeChallenge {
    inner: Mutex<email_code::CodeChallenge>,
}

impl CodeChallenge {
    pub(crate) fn new(inner: email_code::CodeChallenge) -> Self {
        CodeChallenge {
            inner: Mutex::new(inner),
        }
    }

    /// Runs `f` on the challenge; a panic elsewhere cannot leave it half-changed
    /// (each change is one field write), so a poisoned lock is taken over.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut email_code::CodeChallenge) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[pymethods]
impl CodeChallenge {
    /// The action it unlocks: `register`, `forgot_password`, `forgot_username` or `login`.
    #[getter]
    fn purpose(&self) -> &'static str {
        self.with(|c| c.purpose().as_str())
    }

    /// Whether its code was confirmed and its action not yet taken.
    #[getter]
    fn confirmed(&self) -> bool {
        self.with(|c| c.is_confirmed())
    }

    /// Codes it still takes.
    #[getter]
    fn tries_left(&self) -> u32 {
        self.with(|c| c.tries_left())
    }

    /// When it stops working, Unix seconds.
    #[getter]
    fn expires(&self) -> f64 {
        self.with(|c| c.expires())
    }

    fn __repr__(&self) -> String {
        self.with(|c| {
            format!(
                "CodeChallenge(purpose={:?}, confirmed={}, tries_left={})",
                c.purpose().as_str(),
                c.is_confirmed(),
                c.tries_left()
            )
        })
    }
}

/// A login whose password was right, waiting for its second factor (the
/// authenticator app's code or a passkey); it holds no secret.
#[pyclass(module = "authgate._core", frozen)]
pub struct TotpChallenge {
    inner: Mutex<second_factor::TotpChallenge>,
}

impl TotpChallenge {
    pub(crate) fn new(inner: second_factor::TotpChallenge) -> Self {
        TotpChallenge {
            inner: Mutex::new(inner),
        }
    }

    /// Runs `f` on the challenge (a poisoned lock is taken over: each change
    /// is one field write).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut second_factor::TotpChallenge) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[pymethods]
impl TotpChallenge {
    /// The user who typed the right password.
    #[getter]
    fn username(&self) -> String {
        self.with(|c| c.username().to_string())
    }

    /// When it stops taking codes, Unix seconds.
    #[getter]
    fn expires(&self) -> f64 {
        self.with(|c| c.expires())
    }

    /// Whether the user has an authenticator app (a code finishes the login).
    #[getter]
    fn totp(&self) -> bool {
        self.with(|c| c.totp())
    }

    /// Whether the user has a passkey (one finishes the login).
    #[getter]
    fn passkey(&self) -> bool {
        self.with(|c| c.passkey())
    }

    fn __repr__(&self) -> String {
        self.with(|c| format!("TotpChallenge(username={:?})", c.username()))
    }
}
