//! The streamlit-authenticator config document, indexed.
//!
//! A [`Document`] holds a parsed `config.yaml` (or the credentials dict of
//! dict mode) split into the parts authgate works on — the users, indexed by
//! username and by lower-cased email — and everything else, kept as it was so
//! that unknown keys survive a write. authgate's own state (sessions, lockout
//! windows, revocations) lives under one extra top-level key, `authgate`,
//! which streamlit-authenticator 0.4.2 ignores and keeps.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::lockout::LockState;
use crate::session::Session;
use crate::store::{NewUser, PendingPassword, SecondFactors, StoredPasskey, StoredTotp};
use crate::user::{EmailKey, User, UserKey};
use crate::yaml::{Map, Value};

/// Top-level key under which authgate keeps its own state.
pub const STATE_KEY: &str = "authgate";

/// Where the credentials sit in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A whole config file: `credentials.usernames`.
    Config,
    /// Dict mode: the value *is* the credentials mapping: `usernames`.
    Credentials,
}

/// authgate's own per-store state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// Sessions by id.
    pub sessions: BTreeMap<String, Session>,
    /// Lockout windows by username.
    pub lockouts: BTreeMap<String, LockState>,
    /// Per user: tokens without a session id issued before this time are refused.
    pub revoked_before: BTreeMap<String, f64>,
    /// Per user: a password from `forgot_password` not used yet.
    pub pending_passwords: BTreeMap<String, PendingPassword>,
    /// Per user with any: their second factors (sealed TOTP secret,
    /// recovery code digests, passkeys).
    pub second_factors: BTreeMap<String, SecondFactors>,
}

/// A config document with its indexes.
#[derive(Debug, Clone)]
pub struct Document {
    origin: PathBuf,
    layout: Layout,
    root: Map,
    users: BTreeMap<String, Map>,
    emails: HashMap<String, String>,
    /// authgate's state.
    pub state: State,
    dirty: bool,
    /// Whether any stored password may be plaintext; spares a scan of every
    /// user on each `Authenticate` when none is.
    may_have_plaintext: bool,
}

impl Document {
    /// Builds a document from a parsed value, checking the schema.
    pub fn from_value(value: Value, layout: Layout, origin: &Path) -> Result<Self> {
        let schema = |message: String| Error::ConfigSchema {
            path: origin.to_path_buf(),
            message,
        };
        let mut root = match value {
            Value::Map(map) => map,
            Value::Null => return Err(schema("the config is empty".into())),
            other => {
                return Err(schema(format!(
                    "the config must be a mapping, not {}",
                    other.type_name()
                )))
            }
        };
        let state = match root.remove(STATE_KEY) {
            Some(v) => State::from_value(&v).map_err(|m| schema(format!("'{STATE_KEY}': {m}")))?,
            None => State::default(),
        };
        let usernames = {
            let credentials = match layout {
                Layout::Config => match root.get_mut("credentials") {
                    Some(Value::Map(c)) => c,
                    Some(other) => {
                        return Err(schema(format!(
                            "'credentials' must be a mapping, not {}",
                            other.type_name()
                        )))
                    }
                    None => return Err(schema("'credentials' is missing".into())),
                },
                Layout::Credentials => &mut root,
            };
            match credentials.remove("usernames") {
                Some(Value::Map(m)) => m,
                Some(Value::Null) | None => Map::new(),
                Some(other) => {
                    return Err(schema(format!(
                        "'usernames' must be a mapping, not {}",
                        other.type_name()
                    )))
                }
            }
        };
        let mut doc = Document {
            origin: origin.to_path_buf(),
            layout,
            root,
            users: BTreeMap::new(),
            emails: HashMap::new(),
            state,
            dirty: false,
            may_have_plaintext: false,
        };
        for (key, entry) in usernames.into_iter() {
            let Value::Str(name) = key else {
                return Err(schema(format!(
                    "usernames must be strings; found {} ({})",
                    key.type_name(),
                    crate::yaml::emit(&key).trim_end()
                )));
            };
            let entry = match entry {
                Value::Map(m) => m,
                Value::Null => Map::new(),
                other => {
                    return Err(schema(format!(
                        "user '{name}' must be a mapping, not {}",
                        other.type_name()
                    )))
                }
            };
            check_user_entry(&name, &entry).map_err(schema)?;
            // 0.4.2 lower-cases usernames on load; we fold them as every
            // typed name is (trimmed too, or a key with a stray blank
            // would name an account no login reaches).
            doc.insert_user_entry(UserKey::new(&name).into_string(), entry);
        }
        Ok(doc)
    }

