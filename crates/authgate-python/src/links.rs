//! The page address mailed links point at (`authgate::link::address`).

use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// The page links point at: the app's `configured` address, else the
/// browser's `reported` one if it is on this machine.
#[pyfunction]
#[pyo3(signature = (configured, reported))]
pub fn link_page_address(configured: Option<&str>, reported: Option<&str>) -> PyResult<String> {
    authgate::link::address::page_address(configured, reported).py_err()
}

/// `page` with `token` as `param` in its query string.
#[pyfunction]
pub fn link_with_token(page: &str, param: &str, token: &str) -> String {
    authgate::link::address::with_token(page, param, token)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(link_page_address, m)?)?;
    m.add_function(wrap_pyfunction!(link_with_token, m)?)?;
    Ok(())
}
