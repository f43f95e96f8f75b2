//! bcrypt for Python, off the GIL.

use authgate::password;
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// Hashes `password` with bcrypt (`$2b$12$`).
#[pyfunction]
fn hash_password(py: Python<'_>, password: &str) -> PyResult<String> {
    py.detach(|| password::hash(password)).py_err()
}

/// Hashes many passwords on all cores; order is kept.
#[pyfunction]
fn hash_passwords(py: Python<'_>, passwords: Vec<String>) -> PyResult<Vec<String>> {
    let results = py.detach(|| {
        let refs: Vec<&str> = passwords.iter().map(String::as_str).collect();
        password::hash_many(&refs)
    });
    results.into_iter().map(IntoPyResult::py_err).collect()
}

/// Whether `password` matches the bcrypt `hashed`.
#[pyfunction]
fn verify_password(py: Python<'_>, password: &str, hashed: &str) -> PyResult<bool> {
    py.detach(|| password::verify(password, hashed)).py_err()
}

/// Whether `value` looks like a bcrypt hash (streamlit-authenticator's rule).
#[pyfunction]
fn is_hash(value: &str) -> bool {
    password::is_hash(value)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(hash_password, m)?)?;
    m.add_function(wrap_pyfunction!(hash_passwords, m)?)?;
    m.add_function(wrap_pyfunction!(verify_password, m)?)?;
    m.add_function(wrap_pyfunction!(is_hash, m)?)?;
    Ok(())
}
