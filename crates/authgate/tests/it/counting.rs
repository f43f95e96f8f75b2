//! A [`Store`] that counts the calls made to it and hands each to the store
//! it wraps, so a test can say how many reads an operation of the
//! `Authenticator` costs (every method is forwarded, the trait's default
//! ones too, so the wrapped store's own versions run).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use authgate::lockout::{LockState, LockoutPolicy};
use authgate::mail::SmtpSettings;
use authgate::session::Session;
use authgate::store::{
    AuditEvent, FailureEvent, LoginState, NewUser, PasskeyChange, PasskeyPresence, PendingPassword,
    SecondFactors, SessionLimits, Settings, Store, StoredPasskey, StoredTotp, Throttled,
    UserUpdate,
};
use authgate::throttle::{Refund, ThrottleKey, ThrottlePolicy};
use authgate::user::User;
use authgate::yaml::Value;
use authgate::Result;

/// `inner`, counting calls by method name.
#[derive(Debug)]
pub struct Counting {
    inner: Arc<dyn Store>,
    calls: Mutex<BTreeMap<&'static str, usize>>,
}

impl Counting {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Counting {
            inner,
            calls: Mutex::default(),
        }
    }

    fn count(&self, method: &'static str) {
        *self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(method)
            .or_default() += 1;
    }

    /// The calls since the last `take`, by method name, and a fresh count.
    pub fn take(&self) -> BTreeMap<&'static str, usize> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Implements every method of [`Store`] as a counted call of the same
/// method of the wrapped store.
macro_rules! counted {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Store for Counting {
            $(
                fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.count(stringify!($name));
                    self.inner.$name($($arg),*)
                }
            )*
        }
    };
}

counted! {
    fn user(&self, username: &str) -> Result<Option<User>>;
    fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    fn user_record(&self, username: &str) -> Result<Option<Value>>;
    fn settings(&self) -> Result<Settings>;
    fn smtp_settings(&self) -> Result<Option<SmtpSettings>>;
    fn set_smtp_settings(&self, settings: Option<&SmtpSettings>, event: Option<&AuditEvent>) -> Result<bool>;
    fn lock_state(&self, username: &str) -> Result<LockState>;
    fn login_state(&self, username: &str) -> Result<Option<LoginState>>;
    fn record_failure(&self, username: &str, policy: &LockoutPolicy, now: f64, event: Option<FailureEvent<'_>>) -> Result<LockState>;
    fn bind_guest(&self, username: &str, issuer: &str, subject: &str) -> Result<(String, String)>;
    fn generated_cookie_key(&self) -> Result<String>;
    fn consume_legacy_token(&self, digest: &str, username: &str, now: f64) -> Result<bool>;
    fn legacy_cutoff(&self) -> Result<Option<f64>>;
    fn reserve_attempt(&self, username: &str, policy: &LockoutPolicy, now: f64) -> Result<Option<LockState>>;
    fn throttle_attempt(&self, keys: &[ThrottleKey], policy: &ThrottlePolicy, now: f64) -> Result<Option<f64>>;
    fn throttle_success(&self, keys: &[ThrottleKey], policy: &ThrottlePolicy, now: f64) -> Result<()>;
    fn throttled_login_state(&self, username: &str, keys: &[ThrottleKey], policy: &ThrottlePolicy, now: f64) -> Result<Throttled<Option<LoginState>>>;
    fn open_session_refunding(&self, session: &Session, limits: &SessionLimits, now: f64, event: Option<&AuditEvent>, refund: Refund<'_>) -> Result<()>;
    fn open_session(&self, session: &Session, limits: &SessionLimits, now: f64, event: Option<&AuditEvent>) -> Result<()>;
    fn session(&self, id: &str) -> Result<Option<Session>>;
    fn sessions_of(&self, username: &str) -> Result<Vec<Session>>;
    fn end_sessions(&self, username: &str, now: f64) -> Result<usize>;
    fn touch_session(&self, id: &str, now: f64) -> Result<()>;
    fn label_session(&self, id: &str, user_agent: &str) -> Result<()>;
    fn close_session(&self, id: &str, now: f64, idle_timeout: f64, event: Option<&AuditEvent>) -> Result<Option<Session>>;
    fn revoked_before(&self, username: &str) -> Result<Option<f64>>;
    fn plaintext_passwords(&self) -> Result<Vec<(String, String)>>;
    fn store_hashes(&self, hashed: &[(String, String, String)]) -> Result<Vec<String>>;
    fn preauthorized_emails(&self) -> Result<Option<Vec<String>>>;
    fn edit_preauthorized(&self, add: &[String], remove: &[String], event: Option<&AuditEvent>) -> Result<Vec<String>>;
    fn check_available(&self, username: &str, email: &str) -> Result<()>;
    fn add_user(&self, user: &NewUser, consume_preauthorized: bool, event: Option<&AuditEvent>) -> Result<User>;
    fn remove_user(&self, username: &str) -> Result<bool>;
    fn update_user(&self, username: &str, update: &UserUpdate, event: Option<&AuditEvent>) -> Result<()>;
    fn set_password(&self, username: &str, hash: &str, now: f64, event: Option<&AuditEvent>) -> Result<()>;
    fn set_pending_password(&self, username: &str, pending: &PendingPassword) -> Result<()>;
    fn pending_password(&self, username: &str) -> Result<Option<PendingPassword>>;
    fn withdraw_pending_password(&self, username: &str, hash: &str) -> Result<bool>;
    fn list_users(&self, offset: usize, limit: usize) -> Result<Vec<User>>;
    fn user_count(&self) -> Result<usize>;
    fn set_lock(&self, username: &str, until: Option<f64>) -> Result<()>;
    fn clear_failures(&self, username: &str) -> Result<()>;
    fn upgrades_hashes_on_login(&self) -> bool;
    fn second_factors(&self, username: &str) -> Result<SecondFactors>;
    fn enable_totp(&self, username: &str, totp: &StoredTotp, recovery_codes: &[String], event: Option<&AuditEvent>) -> Result<bool>;
    fn use_totp_step(&self, username: &str, secret: &str, step: i64) -> Result<bool>;
    fn consume_recovery_code(&self, username: &str, digest: &str, now: f64, event: Option<&AuditEvent>) -> Result<bool>;
    fn replace_recovery_codes(&self, username: &str, digests: &[String], event: Option<&AuditEvent>) -> Result<bool>;
    fn remove_second_factors(&self, username: &str, event: Option<&AuditEvent>) -> Result<bool>;
    fn remove_totp(&self, username: &str, event: Option<&AuditEvent>) -> Result<bool>;
    fn keeps_second_factors(&self) -> bool;
    fn any_passkeys(&self) -> Result<bool>;
    fn passkey_presence(&self) -> Option<&PasskeyPresence>;
    fn passkey_by_credential(&self, credential_id: &str) -> Result<Option<(String, StoredPasskey)>>;
    fn add_passkey(&self, username: &str, passkey: &StoredPasskey, limit: usize, event: Option<&AuditEvent>) -> Result<PasskeyChange>;
    fn use_passkey(&self, username: &str, credential_id: &str, counter: u32, passkey: &str, now: f64) -> Result<bool>;
    fn rename_passkey(&self, username: &str, credential_id: &str, name: &str, event: Option<&AuditEvent>) -> Result<PasskeyChange>;
    fn remove_passkey(&self, username: &str, credential_id: &str, event: Option<&AuditEvent>) -> Result<bool>;
    fn record_event(&self, event: &AuditEvent) -> Result<()>;
    fn recent_events(&self, limit: usize) -> Result<Vec<AuditEvent>>;
}
