//! OpenID Connect guest login: the authorization code flow with PKCE,
//! `state` and `nonce`, and ID tokens verified against the provider's keys.
//!
//! This is streamlit-authenticator 0.4.2's `experimental_guest_login` done
//! to the standard. 0.4.2 sent no `state` and no PKCE challenge, read the
//! user from Google's userinfo endpoint, and decoded Microsoft's token
//! without checking its signature. Here:
//!
//! 1. [`OidcClient::begin`] fetches the provider's discovery document
//!    (cached), draws a `state` from the OS random number generator and
//!    seals into it, under a per-process key, its expiry, the client and the
//!    browser's *binding* (see [`new_browser_binding`]); the `nonce` and the
//!    PKCE verifier are derived from it with the same key. Nothing is
//!    stored, so page views that never finish a login cost nothing. It
//!    returns the authorization URL with the S256 challenge. (Not in
//!    Streamlit's `session_state`: the redirect back is a new page load,
//!    hence a new Streamlit session with empty state.)
//! 2. The provider sends the browser back to `redirect_uri?code=…&state=…`.
//!    [`OidcClient::complete`] checks and uses up the `state` (it works
//!    once, expires after [`PENDING_TTL`] seconds and only in the browser
//!    that started it), posts the code and the verifier to
//!    the token endpoint (`client_secret_post`), and verifies the ID token:
//!    RS256 signature by a key of the provider's JWKS (cached per process
//!    for [`JWKS_TTL`], fetched again when a token names an unknown `kid`),
//!    `iss`, `aud`/`azp`, `exp`/`iat`/`nbf` and `nonce` ([`verify_id_token`]).
//! 3. [`Authenticator::guest_login`] registers or updates the guest — a
//!    user without a password, named by their email — and opens a
//!    server-side session as a password login does (same limits, same
//!    lifetime, a cookie token). A password user with that email is refused (`User already
//!    exists`), as in 0.4.2.
//!
//! Providers ([`Provider`]): Google, Microsoft (any tenant; `common` and
//! `organizations` check the tenant-specific issuer against the token's
//! `tid`), and any issuer with a discovery document. All endpoints must be
//! `https` (`http` only to localhost).
//!
//! Errors are the core's one [`Error`]: a refusal of the flow is
//! [`Error::Oidc`] with an [`OidcFailure`] saying why; an error of the core
//! met on the way (limits, store, randomness) is its own variant.
//!
//! No secret — client secret, code, tokens, verifier, nonce, state,
//! binding — appears in a `Debug` output or an error message.
//!
//! Keys come from the JWKS through jsonwebtoken's `Jwk` types. The rest of
//! the protocol is this module's own, not the `openidconnect` crate's (4.1):
//! tried against our fixtures, that crate refuses what providers send and
//! this module accepts — Google's documented bare issuer
//! `accounts.google.com` (it parses `iss` as a URL), `"email_verified":
//! "true"`, a discovery document without `subject_types_supported` — and its
//! token response parses the ID token during the code exchange, so no
//! exchange could avoid those refusals. Its verifier also applies no clock
//! skew to `exp`, skips `nbf` and cannot express Microsoft's `tid` issuer
//! rule. The `oauth2` crate underneath it was tried for PKCE and the
//! exchange alone: it added more glue than the form post it replaced.
//!
//! [`Authenticator::guest_login`]: crate::auth::Authenticator::guest_login

mod config;
mod discovery;
mod error;
mod guest;
mod http;
mod jwks;
mod pending;
mod pkce;
mod verify;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use url::Url;
use zeroize::Zeroizing;

pub use config::{oauth2_section, ClientConfig, Provider, DEFAULT_SCOPES, GOOGLE_ISSUER};
pub use discovery::{IssuerRule, ProviderMetadata};
pub use error::OidcFailure;
pub use guest::GuestLoginRequest;
pub use http::{checked_url, HttpResponse, Transport, UreqTransport, MAX_RESPONSE_BYTES};
pub use jwks::{KeyChoice, KeySet, SigningKey, MAX_RSA_BITS, MIN_RSA_BITS};
pub use pending::{MAX_PENDING, PENDING_TTL};
pub use pkce::{pkce_challenge, SecretString};
pub use verify::{verify_id_token, Expected, Identity, CLOCK_SKEW, MAX_ID_TOKEN_LEN};

