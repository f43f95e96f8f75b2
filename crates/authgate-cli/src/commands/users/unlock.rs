//! `authgate users unlock`: lift a lock and forget the failed logins.

use clap::Args;

use super::{existing, record};
use crate::commands::StoreArg;
use crate::failure::CliResult;
use crate::output::{outln, Out};

/// Unlock a user and reset their failed-login count.
///
/// Lifts any lock, whether set by `authgate users lock` or by failed logins.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username (case-insensitive).
    name: String,
}

/// Clears the user's lock.
pub fn run(args: UnlockArgs) -> CliResult {
    let backend = args.store.open()?;
    let store = backend.store();
    let username = existing(store, &args.name)?.username;
    store.set_lock(&username, None)?;
    record(store, "user_unlocked", &username);
    let mut out = Out::new();
    outln!(out, "unlocked '{username}'")
}
