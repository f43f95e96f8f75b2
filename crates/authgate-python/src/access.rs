//! `page_access`: the core's rule for who may open a page.

use authgate::access::{decide, Access};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// `"open"`, `"login"` or `"refuse"` for a visitor with `roles` (`None`:
/// not logged in) on a page that is `public`, or for `required` roles
/// (any of them; `None`: any logged-in user).
#[pyfunction]
#[pyo3(signature = (roles, required = None, public = false))]
pub fn page_access(
    roles: Option<Vec<String>>,
    required: Option<Vec<String>>,
    public: bool,
) -> PyResult<&'static str> {
    let access = match (public, required) {
        (true, None) => Access::Public,
        (true, Some(_)) => {
            return Err(PyValueError::new_err(
                "a page is either public or for roles, not both",
            ))
        }
        (false, None) => Access::LoggedIn,
        (false, Some(wanted)) => Access::AnyRole(wanted),
    };
    Ok(decide(&access, roles.as_deref()).as_str())
}
