//! Links mailed to users: password reset (`forgot_password(reset_link=True)`)
//! and email verification (`register_user(verify_email=True)`).
//!
//! A link's token is `b64(username) . expires . b64(tag)`, the tag an
//! HMAC-SHA256 under a key derived from the cookie key for links only
//! ([`TokenKey::link_mac`](crate::token::TokenKey)), over the link's
//! purpose, the username, the expiry and what the link changes:
//!
//! - a reset link signs the user's credential version (a digest of the
//!   password hash, [`crate::token::credential_version`]). It works for
//!   [`RESET_LINK_TTL`] (30 minutes), and once: setting the password
//!   changes the credential version, which kills it and every other link
//!   sent before, as does any other change of the password meanwhile.
//!   Setting the password ends every session of the user.
//! - a verification link signs the email it was sent to. It works for
//!   [`VERIFY_LINK_TTL`] (a day), while the account awaits verification
//!   and still has that email.
//!
//! No link can be forged or pass for a cookie, nor a cookie for a link,
//! nor one kind of link for the other. Nothing is stored to issue a link,
//! so asking for links fills no table. [`address`] decides the page a
//! link points at.

pub mod address;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::auth::Authenticator;
use crate::error::{Error, Result};
use crate::secret::constant_time_eq;
use crate::store::UserUpdate;
use crate::token::credential_version;
use crate::user::{User, UserKey};

/// Seconds a reset link works.
pub const RESET_LINK_TTL: f64 = 30.0 * 60.0;
/// Seconds a verification link works.
pub const VERIFY_LINK_TTL: f64 = 24.0 * 3600.0;

/// Longest token looked at; a real one is far shorter.
const MAX_TOKEN_LEN: usize = 1024;

/// The tag of a `purpose` link for `username` expiring at `expires` (whole
/// seconds), over `state`: what using the link changes.
fn tag(auth: &Authenticator, purpose: &str, username: &str, expires: u64, state: &str) -> [u8; 32] {
    auth.token_key().link_mac(&[
        purpose.as_bytes(),
        username.as_bytes(),
        &expires.to_be_bytes(),
        state.as_bytes(),
    ])
}

