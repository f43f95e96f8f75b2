//! What an app's administrator (from its admin page,
//! `Authenticate.admin_panel()`) or an operator (the `authgate` CLI) may do
//! to accounts: find users, add them, change their roles, lock and unlock
//! them, end their sessions, remove them, reset their second factors, keep
//! the pre-authorized list, read the audit trail.
//!
//! [`Accounts`] holds these operations for one [`Actor`]; the admin page
//! reaches them through the `admin_*` methods of [`Authenticator`], the CLI
//! through [`Accounts::operator`] (it has no cookie key, hence no
//! `Authenticator`). Every change is recorded in the audit trail with who
//! made it (`detail: "by <admin>"`, or the operator's name such as
//! `"authgate CLI"`). An administrator cannot lock or remove their own
//! account, nor change their own roles, so that nobody shuts the last
//! administrator out by a slip.
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

use std::cell::Cell;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::identity_rules;
use crate::password;
use crate::secret;
use crate::store::{AuditEvent, NewUser, Store, UserUpdate};
use crate::user::{User, UserKey};

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

/// Who makes a change, as the audit trail names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// An app's administrator, by username (`"by <admin>"`). They may not
    /// lock or remove their own account, nor change their own roles.
    Admin(&'a str),
    /// An operator outside the apps, by the name the trail shows (the CLI:
    /// `"authgate CLI"`). Bound by no account of the store.
    Operator(&'a str),
}

/// A change of roles as an operator writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolesEdit<'a> {
    /// Replace them all with these (blank ones dropped, each once).
    Set(&'a [String]),
    /// Add these and remove those, keeping the others in order.
    Change {
        /// Roles to add (none may be blank).
        add: &'a [String],
        /// Roles to remove.
        remove: &'a [String],
    },
}

/// A lock an operator set.
#[derive(Debug, Clone, PartialEq)]
pub struct Locked {
    /// The username, as stored.
    pub username: String,
    /// Until when (Unix seconds; infinite: until unlocked).
    pub until: f64,
    /// How many of the user's sessions ended.
    pub sessions_ended: usize,
}

/// The account operations of one [`Actor`] on one store.
pub struct Accounts<'a> {
    store: &'a dyn Store,
    clock: &'a dyn Clock,
    hash_cost: u32,
    actor: Actor<'a>,
    /// Why the last change could not be recorded in the audit trail, if it
    /// could not (the change itself was made).
    unrecorded: Cell<Option<String>>,
}

impl std::fmt::Debug for Accounts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("store", &self.store)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// Whether a field of `user` contains `query`, each folded as names are
/// ([`UserKey`]): a username or an email is found however it is typed.
fn matches(user: &User, query: &UserKey) -> bool {
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
        .any(|f| UserKey::new(f).contains(query.as_str()))
}

impl<'a> Accounts<'a> {
    /// The operations of an operator named `name` (as the audit trail shows
    /// them) on `store`, on `clock`; new passwords hashed at the default
    /// bcrypt cost.
    pub fn operator(store: &'a dyn Store, clock: &'a dyn Clock, name: &'a str) -> Self {
        Accounts {
            store,
            clock,
            hash_cost: password::DEFAULT_COST,
            actor: Actor::Operator(name),
            unrecorded: Cell::new(None),
        }
    }

    /// Why the last change could not be recorded in the audit trail (it was
    /// made all the same), once; `None` if it was recorded.
    pub fn unrecorded(&self) -> Option<String> {
        self.unrecorded.take()
    }

    /// What [`Accounts::add_user`] refuses before it looks at the password:
    /// a username or an email that the rules of [`crate::identity_rules`]
    /// refuse (as the default `Validator` of a registration does), an empty
    /// role, a username or email taken (case-insensitively, as for a
    /// registration). An operator checks this before asking for a password.
    pub fn check_new_user(&self, account: &NewAccount<'_>) -> Result<()> {
        let username = UserKey::new(account.username);
        let email = account.email.trim();
        if username.is_empty() || email.is_empty() {
            return Err(refuse("A new user needs a username and an email"));
        }
        identity_rules::check_username(&username)?;
        identity_rules::check_email(email)?;
        if account
            .roles
            .is_some_and(|roles| roles.iter().any(|r| r.trim().is_empty()))
        {
            return Err(refuse("A role cannot be empty"));
        }
        self.store.check_available(&username, email)
    }

