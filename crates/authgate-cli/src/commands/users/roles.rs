//! `authgate users roles`: replace, add or remove a user's roles.

use clap::{ArgGroup, Args};

use authgate::store::UserUpdate;

use super::{cli_event, existing, roles_text};
use crate::commands::StoreArg;
use crate::failure::{CliResult, Failure};
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
    let store = backend.store();
    let user = existing(store, &args.name)?;
    let current = user.roles.clone().unwrap_or_default();
    let new = match &args.set {
        Some(list) => unique(list.iter().map(|r| r.trim()).filter(|r| !r.is_empty())),
        None => {
            let added = args.add.iter().map(|r| r.trim());
            if added.clone().any(str::is_empty) {
                return Err(Failure::invalid("a role must not be empty"));
            }
            let remove: Vec<&str> = args.remove.iter().map(|r| r.trim()).collect();
            unique(
                current
                    .iter()
                    .map(String::as_str)
                    .chain(added)
                    .filter(|r| !remove.contains(r)),
            )
        }
    };
    let mut out = Out::new();
    if user.roles.as_ref() == Some(&new) {
        return outln!(
            out,
            "roles of '{}' unchanged: {}",
            user.username,
            roles_text(Some(&new))
        );
    }
    let event = cli_event("roles_changed", &user.username);
    store.update_user(
        &user.username,
        &UserUpdate::Roles(Some(new.clone())),
        Some(&event),
    )?;
    outln!(
        out,
        "roles of '{}': {}",
        user.username,
        roles_text(Some(&new))
    )
}

/// The roles in first-seen order, each once.
fn unique<'a>(roles: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for role in roles {
        if !out.iter().any(|r| r == role) {
            out.push(role.to_string());
        }
    }
    out
}
