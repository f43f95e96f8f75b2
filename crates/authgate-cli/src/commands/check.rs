//! `authgate check`: is this store usable, and what should be fixed?
//!
//! A `config.yaml` is parsed and checked against the streamlit-authenticator
//! schema (errors name the line); a database is opened, which checks its
//! schema version. Then, for any store, warnings about settings an app
//! relies on. Checking never writes.

use authgate::store::migrate::shared_emails;
use authgate::store::Settings;
use authgate::token::{key_weakness, MIN_KEY_BYTES};
use clap::Args;

use crate::backend::{Backend, Create};
use crate::failure::{CliResult, Failure};
use crate::output::{count, outln, Out};

/// Check a config.yaml or a database.
///
/// A config.yaml is checked for YAML syntax (errors name the line) and the
/// streamlit-authenticator schema; a database for its schema version. Then,
/// for any store, warnings: a missing, default or short cookie key, a
/// missing cookie name, plaintext passwords, users sharing an email. Checking
/// never writes.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The store to check: a config.yaml path, sqlite:///path.db or
    /// postgresql://user:password@host/dbname.
    #[arg(value_name = "URL_OR_PATH")]
    config: Option<String>,
    /// The store to check, as every other command takes it.
    #[arg(
        long,
        value_name = "URL_OR_PATH",
        env = "AUTHGATE_STORE",
        hide_env_values = true
    )]
    store: Option<String>,
}

/// Checks the store and prints `OK` and the warnings; exit 1 for an invalid
/// store or a cookie key apps refuse (empty, published, under 32 bytes), 3
/// for one that cannot be read.
pub fn run(args: CheckArgs) -> CliResult {
    let Some(source) = args.config.or(args.store) else {
        return Err(Failure::invalid(
            "no store to check: pass a config.yaml path, sqlite:///path.db or \
             postgresql://… (or --store, or set AUTHGATE_STORE)",
        ));
    };
    let backend = Backend::open(&source, Create::No)?;
    let store = backend.store();
    let users = store.user_count()?;
    let plaintext = store.plaintext_passwords()?.len();
    let settings = store.settings()?;

    let mut out = Out::new();
    let users = count(users, "user", "users");
    match backend.schema_version() {
        Some(version) => outln!(
            out,
            "{}: OK, schema version {version}, {users}",
            backend.name()
        )?,
        None => outln!(out, "{}: OK, {users}", backend.name())?,
    }
    for warning in warnings(&backend, &settings, plaintext)? {
        outln!(out, "warning: {warning}")?;
    }
    if let Some(weakness) = settings.cookie_key.as_deref().and_then(key_weakness) {
        let name = if matches!(backend, Backend::Yaml(_)) {
            "cookie.key"
        } else {
            "the cookie_key setting"
        };
        return Err(Failure::invalid(format!(
            "{name}: {weakness}. Apps refuse it. Replace it with a random key of at least \
             {MIN_KEY_BYTES} bytes, e.g. the output of: python -c \"import secrets; \
             print(secrets.token_urlsafe(32))\", or remove it and authgate generates one"
        )));
    }
    Ok(())
}

/// The store's files (a config.yaml and the files authgate keeps beside it,
/// or a SQLite database) that group or others may read.
fn readable_by_others(backend: &Backend) -> Vec<String> {
    let files: Vec<std::path::PathBuf> = match backend {
        Backend::Yaml(store) => store
            .path()
            .map(|config| {
                ["", ".state.db", ".audit.jsonl"]
                    .iter()
                    .map(|suffix| {
                        let mut name = config.as_os_str().to_owned();
                        name.push(suffix);
                        std::path::PathBuf::from(name)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Backend::Sqlite(store) => vec![store.path().to_path_buf()],
        Backend::Postgres(_) => Vec::new(),
    };
    files
        .into_iter()
        .filter(|path| open_to_others(path))
        .map(|path| path.display().to_string())
        .collect()
}

#[cfg(unix)]
fn open_to_others(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn open_to_others(_: &std::path::Path) -> bool {
    false
}

/// What an operator should look at, worst first.
fn warnings(backend: &Backend, settings: &Settings, plaintext: usize) -> CliResult<Vec<String>> {
    let in_file = matches!(backend, Backend::Yaml(_));
    let name = |file_key: &'static str, setting: &'static str| {
        if in_file {
            file_key.to_string()
        } else {
            format!("the {setting} setting")
        }
    };
    let cookie_key = name("cookie.key", "cookie_key");
    let mut warnings = Vec::new();
    if plaintext > 0 {
        warnings.push(format!(
            "{}; they are hashed when an app first opens the {}",
            count(plaintext, "plaintext password", "plaintext passwords"),
            if in_file { "file" } else { "store" }
        ));
    }
    if settings.cookie_key.is_none() {
        warnings.push(format!(
            "{cookie_key} is missing; apps use the key they pass, or one authgate \
             generates and keeps in the store's state"
        ));
    }
    if settings.cookie_name.is_none() {
        warnings.push(format!("{} is missing", name("cookie.name", "cookie_name")));
    }
    for file in readable_by_others(backend) {
        warnings.push(format!(
            "{file} can be read by other users of this machine; it holds password hashes \
             or sessions: chmod 600 it"
        ));
    }
    if let Backend::Yaml(store) = backend {
        for (first, second) in store.read(shared_emails)? {
            warnings.push(format!(
                "users '{first}' and '{second}' share an email; a database keeps emails \
                 unique, so `authgate migrate` to SQLite or PostgreSQL refuses this file \
                 until one is changed"
            ));
        }
    }
    Ok(warnings)
}