    /// Adds an account after [`Accounts::check_new_user`]; the
    /// pre-authorized list is neither needed nor consumed. A password is
    /// trimmed, as a login trims it; its strength is the caller's to check
    /// (the admin page's `Validator`, the CLI's policy).
    pub fn add_user(&self, account: &NewAccount<'_>) -> Result<User> {
        // Checked before the bcrypt work; the store checks again as it adds.
        self.check_new_user(account)?;
        let password = match account.password.map(str::trim) {
            Some("") => return Err(refuse("Password fields cannot be empty")),
            Some(password) => password.to_string(),
            None => secret::random_password(INVITE_PASSWORD_LEN)?,
        };
        let username = UserKey::new(account.username);
        let new = NewUser {
            username: username.to_string(),
            email: account.email.trim().to_string(),
            first_name: account.first_name.trim().to_string(),
            last_name: account.last_name.trim().to_string(),
            password_hash: Some(password::hash_with_cost(&password, self.hash_cost)?),
            roles: account.roles.map(<[String]>::to_vec),
            password_hint: None,
            awaiting_verification: false,
        };
        let event = self.event("user_added", &username);
        self.store.add_user(&new, false, Some(&event))
    }

    /// Adds `add` to and removes `remove` from the store's pre-authorized
    /// list; returns the list. See [`Store::edit_preauthorized`].
    pub fn edit_preauthorized(&self, add: &[String], remove: &[String]) -> Result<Vec<String>> {
        for email in add {
            identity_rules::check_email(email.trim())?;
        }
        let by = format!(
            "{}: {} added, {} removed",
            self.by(),
            add.len(),
            remove.len()
        );
        let event = self.event_of("preauthorized_changed", None, &by);
        self.store.edit_preauthorized(add, remove, Some(&event))
    }

    /// Gives `username` these `roles` (`None`: no roles key).
    pub fn set_roles(&self, username: &str, roles: Option<Vec<String>>) -> Result<User> {
        let user = self.existing(username)?;
        self.write_roles(&user.username, roles)
    }

    /// Changes the roles of `username` as `edit` says; the user, and
    /// whether anything changed (nothing is written or audited if not).
    pub fn edit_roles(&self, username: &str, edit: &RolesEdit<'_>) -> Result<(User, bool)> {
        let user = self.existing(username)?;
        let new = match edit {
            RolesEdit::Set(list) => unique(list.iter().map(|r| r.trim()).filter(|r| !r.is_empty())),
            RolesEdit::Change { add, remove } => {
                let added = add.iter().map(|r| r.trim());
                if added.clone().any(str::is_empty) {
                    return Err(refuse("A role cannot be empty"));
                }
                let remove: Vec<&str> = remove.iter().map(|r| r.trim()).collect();
                let current = user.roles.as_deref().unwrap_or_default();
                unique(
                    current
                        .iter()
                        .map(String::as_str)
                        .chain(added)
                        .filter(|r| !remove.contains(r)),
                )
            }
        };
        if user.roles.as_ref() == Some(&new) {
            return Ok((user, false));
        }
        Ok((self.write_roles(&user.username, Some(new))?, true))
    }

    fn write_roles(&self, username: &str, roles: Option<Vec<String>>) -> Result<User> {
        if self.is_self(username) {
            return Err(refuse("Administrators cannot change their own roles here"));
        }
        let event = self.event("roles_changed", username);
        self.store
            .update_user(username, &UserUpdate::Roles(roles), Some(&event))?;
        self.existing(username)
    }

    /// Locks `username` for `minutes` (`None`: until unlocked) and, if
    /// `end_sessions`, ends their sessions so the lock takes effect
    /// everywhere at once.
    pub fn lock(&self, username: &str, minutes: Option<f64>, end_sessions: bool) -> Result<Locked> {
        let username = self.existing(username)?.username;
        if self.is_self(&username) {
            return Err(refuse("Administrators cannot lock their own account"));
        }
        let now = self.clock.now();
        let until = match minutes {
            Some(m) if m.is_finite() && m > 0.0 => now + m * 60.0,
            Some(_) => return Err(refuse("A lock lasts a positive number of minutes")),
            None => f64::INFINITY,
        };
        self.store.set_lock(&username, Some(until))?;
        self.record("user_locked", &username);
        let sessions_ended = if end_sessions {
            self.store.end_sessions(&username, now)?
        } else {
            0
        };
        Ok(Locked {
            username,
            until,
            sessions_ended,
        })
    }

    /// Lifts a lock on `username` (an administrator's or failures'); returns
    /// the username as stored.
    pub fn unlock(&self, username: &str) -> Result<String> {
        let username = self.existing(username)?.username;
        self.store.set_lock(&username, None)?;
        self.record("user_unlocked", &username);
        Ok(username)
    }

    /// Ends every session of `username` ("log out everywhere"); how many.
    pub fn end_sessions(&self, username: &str) -> Result<usize> {
        let username = self.existing(username)?.username;
        let ended = self.store.end_sessions(&username, self.clock.now())?;
        self.record("sessions_ended", &username);
        Ok(ended)
    }

