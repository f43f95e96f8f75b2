//! Email over the app's own SMTP server.
//!
//! streamlit-authenticator 0.4.2 sent its two-factor codes and new
//! passwords through a third-party web service, which is discontinued.
//! authgate sends them through the SMTP server the app names
//! ([`SmtpConfig`]): STARTTLS (required, never skipped) or implicit TLS over
//! rustls, checked against the Mozilla roots or the app's own CA
//! (`ca_file`); plain text only to a server on the same machine and never
//! with credentials. Every connection and command has a timeout.
//!
//! Addresses and subjects with line breaks are refused, so that nobody can
//! smuggle a header (`Bcc:`) into a message through a name or an email.
//! Failures are an [`EmailFailure`] whose message names what went wrong
//! and never holds the password.
//!
//! ```no_run
//! use authgate::mail::{Email, Mailer, SmtpConfig};
//! let config = SmtpConfig::from_url("smtp://app:secret@mail.example.com?from=app@example.com")?;
//! Mailer::new(&config)?.send(&Email {
//!     to: "ann@example.com",
//!     subject: "Hello",
//!     text: "Hello from the app",
//!     html: None,
//! })?;
//! # Ok::<(), authgate::Error>(())
//! ```

mod config;
mod message;
mod settings;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

pub use config::{Security, SmtpConfig, DEFAULT_TIMEOUT};
pub use message::Email;
pub use settings::SmtpSettings;

use crate::error::Result;

/// Why mail could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailFailure {
    /// No SMTP server is configured.
    #[error(
        "no mail server is configured: add an smtp section to the config (host, port, \
         security, username, password, from), pass Authenticate(smtp={{...}}), or set \
         AUTHGATE_SMTP_URL=smtp://user:password@host:587?from=app@example.com"
    )]
    NotConfigured,
    /// The SMTP settings are not usable.
    #[error("SMTP configuration: {0}")]
    Config(String),
    /// An address that is not one, or holds a line break.
    #[error("{0}")]
    InvalidAddress(String),
    /// A header that would break the message.
    #[error("{0}")]
    InvalidHeader(String),
    /// The server could not be reached, or the connection broke.
    #[error("the mail server could not be reached: {0}")]
    Connect(String),
    /// TLS could not be set up: no STARTTLS, or a certificate not trusted.
    #[error("TLS with the mail server failed: {0}")]
    Tls(String),
    /// The server refused the username and password.
    #[error("the mail server refused the SMTP username or password")]
    AuthRefused,
    /// The server refused the message or a recipient.
    #[error("the mail server refused the message: {0}")]
    Rejected(String),
    /// The server did not answer in time.
    #[error("the mail server did not answer in time")]
    Timeout,
}

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    host: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("host", &self.host)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`; connects only when sending.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Email`] with [`EmailFailure::Config`] for an
    /// unreadable `ca_file` or a sender that is not an address.
    pub fn new(config: &SmtpConfig) -> Result<Self> {
        let tls = || -> Result<TlsParameters> {
            let mut builder = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path).map_err(|e| {
                    EmailFailure::Config(format!("cannot read ca_file {}: {e}", path.display()))
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|_| {
                    EmailFailure::Config(format!(
                        "ca_file {} is not a PEM certificate",
                        path.display()
                    ))
                })?;
                builder = builder.add_root_certificate(cert);
            }
            Ok(builder
                .build_rustls()
                .map_err(|e| EmailFailure::Config(format!("TLS setup: {e}")))?)
        };
        let mut builder = SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port)
            .timeout(Some(config.timeout))
            .tls(match config.security {
                Security::StartTls => Tls::Required(tls()?),
                Security::Tls => Tls::Wrapper(tls()?),
                Security::None => Tls::None,
            });
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: message::mailbox(&config.from, "from")?,
            reply_to: config
                .reply_to
                .as_deref()
                .map(|r| message::mailbox(r, "reply_to"))
                .transpose()?,
            host: config.host.clone(),
        })
    }

    /// Sends `email`, waiting at most the configured timeout per step.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Email`]: an address or subject that cannot be sent
    /// ([`EmailFailure::InvalidAddress`], [`EmailFailure::InvalidHeader`]),
    /// or the server's trouble ([`EmailFailure::Connect`],
    /// [`EmailFailure::Tls`], [`EmailFailure::AuthRefused`],
    /// [`EmailFailure::Rejected`], [`EmailFailure::Timeout`]).
    pub fn send(&self, email: &Email<'_>) -> Result<()> {
        let message = message::build(&self.from, self.reply_to.as_ref(), email)?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| classify(&e).into())
    }

    /// A name to show for a person in a `To:` header: `Name <address>`,
    /// with line breaks taken out of the name.
    #[must_use]
    pub fn recipient(name: &str, address: &str) -> String {
        let name = message::display_name(name).replace(['"', '\\'], "");
        if name.is_empty() {
            address.to_owned()
        } else {
            format!("\"{name}\" <{address}>")
        }
    }
}

/// What a lettre error means to the person configuring the app.
fn classify(e: &lettre::transport::smtp::Error) -> EmailFailure {
    let detail = error_chain(e);
    if e.is_timeout() {
        return EmailFailure::Timeout;
    }
    if e.is_tls() || detail.contains("STARTTLS") || detail.contains("certificate") {
        return EmailFailure::Tls(detail);
    }
    if let Some(code) = e.status() {
        let code = code.to_string();
        // 535: authentication credentials invalid; 534/530: auth needed.
        if code.starts_with("535") || code.starts_with("534") || code.starts_with("530") {
            return EmailFailure::AuthRefused;
        }
        return EmailFailure::Rejected(detail);
    }
    EmailFailure::Connect(detail)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