    /// The document as a value, ready to be written.
    pub fn to_value(&self) -> Value {
        let mut root = self.root.clone();
        let mut usernames = Map::new();
        for (name, entry) in &self.users {
            // The keys of a map of strings are distinct: no look-up needed
            // (`Map::insert` scans, which made this quadratic).
            usernames.push_unchecked(Value::Str(name.clone()), Value::Map(entry.clone()));
        }
        match self.layout {
            Layout::Config => {
                if let Some(Value::Map(c)) = root.get_mut("credentials") {
                    c.insert("usernames", Value::Map(usernames));
                }
            }
            Layout::Credentials => {
                root.insert("usernames", Value::Map(usernames));
            }
        }
        if self.layout == Layout::Config && !self.state.is_empty() {
            root.insert(STATE_KEY, self.state.to_value());
        }
        Value::Map(root)
    }

    /// Where the document came from, for messages.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// Whether a mutation happened since the flag was last taken.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Marks the document changed.
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// A top-level value (`cookie`, `pre-authorized`, `api_key`, …).
    pub fn setting(&self, key: &str) -> Option<&Value> {
        self.root.get(key)
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Usernames in sorted order.
    pub fn usernames(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// Users in username order, paged.
    pub fn users_page(&self, offset: usize, limit: usize) -> Vec<User> {
        self.users
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(k, e)| user_from_entry(k, e))
            .collect()
    }

    /// The user named `username` (compared by its [`UserKey`]).
    pub fn user(&self, username: &str) -> Option<User> {
        let key = UserKey::new(username);
        self.users
            .get(key.as_str())
            .map(|entry| user_from_entry(&key, entry))
    }

    /// The raw entry of a user, unknown keys included.
    pub fn user_entry(&self, username: &str) -> Option<&Map> {
        self.users.get(UserKey::new(username).as_str())
    }

    /// The user whose email matches, compared case-insensitively.
    pub fn user_by_email(&self, email: &str) -> Option<User> {
        let username = self.emails.get(EmailKey::new(email).as_str())?;
        self.user(username)
    }

    /// Applies `change` to a user's raw entry and keeps the indexes right.
    pub fn update_user_entry<R>(
        &mut self,
        username: &str,
        change: impl FnOnce(&mut Map) -> R,
    ) -> Result<R> {
        let key = UserKey::new(username).into_string();
        let entry = self
            .users
            .get_mut(&key)
            .ok_or_else(|| Error::UserNotFound(key.clone()))?;
        let old_email = email_key(entry);
        let out = change(entry);
        let new_email = email_key(entry);
        if old_email != new_email {
            if let Some(old) = old_email {
                if self.emails.get(&old) == Some(&key) {
                    self.emails.remove(&old);
                }
            }
            if let Some(new) = new_email {
                self.emails.insert(new, key.clone());
            }
        }
        self.dirty = true;
        Ok(out)
    }

    /// Sets one field of a user's entry.
    pub fn set_user_field(&mut self, username: &str, field: &str, value: Value) -> Result<()> {
        if field == "password" && matches!(&value, Value::Str(p) if !crate::password::is_hash(p)) {
            self.may_have_plaintext = true;
        }
        self.update_user_entry(username, |entry| {
            entry.insert(field, value);
        })
    }

    /// Adds a user; refuses a taken username or email.
    pub fn add_user(&mut self, user: &NewUser) -> Result<()> {
        let key = UserKey::new(&user.username).into_string();
        if self.users.contains_key(&key) {
            return Err(Error::UsernameTaken);
        }
        if self
            .emails
            .contains_key(EmailKey::new(&user.email).as_str())
        {
            return Err(Error::EmailTaken);
        }
        // The fields and their order as streamlit-authenticator 0.4.2 registers a user.
        let mut entry = Map::new();
        entry.insert("email", Value::Str(user.email.clone()));
        entry.insert("logged_in", Value::Bool(false));
        entry.insert("first_name", Value::Str(user.first_name.clone()));
        entry.insert("last_name", Value::Str(user.last_name.clone()));
        if let Some(hash) = &user.password_hash {
            entry.insert("password", Value::Str(hash.clone()));
        }
        entry.insert("roles", roles_value(user.roles.as_deref()));
        if let Some(hint) = &user.password_hint {
            entry.insert("password_hint", Value::Str(hint.clone()));
        }
        if user.awaiting_verification {
            entry.insert(EMAIL_VERIFIED, Value::Bool(false));
        }
        self.insert_user_entry(key, entry);
        self.dirty = true;
        Ok(())
    }

    /// Removes a user, their sessions and state; false if there was none.
    pub fn remove_user(&mut self, username: &str) -> bool {
        let key = UserKey::new(username).into_string();
        let Some(entry) = self.users.remove(&key) else {
            return false;
        };
        if let Some(email) = email_key(&entry) {
            if self.emails.get(&email) == Some(&key) {
                self.emails.remove(&email);
                // Another user may share the address in a hand-edited file.
                if let Some((other, _)) = self
                    .users
                    .iter()
                    .find(|(_, e)| email_key(e).as_deref() == Some(email.as_str()))
                {
                    self.emails.insert(email, other.clone());
                }
            }
        }
        self.state.sessions.retain(|_, s| s.username != key);
        self.state.lockouts.remove(&key);
        self.state.pending_passwords.remove(&key);
        self.dirty = true;
        true
    }

    /// Whether another user than `username` has this email.
    pub fn email_taken_by_other(&self, email: &str, username: &str) -> bool {
        self.emails
            .get(EmailKey::new(email).as_str())
            .is_some_and(|owner| *owner != UserKey::new(username))
    }

    /// The store's pre-authorized emails (`pre-authorized.emails`), if it keeps a list.
    pub fn preauthorized(&self) -> Option<Vec<String>> {
        let emails = self
            .root
            .get("pre-authorized")
            .and_then(Value::as_map)?
            .get("emails")?;
        Some(match emails {
            Value::Seq(items) => items
                .iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
    }

    /// Removes `email` (case-insensitively) from the pre-authorized list.
    /// Errors if the store keeps a list and the email is not on it.
    pub fn consume_preauthorized(&mut self, email: &str) -> Result<()> {
        let wanted = EmailKey::new(email);
        let Some(Value::Map(pre)) = self.root.get_mut("pre-authorized") else {
            return Ok(());
        };
        // As in 0.4.2, only a list restricts registration.
        let Some(Value::Seq(items)) = pre.get_mut("emails") else {
            return Ok(());
        };
        let before = items.len();
        items.retain(|e| e.as_str().is_none_or(|s| EmailKey::new(s) != wanted));
        if items.len() == before {
            return Err(Error::NotPreauthorized);
        }
        self.dirty = true;
        Ok(())
    }

    /// Adds `add` to and removes `remove` from the pre-authorized list
    /// (case-insensitively; a listed email is not added twice) and returns
    /// the list. Adding to a document without a list starts one, which
    /// then restricts registration as 0.4.2's list does.
    pub fn edit_preauthorized(&mut self, add: &[String], remove: &[String]) -> Vec<String> {
        let fold = EmailKey::new;
        let mut emails = self.preauthorized().unwrap_or_default();
        let before = emails.clone();
        let removed: Vec<EmailKey> = remove.iter().map(|e| fold(e)).collect();
        emails.retain(|e| !removed.contains(&fold(e)));
        for email in add {
            if !emails.iter().any(|e| fold(e) == fold(email)) {
                emails.push(email.trim().to_string());
            }
        }
        let is_list = matches!(
            self.root
                .get("pre-authorized")
                .and_then(Value::as_map)
                .and_then(|m| m.get("emails")),
            Some(Value::Seq(_))
        );
        if emails == before && (is_list || add.is_empty()) {
            return emails;
        }
        let seq = Value::Seq(emails.iter().cloned().map(Value::Str).collect());
        match self.root.get_mut("pre-authorized") {
            Some(Value::Map(pre)) => {
                pre.insert("emails".to_string(), seq);
            }
            _ => {
                let mut pre = Map::new();
                pre.insert("emails".to_string(), seq);
                self.root
                    .insert("pre-authorized".to_string(), Value::Map(pre));
            }
        }
        self.dirty = true;
        emails
    }

    fn insert_user_entry(&mut self, username: String, entry: Map) {
        if matches!(entry.get("password"), Some(Value::Str(p)) if !crate::password::is_hash(p)) {
            self.may_have_plaintext = true;
        }
        if let Some(email) = email_key(&entry) {
            // First one wins, as a linear scan in sorted order would find it.
            self.emails.entry(email).or_insert_with(|| username.clone());
        }
        self.users.insert(username, entry);
    }

    /// Users whose stored password is not a bcrypt hash, with that plaintext.
    pub fn plaintext_passwords(&self) -> Vec<(String, String)> {
        if !self.may_have_plaintext {
            return Vec::new();
        }
        self.users
            .iter()
            .filter_map(|(name, entry)| match entry.get("password") {
                Some(Value::Str(p)) if !crate::password::is_hash(p) => {
                    Some((name.clone(), p.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

impl State {
    /// Whether there is no state at all.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
            && self.lockouts.is_empty()
            && self.revoked_before.is_empty()
            && self.pending_passwords.is_empty()
            && self.second_factors.is_empty()
    }

    fn to_value(&self) -> Value {
        let mut sessions = Map::new();
        for (id, s) in &self.sessions {
            let mut m = Map::new();
            m.insert("username", Value::Str(s.username.clone()));
            m.insert("created", Value::Float(s.created));
            m.insert("expires", Value::Float(s.expires));
            m.insert("last_seen", Value::Float(s.last_seen));
            if let Some(credential) = &s.credential {
                m.insert("credential", Value::Str(credential.clone()));
            }
            if let Some(agent) = &s.user_agent {
                m.insert("user_agent", Value::Str(agent.clone()));
            }
            sessions.insert(id.as_str(), Value::Map(m));
        }
        let mut lockouts = Map::new();
        for (name, l) in &self.lockouts {
            let mut m = Map::new();
            m.insert("failures", Value::Int(i64::from(l.failures)));
            m.insert("window_start", opt_float(l.window_start));
            m.insert("locked_until", opt_float(l.locked_until));
            if l.disabled_until.is_some() {
                m.insert("disabled_until", opt_float(l.disabled_until));
            }
            lockouts.insert(name.as_str(), Value::Map(m));
        }
        let mut revoked = Map::new();
        for (name, t) in &self.revoked_before {
            revoked.insert(name.as_str(), Value::Float(*t));
        }
        let mut pending = Map::new();
        for (name, p) in &self.pending_passwords {
            let mut m = Map::new();
            m.insert("hash", Value::Str(p.hash.clone()));
            m.insert("expires", Value::Float(p.expires));
            pending.insert(name.as_str(), Value::Map(m));
        }
        let mut factors = Map::new();
        for (name, f) in &self.second_factors {
            let mut m = Map::new();
            if let Some(totp) = &f.totp {
                let mut t = Map::new();
                t.insert("secret", Value::Str(totp.secret.clone()));
                t.insert("last_step", totp.last_step.map_or(Value::Null, Value::Int));
                t.insert("created", Value::Float(totp.created));
                m.insert("totp", Value::Map(t));
            }
            let codes = f.recovery_codes.iter().cloned().map(Value::Str).collect();
            m.insert("recovery_codes", Value::Seq(codes));
            if !f.passkeys.is_empty() {
                let keys = f.passkeys.iter().map(passkey_value).collect();
                m.insert("passkeys", Value::Seq(keys));
            }
            factors.insert(name.as_str(), Value::Map(m));
        }
        let mut root = Map::new();
        root.insert("lockouts", Value::Map(lockouts));
        root.insert("pending_passwords", Value::Map(pending));
        root.insert("revoked_before", Value::Map(revoked));
        if !factors.is_empty() {
            root.insert("second_factors", Value::Map(factors));
        }
        root.insert("sessions", Value::Map(sessions));
        Value::Map(root)
    }

    fn from_value(value: &Value) -> std::result::Result<Self, String> {
        let mut state = State::default();
        let Some(root) = value.as_map() else {
            return Err(format!("must be a mapping, not {}", value.type_name()));
        };
        for (id, v) in entries(root.get("sessions"), "sessions")? {
            let m = v.as_map().ok_or("a session must be a mapping")?;
            let session = Session {
                id: id.clone(),
                username: m
                    .get("username")
                    .and_then(Value::as_str)
                    .ok_or("a session has no username")?
                    .to_string(),
                created: float_field(m, "created")?.unwrap_or(0.0),
                expires: float_field(m, "expires")?.unwrap_or(0.0),
                last_seen: float_field(m, "last_seen")?.unwrap_or(0.0),
                credential: m
                    .get("credential")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                user_agent: m
                    .get("user_agent")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            state.sessions.insert(id, session);
        }
        for (name, v) in entries(root.get("lockouts"), "lockouts")? {
            let m = v.as_map().ok_or("a lockout must be a mapping")?;
            let failures = m.get("failures").and_then(Value::as_i64).unwrap_or(0);
            state.lockouts.insert(
                name,
                LockState {
                    failures: u32::try_from(failures.max(0)).unwrap_or(u32::MAX),
                    window_start: float_field(m, "window_start")?,
                    locked_until: float_field(m, "locked_until")?,
                    disabled_until: float_field(m, "disabled_until")?,
                },
            );
        }
        for (name, v) in entries(root.get("pending_passwords"), "pending_passwords")? {
            let m = v.as_map().ok_or("a pending password must be a mapping")?;
            let hash = m
                .get("hash")
                .and_then(Value::as_str)
                .ok_or("a pending password has no hash")?;
            state.pending_passwords.insert(
                name,
                PendingPassword {
                    hash: hash.to_string(),
                    expires: float_field(m, "expires")?.unwrap_or(0.0),
                },
            );
        }
        for (name, v) in entries(root.get("revoked_before"), "revoked_before")? {
            let t = as_float(v).ok_or("revoked_before values must be numbers")?;
            state.revoked_before.insert(name, t);
        }
        for (name, v) in entries(root.get("second_factors"), "second_factors")? {
            let m = v.as_map().ok_or("second factors must be a mapping")?;
            let totp = match m.get("totp") {
                None | Some(Value::Null) => None,
                Some(t) => {
                    let t = t.as_map().ok_or("a TOTP factor must be a mapping")?;
                    let secret = t
                        .get("secret")
                        .and_then(Value::as_str)
                        .ok_or("a TOTP factor has no secret")?;
                    let last_step = match t.get("last_step") {
                        None | Some(Value::Null) => None,
                        Some(v) => Some(v.as_i64().ok_or("'last_step' must be an integer")?),
                    };
                    Some(StoredTotp {
                        secret: secret.to_string(),
                        last_step,
                        created: float_field(t, "created")?.unwrap_or(0.0),
                    })
                }
            };
            let mut recovery_codes = match m.get("recovery_codes") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Seq(items)) => items
                    .iter()
                    .map(|d| d.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("recovery codes must be strings")?,
                Some(_) => return Err("'recovery_codes' must be a list".into()),
            };
            recovery_codes.sort();
            let passkeys = match m.get("passkeys") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Seq(items)) => items
                    .iter()
                    .map(passkey_from_value)
                    .collect::<std::result::Result<_, _>>()?,
                Some(_) => return Err("'passkeys' must be a list".into()),
            };
            let factors = SecondFactors {
                totp,
                recovery_codes,
                passkeys,
            };
            if !factors.is_empty() {
                state.second_factors.insert(name, factors);
            }
        }
        Ok(state)
    }
}

/// A passkey in the `authgate` section of a document.
fn passkey_value(p: &StoredPasskey) -> Value {
    let mut m = Map::new();
    m.insert("credential_id", Value::Str(p.credential_id.clone()));
    m.insert("user_handle", Value::Str(p.user_handle.clone()));
    m.insert("name", Value::Str(p.name.clone()));
    m.insert("rp_id", Value::Str(p.rp_id.clone()));
    m.insert("passkey", Value::Str(p.passkey.clone()));
    m.insert("counter", Value::Int(i64::from(p.counter)));
    m.insert("created", Value::Float(p.created));
    m.insert("last_used", opt_float(p.last_used));
    Value::Map(m)
}

/// [`passkey_value`] read back.
fn passkey_from_value(v: &Value) -> std::result::Result<StoredPasskey, String> {
    let m = v.as_map().ok_or("a passkey must be a mapping")?;
    let text = |key: &str| {
        m.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("a passkey has no '{key}'"))
    };
    let counter = m
        .get("counter")
        .and_then(Value::as_i64)
        .and_then(|c| u32::try_from(c).ok())
        .ok_or("a passkey's 'counter' must be a non-negative integer")?;
    Ok(StoredPasskey {
        credential_id: text("credential_id")?,
        user_handle: text("user_handle")?,
        name: text("name")?,
        rp_id: text("rp_id")?,
        passkey: text("passkey")?,
        counter,
        created: float_field(m, "created")?.unwrap_or(0.0),
        last_used: float_field(m, "last_used")?,
    })
}

fn entries<'a>(
    value: Option<&'a Value>,
    what: &str,
) -> std::result::Result<Vec<(String, &'a Value)>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| match k {
                Value::Str(s) => Ok((s.clone(), v)),
                _ => Err(format!("'{what}' keys must be strings")),
            })
            .collect(),
        Some(_) => Err(format!("'{what}' must be a mapping")),
    }
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        #[allow(clippy::cast_precision_loss)]
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn float_field(m: &Map, key: &str) -> std::result::Result<Option<f64>, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => as_float(v)
            .map(Some)
            .ok_or_else(|| format!("'{key}' must be a number")),
    }
}

fn opt_float(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Float)
}

