//! What an app's administrator may do to accounts from its admin page
//! (`Authenticate.admin_panel()`): find users, add them, change their
//! roles, lock and unlock them, end their sessions, remove them, keep the
//! pre-authorized list, read the audit trail.
//!
//! Every change is recorded in the audit trail with the administrator's
//! name (`detail: "by <admin>"`). An administrator cannot lock or remove
//! their own account, nor take their own roles away, so that nobody shuts
//! the last administrator out by a slip.
//!
//! ```
//! # use std::sync::Arc;
//! # use authgate::auth::{AuthConfig, Authenticator};
//! # use authgate::store::DocStore;
//! # use authgate::token::TokenKey;
//! # let users = authgate::yaml::parse("usernames:\n  ann: {email: a@x.org, roles: [admin]}\n  bob: {email: b@x.org}\n", "<dict>".as_ref())?;
//! # let store = Arc::new(DocStore::in_memory(users)?);
//! # let auth = Authenticator::new(store, AuthConfig::new(TokenKey::new("an example key of at least 32 bytes!"), 30.0)?);
//! let (page, total) = auth.find_users("b", 0, 20)?;
//! assert_eq!((page[0].user.username.as_str(), total), ("bob", 1));
//! auth.admin_set_roles("ann", "bob", Some(vec!["editor".into()]))?;
//! assert!(auth.admin_lock("ann", "ann", None).is_err()); // not oneself
//! # Ok::<(), authgate::Error>(())
//! ```

use crate::auth::Authenticator;
use crate::error::{Error, Result};
use crate::secret;
use crate::store::{AuditEvent, NewUser, UserUpdate};
use crate::user::User;

/// Users read per store call while searching.
const SCAN_CHUNK: usize = 500;

/// An account an administrator adds.
#[derive(Clone, Default)]
pub struct NewAccount<'a> {
    /// Username (trimmed, lower-cased here).
    pub username: &'a str,
    /// Email (trimmed here).
    pub email: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// The first password; `None`: a random one nobody knows, for an
    /// account whose owner sets their own through a mailed reset link.
    pub password: Option<&'a str>,
    /// Roles.
    pub roles: Option<&'a [String]>,
}

impl std::fmt::Debug for NewAccount<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &self.password.map(|_| "<redacted>"))
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// Length of the password nobody knows that an invited account starts with.
const INVITE_PASSWORD_LEN: usize = 20;

/// A user as the admin page lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSummary {
    /// The user.
    pub user: User,
    /// Until when their account is locked (by failures or an
    /// administrator), if it is now.
    pub locked_until: Option<f64>,
    /// Their sessions that have not expired.
    pub sessions: usize,
}

fn matches(user: &User, query: &str) -> bool {
    let fields = [
        Some(user.username.as_str()),
        user.email.as_deref(),
        user.first_name.as_deref(),
        user.last_name.as_deref(),
        user.name.as_deref(),
    ];
    fields
        .into_iter()
        .flatten()
        .any(|f| f.to_lowercase().contains(query))
}

impl Authenticator {
    /// The users whose username, email or name contains `query` (any case;
    /// empty: everyone), in username order: the page at `offset` of at most
    /// `limit`, and how many match in all.
    pub fn find_users(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<UserSummary>, usize)> {
        let query = query.trim().to_lowercase();
        let mut found = Vec::new();
        let mut total = 0;
        let mut start = 0;
        loop {
            let chunk = self.store().list_users(start, SCAN_CHUNK)?;
            for user in &chunk {
                if query.is_empty() || matches(user, &query) {
                    if total >= offset && found.len() < limit {
                        found.push(user.clone());
                    }
                    total += 1;
                }
            }
            if chunk.len() < SCAN_CHUNK {
                break;
            }
            start += SCAN_CHUNK;
        }
        let now = self.now();
        let page = found
            .into_iter()
            .map(|user| self.summary(user, now))
            .collect::<Result<_>>()?;
        Ok((page, total))
    }

