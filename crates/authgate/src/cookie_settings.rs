//! Which cookie name, key and lifetime an app runs with, and which API key.
//!
//! An app passes `Authenticate(credentials, cookie_name, cookie_key,
//! cookie_expiry_days, api_key=...)`, and its store may name them too
//! (config.yaml's `cookie:` section and `api_key`, a database's
//! `settings` table). The rule, as streamlit-authenticator 0.4.2's path
//! mode has it, is that the store's settings win over the arguments, with
//! one change for safety: when neither names a key, the cookies are never
//! signed with 0.4.2's default `"some_key"`, which anyone can read in its
//! source. The store then generates a random key once and keeps it
//! ([`Store::generated_cookie_key`]), so every process of the app and
//! every restart signs with the same secret nobody chose.
//!
//! A key the app passes explicitly is used as given, weak or not:
//! [`crate::auth::AuthConfig`] refuses a weak one with a clear error
//! rather than silently replacing what the app asked for.
//!
//! ```
//! use authgate::cookie_settings::{resolve, Given};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("config.yaml");
//! std::fs::write(&path, "credentials: {usernames: {}}\ncookie: {name: c}\n")?;
//! let store = authgate::store::open(&path, Default::default())?;
//! let given = Given { name: "app_cookie", key: "some_key", expiry_days: 30.0, api_key: None };
//! let settings = resolve(store.as_ref(), &given)?;
//! assert_eq!(settings.name, "c"); // the store's name wins
//! assert_ne!(settings.key, "some_key"); // a generated key, kept by the store
//! assert_eq!(resolve(store.as_ref(), &given)?.key, settings.key);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::Result;
use crate::store::Store;

/// `Authenticate`'s default `cookie_key`, 0.4.2's: passing it means that
/// the app named no key.
pub const DEFAULT_ARGUMENT_KEY: &str = "some_key";

/// What the app passed. `Debug` hides the keys.
#[derive(Clone, Copy)]
pub struct Given<'a> {
    /// `cookie_name`.
    pub name: &'a str,
    /// `cookie_key`: [`DEFAULT_ARGUMENT_KEY`] when the app left it out.
    pub key: &'a str,
    /// `cookie_expiry_days`.
    pub expiry_days: f64,
    /// `api_key`, if any.
    pub api_key: Option<&'a str>,
}

impl std::fmt::Debug for Given<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Given")
            .field("name", &self.name)
            .field("expiry_days", &self.expiry_days)
            .finish_non_exhaustive()
    }
}

/// The settings an app runs with. `Debug` hides the keys.
#[derive(Clone, PartialEq)]
pub struct CookieSettings {
    /// The cookie's name.
    pub name: String,
    /// The secret that signs cookies and derives the link and factor keys.
    pub key: String,
    /// How long a login lasts, in days.
    pub expiry_days: f64,
    /// The API key for 0.4.2's cloud features, if any.
    pub api_key: Option<String>,
}

impl std::fmt::Debug for CookieSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSettings")
            .field("name", &self.name)
            .field("key", &"<redacted>")
            .field("expiry_days", &self.expiry_days)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The settings of an app over `store`: the store's where it names them,
/// else what the app passed; a generated key when neither names one.
///
/// # Errors
///
/// Whatever reading the store's settings or keeping its generated key
/// returns.
pub fn resolve(store: &dyn Store, given: &Given<'_>) -> Result<CookieSettings> {
    let stored = store.settings()?;
    let key = match stored.cookie_key {
        Some(key) => key,
        None if given.key != DEFAULT_ARGUMENT_KEY && !given.key.is_empty() => given.key.to_owned(),
        None => store.generated_cookie_key()?,
    };
    Ok(CookieSettings {
        name: stored
            .cookie_name
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| given.name.to_owned()),
        key,
        expiry_days: stored.cookie_expiry_days.unwrap_or(given.expiry_days),
        api_key: given
            .api_key
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .or(stored.api_key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn store(config: &str) -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, config).unwrap();
        let store: Arc<dyn Store> = crate::store::open(&path, Default::default()).unwrap();
        (dir, store)
    }

    fn given(key: &str) -> Given<'_> {
        Given {
            name: "app_cookie",
            key,
            expiry_days: 7.0,
            api_key: Some("app-api"),
        }
    }

    #[test]
    fn the_store_settings_win_over_the_arguments() {
        let (_dir, store) = store(
            "credentials: {usernames: {}}\ncookie: {name: c, key: stored-key-of-32-bytes-or-more-xx, expiry_days: 2}\napi_key: stored-api\n",
        );
        let s = resolve(store.as_ref(), &given("app-key-of-32-bytes-or-more-xxxxx")).unwrap();
        assert_eq!(s.name, "c");
        assert_eq!(s.key, "stored-key-of-32-bytes-or-more-xx");
        assert_eq!(s.expiry_days, 2.0);
        // 0.4.2: `api_key or config.get('api_key')`.
        assert_eq!(s.api_key.as_deref(), Some("app-api"));
    }

    #[test]
    fn the_arguments_fill_what_the_store_leaves_out() {
        let (_dir, store) = store("credentials: {usernames: {}}\napi_key: stored-api\n");
        let s = resolve(
            store.as_ref(),
            &Given {
                api_key: None,
                ..given("app-key")
            },
        )
        .unwrap();
        assert_eq!(s.name, "app_cookie");
        assert_eq!(s.key, "app-key");
        assert_eq!(s.expiry_days, 7.0);
        assert_eq!(s.api_key.as_deref(), Some("stored-api"));
    }

    #[test]
    fn no_key_anywhere_is_a_generated_key_never_the_default() {
        let (_dir, store) = store("credentials: {usernames: {}}\n");
        let first = resolve(store.as_ref(), &given(DEFAULT_ARGUMENT_KEY)).unwrap();
        assert_ne!(first.key, DEFAULT_ARGUMENT_KEY);
        assert_eq!(crate::token::key_weakness(&first.key), None);
        assert_eq!(resolve(store.as_ref(), &given("")).unwrap().key, first.key);
    }

    #[test]
    fn debug_shows_no_key() {
        let (_dir, store) = store("credentials: {usernames: {}}\n");
        let s = resolve(store.as_ref(), &given("app-secret-key")).unwrap();
        let shown = format!("{s:?} {:?}", given("app-secret-key"));
        assert!(!shown.contains("app-secret-key") && !shown.contains("app-api"));
    }
}
