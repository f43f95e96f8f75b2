//! What a username, an email address and a person's name may be:
//! streamlit-authenticator 0.4.2's rules, decided here once.
//!
//! The Python `Validator` relays to these (an app may still pass its own
//! subclass), and an operator's new account ([`crate::admin`], the CLI's
//! `users add`) and the store's pre-authorized emails are checked by the
//! same rules.
//!
//! - A **username** ([`valid_username`]) is 1 to [`USERNAME_MAX_CHARS`]
//!   ASCII letters, digits, `_` or `-`, or else an email address (so that
//!   `register_user(merge_username_email=True)` works).
//! - An **email** ([`valid_email`]) is a local part of 1 to
//!   [`EMAIL_LOCAL_MAX_CHARS`] ASCII letters, digits or `._%+-`, an `@`,
//!   and a domain: 1 to [`EMAIL_DOMAIN_MAX_CHARS`] ASCII letters, digits,
//!   `.` or `-`, then a last `.` and a top-level domain of 2 to
//!   [`EMAIL_TLD_MAX_CHARS`] ASCII letters. A local part with a non-ASCII
//!   letter (`zoë@example.com`) is refused, as 0.4.2 refuses it.
//! - A **name** ([`valid_name`]) is [`NAME_MIN_CHARS`] to
//!   [`NAME_MAX_CHARS`] characters, each an ASCII letter, a letter of the
//!   Latin-1 supplement and Latin extended A and B (U+00C0–U+024F), of the
//!   blocks from Greek to Greek extended (U+0370–U+1FFF) or from Glagolitic
//!   to the Hangul syllables (U+2C00–U+D7FF, CJK included), an apostrophe
//!   (`'`, not `’`), a space, a dot or a hyphen. These are 0.4.2's ranges
//!   as they are, odd members (`×`, `÷`) included.
//! - [`valid_length`] is 0.4.2's `validate_length`: a number of characters
//!   in a range, on one line.
//!
//! Lengths count characters (Unicode scalar values), as Python counts a
//! `str`. Each rule is 0.4.2's regular expression read as Python reads it,
//! with one difference: Python's `$` also matches before a final newline,
//! so 0.4.2 accepted `"bob\n"` as a username (and a valid email or name
//! followed by `"\n"`); here a newline anywhere is refused, as the password
//! rule ([`crate::password_policy::default`]) refuses it.
//!
//! ```
//! use authgate::identity_rules::{valid_email, valid_name, valid_username};
//! assert!(valid_username("jsmith"));
//! assert!(valid_username("jsmith@gmail.com"));
//! assert!(!valid_username("j smith"));
//! assert!(!valid_username("bob\n"));
//! assert!(!valid_email("o'neil@mail.example.org"));
//! assert!(valid_email("oneil+news@mail.example.org"));
//! assert!(valid_name("Zoë O'Neil-Smith"));
//! assert!(valid_name("王小明"));
//! assert!(!valid_name("R2D2"));
//! ```

use crate::error::{Error, Result};

/// Most characters of a username that is not an email address.
pub const USERNAME_MAX_CHARS: usize = 20;
/// Fewest characters of a first or last name.
pub const NAME_MIN_CHARS: usize = 2;
/// Most characters of a first or last name.
pub const NAME_MAX_CHARS: usize = 100;
/// Most characters before the `@` of an email address.
pub const EMAIL_LOCAL_MAX_CHARS: usize = 254;
/// Most characters of an email's domain before its last `.`.
pub const EMAIL_DOMAIN_MAX_CHARS: usize = 253;
/// Fewest letters of an email's top-level domain.
pub const EMAIL_TLD_MIN_CHARS: usize = 2;
/// Most letters of an email's top-level domain.
pub const EMAIL_TLD_MAX_CHARS: usize = 63;

