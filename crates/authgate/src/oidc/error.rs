//! Why an OpenID Connect login was refused.
//!
//! [`OidcFailure`] is not an error type of its own: it is carried by
//! [`crate::Error::Oidc`], a variant of the one error type of the core, and
//! every function of [`crate::oidc`] returns [`crate::Result`].

use crate::error::Error;

/// The refusals of an OpenID Connect guest login, carried by
/// [`Error::Oidc`].
///
/// Errors of the core met on the way (limits, store, randomness) are not
/// here: they are the other variants of [`Error`].
///
/// Messages are meant for the person logging in and for the operator's log:
/// they say what went wrong in fixed words and never contain the client
/// secret, the authorization code, a token, the PKCE verifier, the `nonce` or
/// the `state`. Text that comes from the provider (an OAuth `error` code) is
/// shown only if it is one of the standard OAuth error codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcFailure {
    /// The `oauth2` settings are missing a value or hold a bad one.
    #[error("OAuth2 configuration error: {0}")]
    Config(String),
    /// The provider could not be reached or answered with an HTTP error.
    #[error("the identity provider could not be reached ({what}): {detail}")]
    Http {
        /// Which request: `discovery`, `keys` or `token`.
        what: &'static str,
        /// What happened, in fixed words (a status code, a timeout, …).
        detail: String,
    },
    /// The provider's discovery document or key set is unusable.
    #[error("the identity provider's {what} is invalid: {detail}")]
    Metadata {
        /// `discovery document` or `key set`.
        what: &'static str,
        /// Which field is wrong and how.
        detail: String,
    },
    /// The `state` of the redirect names no login started in this browser:
    /// forged, replayed, expired, or started in another browser.
    #[error("This login link has expired, was already used or was not started in this browser; please log in again")]
    StateMismatch,
    /// The provider sent the user back with an OAuth error instead of a code
    /// (the user declined, the app is not allowed, …).
    #[error("The identity provider refused the login: {0}")]
    ProviderRefused(String),
    /// The token endpoint refused to exchange the code.
    #[error("The identity provider refused the authorization code: {0}")]
    TokenRefused(String),
    /// The ID token failed a check: signature, issuer, audience, expiry, nonce, ….
    #[error("ID token refused: {0}")]
    IdTokenRefused(&'static str),
    /// The ID token carries no email address the provider vouches for.
    #[error("The identity provider did not supply a verified email address")]
    EmailNotVerified,
    /// A user with a password already has this email (as 0.4.2 says it).
    #[error("User already exists")]
    UserExists,
    /// The guest account with this email belongs to another identity (another
    /// provider, or another person the provider gave the same address).
    #[error("This email's guest account belongs to another sign-in; ask an administrator")]
    IdentityMismatch,
}

impl OidcFailure {
    /// A short name of the refusal for the audit trail (never a secret).
    #[must_use]
    pub fn audit_reason(&self) -> &'static str {
        match self {
            OidcFailure::Config(_) => "config",
            OidcFailure::Http { .. } => "provider_unreachable",
            OidcFailure::Metadata { .. } => "provider_metadata",
            OidcFailure::StateMismatch => "state_mismatch",
            OidcFailure::ProviderRefused(_) => "provider_refused",
            OidcFailure::TokenRefused(_) => "code_refused",
            OidcFailure::IdTokenRefused(reason) => reason,
            OidcFailure::EmailNotVerified => "email_not_verified",
            OidcFailure::UserExists => "user_exists",
            OidcFailure::IdentityMismatch => "identity_mismatch",
        }
    }
}

/// A short name of why an OpenID Connect login failed, for the audit trail:
/// [`OidcFailure::audit_reason`] for a refusal of the flow, `core` for any
/// other error (limits, store, randomness).
pub(crate) fn audit_reason(err: &Error) -> &'static str {
    match err {
        Error::Oidc(failure) => failure.audit_reason(),
        _ => "core",
    }
}

/// The OAuth 2.0 and OpenID Connect error codes we name in messages
/// (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect Core §3.1.2.6).
const KNOWN_ERROR_CODES: &[&str] = &[
    "access_denied",
    "account_selection_required",
    "consent_required",
    "interaction_required",
    "invalid_client",
    "invalid_grant",
    "invalid_request",
    "invalid_request_object",
    "invalid_request_uri",
    "invalid_scope",
    "login_required",
    "registration_not_supported",
    "request_not_supported",
    "request_uri_not_supported",
    "server_error",
    "temporarily_unavailable",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_response_type",
];

/// The error code a provider (or whoever crafted the redirect) sent, if it
/// is a standard one; anything else becomes `unrecognised error`. Only
/// codes from a fixed list reach a message, so neither an echoed secret nor
/// text planted in a link can be shown to the user.
pub(crate) fn oauth_error_code(text: &str) -> String {
    KNOWN_ERROR_CODES
        .iter()
        .find(|code| **code == text)
        .map_or_else(
            || "unrecognised error".to_owned(),
            |code| (*code).to_owned(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standard_error_codes_are_shown() {
        assert_eq!(oauth_error_code("invalid_grant"), "invalid_grant");
        assert_eq!(oauth_error_code("access_denied"), "access_denied");
        assert_eq!(
            oauth_error_code("Call 555-0100 to unlock"),
            "unrecognised error"
        );
        assert_eq!(oauth_error_code("4/0AbCdEf"), "unrecognised error");
        assert_eq!(oauth_error_code(""), "unrecognised error");
    }

    #[test]
    fn messages_are_fixed_words() {
        assert_eq!(OidcFailure::UserExists.to_string(), "User already exists");
        assert_eq!(
            OidcFailure::IdTokenRefused("wrong audience").to_string(),
            "ID token refused: wrong audience"
        );
        assert_eq!(
            OidcFailure::IdTokenRefused("wrong audience").audit_reason(),
            "wrong audience"
        );
    }

    #[test]
    fn the_core_error_shows_the_refusal_as_is() {
        let err = Error::from(OidcFailure::UserExists);
        assert_eq!(err.to_string(), "User already exists");
        assert_eq!(audit_reason(&err), "user_exists");
        let err = Error::from(OidcFailure::IdTokenRefused("expired"));
        assert_eq!(err.to_string(), "ID token refused: expired");
        assert_eq!(audit_reason(&err), "expired");
        assert_eq!(audit_reason(&Error::TooManyUsers), "core");
    }
}
