//! The order in which a form's action is checked: one rule for every form.
//!
//! A form with a captcha (the widgets' login, register, forgot password and
//! forgot username, with `captcha=True`) sends the answer with the one core
//! call of its action, in a [`FormGuard`], and [`Authenticator::guarded`]
//! checks, in this order:
//!
//! 1. **the captcha** ([`captcha_registry::check`]), used up whatever the
//!    result. A blank, wrong, unknown, used or expired answer is refused
//!    with [`Error::CaptchaRefused`], and nothing else is looked at: a
//!    script learns nothing (whether a name exists, whether its input would
//!    pass, whether the password was right) before it solves the picture;
//! 2. **the app's own checks** ([`FormGuard::app_checks`]), if the form has
//!    any: a registration's Python `Validator`, which apps may override, and
//!    which therefore must not answer before the captcha is solved either;
//! 3. **the action's own checks** (a name not given, passwords that differ,
//!    a taken email, a wrong password…), then its change.
//!
//! A form without a captcha starts at step 2: its `Validator` runs before
//! the core call, in the same order.
//!
//! ```
//! use std::sync::Arc;
//! use authgate::auth::{AuthConfig, Authenticator};
//! use authgate::captcha_registry::CaptchaAnswer;
//! use authgate::form_guard::FormGuard;
//! use authgate::store::DocStore;
//! use authgate::token::TokenKey;
//! use authgate::Error;
//!
//! let users = authgate::yaml::parse("usernames: {}\n", "<dict>".as_ref())?;
//! let auth = Authenticator::new(
//!     Arc::new(DocStore::in_memory(users)?),
//!     AuthConfig::new(TokenKey::new("an example key of at least 32 bytes!"), 30.0)?,
//! );
//! let app_checks = || -> authgate::Result<()> { panic!("not before the captcha") };
//! let guard = FormGuard {
//!     captcha: Some(CaptchaAnswer { id: "a picture never shown", entered: "1234" }),
//!     app_checks: Some(&app_checks),
//! };
//! let refused = auth.guarded(&guard, || auth.forgot_username("ann@example.com"));
//! assert!(matches!(refused, Err(Error::CaptchaRefused(_))));
//! // Without a captcha, the app's checks and the action run.
//! assert!(auth.guarded(&FormGuard::default(), || auth.forgot_username("a@x.org"))?.is_none());
//! # Ok::<(), authgate::Error>(())
//! ```

use crate::auth::Authenticator;
use crate::captcha_registry::{self, CaptchaAnswer};
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;

/// An app's own checks of a form's input (a registration's `Validator`):
/// `Err` refuses the action.
pub type AppChecks<'a> = dyn Fn() -> Result<()> + Sync + 'a;

/// What guards a form's action, checked before the action in the order of
/// the [module's overview](self). The default guards nothing.
#[derive(Clone, Copy, Default)]
pub struct FormGuard<'a> {
    /// The form's captcha answer, if it shows a captcha.
    pub captcha: Option<CaptchaAnswer<'a>>,
    /// The app's own checks, if the form has any.
    pub app_checks: Option<&'a AppChecks<'a>>,
}

impl std::fmt::Debug for FormGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormGuard")
            .field("captcha", &self.captcha)
            .field("app_checks", &self.app_checks.is_some())
            .finish()
    }
}

impl Authenticator {
    /// Runs `action` once `guard` lets it: the captcha first (used up
    /// whatever the result), then the app's checks; see [`crate::form_guard`].
    ///
    /// # Errors
    ///
    /// [`Error::CaptchaRefused`] for a captcha answer that is not right;
    /// the error of the app's checks; then those of `action`.
    pub fn guarded<T>(
        &self,
        guard: &FormGuard<'_>,
        action: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        if let Some(answer) = &guard.captcha {
            captcha_registry::check(answer, self.now())?;
        }
        if let Some(app_checks) = guard.app_checks {
            app_checks()?;
        }
        action()
    }
}

#[cfg(all(test, feature = "captcha"))]
mod tests {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::auth::LoginRequest;
    use crate::captcha_registry::{show_with_answer, CaptchaRefusal};
    use crate::clock::{Clock, SystemClock};
    use crate::error::Error;

    fn setup() -> Authenticator {
        let hash = crate::password::hash_with_cost("pw", 4).unwrap();
        let text =
            format!("usernames:\n  ann:\n    email: ann@example.com\n    password: '{hash}'\n");
        crate::test_support::authenticator(&text)
    }