fn email_key(entry: &Map) -> Option<String> {
    entry
        .get("email")
        .and_then(Value::as_str)
        .map(|e| EmailKey::new(e).into_string())
        .filter(|e| !e.is_empty())
}

/// Roles as 0.4.2 writes them: a list, or null.
pub fn roles_value(roles: Option<&[String]>) -> Value {
    roles.map_or(Value::Null, |r| {
        Value::Seq(r.iter().map(|x| Value::Str(x.clone())).collect())
    })
}

fn opt_string(entry: &Map, key: &str) -> Option<String> {
    match entry.get(key) {
        Some(Value::Str(s)) => Some(s.clone()),
        Some(Value::Int(i)) => Some(i.to_string()),
        Some(Value::Float(f)) => Some(f.to_string()),
        _ => None,
    }
}

/// The key of a user's record that is `false` while their email awaits
/// verification (absent otherwise: every 0.4.2 user counts as verified).
pub(crate) const EMAIL_VERIFIED: &str = "email_verified";

fn user_from_entry(username: &str, entry: &Map) -> User {
    let roles = match entry.get("roles") {
        Some(Value::Seq(items)) => Some(
            items
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
        ),
        Some(Value::Str(s)) => Some(vec![s.clone()]),
        _ => None,
    };
    User {
        username: username.to_string(),
        email: opt_string(entry, "email"),
        first_name: opt_string(entry, "first_name"),
        last_name: opt_string(entry, "last_name"),
        name: opt_string(entry, "name"),
        password_hash: opt_string(entry, "password"),
        roles,
        password_hint: opt_string(entry, "password_hint"),
        awaiting_verification: entry.get(EMAIL_VERIFIED) == Some(&Value::Bool(false)),
    }
}

fn check_user_entry(name: &str, entry: &Map) -> std::result::Result<(), String> {
    for key in ["password", "email"] {
        match entry.get(key) {
            None | Some(Value::Null) | Some(Value::Str(_)) => {}
            Some(other) => {
                return Err(format!(
                    "user '{name}': '{key}' must be a string, not {}",
                    other.type_name()
                ))
            }
        }
    }
    match entry.get("roles") {
        None | Some(Value::Null) | Some(Value::Str(_)) => {}
        Some(Value::Seq(items)) if items.iter().all(|r| r.as_str().is_some()) => {}
        Some(_) => return Err(format!("user '{name}': 'roles' must be a list of strings")),
    }
    match entry.get("failed_login_attempts") {
        None | Some(Value::Null) | Some(Value::Int(_)) => {}
        Some(other) => {
            return Err(format!(
                "user '{name}': 'failed_login_attempts' must be an integer, not {}",
                other.type_name()
            ))
        }
    }
    match entry.get("logged_in") {
        None | Some(Value::Null) | Some(Value::Bool(_)) => {}
        Some(other) => {
            return Err(format!(
                "user '{name}': 'logged_in' must be true or false, not {}",
                other.type_name()
            ))
        }
    }
    Ok(())
}
