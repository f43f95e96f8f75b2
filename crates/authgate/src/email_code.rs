//! Codes mailed to an address, to prove that whoever asks reads its mail:
//! the seed's `two_factor_auth` on registration, forgot password and forgot
//! username, and the email second factor of a login.
//!
//! A code is [`CODE_DIGITS`] digits from the OS random source (0.4.2 mailed
//! 4). The app keeps a [`CodeChallenge`] — in the asking Streamlit
//! session's state, under the widget that asked — which holds the code's
//! HMAC under a key this process draws at start, never the code. A
//! challenge:
//!
//! - expires [`CODE_TTL`] seconds (10 minutes) after it was issued;
//! - takes at most [`CODE_MAX_TRIES`] codes, then opens no more;
//! - once confirmed, unlocks only the action it was issued for
//!   ([`CodePurpose`]), for the name it was issued for, with the same form
//!   contents (its `binding`), once.
//!
//! Sending is braked ([`ThrottlePolicy::mail`]): a code a minute per client
//! and name, ten a day per name, fifty a day per client. A name nobody has
//! gets a challenge that no code opens, and no mail, after the same steps,
//! so the answer says nothing of who has an account.
//!
//! ```
//! use std::sync::Arc;
//! use authgate::auth::{AuthConfig, Authenticator};
//! use authgate::email_code::CodePurpose;
//! use authgate::store::DocStore;
//! use authgate::token::TokenKey;
//!
//! let users = authgate::yaml::parse("usernames: {}", "<dict>".as_ref())?;
//! let store = Arc::new(DocStore::in_memory(users)?);
//! let key = TokenKey::new("an example key of at least 32 bytes!");
//! let auth = Authenticator::new(store, AuthConfig::new(key, 30.0)?);
//! let issued = auth.issue_code(CodePurpose::Register, "ann@example.com", &[], None)?;
//! let mut challenge = issued.challenge;
//! let code = issued.delivery.expect("an address to register is mailed").code;
//! auth.confirm_code(&mut challenge, &code)?;
//! let email = auth.spend_code(&mut challenge, CodePurpose::Register, &[])?;
//! assert_eq!(email, "ann@example.com");
//! # Ok::<(), authgate::Error>(())
//! ```

use crate::auth::{Authenticator, Login, LoginRequest};
use crate::error::{Error, Result};
use crate::secret::{self, constant_time_eq};
use crate::throttle::ThrottlePolicy;
use crate::user::{User, UserKey};

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;
/// Seconds a code works after it was issued.
pub const CODE_TTL: f64 = 600.0;
/// Codes a challenge takes before it opens no more.
pub const CODE_MAX_TRIES: u32 = 5;

/// The action a code unlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Registering the address the code went to.
    Register,
    /// A new password for the username asked for.
    ForgotPassword,
    /// Telling the username of the address asked for.
    ForgotUsername,
    /// Opening a session after the right password.
    Login,
}

impl CodePurpose {
    /// The name used in keys and by the bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Register => "register",
            CodePurpose::ForgotPassword => "forgot_password",
            CodePurpose::ForgotUsername => "forgot_username",
            CodePurpose::Login => "login",
        }
    }

    /// The purpose named `name` ([`CodePurpose::as_str`]).
    pub fn parse(name: &str) -> Result<Self> {
        [
            CodePurpose::Register,
            CodePurpose::ForgotPassword,
            CodePurpose::ForgotUsername,
            CodePurpose::Login,
        ]
        .into_iter()
        .find(|p| p.as_str() == name)
        .ok_or_else(|| Error::InvalidInput(format!("unknown code purpose '{name}'")))
    }
}

/// Why a code or a challenge was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CodeRefusal {
    /// Not the code that was sent; `tries_left` more may be tried.
    Wrong {
        /// Codes the challenge still takes.
        tries_left: u32,
    },
    /// The challenge is older than [`CODE_TTL`].
    Expired,
    /// [`CODE_MAX_TRIES`] wrong codes were tried.
    Exhausted,
    /// The challenge unlocked its action already.
    Spent,
    /// The action was asked for before its code was confirmed, or by
    /// another widget, for another name or with other form contents.
    Mismatch,
    /// A code was sent too recently; the next may go after this many seconds.
    Wait {
        /// Seconds until a code may be sent again.
        retry_after: f64,
    },
}

