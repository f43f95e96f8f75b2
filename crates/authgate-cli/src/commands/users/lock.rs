//! `authgate users lock`: refuse a user's password logins, for a while or
//! until unlocked, and end their sessions.

use clap::Args;

use super::{operator, warn_if_unrecorded};
use crate::commands::StoreArg;
use crate::failure::CliResult;
use crate::output::{count, outln, utc, Out};

/// Lock a user out, for some minutes or until unlocked.
///
/// Password logins are refused until the lock ends or `authgate users
/// unlock`; the user's open sessions end at once (unless --keep-sessions),
/// so the lock takes effect everywhere.
#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username (case-insensitive).
    name: String,
    /// Lock for this many minutes (default: until unlocked).
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u32).range(1..))]
    minutes: Option<u32>,
    /// Leave the user's open sessions alone.
    #[arg(long)]
    keep_sessions: bool,
}

/// Locks the user, then ends their sessions.
pub fn run(args: LockArgs) -> CliResult {
    let backend = args.store.open()?;
    let accounts = operator(backend.store());
    let minutes = args.minutes.map(f64::from);
    let locked = accounts.lock(&args.name, minutes, !args.keep_sessions)?;
    warn_if_unrecorded(&accounts);
    let username = &locked.username;
    let mut out = Out::new();
    let how_long = if locked.until.is_finite() {
        format!("until {}", utc(locked.until))
    } else {
        "until unlocked".to_string()
    };
    outln!(
        out,
        "locked '{username}' {how_long}; ended {}",
        count(locked.sessions_ended, "session", "sessions")
    )
}
