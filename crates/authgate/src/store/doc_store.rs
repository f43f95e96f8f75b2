//! [`Store`] over a config document, in a file or in memory.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use std::collections::HashMap;

use super::audit::AuditLog;
use super::dict_state::UserState;
use super::document::{roles_value, Document, Layout};
use super::file::{Fingerprint, SharedFile};
use super::sqlite::SqliteStore;
use super::{
    AuditEvent, FailureEvent, NewUser, OpenOptions, PasskeyChange, PendingPassword, SecondFactors,
    SessionLimits, Settings, Store, StoredPasskey, StoredTotp, UserUpdate,
};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::lockout::{LockState, LockoutPolicy};
use crate::mail::SmtpSettings;
use crate::password::is_hash;
use crate::session::Session;
use crate::throttle::{ThrottleKey, ThrottlePolicy};
use crate::user::{User, UserKey};
use crate::yaml::{self, Value};

/// Why dict mode refuses passkeys (and the widgets, authenticator apps).
pub(crate) const DICT_KEEPS_NO_PASSKEYS: &str = "Passkeys need a config file or a database \
    store: dict mode keeps no second factors";

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
    /// Where the state database is (file mode), and how long to wait for
    /// it; `None` in dict mode, whose state database is in memory.
    state_path: Option<(PathBuf, OpenOptions)>,
    /// The state database, opened on first use (file mode) or with the
    /// store (dict mode).
    state_db: OnceLock<Box<SqliteStore>>,
    /// Dict mode's bookkeeping; `None` for a file.
    dict: Option<Box<DictSync>>,
    /// Held while the state database is being opened: threads that open it
    /// at once would race to create its schema.
    state_opening: Mutex<()>,
}

/// What a dict-mode store keeps besides its state database.
struct DictSync {
    /// Per user, the version of the state the caller's dict was last given
    /// (see [`super::dict_state`]).
    versions: Mutex<HashMap<String, u64>>,
    /// Hashes made for plaintext passwords, by username, with a keyed
    /// digest of the plaintext they were made from. The app's dict still
    /// holds the plaintext until it saves what it is given back; a new dict
    /// with the same plaintext gets the hash again instead of a second round
    /// of hashing.
    hashes: Mutex<HashMap<String, ([u8; 32], String)>>,
    /// Key of the digests in `hashes`, random per store.
    hash_key: [u8; 32],
    /// Users whose last live session was closed while idle ones remain:
    /// 0.4.2's `logged_in: false`, as the SQL stores' users table keeps it.
    logged_out: Mutex<std::collections::HashSet<String>>,
}

impl std::fmt::Debug for DictSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DictSync").finish_non_exhaustive()
    }
}