impl std::fmt::Display for CodeRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // 0.4.2's words.
            CodeRefusal::Wrong { .. } => f.write_str("Code is incorrect"),
            CodeRefusal::Expired => f.write_str("The code has expired: request a new one"),
            CodeRefusal::Exhausted => f.write_str("Too many wrong codes: request a new one"),
            CodeRefusal::Spent => f.write_str("The code was used already: request a new one"),
            CodeRefusal::Mismatch => {
                f.write_str("The form changed after the code was sent: submit it again")
            }
            CodeRefusal::Wait { retry_after } => write!(
                f,
                "A code was sent recently: try again in {}",
                crate::error::seconds(*retry_after)
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Confirmed,
    Spent,
}

/// What the asking session keeps while a code is on its way: see the
/// [module](self). Its `Debug` shows no digest.
#[derive(Clone)]
pub struct CodeChallenge {
    purpose: CodePurpose,
    subject: String,
    binding: [u8; 32],
    /// The code's HMAC; `None` when no code was sent (no such account).
    digest: Option<[u8; 32]>,
    issued: f64,
    tries: u32,
    status: Status,
}

impl std::fmt::Debug for CodeChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeChallenge")
            .field("purpose", &self.purpose)
            .field("subject", &self.subject)
            .field("issued", &self.issued)
            .field("tries", &self.tries)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl CodeChallenge {
    /// The action it unlocks.
    pub fn purpose(&self) -> CodePurpose {
        self.purpose
    }

    /// Whether its code was confirmed and the action not yet taken.
    pub fn is_confirmed(&self) -> bool {
        self.status == Status::Confirmed
    }

    /// Codes it still takes.
    pub fn tries_left(&self) -> u32 {
        CODE_MAX_TRIES.saturating_sub(self.tries)
    }

    /// When it stops working, Unix seconds.
    pub fn expires(&self) -> f64 {
        self.issued + CODE_TTL
    }
}

/// Where a code goes: the account it was asked for, if any, its address
/// and the code. Its `Debug` shows no code.
#[derive(Clone)]
pub struct CodeDelivery {
    /// The account asked for; `None` when registering an address.
    pub user: Option<User>,
    /// The address to mail.
    pub email: String,
    /// The code, to mail once; never kept.
    pub code: String,
}

impl std::fmt::Debug for CodeDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeDelivery")
            .field("user", &self.user.as_ref().map(|u| &u.username))
            .field("email", &self.email)
            .field("code", &"<redacted>")
            .finish()
    }
}

/// A new challenge, and the code to mail unless nobody has the name.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// For the asking session to keep.
    pub challenge: CodeChallenge,
    /// What to mail; `None`: send nothing, answer alike.
    pub delivery: Option<CodeDelivery>,
}

/// The digest binding a challenge to form contents.
fn binding_digest(purpose: CodePurpose, subject: &str, binding: &[&str]) -> Result<[u8; 32]> {
    let mut parts: Vec<&[u8]> = vec![purpose.as_str().as_bytes(), subject.as_bytes()];
    parts.extend(binding.iter().map(|b| b.as_bytes()));
    secret::process_mac("code-binding", &parts)
}

fn code_digest(binding: &[u8; 32], issued: f64, code: &str) -> Result<[u8; 32]> {
    secret::process_mac(
        "code",
        &[binding, &issued.to_be_bytes(), code.trim().as_bytes()],
    )
}

/// The version of the user's password a login code is bound to.
pub(crate) fn credential_of(user: &User) -> String {
    user.password_hash
        .as_deref()
        .map(crate::token::credential_version)
        .unwrap_or_default()
}

fn refused(why: CodeRefusal) -> Error {
    Error::CodeRefused(why)
}

