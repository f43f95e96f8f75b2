//! `authgate migrate`: copy a store into another of any kind — config.yaml,
//! SQLite, PostgreSQL — losing nothing.
//!
//! What is copied, and what happens for each kind of target, is decided by
//! the core ([`authgate::store::migrate`]); this command parses the
//! arguments, shows the progress and prints the outcome.

use std::io::Write;

use authgate::store::migrate::Migration;
use authgate::store::StoreLocation;
use clap::Args;

use crate::failure::CliResult;
use crate::output::{outln, Out};
use crate::progress::Progress;

/// Copy a store into a new or empty one: YAML, SQLite or PostgreSQL.
///
/// Copies users (every field, unknown keys included), pre-authorized emails,
/// settings (cookie, api_key, oauth2, …), sessions, lockouts, pending
/// passwords, revocations and the audit trail, then reads the target back to
/// verify it. A target that already holds the same data is left alone
/// (running twice is safe); a target holding other data is refused.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  authgate migrate --from config.yaml --to sqlite:///var/lib/app/auth.db
  authgate migrate --from sqlite:///var/lib/app/auth.db --to postgresql://app@db/auth
  authgate migrate --from postgresql://app@db/auth --to exported.yaml --dry-run

Stop the apps that write to the source first: changes made while copying
are not copied. Command lines are visible to other users of the machine:
pass a URL that holds a password through AUTHGATE_FROM or AUTHGATE_TO.")]
pub struct MigrateArgs {
    /// The store to copy from: a config.yaml path, sqlite:///path.db or
    /// postgresql://user:password@host/dbname.
    #[arg(
        long,
        value_name = "URL_OR_PATH",
        env = "AUTHGATE_FROM",
        hide_env_values = true
    )]
    from: String,
    /// The store to copy into: new or empty. A config.yaml or SQLite file is
    /// created; a PostgreSQL database must exist (its tables are created).
    #[arg(
        long,
        value_name = "URL_OR_PATH",
        env = "AUTHGATE_TO",
        hide_env_values = true
    )]
    to: String,
    /// Compare the stores and say what would be copied; write nothing
    /// (connecting to PostgreSQL still creates authgate's tables if missing).
    #[arg(long)]
    dry_run: bool,
}

/// Compares, copies, verifies and prints a summary.
pub fn run(args: MigrateArgs) -> CliResult {
    let from = StoreLocation::parse(&args.from)?;
    let to = StoreLocation::parse(&args.to)?;
    let progress = Progress::new();
    let migration = Migration::prepare(&from, &to, args.dry_run, &progress)?;
    drop(progress);

    let (from, to) = (migration.source_name(), migration.target_name());
    let left_out = migration.source().left_out();
    if left_out.records() > 0 {
        note(&format!(
            "left out {} of users that no longer exist in {from}",
            left_out.describe_present()
        ));
    }
    let mut out = Out::new();
    let holds = migration.source().counts().describe();
    if migration.nothing_to_do() {
        return outln!(
            out,
            "nothing to do: {to} already holds the same {holds} as {from}"
        );
    }
    let what = migration.describe();
    let import = migration.imports();
    if args.dry_run {
        let verb = if import { "migrate" } else { "append" };
        return outln!(
            out,
            "dry run: would {verb} {what} from {from} to {to}; nothing was written"
        );
    }
    let (from, to) = (from.to_string(), to.to_string());
    migration.run(&Progress::new())?;
    if import {
        outln!(out, "migrated {what} from {from} to {to}")
    } else {
        outln!(
            out,
            "appended {what} to {to} (an earlier migration stopped before copying them); \
             it now holds the same {holds} as {from}"
        )
    }
}

/// A note on standard error.
fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "authgate: note: {message}");
}
