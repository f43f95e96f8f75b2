//! Captchas for Python: the picture is drawn off the GIL.

use authgate::captcha::{self, Challenge};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::IntoPyResult;

/// A new captcha: `(png_bytes, challenge_token)`.
///
/// Show the PNG; keep the token server-side (in `session_state`) and pass it
/// to `check_captcha` with what the user typed. Draw a new captcha after
/// every attempt.
#[pyfunction]
fn new_captcha(py: Python<'_>) -> PyResult<(Bound<'_, PyBytes>, String)> {
    let captcha = py.detach(captcha::generate).py_err()?;
    Ok(to_py(py, &captcha))
}

/// A captcha showing `answer` (1 to 6 digits): for apps that pick their own
/// answers, and for tests that must answer one.
#[pyfunction]
fn captcha_with_answer<'py>(
    py: Python<'py>,
    answer: &str,
) -> PyResult<(Bound<'py, PyBytes>, String)> {
    let captcha = py
        .detach(|| captcha::generate_with_answer(answer))
        .py_err()?;
    Ok(to_py(py, &captcha))
}

fn to_py<'py>(py: Python<'py>, captcha: &captcha::Captcha) -> (Bound<'py, PyBytes>, String) {
    (PyBytes::new(py, &captcha.png), captcha.challenge.to_token())
}

/// Whether `entered` (surrounding whitespace ignored) answers the captcha
/// whose token is `challenge_token`; a malformed token raises `InvalidInput`.
#[pyfunction]
fn check_captcha(challenge_token: &str, entered: &str) -> PyResult<bool> {
    Ok(Challenge::from_token(challenge_token)
        .py_err()?
        .verify(entered))
}

/// Adds `new_captcha` and `check_captcha` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(new_captcha, m)?)?;
    m.add_function(wrap_pyfunction!(captcha_with_answer, m)?)?;
    m.add_function(wrap_pyfunction!(check_captcha, m)?)?;
    Ok(())
}