    /// Removes `username`, their sessions and state (their revocations stay,
    /// so a new account of that name never revives old cookies); returns the
    /// username as it was stored.
    pub fn remove_user(&self, username: &str) -> Result<String> {
        let username = self.existing(username)?.username;
        if self.is_self(&username) {
            return Err(refuse("Administrators cannot remove their own account"));
        }
        if !self.store.remove_user(&username)? {
            return Err(Error::UserNotFound(username));
        }
        self.record("user_removed", &username);
        Ok(username)
    }

    /// Removes every second factor of `username` (who then logs in with the
    /// password alone and may enrol again), audited as
    /// `second_factors_reset`; `false` if there was none.
    pub fn reset_second_factors(&self, username: &str) -> Result<bool> {
        let username = self.existing(username)?.username;
        let event = self.event("second_factors_reset", &username);
        self.store.remove_second_factors(&username, Some(&event))
    }

    /// The user named `username` (any case, trimmed), or `UserNotFound`.
    fn existing(&self, username: &str) -> Result<User> {
        let key = UserKey::new(username);
        self.store
            .user(&key)?
            .ok_or(Error::UserNotFound(key.into()))
    }

    fn is_self(&self, username: &str) -> bool {
        matches!(self.actor, Actor::Admin(admin) if UserKey::new(admin) == username)
    }

    /// The audit trail's name for the actor.
    fn by(&self) -> String {
        match self.actor {
            Actor::Admin(admin) => format!("by {}", UserKey::new(admin)),
            Actor::Operator(name) => name.to_string(),
        }
    }

    fn event(&self, kind: &str, username: &str) -> AuditEvent {
        self.event_of(kind, Some(username), &self.by())
    }

    fn event_of(&self, kind: &str, username: Option<&str>, detail: &str) -> AuditEvent {
        AuditEvent {
            time: self.clock.now(),
            kind: kind.to_string(),
            username: username.map(str::to_string),
            detail: Some(detail.to_string()),
        }
    }

    /// Records a change that does not take its event along. Best effort,
    /// as every audit record: the change is made; why it was not recorded
    /// is kept for [`Accounts::unrecorded`].
    fn record(&self, kind: &str, username: &str) {
        if let Err(e) = self.store.record_event(&self.event(kind, username)) {
            self.unrecorded.set(Some(e.to_string()));
        }
    }
}

/// The roles in first-seen order, each once.
fn unique<'r>(roles: impl Iterator<Item = &'r str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for role in roles {
        if !out.iter().any(|r| r == role) {
            out.push(role.to_string());
        }
    }
    out
}

impl Authenticator {
    /// The account operations of the app's administrator `admin`.
    pub fn accounts<'a>(&'a self, admin: &'a str) -> Accounts<'a> {
        Accounts {
            store: self.store().as_ref(),
            clock: self.clock(),
            hash_cost: self.hash_cost(),
            actor: Actor::Admin(admin),
            unrecorded: Cell::new(None),
        }
    }

