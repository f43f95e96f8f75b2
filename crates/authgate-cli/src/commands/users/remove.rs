//! `authgate users remove`: delete an account and its sessions.

use clap::Args;

use super::{key, record};
use crate::commands::StoreArg;
use crate::failure::{CliResult, Failure};
use crate::output::{outln, Out};

/// Remove a user, with their sessions, lock and pending password.
///
/// Their revocations stay, so a new account of the same name never revives
/// old cookies.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username (case-insensitive).
    name: String,
}

/// Removes the user; refuses one that does not exist.
pub fn run(args: RemoveArgs) -> CliResult {
    let username = key(&args.name);
    let backend = args.store.open()?;
    let store = backend.store();
    if !store.remove_user(&username)? {
        return Err(Failure::invalid(format!("user '{username}' not found")));
    }
    record(store, "user_removed", &username);
    let mut out = Out::new();
    outln!(out, "removed user '{username}' from {}", backend.name())
}
