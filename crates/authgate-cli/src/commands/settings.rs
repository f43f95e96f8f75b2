//! `authgate settings smtp`: the SMTP server a database names for the
//! apps' mail — set, shown (the password never), or cleared.
//!
//! The settings are checked as the mailer reads them before anything is
//! stored or a password is asked for, so a bad port or security value is
//! refused (exit 1) and leaves the store as it was. The password is
//! prompted for without echo, or read from standard input; never an
//! argument. A change is recorded in the audit trail (detail `authgate
//! CLI`) in the same transaction. A config.yaml keeps its settings in its
//! own `smtp:` section, which the operator edits: there `--show` works and
//! a change is refused.

use std::io::Write;

use authgate::clock::{Clock, SystemClock};
use authgate::mail::SmtpSettings;
use authgate::store::AuditEvent;
use authgate::yaml::{self, Map, Value};
use clap::{ArgGroup, Args, Subcommand};

use super::StoreArg;
use crate::backend::Backend;
use crate::failure::{CliResult, Failure};
use crate::input;
use crate::output::{outln, Out};

/// Settings a database keeps for the apps.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    #[command(subcommand)]
    command: SettingsCommand,
}

#[derive(Debug, Subcommand)]
enum SettingsCommand {
    Smtp(SmtpArgs),
}

/// Runs the subcommand.
pub fn run(args: SettingsArgs) -> CliResult {
    match args.command {
        SettingsCommand::Smtp(args) => smtp(args),
    }
}

/// Set, show or clear the SMTP server the apps send mail through.
///
/// Setting replaces the stored settings whole. With --username, the
/// password is prompted for without echo on a terminal, or read from the
/// first line of standard input (--password-stdin); never from an argument,
/// which other users of the machine can see. `authgate mail test` sends a
/// message with the stored settings.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("change").multiple(true).args(
        ["host", "port", "security", "username", "from", "reply_to", "ca_file", "timeout",
         "password_stdin"]
    )),
    after_help = "\
Examples:
  printf '%s\\n' \"$SMTP_PASSWORD\" | authgate settings smtp --store sqlite:///var/lib/app/auth.db \\
      --host smtp.example.com --port 587 --security starttls \\
      --username app@example.com --from 'Acme <app@example.com>' --password-stdin
  authgate settings smtp --store sqlite:///var/lib/app/auth.db --show
  authgate settings smtp --store sqlite:///var/lib/app/auth.db --clear"
)]
pub struct SmtpArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Print the stored settings, the password redacted.
    #[arg(long, conflicts_with_all = ["change", "clear"])]
    show: bool,
    /// Remove the stored settings.
    #[arg(long, conflicts_with = "change")]
    clear: bool,
    /// The SMTP server's host name or address.
    #[arg(long, value_name = "HOST", required_unless_present_any = ["show", "clear"])]
    host: Option<String>,
    /// The server's port (default: 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, value_name = "PORT", allow_negative_numbers = true)]
    port: Option<String>,
    /// starttls (default), tls (implicit TLS), or none (a server on this
    /// machine only, and then without a username).
    #[arg(long, value_name = "starttls|tls|none")]
    security: Option<String>,
    /// The SMTP login; its password is then asked for.
    #[arg(long, value_name = "USER")]
    username: Option<String>,
    /// The sender: app@example.com or 'App <app@example.com>'.
    #[arg(long = "from", value_name = "ADDRESS", required_unless_present_any = ["show", "clear"])]
    from: Option<String>,
    /// Where replies go, if not to the sender.
    #[arg(long, value_name = "ADDRESS")]
    reply_to: Option<String>,
    /// A PEM file of the CA that signed the server's certificate, on the
    /// machines the apps run on.
    #[arg(long, value_name = "PATH")]
    ca_file: Option<String>,
    /// Seconds that connecting and each SMTP command may take (default 15).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    timeout: Option<String>,
    /// Read the password from standard input even on a terminal.
    #[arg(long, requires = "username")]
    password_stdin: bool,
}

impl SmtpArgs {
    /// The settings the arguments name, without a password. Numbers are
    /// stored as numbers, as in a config's `smtp:` section; anything else
    /// is kept as text for the mailer's check to name.
    fn section(&self) -> Map {
        let mut map = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                map.insert(key, value);
            }
        };
        let text = |v: &Option<String>| v.as_ref().map(|s| Value::Str(s.trim().to_string()));
        put("host", text(&self.host));
        put("port", self.port.as_deref().map(number));
        put(
            "security",
            self.security
                .as_ref()
                .map(|s| Value::Str(s.trim().to_ascii_lowercase())),
        );
        put("username", text(&self.username));
        put("from", text(&self.from));
        put("reply_to", text(&self.reply_to));
        put("ca_file", text(&self.ca_file));
        put("timeout", self.timeout.as_deref().map(number));
        map
    }
}

/// `text` as an integer or a finite float if it is one, else as text.
fn number(text: &str) -> Value {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Value::Int(n);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::Float(f),
        _ => Value::Str(text.to_string()),
    }
}

/// The audit event of an operator's change to the settings.
fn event(kind: &str) -> AuditEvent {
    AuditEvent {
        time: SystemClock.now(),
        kind: kind.to_string(),
        username: None,
        detail: Some("authgate CLI".to_string()),
    }
}

fn smtp(args: SmtpArgs) -> CliResult {
    if args.show {
        return show(&args.store.open()?);
    }
    if args.clear {
        let backend = args.store.open()?;
        let name = backend.name();
        let removed = backend
            .store()
            .set_smtp_settings(None, Some(&event("smtp_settings_cleared")))?;
        let mut out = Out::new();
        return if removed {
            outln!(out, "removed the SMTP settings of {name}")
        } else {
            outln!(out, "{name} has no SMTP settings; nothing removed")
        };
    }
    let mut section = args.section();
    // Checked before the store is opened or a password asked for.
    SmtpSettings::new(Value::Map(section.clone()))?;
    let backend = args.store.open()?;
    if let Backend::Yaml(_) = backend {
        return Err(Failure::invalid(format!(
            "{} keeps its SMTP settings in its smtp: section: edit the file to change them",
            backend.name()
        )));
    }
    if args.username.is_some() {
        section.insert(
            "password",
            Value::Str(input::smtp_password(args.password_stdin)?),
        );
    }
    let settings = SmtpSettings::new(Value::Map(section))?;
    let config = settings.config()?;
    backend
        .store()
        .set_smtp_settings(Some(&settings), Some(&event("smtp_settings_set")))?;
    let mut out = Out::new();
    outln!(
        out,
        "stored the SMTP settings of {}: {}:{} ({}), from {}{}",
        backend.name(),
        config.host,
        config.port,
        super::mail::security_name(config.security),
        config.from,
        match &config.username {
            Some(user) => format!(", as {user}"),
            None => String::new(),
        }
    )
}

/// Prints the stored settings, the password redacted.
fn show(backend: &Backend) -> CliResult {
    let mut out = Out::new();
    let Some(settings) = backend.store().smtp_settings()? else {
        return outln!(out, "{} has no SMTP settings", backend.name());
    };
    outln!(out, "SMTP settings of {}:", backend.name())?;
    for line in yaml::emit(&settings.redacted()).lines() {
        outln!(out, "  {line}")?;
    }
    if let Err(e) = settings.config() {
        let _ = writeln!(
            std::io::stderr(),
            "authgate: warning: the mailer cannot use these settings: {e}"
        );
    }
    Ok(())
}
