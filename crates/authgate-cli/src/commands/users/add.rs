//! `authgate users add`: create an account with a password.

use authgate::password;
use authgate::password_policy::PasswordPolicy;
use authgate::store::NewUser;
use clap::Args;

use super::{cli_event, key, roles_text};
use crate::commands::StoreArg;
use crate::failure::{CliResult, Failure};
use crate::input;
use crate::output::{outln, Out};

/// Add a user with a password.
///
/// The password is prompted for without echo on a terminal, or read from the
/// first line of standard input; never from an argument, which other users
/// of the machine can see. It must meet the password policy apps apply:
/// streamlit-authenticator 0.4.2's rule unless `--password-policy nist`.
#[derive(Debug, Args)]
#[command(after_help = "\
Example:
  printf '%s\\n' \"$NEW_PASSWORD\" | authgate users add jsmith --store config.yaml \\
      --email jsmith@example.com --first-name John --last-name Smith \\
      --role admin --password-stdin")]
pub struct AddArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username; stored lower-cased.
    name: String,
    /// Email address; no other user may have it.
    #[arg(long, value_name = "EMAIL")]
    email: String,
    /// First name.
    #[arg(long, value_name = "NAME")]
    first_name: String,
    /// Last name.
    #[arg(long, value_name = "NAME")]
    last_name: String,
    /// A role; repeat for several.
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
    /// Read the password from standard input even on a terminal.
    #[arg(long)]
    password_stdin: bool,
    /// The rule the password must meet: `0.4.2` (8 to 20 characters with a
    /// lower- and an upper-case letter, a digit and a special character) or
    /// `nist` (NIST SP 800-63B), as the app's `password_policy`.
    #[arg(long, value_name = "POLICY", default_value = "0.4.2")]
    password_policy: String,
}

/// Checks the input, hashes the password and adds the user in one step.
pub fn run(args: AddArgs) -> CliResult {
    let username = key(&args.name);
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        return Err(Failure::invalid(
            "a username must be non-empty and contain no spaces",
        ));
    }
    let email = args.email.trim();
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        return Err(Failure::invalid(format!(
            "'{email}' is not an email address"
        )));
    }
    let (first_name, last_name) = (args.first_name.trim(), args.last_name.trim());
    if first_name.is_empty() || last_name.is_empty() {
        return Err(Failure::invalid("first and last name must not be empty"));
    }
    let policy = PasswordPolicy::from_name(&args.password_policy)?;
    let roles = args
        .roles
        .iter()
        .map(|r| r.trim().to_string())
        .collect::<Vec<_>>();
    if roles.iter().any(String::is_empty) {
        return Err(Failure::invalid("a role must not be empty"));
    }
    // Open first: a missing store is reported before a password is asked for.
    let backend = args.store.open()?;
    let store = backend.store();
    if store.user(&username)?.is_some() {
        return Err(taken_username(&username));
    }
    let new_password = input::new_password(args.password_stdin)?;
    policy.check(&new_password, &[&username, email, first_name, last_name])?;
    let hash = password::hash(&new_password)?;
    let user = NewUser {
        username: username.clone(),
        email: email.to_string(),
        first_name: first_name.to_string(),
        last_name: last_name.to_string(),
        password_hash: Some(hash),
        roles: (!roles.is_empty()).then_some(roles),
        password_hint: None,
        awaiting_verification: false,
    };
    let event = cli_event("user_added", &username);
    store
        .add_user(&user, false, Some(&event))
        .map_err(|e| match e {
            authgate::Error::UsernameTaken => taken_username(&username),
            authgate::Error::EmailTaken => {
                Failure::invalid(format!("another user already has the email '{email}'"))
            }
            other => other.into(),
        })?;
    let mut out = Out::new();
    outln!(
        out,
        "added user '{username}' to {} (roles: {})",
        backend.name(),
        roles_text(user.roles.as_deref())
    )
}

fn taken_username(username: &str) -> Failure {
    Failure::invalid(format!("user '{username}' already exists"))
}