use crate::error::{Error, Result};
use error::oauth_error_code;
use pending::{Opened, Pending};
use pkce::{digest, random_token};

/// How long a discovery document is reused before it is fetched again.
pub const METADATA_TTL: Duration = Duration::from_secs(3600);

/// How long a key set is reused before it is fetched again.
pub const JWKS_TTL: Duration = Duration::from_secs(3600);

/// A token naming an unknown `kid` makes us fetch the key set again, but not
/// more often than this: forged tokens must not turn into a flood of
/// requests to the provider.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// Documents fetched from the provider, per process, by URL, with the time
/// each was fetched.
type UrlCache<T> = OnceLock<Mutex<HashMap<String, (Instant, Arc<T>)>>>;

/// Longest authorization code accepted from a redirect.
const MAX_CODE_LEN: usize = 4096;

/// Seconds the browser keeps its binding cookie: a day, well past
/// [`PENDING_TTL`], so no login started while it is set outlives it.
pub const BROWSER_BINDING_MAX_AGE: u64 = 24 * 3600;

/// A new browser binding: 256 random bits, base64url.
///
/// The Streamlit layer keeps it in a cookie (and in the session that starts
/// a login) and passes it to [`OidcClient::begin`] and, as a candidate, to
/// [`OidcClient::complete`]: a redirect carrying a `state` started in another
/// browser is refused, which stops login CSRF and the use of a leaked
/// callback URL.
///
/// # Errors
///
/// [`Error::InvalidInput`] if the OS random number generator fails.
pub fn new_browser_binding() -> Result<String> {
    Ok(random_token()?.expose().to_owned())
}

/// A login started: where to send the browser.
#[derive(Clone)]
pub struct AuthorizationRequest {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// The `state` in that URL.
    pub state: String,
    /// When the `state` stops working, Unix seconds.
    pub expires: f64,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// What the provider's redirect brought back, and the browser's bindings.
#[derive(Clone, Copy, Default)]
pub struct Callback<'a> {
    /// The `state` query parameter.
    pub state: &'a str,
    /// The `code` query parameter.
    pub code: Option<&'a str>,
    /// The `error` query parameter, if the provider refused.
    pub error: Option<&'a str>,
    /// Bindings this browser holds (its cookie, the session's own).
    pub bindings: &'a [&'a str],
}

impl fmt::Debug for Callback<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("state", &"<redacted>")
            .field("code", &self.code.map(|_| "<redacted>"))
            .field("error", &self.error.map(oauth_error_code))
            .field("bindings", &self.bindings.len())
            .finish()
    }
}

/// Who started the login that a redirect's `state` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateOwner {
    /// This client: [`OidcClient::complete`] it.
    This,
    /// Another client (another provider's button in the same app): leave
    /// the redirect to it.
    Other,
    /// Nobody: forged, used, expired, or started in another process.
    Unknown,
}

/// One OAuth client at one OpenID provider.
///
/// Cheap to build: discovery documents and key sets are cached per process,
/// by URL, not per client.
#[derive(Debug, Clone)]
pub struct OidcClient {
    config: ClientConfig,
    transport: Arc<dyn Transport>,
    jwks_refetch_interval: Duration,
}

