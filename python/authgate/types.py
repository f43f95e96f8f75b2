"""The dicts authgate's core hands to Python, as ``TypedDict`` types.

Each dict ``authgate._core`` returns has one of these shapes (its stub,
``_core.pyi``, names them), and so do the users and passkeys the widgets
return. An app may import them to annotate its own code::

    from authgate.types import User

    def greeting(user: User) -> str:
        return f"Hello {user['name'] or user['username']}"

At runtime they are plain ``dict`` objects: the types only describe them.
Times are Unix seconds (``float``).

Three are sections of a config file handed back as stored: ``UserRecord``,
``SmtpSettings`` and ``OAuth2ProviderSettings``. They are typed as the
documented format has them; the core checks some of their keys when it
reads them (noted on each), and a hand-edited file may hold other values
under the rest.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, TypedDict

__all__ = [
    "AuditEvent",
    "CodeDelivery",
    "CodePurpose",
    "DetailField",
    "OAuth2ProviderSettings",
    "OAuth2Settings",
    "PasskeyInfo",
    "PasswordStrength",
    "Settings",
    "SmtpSettings",
    "TotpEnrolment",
    "User",
    "UserRecord",
    "UserSession",
    "UserSummary",
]

CodePurpose: TypeAlias = Literal["register", "forgot_password", "forgot_username", "login"]
"""The action a mailed code unlocks (``CodeChallenge.purpose``)."""

DetailField: TypeAlias = Literal["first_name", "last_name", "email"]
"""The fields ``Authenticator.update_details`` changes; the core refuses any other."""


class User(TypedDict):
    """A user's public fields, as every call that returns a user gives them
    (never the password or its hash)."""

    username: str
    """Lower-cased: the key the user is stored under."""
    name: str | None
    """First and last name joined, else the single ``name`` of configs
    older than 0.4; ``None`` when there is neither."""
    email: str | None
    first_name: str | None
    last_name: str | None
    roles: list[str] | None
    """``None`` for a user without roles (a config's ``roles: null``)."""


class UserSummary(User):
    """A user as ``Authenticator.find_users`` lists them (the admin page)."""

    locked_until: float | None
    """Until when the account is locked, by failed logins or an
    administrator (``inf``: until unlocked); ``None`` when it is not."""
    sessions: int
    """How many of the user's sessions have not expired."""


class UserSession(TypedDict):
    """One of a user's sessions (``Authenticator.sessions_of_user``)."""

    id: str
    """The server-side session id; never shown to the browser."""
    created: float
    last_seen: float
    expires: float
    device: str
    """The browser and system in words, from the login's ``User-Agent``."""


class AuditEvent(TypedDict):
    """One entry of the audit trail (``Authenticator.audit_trail``)."""

    time: float
    kind: str
    """What happened: ``login``, ``login_failed``, ``locked``, ``logout``,
    ``register``, ``details_updated``…"""
    username: str | None
    """Whom it concerns, if known."""
    detail: str | None
    """Why, for refusals; what changed, for changes."""


class PasskeyInfo(TypedDict):
    """A passkey as its owner's list shows it."""

    credential_id: str
    """Base64url; what ``rename_passkey`` and ``remove_passkey`` take."""
    name: str
    """The name its owner gave it."""
    rp_id: str
    """The domain it signs in to."""
    created: float
    last_used: float | None
    """``None`` until it first signs its owner in."""


class TotpEnrolment(TypedDict):
    """An authenticator app being set up (``Authenticator.begin_totp_enrolment``);
    nothing is stored until ``confirm_totp_enrolment``."""

    pending: str
    """The set-up, sealed: pass it back to ``confirm_totp_enrolment``."""
    uri: str
    """The ``otpauth://`` URI; it holds the secret (show it, never log it)."""
    secret_base32: str
    """The secret, for typing into the app by hand."""
    qr_png: bytes
    """The URI as a QR code (PNG)."""
    expires: float


class CodeDelivery(TypedDict):
    """What to mail for a code the core issued (``issue_code``,
    ``login_with_email_code``); the code is not kept anywhere else."""

    email: str
    """The address to mail."""
    code: str
    user: User | None
    """The account asked for; ``None`` when registering an address."""


class PasswordStrength(TypedDict):
    """The NIST SP 800-63B rule's verdict on a password (``password_strength``)."""

    accepted: bool
    score: int
    """zxcvbn's score: 0 (guessable in a few tries) to 4 (very unguessable)."""
    problems: list[str]
    """What is wrong, in the order the rule checks; empty when accepted."""
    suggestions: list[str]
    """zxcvbn's advice for a stronger password."""


class Settings(TypedDict):
    """A store's cookie settings (``Store.settings``): a config's ``cookie``
    section and ``api_key``, a database's ``settings`` table. ``None``
    where the store names none."""

    cookie_name: str | None
    cookie_key: str | None
    cookie_expiry_days: float | None
    api_key: str | None


class UserRecord(TypedDict, total=False):
    """A user's whole stored record (``Store.user_record``): the keys below
    where the record has them, and any other key it holds (an app's own,
    authgate's ``authgate`` state in dict mode).

    The core checks ``password``, ``email``, ``roles``,
    ``failed_login_attempts`` and ``logged_in`` when the store opens; the
    names and the hint are what the file holds (strings, as
    streamlit-authenticator and authgate write them).
    """

    email: str | None
    password: str | None
    """The bcrypt hash (or a plaintext password not hashed yet); absent for guests."""
    first_name: str | None
    last_name: str | None
    name: str | None
    """The single name of configs older than 0.4."""
    roles: list[str] | str | None
    password_hint: str | None
    failed_login_attempts: int | None
    logged_in: bool | None
    email_verified: bool
    """``False`` while a registration's email awaits verification."""


# `from` is a keyword: this one is declared with the functional syntax.
SmtpSettings = TypedDict(
    "SmtpSettings",
    {
        "host": str,
        "port": int,
        "security": str,
        "username": str,
        "password": str,
        "from": str,
        "reply_to": str,
        "ca_file": str,
        "timeout": float,
    },
    total=False,
)
"""An ``smtp:`` section (``Authenticator.smtp_settings``, and what
``Mailer`` takes): ``host`` and ``from`` are required, ``security`` is
``starttls`` (the default), ``tls`` or ``none``, ``timeout`` is in
seconds. Checked when a ``Mailer`` is made from it."""


class OAuth2ProviderSettings(TypedDict, total=False):
    """One provider's entry of a config's ``oauth2`` section, as
    ``OidcClient`` takes it; checked when the client is made."""

    client_id: str
    client_secret: str
    redirect_uri: str
    tenant_id: str
    """Microsoft only: a tenant GUID or domain, or ``common``,
    ``organizations`` or ``consumers``."""
    server_metadata_url: str
    issuer: str
    scope: str | list[str]
    """Space-separated, or a list; ``openid`` is always asked for."""
    allow_unverified_email: bool


OAuth2Settings: TypeAlias = dict[str, OAuth2ProviderSettings]
"""A config's ``oauth2`` section (``oauth2_settings``): each provider's
settings by its name (``google``, ``microsoft`` or another)."""