    fn summary(&self, user: User, now: f64) -> Result<UserSummary> {
        let lock = self.store().lock_state(&user.username)?;
        let locked_until = [lock.locked_until, lock.disabled_until]
            .into_iter()
            .flatten()
            .filter(|until| *until > now)
            .reduce(f64::max);
        let sessions = self
            .store()
            .sessions_of(&user.username)?
            .iter()
            .filter(|s| s.expires > now)
            .count();
        Ok(UserSummary {
            user,
            locked_until,
            sessions,
        })
    }

    /// Adds an account. The username and email must be free (as for a
    /// registration, case-insensitively); the pre-authorized list is neither
    /// needed nor consumed.
    pub fn admin_add_user(&self, admin: &str, account: &NewAccount<'_>) -> Result<User> {
        let username = account.username.trim().to_lowercase();
        let email = account.email.trim();
        if username.is_empty() || email.is_empty() {
            return Err(refuse("A new user needs a username and an email"));
        }
        let password = match account.password.map(str::trim) {
            Some("") => return Err(refuse("Password fields cannot be empty")),
            Some(password) => password.to_string(),
            None => secret::random_password(INVITE_PASSWORD_LEN)?,
        };
        // Checked before the bcrypt work; the store checks again as it adds.
        self.store().check_available(&username, email)?;
        let new = NewUser {
            username: username.clone(),
            email: email.to_string(),
            first_name: account.first_name.trim().to_string(),
            last_name: account.last_name.trim().to_string(),
            password_hash: Some(self.hash_new(&password)?),
            roles: account.roles.map(<[String]>::to_vec),
            password_hint: None,
            awaiting_verification: false,
        };
        let event = self.admin_event("user_added", &username, admin);
        self.store().add_user(&new, false, Some(&event))
    }

    /// The store's pre-authorized list, if it keeps one.
    pub fn preauthorized_emails(&self) -> Result<Option<Vec<String>>> {
        self.store().preauthorized_emails()
    }

