//! `authgate users …`: list, show, add, remove, lock, unlock, change the
//! roles of accounts and reset their second factors (`2fa`). Password hashes are never printed.
//!
//! Every change goes through the core's account operations
//! ([`authgate::admin::Accounts`], the ones the admin page uses), which make
//! it in one atomic store operation under the same locks as the apps and
//! record it in the store's audit trail with the detail `authgate CLI`.

mod add;
mod list;
mod lock;
mod remove;
mod roles;
mod show;
mod two_factor;
mod unlock;

use std::io::Write;

use authgate::admin::Accounts;
use authgate::clock::{Clock, SystemClock};
use authgate::store::Store;
use authgate::user::User;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::failure::CliResult;

/// Manage user accounts.
#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    List(list::ListArgs),
    Show(show::ShowArgs),
    Add(add::AddArgs),
    Remove(remove::RemoveArgs),
    Lock(lock::LockArgs),
    Unlock(unlock::UnlockArgs),
    Roles(roles::RolesArgs),
    #[command(name = "2fa")]
    TwoFactor(two_factor::TwoFactorArgs),
}

/// Runs the subcommand.
pub fn run(args: UsersArgs) -> CliResult {
    match args.command {
        UsersCommand::List(args) => list::run(args),
        UsersCommand::Show(args) => show::run(args),
        UsersCommand::Add(args) => add::run(args),
        UsersCommand::Remove(args) => remove::run(args),
        UsersCommand::Lock(args) => lock::run(args),
        UsersCommand::Unlock(args) => unlock::run(args),
        UsersCommand::Roles(args) => roles::run(args),
        UsersCommand::TwoFactor(args) => two_factor::run(args),
    }
}

/// A user as printed: everything but the password hash, of which only its
/// presence is told.
#[derive(Debug, Serialize)]
struct UserView {
    username: String,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    /// The single `name` of configs older than streamlit-authenticator 0.4.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    roles: Option<Vec<String>>,
    password_set: bool,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            password_set: user.password_hash.is_some(),
            username: user.username,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            name: user.name,
            roles: user.roles,
        }
    }
}

/// Roles as text: `admin, editor`, or `none`.
fn roles_text(roles: Option<&[String]>) -> String {
    match roles {
        Some(roles) if !roles.is_empty() => roles.join(", "),
        _ => "none".to_string(),
    }
}

/// How the audit trail names the CLI as the author of a change.
const OPERATOR: &str = "authgate CLI";

/// The core's account operations on `store`, as the CLI.
fn operator(store: &dyn Store) -> Accounts<'_> {
    Accounts::operator(store, &SystemClock, OPERATOR)
}

/// Warns when the change just made could not be recorded in the audit
/// trail: it was made, so this is not an error.
fn warn_if_unrecorded(accounts: &Accounts<'_>) {
    if let Some(why) = accounts.unrecorded() {
        let _ = writeln!(
            std::io::stderr(),
            "authgate: warning: the change was made but not recorded in the audit trail: {why}"
        );
    }
}

/// The user, or a "not found" refusal.
fn existing(store: &dyn Store, username: &str) -> CliResult<User> {
    let key = authgate::user::UserKey::new(username);
    store
        .user(&key)?
        .ok_or_else(|| authgate::Error::UserNotFound(key.into()).into())
}

/// The current time, Unix seconds.
fn now() -> f64 {
    SystemClock.now()
}