impl DictSync {
    /// A keyed digest of a plaintext password, to recognise it in a later
    /// dict without keeping it.
    fn plaintext_digest(&self, plaintext: &str) -> [u8; 32] {
        use sha2::Digest;
        // A fixed-length secret prefix: only equality is ever asked of it.
        sha2::Sha256::new()
            .chain_update(self.hash_key)
            .chain_update(plaintext.as_bytes())
            .finalize()
            .into()
    }
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
            dict: None,
        };
        store.absorb_state()?;
        Ok(store)
    }

    /// The state database: beside the file, or in memory in dict mode.
    fn state_db(&self) -> Result<&SqliteStore> {
        if let Some(db) = self.state_db.get() {
            return Ok(db);
        }
        let _opening = self
            .state_opening
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = self.state_db.get() {
            return Ok(db);
        }
        let db = match &self.state_path {
            Some((path, options)) => SqliteStore::open_state(path, *options)?,
            None => SqliteStore::open_state_in_memory()?,
        };
        Ok(self.state_db.get_or_init(|| Box::new(db)))
    }

    /// Whether this is a dict-mode store.
    fn is_dict(&self) -> bool {
        self.dict.is_some()
    }

    /// Dict mode's bookkeeping.
    fn dict(&self) -> Result<&DictSync> {
        self.dict
            .as_deref()
            .ok_or_else(|| Error::InvalidInput("not a dict-mode store".into()))
    }

    /// Moves state kept in the file (under the `authgate` key) into the
    /// state database, and drops it from the file.
    fn absorb_state(&self) -> Result<()> {
        if self.read(|d| d.state.is_empty())? {
            return Ok(());
        }
        let db = self.state_db()?;
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
        self.state_db()?.export_state()
    }

    /// The document with its state, as `authgate migrate` copies it.
    pub fn export_document(&self) -> Result<Document> {
        let mut doc = self.read(Document::clone)?;
        doc.state = self.state()?;
        Ok(doc)
    }

    /// A store over dict-mode credentials (`{'usernames': {...}}`), kept in
    /// memory; the state the users' entries carry (see
    /// [`super::dict_state`]) is taken into its state database.
    pub fn in_memory(credentials: Value) -> Result<Self> {
        let hash_key = crate::secret::random_bytes::<32>()?;
        let store = DocStore {
            file: None,
            loaded: RwLock::new(Loaded {
                doc: Document::from_value(
                    Value::Map(crate::yaml::Map::new()),
                    Layout::Credentials,
                    Path::new("<dict>"),
                )?,
                fingerprint: None,
                digest: None,
            }),
            writer: Mutex::new(()),
            audit: AuditLog::in_memory(),
            loads: 1.into(),
            state_path: None,
            state_db: OnceLock::new(),
            state_opening: Mutex::new(()),
            dict: Some(Box::new(DictSync {
                versions: Mutex::default(),
                hashes: Mutex::default(),
                hash_key,
                logged_out: Mutex::default(),
            })),
        };
        store.state_db()?;
        store.replace_credentials(credentials)?;
        Ok(store)
    }

    /// Takes the caller's dict as the users of a dict-mode store, and the
    /// state its entries carry where it is newer than the store's or was
    /// edited (see [`super::dict_state`]); the state of users no longer in
    /// the dict is dropped. Dict-mode apps build a new dict on every rerun,
    /// and sessions outlive it.
    ///
    /// Returns the users whose entry in the caller's dict is out of date: a
    /// plaintext password the store has already hashed, or state the store
    /// kept over a stale copy. The caller copies their [`Store::user_record`]
    /// back.
    pub fn replace_credentials(&self, credentials: Value) -> Result<Vec<String>> {
        let mut doc = Document::from_value(credentials, Layout::Credentials, Path::new("<dict>"))?;
        let mut stale = self.use_known_hashes(&mut doc)?;
        let _w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        stale.extend(self.take_dict_state(&doc)?);
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        loaded.doc = doc;
        stale.sort_unstable();
        stale.dedup();
        Ok(stale)
    }

    /// Puts the hashes this store made into a new dict whose entries still
    /// hold the plaintext they were made from.
    fn use_known_hashes(&self, doc: &mut Document) -> Result<Vec<String>> {
        let dict = self.dict()?;
        let known = dict.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let mut replaced = Vec::new();
        for (username, plaintext) in doc.plaintext_passwords() {
            if let Some((digest, hash)) = known.get(&username) {
                if *digest == dict.plaintext_digest(&plaintext) {
                    doc.set_user_field(&username, "password", Value::Str(hash.clone()))?;
                    replaced.push(username);
                }
            }
        }
        doc.take_dirty();
        Ok(replaced)
    }

    /// [`DocStore::replace_credentials`]'s state step.
    fn take_dict_state(&self, doc: &Document) -> Result<Vec<String>> {
        let db = self.state_db()?;
        let mut state = db.export_state()?;
        let now = SystemClock.now();
        let mut versions = self
            .dict()?
            .versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut stale = Vec::new();
        let mut gone: Vec<String> = versions
            .keys()
            .chain(state.lockouts.keys())
            .chain(state.pending_passwords.keys())
            .chain(state.sessions.values().map(|s| &s.username))
            .chain(state.second_factors.keys())
            .filter(|u| doc.user_entry(u).is_none())
            .cloned()
            .collect();
        gone.sort_unstable();
        gone.dedup();
        for username in gone {
            db.remove_user(&username)?;
            versions.remove(&username);
        }
        // Each user's sessions, gathered once rather than scanned per user.
        let mut sessions: HashMap<String, Vec<Session>> = HashMap::new();
        for session in std::mem::take(&mut state.sessions).into_values() {
            sessions
                .entry(session.username.clone())
                .or_default()
                .push(session);
        }
        for username in doc.usernames() {
            let Some(entry) = doc.user_entry(username) else {
                continue;
            };
            let theirs = UserState::from_entry(entry);
            let known = versions.get(username).copied().unwrap_or(0);
            let ours = UserState::held(
                state.lockouts.get(username).cloned().unwrap_or_default(),
                state.pending_passwords.get(username).cloned(),
                state.revoked_before.get(username).copied(),
                sessions.remove(username).unwrap_or_default(),
                self.is_logged_out(username),
                known,
            );
            if theirs.version < known {
                if theirs.differs_from(&ours) {
                    stale.push(username.to_string());
                }
                continue;
            }
            if theirs.version > known || theirs.differs_from(&ours) {
                db.set_user_state(username, &theirs, now)?;
                self.set_logged_out(username, false);
                versions.insert(username.to_string(), theirs.version);
            }
        }
        Ok(stale)
    }

    /// Dict mode: the user's state as the caller's dict should carry it.
    fn dict_user_state(&self, username: &str) -> Result<UserState> {
        let key = UserKey::new(username);
        let db = self.state_db()?;
        let version = self
            .dict()?
            .versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key.as_str())
            .copied()
            .unwrap_or(0);
        Ok(UserState::held(
            db.lock_state(&key)?,
            db.pending_password(&key)?,
            db.revoked_before(&key)?,
            db.sessions_of(&key)?,
            self.is_logged_out(&key),
            version,
        ))
    }

    /// Dict mode: the store changed `username`'s state.
    fn state_changed(&self, username: &str) {
        if let Some(dict) = &self.dict {
            *dict
                .versions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(UserKey::new(username).into_string())
                .or_insert(0) += 1;
        }
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
        let key = UserKey::new(username);
        if !self.has_user(&key)? {
            return Ok(LockState::default());
        }
        let state = self.state_db()?.record_failure(&key, policy, now, None)?;
        self.state_changed(&key);
        Ok(state)
    }

    fn start_session(&self, session: &Session, limits: &SessionLimits, now: f64) -> Result<()> {
        self.require_user(&session.username)?;
        self.state_db()?.open_session(session, limits, now, None)?;
        self.set_logged_out(&session.username, false);
        self.state_changed(&session.username);
        Ok(())
    }

    fn end_session(&self, id: &str, now: f64, idle_timeout: f64) -> Result<Option<Session>> {
        let db = self.state_db()?;
        let closed = db.close_session(id, now, idle_timeout, None)?;
        if let Some(closed) = &closed {
            if self.is_dict() {
                let still_live = db
                    .sessions_of(&closed.username)?
                    .iter()
                    .any(|s| s.is_live(now, idle_timeout));
                self.set_logged_out(&closed.username, !still_live);
            }
            self.state_changed(&closed.username);
        }
        Ok(closed)
    }

    /// Dict mode: records whether the user counts as logged out although
    /// sessions of theirs remain.
    fn set_logged_out(&self, username: &str, out: bool) {
        if let Some(dict) = &self.dict {
            let key = UserKey::new(username);
            let mut set = dict
                .logged_out
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if out {
                set.insert(key.into_string());
            } else {
                set.remove(key.as_str());
            }
        }
    }

    /// Dict mode: whether the user counts as logged out (see
    /// [`DocStore::set_logged_out`]).
    fn is_logged_out(&self, username: &str) -> bool {
        self.dict.as_ref().is_some_and(|dict| {
            dict.logged_out
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(UserKey::new(username).as_str())
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
            // Factors of an earlier user of this name, removed by an edit
            // of the file, must not guard (or lock out) the new one.
            self.state_db()?
                .remove_second_factors(&UserKey::new(&user.username), None)?;
            d.add_user(user)?;
            d.user(&user.username)
                .ok_or_else(|| Error::UserNotFound(UserKey::new(&user.username).into_string()))
        })
    }

    fn change_user(&self, username: &str, update: &UserUpdate) -> Result<()> {
        self.write(|d| {
            if d.user_entry(username).is_none() {
                return Err(Error::UserNotFound(UserKey::new(username).into_string()));
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
                UserUpdate::EmailVerified => {
                    return d.update_user_entry(username, |entry| {
                        entry.remove(super::document::EMAIL_VERIFIED);
                    });
                }
            };
            d.set_user_field(username, field, value)
        })
    }

    fn replace_password(&self, username: &str, hash: &str, now: f64) -> Result<()> {
        let key = UserKey::new(username);
        self.require_user(&key)?;
        // Sessions end before the password changes: a crash in between
        // logs the user out rather than keeping old cookies alive.
        self.state_db()?.set_password(&key, hash, now, None)?;
        self.state_changed(&key);
        self.write(|d| {
            if d.user_entry(&key).is_none() {
                return Err(Error::UserNotFound(key.to_string()));
            }
            d.set_user_field(&key, "password", Value::Str(hash.to_string()))
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

    /// In dict mode the entry carries the user's state too (see
    /// [`super::dict_state`]), as the caller's dict must keep it.
    fn user_record(&self, username: &str) -> Result<Option<Value>> {
        let Some(mut entry) = self.read(|d| d.user_entry(username).cloned())? else {
            return Ok(None);
        };
        if self.is_dict() {
            self.dict_user_state(username)?.write_into(&mut entry);
        }
        Ok(Some(Value::Map(entry)))
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

    /// The file's `smtp:` section (an empty one is none); none in dict
    /// mode, whose app passes `Authenticate(smtp=…)`.
    fn smtp_settings(&self) -> Result<Option<SmtpSettings>> {
        if self.is_dict() {
            return Ok(None);
        }
        self.read(|d| {
            d.setting("smtp")
                .filter(|v| !v.is_null())
                .cloned()
                .map(SmtpSettings::stored)
        })
    }

    /// Refused: a `config.yaml` is the operator's to edit; the store
    /// changes only its users and pre-authorized list.
    fn set_smtp_settings(
        &self,
        _settings: Option<&SmtpSettings>,
        _event: Option<&AuditEvent>,
    ) -> Result<bool> {
        Err(Error::InvalidInput(match self.path() {
            Some(path) => format!(
                "{} keeps its SMTP settings in its smtp: section: edit the file to change \
                 them (host, port, security, username, password, from, reply_to, ca_file, \
                 timeout)",
                path.display()
            ),
            None => "dict mode keeps no SMTP settings: pass Authenticate(smtp=...) or set \
                     AUTHGATE_SMTP_URL"
                .to_string(),
        }))
    }

    fn lock_state(&self, username: &str) -> Result<LockState> {
        self.state_db()?.lock_state(&UserKey::new(username))
    }

    /// The user from the document, the rest from the state database in
    /// one round trip.
    fn login_state(&self, username: &str) -> Result<Option<super::LoginState>> {
        let user = self.user(username)?;
        self.state_db()?
            .login_state_of(&UserKey::new(username), user)
    }

    fn throttled_login_state(
        &self,
        username: &str,
        keys: &[ThrottleKey],
        policy: &ThrottlePolicy,
        now: f64,
    ) -> Result<super::Throttled<Option<super::LoginState>>> {
        let user = self.user(username)?;
        self.state_db()?
            .throttled_login_state_of(&UserKey::new(username), user, keys, policy, now)
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

    fn bind_guest(&self, username: &str, issuer: &str, subject: &str) -> Result<(String, String)> {
        self.state_db()?.bind_guest(username, issuer, subject)
    }

    /// Kept in the state database beside the file, never in the YAML,
    /// which is often committed to version control.
    fn generated_cookie_key(&self) -> Result<String> {
        self.state_db()?.generated_cookie_key()
    }

    fn consume_legacy_token(&self, digest: &str, username: &str, now: f64) -> Result<bool> {
        self.state_db()?.consume_legacy_token(digest, username, now)
    }

    /// The state database's first migration: when authgate first opened
    /// this file (in dict mode, when this process first saw the app).
    fn legacy_cutoff(&self) -> Result<Option<f64>> {
        self.state_db()?.legacy_cutoff()
    }

    fn reserve_attempt(
        &self,
        username: &str,
        policy: &LockoutPolicy,
        now: f64,
    ) -> Result<Option<LockState>> {
        let key = UserKey::new(username);
        if !self.has_user(&key)? {
            return Ok(None);
        }
        let reserved = self.state_db()?.reserve_attempt(&key, policy, now)?;
        self.state_changed(&key);
        Ok(reserved)
    }

    /// Kept in the state database only: counters live minutes, and in dict
    /// mode the app's dict need not carry them.
    fn throttle_attempt(
        &self,
        keys: &[ThrottleKey],
        policy: &ThrottlePolicy,
        now: f64,
    ) -> Result<Option<f64>> {
        self.state_db()?.throttle_attempt(keys, policy, now)
    }

    fn throttle_success(
        &self,
        keys: &[ThrottleKey],
        policy: &ThrottlePolicy,
        now: f64,
    ) -> Result<()> {
        self.state_db()?.throttle_success(keys, policy, now)
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
        self.state_db()?.session(id)
    }

    fn touch_session(&self, id: &str, now: f64) -> Result<()> {
        self.state_db()?.touch_session(id, now)
    }

    fn label_session(&self, id: &str, user_agent: &str) -> Result<()> {
        self.state_db()?.label_session(id, user_agent)
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
        self.state_db()?.revoked_before(&UserKey::new(username))
    }

    fn plaintext_passwords(&self) -> Result<Vec<(String, String)>> {
        self.read(Document::plaintext_passwords)
    }

    fn store_hashes(&self, hashed: &[(String, String, String)]) -> Result<Vec<String>> {
        let changed = self.write(|d| {
            let mut changed = Vec::new();
            for (username, old, hash) in hashed {
                let still_old = matches!(
                    d.user_entry(username).and_then(|e| e.get("password")),
                    Some(Value::Str(p)) if p == old
                );
                if still_old {
                    d.set_user_field(username, "password", Value::Str(hash.clone()))?;
                    changed.push((
                        UserKey::new(username).into_string(),
                        old.clone(),
                        hash.clone(),
                    ));
                }
            }
            Ok(changed)
        })?;
        if let Some(dict) = &self.dict {
            let mut known = dict.hashes.lock().unwrap_or_else(PoisonError::into_inner);
            for (username, old, hash) in changed.iter().filter(|(_, old, _)| !is_hash(old)) {
                known.insert(username.clone(), (dict.plaintext_digest(old), hash.clone()));
            }
        }
        self.state_db()?.rebind_sessions(&changed)?;
        Ok(changed
            .into_iter()
            .map(|(username, _, _)| username)
            .collect())
    }

    fn preauthorized_emails(&self) -> Result<Option<Vec<String>>> {
        self.read(Document::preauthorized)
    }

    /// Refused in dict mode: the app keeps its pre-authorized list itself
    /// and passes it to `register_user`.
    fn edit_preauthorized(
        &self,
        add: &[String],
        remove: &[String],
        event: Option<&AuditEvent>,
    ) -> Result<Vec<String>> {
        if self.is_dict() {
            return Err(Error::InvalidInput(
                "In dict mode the app keeps its pre-authorized list and passes it to \
                 register_user(pre_authorized=...): edit that list"
                    .into(),
            ));
        }
        let emails = self.write(|d| Ok(d.edit_preauthorized(add, remove)))?;
        self.note(event);
        Ok(emails)
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
        // State first: a crash in between leaves a user logged out, not
        // sessions of a removed user.
        self.state_db()?.remove_user(username)?;
        self.state_changed(username);
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
        let key = UserKey::new(username);
        self.require_user(&key)?;
        self.state_db()?.set_pending_password(&key, pending)?;
        self.state_changed(&key);
        Ok(())
    }

    fn pending_password(&self, username: &str) -> Result<Option<PendingPassword>> {
        self.state_db()?.pending_password(&UserKey::new(username))
    }

    fn sessions_of(&self, username: &str) -> Result<Vec<Session>> {
        self.state_db()?.sessions_of(&UserKey::new(username))
    }

    fn withdraw_pending_password(&self, username: &str, hash: &str) -> Result<bool> {
        let key = UserKey::new(username);
        let withdrawn = self.state_db()?.withdraw_pending_password(&key, hash)?;
        if withdrawn {
            self.state_changed(&key);
        }
        Ok(withdrawn)
    }

    fn list_users(&self, offset: usize, limit: usize) -> Result<Vec<User>> {
        self.read(|d| d.users_page(offset, limit))
    }

    fn user_count(&self) -> Result<usize> {
        self.read(Document::user_count)
    }

    fn set_lock(&self, username: &str, until: Option<f64>) -> Result<()> {
        let key = UserKey::new(username);
        self.require_user(&key)?;
        self.state_db()?.set_lock(&key, until)?;
        self.state_changed(&key);
        Ok(())
    }

    fn clear_failures(&self, username: &str) -> Result<()> {
        let key = UserKey::new(username);
        self.state_db()?.clear_failures(&key)?;
        self.state_changed(&key);
        Ok(())
    }

    /// Kept in the state database, never in the YAML the app reloads.
    fn second_factors(&self, username: &str) -> Result<SecondFactors> {
        self.state_db()?.second_factors(&UserKey::new(username))
    }

    fn enable_totp(
        &self,
        username: &str,
        totp: &StoredTotp,
        recovery_codes: &[String],
        event: Option<&AuditEvent>,
    ) -> Result<bool> {
        let key = UserKey::new(username);
        self.require_user(&key)?;
        let enabled = self
            .state_db()?
            .enable_totp(&key, totp, recovery_codes, None)?;
        if enabled {
            self.note(event);
        }
        Ok(enabled)
    }

    fn use_totp_step(&self, username: &str, secret: &str, step: i64) -> Result<bool> {
        let key = UserKey::new(username);
        if !self.has_user(&key)? {
            return Ok(false);
        }
        self.state_db()?.use_totp_step(&key, secret, step)
    }

    fn consume_recovery_code(
        &self,
        username: &str,
        digest: &str,
        now: f64,
        event: Option<&AuditEvent>,
    ) -> Result<bool> {
        let key = UserKey::new(username);
        if !self.has_user(&key)? {
            return Ok(false);
        }
        let used = self
            .state_db()?
            .consume_recovery_code(&key, digest, now, None)?;
        if used {
            self.note(event);
        }
        Ok(used)
    }

    fn replace_recovery_codes(
        &self,
        username: &str,
        digests: &[String],
        event: Option<&AuditEvent>,
    ) -> Result<bool> {
        let key = UserKey::new(username);
        self.require_user(&key)?;
        let replaced = self
            .state_db()?
            .replace_recovery_codes(&key, digests, None)?;
        if replaced {
            self.note(event);
        }
        Ok(replaced)
    }

    fn remove_second_factors(&self, username: &str, event: Option<&AuditEvent>) -> Result<bool> {
        let removed = self
            .state_db()?
            .remove_second_factors(&UserKey::new(username), None)?;
        if removed {
            self.note(event);
        }
        Ok(removed)
    }

    fn remove_totp(&self, username: &str, event: Option<&AuditEvent>) -> Result<bool> {
        let removed = self
            .state_db()?
            .remove_totp(&UserKey::new(username), None)?;
        if removed {
            self.note(event);
        }
        Ok(removed)
    }

    /// Dict mode keeps its state in this process's memory for the app's
    /// dict: a passkey a restart forgets would silently let the password
    /// alone in again.
    fn keeps_second_factors(&self) -> bool {
        !self.is_dict()
    }

    fn any_passkeys(&self) -> Result<bool> {
        self.state_db()?.any_passkeys()
    }

    /// The state database's: passkeys change there.
    fn passkey_presence(&self) -> Option<&super::PasskeyPresence> {
        self.state_db().ok()?.passkey_presence()
    }

    /// Passkeys of users an edit of the file removed do not count.
    fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<(String, StoredPasskey)>> {
        match self.state_db()?.passkey_by_credential(credential_id)? {
            Some((owner, passkey)) if self.has_user(&owner)? => Ok(Some((owner, passkey))),
            _ => Ok(None),
        }
    }

    fn add_passkey(
        &self,
        username: &str,
        passkey: &StoredPasskey,
        limit: usize,
        event: Option<&AuditEvent>,
    ) -> Result<PasskeyChange> {
        if !self.keeps_second_factors() {
            return Err(Error::InvalidInput(DICT_KEEPS_NO_PASSKEYS.to_string()));
        }
        let key = UserKey::new(username);
        self.require_user(&key)?;
        let change = self.state_db()?.add_passkey(&key, passkey, limit, None)?;
        if change == PasskeyChange::Done {
            self.note(event);
        }
        Ok(change)
    }

    fn use_passkey(
        &self,
        username: &str,
        credential_id: &str,
        counter: u32,
        passkey: &str,
        now: f64,
    ) -> Result<bool> {
        let key = UserKey::new(username);
        if !self.has_user(&key)? {
            return Ok(false);
        }
        self.state_db()?
            .use_passkey(&key, credential_id, counter, passkey, now)
    }

    fn rename_passkey(
        &self,
        username: &str,
        credential_id: &str,
        name: &str,
        event: Option<&AuditEvent>,
    ) -> Result<PasskeyChange> {
        let key = UserKey::new(username);
        if !self.has_user(&key)? {
            return Ok(PasskeyChange::NotFound);
        }
        let change = self
            .state_db()?
            .rename_passkey(&key, credential_id, name, None)?;
        if change == PasskeyChange::Done {
            self.note(event);
        }
        Ok(change)
    }

    fn remove_passkey(
        &self,
        username: &str,
        credential_id: &str,
        event: Option<&AuditEvent>,
    ) -> Result<bool> {
        let removed =
            self.state_db()?
                .remove_passkey(&UserKey::new(username), credential_id, None)?;
        if removed {
            self.note(event);
        }
        Ok(removed)
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