/// Whether `username` is 1 to [`USERNAME_MAX_CHARS`] of `[A-Za-z0-9_-]`,
/// or an email address ([`valid_email`]).
///
/// ```
/// use authgate::identity_rules::valid_username;
/// assert!(valid_username(&"a".repeat(20)));
/// assert!(!valid_username(&"a".repeat(21)));
/// assert!(valid_username("first.last@example.com"));
/// assert!(!valid_username("first.last"));
/// ```
#[must_use]
pub fn valid_username(username: &str) -> bool {
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    counted(username, 1, USERNAME_MAX_CHARS, plain) || valid_email(username)
}

/// Whether `email` is an address as 0.4.2 reads one (see the module's
/// overview): `local@domain.tld`, in ASCII.
///
/// ```
/// use authgate::identity_rules::valid_email;
/// assert!(valid_email("jsmith@gmail.com"));
/// assert!(!valid_email("jsmith@localhost"));
/// assert!(!valid_email("zoë@example.com"));
/// ```
#[must_use]
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    // The top-level domain holds no dot, so it follows the last one.
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    let local_char = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let host_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    counted(local, 1, EMAIL_LOCAL_MAX_CHARS, local_char)
        && counted(host, 1, EMAIL_DOMAIN_MAX_CHARS, host_char)
        && counted(tld, EMAIL_TLD_MIN_CHARS, EMAIL_TLD_MAX_CHARS, |c: char| {
            c.is_ascii_alphabetic()
        })
}

/// Whether `name` is [`NAME_MIN_CHARS`] to [`NAME_MAX_CHARS`] letters of
/// 0.4.2's ranges, spaces, apostrophes, dots or hyphens.
///
/// ```
/// use authgate::identity_rules::valid_name;
/// assert!(valid_name("Al"));
/// assert!(!valid_name("A"));
/// assert!(valid_name("Ἀλέξανδρος"));
/// assert!(!valid_name("Smith\n"));
/// ```
#[must_use]
pub fn valid_name(name: &str) -> bool {
    counted(name, NAME_MIN_CHARS, NAME_MAX_CHARS, name_char)
}

/// [`valid_username`], refusing with a message that says what a username
/// may be (for an operator's new account).
///
/// # Errors
///
/// [`Error::InvalidInput`] if `username` is not valid.
pub fn check_username(username: &str) -> Result<()> {
    if valid_username(username) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "{username:?} is not a valid username: use 1 to {USERNAME_MAX_CHARS} letters, \
         digits, '_' or '-', or an email address"
    )))
}

/// [`valid_email`], refusing with a message that names the value.
///
/// # Errors
///
/// [`Error::InvalidInput`] if `email` is not an address.
pub fn check_email(email: &str) -> Result<()> {
    if valid_email(email) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "{email:?} is not an email address"
    )))
}

/// Whether `value` has `min` to `max` characters and no newline: 0.4.2's
/// `validate_length` (`^.{min,max}$`, whose `.` is anything but a
/// newline), without the newline its `$` let through at the end.
///
/// ```
/// use authgate::identity_rules::valid_length;
/// assert!(valid_length("abc", 1, 3));
/// assert!(!valid_length("abcd", 1, 3));
/// assert!(!valid_length("ab\n", 1, 3));
/// assert!(valid_length("", 0, 254));
/// ```
#[must_use]
pub fn valid_length(value: &str, min: usize, max: usize) -> bool {
    counted(value, min, max, |c| c != '\n')
}

/// Whether `value` has `min` to `max` characters, each one `allowed`.
fn counted(value: &str, min: usize, max: usize, allowed: impl Fn(char) -> bool) -> bool {
    let mut n = 0;
    for c in value.chars() {
        n += 1;
        if n > max || !allowed(c) {
            return false;
        }
    }
    n >= min
}

