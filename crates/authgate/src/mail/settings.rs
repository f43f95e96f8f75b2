//! The `smtp` settings a store keeps: a config's `smtp:` section, or the
//! `smtp` row of a database's `settings` table — the same mapping either way.

use std::fmt;

use super::SmtpConfig;
use crate::error::Result;
use crate::yaml::{Map, Value};

/// What a shown password is replaced with.
const REDACTED: &str = "<redacted>";

/// The `smtp` settings of a store: the mapping [`SmtpConfig::from_value`]
/// reads (`host`, `port`, `security`, `username`, `password`, `from`,
/// `reply_to`, `ca_file`, `timeout`), kept as written.
///
/// Made with [`SmtpSettings::new`], which refuses settings the mailer could
/// not use, so a store never takes bad ones; read from a store, they are
/// what it holds (a hand-edited `config.yaml` may hold anything, which
/// [`SmtpSettings::config`] then names). Its `Debug` never shows the
/// password.
///
/// ```
/// use authgate::mail::SmtpSettings;
/// let section = authgate::yaml::parse(
///     "host: mail.example.com\nusername: app\npassword: s3cret\nfrom: app@example.com\n",
///     "smtp".as_ref(),
/// )?;
/// let settings = SmtpSettings::new(section)?;
/// assert_eq!(settings.config()?.port, 587);
/// assert!(!format!("{settings:?}").contains("s3cret"));
/// # Ok::<(), authgate::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct SmtpSettings {
    section: Value,
}

impl SmtpSettings {
    /// Settings to store, checked as the mailer reads them.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Email`] ([`super::EmailFailure::Config`]) naming what
    /// is wrong (a missing host or sender, a port out of range, an unknown
    /// security, a password in plain text…); never the password.
    pub fn new(section: Value) -> Result<Self> {
        SmtpConfig::from_value(&section)?;
        Ok(SmtpSettings { section })
    }

    /// Settings as a store holds them, unchecked.
    pub(crate) fn stored(section: Value) -> Self {
        SmtpSettings { section }
    }

    /// The mailer's configuration.
    ///
    /// # Errors
    ///
    /// As [`SmtpConfig::from_value`]: settings a hand edit made unusable.
    pub fn config(&self) -> Result<SmtpConfig> {
        SmtpConfig::from_value(&self.section)
    }

    /// The mapping, password included: for the mailer, never for display
    /// (see [`SmtpSettings::redacted`]).
    pub fn section(&self) -> &Value {
        &self.section
    }

    /// The mapping with the password replaced by `<redacted>`, for display.
    /// Settings that are not a mapping are replaced whole: where a secret
    /// sits in them cannot be told.
    #[must_use]
    pub fn redacted(&self) -> Value {
        let Value::Map(map) = &self.section else {
            return Value::Str(REDACTED.into());
        };
        let shown: Map = map
            .iter()
            .map(|(key, value)| {
                let value = if key.as_str() == Some("password") {
                    Value::Str(REDACTED.into())
                } else {
                    value.clone()
                };
                (key.clone(), value)
            })
            .collect();
        Value::Map(shown)
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SmtpSettings")
            .field(&self.redacted())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::EmailFailure;
    use crate::Error;

    fn section(yaml: &str) -> Value {
        crate::yaml::parse(yaml, std::path::Path::new("smtp")).unwrap()
    }

    #[test]
    fn settings_are_checked_and_their_password_never_shown() {
        let good = section(
            "host: mail.x.org\nport: 2525\nsecurity: tls\nusername: me\npassword: pw-s3cret\nfrom: a@x.org\n",
        );
        let settings = SmtpSettings::new(good.clone()).unwrap();
        assert_eq!(settings.section(), &good);
        assert_eq!(settings.config().unwrap().port, 2525);
        let shown = format!("{settings:?} {:?}", settings.redacted());
        assert!(!shown.contains("pw-s3cret"), "{shown}");
        assert!(shown.contains("<redacted>") && shown.contains("mail.x.org"));
        assert_eq!(
            settings.redacted().as_map().unwrap().get("port"),
            Some(&Value::Int(2525))
        );
        for (yaml, expected) in [
            ("host: x.org\nport: 70000\nfrom: a@x.org\n", "port"),
            ("host: x.org\nsecurity: bogus\nfrom: a@x.org\n", "security"),
            ("host: x.org\n", "sender"),
            (
                "host: x.org\nusername: u\npassword: pw-s3cret\nsecurity: none\nfrom: a@x.org\n",
                "plain text",
            ),
        ] {
            match SmtpSettings::new(section(yaml)) {
                Err(Error::Email(EmailFailure::Config(m))) => {
                    assert!(m.contains(expected), "{yaml}: {m}");
                    assert!(!m.contains("pw-s3cret"), "{m}");
                }
                other => panic!("{yaml}: {other:?}"),
            }
        }
    }

    #[test]
    fn odd_stored_settings_are_redacted_whole() {
        let odd = SmtpSettings::stored(Value::Str("smtp://u:pw-s3cret@x.org".into()));
        assert!(!format!("{odd:?}").contains("pw-s3cret"));
        assert!(odd.config().is_err());
    }
}