    /// Adds `add` to and removes `remove` from the store's pre-authorized
    /// list; returns the list. See [`crate::store::Store::edit_preauthorized`].
    pub fn admin_edit_preauthorized(
        &self,
        admin: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<String>> {
        let shaped = |e: &String| {
            let e = e.trim();
            !e.is_empty() && !e.contains(char::is_whitespace) && e.contains('@')
        };
        if let Some(bad) = add.iter().find(|e| !shaped(e)) {
            return Err(Error::InvalidInput(format!(
                "{:?} is not an email address",
                bad.trim()
            )));
        }
        let by = format!(
            "by {}: {} added, {} removed",
            admin.trim().to_lowercase(),
            add.len(),
            remove.len()
        );
        let event = self.event("preauthorized_changed", None, Some(&by));
        self.store().edit_preauthorized(add, remove, Some(&event))
    }

    /// Gives `username` these `roles` (`None`: no roles key).
    pub fn admin_set_roles(
        &self,
        admin: &str,
        username: &str,
        roles: Option<Vec<String>>,
    ) -> Result<User> {
        let username = self.existing(username)?;
        if self.is_self(admin, &username) {
            return Err(refuse("Administrators cannot change their own roles here"));
        }
        let event = self.admin_event("roles_changed", &username, admin);
        self.store()
            .update_user(&username, &UserUpdate::Roles(roles), Some(&event))?;
        self.existing_user(&username)
    }

    /// Locks `username` for `minutes` (`None`: until unlocked) and ends
    /// their sessions; returns how many ended.
    pub fn admin_lock(&self, admin: &str, username: &str, minutes: Option<f64>) -> Result<usize> {
        let username = self.existing(username)?;
        if self.is_self(admin, &username) {
            return Err(refuse("Administrators cannot lock their own account"));
        }
        let until = match minutes {
            Some(m) if m.is_finite() && m > 0.0 => self.now() + m * 60.0,
            Some(_) => return Err(refuse("A lock lasts a positive number of minutes")),
            None => f64::INFINITY,
        };
        self.store().set_lock(&username, Some(until))?;
        self.record(self.admin_event("user_locked", &username, admin));
        self.store().end_sessions(&username, self.now())
    }

    /// Lifts a lock on `username` (an administrator's or failures').
    pub fn admin_unlock(&self, admin: &str, username: &str) -> Result<()> {
        let username = self.existing(username)?;
        self.store().set_lock(&username, None)?;
        self.record(self.admin_event("user_unlocked", &username, admin));
        Ok(())
    }

    /// Ends every session of `username` ("log out everywhere"); how many.
    pub fn admin_end_sessions(&self, admin: &str, username: &str) -> Result<usize> {
        let username = self.existing(username)?;
        let ended = self.store().end_sessions(&username, self.now())?;
        self.record(self.admin_event("sessions_ended", &username, admin));
        Ok(ended)
    }

    /// Removes `username`, their sessions and state.
    pub fn admin_remove_user(&self, admin: &str, username: &str) -> Result<()> {
        let username = self.existing(username)?;
        if self.is_self(admin, &username) {
            return Err(refuse("Administrators cannot remove their own account"));
        }
        if !self.store().remove_user(&username)? {
            return Err(Error::UserNotFound(username));
        }
        self.record(self.admin_event("user_removed", &username, admin));
        Ok(())
    }

    /// The newest `limit` events of the audit trail, newest first.
    pub fn audit_trail(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        let mut events = self.store().recent_events(limit)?;
        events.reverse();
        Ok(events)
    }

    fn existing(&self, username: &str) -> Result<String> {
        Ok(self.existing_user(username)?.username)
    }

    fn is_self(&self, admin: &str, username: &str) -> bool {
        admin.trim().to_lowercase() == username
    }

    fn admin_event(&self, kind: &str, username: &str, admin: &str) -> AuditEvent {
        let by = format!("by {}", admin.trim().to_lowercase());
        self.event(kind, Some(username), Some(&by))
    }

    fn record(&self, event: AuditEvent) {
        // Best effort, as every audit record: the change is made.
        let _ = self.store().record_event(&event);
    }
}

fn refuse(message: &str) -> Error {
    Error::InvalidInput(message.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{AuthConfig, LoginRequest};
    use crate::store::DocStore;
    use crate::token::TokenKey;

    fn setup() -> Authenticator {
        let hash = crate::password::hash_with_cost("pw", 4).unwrap();
        let mut text = format!(
            "usernames:\n  ann:\n    email: ann@example.com\n    first_name: Ann\n    \
             password: '{hash}'\n    roles: [admin]\n"
        );
        for i in 0..1200 {
            text.push_str(&format!(
                "  user{i:04}:\n    email: u{i}@example.com\n    password: '{hash}'\n"
            ));
        }
        let users = crate::yaml::parse(&text, "<test>".as_ref()).unwrap();
        let store = Arc::new(DocStore::in_memory(users).unwrap());
        let config =
            AuthConfig::new(TokenKey::new("test-key-0123456789-abcdefghijklmnop"), 30.0).unwrap();
        Authenticator::new(store, config)
    }

    #[test]
    fn search_pages_through_every_user() {
        let auth = setup();
        let (all, total) = auth.find_users("", 0, 10).unwrap();
        assert_eq!(total, 1201);
        assert_eq!(all[0].user.username, "ann");
        let (page, total) = auth.find_users("USER11", 5, 3).unwrap();
        assert_eq!(total, 100);
        let names: Vec<&str> = page.iter().map(|s| s.user.username.as_str()).collect();
        assert_eq!(names, ["user1105", "user1106", "user1107"]);
        let (by_email, _) = auth.find_users("u1199@", 0, 5).unwrap();
        assert_eq!(by_email[0].user.username, "user1199");
    }

    #[test]
    fn lock_ends_sessions_and_unlock_lifts_it_all_audited() {
        let auth = setup();
        let login = |name| {
            auth.login(&LoginRequest {
                username: name,
                password: "pw",
                ..Default::default()
            })
        };
        let session = login("user0001").unwrap().session.id;
        assert_eq!(auth.admin_lock("Ann", "USER0001", Some(10.0)).unwrap(), 1);
        assert!(auth.check_session(&session).unwrap().is_none());
        assert!(matches!(
            login("user0001"),
            Err(Error::AccountLocked { .. })
        ));
        let (listed, _) = auth.find_users("user0001", 0, 1).unwrap();
        assert!(listed[0].locked_until.is_some());
        auth.admin_unlock("ann", "user0001").unwrap();
        assert!(login("user0001").is_ok());
        let kinds: Vec<(String, Option<String>)> = auth
            .audit_trail(50)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.starts_with("user_"))
            .map(|e| (e.kind, e.detail))
            .collect();
        assert_eq!(
            kinds,
            [
                ("user_unlocked".to_string(), Some("by ann".to_string())),
                ("user_locked".to_string(), Some("by ann".to_string())),
            ]
        );
    }

    #[test]
    fn an_added_user_logs_in_and_an_invited_one_waits_for_a_reset_link() {
        let auth = setup();
        let roles = vec!["editor".to_string()];
        let account = NewAccount {
            username: " NewBie ",
            email: "newbie@example.com",
            first_name: "New",
            last_name: "Bie",
            password: Some("s3cret-Pass"),
            roles: Some(&roles),
        };
        let added = auth.admin_add_user("Ann", &account).unwrap();
        assert_eq!(
            (added.username.as_str(), added.roles),
            ("newbie", Some(roles.clone()))
        );
        let login = |name, password| {
            auth.login(&LoginRequest {
                username: name,
                password,
                ..Default::default()
            })
        };
        assert!(login("newbie", "s3cret-Pass").is_ok());
        let event = &auth.audit_trail(5).unwrap()[1];
        assert_eq!(
            (event.kind.as_str(), event.detail.as_deref()),
            ("user_added", Some("by ann"))
        );
        for (name, email) in [("NEWBIE", "x@example.com"), ("other", "NEWBIE@example.com")] {
            let taken = NewAccount {
                username: name,
                email,
                ..account.clone()
            };
            assert!(matches!(
                auth.admin_add_user("ann", &taken),
                Err(Error::UsernameTaken | Error::EmailTaken)
            ));
        }
        let invited = NewAccount {
            username: "invited",
            email: "invited@example.com",
            password: None,
            ..Default::default()
        };
        auth.admin_add_user("ann", &invited).unwrap();
        assert!(login("invited", "").is_err());
        let (_, token) = auth.reset_link("invited").unwrap().expect("a reset link");
        assert_eq!(auth.check_reset_link(&token).unwrap().username, "invited");
        for bad in [
            NewAccount {
                username: "",
                email: "a@b.c",
                ..Default::default()
            },
            NewAccount {
                username: "x",
                email: "x@b.c",
                password: Some("  "),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                auth.admin_add_user("ann", &bad),
                Err(Error::InvalidInput(_))
            ));
        }
        assert!(format!("{account:?}").contains("<redacted>"));
        assert!(!format!("{account:?}").contains("s3cret"));
    }

    #[test]
    fn roles_removal_and_refusals() {
        let auth = setup();
        let user = auth
            .admin_set_roles("ann", "user0002", Some(vec!["editor".into()]))
            .unwrap();
        assert_eq!(user.roles, Some(vec!["editor".to_string()]));
        for refused in [
            auth.admin_lock("ann", "ANN", None).map(|_| ()),
            auth.admin_remove_user("ann", "ann"),
            auth.admin_set_roles("ann", "ann", None).map(|_| ()),
            auth.admin_lock("ann", "user0002", Some(-1.0)).map(|_| ()),
        ] {
            assert!(
                matches!(refused, Err(Error::InvalidInput(_))),
                "{refused:?}"
            );
        }
        assert!(matches!(
            auth.admin_remove_user("ann", "ghost"),
            Err(Error::UserNotFound(_))
        ));
        auth.admin_remove_user("ann", "user0002").unwrap();
        assert!(auth.store().user("user0002").unwrap().is_none());
        assert_eq!(auth.audit_trail(1).unwrap()[0].kind, "user_removed");
    }
}
