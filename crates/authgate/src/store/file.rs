//! The config file on disk: change detection, the cross-process lock and the
//! atomic replace.
//!
//! Writers lock a sidecar file (`config.yaml.lock`), never the config itself:
//! the config is replaced by a rename, and a lock held on the old inode would
//! not exclude a writer that opened the new one.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The mode of a file authgate creates that holds secrets (hashes, session
/// ids, the cookie key): `0600`, or, beside a config file, that file's own
/// mode without execute bits — never more open than the config.
#[cfg(unix)]
pub fn private_mode(like: Option<&Path>) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    like.and_then(|p| fs::metadata(p).ok())
        .map_or(0o600, |m| m.permissions().mode() & 0o666)
}

/// Options that create a file with [`private_mode`] (the umask still
/// applies; it only ever removes bits). A file that exists keeps its mode:
/// an operator may have chosen it.
pub fn private_options(like: Option<&Path>) -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(private_mode(like));
    }
    #[cfg(not(unix))]
    let _ = like;
    options
}

/// Creates `path` empty with [`private_mode`] unless it exists, so that a
/// program creating it later (SQLite, and after it its `-wal` and `-shm`
/// files, which take the database's mode) finds it private.
pub fn create_private(path: &Path, like: Option<&Path>) -> Result<()> {
    match private_options(like)
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Ending of the temporary file a replace writes.
const TEMP_SUFFIX: &str = ".tmp";

/// Random characters in a temporary file's name.
const TEMP_RAND_LEN: usize = 6;

/// What identifies one version of the file: if any part changes, re-read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    len: u64,
    modified_ns: i128,
    inode: u64,
}

/// A YAML file shared between processes.
#[derive(Debug, Clone)]
pub struct SharedFile {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
}

/// Holds the cross-process lock until dropped.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock too; unlocking first makes it prompt.
        let _ = self.file.unlock();
    }
}

impl SharedFile {
    /// Default time a writer waits for another process's lock.
    pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

    /// The file at `path`, locked through `<path>.lock`.
    pub fn new(path: &Path, lock_timeout: Duration) -> Self {
        let mut lock_name = path.as_os_str().to_owned();
        lock_name.push(".lock");
        SharedFile {
            path: path.to_path_buf(),
            lock_path: PathBuf::from(lock_name),
            lock_timeout,
        }
    }

    /// The config file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current fingerprint, or `ConfigNotFound`.
    pub fn fingerprint(&self) -> Result<Fingerprint> {
        let meta = fs::metadata(&self.path).map_err(|e| self.not_found_or_io(e))?;
        Ok(fingerprint_of(&meta))
    }

    /// Reads the whole file as UTF-8, with the fingerprint of what was read.
    pub fn read(&self) -> Result<(String, Fingerprint)> {
        let mut file = File::open(&self.path).map_err(|e| self.not_found_or_io(e))?;
        let meta = file.metadata().map_err(|e| Error::io(&self.path, e))?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|e| Error::io(&self.path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| Error::ConfigSchema {
            path: self.path.clone(),
            message: format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })?;
        Ok((text, fingerprint_of(&meta)))
    }

    /// Takes the cross-process lock, waiting at most the lock timeout.
    pub fn lock(&self) -> Result<LockGuard> {
        let file = private_options(Some(&self.path))
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(|e| Error::io(&self.lock_path, e))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(LockGuard { file }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(Error::io(&self.lock_path, e)),
            }
            if started.elapsed() >= self.lock_timeout {
                return Err(Error::LockTimeout {
                    path: self.lock_path.clone(),
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Replaces the file with `text` atomically: a reader sees the old file or
    /// the new one, never a mix, and a crash leaves one of the two.
    ///
    /// The new text is written to `.authgate-<name>.XXXXXX.tmp` beside the
    /// file and renamed over it. A writer killed before the rename leaves that
    /// file behind; the next replace removes it, so at most one is ever left.
    ///
    /// Call with the lock held.
    pub fn replace(&self, text: &str) -> Result<Fingerprint> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let io = |e| Error::io(&self.path, e);
        let prefix = self.temp_prefix();
        self.remove_stale_temps(dir, &prefix);
        let mut tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RAND_LEN)
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        if let Ok(meta) = fs::metadata(&self.path) {
            // Keep the owner's chosen permissions (the file holds hashes and the cookie key).
            fs::set_permissions(tmp.path(), meta.permissions()).map_err(io)?;
        }
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        let file = tmp.persist(&self.path).map_err(|e| io(e.error))?;
        let meta = file.metadata().map_err(io)?;
        if let Ok(d) = File::open(dir) {
            // Makes the rename itself durable; not every filesystem supports it.
            let _ = d.sync_all();
        }
        Ok(fingerprint_of(&meta))
    }

    /// `.authgate-<file name>.`: temporary files of this config, and of no other
    /// in the same directory (their random part has no dot).
    fn temp_prefix(&self) -> std::ffi::OsString {
        let mut prefix = std::ffi::OsString::from(".authgate-");
        prefix.push(self.path.file_name().unwrap_or_default());
        prefix.push(".");
        prefix
    }

    /// Removes temporary files that writers of this config killed mid-write
    /// left behind. With the lock held, no live writer of this config has
    /// one. Best effort: a file that cannot be removed is only clutter.
    fn remove_stale_temps(&self, dir: &Path, prefix: &std::ffi::OsStr) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let prefix = prefix.as_encoded_bytes();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let stale = name
                .as_encoded_bytes()
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX.as_bytes()))
                .is_some_and(|random| {
                    random.len() == TEMP_RAND_LEN && random.iter().all(u8::is_ascii_alphanumeric)
                });
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn not_found_or_io(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::ConfigNotFound(self.path.clone())
        } else {
            Error::io(&self.path, e)
        }
    }
}

fn fingerprint_of(meta: &fs::Metadata) -> Fingerprint {
    #[cfg(unix)]
    let (modified_ns, inode) = {
        use std::os::unix::fs::MetadataExt;
        (
            i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            meta.ino(),
        )
    };
    #[cfg(not(unix))]
    let (modified_ns, inode) = (
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128),
        0,
    );
    Fingerprint {
        len: meta.len(),
        modified_ns,
        inode,
    }
}

/// A top-level section of a `config.yaml` (`oauth2`, `smtp`); `None` if the
/// file has none.
///
/// The file is parsed again only when it changed (size, modification time,
/// inode): a logged-out page asks on every rerun.
///
/// # Errors
///
/// [`Error::ConfigNotFound`], [`Error::Io`] or [`Error::YamlSyntax`] if
/// the file cannot be read or parsed.
pub fn config_section(path: &Path, name: &str) -> Result<Option<crate::yaml::Value>> {
    type Cache = std::sync::Mutex<
        std::collections::HashMap<(PathBuf, String), (Fingerprint, Option<crate::yaml::Value>)>,
    >;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (path.to_path_buf(), name.to_owned());
    let file = SharedFile::new(path, Duration::ZERO);
    let fingerprint = file.fingerprint()?;
    let lock = || {
        cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some((seen, section)) = lock().get(&key) {
        if *seen == fingerprint {
            return Ok(section.clone());
        }
    }
    let (text, fingerprint) = file.read()?;
    let section = crate::yaml::parse(&text, path)?
        .as_map()
        .and_then(|doc| doc.get(name))
        .cloned();
    lock().insert(key, (fingerprint, section.clone()));
    Ok(section)
}
