//! Captchas for Python: the picture is drawn off the GIL; the answer stays
//! in the core's registry ([`authgate::captcha_registry`]), the app keeps
//! only an id.

use authgate::captcha_registry::{self, Shown, Verdict};
use authgate::clock::{Clock, SystemClock};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::IntoPyResult;

/// A new captcha: `(png_bytes, captcha_id)`. Show the PNG; keep the id
/// server-side (in `session_state`) and pass it to `answer_captcha`.
/// `answer` (1 to 6 digits) picks what it shows: for apps that pick their
/// own answers, and for tests that must answer one.
#[pyfunction]
#[pyo3(signature = (answer = None))]
fn new_captcha<'py>(
    py: Python<'py>,
    answer: Option<&str>,
) -> PyResult<(Bound<'py, PyBytes>, String)> {
    let now = SystemClock.now();
    let shown = py
        .detach(|| match answer {
            Some(answer) => captcha_registry::show_with_answer(answer, now),
            None => captcha_registry::show(now),
        })
        .py_err()?;
    Ok(to_py(py, shown))
}

/// Answers the captcha `captcha_id` with `entered`: `(verdict, png_bytes,
/// next_id)`, the verdict `"right"`, `"not_entered"` or `"wrong"`, then the
/// next captcha to show in its place. The id is used up whatever the
/// verdict.
#[pyfunction]
fn answer_captcha<'py>(
    py: Python<'py>,
    captcha_id: &str,
    entered: &str,
) -> PyResult<(&'static str, Bound<'py, PyBytes>, String)> {
    let now = SystemClock.now();
    let (verdict, next) = py
        .detach(|| captcha_registry::answer(captcha_id, entered, now))
        .py_err()?;
    let verdict = match verdict {
        Verdict::Right => "right",
        Verdict::NotEntered => "not_entered",
        Verdict::Wrong => "wrong",
    };
    let (png, id) = to_py(py, next);
    Ok((verdict, png, id))
}

fn to_py(py: Python<'_>, shown: Shown) -> (Bound<'_, PyBytes>, String) {
    (PyBytes::new(py, &shown.png), shown.id)
}

/// Adds `new_captcha` and `answer_captcha` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(new_captcha, m)?)?;
    m.add_function(wrap_pyfunction!(answer_captcha, m)?)?;
    Ok(())
}
