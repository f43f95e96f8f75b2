//! `authgate._core`: the PyO3 face of the authgate core.
//!
//! This crate converts values and errors and releases the GIL around
//! hashing and I/O. It holds no rules: every decision is made in `authgate`.

use pyo3::prelude::*;

mod access;
mod auth;
mod captcha;
mod code;
mod convert;
mod cookie_route;
mod errors;
mod guard;
mod hashing;
mod links;
mod mail;
mod oidc;
mod passkey;
mod store;

/// The extension module.
#[pymodule(gil_used = false)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CODE_TTL", authgate::email_code::CODE_TTL)?;
    m.add("RESET_LINK_TTL", authgate::link::RESET_LINK_TTL)?;
    m.add("VERIFY_LINK_TTL", authgate::link::VERIFY_LINK_TTL)?;
    m.add("PASSKEY_CEREMONY_TTL", authgate::passkey::CEREMONY_TTL)?;
    m.add(
        "DEFAULT_PASSWORD_MIN_CHARS",
        authgate::password_policy::DEFAULT_MIN_CHARS,
    )?;
    m.add(
        "DEFAULT_PASSWORD_MAX_CHARS",
        authgate::password_policy::DEFAULT_MAX_CHARS,
    )?;
    m.add(
        "DEFAULT_PASSWORD_SPECIALS",
        authgate::password_policy::SPECIALS,
    )?;
    errors::register(m)?;
    hashing::register(m)?;
    captcha::register(m)?;
    links::register(m)?;
    cookie_route::register(m)?;
    oidc::register(m)?;
    m.add_class::<store::Store>()?;
    m.add_class::<auth::Authenticator>()?;
    m.add_class::<auth::LoginResult>()?;
    m.add_class::<mail::Mailer>()?;
    m.add_class::<code::CodeChallenge>()?;
    m.add_class::<code::TotpChallenge>()?;
    m.add_class::<passkey::PasskeyCeremony>()?;
    m.add_function(wrap_pyfunction!(auth::cookie_key_weakness, m)?)?;
    m.add_function(wrap_pyfunction!(access::page_access, m)?)?;
    m.add_function(wrap_pyfunction!(access::password_strength, m)?)?;
    m.add_function(wrap_pyfunction!(access::default_password_accepted, m)?)?;
    m.add_function(wrap_pyfunction!(access::default_password_missing, m)?)?;
    m.add_function(wrap_pyfunction!(access::username_key, m)?)?;
    m.add_function(wrap_pyfunction!(access::email_key, m)?)?;
    m.add_function(wrap_pyfunction!(access::valid_username, m)?)?;
    m.add_function(wrap_pyfunction!(access::valid_email, m)?)?;
    m.add_function(wrap_pyfunction!(access::valid_name, m)?)?;
    m.add_function(wrap_pyfunction!(access::valid_length, m)?)?;
    Ok(())
}