impl Authenticator {
    /// Issues a code for `purpose` to the owner of `name`: a username for
    /// [`CodePurpose::ForgotPassword`] and [`CodePurpose::Login`], an email
    /// for [`CodePurpose::ForgotUsername`] and [`CodePurpose::Register`].
    /// `binding` are the form contents the action will run with (the
    /// challenge keeps only their HMAC); `client` is the asking browser's
    /// address, for the brake.
    ///
    /// Refused with [`CodeRefusal::Wait`] while the brake holds; otherwise
    /// counted, for names nobody has too. A blank name is refused first
    /// ("Username not provided", "Email not provided").
    ///
    /// A [`CodePurpose::Login`] code comes only from
    /// [`Authenticator::login_with_email_code`], after the password.
    pub fn issue_code(
        &self,
        purpose: CodePurpose,
        name: &str,
        binding: &[&str],
        client: Option<&str>,
    ) -> Result<IssuedCode> {
        if purpose == CodePurpose::Login {
            return Err(Error::InvalidInput(
                "a login code is issued by a password login, not on its own".to_string(),
            ));
        }
        self.issue(purpose, name, binding, client)
    }

    fn issue(
        &self,
        purpose: CodePurpose,
        name: &str,
        binding: &[&str],
        client: Option<&str>,
    ) -> Result<IssuedCode> {
        let subject = match purpose {
            CodePurpose::Register | CodePurpose::ForgotUsername => name.trim().to_string(),
            CodePurpose::ForgotPassword | CodePurpose::Login => UserKey::new(name).into_string(),
        };
        if subject.is_empty() {
            let missing = match purpose {
                CodePurpose::Register | CodePurpose::ForgotUsername => {
                    crate::account::EMAIL_NOT_PROVIDED
                }
                CodePurpose::ForgotPassword | CodePurpose::Login => {
                    crate::account::USERNAME_NOT_PROVIDED
                }
            };
            return Err(Error::InvalidInput(missing.to_string()));
        }
        let now = self.now();
        let policy = ThrottlePolicy::mail();
        let keys = ThrottlePolicy::mail_keys(purpose.as_str(), &subject, client);
        if let Some(until) = self.store().throttle_attempt(&keys, &policy, now)? {
            return Err(refused(CodeRefusal::Wait {
                retry_after: until - now,
            }));
        }
        let user = match purpose {
            CodePurpose::Register => None,
            CodePurpose::ForgotUsername => self.store().user_by_email(&subject)?,
            CodePurpose::ForgotPassword | CodePurpose::Login => self.store().user(&subject)?,
        };
        let email = match (&user, purpose) {
            (None, CodePurpose::Register) => Some(subject.clone()),
            // Guests have no password to forget or to check.
            (Some(u), _) if u.password_hash.is_some() || purpose == CodePurpose::ForgotUsername => {
                u.email.clone().filter(|e| !e.trim().is_empty())
            }
            _ => None,
        };
        let binding = binding_digest(purpose, &subject, binding)?;
        // Drawn for every name, so that a name nobody has costs the same.
        let code = secret::random_digits(CODE_DIGITS)?;
        let digest = match email {
            Some(_) => Some(code_digest(&binding, now, &code)?),
            None => None,
        };
        let who = user.as_ref().map(|u| u.username.clone());
        self.audit(
            "code_issued",
            who.as_deref(),
            Some(if email.is_some() {
                purpose.as_str()
            } else {
                "no account"
            }),
        );
        Ok(IssuedCode {
            challenge: CodeChallenge {
                purpose,
                subject,
                binding,
                digest,
                issued: now,
                tries: 0,
                status: Status::Open,
            },
            delivery: email.map(|email| CodeDelivery { user, email, code }),
        })
    }

    /// Checks `code` against `challenge`, counting the try; on success the
    /// challenge is confirmed and [`Authenticator::spend_code`] may take
    /// its action. Refusals: [`CodeRefusal::Wrong`], `Expired`, `Exhausted`
    /// (the fifth wrong code, and every code after it) and `Spent`.
    pub fn confirm_code(&self, challenge: &mut CodeChallenge, code: &str) -> Result<()> {
        match challenge.status {
            Status::Spent => return Err(refused(CodeRefusal::Spent)),
            Status::Confirmed => return Ok(()),
            Status::Open => {}
        }
        if challenge.tries >= CODE_MAX_TRIES {
            return Err(refused(CodeRefusal::Exhausted));
        }
        if self.now() >= challenge.expires() {
            return Err(refused(CodeRefusal::Expired));
        }
        challenge.tries += 1;
        let guess = code_digest(&challenge.binding, challenge.issued, code)?;
        let right = challenge
            .digest
            .is_some_and(|digest| constant_time_eq(&digest, &guess));
        if right {
            challenge.status = Status::Confirmed;
            return Ok(());
        }
        if challenge.tries >= CODE_MAX_TRIES {
            self.audit("code_exhausted", None, Some(challenge.purpose.as_str()));
            return Err(refused(CodeRefusal::Exhausted));
        }
        Err(refused(CodeRefusal::Wrong {
            tries_left: challenge.tries_left(),
        }))
    }

