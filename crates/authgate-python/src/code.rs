//! `CodeChallenge`: what a Streamlit session keeps while a mailed code is
//! on its way ([`authgate::email_code`]).

use std::sync::{Mutex, PoisonError};

use authgate::email_code;
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
