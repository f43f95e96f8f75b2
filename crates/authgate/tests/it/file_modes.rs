//! Files authgate creates hold bcrypt hashes, session ids and perhaps the
//! cookie key: they are created private (issue #11 item 10), whatever the
//! umask lets through.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
use authgate::store::{DocStore, OpenOptions, SqliteStore, Store};
use authgate::token::TokenKey;

const KEY: &str = "a-cookie-key-of-32-bytes-or-more-0123456789";

fn lenient_umask() {
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe {
        libc::umask(0o022);
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn config(dir: &Path, mode_bits: u32) -> std::path::PathBuf {
    let hash = authgate::password::hash_with_cost("abc", 4).unwrap();
    let path = dir.join("config.yaml");
    std::fs::write(
        &path,
        format!("credentials:\n  usernames:\n    jsmith:\n      email: j@x.io\n      password: '{hash}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode_bits)).unwrap();
    path
}

/// A failed and a good login: the state database, its WAL files, the audit
/// log and the lock sidecar all come into being (the WAL files while the
/// returned store is open).
fn use_store(path: &Path) -> Arc<dyn Store> {
    let store: Arc<dyn Store> =
        Arc::new(DocStore::open_file(path, OpenOptions::default()).unwrap());
    let auth = Authenticator::new(
        store.clone(),
        AuthConfig::new(TokenKey::new(KEY), 30.0).unwrap(),
    );
    let attempt = |password| LoginRequest {
        username: "jsmith",
        password,
        max_login_attempts: Some(5),
        ..Default::default()
    };
    assert!(auth.login(&attempt("wrong")).is_err());
    let login = auth.login(&attempt("abc")).unwrap();
    store
        .set_password("jsmith", &login.user.password_hash.unwrap(), 1.0, None)
        .unwrap();
    store
}

fn siblings(config: &Path) -> Vec<String> {
    [
        ".state.db",
        ".state.db-wal",
        ".state.db-shm",
        ".audit.jsonl",
        ".lock",
    ]
    .iter()
    .map(|s| format!("{}{s}", config.display()))
    .collect()
}

#[test]
fn files_beside_a_0600_config_are_0600() {
    lenient_umask();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), 0o600);
    let _open = use_store(&path);
    for file in siblings(&path) {
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
}

#[test]
fn files_beside_a_0640_config_take_its_mode() {
    lenient_umask();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), 0o640);
    let _open = use_store(&path);
    for file in siblings(&path) {
        assert_eq!(mode(Path::new(&file)), 0o640, "{file}");
    }
}

#[test]
fn a_new_sqlite_store_is_0600() {
    lenient_umask();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("auth.db");
    let store = SqliteStore::open(&db).unwrap();
    store
        .set_setting("cookie_name", Some(&authgate::yaml::Value::Str("c".into())))
        .unwrap();
    for file in ["auth.db", "auth.db-wal", "auth.db-shm"] {
        assert_eq!(mode(&dir.path().join(file)), 0o600, "{file}");
    }
}

#[test]
fn a_file_that_exists_keeps_its_mode() {
    lenient_umask();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), 0o600);
    let audit = format!("{}.audit.jsonl", path.display());
    std::fs::write(&audit, "").unwrap();
    std::fs::set_permissions(&audit, std::fs::Permissions::from_mode(0o644)).unwrap();
    use_store(&path);
    assert_eq!(
        mode(Path::new(&audit)),
        0o644,
        "the operator's choice stands"
    );
}