/// A signed token for a `purpose` link.
fn seal(auth: &Authenticator, purpose: &str, username: &str, ttl: f64, state: &str) -> String {
    // Whole seconds, rounded up, so that what is read back is what was signed.
    let expires = (auth.now() + ttl).ceil().max(0.0) as u64;
    let tag = tag(auth, purpose, username, expires, state);
    format!(
        "{}.{expires}.{}",
        URL_SAFE_NO_PAD.encode(username.as_bytes()),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The user a `kind` token is for, if it is genuine and unexpired and its
/// state (what the link changes) is still the user's.
fn open(auth: &Authenticator, kind: &Kind, token: &str) -> Result<User> {
    let malformed = || refused("is not a valid link");
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed());
    }
    let mut parts = token.split('.');
    let (Some(name), Some(expires), Some(tag_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let username = URL_SAFE_NO_PAD
        .decode(name)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed)?;
    let expires: u64 = expires.parse().map_err(|_| malformed())?;
    let given = URL_SAFE_NO_PAD.decode(tag_b64).map_err(|_| malformed())?;
    // The same answer for a forged link, one for a name that is gone, and
    // one that was used: it does not work.
    let user = auth.store().user(&username)?;
    let genuine = user.as_ref().and_then(|u| {
        let expected = tag(auth, kind.purpose, &u.username, expires, &(kind.state)(u)?);
        constant_time_eq(&expected, &given).then_some(())
    });
    let (Some(user), Some(())) = (user, genuine) else {
        return Err(refused("has been used already or is not valid"));
    };
    #[allow(clippy::cast_precision_loss)]
    if auth.now() >= expires as f64 {
        return Err(refused("has expired"));
    }
    Ok(user)
}

fn refused(why: &'static str) -> Error {
    Error::LinkRefused(why)
}

/// One kind of link: its purpose (signed in), lifetime, what it changes
/// (`state`: `None` when it cannot apply to the user) and the audit event
/// of issuing one.
struct Kind {
    purpose: &'static str,
    ttl: f64,
    state: fn(&User) -> Option<String>,
    issued: &'static str,
}

const RESET: Kind = Kind {
    purpose: "reset",
    ttl: RESET_LINK_TTL,
    state: reset_state,
    issued: "reset_link_issued",
};

const VERIFY: Kind = Kind {
    purpose: "verify",
    ttl: VERIFY_LINK_TTL,
    state: verify_state,
    issued: "verify_link_issued",
};

fn reset_state(user: &User) -> Option<String> {
    user.password_hash.as_deref().map(credential_version)
}

fn verify_state(user: &User) -> Option<String> {
    user.awaiting_verification
        .then(|| user.email.clone())
        .flatten()
}

/// A `kind` link for `username` and the user to mail it to; `None` when
/// nobody has the name or the link cannot apply to them.
fn issue(auth: &Authenticator, kind: &Kind, username: &str) -> Result<Option<(User, String)>> {
    let username = UserKey::new(username);
    let Some(user) = auth.store().user(&username)? else {
        return Ok(None);
    };
    let Some(state) = (kind.state)(&user) else {
        return Ok(None);
    };
    let token = seal(auth, kind.purpose, &user.username, kind.ttl, &state);
    auth.audit(kind.issued, Some(&user.username), None);
    Ok(Some((user, token)))
}

impl Authenticator {
    /// A reset link token for `username`, and the user to mail it to;
    /// `None` for a name nobody has, or a guest (no password to reset). A
    /// blank name is refused ("Username not provided").
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use authgate::auth::{AuthConfig, Authenticator};
    /// # use authgate::store::DocStore;
    /// # use authgate::token::TokenKey;
    /// # let hash = authgate::password::hash_with_cost("old", 4)?;
    /// # let users = authgate::yaml::parse(&format!("usernames:\n  ann:\n    email: a@x.org\n    password: '{hash}'\n"), "<dict>".as_ref())?;
    /// # let store = Arc::new(DocStore::in_memory(users)?);
    /// # let auth = Authenticator::new(store, AuthConfig::new(TokenKey::new("an example key of at least 32 bytes!"), 30.0)?);
    /// let (user, token) = auth.reset_link("ann")?.expect("ann has a password");
    /// assert_eq!(auth.check_reset_link(&token)?.username, "ann");
    /// auth.reset_with_link(&token, "N3w!password", "N3w!password")?;
    /// assert!(auth.check_reset_link(&token).is_err()); // used
    /// # Ok::<(), authgate::Error>(())
    /// ```
    pub fn reset_link(&self, username: &str) -> Result<Option<(User, String)>> {
        if UserKey::new(username).is_empty() {
            return Err(Error::InvalidInput(
                crate::account::USERNAME_NOT_PROVIDED.to_string(),
            ));
        }
        issue(self, &RESET, username)
    }

    /// The user a reset link `token` is for, if it is genuine, unexpired
    /// and unused; [`Error::LinkRefused`] otherwise.
    pub fn check_reset_link(&self, token: &str) -> Result<User> {
        open(self, &RESET, token)
    }

    /// A verification link token for `username`, while their account
    /// awaits verification; `None` otherwise (unknown, or verified).
    pub fn verification_link(&self, username: &str) -> Result<Option<(User, String)>> {
        issue(self, &VERIFY, username)
    }

    /// Marks the email of the account a verification link `token` is for
    /// verified: its password logs in from now on. Returns the user;
    /// [`Error::LinkRefused`] for a forged, expired or used link, or one
    /// sent to an email the account no longer has.
    pub fn verify_email(&self, token: &str) -> Result<User> {
        let mut user = open(self, &VERIFY, token)?;
        let event = self.event("email_verified", Some(&user.username), None);
        self.store()
            .update_user(&user.username, &UserUpdate::EmailVerified, Some(&event))?;
        user.awaiting_verification = false;
        Ok(user)
    }

    /// Sets a new password through a reset link: checks the link, the two
    /// entries (as [`Authenticator::reset_password`] does, without the
    /// current password); every session of the user ends and the link,
    /// with every other one sent before, stops working. Returns the user.
    pub fn reset_with_link(&self, token: &str, new: &str, repeat: &str) -> Result<User> {
        let user = self.check_reset_link(token)?;
        let (new, repeat) = (new.trim(), repeat.trim());
        if new.is_empty() {
            return Err(Error::InvalidInput("No new password provided".into()));
        }
        if !constant_time_eq(new.as_bytes(), repeat.as_bytes()) {
            return Err(Error::InvalidInput("Passwords do not match".into()));
        }
        let hash = self.hash_new(new)?;
        let event = self.event("password_reset_link", Some(&user.username), None);
        self.store()
            .set_password(&user.username, &hash, self.now(), Some(&event))?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{AuthConfig, LoginRequest};
    use crate::clock::FakeClock;

    use crate::token::TokenKey;

    use crate::test_support::KEY;

    fn setup(key: &str) -> (Authenticator, Arc<FakeClock>) {
        let hash = crate::password::hash_with_cost("old-pass", 4).unwrap();
        let text = format!(
            "usernames:\n  ann:\n    email: ann@example.com\n    password: '{hash}'\n  \
             guest:\n    email: guest@example.com\n"
        );
        let store = crate::test_support::store(&text);
        let clock = Arc::new(FakeClock::new(1_700_000_000.0));
        let config = AuthConfig::new(TokenKey::new(key), 30.0)
            .unwrap()
            .with_hash_cost(4)
            .unwrap();
        (
            Authenticator::with_clock(store, config, clock.clone()),
            clock,
        )
    }

    fn why(r: Result<impl std::fmt::Debug>) -> &'static str {
        match r {
            Err(Error::LinkRefused(why)) => why,
            other => panic!("expected a refused link, got {other:?}"),
        }
    }

    #[test]
    fn a_link_sets_the_password_once_and_ends_the_sessions() {
        let (auth, _) = setup(KEY);
        let login = auth
            .login(&LoginRequest {
                username: "ann",
                password: "old-pass",
                ..Default::default()
            })
            .unwrap();
        let (_, first) = auth.reset_link("Ann").unwrap().unwrap();
        let (_, second) = auth.reset_link("ann").unwrap().unwrap();
        auth.reset_with_link(&first, "n3w-pass", "n3w-pass")
            .unwrap();
        assert!(auth.check_session(&login.session.id).unwrap().is_none());
        let used = "has been used already or is not valid";
        assert_eq!(why(auth.check_reset_link(&first)), used);
        assert_eq!(why(auth.check_reset_link(&second)), used);
        let relogin = auth.login(&LoginRequest {
            username: "ann",
            password: "n3w-pass",
            ..Default::default()
        });
        assert!(relogin.is_ok());
    }

    #[test]
    fn a_link_expires_after_thirty_minutes() {
        let (auth, clock) = setup(KEY);
        let (_, token) = auth.reset_link("ann").unwrap().unwrap();
        clock.advance(RESET_LINK_TTL - 5.0);
        assert!(auth.check_reset_link(&token).is_ok());
        clock.advance(10.0);
        assert_eq!(why(auth.check_reset_link(&token)), "has expired");
    }

    #[test]
    fn forged_tampered_and_foreign_links_are_refused() {
        let (auth, _) = setup(KEY);
        let (_, token) = auth.reset_link("ann").unwrap().unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let later = format!(
            "{}.{}.{}",
            parts[0],
            parts[1].parse::<u64>().unwrap() + 3600,
            parts[2]
        );
        let other_user = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode("guest"),
            parts[1],
            parts[2]
        );
        let (other_app, _) = setup("another-key-0123456789-abcdefghijklm");
        for bad in [
            later.as_str(),
            other_user.as_str(),
            "",
            "a.b",
            "a.b.c.d",
            "!!.1.x",
            &"x".repeat(5000),
        ] {
            assert!(auth.check_reset_link(bad).is_err(), "{bad:.40}");
        }
        assert!(other_app.check_reset_link(&token).is_err());
        // A cookie token is no link.
        let login = auth
            .login(&LoginRequest {
                username: "ann",
                password: "old-pass",
                ..Default::default()
            })
            .unwrap();
        let cookie = login.token.unwrap();
        assert!(auth.check_reset_link(&cookie).is_err());
    }

    #[test]
    fn no_link_for_strangers_or_guests_and_bad_passwords_change_nothing() {
        let (auth, _) = setup(KEY);
        assert!(auth.reset_link("nobody").unwrap().is_none());
        assert!(auth.reset_link("guest").unwrap().is_none());
        let (_, token) = auth.reset_link("ann").unwrap().unwrap();
        for (new, repeat) in [("", ""), ("a-pass", "b-pass")] {
            assert!(matches!(
                auth.reset_with_link(&token, new, repeat),
                Err(Error::InvalidInput(_))
            ));
        }
        let long = "x".repeat(73);
        assert!(matches!(
            auth.reset_with_link(&token, &long, &long),
            Err(Error::PasswordTooLong)
        ));
        // Still unused.
        assert!(auth.check_reset_link(&token).is_ok());
    }

    #[test]
    fn a_verification_link_lets_the_password_log_in() {
        let (auth, clock) = setup(KEY);
        let reg = crate::account::Registration {
            username: "Newbie",
            email: "newbie@example.com",
            first_name: "New",
            last_name: "Bie",
            password: "pass-word",
            password_repeat: "pass-word",
            pre_authorized: crate::account::PreAuthorization::Anyone,
            awaiting_verification: true,
            ..Default::default()
        };
        assert!(auth.register(&reg).unwrap().awaiting_verification);
        let login = || {
            auth.login(&LoginRequest {
                username: "newbie",
                password: "pass-word",
                ..Default::default()
            })
        };
        assert!(matches!(login(), Err(Error::EmailUnverified)));
        // A wrong password says nothing of verification.
        let wrong = auth.login(&LoginRequest {
            username: "newbie",
            password: "wrong",
            ..Default::default()
        });
        assert!(matches!(wrong, Err(Error::InvalidCredentials { .. })));
        let (_, token) = auth.verification_link("newbie").unwrap().unwrap();
        // Neither kind of link passes for the other.
        assert!(auth.check_reset_link(&token).is_err());
        let (_, reset) = auth.reset_link("newbie").unwrap().unwrap();
        assert!(auth.verify_email(&reset).is_err());
        clock.advance(VERIFY_LINK_TTL - 5.0);
        assert!(!auth.verify_email(&token).unwrap().awaiting_verification);
        assert!(login().is_ok());
        assert_eq!(
            why(auth.verify_email(&token)),
            "has been used already or is not valid"
        );
        // Verified and 0.4.2 accounts get no verification link.
        assert!(auth.verification_link("newbie").unwrap().is_none());
        assert!(auth.verification_link("ann").unwrap().is_none());
    }

    #[test]
    fn a_verification_link_expires_and_dies_with_an_email_change() {
        let (auth, clock) = setup(KEY);
        let reg = crate::account::Registration {
            username: "newbie",
            email: "newbie@example.com",
            password: "pass-word",
            password_repeat: "pass-word",
            pre_authorized: crate::account::PreAuthorization::Anyone,
            awaiting_verification: true,
            ..Default::default()
        };
        auth.register(&reg).unwrap();
        let (_, token) = auth.verification_link("newbie").unwrap().unwrap();
        clock.advance(VERIFY_LINK_TTL + 1.0);
        assert_eq!(why(auth.verify_email(&token)), "has expired");
        let (_, token) = auth.verification_link("newbie").unwrap().unwrap();
        auth.store()
            .update_user(
                "newbie",
                &UserUpdate::Email("other@example.com".into()),
                None,
            )
            .unwrap();
        assert_eq!(
            why(auth.verify_email(&token)),
            "has been used already or is not valid"
        );
    }
}
