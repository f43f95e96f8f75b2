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
//! Reading and checking the settings (`config`, `settings`) and building a
//! message (`message`) is always built; sending it (`transport`, lettre's
//! SMTP client and TLS) needs the `mail` cargo feature.
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
#[cfg(feature = "mail")]
mod transport;

pub use config::{Security, SmtpConfig, DEFAULT_TIMEOUT};
pub use message::Email;
pub use settings::SmtpSettings;
#[cfg(feature = "mail")]
pub use transport::Mailer;

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
