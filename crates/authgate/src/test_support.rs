//! Fixtures the core's unit tests share: an authenticator over a dict-mode
//! store of a few users, signing with a fixed test key.

use std::sync::Arc;

use crate::auth::{AuthConfig, Authenticator};
use crate::store::DocStore;
use crate::token::TokenKey;

/// The cookie key of the tests (32 bytes or more, not a well-known one).
pub(crate) const KEY: &str = "test-key-0123456789-abcdefghijklmnop";

/// A dict-mode store over `yaml`, a `usernames:` mapping.
pub(crate) fn store(yaml: &str) -> Arc<DocStore> {
    let users = crate::yaml::parse(yaml, "<test>".as_ref()).unwrap();
    Arc::new(DocStore::in_memory(users).unwrap())
}

/// Sessions of 30 days signed with [`KEY`].
pub(crate) fn config() -> AuthConfig {
    AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap()
}

/// An authenticator with [`config`] over [`store`]`(yaml)`.
pub(crate) fn authenticator(yaml: &str) -> Authenticator {
    Authenticator::new(store(yaml), config())
}