    #[test]
    fn the_captcha_comes_first_then_the_apps_checks_then_the_action() {
        let auth = setup();
        let now = SystemClock.now();
        let calls = AtomicUsize::new(0);
        let app_checks = || -> Result<()> {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::InvalidInput("Username is not valid".into()))
        };
        let acted = Cell::new(0);
        let action = || -> Result<()> {
            acted.set(acted.get() + 1);
            Ok(())
        };
        let wrong = show_with_answer("1357", now).unwrap();
        let guard = FormGuard {
            captcha: Some(CaptchaAnswer {
                id: &wrong.id,
                entered: "7531",
            }),
            app_checks: Some(&app_checks),
        };
        assert!(matches!(
            auth.guarded(&guard, action),
            Err(Error::CaptchaRefused(CaptchaRefusal::Wrong))
        ));
        assert_eq!((calls.load(Ordering::SeqCst), acted.get()), (0, 0));
        // The right answer: the app's checks answer next, and refuse.
        let right = show_with_answer("1357", now).unwrap();
        let guard = FormGuard {
            captcha: Some(CaptchaAnswer {
                id: &right.id,
                entered: "1357",
            }),
            app_checks: Some(&app_checks),
        };
        let refused = auth.guarded(&guard, action).unwrap_err();
        assert_eq!(refused.to_string(), "Username is not valid");
        assert_eq!((calls.load(Ordering::SeqCst), acted.get()), (1, 0));
        // The picture answered once: the same answer again is refused.
        let again = FormGuard {
            app_checks: None,
            ..guard
        };
        assert!(matches!(
            auth.guarded(&again, action),
            Err(Error::CaptchaRefused(CaptchaRefusal::Wrong))
        ));
        assert_eq!(acted.get(), 0);
        assert!(auth.guarded(&FormGuard::default(), action).is_ok());
        assert_eq!(acted.get(), 1);
        assert!(!format!("{guard:?}").contains(&right.id));
    }

    #[test]
    fn a_name_not_given_is_the_actions_refusal_after_the_captcha() {
        use crate::email_code::CodePurpose;
        let auth = setup();
        let now = SystemClock.now();
        let message = |r: Result<()>| r.unwrap_err().to_string();
        let actions: [(&dyn Fn() -> Result<()>, &str); 5] = [
            (
                &|| auth.forgot_password(" ").map(drop),
                "Username not provided",
            ),
            (&|| auth.reset_link("").map(drop), "Username not provided"),
            (
                &|| auth.forgot_username("\t").map(drop),
                "Email not provided",
            ),
            (
                &|| {
                    auth.issue_code(CodePurpose::ForgotPassword, " ", &[], None)
                        .map(drop)
                },
                "Username not provided",
            ),
            (
                &|| {
                    auth.issue_code(CodePurpose::ForgotUsername, "", &[], None)
                        .map(drop)
                },
                "Email not provided",
            ),
        ];
        for (action, says) in actions {
            let wrong = show_with_answer("1212", now).unwrap();
            let guard = FormGuard {
                captcha: Some(CaptchaAnswer {
                    id: &wrong.id,
                    entered: "2121",
                }),
                app_checks: None,
            };
            assert_eq!(
                message(auth.guarded(&guard, action)),
                "Captcha entered incorrectly"
            );
            let right = show_with_answer("1212", now).unwrap();
            let guard = FormGuard {
                captcha: Some(CaptchaAnswer {
                    id: &right.id,
                    entered: "1212",
                }),
                app_checks: None,
            };
            assert_eq!(message(auth.guarded(&guard, action)), says);
        }
    }

    #[test]
    fn a_wrong_captcha_counts_no_login_failure_and_tells_nothing() {
        let auth = setup();
        let now = SystemClock.now();
        let login = |password| LoginRequest {
            username: "ann",
            password,
            max_login_attempts: Some(1),
            ..Default::default()
        };
        for password in ["wrong", "pw"] {
            let shown = show_with_answer("8642", now).unwrap();
            let guard = FormGuard {
                captcha: Some(CaptchaAnswer {
                    id: &shown.id,
                    entered: "",
                }),
                app_checks: None,
            };
            let refused = auth.guarded(&guard, || auth.login(&login(password)));
            assert!(matches!(
                refused,
                Err(Error::CaptchaRefused(CaptchaRefusal::NotEntered))
            ));
        }
        // Neither attempt reached the password: the account is not locked.
        let shown = show_with_answer("8642", now).unwrap();
        let guard = FormGuard {
            captcha: Some(CaptchaAnswer {
                id: &shown.id,
                entered: "8642",
            }),
            app_checks: None,
        };
        assert!(auth.guarded(&guard, || auth.login(&login("pw"))).is_ok());
    }
}
