//! `authgate mail test`: send a message through the SMTP server the apps
//! of a store would use, and say what the server answered.
//!
//! The server is the store's SMTP settings (a database's `smtp` setting,
//! a config.yaml's `smtp:` section), else `AUTHGATE_SMTP_URL`. A failure
//! is the mailer's own message: exit 3 when the server could not be
//! reached or did not answer in time, 1 for settings it cannot use, a
//! refused login, a refused message or no server at all.

use authgate::mail::{Email, Mailer, Security, SmtpConfig};
use clap::{Args, Subcommand};

use super::StoreArg;
use crate::failure::{CliResult, Failure};
use crate::output::{outln, Out};

/// The environment variable the apps fall back on.
const SMTP_URL_VAR: &str = "AUTHGATE_SMTP_URL";

/// Check the apps' mail.
#[derive(Debug, Args)]
pub struct MailArgs {
    #[command(subcommand)]
    command: MailCommand,
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    Test(TestArgs),
}

/// Runs the subcommand.
pub fn run(args: MailArgs) -> CliResult {
    match args.command {
        MailCommand::Test(args) => test(&args),
    }
}

/// Send a test message with the store's SMTP settings.
///
/// Uses the store's SMTP settings (set with `authgate settings smtp`, or a
/// config.yaml's smtp: section), else AUTHGATE_SMTP_URL, as the apps do.
#[derive(Debug, Args)]
#[command(after_help = "\
Example:
  authgate mail test --store sqlite:///var/lib/app/auth.db --to me@example.com")]
pub struct TestArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Where to send the test message.
    #[arg(long, value_name = "ADDRESS")]
    to: String,
}

/// `starttls`, `tls` or `none`, as the settings spell it.
pub fn security_name(security: Security) -> &'static str {
    match security {
        Security::StartTls => "starttls",
        Security::Tls => "tls",
        Security::None => "none",
    }
}

fn test(args: &TestArgs) -> CliResult {
    let backend = args.store.open()?;
    let name = backend.name();
    let (config, source) = match backend.store().smtp_settings()? {
        Some(settings) => (settings.config()?, format!("the SMTP settings of {name}")),
        None => match std::env::var(SMTP_URL_VAR)
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => (SmtpConfig::from_url(&url)?, SMTP_URL_VAR.to_string()),
            None => {
                return Err(Failure::invalid(format!(
                    "{name} has no SMTP settings and {SMTP_URL_VAR} is not set: set them with \
                     `authgate settings smtp` (a database) or in config.yaml's smtp: section"
                )))
            }
        },
    };
    let body = format!(
        "This is a test message from `authgate mail test`.\n\n\
         It was sent through {}:{} ({}) with {source}: the apps of {name} can send mail.\n",
        config.host,
        config.port,
        security_name(config.security)
    );
    Mailer::new(&config)?.send(&Email {
        to: &args.to,
        subject: "authgate test message",
        text: &body,
        html: None,
    })?;
    let mut out = Out::new();
    outln!(
        out,
        "sent a test message to {} through {}:{} ({}) with {source}",
        args.to.trim(),
        config.host,
        config.port,
        security_name(config.security)
    )
}
