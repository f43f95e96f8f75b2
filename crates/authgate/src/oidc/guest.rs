//! The guest account of a verified identity, and its session.

use crate::auth::{Authenticator, Login};
use crate::error::{Error, Result};
use crate::secret;
use crate::session::{Session, SessionPolicy};
use crate::store::{AuditEvent, NewUser, SessionLimits, Store, UserUpdate};
use crate::user::User;

use super::error::{audit_reason, OidcFailure};
use super::verify::Identity;
use super::{Callback, OidcClient};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// The limits and settings of one guest login.
#[derive(Debug, Clone, Copy)]
pub struct GuestLoginRequest<'a> {
    /// At most this many users logged in at once.
    pub max_concurrent_users: Option<u32>,
    /// Refuse a second live session of the same user.
    pub single_session: bool,
    /// Roles the guest gets (set on every login, as 0.4.2 does).
    pub roles: Option<&'a [String]>,
    /// Cookie and session lifetime in days, as in
    /// [`crate::auth::AuthConfig::cookie_expiry_days`] (`0`: no cookie, a
    /// session of one day).
    pub cookie_expiry_days: f64,
    /// Seconds without activity after which a session is not live, as in
    /// [`crate::session::SessionPolicy::idle_timeout`].
    pub idle_timeout: f64,
}

impl Default for GuestLoginRequest<'_> {
    /// No limits, no roles, 0.4.2's 30-day cookie, the default idle timeout.
    fn default() -> Self {
        GuestLoginRequest {
            max_concurrent_users: None,
            single_session: false,
            roles: None,
            cookie_expiry_days: 30.0,
            idle_timeout: SessionPolicy::default().idle_timeout,
        }
    }
}

/// A guest who logged in.
#[derive(Debug, Clone)]
pub struct GuestSession {
    /// Their account.
    pub user: User,
    /// Their new server-side session.
    pub session: Session,
    /// What the provider said about them.
    pub identity: Identity,
}

/// Finishes an OpenID Connect login: verifies the redirect with
/// [`OidcClient::complete`], registers or updates the guest and opens a
/// session under `request`'s limits. Records `login` or `login_refused`
/// (with the reason) in the audit trail.
///
/// The guest's username is their email address, lower-cased. A returning
/// guest's names and roles are refreshed. An address that belongs to a
/// user with a password is refused with [`OidcFailure::UserExists`], so an
/// identity provider can never log anyone into a password account.
///
/// # Errors
///
/// Those of [`OidcClient::complete`]; [`Error::Oidc`] with
/// [`OidcFailure::UserExists`]; [`Error::TooManyUsers`] or
/// [`Error::SessionExists`] when the limits refuse, or a store error.
pub fn guest_login(
    store: &dyn Store,
    client: &OidcClient,
    callback: &Callback<'_>,
    request: &GuestLoginRequest<'_>,
    now: f64,
) -> Result<GuestSession> {
    // Who it was, once the provider vouched for them: kept for the audit
    // trail even when the login is refused afterwards.
    let mut who = None;
    let result = check_request(request)
        .and_then(|()| client.complete(callback, now))
        .and_then(|identity| {
            who = Some(identity.email.clone());
            sign_in(store, identity, request, now)
        });
    let (kind, detail) = match &result {
        Ok(_) => ("login", "oidc".to_owned()),
        Err(e) => ("login_refused", format!("oidc: {}", audit_reason(e))),
    };
    // Best effort, as for every audit event: a full disk must not stop logins.
    let _ = store.record_event(&AuditEvent {
        time: now,
        kind: kind.to_owned(),
        username: who,
        detail: Some(detail),
    });
    result
}

impl Authenticator {
    /// Finishes an OpenID Connect guest login and issues the cookie token,
    /// like [`Authenticator::login`] does for a password. See
    /// [`guest_login`].
    ///
    /// # Errors
    ///
    /// Those of [`guest_login`].
    pub fn guest_login(
        &self,
        client: &OidcClient,
        callback: &Callback<'_>,
        request: &GuestLoginRequest<'_>,
    ) -> Result<Login> {
        let guest = guest_login(self.store().as_ref(), client, callback, request, self.now())?;
        let token = if request.cookie_expiry_days > 0.0 {
            Some(self.issue_token(&guest.user, &guest.session)?)
        } else {
            None
        };
        Ok(Login {
            user: guest.user,
            session: guest.session,
            token,
        })
    }
}

