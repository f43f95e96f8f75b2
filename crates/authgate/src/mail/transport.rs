//! The sending half: a lettre SMTP transport built from an [`SmtpConfig`],
//! and what its errors mean to the person configuring the app.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use super::{message, Email, EmailFailure, Security, SmtpConfig};
use crate::error::Result;

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