impl OidcClient {
    /// A client that talks to the provider over HTTPS.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        static TRANSPORT: OnceLock<Arc<UreqTransport>> = OnceLock::new();
        let transport: Arc<dyn Transport> = TRANSPORT.get_or_init(Default::default).clone();
        Self::with_transport(config, transport)
    }

    /// A client over another transport (tests).
    #[must_use]
    pub fn with_transport(config: ClientConfig, transport: Arc<dyn Transport>) -> Self {
        OidcClient {
            config,
            transport,
            jwks_refetch_interval: JWKS_REFETCH_INTERVAL,
        }
    }

    /// Sets how soon a token naming an unknown `kid` may make the key set be
    /// fetched again (default [`JWKS_REFETCH_INTERVAL`]).
    #[must_use]
    pub fn with_jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = interval;
        self
    }

    /// The client's settings.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The provider's discovery document, from the cache if it is fresh.
    ///
    /// # Errors
    ///
    /// [`Error::Oidc`] with [`OidcFailure::Http`] if it cannot be fetched,
    /// [`OidcFailure::Metadata`] if it is unusable.
    pub fn metadata(&self) -> Result<ProviderMetadata> {
        static CACHE: UrlCache<[u8]> = OnceLock::new();
        let url = self.config.provider.metadata_url();
        let cache = CACHE.get_or_init(Default::default);
        let cached = lock(cache)
            .get(&url)
            .filter(|(at, _)| at.elapsed() < METADATA_TTL)
            .map(|(_, body)| Arc::clone(body));
        let body = match cached {
            Some(body) => body,
            None => {
                let endpoint = checked_url("server_metadata_url", &url)?;
                let response = self.transport.get("discovery", &endpoint)?;
                if response.status != 200 {
                    return Err(http_status("discovery", response.status));
                }
                let body: Arc<[u8]> = response.body.into();
                // Parse before caching: a bad document is not kept.
                self.parse_metadata(&body)?;
                lock(cache).insert(url, (Instant::now(), Arc::clone(&body)));
                body
            }
        };
        self.parse_metadata(&body)
    }

    fn parse_metadata(&self, body: &[u8]) -> Result<ProviderMetadata> {
        ProviderMetadata::parse(
            &self.config.provider,
            body,
            self.config.client_secret.is_some(),
        )
    }

    /// Starts a login from the browser holding `binding`: returns the URL to
    /// send the browser to. Nothing is stored: the login's secrets are
    /// sealed into its `state` ([`pending`](self) explains how), so page views
    /// that start logins they never finish cost no memory.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty or oversized binding, or if the
    /// OS random number generator fails; the errors of
    /// [`OidcClient::metadata`].
    pub fn begin(&self, binding: &str, now: f64) -> Result<AuthorizationRequest> {
        if binding.is_empty() || binding.len() > 256 {
            return Err(Error::InvalidInput(
                "the browser binding must be 1 to 256 bytes".into(),
            ));
        }
        let metadata = self.metadata()?;
        let (state, pending) = pending::seal(&self.fingerprint(), binding, now)?;
        let mut url = metadata.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", self.config.redirect_uri.as_str())
            .append_pair("scope", &self.config.scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", pending.nonce.expose())
            .append_pair("code_challenge", &pkce_challenge(pending.verifier.expose()))
            .append_pair("code_challenge_method", "S256");
        Ok(AuthorizationRequest {
            url: url.into(),
            state,
            expires: pending.expires,
        })
    }

    /// Whether `state` is a pending login of this client, of another client
    /// of this process, or neither (unknown, expired or used):
    /// an app with several provider buttons lets each finish only its own.
    #[must_use]
    pub fn state_owner(&self, state: &str, now: f64) -> StateOwner {
        match pending::open(state, &self.fingerprint(), now) {
            Opened::This => StateOwner::This,
            Opened::Other => StateOwner::Other,
            Opened::Unknown => StateOwner::Unknown,
        }
    }

    /// Finishes a login: checks the `state`, exchanges the code and verifies
    /// the ID token. The `state` is used up whatever the outcome.
    ///
    /// # Errors
    ///
    /// [`Error::Oidc`] with:
    /// [`OidcFailure::StateMismatch`] for a `state` that is unknown, used,
    /// expired, of another client or of another browser;
    /// [`OidcFailure::ProviderRefused`] if the redirect carries an error;
    /// [`OidcFailure::TokenRefused`] if the token endpoint refuses the code;
    /// [`OidcFailure::IdTokenRefused`] or [`OidcFailure::EmailNotVerified`] if
    /// the ID token fails a check; [`OidcFailure::Http`] and
    /// [`OidcFailure::Metadata`] for provider trouble.
    pub fn complete(&self, callback: &Callback<'_>, now: f64) -> Result<Identity> {
        let pending = pending::take(callback.state, &self.fingerprint(), callback.bindings, now)?
            .ok_or(OidcFailure::StateMismatch)?;
        if let Some(error) = callback.error {
            return Err(OidcFailure::ProviderRefused(oauth_error_code(error)).into());
        }
        let code = callback
            .code
            .filter(|c| !c.is_empty() && c.len() <= MAX_CODE_LEN)
            .ok_or_else(|| OidcFailure::ProviderRefused("no authorization code".to_owned()))?;
        let metadata = self.metadata()?;
        let id_token = self.exchange(&metadata, code, &pending)?;
        let kid = verify::header_kid(&id_token)?;
        let key = self.signing_key(&metadata.jwks_uri, kid.as_deref())?;
        let expected = Expected {
            issuer: &metadata.issuer_rule,
            client_id: &self.config.client_id,
            nonce: pending.nonce.expose(),
            now,
        };
        verify_id_token(
            &id_token,
            &key,
            &expected,
            self.config.allow_unverified_email,
        )
    }

    /// Posts the code to the token endpoint; returns the ID token.
    fn exchange(
        &self,
        metadata: &ProviderMetadata,
        code: &str,
        pending: &Pending,
    ) -> Result<Zeroizing<String>> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("client_id", self.config.client_id.as_str()),
            ("code_verifier", pending.verifier.expose()),
        ];
        if let Some(secret) = &self.config.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let response = self
            .transport
            .post_form("token", &metadata.token_endpoint, &form)?;
        let body = Zeroizing::new(response.body);
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        if response.status != 200 {
            let code = json
                .as_ref()
                .and_then(|j| j.get("error"))
                .and_then(serde_json::Value::as_str);
            return Err(match code {
                Some(code) => Error::Oidc(OidcFailure::TokenRefused(oauth_error_code(code))),
                None => http_status("token", response.status),
            });
        }
        let id_token = json
            .as_ref()
            .and_then(|j| j.get("id_token"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                OidcFailure::TokenRefused("the response holds no ID token".to_owned())
            })?;
        Ok(Zeroizing::new(id_token.to_owned()))
    }

    /// The key a token naming `kid` is to be verified with.
    fn signing_key(&self, jwks_uri: &Url, kid: Option<&str>) -> Result<SigningKey> {
        static CACHE: UrlCache<KeySet> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let cached = lock(cache)
            .get(jwks_uri.as_str())
            .filter(|(at, _)| at.elapsed() < JWKS_TTL)
            .map(|(at, keys)| (*at, Arc::clone(keys)));
        if let Some((fetched, keys)) = &cached {
            match keys.choose(kid) {
                KeyChoice::Found(key) => return Ok(key.clone()),
                KeyChoice::Ambiguous => return Err(ambiguous()),
                KeyChoice::UnknownKid if fetched.elapsed() < self.jwks_refetch_interval => {
                    return Err(OidcFailure::IdTokenRefused("unknown signing key").into());
                }
                KeyChoice::UnknownKid => {}
            }
        }
        let response = self.transport.get("keys", jwks_uri)?;
        if response.status != 200 {
            return Err(http_status("keys", response.status));
        }
        let keys = Arc::new(KeySet::parse(&response.body)?);
        lock(cache).insert(jwks_uri.to_string(), (Instant::now(), Arc::clone(&keys)));
        match keys.choose(kid) {
            KeyChoice::Found(key) => Ok(key.clone()),
            KeyChoice::Ambiguous => Err(ambiguous()),
            KeyChoice::UnknownKid => Err(OidcFailure::IdTokenRefused("unknown signing key").into()),
        }
    }

    /// Which client a pending login belongs to: provider, client id and
    /// redirect URI.
    fn fingerprint(&self) -> [u8; 32] {
        digest(&format!(
            "{}\n{}\n{}",
            self.config.provider.metadata_url(),
            self.config.client_id,
            self.config.redirect_uri
        ))
    }
}

fn ambiguous() -> Error {
    Error::Oidc(OidcFailure::IdTokenRefused("no key id and several keys"))
}

fn http_status(what: &'static str, status: u16) -> Error {
    Error::Oidc(OidcFailure::Http {
        what,
        detail: format!("HTTP status {status}"),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
