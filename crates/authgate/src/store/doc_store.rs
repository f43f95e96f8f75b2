//! [`Store`] over a config document, in a file or in memory.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use super::audit::AuditLog;
use super::document::{roles_value, Document, Layout};
use super::file::{Fingerprint, SharedFile};
use super::sqlite::SqliteStore;
use super::{
    AuditEvent, FailureEvent, NewUser, OpenOptions, PendingPassword, SessionLimits, Settings,
    Store, UserUpdate,
};
use crate::error::{Error, Result};
use crate::lockout::{LockState, LockoutPolicy};
use crate::session::Session;
use crate::user::User;
use crate::yaml::{self, Value};

/// A store whose data is one config document.
///
/// Reads use the parsed document in memory; a read first checks the file's
/// fingerprint (one `stat`) and re-parses only if another process changed it.
/// A write takes the process mutex and the cross-process lock, re-reads the
/// file if it changed, applies the change and replaces the file atomically.
///
/// Beside a file, authgate's own state — sessions, failed attempts and locks,
/// pending passwords, revocations — lives in a SQLite database,
/// `<config>.state.db`, so that a login, a logout or a failed attempt is one
/// small transaction instead of a rewrite of the whole file: the file changes
/// only when users or settings do. (streamlit-authenticator 0.4.2 also wrote
/// `logged_in` and `failed_login_attempts` into the file on every login; they
/// are left as they are.) A config that carries state under the `authgate`
/// key, as `authgate migrate` writes it, hands it to the state database when
/// the store opens. In dict mode the state stays in memory.
#[derive(Debug)]
pub struct DocStore {
    file: Option<SharedFile>,
    loaded: RwLock<Loaded>,
    writer: Mutex<()>,
    audit: AuditLog,
    loads: std::sync::atomic::AtomicU64,
    /// Where the state database is (file mode), and how long to wait for it.
    state_path: Option<(PathBuf, OpenOptions)>,
    /// The state database, opened on first use.
    state_db: OnceLock<SqliteStore>,
    /// Held while the state database is being opened: threads that open it
    /// at once would race to create its schema.
    state_opening: Mutex<()>,
}

#[derive(Debug)]
struct Loaded {
    doc: Document,
    /// `None` when the in-memory copy must be re-read before use.
    fingerprint: Option<Fingerprint>,
    /// Digest of the text `doc` was read from or written as. A writer
    /// compares it with the file under the lock: a fingerprint (size, mtime,
    /// inode) can repeat when two writes land in one clock tick and the
    /// second reuses the first one's inode, and a stale document written back
    /// would lose an update.
    digest: Option<u64>,
}

impl DocStore {
    /// Opens the config file at `path`. Prefer [`super::open`], which caches.
    pub fn open_file(path: &Path, options: OpenOptions) -> Result<Self> {
        let file = SharedFile::new(path, options.lock_timeout);
        let (doc, fingerprint, digest) = load(&file)?;
        let store = DocStore {
            audit: AuditLog::beside(path),
            file: Some(file),
            loaded: RwLock::new(Loaded {
                doc,
                fingerprint: Some(fingerprint),
                digest: Some(digest),
            }),
            writer: Mutex::new(()),
            loads: 1.into(),
            state_path: Some((state_path(path), options)),
            state_db: OnceLock::new(),
            state_opening: Mutex::new(()),
        };
        store.absorb_state()?;
        Ok(store)
    }

    /// The state database of a file store; `None` in dict mode.
    fn state_db(&self) -> Result<Option<&SqliteStore>> {
        let Some((path, options)) = &self.state_path else {
            return Ok(None);
        };
        if let Some(db) = self.state_db.get() {
            return Ok(Some(db));
        }
        let _opening = self
            .state_opening
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = self.state_db.get() {
            return Ok(Some(db));
        }
        let db = SqliteStore::open_state(path, *options)?;
        Ok(Some(self.state_db.get_or_init(|| db)))
    }

    /// Moves state kept in the file (under the `authgate` key) into the
    /// state database, and drops it from the file.
    fn absorb_state(&self) -> Result<()> {
        if self.read(|d| d.state.is_empty())? {
            return Ok(());
        }
        let Some(db) = self.state_db()? else {
            return Ok(());
        };
        self.write(|d| {
            if d.state.is_empty() {
                return Ok(());
            }
            db.import_state(&d.state)?;
            d.state = super::document::State::default();
            d.mark_dirty();
            Ok(())
        })
    }

