//! `authgate`: the operator's command for authgate stores — a
//! streamlit-authenticator `config.yaml`, a SQLite database or a PostgreSQL
//! database, named the way apps name them (see [`backend`]).
//!
//! | command | does |
//! |---|---|
//! | `users list\|show\|add\|remove\|lock\|unlock\|roles` | manage accounts ([`commands::users`]) |
//! | `hash` | bcrypt hashes for hand-written configs ([`commands::hash`]) |
//! | `check` | validate a config or a database ([`commands::check`]) |
//! | `migrate --from A --to B` | copy a store into another kind, losing nothing ([`commands::migrate`]) |
//! | `audit` | recent security events ([`commands::audit`]) |
//! | `settings smtp` | set, show (password redacted) or clear a database's SMTP settings ([`commands::settings`]) |
//! | `mail test --to ADDRESS` | send a test message with the store's SMTP settings ([`commands::mail`]) |
//!
//! Exit codes are listed in [`failure`] and in `authgate --help`. Nothing
//! the command prints holds a password, a hash or a database password.

mod backend;
mod commands;
mod failure;
mod input;
mod output;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::failure::EXIT_CODES_HELP;

/// Operate authgate stores: users, password hashes, checks, migrations
/// between config.yaml, SQLite and PostgreSQL, the audit trail, and the
/// SMTP settings of the apps' mail.
#[derive(Debug, Parser)]
#[command(name = "authgate", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Users(commands::users::UsersArgs),
    Hash(commands::hash::HashArgs),
    Check(commands::check::CheckArgs),
    Migrate(commands::migrate::MigrateArgs),
    Audit(commands::audit::AuditArgs),
    Settings(commands::settings::SettingsArgs),
    Mail(commands::mail::MailArgs),
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Users(args) => commands::users::run(args),
        Command::Hash(args) => commands::hash::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Migrate(args) => commands::migrate::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Settings(args) => commands::settings::run(args),
        Command::Mail(args) => commands::mail::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
