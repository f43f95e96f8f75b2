//! # authgate
//!
//! Authentication for Streamlit apps: every rule lives here, in Rust. The
//! Python package `authgate` (through the `authgate-python` bindings) only
//! renders forms and relays; the `authgate` CLI operates the same stores.
//!
//! - [`store`] keeps users, sessions and lockout state: a streamlit-authenticator
//!   `config.yaml` file (locked, replaced atomically, indexed) or memory.
//! - [`access`] decides who may open a page of a multipage app.
//! - [`admin`] is what an app's administrator may do to accounts, audited by name.
//! - [`auth`] runs the flows: password login, cookie resume, logout;
//!   [`account`] the rest: register, reset, forgot password/username, update.
//! - [`identity_rules`] is what a username, an email and a name may be (0.4.2's rules).
//! - [`password_policy`] is what a new password must be: streamlit-authenticator 0.4.2's rule by default, NIST SP 800-63B's on request (zxcvbn, common passwords).
//! - [`password`] is bcrypt, byte-compatible with Python's `bcrypt`.
//! - [`token`] signs and checks cookie tokens, including 0.4.2's;
//!   [`cookie_settings`] decides the cookie name, key and lifetime an app runs with;
//!   [`cookie_route`] is HttpOnly mode's one-time nonces and `Set-Cookie` headers.
//! - [`lockout`] and [`session`] are the rules for failed attempts and sessions.
//! - [`email_code`] issues and checks the codes mailed by `two_factor_auth`.
//! - [`totp`] and [`second_factor`] are the authenticator-app second factor
//!   with its recovery codes; [`passkey`] is WebAuthn (webauthn-rs): passkey
//!   sign-in, and passkeys as the second step of a password login.
//! - [`link`] signs and checks the password-reset links `forgot_password` mails.
//! - [`oidc`] is OpenID Connect guest login: PKCE, state, nonce, signed ID tokens.
//! - [`captcha`] draws captcha pictures and checks answers against a salted digest;
//!   [`captcha_registry`] keeps the ones shown, each answering once (showing needs the
//!   feature `captcha`); [`form_guard`] is the order a form's action is checked in:
//!   its captcha first, then the app's checks, then the action's own.
//! - [`yaml`] (the `authgate-yaml` crate) reads and writes YAML exactly as PyYAML does.
//!
//! ```no_run
//! use std::sync::Arc;
//! use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
//! use authgate::token::TokenKey;
//!
//! let store = authgate::store::open("config.yaml".as_ref(), Default::default())?;
//! let auth = Authenticator::new(store, AuthConfig::new(TokenKey::new("a random key of 32 bytes or more 01"), 30.0)?);
//! let login = auth.login(&LoginRequest { username: "jsmith", password: "abc", ..Default::default() })?;
//! println!("welcome {:?}", login.user.display_name());
//! # Ok::<(), authgate::Error>(())
//! ```

#![warn(missing_docs)]

pub mod access;
pub mod account;
pub mod admin;
pub mod auth;
pub mod auto_hash;
pub mod captcha;
pub mod captcha_registry;
pub mod clock;
pub mod cookie_route;
pub mod cookie_settings;
pub mod device;
pub mod email_code;
pub mod error;
pub mod factor_policy;
pub mod form_guard;
pub mod identity_rules;
pub mod link;
pub mod lockout;
pub mod mail;
#[cfg(feature = "oidc")]
pub mod oidc;
pub mod passkey;
pub mod password;
pub mod password_policy;
mod percent;
pub mod second_factor;
pub mod secret;
pub mod session;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod user;
pub mod user_sessions;
pub use authgate_yaml as yaml;

pub use error::{Error, Result};