fn check_request(request: &GuestLoginRequest<'_>) -> Result<()> {
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    if ok(request.cookie_expiry_days) && ok(request.idle_timeout) {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "cookie_expiry_days and idle_timeout must be non-negative numbers".into(),
        ))
    }
}

fn sign_in(
    store: &dyn Store,
    identity: Identity,
    request: &GuestLoginRequest<'_>,
    now: f64,
) -> Result<GuestSession> {
    let username = identity.email.clone();
    let roles = request.roles.map(<[String]>::to_vec);
    match store.user(&username)? {
        Some(user) if user.password_hash.is_some() => return Err(OidcFailure::UserExists.into()),
        Some(user) => refresh_guest(store, &user, &identity, roles.as_ref())?,
        // An account an operator removed leaves a revocation behind: the
        // provider's next login must not bring it back.
        None if store.revoked_before(&username)?.is_some() => {
            return Err(Error::AccountLocked {
                until: f64::INFINITY,
            })
        }
        None => add_guest(store, &username, &identity, roles)?,
    }
    // OpenID Connect Core §5.7: only issuer and subject identify a user.
    let bound = store.bind_guest(&username, &identity.issuer, &identity.subject)?;
    if bound != (identity.issuer.clone(), identity.subject.clone()) {
        return Err(OidcFailure::IdentityMismatch.into());
    }
    let limits = SessionLimits {
        max_concurrent_users: request.max_concurrent_users,
        single_session: request.single_session,
        idle_timeout: request.idle_timeout,
    };
    let lifetime = if request.cookie_expiry_days > 0.0 {
        request.cookie_expiry_days * SECONDS_PER_DAY
    } else {
        // No cookie: the session only has to outlive the browser tab.
        SECONDS_PER_DAY
    };
    let session = Session {
        id: secret::session_id()?,
        username: username.clone(),
        created: now,
        expires: now + lifetime,
        last_seen: now,
        credential: Some(crate::token::credential_version("")),
        user_agent: None,
    };
    store.open_session(&session, &limits, now, None)?;
    let user = store
        .user(&username)?
        .ok_or_else(|| Error::UserNotFound(username.clone()))?;
    Ok(GuestSession {
        user,
        session,
        identity,
    })
}

fn add_guest(
    store: &dyn Store,
    username: &str,
    identity: &Identity,
    roles: Option<Vec<String>>,
) -> Result<()> {
    // Another account may have this address without it being its username.
    if store.user_by_email(username)?.is_some() {
        return Err(OidcFailure::UserExists.into());
    }
    let guest = NewUser {
        username: username.to_owned(),
        email: username.to_owned(),
        first_name: identity.first_name.clone(),
        last_name: identity.last_name.clone(),
        password_hash: None,
        roles,
        password_hint: None,
        awaiting_verification: false,
    };
    match store.add_user(&guest, false, None) {
        Ok(_) => Ok(()),
        // Added meanwhile: fine if by another login of this guest, else refused.
        Err(Error::UsernameTaken | Error::EmailTaken) => match store.user(username)? {
            Some(user) if user.password_hash.is_none() => Ok(()),
            _ => Err(OidcFailure::UserExists.into()),
        },
        Err(e) => Err(e),
    }
}

fn refresh_guest(
    store: &dyn Store,
    user: &User,
    identity: &Identity,
    roles: Option<&Vec<String>>,
) -> Result<()> {
    let mut updates = Vec::new();
    if user.first_name.as_deref().unwrap_or_default() != identity.first_name {
        updates.push(UserUpdate::FirstName(identity.first_name.clone()));
    }
    if user.last_name.as_deref().unwrap_or_default() != identity.last_name {
        updates.push(UserUpdate::LastName(identity.last_name.clone()));
    }
    if user.roles.as_ref() != roles {
        updates.push(UserUpdate::Roles(roles.cloned()));
    }
    for update in &updates {
        store.update_user(&user.username, update, None)?;
    }
    Ok(())
}
