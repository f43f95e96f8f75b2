//! The passkey flows of the [`Authenticator`]: enrolment, the user's list,
//! passwordless sign-in and the second step of a password login.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PublicKeyCredential, RegisterPublicKeyCredential, Uuid, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::ceremony::{PasskeyCeremony, Step};
use super::{check_name, refused, PasskeyRefusal, RelyingParty, MAX_PASSKEYS, MAX_RESPONSE_BYTES};
use crate::auth::{Attempt, Authenticator, Login};
use crate::error::{Error, Result};
use crate::lockout::{LockState, LockoutPolicy};
use crate::second_factor::TotpChallenge;
use crate::store::{PasskeyChange, StoredPasskey, DICT_KEEPS_NO_PASSKEYS};
use crate::user::{User, UserKey};

/// A passkey as its owner's list shows it (no key material).
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyInfo {
    /// The credential id (base64url): what renames and removals name.
    pub credential_id: String,
    /// The name its owner gave it.
    pub name: String,
    /// The RP id (the app's domain) it signs for.
    pub rp_id: String,
    /// When it was added, Unix seconds.
    pub created: f64,
    /// When it last signed its owner in.
    pub last_used: Option<f64>,
}

impl From<&StoredPasskey> for PasskeyInfo {
    fn from(p: &StoredPasskey) -> Self {
        PasskeyInfo {
            credential_id: p.credential_id.clone(),
            name: p.name.clone(),
            rp_id: p.rp_id.clone(),
            created: p.created,
            last_used: p.last_used,
        }
    }
}

/// The login widget's limits for a passwordless sign-in, as a password
/// login takes them ([`crate::auth::LoginRequest`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct PasskeyLoginRequest {
    /// Refused passkeys that lock the account (at most
    /// [`crate::account::REAUTH_MAX_ATTEMPTS`] are counted either way).
    pub max_login_attempts: Option<u32>,
    /// At most this many users logged in at once.
    pub max_concurrent_users: Option<u32>,
    /// Refuse a second live session of the same user.
    pub single_session: bool,
}

/// The verifier state of an assertion.
enum Assertion {
    Discoverable(DiscoverableAuthentication),
    Known(PasskeyAuthentication),
}

/// What the audit trail says about a refusal.
fn detail(why: PasskeyRefusal) -> &'static str {
    match why {
        PasskeyRefusal::Rejected(check) => check,
        PasskeyRefusal::CounterRegressed => "counter went back",
        PasskeyRefusal::Malformed => "malformed response",
        _ => "refused",
    }
}

/// The refusal a webauthn-rs verification error stands for.
fn refusal_of(e: &WebauthnError) -> PasskeyRefusal {
    use PasskeyRefusal::{Malformed, Rejected};
    match e {
        WebauthnError::InvalidRPOrigin | WebauthnError::CredentialCrossOrigin => Rejected("origin"),
        WebauthnError::InvalidRPIDHash => Rejected("rp id"),
        WebauthnError::MismatchedChallenge => Rejected("challenge"),
        WebauthnError::InvalidClientDataType => Rejected("ceremony type"),
        WebauthnError::UserNotVerified => Rejected("user verification"),
        WebauthnError::UserNotPresent => Rejected("user presence"),
        WebauthnError::CredentialNotFound => Rejected("unknown credential"),
        WebauthnError::AuthenticationFailure | WebauthnError::OpenSSLError(_) => {
            Rejected("signature")
        }
        WebauthnError::CredentialPossibleCompromise => PasskeyRefusal::CounterRegressed,
        WebauthnError::CredentialExcludedFromRequest => PasskeyRefusal::Duplicate,
        WebauthnError::ParseBase64Failure(_)
        | WebauthnError::ParseCBORFailure(_)
        | WebauthnError::ParseJSONFailure(_)
        | WebauthnError::ParseNOMFailure
        | WebauthnError::ParseInsufficientBytesAvailable
        | WebauthnError::MissingAttestationCredentialData
        | WebauthnError::AttestationStatementMapInvalid
        | WebauthnError::COSEKeyInvalidCBORValue
        | WebauthnError::COSEKeyInvalidType => Malformed,
        _ => Rejected("verification"),
    }
}

