//! `authgate users remove`: delete an account and its sessions.

use clap::Args;

use super::{operator, warn_if_unrecorded};
use crate::commands::StoreArg;
use crate::failure::CliResult;
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
    let backend = args.store.open()?;
    let accounts = operator(backend.store());
    let username = accounts.remove_user(&args.name)?;
    warn_if_unrecorded(&accounts);
    let mut out = Out::new();
    outln!(out, "removed user '{username}' from {}", backend.name())
}
