//! The core's rules the Streamlit layer asks about: how a typed username or
//! email is folded (`username_key`, `email_key`), who may open a page
//! (`page_access`), whether a password meets the default rule
//! (`default_password_accepted`, `default_password_missing`), how strong
//! it is (`password_strength`), and whether a username, an email or a name
//! has the shape 0.4.2 asks for (`valid_username`, `valid_email`,
//! `valid_name`, `valid_length`).

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

/// The NIST SP 800-63B rule's verdict on `password`: `accepted`, `score`
/// (0 to 4), `problems` and `suggestions`. `user_inputs`: words it must
/// not lean on (username, email, names).
#[pyfunction]
#[pyo3(signature = (password, user_inputs = Vec::new()))]
pub fn password_strength<'py>(
    py: Python<'py>,
    password: &str,
    user_inputs: Vec<String>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
    let strength = py.detach(|| authgate::password_policy::nist(password, &inputs));
    let out = pyo3::types::PyDict::new(py);
    out.set_item("accepted", strength.accepted)?;
    out.set_item("score", strength.score)?;
    out.set_item("problems", strength.problems)?;
    out.set_item("suggestions", strength.suggestions)?;
    Ok(out)
}

/// Whether the default password rule (streamlit-authenticator 0.4.2's)
/// accepts `password`.
#[pyfunction]
pub fn default_password_accepted(password: &str) -> bool {
    authgate::password_policy::default::accepts(password)
}

/// What `password` lacks under the default rule, in 0.4.2's words and
/// order (its `diagnose_password`), with a length of `min_chars` to
/// `max_chars` characters (`None`: the rule's own).
#[pyfunction]
#[pyo3(signature = (password, min_chars = None, max_chars = None))]
pub fn default_password_missing(
    password: &str,
    min_chars: Option<usize>,
    max_chars: Option<usize>,
) -> Vec<String> {
    use authgate::password_policy::{default, DEFAULT_MAX_CHARS, DEFAULT_MIN_CHARS};
    default::missing(
        password,
        min_chars.unwrap_or(DEFAULT_MIN_CHARS),
        max_chars.unwrap_or(DEFAULT_MAX_CHARS),
    )
    .iter()
    .map(ToString::to_string)
    .collect()
}

/// The key a typed username is stored and looked up under (the core's
/// `UserKey`: trimmed, lower-cased).
#[pyfunction]
pub fn username_key(typed: &str) -> String {
    authgate::user::UserKey::new(typed).into_string()
}

/// The key a typed email is compared under (the core's `EmailKey`).
#[pyfunction]
pub fn email_key(typed: &str) -> String {
    authgate::user::EmailKey::new(typed).into_string()
}

/// Whether `username` is 1 to 20 of `[A-Za-z0-9_-]` or an email address
/// (the core's `identity_rules`, 0.4.2's rule).
#[pyfunction]
pub fn valid_username(username: &str) -> bool {
    authgate::identity_rules::valid_username(username)
}

/// Whether `email` is an address as 0.4.2 reads one (`local@domain.tld`,
/// in ASCII).
#[pyfunction]
pub fn valid_email(email: &str) -> bool {
    authgate::identity_rules::valid_email(email)
}

/// Whether `name` is 2 to 100 letters (0.4.2's ranges: accents, Greek,
/// Cyrillic, CJK…), spaces, apostrophes, dots or hyphens.
#[pyfunction]
pub fn valid_name(name: &str) -> bool {
    authgate::identity_rules::valid_name(name)
}

/// Whether `value` has `min_length` to `max_length` characters, on one line.
#[pyfunction]
#[pyo3(signature = (value, min_length = 0, max_length = 254))]
pub fn valid_length(value: &str, min_length: usize, max_length: usize) -> bool {
    authgate::identity_rules::valid_length(value, min_length, max_length)
}