    /// [`Authenticator::login`] with a second factor by email: the password
    /// is checked as a login checks it (throttle, lockout, counting), and
    /// then, instead of a session, a code goes to the user's email.
    /// [`Authenticator::finish_login`] opens the session once the code is
    /// confirmed. An account without an email cannot log in this way.
    pub fn login_with_email_code(&self, req: &LoginRequest<'_>) -> Result<IssuedCode> {
        let (user, throttle, now, _) = self.check_login(req)?;
        if let Some((keys, policy)) = &throttle {
            self.store().throttle_success(keys, policy, now)?;
        }
        if user.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
            return Err(Error::InvalidInput(
                "This account has no email address to send a login code to".to_string(),
            ));
        }
        let version = credential_of(&user);
        self.issue(CodePurpose::Login, &user.username, &[&version], req.client)
    }

    /// Opens the session of a confirmed login `challenge`
    /// ([`Authenticator::login_with_email_code`]) within the limits, unless
    /// the password changed since it was typed.
    pub fn finish_login(
        &self,
        challenge: &mut CodeChallenge,
        max_concurrent_users: Option<u32>,
        single_session: bool,
    ) -> Result<Login> {
        let user = self
            .store()
            .user(&challenge.subject)?
            .ok_or_else(|| refused(CodeRefusal::Mismatch))?;
        let version = credential_of(&user);
        self.spend_code(challenge, CodePurpose::Login, &[&version])?;
        let limits = self.limits(max_concurrent_users, single_session);
        let event = self.event("login", Some(&user.username), Some("email code"));
        self.open_session_with(user, &limits, self.now(), Some(&event), None)
    }

    /// Takes the action of a confirmed `challenge`: checks that it was
    /// issued for `purpose` and the same form contents (`binding`), and is
    /// not expired; marks it spent and returns the name it was issued for.
    pub fn spend_code(
        &self,
        challenge: &mut CodeChallenge,
        purpose: CodePurpose,
        binding: &[&str],
    ) -> Result<String> {
        match challenge.status {
            Status::Spent => return Err(refused(CodeRefusal::Spent)),
            Status::Open => return Err(refused(CodeRefusal::Mismatch)),
            Status::Confirmed => {}
        }
        if self.now() >= challenge.expires() {
            return Err(refused(CodeRefusal::Expired));
        }
        let expected = binding_digest(purpose, &challenge.subject, binding)?;
        if challenge.purpose != purpose || !constant_time_eq(&expected, &challenge.binding) {
            return Err(refused(CodeRefusal::Mismatch));
        }
        challenge.status = Status::Spent;
        Ok(challenge.subject.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    use crate::clock::{Clock, FakeClock};

    const T0: f64 = 1_700_000_000.0;

    fn setup() -> (Authenticator, Arc<FakeClock>) {
        let hash = crate::password::hash_with_cost("pw", 4).unwrap();
        let text = format!(
            "usernames:\n  ann:\n    email: ann@example.com\n    password: '{hash}'\n  \
             guest:\n    email: guest@example.com\n"
        );
        let clock = Arc::new(FakeClock::new(T0));
        (
            Authenticator::with_clock(
                crate::test_support::store(&text),
                crate::test_support::config(),
                clock.clone(),
            ),
            clock,
        )
    }

    fn refusal(r: Result<impl std::fmt::Debug>) -> CodeRefusal {
        match r {
            Err(Error::CodeRefused(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_mailed_code_unlocks_its_action_once() {
        let (auth, _) = setup();
        let issued = auth
            .issue_code(CodePurpose::ForgotPassword, " Ann ", &[], None)
            .unwrap();
        let delivery = issued.delivery.unwrap();
        assert_eq!(delivery.email, "ann@example.com");
        assert_eq!(delivery.code.len(), CODE_DIGITS);
        assert!(!format!("{delivery:?}").contains(&delivery.code));
        let mut c = issued.challenge;
        assert_eq!(
            refusal(auth.spend_code(&mut c, CodePurpose::ForgotPassword, &[])),
            CodeRefusal::Mismatch
        );
        auth.confirm_code(&mut c, &format!(" {} ", delivery.code))
            .unwrap();
        assert_eq!(
            refusal(auth.spend_code(&mut c, CodePurpose::ForgotUsername, &[])),
            CodeRefusal::Mismatch
        );
        let who = auth
            .spend_code(&mut c, CodePurpose::ForgotPassword, &[])
            .unwrap();
        assert_eq!(who, "ann");
        assert_eq!(
            refusal(auth.spend_code(&mut c, CodePurpose::ForgotPassword, &[])),
            CodeRefusal::Spent
        );
        assert_eq!(
            refusal(auth.confirm_code(&mut c, &delivery.code)),
            CodeRefusal::Spent
        );
    }

    #[test]
    fn five_tries_then_none_even_the_right_code() {
        let (auth, _) = setup();
        let issued = auth
            .issue_code(CodePurpose::ForgotUsername, "ann@example.com", &[], None)
            .unwrap();
        let code = issued.delivery.unwrap().code;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let mut c = issued.challenge;
        for left in (1..CODE_MAX_TRIES).rev() {
            assert_eq!(
                refusal(auth.confirm_code(&mut c, wrong)),
                CodeRefusal::Wrong { tries_left: left }
            );
        }
        assert_eq!(
            refusal(auth.confirm_code(&mut c, wrong)),
            CodeRefusal::Exhausted
        );
        assert_eq!(
            refusal(auth.confirm_code(&mut c, &code)),
            CodeRefusal::Exhausted
        );
    }

    #[test]
    fn a_code_expires_after_ten_minutes() {
        let (auth, clock) = setup();
        let issued = auth
            .issue_code(CodePurpose::Register, "new@example.com", &["x"], None)
            .unwrap();
        let code = issued.delivery.unwrap().code;
        let mut c = issued.challenge;
        clock.advance(CODE_TTL);
        assert_eq!(
            refusal(auth.confirm_code(&mut c, &code)),
            CodeRefusal::Expired
        );
    }

    #[test]
    fn a_confirmed_code_needs_the_same_form() {
        let (auth, _) = setup();
        let form = ["Ann", "ann2", "secret"];
        let issued = auth
            .issue_code(CodePurpose::Register, "new@example.com", &form, None)
            .unwrap();
        let code = issued.delivery.unwrap().code;
        let mut c = issued.challenge;
        auth.confirm_code(&mut c, &code).unwrap();
        assert_eq!(
            refusal(auth.spend_code(&mut c, CodePurpose::Register, &["Ann", "ann2", "other"])),
            CodeRefusal::Mismatch
        );
        let email = auth
            .spend_code(&mut c, CodePurpose::Register, &form)
            .unwrap();
        assert_eq!(email, "new@example.com");
    }

    #[test]
    fn nobody_s_name_gets_no_mail_and_a_challenge_no_code_opens() {
        let (auth, _) = setup();
        for (purpose, name) in [
            (CodePurpose::ForgotPassword, "nobody"),
            (CodePurpose::ForgotUsername, "nobody@example.com"),
            // A guest has no password to forget.
            (CodePurpose::ForgotPassword, "guest"),
        ] {
            let issued = auth.issue_code(purpose, name, &[], None).unwrap();
            assert!(issued.delivery.is_none(), "{name}");
            let mut c = issued.challenge;
            for code in ["000000", "123456"] {
                assert!(matches!(
                    refusal(auth.confirm_code(&mut c, code)),
                    CodeRefusal::Wrong { .. }
                ));
            }
        }
    }

    #[test]
    fn one_code_a_minute_ten_a_day_for_known_and_unknown_names_alike() {
        let (auth, clock) = setup();
        for name in ["ann", "nobody"] {
            auth.issue_code(CodePurpose::ForgotPassword, name, &[], Some("1.2.3.4"))
                .unwrap();
            let again = auth.issue_code(CodePurpose::ForgotPassword, name, &[], Some("1.2.3.4"));
            assert_eq!(refusal(again), CodeRefusal::Wait { retry_after: 60.0 });
        }
        // Another client may ask at once; the name's own cap still counts.
        auth.issue_code(CodePurpose::ForgotPassword, "ann", &[], Some("5.6.7.8"))
            .unwrap();
        for _ in 0..8 {
            clock.advance(61.0);
            auth.issue_code(CodePurpose::ForgotPassword, "ann", &[], Some("1.2.3.4"))
                .unwrap();
        }
        clock.advance(61.0);
        let capped = auth.issue_code(CodePurpose::ForgotPassword, "ann", &[], Some("9.9.9.9"));
        assert!(matches!(
            refusal(capped),
            CodeRefusal::Wait { retry_after } if retry_after > 3600.0
        ));
        // A login attempt's prune leaves the mail brake's counters alone.
        let _ = auth.login(&crate::auth::LoginRequest {
            username: "ann",
            password: "wrong",
            ..Default::default()
        });
        clock.advance(30.0 * 60.0);
        let _ = auth.login(&crate::auth::LoginRequest {
            username: "ann",
            password: "wrong",
            ..Default::default()
        });
        let still = auth.issue_code(CodePurpose::ForgotPassword, "ann", &[], Some("9.9.9.9"));
        assert!(matches!(refusal(still), CodeRefusal::Wait { .. }));
    }

    #[test]
    fn purposes_round_trip_and_bad_input_is_refused() {
        for p in [
            CodePurpose::Register,
            CodePurpose::ForgotPassword,
            CodePurpose::ForgotUsername,
            CodePurpose::Login,
        ] {
            assert_eq!(CodePurpose::parse(p.as_str()).unwrap(), p);
        }
        assert!(matches!(
            CodePurpose::parse("drop table"),
            Err(Error::InvalidInput(_))
        ));
        let (auth, _) = setup();
        assert!(matches!(
            auth.issue_code(CodePurpose::Register, "  ", &[], None),
            Err(Error::InvalidInput(_))
        ));
    }

    fn password_login(password: &str) -> crate::auth::LoginRequest<'_> {
        crate::auth::LoginRequest {
            username: "ann",
            password,
            ..Default::default()
        }
    }

    #[test]
    fn a_login_code_comes_after_the_password_and_opens_the_session() {
        let (auth, _) = setup();
        assert!(matches!(
            auth.login_with_email_code(&password_login("wrong")),
            Err(Error::InvalidCredentials { .. })
        ));
        assert!(matches!(
            auth.issue_code(CodePurpose::Login, "ann", &[], None),
            Err(Error::InvalidInput(_))
        ));
        let issued = auth.login_with_email_code(&password_login("pw")).unwrap();
        let delivery = issued.delivery.unwrap();
        assert_eq!(delivery.email, "ann@example.com");
        let mut c = issued.challenge;
        assert_eq!(
            refusal(auth.finish_login(&mut c, None, false)),
            CodeRefusal::Mismatch
        );
        auth.confirm_code(&mut c, &delivery.code).unwrap();
        let login = auth.finish_login(&mut c, None, false).unwrap();
        assert_eq!(login.user.username, "ann");
        assert!(auth.check_session(&login.session.id).unwrap().is_some());
        assert_eq!(
            refusal(auth.finish_login(&mut c, None, false)),
            CodeRefusal::Spent
        );
    }

    #[test]
    fn a_password_change_meanwhile_voids_the_login_code() {
        let (auth, clock) = setup();
        let issued = auth.login_with_email_code(&password_login("pw")).unwrap();
        let code = issued.delivery.unwrap().code;
        let mut c = issued.challenge;
        auth.confirm_code(&mut c, &code).unwrap();
        let hash = crate::password::hash_with_cost("new-pw", 4).unwrap();
        auth.store()
            .set_password("ann", &hash, clock.now(), None)
            .unwrap();
        assert_eq!(
            refusal(auth.finish_login(&mut c, None, false)),
            CodeRefusal::Mismatch
        );
    }
}
