//! `authgate users lock`: refuse a user's password logins, for a while or
//! until unlocked, and end their sessions.

use clap::Args;

use super::{existing, now, record};
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
    let store = backend.store();
    let username = existing(store, &args.name)?.username;
    let now = now();
    let until = args
        .minutes
        .map_or(f64::INFINITY, |m| now + f64::from(m) * 60.0);
    store.set_lock(&username, Some(until))?;
    record(store, "user_locked", &username);
    let ended = if args.keep_sessions {
        0
    } else {
        store.end_sessions(&username, now)?
    };
    let mut out = Out::new();
    let how_long = if until.is_finite() {
        format!("until {}", utc(until))
    } else {
        "until unlocked".to_string()
    };
    outln!(
        out,
        "locked '{username}' {how_long}; ended {}",
        count(ended, "session", "sessions")
    )
}
