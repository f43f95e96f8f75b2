//! A logged-in user's own sessions (`Authenticate.sessions()`): which
//! browsers are logged in as them, since when, last seen when; ending one,
//! or every one but the current ("log out other devices").
//!
//! A user can end only their own sessions: a session id from another
//! account is refused as if it did not exist.
//!
//! ```
//! # use std::sync::Arc;
//! # use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
//! # use authgate::store::DocStore;
//! # use authgate::token::TokenKey;
//! # let hash = authgate::password::hash_with_cost("pw", 4)?;
//! # let users = authgate::yaml::parse(&format!("usernames:\n  ann: {{password: '{hash}'}}\n"), "<dict>".as_ref())?;
//! # let auth = Authenticator::new(Arc::new(DocStore::in_memory(users)?), AuthConfig::new(TokenKey::new("an example key of at least 32 bytes!"), 30.0)?);
//! let login = |_| auth.login(&LoginRequest { username: "ann", password: "pw", ..Default::default() });
//! let (laptop, phone) = (login(1)?.session.id, login(2)?.session.id);
//! auth.label_session(&phone, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) Version/17.2 Safari/604.1")?;
//! assert_eq!(auth.sessions_of_user("ann")?.len(), 2);
//! assert_eq!(auth.end_other_sessions("ann", &laptop)?, 1);
//! assert_eq!(auth.sessions_of_user("ann")?[0].session.id, laptop);
//! # Ok::<(), authgate::Error>(())
//! ```

use crate::auth::Authenticator;
use crate::device;
use crate::error::{Error, Result};
use crate::session::{clean_user_agent, Session};
use crate::user::UserKey;

/// One of a user's sessions, as their list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSession {
    /// The session.
    pub session: Session,
    /// Its browser in words ([`device::describe`]).
    pub device: String,
}

impl Authenticator {
    /// Keeps the browser's `User-Agent` with a session just opened, for
    /// [`Authenticator::sessions_of_user`]. Cut to a sane length; an empty
    /// one is not kept.
    pub fn label_session(&self, session_id: &str, user_agent: &str) -> Result<()> {
        match clean_user_agent(user_agent) {
            Some(agent) => self.store().label_session(session_id, &agent),
            None => Ok(()),
        }
    }

    /// `username`'s sessions that have not expired, the most recently
    /// used first.
    pub fn sessions_of_user(&self, username: &str) -> Result<Vec<UserSession>> {
        let now = self.now();
        let mut sessions: Vec<UserSession> = self
            .store()
            .sessions_of(&UserKey::new(username))?
            .into_iter()
            .filter(|s| s.is_valid(now))
            .map(|session| UserSession {
                device: device::describe(session.user_agent.as_deref()),
                session,
            })
            .collect();
        sessions.sort_by(|a, b| b.session.last_seen.total_cmp(&a.session.last_seen));
        Ok(sessions)
    }

    /// Ends `username`'s session `session_id`; [`Error::InvalidInput`] if
    /// they have no such session (ended already, or someone else's).
    pub fn end_own_session(&self, username: &str, session_id: &str) -> Result<()> {
        let owner = UserKey::new(username);
        let theirs = self
            .store()
            .session(session_id)?
            .is_some_and(|s| s.username == owner);
        if !theirs {
            return Err(Error::InvalidInput("That session has already ended".into()));
        }
        self.end(session_id)
    }

    /// Ends every session of `username` except `keep` (the caller's own);
    /// returns how many ended.
    pub fn end_other_sessions(&self, username: &str, keep: &str) -> Result<usize> {
        let others: Vec<String> = self
            .sessions_of_user(username)?
            .into_iter()
            .map(|s| s.session.id)
            .filter(|id| id != keep)
            .collect();
        for id in &others {
            self.end(id)?;
        }
        Ok(others.len())
    }

    fn end(&self, session_id: &str) -> Result<()> {
        // The store names the session's owner in the event.
        let event = self.event("session_ended", None, Some("by its user"));
        self.store()
            .close_session(session_id, self.now(), self.idle_timeout(), Some(&event))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::auth::LoginRequest;

    #[test]
    fn a_user_ends_only_their_own_sessions() {
        let hash = crate::password::hash_with_cost("pw", 4).unwrap();
        let text =
            format!("usernames:\n  ann: {{password: '{hash}'}}\n  bob: {{password: '{hash}'}}\n");
        let auth = crate::test_support::authenticator(&text);
        let login = |name| {
            auth.login(&LoginRequest {
                username: name,
                password: "pw",
                ..Default::default()
            })
            .unwrap()
            .session
            .id
        };
        let (ann, bobs) = (login("ann"), login("bob"));
        assert!(matches!(
            auth.end_own_session("ann", &bobs),
            Err(Error::InvalidInput(_))
        ));
        assert!(
            auth.check_session(&bobs).unwrap().is_some(),
            "bob's lives on"
        );
        auth.label_session(&ann, "\u{7}  ").unwrap();
        let listed = auth.sessions_of_user("ANN").unwrap();
        assert_eq!(listed[0].device, "Unknown browser");
        assert_eq!(listed[0].session.user_agent, None, "nothing left to keep");
        auth.end_own_session("Ann", &ann).unwrap();
        assert!(auth.sessions_of_user("ann").unwrap().is_empty());
        assert!(matches!(
            auth.end_own_session("ann", &ann),
            Err(Error::InvalidInput(_))
        ));
        let event = &auth.audit_trail(1).unwrap()[0];
        assert_eq!(
            (event.kind.as_str(), event.username.as_deref()),
            ("session_ended", Some("ann"))
        );
    }
}
