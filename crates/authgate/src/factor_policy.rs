//! Who must have a second factor (`Authenticate(require_2fa=...)`): nobody
//! (the default), everyone, or the holders of some roles. A user the policy
//! names who has no factor yet gets in with their password once more and
//! must set one up before the app shows anything else; from then on their
//! password alone never opens a session ([`crate::second_factor`]).
//!
//! ```
//! use authgate::factor_policy::FactorPolicy;
//! let admins = FactorPolicy::Roles(vec!["admin".into()]);
//! assert!(admins.applies_to(Some(&["viewer".to_string(), "Admin".to_string()][..])));
//! assert!(!admins.applies_to(None));
//! assert!(FactorPolicy::Everyone.applies_to(None));
//! ```

use crate::auth::Authenticator;
use crate::error::{Error, Result};
use crate::user::UserKey;

/// Who must have a second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FactorPolicy {
    /// Nobody: a second factor is the user's choice.
    #[default]
    Optional,
    /// Every user.
    Everyone,
    /// Users holding any of these roles (compared without case).
    Roles(Vec<String>),
}

impl FactorPolicy {
    /// A policy for these roles; refuses an empty list or an empty role,
    /// which would silently require nothing.
    pub fn roles(roles: Vec<String>) -> Result<Self> {
        if roles.is_empty() || roles.iter().any(|r| r.trim().is_empty()) {
            return Err(Error::InvalidInput(
                "require_2fa takes True or a list of role names, not an empty list or role".into(),
            ));
        }
        Ok(FactorPolicy::Roles(roles))
    }

    /// Whether the policy names a user holding `roles`.
    pub fn applies_to(&self, roles: Option<&[String]>) -> bool {
        match self {
            FactorPolicy::Optional => false,
            FactorPolicy::Everyone => true,
            FactorPolicy::Roles(required) => roles.unwrap_or_default().iter().any(|held| {
                required
                    .iter()
                    .any(|r| r.trim().eq_ignore_ascii_case(held.trim()))
            }),
        }
    }
}

impl Authenticator {
    /// Whether `username` must set up a second factor before using the
    /// app: the policy names them and they have neither an authenticator
    /// app nor a passkey. Unknown users owe
    /// nothing (they cannot be logged in).
    pub fn must_enroll_second_factor(&self, username: &str) -> Result<bool> {
        let policy = self.factor_policy();
        if *policy == FactorPolicy::Optional {
            return Ok(false);
        }
        let key = UserKey::new(username);
        let Some(user) = self.store().user(&key)? else {
            return Ok(false);
        };
        if !policy.applies_to(user.roles.as_deref()) {
            return Ok(false);
        }
        // Recovery codes alone are not a factor: they come with an app.
        let factors = self.store().second_factors(&key)?;
        Ok(factors.totp.is_none() && factors.passkeys.is_empty())
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn auth(policy: FactorPolicy) -> Authenticator {
        let store = crate::test_support::store(
            "usernames:\n  ann: {roles: [admin]}\n  bob: {roles: [viewer]}\n  cy: {}\n",
        );
        Authenticator::new(
            store,
            crate::test_support::config().with_factor_policy(policy),
        )
    }

    #[test]
    fn the_policy_names_users_by_their_roles() {
        let owed = |policy: FactorPolicy| {
            let auth = auth(policy);
            ["ann", "BOB", "cy", "ghost"].map(|u| auth.must_enroll_second_factor(u).unwrap())
        };
        assert_eq!(owed(FactorPolicy::Optional), [false; 4]);
        assert_eq!(owed(FactorPolicy::Everyone), [true, true, true, false]);
        let admins = FactorPolicy::roles(vec![" ADMIN ".into()]).unwrap();
        assert_eq!(owed(admins), [true, false, false, false]);
        assert!(FactorPolicy::roles(vec![]).is_err());
        assert!(FactorPolicy::roles(vec![" ".into()]).is_err());
    }
}