/// The browser's JSON response as `T`; [`PasskeyRefusal::Malformed`] for
/// anything else, or more than [`MAX_RESPONSE_BYTES`].
fn parse_response<T: serde::de::DeserializeOwned>(response: &str) -> Result<T> {
    if response.len() > MAX_RESPONSE_BYTES {
        return Err(refused(PasskeyRefusal::Malformed));
    }
    serde_json::from_str(response).map_err(|_| refused(PasskeyRefusal::Malformed))
}

/// The signature counter webauthn-rs keeps in a passkey's record.
fn counter_of(passkey: &Passkey) -> u32 {
    serde_json::to_value(passkey)
        .ok()
        .and_then(|v| v["cred"]["counter"].as_u64())
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0)
}

fn stored_record(username: &str, stored: &StoredPasskey) -> Result<Passkey> {
    serde_json::from_str(&stored.passkey).map_err(|e| {
        Error::InvalidInput(format!(
            "the passkey '{}' of '{username}' cannot be read ({e}); remove it, or reset the \
             user's factors with `authgate users 2fa {username} --reset`",
            stored.name
        ))
    })
}

fn options_json(options: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(options)
        .map_err(|e| Error::InvalidInput(format!("passkey options not written: {e}")))
}

impl Authenticator {
    /// The relying party of a page at `origin`, with RP id `rp_id` (default:
    /// its host), named after the app (the name authenticator apps show
    /// for its TOTP entries too). See [`RelyingParty::new`].
    pub fn relying_party(&self, origin: &str, rp_id: Option<&str>) -> Result<RelyingParty> {
        RelyingParty::new(origin, rp_id, &self.config().totp_issuer)
    }

