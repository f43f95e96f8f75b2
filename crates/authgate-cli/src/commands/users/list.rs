//! `authgate users list`: accounts in username order, a page at a time.

use authgate::user::User;
use clap::Args;

use super::{roles_text, UserView};
use crate::commands::StoreArg;
use crate::failure::{CliResult, Failure};
use crate::output::{count, outln, thousands, Out, Table};

/// Users read from the store per round trip.
const PAGE: usize = 1_000;

/// List users in username order (never their password hashes).
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Show at most N users (default: all).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Skip the first N users.
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
    /// Print a JSON array, one user per line, instead of a table.
    #[arg(long)]
    json: bool,
}

/// Prints the users, reading them a page at a time so that a large store
/// is never held in memory whole.
pub fn run(args: ListArgs) -> CliResult {
    let backend = args.store.open()?;
    let store = backend.store();
    let total = store.user_count()?;
    let wanted = args.limit.unwrap_or(usize::MAX);
    let mut out = Out::new();
    let mut printer = if args.json {
        Printer::Json { previous: None }
    } else {
        Printer::Table(Table::new(&[
            "USERNAME", "EMAIL", "NAME", "ROLES", "PASSWORD",
        ]))
    };
    printer.begin(&mut out)?;
    let mut shown = 0;
    while shown < wanted {
        let page = store.list_users(args.offset + shown, PAGE.min(wanted - shown))?;
        if page.is_empty() {
            break;
        }
        shown += page.len();
        printer.page(&mut out, page)?;
    }
    printer.end(&mut out)?;
    if args.json {
        return Ok(());
    }
    if shown == 0 {
        return if total == 0 {
            outln!(out, "no users in {}", backend.name())
        } else {
            outln!(
                out,
                "no users after the first {} (there are {})",
                thousands(args.offset),
                thousands(total)
            )
        };
    }
    if shown == total {
        outln!(out, "{}", count(total, "user", "users"))
    } else {
        outln!(
            out,
            "users {}–{} of {}",
            thousands(args.offset + 1),
            thousands(args.offset + shown),
            thousands(total)
        )
    }
}

/// Prints pages of users as they are read.
enum Printer {
    /// Aligned columns; the widths of the first page are kept.
    Table(Table),
    /// A JSON array with one user per line; the last line read is held back
    /// until it is known whether a comma follows it.
    Json { previous: Option<String> },
}

impl Printer {
    fn begin(&mut self, out: &mut Out) -> CliResult {
        match self {
            Printer::Table(_) => Ok(()),
            Printer::Json { .. } => outln!(out, "["),
        }
    }

    fn page(&mut self, out: &mut Out, users: Vec<User>) -> CliResult {
        match self {
            Printer::Table(table) => {
                for user in users {
                    table.push(vec![
                        user.username.clone(),
                        user.email.clone().unwrap_or_else(|| "-".into()),
                        user.display_name().unwrap_or_else(|| "-".into()),
                        roles_text(user.roles.as_deref()),
                        if user.password_hash.is_some() {
                            "set"
                        } else {
                            "none"
                        }
                        .to_string(),
                    ]);
                }
                out.table(table)?;
                table.clear();
                Ok(())
            }
            Printer::Json { previous } => {
                for user in users {
                    let json = serde_json::to_string(&UserView::from(user))
                        .map_err(|e| Failure::invalid(format!("cannot write JSON: {e}")))?;
                    if let Some(line) = previous.replace(json) {
                        outln!(out, "  {line},")?;
                    }
                }
                Ok(())
            }
        }
    }

    fn end(&mut self, out: &mut Out) -> CliResult {
        match self {
            Printer::Table(_) => Ok(()),
            Printer::Json { previous } => {
                if let Some(line) = previous.take() {
                    outln!(out, "  {line}")?;
                }
                outln!(out, "]")
            }
        }
    }
}
