//! `authgate users roles`: replace, add or remove a user's roles.

use authgate::admin::RolesEdit;
use clap::{ArgGroup, Args};

use super::{operator, roles_text};
use crate::commands::StoreArg;
use crate::failure::CliResult;
use crate::output::{outln, Out};

/// Change a user's roles.
///
/// Replace them all with --set, or add and remove some with --add and
/// --remove (each may be repeated).
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["set", "add", "remove"])
))]
pub struct RolesArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username (case-insensitive).
    name: String,
    /// Replace the roles with this comma-separated list ('' for none).
    #[arg(
        long,
        value_name = "ROLES",
        value_delimiter = ',',
        conflicts_with_all = ["add", "remove"]
    )]
    set: Option<Vec<String>>,
    /// Add a role; repeat for several.
    #[arg(long, value_name = "ROLE")]
    add: Vec<String>,
    /// Remove a role; repeat for several.
    #[arg(long, value_name = "ROLE")]
    remove: Vec<String>,
}

/// Applies the change and prints the roles the user now has.
pub fn run(args: RolesArgs) -> CliResult {
    let backend = args.store.open()?;
    let edit = match &args.set {
        Some(list) => RolesEdit::Set(list),
        None => RolesEdit::Change {
            add: &args.add,
            remove: &args.remove,
        },
    };
    let (user, changed) = operator(backend.store()).edit_roles(&args.name, &edit)?;
    let roles = roles_text(user.roles.as_deref());
    let mut out = Out::new();
    if changed {
        outln!(out, "roles of '{}': {roles}", user.username)
    } else {
        outln!(out, "roles of '{}' unchanged: {roles}", user.username)
    }
}
