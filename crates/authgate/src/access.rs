//! Who may open a page of a multipage app: the rule behind
//! `Authenticate.navigation()`, `require_login()` and `require_role()`.
//!
//! streamlit-authenticator 0.4.2 stores roles and never checks them (its
//! issue #216): every app wrote its own `if "admin" in roles`, and a page
//! reached by URL ran before any check. Here a page is public, for any
//! logged-in user, or for the holders of one of its roles; a page that
//! may not open runs no code of its own, and says why: log in first, or
//! this account may not.
//!
//! ```
//! use authgate::access::{decide, Access, Decision};
//!
//! let admin = Access::AnyRole(vec!["admin".into()]);
//! assert_eq!(decide(&admin, None), Decision::LogIn);
//! assert_eq!(decide(&admin, Some(&["viewer".into()])), Decision::Refuse);
//! assert_eq!(decide(&admin, Some(&["viewer".into(), "admin".into()])), Decision::Open);
//! assert_eq!(decide(&Access::Public, None), Decision::Open);
//! ```

/// Who a page is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user.
    LoggedIn,
    /// Logged-in users holding at least one of these roles (compared
    /// exactly, as 0.4.2 stores them). An empty list opens to nobody.
    AnyRole(Vec<String>),
}

/// What a visitor meets on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The page runs.
    Open,
    /// The login form, in place of the page; the page runs once logged in
    /// (if the account may open it).
    LogIn,
    /// A refusal: this account may not open the page.
    Refuse,
}

impl Decision {
    /// The name the bindings use: `open`, `login`, `refuse`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Open => "open",
            Decision::LogIn => "login",
            Decision::Refuse => "refuse",
        }
    }
}

/// Whether a visitor whose roles are `roles` (`None`: not logged in;
/// `Some(&[])`: logged in without roles) may open a page for `access`.
pub fn decide(access: &Access, roles: Option<&[String]>) -> Decision {
    match (access, roles) {
        (Access::Public, _) => Decision::Open,
        (_, None) => Decision::LogIn,
        (Access::LoggedIn, Some(_)) => Decision::Open,
        (Access::AnyRole(wanted), Some(held)) => {
            if wanted.iter().any(|w| held.contains(w)) {
                Decision::Open
            } else {
                Decision::Refuse
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_string()).collect()
    }

    #[test]
    fn every_case_of_the_rule() {
        let editor = Access::AnyRole(roles(&["admin", "editor"]));
        assert_eq!(decide(&Access::LoggedIn, None), Decision::LogIn);
        assert_eq!(decide(&Access::LoggedIn, Some(&[])), Decision::Open);
        assert_eq!(decide(&editor, Some(&[])), Decision::Refuse);
        assert_eq!(decide(&editor, Some(&roles(&["editor"]))), Decision::Open);
        // Exact names: a role is not matched by case or by prefix.
        assert_eq!(
            decide(&editor, Some(&roles(&["Admin", "edit"]))),
            Decision::Refuse
        );
        assert_eq!(
            decide(&Access::AnyRole(vec![]), Some(&roles(&["admin"]))),
            Decision::Refuse
        );
        assert_eq!(decide(&Access::Public, Some(&[])), Decision::Open);
    }
}
