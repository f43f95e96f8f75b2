//! `authgate users add`: create an account with a password.

use authgate::admin::NewAccount;
use authgate::password_policy::PasswordPolicy;
use authgate::user::UserKey;
use clap::Args;

use super::{operator, roles_text};
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

/// Has the core check the account, reads the password and checks it
/// against the policy, then has the core add the user (it hashes the
/// password and adds the user in one step).
pub fn run(args: AddArgs) -> CliResult {
    let policy = PasswordPolicy::from_name(&args.password_policy)?;
    let roles = (!args.roles.is_empty()).then_some(args.roles.as_slice());
    let mut account = NewAccount {
        username: &args.name,
        email: &args.email,
        first_name: &args.first_name,
        last_name: &args.last_name,
        password: None,
        roles,
    };
    // Open and check first: a missing store or a taken name is reported
    // before a password is asked for.
    let backend = args.store.open()?;
    let accounts = operator(backend.store());
    let username = UserKey::new(&args.name);
    let refused = |e| taken(e, &username, args.email.trim());
    accounts.check_new_user(&account).map_err(refused)?;
    let new_password = input::new_password(args.password_stdin)?;
    policy.check(
        new_password.trim(),
        &[&username, &args.email, &args.first_name, &args.last_name],
    )?;
    account.password = Some(&new_password);
    let user = accounts.add_user(&account).map_err(refused)?;
    let mut out = Out::new();
    outln!(
        out,
        "added user '{}' to {} (roles: {})",
        user.username,
        backend.name(),
        roles_text(user.roles.as_deref())
    )
}

/// The refusal of a taken username or email, worded for the operator.
fn taken(e: authgate::Error, username: &str, email: &str) -> Failure {
    match e {
        authgate::Error::UsernameTaken => {
            Failure::invalid(format!("user '{username}' already exists"))
        }
        authgate::Error::EmailTaken => {
            Failure::invalid(format!("another user already has the email '{email}'"))
        }
        other => other.into(),
    }
}
