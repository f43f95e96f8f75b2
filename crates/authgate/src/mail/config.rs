//! Where mail goes: an SMTP server, from a URL or a `smtp:` config section.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::EmailFailure;
use crate::percent::percent_decode;
use crate::secret::SecretString;
use crate::yaml::Value;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with `STARTTLS` (port 587); the upgrade is
    /// required, never skipped.
    StartTls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
    /// No encryption (port 25): only for a server on this machine, and then
    /// without credentials.
    None,
}

impl Security {
    fn parse(value: &str) -> Result<Self, EmailFailure> {
        match value.to_ascii_lowercase().as_str() {
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" => Ok(Security::Tls),
            "none" | "plain" => Ok(Security::None),
            other => Err(EmailFailure::Config(format!(
                "smtp security must be starttls, tls or none, not '{other}'"
            ))),
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// An SMTP server and the sender: `smtp:` in config.yaml,
/// `Authenticate(smtp=…)`, or `AUTHGATE_SMTP_URL`.
#[derive(Clone)]
pub struct SmtpConfig {
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// Login name, if the server wants one.
    pub username: Option<String>,
    /// Password of `username`.
    pub password: Option<SecretString>,
    /// The sender, `app@example.com` or `App <app@example.com>`.
    pub from: String,
    /// Where replies go, if not to `from`.
    pub reply_to: Option<String>,
    /// A PEM file of the CA that signed the server's certificate, for a
    /// server whose certificate no public CA signed.
    pub ca_file: Option<PathBuf>,
    /// How long connecting, and each command, may take.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The default time a connection and each SMTP command may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

impl SmtpConfig {
    /// Reads `smtp[s]://user:password@host:port?from=…&reply_to=…&security=…&ca_file=…&timeout=…`.
    /// `smtp://` is STARTTLS unless `security=none`; `smtps://` is TLS.
    ///
    /// ```
    /// use authgate::mail::{Security, SmtpConfig};
    /// let c = SmtpConfig::from_url("smtp://app:s3cret@mail.example.com?from=App%20%3Capp@example.com%3E")?;
    /// assert_eq!((c.port, c.security), (587, Security::StartTls));
    /// assert_eq!(c.from, "App <app@example.com>");
    /// assert!(!format!("{c:?}").contains("s3cret"));
    /// # Ok::<(), authgate::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`crate::Error::Email`] ([`EmailFailure::Config`]) for a URL that is
    /// not one; its message never holds the password.
    pub fn from_url(url: &str) -> crate::Result<Self> {
        let parsed = Url::parse(url.trim())
            .map_err(|e| EmailFailure::Config(format!("invalid SMTP URL: {e}")))?;
        let implicit_tls = match parsed.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                return Err(EmailFailure::Config(format!(
                    "an SMTP URL starts with smtp:// or smtps://, not {other}://"
                ))
                .into())
            }
        };
        let mut fields = Fields::default();
        for (key, value) in parsed.query_pairs() {
            fields.set(&key, value.into_owned())?;
        }
        let security = match (&fields.security, implicit_tls) {
            (Some(s), false) => Security::parse(s)?,
            (Some(s), true) if Security::parse(s)? != Security::Tls => {
                return Err(EmailFailure::Config(
                    "smtps:// is implicit TLS: drop security= or use smtp://".into(),
                )
                .into())
            }
            (_, true) => Security::Tls,
            (None, false) => Security::StartTls,
        };
        let username = Some(percent_decode(parsed.username())).filter(|u| !u.is_empty());
        let password = parsed
            .password()
            .map(|p| SecretString::new(percent_decode(p)));
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| EmailFailure::Config("the SMTP URL names no host".into()))?
            .trim_matches(['[', ']'])
            .to_owned();
        Self::build(host, parsed.port(), security, username, password, fields)
    }

    /// Reads a `smtp:` section: `host`, `port`, `security`, `username`,
    /// `password`, `from`, `reply_to`, `ca_file`, `timeout` (seconds).
    ///
    /// # Errors
    ///
    /// [`crate::Error::Email`] ([`EmailFailure::Config`]) naming the key
    /// that is missing or of the wrong type.
    pub fn from_value(section: &Value) -> crate::Result<Self> {
        let map = section.as_map().ok_or_else(|| {
            EmailFailure::Config("the smtp section must be a mapping of settings".into())
        })?;
        let mut fields = Fields::default();
        let mut host = None;
        let mut port = None;
        let mut username = None;
        let mut password = None;
        for (key, value) in map.iter() {
            let Some(key) = key.as_str() else {
                return Err(EmailFailure::Config("smtp keys must be strings".into()).into());
            };
            let text = || -> Result<String, EmailFailure> {
                match value {
                    Value::Str(s) => Ok(s.clone()),
                    Value::Int(i) => Ok(i.to_string()),
                    Value::Float(f) => Ok(f.to_string()),
                    _ => Err(EmailFailure::Config(format!("smtp.{key} must be a string"))),
                }
            };
            match key {
                "host" => host = Some(text()?),
                "port" => port = Some(parse_port(&text()?)?),
                "username" => username = Some(text()?).filter(|u| !u.is_empty()),
                "password" => password = Some(SecretString::new(text()?)),
                _ => fields.set(key, text()?)?,
            }
        }
        let host = host.ok_or_else(|| EmailFailure::Config("smtp.host is missing".into()))?;
        let security = match &fields.security {
            Some(s) => Security::parse(s)?,
            None => Security::StartTls,
        };
        Self::build(host, port, security, username, password, fields)
    }

    fn build(
        host: String,
        port: Option<u16>,
        security: Security,
        username: Option<String>,
        password: Option<SecretString>,
        fields: Fields,
    ) -> crate::Result<Self> {
        let from = fields
            .from
            .ok_or_else(|| EmailFailure::Config("the sender (from) is missing".into()))?;
        let as_config = |e: EmailFailure| EmailFailure::Config(e.to_string());
        super::message::mailbox(&from, "from").map_err(as_config)?;
        if let Some(reply_to) = &fields.reply_to {
            super::message::mailbox(reply_to, "reply_to").map_err(as_config)?;
        }
        if password.is_some() && username.is_none() {
            return Err(EmailFailure::Config("an SMTP password needs a username".into()).into());
        }
        if security == Security::None && !is_local(&host) {
            return Err(EmailFailure::Config(format!(
                "security none sends mail in plain text: only for a server on this machine, \
                 not {host}; use starttls or tls"
            ))
            .into());
        }
        if security == Security::None && username.is_some() {
            return Err(EmailFailure::Config(
                "SMTP credentials are never sent in plain text: use starttls or tls".into(),
            )
            .into());
        }
        Ok(SmtpConfig {
            host,
            port: port.unwrap_or(security.default_port()),
            security,
            username,
            password,
            from,
            reply_to: fields.reply_to,
            ca_file: fields.ca_file.map(PathBuf::from),
            timeout: fields.timeout.unwrap_or(DEFAULT_TIMEOUT),
        })
    }
}

/// The settings a URL query and a section share.
#[derive(Default)]
struct Fields {
    security: Option<String>,
    from: Option<String>,
    reply_to: Option<String>,
    ca_file: Option<String>,
    timeout: Option<Duration>,
}

impl Fields {
    fn set(&mut self, key: &str, value: String) -> Result<(), EmailFailure> {
        match key {
            "security" => self.security = Some(value),
            "from" => self.from = Some(value),
            "reply_to" => self.reply_to = Some(value),
            "ca_file" => self.ca_file = Some(value),
            "timeout" => {
                let seconds: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 600.0)
                    .ok_or_else(|| {
                        EmailFailure::Config(format!(
                            "smtp timeout must be a number of seconds up to 600, not '{value}'"
                        ))
                    })?;
                self.timeout = Some(Duration::from_secs_f64(seconds));
            }
            other => {
                return Err(EmailFailure::Config(format!(
                    "unknown smtp setting '{other}' (host, port, security, username, password, \
                     from, reply_to, ca_file, timeout)"
                )))
            }
        }
        Ok(())
    }
}