    /// Whether the user is in the document.
    fn has_user(&self, key: &str) -> Result<bool> {
        self.read(|d| d.user_entry(key).is_some())
    }

    /// [`Error::UserNotFound`] unless the user is in the document.
    fn require_user(&self, key: &str) -> Result<()> {
        if self.has_user(key)? {
            Ok(())
        } else {
            Err(Error::UserNotFound(key.to_string()))
        }
    }

    /// Every session, lockout, pending password and revocation, wherever
    /// this store keeps them.
    pub fn state(&self) -> Result<super::document::State> {
        match self.state_db()? {
            Some(db) => db.export_state(),
            None => self.read(|d| d.state.clone()),
        }
    }

    /// The document with its state, as `authgate migrate` copies it.
    pub fn export_document(&self) -> Result<Document> {
        let mut doc = self.read(Document::clone)?;
        doc.state = self.state()?;
        Ok(doc)
    }

    /// A store over dict-mode credentials (`{'usernames': {...}}`), kept in memory.
    pub fn in_memory(credentials: Value) -> Result<Self> {
        let doc = Document::from_value(credentials, Layout::Credentials, Path::new("<dict>"))?;
        Ok(DocStore {
            file: None,
            loaded: RwLock::new(Loaded {
                doc,
                fingerprint: None,
                digest: None,
            }),
            writer: Mutex::new(()),
            audit: AuditLog::in_memory(),
            loads: 1.into(),
            state_path: None,
            state_db: OnceLock::new(),
            state_opening: Mutex::new(()),
        })
    }

    /// Replaces the users of an in-memory store, keeping sessions and lockouts.
    ///
    /// Dict-mode apps build a new dict on every rerun; the server-side state
    /// must outlive it.
    pub fn replace_credentials(&self, credentials: Value) -> Result<()> {
        let mut doc = Document::from_value(credentials, Layout::Credentials, Path::new("<dict>"))?;
        let _w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        doc.state = std::mem::take(&mut loaded.doc.state);
        loaded.doc = doc;
        Ok(())
    }