    /// The users whose username, email or name contains `query` (any case;
    /// empty: everyone), in username order: the page at `offset` of at most
    /// `limit`, and how many match in all.
    pub fn find_users(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<UserSummary>, usize)> {
        let query = UserKey::new(query);
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

    /// Adds an account ([`Accounts::add_user`]), audited as `admin`'s.
    pub fn admin_add_user(&self, admin: &str, account: &NewAccount<'_>) -> Result<User> {
        self.accounts(admin).add_user(account)
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
        self.accounts(admin).edit_preauthorized(add, remove)
    }

    /// Gives `username` these `roles` (`None`: no roles key).
    pub fn admin_set_roles(
        &self,
        admin: &str,
        username: &str,
        roles: Option<Vec<String>>,
    ) -> Result<User> {
        self.accounts(admin).set_roles(username, roles)
    }

    /// Locks `username` for `minutes` (`None`: until unlocked) and ends
    /// their sessions; returns how many ended.
    pub fn admin_lock(&self, admin: &str, username: &str, minutes: Option<f64>) -> Result<usize> {
        let locked = self.accounts(admin).lock(username, minutes, true)?;
        Ok(locked.sessions_ended)
    }

    /// Lifts a lock on `username` (an administrator's or failures').
    pub fn admin_unlock(&self, admin: &str, username: &str) -> Result<()> {
        self.accounts(admin).unlock(username).map(drop)
    }

    /// Ends every session of `username` ("log out everywhere"); how many.
    pub fn admin_end_sessions(&self, admin: &str, username: &str) -> Result<usize> {
        self.accounts(admin).end_sessions(username)
    }

    /// Removes `username`, their sessions and state.
    pub fn admin_remove_user(&self, admin: &str, username: &str) -> Result<()> {
        self.accounts(admin).remove_user(username).map(drop)
    }

    /// The newest `limit` events of the audit trail, newest first.
    pub fn audit_trail(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        let mut events = self.store().recent_events(limit)?;
        events.reverse();
        Ok(events)
    }
}

fn refuse(message: &str) -> Error {
    Error::InvalidInput(message.to_string())
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::auth::LoginRequest;

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
        crate::test_support::authenticator(&text)
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
                email: "a@b.co",
                ..Default::default()
            },
            // The identity rules of registration: 1 to 20 plain characters
            // or an address, and an address with a top-level domain.
            NewAccount {
                username: "j smith",
                email: "j@b.co",
                ..Default::default()
            },
            NewAccount {
                username: "twenty-one-characters",
                email: "t@b.co",
                ..Default::default()
            },
            NewAccount {
                username: "local",
                email: "local@localhost",
                ..Default::default()
            },
            NewAccount {
                username: "x",
                email: "x@b.co",
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

    #[test]
    fn an_operator_edits_roles_locks_and_removes_audited_by_name() {
        let auth = setup();
        let store = auth.store().as_ref();
        let clock = crate::clock::FakeClock::new(1_000.0);
        let ops = Accounts::operator(store, &clock, "authgate CLI");
        let roles = |list: &[&str]| list.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        let set = roles(&[" b ", "a", "", "b"]);
        let (user, changed) = ops.edit_roles("USER0003", &RolesEdit::Set(&set)).unwrap();
        assert!(changed);
        assert_eq!(user.roles, Some(roles(&["b", "a"])));
        let (add, remove) = (roles(&["c", "a"]), roles(&["b"]));
        let change = RolesEdit::Change {
            add: &add,
            remove: &remove,
        };
        let (user, _) = ops.edit_roles("user0003", &change).unwrap();
        assert_eq!(user.roles, Some(roles(&["a", "c"])));
        let before = store.recent_events(usize::MAX).unwrap().len();
        let (_, changed) = ops.edit_roles("user0003", &change).unwrap();
        assert!(!changed, "nothing to change: nothing written or audited");
        assert_eq!(store.recent_events(usize::MAX).unwrap().len(), before);
        let blank = roles(&[" "]);
        let empty_role = RolesEdit::Change {
            add: &blank,
            remove: &[],
        };
        assert!(matches!(
            ops.edit_roles("user0003", &empty_role),
            Err(Error::InvalidInput(_))
        ));

        // An operator is no account: locking "ann" is not locking oneself.
        let login = auth
            .login(&LoginRequest {
                username: "ann",
                password: "pw",
                ..Default::default()
            })
            .unwrap();
        let locked = ops.lock(" Ann ", Some(5.0), false).unwrap();
        assert_eq!(
            locked,
            Locked {
                username: "ann".into(),
                until: 1_300.0,
                sessions_ended: 0
            }
        );
        assert!(auth.check_session(&login.session.id).unwrap().is_some());
        assert_eq!(ops.unlock("ANN").unwrap(), "ann");
        assert_eq!(ops.remove_user("User0004").unwrap(), "user0004");
        assert!(ops.unrecorded().is_none());
        let trail = auth.audit_trail(10).unwrap();
        let by_cli: Vec<&str> = trail
            .iter()
            .filter(|e| e.detail.as_deref() == Some("authgate CLI"))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            by_cli,
            [
                "user_removed",
                "user_unlocked",
                "user_locked",
                "roles_changed",
                "roles_changed"
            ]
        );
    }

    #[test]
    fn a_new_account_is_checked_before_its_password() {
        let auth = setup();
        let ops = auth.accounts("ann");
        let roles = vec![" ".to_string()];
        for (account, says) in [
            (("bad name", "b@x.org", None), "not a valid username"),
            (("bob", "bob@localhost", None), "not an email address"),
            (("bob", "not-an-email", None), "not an email address"),
            (("bob", "b@x.org", Some(roles.as_slice())), "role"),
        ] {
            let (username, email, roles) = account;
            let account = NewAccount {
                username,
                email,
                roles,
                ..Default::default()
            };
            let err = ops.check_new_user(&account).unwrap_err();
            assert!(err.to_string().contains(says), "{err}");
        }
        let taken = NewAccount {
            username: "USER0005",
            email: "new@x.org",
            ..Default::default()
        };
        assert!(matches!(
            ops.check_new_user(&taken),
            Err(Error::UsernameTaken)
        ));
    }
}