fn parse_port(text: &str) -> Result<u16, EmailFailure> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| EmailFailure::Config(format!("smtp port must be 1 to 65535, not '{text}'")))
}

/// Whether `host` is this machine.
fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn config_error(result: crate::Result<SmtpConfig>) -> String {
        match result {
            Err(Error::Email(EmailFailure::Config(m))) => m,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn urls_name_every_setting() {
        let c = SmtpConfig::from_url(
            "smtps://me%40x.org:p%26s+s@mail.x.org:2465?from=a@x.org&reply_to=b@x.org&timeout=3",
        )
        .unwrap();
        assert_eq!(c.host, "mail.x.org");
        assert_eq!((c.port, c.security), (2465, Security::Tls));
        assert_eq!(c.username.as_deref(), Some("me@x.org"));
        assert_eq!(c.password.as_ref().unwrap().expose(), "p&s+s");
        assert_eq!(c.reply_to.as_deref(), Some("b@x.org"));
        assert_eq!(c.timeout, Duration::from_secs(3));
        let local =
            SmtpConfig::from_url("smtp://127.0.0.1:2525?from=a@x.org&security=none").unwrap();
        assert_eq!(local.security, Security::None);
    }

    #[test]
    fn bad_settings_are_named_and_never_show_the_password() {
        for (url, expected) in [
            ("http://x.org?from=a@x.org", "smtp://"),
            ("smtp://x.org", "sender"),
            ("smtp://x.org?from=nobody", "from"),
            ("smtp://x.org?from=a@x.org&security=none", "plain text"),
            (
                "smtp://u:pw-secret@127.0.0.1?from=a@x.org&security=none",
                "plain text",
            ),
            ("smtp://x.org?from=a@x.org&bogus=1", "unknown smtp setting"),
            ("smtp://x.org?from=a@x.org&timeout=-1", "timeout"),
            ("smtp://x.org?from=a@x.org%0D%0ABcc:%20c@evil.org", "from"),
        ] {
            let message = config_error(SmtpConfig::from_url(url));
            assert!(message.contains(expected), "{url}: {message}");
            assert!(!message.contains("pw-secret"), "{message}");
        }
    }

    #[test]
    fn sections_read_like_urls() {
        let yaml = "host: mail.x.org\nport: 25\nsecurity: starttls\nusername: me\npassword: pw\nfrom: App <a@x.org>\n";
        let value = crate::yaml::parse(yaml, std::path::Path::new("c.yaml")).unwrap();
        let c = SmtpConfig::from_value(&value).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("mail.x.org", 25));
        assert_eq!(c.from, "App <a@x.org>");
        let missing =
            crate::yaml::parse("from: a@x.org\n", std::path::Path::new("c.yaml")).unwrap();
        assert!(config_error(SmtpConfig::from_value(&missing)).contains("smtp.host"));
    }
}
