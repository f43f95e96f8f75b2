//! `authgate users unlock`: lift a lock and forget the failed logins.

use clap::Args;

use super::{operator, warn_if_unrecorded};
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
    let accounts = operator(backend.store());
    let username = accounts.unlock(&args.name)?;
    warn_if_unrecorded(&accounts);
    let mut out = Out::new();
    outln!(out, "unlocked '{username}'")
}
