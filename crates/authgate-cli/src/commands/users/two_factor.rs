//! `authgate users 2fa`: the second factors of an account, and the
//! operator's reset of them.

use clap::Args;

use super::show::PasskeyView;
use super::{existing, operator};
use crate::commands::StoreArg;
use crate::failure::{CliResult, Failure};
use crate::output::{outln, utc, Out};

/// Show a user's second factors, or reset them.
///
/// With `--reset`, the user's authenticator app (TOTP), recovery codes and
/// passkeys are removed: they log in with their password alone and may set
/// up an app or passkeys again. The reset is recorded in the audit trail.
/// Secrets are never shown.
#[derive(Debug, Args)]
pub struct TwoFactorArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The username (case-insensitive).
    name: String,
    /// Remove the user's second factors.
    #[arg(long)]
    reset: bool,
}

/// Prints or resets the user's second factors.
pub fn run(args: TwoFactorArgs) -> CliResult {
    let backend = args.store.open()?;
    let store = backend.store();
    let username = existing(store, &args.name)?.username;
    let mut out = Out::new();
    if args.reset {
        if operator(store).reset_second_factors(&username)? {
            return outln!(
                out,
                "reset the second factors of '{username}': they log in with their password \
                 alone until they set up an authenticator app or a passkey again"
            );
        }
        return Err(Failure::invalid(format!(
            "'{username}' has no second factor to reset"
        )));
    }
    let factors = store.second_factors(&username)?;
    if factors.is_empty() {
        return outln!(out, "{username}: no second factor");
    }
    if let Some(totp) = &factors.totp {
        outln!(
            out,
            "{username}: authenticator app (TOTP) since {}, {} recovery codes left",
            utc(totp.created),
            factors.recovery_codes.len()
        )?;
    }
    for passkey in &factors.passkeys {
        outln!(
            out,
            "{username}: passkey {}",
            PasskeyView::from(passkey).line()
        )?;
    }
    Ok(())
}