    /// The config file's path, if any.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(SharedFile::path)
    }

    /// Re-reads the file if another process changed it.
    pub fn refresh(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let current = file.fingerprint()?;
        let seen = {
            let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
            if loaded.fingerprint == Some(current) {
                return Ok(());
            }
            loaded.fingerprint
        };
        let (doc, fingerprint, digest) = load(file)?;
        self.loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        if loaded.fingerprint != seen {
            // Another thread installed a document meanwhile (a write of this
            // store, or a reload): ours may be older, so keep theirs.
            return Ok(());
        }
        *loaded = Loaded {
            doc,
            fingerprint: Some(fingerprint),
            digest: Some(digest),
        };
        Ok(())
    }

    /// How many times the document was parsed (diagnostics: an unchanged file
    /// is parsed once per process).
    pub fn loads(&self) -> u64 {
        self.loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` on the current document.
    pub fn read<R>(&self, f: impl FnOnce(&Document) -> R) -> Result<R> {
        self.refresh()?;
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
        Ok(f(&loaded.doc))
    }

    /// Runs `f` on the document under both locks and saves the result if `f`
    /// changed anything. `f` must check before it mutates: an error from `f`
    /// leaves the document unsaved and it is re-read on next use.
    pub fn write<R>(&self, f: impl FnOnce(&mut Document) -> Result<R>) -> Result<R> {
        let _w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(file) = &self.file else {
            let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
            let out = f(&mut loaded.doc);
            loaded.doc.take_dirty();
            return out;
        };
        let _lock = file.lock()?;
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        // Under the lock the file is read whole (a write rewrites it whole
        // anyway) and parsed again only if its text is not what we hold.
        let (text, fingerprint) = file.read()?;
        let digest = digest_of(&text);
        if loaded.digest != Some(digest) {
            let doc = parse(&text, file)?;
            self.loads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            loaded.doc = doc;
        }
        loaded.fingerprint = Some(fingerprint);
        loaded.digest = Some(digest);
        let out = f(&mut loaded.doc);
        if !loaded.doc.take_dirty() {
            return out;
        }
        if out.is_err() {
            loaded.fingerprint = None;
            loaded.digest = None;
            return out;
        }
        let text = yaml::emit(&loaded.doc.to_value());
        match file.replace(&text) {
            Ok(fp) => {
                loaded.fingerprint = Some(fp);
                loaded.digest = Some(digest_of(&text));
                out
            }
            Err(e) => {
                // The file still holds the previous version; drop our edit with it.
                loaded.fingerprint = None;
                loaded.digest = None;
                Err(e)
            }
        }
    }

    /// The document as YAML text, as it would be written.
    pub fn to_yaml(&self) -> Result<String> {
        self.read(|doc| yaml::emit(&doc.to_value()))
    }
}

/// `<config>.state.db`, beside the config file.
fn state_path(config: &Path) -> PathBuf {
    let mut name = config.as_os_str().to_owned();
    name.push(".state.db");
    PathBuf::from(name)
}

fn load(file: &SharedFile) -> Result<(Document, Fingerprint, u64)> {
    let (text, fingerprint) = file.read()?;
    Ok((parse(&text, file)?, fingerprint, digest_of(&text)))
}

fn parse(text: &str, file: &SharedFile) -> Result<Document> {
    let value = yaml::parse(text, file.path())?;
    Document::from_value(value, Layout::Config, file.path())
}

/// A digest of the file's text, to tell whether it is the text we hold.
fn digest_of(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

fn string_setting(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        _ => None,
    }
}

impl DocStore {
    fn count_failure(&self, username: &str, policy: &LockoutPolicy, now: f64) -> Result<LockState> {
        let key = username.to_lowercase();
        if let Some(db) = self.state_db()? {
            if !self.has_user(&key)? {
                return Ok(LockState::default());
            }
            return db.record_failure(&key, policy, now, None);
        }
        self.write(|d| {
            if d.user_entry(&key).is_none() {
                return Ok(LockState::default());
            }
            let old = d.state.lockouts.get(&key).cloned().unwrap_or_default();
            let new = policy.record_failure(&old, now);
            if new != old {
                d.set_user_field(
                    &key,
                    "failed_login_attempts",
                    Value::Int(i64::from(new.failures)),
                )?;
                d.state.lockouts.insert(key.clone(), new.clone());
            }
            Ok(new)
        })
    }

    fn start_session(&self, session: &Session, limits: &SessionLimits, now: f64) -> Result<()> {
        if let Some(db) = self.state_db()? {
            self.require_user(&session.username)?;
            return db.open_session(session, limits, now, None);
        }
        self.write(|d| {
            if d.user_entry(&session.username).is_none() {
                return Err(Error::UserNotFound(session.username.clone()));
            }
            let live = |s: &&Session| s.is_live(now, limits.idle_timeout);
            if limits.single_session && d.sessions_of(&session.username).any(|s| live(&s)) {
                return Err(Error::SessionExists);
            }
            if let Some(max) = limits.max_concurrent_users {
                let mut users: Vec<&str> = d
                    .state
                    .sessions
                    .values()
                    .filter(live)
                    .map(|s| s.username.as_str())
                    .collect();
                users.sort_unstable();
                users.dedup();
                let already_in = users.binary_search(&session.username.as_str()).is_ok();
                if !already_in && users.len() >= max as usize {
                    return Err(Error::TooManyUsers);
                }
            }
            d.prune_sessions(now);
            d.update_user_entry(&session.username, |e| {
                e.insert("failed_login_attempts", Value::Int(0));
                e.insert("logged_in", Value::Bool(true));
            })?;
            d.state.lockouts.remove(&session.username);
            d.state.sessions.insert(session.id.clone(), session.clone());
            d.mark_dirty();
            Ok(())
        })
    }

    fn end_session(&self, id: &str, now: f64, idle_timeout: f64) -> Result<Option<Session>> {
        if let Some(db) = self.state_db()? {
            return db.close_session(id, now, idle_timeout, None);
        }
        self.write(|d| {
            let Some(closed) = d.state.sessions.remove(id) else {
                return Ok(None);
            };
            d.mark_dirty();
            d.state.revoked_before.insert(closed.username.clone(), now);
            let still_live = d
                .sessions_of(&closed.username)
                .any(|s| s.is_live(now, idle_timeout));
            if !still_live && d.user_entry(&closed.username).is_some() {
                d.set_user_field(&closed.username, "logged_in", Value::Bool(false))?;
            }
            Ok(Some(closed))
        })
    }

    fn insert_user(&self, user: &NewUser, consume_preauthorized: bool) -> Result<User> {
        self.write(|d| {
            if d.email_taken_by_other(&user.email, &user.username) {
                return Err(Error::EmailTaken);
            }
            if d.user_entry(&user.username).is_some() {
                return Err(Error::UsernameTaken);
            }
            if consume_preauthorized {
                d.consume_preauthorized(&user.email)?;
            }
            d.add_user(user)?;
            d.user(&user.username)
                .ok_or_else(|| Error::UserNotFound(user.username.to_lowercase()))
        })
    }

    fn change_user(&self, username: &str, update: &UserUpdate) -> Result<()> {
        self.write(|d| {
            if d.user_entry(username).is_none() {
                return Err(Error::UserNotFound(username.to_lowercase()));
            }
            let (field, value) = match update {
                UserUpdate::FirstName(v) => ("first_name", Value::Str(v.clone())),
                UserUpdate::LastName(v) => ("last_name", Value::Str(v.clone())),
                UserUpdate::Email(v) => {
                    if d.email_taken_by_other(v, username) {
                        return Err(Error::EmailTaken);
                    }
                    ("email", Value::Str(v.clone()))
                }
                UserUpdate::Roles(r) => ("roles", roles_value(r.as_deref())),
            };
            d.set_user_field(username, field, value)
        })
    }

    fn replace_password(&self, username: &str, hash: &str, now: f64) -> Result<()> {
        let key = username.to_lowercase();
        let state_db = self.state_db()?;
        if let Some(db) = state_db {
            self.require_user(&key)?;
            // Sessions end before the password changes: a crash in between
            // logs the user out rather than keeping old cookies alive.
            db.set_password(&key, hash, now, None)?;
        }
        self.write(|d| {
            if d.user_entry(&key).is_none() {
                return Err(Error::UserNotFound(key.clone()));
            }
            d.set_user_field(&key, "password", Value::Str(hash.to_string()))?;
            if state_db.is_some() {
                return Ok(());
            }
            d.state.sessions.retain(|_, s| s.username != key);
            d.state.pending_passwords.remove(&key);
            d.state.revoked_before.insert(key.clone(), now);
            Ok(())
        })
    }

    /// Records the event of a change that went through. Best effort: the
    /// audit log is a file of its own, and a full disk there must neither
    /// undo nor fail the change.
    fn note(&self, event: Option<&AuditEvent>) {
        if let Some(event) = event {
            let _ = self.record_event(event);
        }
    }
}

impl Store for DocStore {
    fn user(&self, username: &str) -> Result<Option<User>> {
        self.read(|d| d.user(username))
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.read(|d| d.user_by_email(email))
    }

    fn user_record(&self, username: &str) -> Result<Option<Value>> {
        self.read(|d| d.user_entry(username).cloned().map(Value::Map))
    }

    fn settings(&self) -> Result<Settings> {
        self.read(|d| {
            let cookie = d.setting("cookie").and_then(Value::as_map);
            let get = |k: &str| cookie.and_then(|c| c.get(k));
            Settings {
                cookie_name: string_setting(get("name")),
                cookie_key: string_setting(get("key")),
                cookie_expiry_days: match get("expiry_days") {
                    Some(Value::Float(f)) => Some(*f),
                    #[allow(clippy::cast_precision_loss)]
                    Some(Value::Int(i)) => Some(*i as f64),
                    _ => None,
                },
                api_key: string_setting(d.setting("api_key")),
            }
        })
    }

    fn lock_state(&self, username: &str) -> Result<LockState> {
        let key = username.to_lowercase();
        if let Some(db) = self.state_db()? {
            return db.lock_state(&key);
        }
        self.read(|d| d.state.lockouts.get(&key).cloned().unwrap_or_default())
    }

    fn record_failure(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now: f64,
        event: Option<FailureEvent<'_>>,
    ) -> Result<LockState> {
        let new = self.count_failure(username, policy, now)?;
        self.note(event.map(|e| e(&new)).as_ref());
        Ok(new)
    }

    fn open_session(
        &self,
        session: &Session,
        limits: &SessionLimits,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<()> {
        self.start_session(session, limits, now)?;
        self.note(event);
        Ok(())
    }

    fn session(&self, id: &str) -> Result<Option<Session>> {
        if let Some(db) = self.state_db()? {
            return db.session(id);
        }
        self.read(|d| d.state.sessions.get(id).cloned())
    }

    fn touch_session(&self, id: &str, now: f64) -> Result<()> {
        if let Some(db) = self.state_db()? {
            return db.touch_session(id, now);
        }
        self.write(|d| {
            if let Some(s) = d.state.sessions.get_mut(id) {
                s.last_seen = now;
                d.mark_dirty();
            }
            Ok(())
        })
    }

    fn close_session(
        &self,
        id: &str,
        now: f64,
        idle_timeout: f64,
        event: Option<&AuditEvent>,
    ) -> Result<Option<Session>> {
        let closed = self.end_session(id, now, idle_timeout)?;
        if let (Some(closed), Some(event)) = (&closed, event) {
            self.note(Some(&AuditEvent {
                username: Some(closed.username.clone()),
                ..event.clone()
            }));
        }
        Ok(closed)
    }

    fn revoked_before(&self, username: &str) -> Result<Option<f64>> {
        let key = username.to_lowercase();
        if let Some(db) = self.state_db()? {
            return db.revoked_before(&key);
        }
        self.read(|d| d.state.revoked_before.get(&key).copied())
    }

    fn plaintext_passwords(&self) -> Result<Vec<(String, String)>> {
        self.read(Document::plaintext_passwords)
    }

    fn store_hashes(&self, hashed: &[(String, String, String)]) -> Result<Vec<String>> {
        self.write(|d| {
            let mut stored = Vec::new();
            for (username, plaintext, hash) in hashed {
                let still_plain = matches!(
                    d.user_entry(username).and_then(|e| e.get("password")),
                    Some(Value::Str(p)) if p == plaintext
                );
                if still_plain {
                    d.set_user_field(username, "password", Value::Str(hash.clone()))?;
                    stored.push(username.clone());
                }
            }
            Ok(stored)
        })
    }

    fn preauthorized_emails(&self) -> Result<Option<Vec<String>>> {
        self.read(Document::preauthorized)
    }

    fn add_user(
        &self,
        user: &NewUser,
        consume_preauthorized: bool,
        event: Option<&AuditEvent>,
    ) -> Result<User> {
        let added = self.insert_user(user, consume_preauthorized)?;
        self.note(event);
        Ok(added)
    }

    fn remove_user(&self, username: &str) -> Result<bool> {
        if let Some(db) = self.state_db()? {
            // State first: a crash in between leaves a user logged out, not
            // sessions of a removed user.
            db.remove_user(username)?;
        }
        self.write(|d| Ok(d.remove_user(username)))
    }

    fn update_user(
        &self,
        username: &str,
        update: &UserUpdate,
        event: Option<&AuditEvent>,
    ) -> Result<()> {
        self.change_user(username, update)?;
        self.note(event);
        Ok(())
    }

    fn set_password(
        &self,
        username: &str,
        hash: &str,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<()> {
        self.replace_password(username, hash, now)?;
        self.note(event);
        Ok(())
    }

    fn set_pending_password(&self, username: &str, pending: &PendingPassword) -> Result<()> {
        let key = username.to_lowercase();
        if let Some(db) = self.state_db()? {
            self.require_user(&key)?;
            return db.set_pending_password(&key, pending);
        }
        self.write(|d| {
            if d.user_entry(&key).is_none() {
                return Err(Error::UserNotFound(key.clone()));
            }
            d.state
                .pending_passwords
                .insert(key.clone(), pending.clone());
            d.mark_dirty();
            Ok(())
        })
    }

    fn pending_password(&self, username: &str) -> Result<Option<PendingPassword>> {
        let key = username.to_lowercase();
        if let Some(db) = self.state_db()? {
            return db.pending_password(&key);
        }
        self.read(|d| d.state.pending_passwords.get(&key).cloned())
    }

    fn list_users(&self, offset: usize, limit: usize) -> Result<Vec<User>> {
        self.read(|d| d.users_page(offset, limit))
    }

    fn user_count(&self) -> Result<usize> {
        self.read(Document::user_count)
    }

    fn set_lock(&self, username: &str, until: Option<f64>) -> Result<()> {
        let key = username.to_lowercase();
        if let Some(db) = self.state_db()? {
            self.require_user(&key)?;
            return db.set_lock(&key, until);
        }
        self.write(|d| {
            if d.user_entry(&key).is_none() {
                return Err(Error::UserNotFound(key.clone()));
            }
            match until {
                Some(t) => {
                    let state = d.state.lockouts.entry(key.clone()).or_default();
                    state.locked_until = Some(t);
                }
                None => {
                    d.state.lockouts.remove(&key);
                    d.set_user_field(&key, "failed_login_attempts", Value::Int(0))?;
                }
            }
            d.mark_dirty();
            Ok(())
        })
    }

    fn record_event(&self, event: &AuditEvent) -> Result<()> {
        self.audit.append(event)
    }

    fn recent_events(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        self.audit.recent(limit)
    }
}

impl DocStore {
    /// Path-like description for messages.
    pub fn origin(&self) -> PathBuf {
        self.path()
            .map_or_else(|| PathBuf::from("<dict>"), Path::to_path_buf)
    }
}
