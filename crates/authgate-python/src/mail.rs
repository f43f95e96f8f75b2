//! `Mailer`: email over the app's SMTP server, sent with the GIL released.

use authgate::mail::{self, Email, SmtpConfig};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert;
use crate::errors::IntoPyResult;

/// Sends mail through one SMTP server.
#[pyclass(module = "authgate._core", frozen)]
pub struct Mailer {
    inner: mail::Mailer,
    host: String,
}

#[pymethods]
impl Mailer {
    /// `config`: an `smtp[s]://` URL, or the `smtp:` section as a dict.
    #[new]
    fn new(config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let config = if let Ok(url) = config.extract::<String>() {
            SmtpConfig::from_url(&url).py_err()?
        } else if config.is_instance_of::<pyo3::types::PyDict>() {
            SmtpConfig::from_value(&convert::from_py(config)?).py_err()?
        } else {
            return Err(PyTypeError::new_err(
                "smtp must be an smtp:// URL or a dict of settings",
            ));
        };
        Ok(Mailer {
            inner: mail::Mailer::new(&config).py_err()?,
            host: config.host,
        })
    }

    /// Sends one message; raises `EmailError` if it cannot.
    #[pyo3(signature = (to, subject, text, html = None))]
    fn send(
        &self,
        py: Python<'_>,
        to: &str,
        subject: &str,
        text: &str,
        html: Option<&str>,
    ) -> PyResult<()> {
        let email = Email {
            to,
            subject,
            text,
            html,
        };
        py.detach(|| self.inner.send(&email)).py_err()
    }

    /// `"Name" <address>`, the name stripped of line breaks and quotes.
    #[staticmethod]
    fn recipient(name: &str, address: &str) -> String {
        mail::Mailer::recipient(name, address)
    }

    fn __repr__(&self) -> String {
        format!("Mailer(host={:?})", self.host)
    }
}
