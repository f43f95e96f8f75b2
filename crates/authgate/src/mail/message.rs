//! One email: addresses checked, headers that cannot be injected into.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::EmailFailure;

/// What to send to one person.
#[derive(Clone)]
pub struct Email<'a> {
    /// The recipient: `ann@example.com` or `Ann Lee <ann@example.com>`.
    pub to: &'a str,
    /// One line; never holds a secret (subjects are logged by servers).
    pub subject: &'a str,
    /// The plain-text body.
    pub text: &'a str,
    /// An HTML body beside it, if any.
    pub html: Option<&'a str>,
}

impl std::fmt::Debug for Email<'_> {
    // Bodies carry codes and passwords: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Parses an address (`a@x.org`, `Name <a@x.org>`); `what` names it in the
/// error. Line breaks are refused before parsing: they are how a header is
/// smuggled into a message (`a@x.org\r\nBcc: …`).
pub(super) fn mailbox(text: &str, what: &str) -> Result<Mailbox, EmailFailure> {
    if text.chars().any(char::is_control) {
        return Err(EmailFailure::InvalidAddress(format!(
            "{what} holds a line break or control character"
        )));
    }
    text.trim()
        .parse()
        .map_err(|_| EmailFailure::InvalidAddress(format!("{what} is not an email address")))
}

/// A display name for a mailbox: control characters (line breaks) dropped.
#[cfg_attr(not(feature = "mail"), allow(dead_code))] // for the transport
pub(super) fn display_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Builds the message from `from` (and `reply_to`) to `email.to`.
#[cfg_attr(not(feature = "mail"), allow(dead_code))] // for the transport
pub(super) fn build(
    from: &Mailbox,
    reply_to: Option<&Mailbox>,
    email: &Email<'_>,
) -> Result<Message, EmailFailure> {
    if email.subject.chars().any(char::is_control) {
        return Err(EmailFailure::InvalidHeader(
            "the subject holds a line break or control character".into(),
        ));
    }
    let mut builder = Message::builder()
        .from(from.clone())
        .to(mailbox(email.to, "the recipient")?)
        .subject(email.subject);
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(email.text.to_owned());
    let built = match email.html {
        None => builder.singlepart(text),
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.to_owned()),
            ),
        ),
    };
    built.map_err(|e| EmailFailure::InvalidHeader(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_cannot_be_injected() {
        let from = mailbox("App <app@x.org>", "from").unwrap();
        for to in [
            "a@x.org\r\nBcc: e@evil.org",
            "a@x.org\nBcc: e@evil.org",
            "nobody",
        ] {
            let email = Email {
                to,
                subject: "Hi",
                text: "t",
                html: None,
            };
            assert!(build(&from, None, &email).is_err(), "{to:?}");
        }
        let email = Email {
            to: "a@x.org",
            subject: "Hi\r\nBcc: e@evil.org",
            text: "t",
            html: None,
        };
        assert!(matches!(
            build(&from, None, &email),
            Err(EmailFailure::InvalidHeader(_))
        ));
        assert_eq!(display_name("Ann\r\nBcc: x"), "AnnBcc: x");
    }

    #[test]
    fn a_message_has_both_bodies() {
        let from = mailbox("App <app@x.org>", "from").unwrap();
        let email = Email {
            to: "Ann Lee <ann@x.org>",
            subject: "Your code",
            text: "code 123456",
            html: Some("<p>code <b>123456</b></p>"),
        };
        let raw = String::from_utf8(build(&from, None, &email).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("To: \"Ann Lee\" <ann@x.org>") || raw.contains("To: Ann Lee <ann@x.org>"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(!format!("{email:?}").contains("123456"));
    }
}
