//! The user record as the flows see it.

use serde::Serialize;

/// Folding a typed name into the key it is stored and compared under:
/// trimmed and lower-cased, as streamlit-authenticator 0.4.2 folds
/// usernames and emails. The flows, the CLI and the bindings fold through
/// [`UserKey::new`] and [`EmailKey::new`] only, so a name means one account
/// wherever it is typed; so does every store, whatever name it is handed.
/// No other code lower-cases a name (the `one_fold` test checks).
macro_rules! folded_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(String);

        impl $name {
            /// `typed`, trimmed and lower-cased.
            pub fn new(typed: &str) -> Self {
                $name(fold(typed))
            }

            /// The key as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The key as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(key: $name) -> String {
                key.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

/// The fold itself: trimmed, then lower-cased.
fn fold(typed: &str) -> String {
    typed.trim().to_lowercase()
}

folded_key! {
    /// A username as stored and looked up (the key under
    /// `credentials.usernames`).
    ///
    /// ```
    /// use authgate::user::UserKey;
    /// assert_eq!(UserKey::new(" JSmith "), "jsmith");
    /// ```
    UserKey
}

folded_key! {
    /// An email as compared (uniqueness, pre-authorization, lookups by
    /// email); it is stored as typed, trimmed.
    ///
    /// ```
    /// use authgate::user::EmailKey;
    /// assert_eq!(EmailKey::new(" JSmith@Gmail.com"), EmailKey::new("jsmith@gmail.com "));
    /// ```
    EmailKey
}

impl EmailKey {
    /// The domain: what follows the last `@`, folded with the rest of the
    /// key; `None` for an address without an `@`.
    ///
    /// ```
    /// use authgate::user::EmailKey;
    /// assert_eq!(EmailKey::new("JSmith@Company.COM ").domain(), Some("company.com"));
    /// assert_eq!(EmailKey::new("nobody").domain(), None);
    /// ```
    pub fn domain(&self) -> Option<&str> {
        self.0.rsplit_once('@').map(|(_, domain)| domain)
    }

    /// Whether the domain is one of `domains`, each folded as the key is
    /// (as an app lists them: `" Company.com"` allows `jsmith@company.com`).
    /// An address without a domain is in none.
    ///
    /// ```
    /// use authgate::user::EmailKey;
    /// let allowed = [" Company.com".to_string()];
    /// assert!(EmailKey::new("JSmith@COMPANY.com").in_domains(&allowed));
    /// assert!(!EmailKey::new("jsmith@gmail.com").in_domains(&allowed));
    /// ```
    pub fn in_domains<S: AsRef<str>>(&self, domains: &[S]) -> bool {
        self.domain()
            .is_some_and(|mine| domains.iter().any(|d| fold(d.as_ref()) == mine))
    }
}

/// One account, as read from a store.
///
/// `Debug` leaves out the password hash.
#[derive(Clone, PartialEq, Serialize)]
pub struct User {
    /// Lower-cased username (the key under `credentials.usernames`).
    pub username: String,
    /// Email address as stored.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The single `name` field of configs older than 0.4.
    pub name: Option<String>,
    /// bcrypt hash; `None` for OAuth guests, who cannot log in with a password.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Roles, if any.
    pub roles: Option<Vec<String>>,
    /// Password hint shown after a failed attempt.
    pub password_hint: Option<String>,
    /// Registered with `verify_email` and the mailed link not yet opened:
    /// the password does not log in. Stored as `email_verified: false`.
    pub awaiting_verification: bool,
}

impl User {
    /// The name to greet the user by: first and last name, else the legacy `name`.
    ///
    /// ```
    /// # use authgate::user::User;
    /// let mut u = User::new("jsmith");
    /// u.first_name = Some("John".into());
    /// u.last_name = Some("Smith".into());
    /// assert_eq!(u.display_name().as_deref(), Some("John Smith"));
    /// ```
    pub fn display_name(&self) -> Option<String> {
        let joined = format!(
            "{} {}",
            self.first_name.as_deref().unwrap_or(""),
            self.last_name.as_deref().unwrap_or("")
        );
        let joined = joined.trim();
        if joined.is_empty() {
            self.name.clone()
        } else {
            Some(joined.to_string())
        }
    }

    /// An empty record for `username`.
    pub fn new(username: &str) -> Self {
        User {
            username: username.to_string(),
            email: None,
            first_name: None,
            last_name: None,
            name: None,
            password_hash: None,
            roles: None,
            password_hint: None,
            awaiting_verification: false,
        }
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("roles", &self.roles)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails_fold_alike() {
        // A name typed where either may be (the mail brake's account
        // counter) folds to one key whichever type folds it.
        for typed in ["", " Bob ", "JSmith@Gmail.COM\t", "ÄRGER", "\u{a0}x\u{a0}"] {
            assert_eq!(UserKey::new(typed).as_str(), EmailKey::new(typed).as_str());
        }
        assert_eq!(UserKey::new("\u{a0}ÄRGER\n"), "ärger");
    }

    #[test]
    fn an_email_domain_is_after_the_last_at() {
        assert_eq!(EmailKey::new(" a@B.org ").domain(), Some("b.org"));
        assert_eq!(EmailKey::new("\"a@b\"@C.org").domain(), Some("c.org"));
        assert_eq!(EmailKey::new("a@").domain(), Some(""));
        assert_eq!(EmailKey::new("b.org").domain(), None);
        assert_eq!(EmailKey::new("").domain(), None);
    }

    #[test]
    fn in_domains_folds_the_listed_domains() {
        let listed = ["Example.ORG ".to_string(), "x.net".to_string()];
        assert!(EmailKey::new("jsmith@example.org").in_domains(&listed));
        assert!(EmailKey::new(" JSmith@X.NET").in_domains(&listed));
        assert!(!EmailKey::new("jsmith@sub.example.org").in_domains(&listed));
        assert!(!EmailKey::new("example.org").in_domains(&listed));
        assert!(!EmailKey::new("jsmith@example.org").in_domains::<String>(&[]));
    }
}