    /// Starts adding a passkey named `name` to `username`, after their
    /// current `password` (checked, and counted, as a password change
    /// checks it): the ceremony to keep and the options for the browser's
    /// `navigator.credentials.create` (JSON). Nothing is stored until
    /// [`Authenticator::finish_passkey_enrolment`]. Refused for guests,
    /// in dict mode, for a name the user has already and beyond
    /// [`MAX_PASSKEYS`].
    pub fn begin_passkey_enrolment(
        &self,
        username: &str,
        password: &str,
        name: &str,
        rp: &RelyingParty,
    ) -> Result<(PasskeyCeremony, String)> {
        if !self.store().keeps_second_factors() {
            return Err(Error::InvalidInput(DICT_KEEPS_NO_PASSKEYS.to_string()));
        }
        let username = UserKey::new(username);
        let name = check_name(name)?;
        let user = self.existing_user(&username)?;
        if user.password_hash.is_none() {
            return Err(Error::InvalidInput(
                "Guest users sign in with their provider and have no passkeys here".to_string(),
            ));
        }
        self.check_password_of(&username, password)?;
        let existing = self.store().second_factors(&username)?.passkeys;
        if existing.len() >= MAX_PASSKEYS {
            return Err(refused(PasskeyRefusal::TooMany));
        }
        if existing.iter().any(|p| p.name == name) {
            return Err(refused(PasskeyRefusal::NameTaken));
        }
        // One handle per user: what a discoverable credential names its
        // owner by. A stored one that is not a UUID is replaced.
        let handle = existing
            .iter()
            .find_map(|p| Uuid::parse_str(&p.user_handle).ok())
            .unwrap_or_else(Uuid::new_v4);
        let exclude = existing
            .iter()
            .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok())
            .map(Into::into)
            .collect();
        let display = user.display_name().unwrap_or_else(|| username.to_string());
        let (mut options, state) = rp
            .webauthn()?
            .start_passkey_registration(handle, &username, &display, Some(exclude))
            .map_err(|e| Error::InvalidInput(format!("passkey options refused: {e}")))?;
        // A passkey is a discoverable credential: passwordless sign-in asks
        // the authenticator whose it is. (webauthn-rs asks for none; what
        // the browser is asked does not change what is verified.)
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.require_resident_key = true;
            selection.resident_key = Some(ResidentKeyRequirement::Required);
        }
        let step = Step::Enrol {
            username: username.into(),
            name,
            handle,
            state,
        };
        let ceremony = PasskeyCeremony::new(step, rp.clone(), self.now());
        Ok((ceremony, options_json(&options)?))
    }

    /// Stores the passkey the browser made for an enrolment `ceremony` of
    /// `username` once its attestation verifies: the origin and RP id it
    /// was made for, the challenge, user presence and verification. The
    /// ceremony is spent either way. Audited as `passkey_added`.
    pub fn finish_passkey_enrolment(
        &self,
        ceremony: &mut PasskeyCeremony,
        username: &str,
        response: &str,
    ) -> Result<PasskeyInfo> {
        let username = UserKey::new(username);
        let now = self.now();
        let rp = ceremony.rp().clone();
        let Step::Enrol {
            username: owner,
            name,
            handle,
            state,
        } = ceremony.spend(now)?
        else {
            return Err(refused(PasskeyRefusal::Mismatch));
        };
        if *owner != username {
            return Err(refused(PasskeyRefusal::Mismatch));
        }
        let credential: RegisterPublicKeyCredential = parse_response(response)?;
        let passkey = match rp
            .webauthn()?
            .finish_passkey_registration(&credential, state)
        {
            Ok(passkey) => passkey,
            Err(e) => {
                let why = refusal_of(&e);
                self.audit("passkey_refused", Some(&username), Some(detail(why)));
                return Err(refused(why));
            }
        };
        let stored = StoredPasskey {
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice()),
            user_handle: handle.to_string(),
            name: name.clone(),
            rp_id: rp.id().to_string(),
            counter: counter_of(&passkey),
            passkey: serde_json::to_string(&passkey)
                .map_err(|e| Error::InvalidInput(format!("passkey not written: {e}")))?,
            created: now,
            last_used: None,
        };
        let event = self.event("passkey_added", Some(&username), Some(name));
        match self
            .store()
            .add_passkey(&username, &stored, MAX_PASSKEYS, Some(&event))?
        {
            PasskeyChange::Done => Ok(PasskeyInfo::from(&stored)),
            PasskeyChange::Duplicate => Err(refused(PasskeyRefusal::Duplicate)),
            PasskeyChange::NameTaken => Err(refused(PasskeyRefusal::NameTaken)),
            PasskeyChange::Full => Err(refused(PasskeyRefusal::TooMany)),
            PasskeyChange::NotFound => Err(Error::UserNotFound(username.into())),
        }
    }

    /// The user's passkeys, oldest first.
    pub fn passkeys(&self, username: &str) -> Result<Vec<PasskeyInfo>> {
        let factors = self.store().second_factors(&UserKey::new(username))?;
        Ok(factors.passkeys.iter().map(PasskeyInfo::from).collect())
    }

    /// Whether any user has a passkey: the login form offers passkey
    /// sign-in only then. The form asks on every render, for anonymous
    /// visitors too, so the answer is kept with the store
    /// ([`crate::store::PasskeyPresence`]): read again after
    /// [`crate::store::PASSKEY_PRESENCE_TTL`] seconds (30), and at once
    /// after a passkey is added or removed through the store in this
    /// process. Another process's first enrolment can thus go unseen for
    /// up to 30 s (the button appears a little late), its removal of the
    /// last passkey likewise (a button whose ceremony then fails politely).
    pub fn any_passkeys(&self) -> Result<bool> {
        let store = self.store();
        match store.passkey_presence() {
            Some(presence) => presence.answer(self.now(), || store.any_passkeys()),
            None => store.any_passkeys(),
        }
    }

    /// Renames the user's passkey `credential_id`.
    pub fn rename_passkey(&self, username: &str, credential_id: &str, name: &str) -> Result<()> {
        let username = UserKey::new(username);
        let name = check_name(name)?;
        let event = self.event("passkey_renamed", Some(&username), Some(&name));
        match self
            .store()
            .rename_passkey(&username, credential_id, &name, Some(&event))?
        {
            PasskeyChange::Done => Ok(()),
            PasskeyChange::NameTaken => Err(refused(PasskeyRefusal::NameTaken)),
            _ => Err(refused(PasskeyRefusal::NotFound)),
        }
    }

    /// Removes the user's passkey `credential_id`, after their current
    /// `password`. Audited as `passkey_removed`.
    pub fn remove_passkey(
        &self,
        username: &str,
        credential_id: &str,
        password: &str,
    ) -> Result<()> {
        let username = UserKey::new(username);
        self.check_password_of(&username, password)?;
        let name = self
            .store()
            .second_factors(&username)?
            .passkeys
            .into_iter()
            .find(|p| p.credential_id == credential_id)
            .map(|p| p.name)
            .ok_or_else(|| refused(PasskeyRefusal::NotFound))?;
        let event = self.event("passkey_removed", Some(&username), Some(&name));
        if !self
            .store()
            .remove_passkey(&username, credential_id, Some(&event))?
        {
            return Err(refused(PasskeyRefusal::NotFound));
        }
        Ok(())
    }

    /// Starts a passkey sign-in: the ceremony to keep and the options for
    /// the browser's `navigator.credentials.get` (JSON). Without a
    /// `second_step`, any passkey of this app may answer (passwordless,
    /// user verification required); with the [`TotpChallenge`] of a login
    /// whose password was right, one of that user's passkeys.
    pub fn begin_passkey_login(
        &self,
        rp: &RelyingParty,
        second_step: Option<&TotpChallenge>,
    ) -> Result<(PasskeyCeremony, String)> {
        let webauthn = rp.webauthn()?;
        let failed =
            |e: WebauthnError| Error::InvalidInput(format!("passkey options refused: {e}"));
        let (step, options) = match second_step {
            None => {
                let (mut options, state) = webauthn
                    .start_discoverable_authentication()
                    .map_err(failed)?;
                // webauthn-rs asks for the browser's autofill prompt; the
                // button asks outright.
                options.mediation = None;
                (Step::SignIn { state }, options)
            }
            Some(challenge) => {
                let (user, _) = self.second_step_user(challenge)?;
                let keys = self
                    .store()
                    .second_factors(&user.username)?
                    .passkeys
                    .iter()
                    .filter(|p| p.rp_id == rp.id())
                    .map(|p| stored_record(&user.username, p))
                    .collect::<Result<Vec<_>>>()?;
                if keys.is_empty() {
                    return Err(refused(PasskeyRefusal::NotEnabled));
                }
                let (options, state) = webauthn
                    .start_passkey_authentication(&keys)
                    .map_err(failed)?;
                let step = Step::SecondFactor {
                    username: user.username,
                    state,
                };
                (step, options)
            }
        };
        let ceremony = PasskeyCeremony::new(step, rp.clone(), self.now());
        Ok((ceremony, options_json(&options)?))
    }

    /// Signs in with the passkey the browser answered a passwordless
    /// `ceremony` with: the session opens as a password login's does
    /// (limits, an operator's lock, the cookie), audited as `login` with
    /// detail `passkey`. A refused passkey of a known user counts toward
    /// their lockout.
    pub fn finish_passkey_login(
        &self,
        ceremony: &mut PasskeyCeremony,
        response: &str,
        req: &PasskeyLoginRequest,
    ) -> Result<Login> {
        let max = req
            .max_login_attempts
            .map_or(crate::account::REAUTH_MAX_ATTEMPTS, |m| {
                m.min(crate::account::REAUTH_MAX_ATTEMPTS)
            });
        let user = self.verify_assertion(ceremony, response, None, max)?;
        if user.awaiting_verification {
            self.audit(
                "login_refused",
                Some(&user.username),
                Some("email not verified"),
            );
            return Err(Error::EmailUnverified);
        }
        let limits = self.limits(req.max_concurrent_users, req.single_session);
        let event = self.event("login", Some(&user.username), Some("passkey"));
        self.open_session_with(user, &limits, self.now(), Some(&event), None)
    }

    /// Opens the session of a [`TotpChallenge`] (a login whose password was
    /// right) with the passkey the browser answered its second-step
    /// `ceremony` with; refused passkeys count toward the lockout, as
    /// wrong codes do. Audited as `login` with detail `passkey second
    /// factor`.
    pub fn finish_passkey_second_factor(
        &self,
        challenge: &mut TotpChallenge,
        ceremony: &mut PasskeyCeremony,
        response: &str,
    ) -> Result<Login> {
        let (user, max) = self.second_step_user(challenge)?;
        self.verify_assertion(ceremony, response, Some(&user.username), max)?;
        self.finish_second_step(challenge, user, "passkey second factor")
    }

    /// Checks an assertion against `ceremony` (spent either way), for the
    /// `expected` user or, passwordless, whoever owns the credential; the
    /// user on success. Counted toward the user's lockout before the check,
    /// at `max_attempts`.
    fn verify_assertion(
        &self,
        ceremony: &mut PasskeyCeremony,
        response: &str,
        expected: Option<&str>,
        max_attempts: u32,
    ) -> Result<User> {
        let now = self.now();
        let rp = ceremony.rp().clone();
        let assertion = match (ceremony.spend(now)?, expected) {
            (Step::SignIn { state }, None) => Assertion::Discoverable(state.clone()),
            (Step::SecondFactor { username, state }, Some(user)) if username == user => {
                Assertion::Known(state.clone())
            }
            _ => return Err(refused(PasskeyRefusal::Mismatch)),
        };
        let credential: PublicKeyCredential = match parse_response(response) {
            Ok(credential) => credential,
            Err(e) => {
                self.audit("passkey_refused", expected, Some("malformed response"));
                return Err(e);
            }
        };
        let credential_id = URL_SAFE_NO_PAD.encode(credential.raw_id.as_slice());
        let found = self.store().passkey_by_credential(&credential_id)?;
        let username = match (expected, &found) {
            (Some(user), _) => user.to_string(),
            (None, Some((owner, _))) => owner.clone(),
            (None, None) => {
                self.audit("passkey_refused", None, Some("unknown credential"));
                return Err(refused(PasskeyRefusal::Rejected("unknown credential")));
            }
        };
        let user = self
            .store()
            .user(&username)?
            .ok_or_else(|| refused(PasskeyRefusal::Rejected("unknown credential")))?;
        let policy = self.lockout_policy(Some(max_attempts));
        let lock = self.store().lock_state(&username)?;
        let counted = match self.reserve_attempt(&username, &policy, &lock, now)? {
            Attempt::Locked(until) => {
                self.audit("login_refused", Some(&username), Some("locked"));
                return Err(Error::AccountLocked { until });
            }
            Attempt::Counted(state) => Some(state),
            Attempt::Uncounted => None,
        };
        match self.check_assertion(&rp, assertion, &credential, &username, found, now)? {
            Ok(()) => Ok(user),
            Err(why) => Err(self.count_refusal(&username, &policy, counted, why, now)?),
        }
    }

    /// The checks of [`Authenticator::verify_assertion`] once the attempt
    /// is counted: the credential is the user's and signs for this RP id,
    /// its user handle is theirs, webauthn-rs verifies it, and its counter
    /// goes up in the store (atomically: of two parallel uses of one
    /// counter value, one passes).
    fn check_assertion(
        &self,
        rp: &RelyingParty,
        assertion: Assertion,
        credential: &PublicKeyCredential,
        username: &str,
        found: Option<(String, StoredPasskey)>,
        now: f64,
    ) -> Result<std::result::Result<(), PasskeyRefusal>> {
        use PasskeyRefusal::Rejected;
        let Some((owner, stored)) = found else {
            return Ok(Err(Rejected("unknown credential")));
        };
        if owner != username {
            return Ok(Err(Rejected("another user's credential")));
        }
        if stored.rp_id != rp.id() {
            return Ok(Err(Rejected("rp id")));
        }
        if let Some(handle) = credential.get_user_unique_id() {
            let theirs =
                Uuid::from_slice(handle).is_ok_and(|h| h.to_string() == stored.user_handle);
            if !theirs {
                return Ok(Err(Rejected("user handle")));
            }
        }
        let passkey = stored_record(username, &stored)?;
        let webauthn = rp.webauthn()?;
        let verified = match assertion {
            Assertion::Discoverable(state) => {
                if credential.get_user_unique_id().is_none() {
                    return Ok(Err(Rejected("user handle")));
                }
                webauthn.finish_discoverable_authentication(
                    credential,
                    state,
                    &[DiscoverableKey::from(&passkey)],
                )
            }
            Assertion::Known(state) => webauthn.finish_passkey_authentication(credential, &state),
        };
        let result = match verified {
            Ok(result) => result,
            Err(e) => return Ok(Err(refusal_of(&e))),
        };
        let mut passkey = passkey;
        passkey.update_credential(&result);
        let record = serde_json::to_string(&passkey)
            .map_err(|e| Error::InvalidInput(format!("passkey not written: {e}")))?;
        if !self.store().use_passkey(
            username,
            &stored.credential_id,
            result.counter(),
            &record,
            now,
        )? {
            return Ok(Err(PasskeyRefusal::CounterRegressed));
        }
        Ok(Ok(()))
    }

    /// Counts a refused passkey of `username` toward their lockout (unless
    /// it was counted before the check), audits it, and gives the refusal.
    fn count_refusal(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        counted: Option<LockState>,
        why: PasskeyRefusal,
        now: f64,
    ) -> Result<Error> {
        let state = match counted {
            Some(state) => state,
            None => self.store().record_failure(username, policy, now, None)?,
        };
        let kind = if policy.locked_until(&state, now).is_some() {
            "locked"
        } else {
            "passkey_failed"
        };
        self.audit(kind, Some(username), Some(detail(why)));
        Ok(refused(why))
    }
}
