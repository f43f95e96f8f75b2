//! The guest account of a verified identity, and its session.
//!
//! [`Authenticator::guest_login`] is the one entry: the session opens as a
//! password login's does ([`Authenticator::open_session`]: its lifetime,
//! its limits, its cookie token), so the rules of a session are written
//! once.

use crate::auth::{Authenticator, Login};
use crate::error::{Error, Result};
use crate::store::{NewUser, Store, UserUpdate};
use crate::user::User;

use super::error::{audit_reason, OidcFailure};
use super::verify::Identity;
use super::{Callback, OidcClient};

/// The limits and roles of one guest login. The session's lifetime, its
/// idle timeout and the cookie come from the [`Authenticator`]'s
/// [`crate::auth::AuthConfig`], as for a password login.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuestLoginRequest<'a> {
    /// At most this many users logged in at once.
    pub max_concurrent_users: Option<u32>,
    /// Refuse a second live session of the same user.
    pub single_session: bool,
    /// Roles the guest gets (set on every login, as 0.4.2 does).
    pub roles: Option<&'a [String]>,
}

impl Authenticator {
    /// Finishes an OpenID Connect login: verifies the redirect with
    /// [`OidcClient::complete`], registers or updates the guest and opens a
    /// session under `request`'s limits, with a cookie token as
    /// [`Authenticator::login`] gives one. Records `login` or
    /// `login_refused` (with the reason) in the audit trail.
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
        &self,
        client: &OidcClient,
        callback: &Callback<'_>,
        request: &GuestLoginRequest<'_>,
    ) -> Result<Login> {
        let now = self.now();
        // Who it was, once the provider vouched for them: kept for the audit
        // trail even when the login is refused afterwards.
        let mut who = None;
        let result = client.complete(callback, now).and_then(|identity| {
            who = Some(identity.email.clone());
            let user = sign_in(self.store().as_ref(), &identity, request)?;
            let limits = self.limits(request.max_concurrent_users, request.single_session);
            let event = self.event("login", Some(&identity.email), Some("oidc"));
            self.open_session(user, &limits, now, Some(&event))
        });
        if let Err(e) = &result {
            let detail = format!("oidc: {}", audit_reason(e));
            self.audit("login_refused", who.as_deref(), Some(&detail));
        }
        result
    }
}

/// Registers or refreshes the guest `identity` names and binds it to its
/// issuer and subject; returns the guest's account.
fn sign_in(
    store: &dyn Store,
    identity: &Identity,
    request: &GuestLoginRequest<'_>,
) -> Result<User> {
    let username = identity.email.clone();
    let roles = request.roles.map(<[String]>::to_vec);
    match store.user(&username)? {
        Some(user) if user.password_hash.is_some() => return Err(OidcFailure::UserExists.into()),
        Some(user) => refresh_guest(store, &user, identity, roles.as_ref())?,
        // An account an operator removed leaves a revocation behind: the
        // provider's next login must not bring it back.
        None if store.revoked_before(&username)?.is_some() => {
            return Err(Error::AccountLocked {
                until: f64::INFINITY,
            })
        }
        None => add_guest(store, &username, identity, roles)?,
    }
    // OpenID Connect Core §5.7: only issuer and subject identify a user.
    let bound = store.bind_guest(&username, &identity.issuer, &identity.subject)?;
    if bound != (identity.issuer.clone(), identity.subject.clone()) {
        return Err(OidcFailure::IdentityMismatch.into());
    }
    store
        .user(&username)?
        .ok_or_else(|| Error::UserNotFound(username.clone()))
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