/// A character 0.4.2's name expression takes.
fn name_char(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(
            c,
            '\u{C0}'..='\u{24F}' | '\u{370}'..='\u{1FFF}' | '\u{2C00}'..='\u{D7FF}' | '\'' | ' ' | '.' | '-'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_twenty_plain_characters_or_an_email() {
        assert!(valid_username("a"));
        assert!(valid_username("j_smith-2"));
        assert!(valid_username(&"x".repeat(USERNAME_MAX_CHARS)));
        assert!(!valid_username(&"x".repeat(USERNAME_MAX_CHARS + 1)));
        // Longer than twenty, but an address.
        assert!(valid_username("a.very.long.name.indeed@example.com"));
        assert!(valid_username("JSmith@Gmail.COM"));
        for refused in [
            "",
            " ",
            "j smith",
            "j.smith",
            "jsmith!",
            "zoë",
            "名前",
            "bob\n",
            "bob\r",
            "\nbob",
            "a@b",
            "jsmith@gmail.com\n",
        ] {
            assert!(!valid_username(refused), "{refused:?}");
        }
    }

    #[test]
    fn emails_are_0_4_2s_ascii_addresses() {
        for accepted in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "100%_sure-@x-y.io",
            "a@b..co",         // 0.4.2 takes a doubled dot in the domain
            ".a.@example.com", // and dots anywhere in the local part
            &format!("{}@{}.{}", "l".repeat(254), "d".repeat(253), "t".repeat(63)),
        ] {
            assert!(valid_email(accepted), "{accepted:?}");
        }
        for refused in [
            "",
            "@example.com",
            "a@",
            "a@.com",
            "a@example",
            "a@example.c",
            "a@example.c0m",
            "a@example.com.",
            "a@@example.com",
            "a@b@example.com",
            "a b@example.com",
            "zoë@example.com",
            "a@exämple.com",
            "jsmith@gmail.com\n",
            "jsmith@gmail.com ",
            &format!("{}@example.com", "l".repeat(255)),
            &format!("a@{}.com", "d".repeat(254)),
            &format!("a@example.{}", "t".repeat(64)),
        ] {
            assert!(!valid_email(refused), "{refused:?}");
        }
    }

    #[test]
    fn names_take_accents_greek_cjk_and_apostrophes() {
        for accepted in [
            "Al",
            "Zoë",
            "O'Neil",
            "Jean-Luc Picard",
            "J. R. R. Tolkien",
            "Ærøskøbing",
            "Łukasz",
            "Ἀλέξανδρος",
            "Дмитрий",
            "王小明",
            "김민준",
            "×÷", // 0.4.2's range U+00C0–U+024F holds them too
            &"a".repeat(NAME_MAX_CHARS),
        ] {
            assert!(valid_name(accepted), "{accepted:?}");
        }
        for refused in [
            "",
            "A",
            "王",
            "R2D2",
            "O’Neil", // the typographic apostrophe is not 0.4.2's
            "Smith\n",
            "Smith\t",
            "Bob!",
            "😀😀",
            &"a".repeat(NAME_MAX_CHARS + 1),
        ] {
            assert!(!valid_name(refused), "{refused:?}");
        }
    }

    #[test]
    fn lengths_count_characters_on_one_line() {
        assert!(valid_length("", 0, 0));
        assert!(!valid_length("", 1, 5));
        assert!(valid_length("ééé", 3, 3), "characters, not bytes");
        assert!(valid_length("a\rb", 3, 3));
        assert!(!valid_length("a\nb", 0, 254));
        assert!(!valid_length("abc\n", 0, 254));
    }

    #[test]
    fn checks_say_what_is_wrong() {
        assert!(check_username("jsmith").is_ok());
        let refused = check_username("j smith").unwrap_err().to_string();
        assert!(
            refused.contains("\"j smith\" is not a valid username"),
            "{refused}"
        );
        assert!(refused.contains("1 to 20 letters"), "{refused}");
        assert!(check_email("a@b.co").is_ok());
        assert_eq!(
            check_email("no address").unwrap_err().to_string(),
            "\"no address\" is not an email address"
        );
    }
}
