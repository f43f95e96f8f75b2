"""Type stubs for the Rust extension ``authgate._core``.

Every exception derives from ``AuthgateError``. Besides those listed under
*Raises*, any call that reads or writes a store may raise ``StoreError``
(I/O, a lock timeout, a database refusal) or ``ConfigError`` (a config file
edited into something unreadable). The dicts returned are typed in
:mod:`authgate.types`; times are Unix seconds.
"""

from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any, Literal, final

from authgate.types import (
    AuditEvent,
    CodeDelivery,
    CodePurpose,
    DetailField,
    OAuth2Settings,
    PasskeyInfo,
    PasswordStrength,
    Settings,
    SmtpSettings,
    TotpEnrolment,
    User,
    UserRecord,
    UserSession,
    UserSummary,
)

# What the extension module exports (pyo3 lists every name it adds);
# stubtest checks the two agree.
__all__ = [
    "BROWSER_BINDING_MAX_AGE",
    "CODE_TTL",
    "COOKIE_NONCE_CAPACITY",
    "COOKIE_NONCE_TTL",
    "DEFAULT_PASSWORD_MAX_CHARS",
    "DEFAULT_PASSWORD_MIN_CHARS",
    "DEFAULT_PASSWORD_SPECIALS",
    "PASSKEY_CEREMONY_TTL",
    "RESET_LINK_TTL",
    "VERIFY_LINK_TTL",
    "AccountLocked",
    "Authenticator",
    "AuthgateError",
    "CaptchaRefused",
    "CodeChallenge",
    "CodeRefused",
    "ConfigError",
    "CookieNonces",
    "EmailError",
    "EmailTaken",
    "EmailUnverified",
    "InvalidCredentials",
    "InvalidInput",
    "LinkRefused",
    "LoginResult",
    "Mailer",
    "NotAuthorized",
    "NotPreauthorized",
    "OidcClient",
    "OidcError",
    "PasskeyCeremony",
    "PasswordTooLong",
    "SessionExists",
    "Store",
    "StoreError",
    "TokenRefused",
    "TooManyAttempts",
    "TooManyUsers",
    "TotpChallenge",
    "UserNotFound",
    "UsernameTaken",
    "WrongCode",
    "__version__",
    "answer_captcha",
    "check_cookie_name",
    "cookie_headers",
    "cookie_key_weakness",
    "cookie_names_to_read",
    "default_password_accepted",
    "default_password_missing",
    "email_key",
    "hash_password",
    "hash_passwords",
    "is_hash",
    "link_page_address",
    "link_with_token",
    "new_browser_binding",
    "new_captcha",
    "oauth2_settings",
    "page_access",
    "password_strength",
    "username_key",
    "valid_email",
    "valid_length",
    "valid_name",
    "valid_username",
    "verify_password",
]

__version__: str
"""The version of the authgate package."""
CODE_TTL: float
"""Seconds a mailed code works (10 minutes)."""
RESET_LINK_TTL: float
"""Seconds a password-reset link works (30 minutes)."""
VERIFY_LINK_TTL: float
"""Seconds an email-verification link works (24 hours)."""
PASSKEY_CEREMONY_TTL: float
"""Seconds a passkey ceremony takes a response (5 minutes)."""
DEFAULT_PASSWORD_MIN_CHARS: int
"""The default password rule's shortest length."""
DEFAULT_PASSWORD_MAX_CHARS: int
"""The default password rule's longest length."""
DEFAULT_PASSWORD_SPECIALS: str
"""The characters the default password rule counts as special."""
COOKIE_NONCE_TTL: float
"""Seconds a staged HttpOnly cookie operation waits for the browser's POST (60)."""
COOKIE_NONCE_CAPACITY: int
"""Staged HttpOnly cookie operations kept at most; the oldest goes first beyond it."""
BROWSER_BINDING_MAX_AGE: int
"""Seconds the browser keeps its OIDC binding cookie (a day: past any pending login)."""

class AuthgateError(Exception):
    """Base of every authgate error."""

class InvalidCredentials(AuthgateError):
    """Username or password is incorrect (an unknown user, a guest and a wrong
    password are not told apart), or a password given to confirm a change is wrong.
    """

    hint: str | None
    """The user's password hint, when the login asked for it (``with_hint``) and
    the password was wrong; never in the message."""

class AccountLocked(AuthgateError):
    """Too many failed attempts (or an administrator's lock): refused even with
    the right password until the lock ends by itself (or is lifted).
    """

class TooManyAttempts(AuthgateError):
    """The guessing brake makes this client wait before its next password
    attempt; nothing was checked or counted.
    """

class TooManyUsers(AuthgateError):
    """``max_concurrent_users`` live sessions exist already."""

class SessionExists(AuthgateError):
    """``single_session``: the user is logged in elsewhere."""

class NotAuthorized(AuthgateError):
    """The account may not log in this way."""

class TokenRefused(AuthgateError):
    """A cookie token is malformed, forged, expired or revoked."""

class PasswordTooLong(AuthgateError):
    """A password longer than bcrypt's 72 bytes (UTF-8)."""

class InvalidInput(AuthgateError):
    """Input of the wrong shape, or an action the rules refuse (the message
    says which, in 0.4.2's words where it has them); also a stored password that is
    not a bcrypt hash, and a weak cookie key.
    """

class UserNotFound(AuthgateError):
    """No user has this name."""

class UsernameTaken(InvalidInput):
    """The username is taken."""

class EmailTaken(InvalidInput):
    """Another user has this email."""

class NotPreauthorized(InvalidInput):
    """The email is not pre-authorized to register."""

class ConfigError(AuthgateError):
    """The config file is missing, is not valid YAML or not the
    streamlit-authenticator schema, or a database was migrated by a newer authgate.
    """

class StoreError(AuthgateError):
    """The store could not be read or written: I/O, a lock another process held
    past ``lock_timeout``, a database error.
    """

class OidcError(AuthgateError):
    """An OpenID Connect login was refused: bad ``oauth2`` settings, provider
    trouble, a bad ``state`` or ID token, or an email owned by a password user.
    """

class EmailError(AuthgateError):
    """Mail could not be sent, or the SMTP settings are unusable."""

class CodeRefused(AuthgateError):
    """A mailed code expired, was used up or spent, or may not be sent yet; a
    login's second step expired or finished; a second factor that is not (or
    already) set up.
    """

class WrongCode(CodeRefused):
    """Not the code that was mailed (or the authenticator app's), or a refused
    passkey: the challenge takes more tries (``CodeChallenge.tries_left``).
    """

class LinkRefused(AuthgateError):
    """A mailed link is forged, expired or used."""

class CaptchaRefused(AuthgateError):
    """A form's captcha answer is blank, wrong, or for a picture already answered;
    checked first, before anything else the form asks."""

class EmailUnverified(AuthgateError):
    """The password is right, but the account's email awaits verification (a
    registration with ``awaiting_verification``).
    """

def hash_password(password: str) -> str:
    """Hashes ``password`` with bcrypt (``$2b$``, cost 12).

    Raises:
        PasswordTooLong: ``password`` is longer than 72 bytes.
    """

def hash_passwords(passwords: list[str]) -> list[str]:
    """Hashes many passwords on all cores; the hashes come in the same order.

    Raises:
        PasswordTooLong: one is longer than 72 bytes.
    """

def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches the bcrypt hash ``hashed`` (as
    ``bcrypt.checkpw``).

    Raises:
        PasswordTooLong: ``password`` is longer than 72 bytes.
        InvalidInput: ``hashed`` is not a bcrypt hash.
    """

def is_hash(value: str) -> bool:
    """Whether ``value`` looks like a bcrypt hash (streamlit-authenticator's rule)."""

def new_captcha(answer: str | None = None) -> tuple[bytes, str]:
    """A new captcha: ``(png, captcha_id)``. Show the PNG; keep the id
    server-side (``session_state``) for ``answer_captcha``.

    Arguments:
        answer: The 1 to 6 digits it shows (apps that pick their own, tests);
            random by default.

    Raises:
        InvalidInput: ``answer`` is not 1 to 6 digits.
    """

def answer_captcha(
    captcha_id: str, entered: str
) -> tuple[Literal["right", "not_entered", "wrong"], bytes, str]:
    """Answers the captcha ``captcha_id`` with ``entered``.

    The id is used up whatever the verdict; an unknown or expired id is never
    ``"right"``.

    Returns:
        ``(verdict, png, next_id)``: the verdict, then the next captcha to show in
        its place.
    """

_StagedTuple = tuple[Literal["set", "clear"], str, str | None, int, bool]

@final
class CookieNonces:
    """HttpOnly cookie mode's staged operations in this process: each under a
    one-time nonce (256 bits from the OS) that works once, for ``ttl`` seconds,
    for the action it was staged for; at most ``capacity`` kept, the oldest
    evicted first. Every method takes ``now``, a monotonic clock in seconds.

    Raises:
        InvalidInput: ``capacity`` is 0 or ``ttl`` is not a positive number.
    """

    def __new__(cls, ttl: float = ..., capacity: int = ...) -> CookieNonces: ...
    def stage(
        self,
        action: Literal["set", "clear"],
        name: str,
        value: str | None,
        max_age: int,
        secure: bool,
        now: float,
    ) -> str:
        """Keeps the operation; returns the nonce that performs it once.

        Raises:
            InvalidInput: the name is not an RFC 6265 token, or the value holds
                characters a cookie cannot.
            ValueError: ``action`` is neither ``"set"`` nor ``"clear"``.
        """
    def take(self, nonce: str, action: Literal["set", "clear"], now: float) -> _StagedTuple | None:
        """The operation staged under ``nonce`` for ``action`` as ``(action, name,
        value, max_age, secure)``, or ``None``; the nonce is used up whatever the
        answer."""
    def discard(self, nonce: str) -> None:
        """Forgets a nonce that will not be used."""
    def waiting(self, now: float) -> int:
        """How many operations are still waiting at ``now``."""

def cookie_headers(
    action: Literal["set", "clear"],
    name: str,
    value: str | None,
    max_age: int,
    secure: bool,
    request_https: bool,
) -> list[str]:
    """The ``Set-Cookie`` header values that perform an operation: ``__Host-`` and
    ``Secure`` when the page or the request is https (and the unprefixed cookie
    deleted there), always ``HttpOnly``, ``SameSite=Strict``, ``Path=/``.

    Raises:
        InvalidInput: the name or value cannot be sent.
    """

def cookie_names_to_read(name: str, page_https: bool) -> list[str]:
    """The cookie names that may hold the token, best first: on https only
    ``__Host-<name>``."""

def check_cookie_name(name: str) -> None:
    """Raises ``InvalidInput`` unless ``name`` is an RFC 6265 token."""

@final
class Store:
    """A store of users and sessions: a config file, a database, or dict-mode
    credentials in memory. One per source is shared by the whole process.
    """

    @staticmethod
    def open(path: str | PathLike[str], lock_timeout: float | None = None) -> Store:
        """Opens (or reuses) the store of the config file at ``path``.

        Arguments:
            lock_timeout: Seconds a writer waits for another process (default 10).

        Raises:
            ConfigError: the file is missing or malformed.
            StoreError: it cannot be read, or its state database cannot be opened.
            ValueError: ``lock_timeout`` is not a positive number.
        """
    @staticmethod
    def open_url(source: str, lock_timeout: float | None = None) -> Store:
        """Opens (or reuses) the store ``source`` names: ``sqlite:///path.db``,
        ``postgresql://…``, or the path of a config.yaml.

        Arguments:
            lock_timeout: As for ``open``; for a config file.

        Raises:
            InvalidInput: an empty source, an unknown scheme, or a backend this build
                lacks.
            ConfigError: a config file that is missing or malformed, or a database
                of a newer authgate.
            StoreError: the file or database cannot be read or opened.
            ValueError: ``lock_timeout`` is not a positive number.
        """
    @staticmethod
    def import_config(url: str, yaml_text: str) -> int:
        """Copies a config.yaml text (users, settings, pre-authorized emails and
        authgate's state) into the empty database named by ``url``.

        Returns:
            The number of users copied.

        Raises:
            ConfigError: ``yaml_text`` is not a valid config.
            InvalidInput: ``url`` is not a database URL, or the database holds other
                data.
            StoreError: the database cannot be written.
        """
    @staticmethod
    def in_memory(credentials: dict[str, Any]) -> Store:
        """A new dict-mode store over ``credentials`` (the config's ``credentials``
        section), its state in memory. Keep it for the app's next runs and hand it
        each new dict with ``replace_credentials``.

        Raises:
            ConfigError: the credentials are not the streamlit-authenticator schema.
            TypeError: they hold something YAML cannot (only dicts, lists, strings,
                numbers, booleans, dates and ``None``).
        """
    def replace_credentials(self, credentials: dict[str, Any]) -> list[str]:
        """Takes the app's new dict of a dict-mode store.

        Returns:
            The users whose entries in it are out of date: copy their
            ``user_record`` back.

        Raises:
            TypeError: the store is not a dict-mode store, or the dict holds what
                YAML cannot.
            ConfigError: the credentials are not the streamlit-authenticator schema.
        """
    def plaintext_count(self) -> int:
        """How many stored passwords are still plaintext."""
    def cookie_settings(
        self, name: str, key: str, expiry_days: float, api_key: str | None = None
    ) -> tuple[str, str, float, str | None]:
        """The cookie name, key, expiry days and API key an app runs with over this
        store, given the ``Authenticate`` arguments: the store's settings win; with no
        key anywhere (0.4.2's default ``"some_key"`` counts as none) the store's
        generated key.

        Raises:
            StoreError: the generated key cannot be kept.
        """
    def generated_cookie_key(self) -> str:
        """The cookie key this store generated and keeps for itself (made on first
        use), for a config or database whose settings name none.
        """
    @property
    def path(self) -> str | None:
        """The config file's path; ``None`` for a database or dict mode."""
    @property
    def loads(self) -> int:
        """How many times the config file was parsed in this process: once, plus
        once per change on disk.

        Raises:
            TypeError: the store is a database.
        """
    def settings(self) -> Settings:
        """The store's cookie settings and ``api_key``; ``None`` where it names none."""
    def user(self, username: str) -> User | None:
        """The public fields of the user named ``username``; ``None`` if there is none."""
    def user_record(self, username: str) -> UserRecord | None:
        """The user's whole stored record (unknown keys included, the password hash
        too); ``None`` if there is none.
        """
    def hash_plaintext_passwords(self) -> list[str]:
        """Hashes every plaintext password on all cores and stores the hashes.

        Returns:
            The users whose passwords were hashed.

        Raises:
            InvalidInput: a password is longer than 72 bytes (the others are
                hashed).
        """
    def hash_plaintext_passwords_in_background(self) -> int:
        """Starts hashing the plaintext passwords on a background thread (once per
        store).

        Returns:
            How many there are.

        Raises:
            InvalidInput: one is longer than 72 bytes (nothing is started).
        """
    def to_yaml(self) -> str:
        """The config document as YAML, as it would be written.

        Raises:
            TypeError: the store is a database.
        """

@final
class LoginResult:
    """A successful login (password, cookie, code, passkey or guest): the user
    and the session it opened.
    """

    @property
    def user(self) -> User:
        """The user's public fields."""
    @property
    def session_id(self) -> str:
        """The server-side session id; keep it in ``session_state``, never in the page."""
    @property
    def token(self) -> str | None:
        """The cookie token to write; ``None`` when the cookie stays as it is (no
        cookie, or a resume that keeps it).
        """
    @property
    def expires(self) -> float:
        """When the session (and its cookie) expires."""

@final
class Authenticator:
    """Runs every flow (login, cookie resume, account changes, second factors,
    administration) against a store, with the GIL released while it works.
    """

    def __new__(
        cls,
        store: Store,
        cookie_key: str,
        cookie_expiry_days: float = 30.0,
        *,
        lockout_window: float | None = None,
        lockout_cooldown: float | None = None,
        idle_timeout: float | None = None,
        accept_plaintext: bool = False,
        hash_cost: int | None = None,
        insecure_key: bool = False,
        throttle: bool = True,
        totp_key: str | None = None,
        totp_issuer: str | None = None,
        require_2fa: bool | list[str] | None = None,
    ) -> Authenticator:
        """An authenticator over ``store`` whose cookies ``cookie_key`` signs.

        Arguments:
            store: The store of users and sessions.
            cookie_key: At least 32 random bytes, not a published example value.
            cookie_expiry_days: Cookie and session lifetime; ``0``: no cookie.
            lockout_window: Seconds failed attempts are counted over (default 900).
            lockout_cooldown: Seconds a lock lasts (default 900).
            idle_timeout: Seconds a session counts as live without activity
                (default 1800).
            accept_plaintext: Whether a plaintext stored password logs in (it is
                hashed on the spot).
            hash_cost: bcrypt cost of new hashes (default 12).
            insecure_key: Accept a weak ``cookie_key`` (development only).
            throttle: Whether the guessing brake runs.
            totp_key: The key authenticator-app secrets are sealed under (default:
                derived from ``cookie_key``).
            totp_issuer: The name authenticator apps show (default ``"authgate"``).
            require_2fa: ``True`` (everyone), or role names whose users must set up
                a second factor; ``False`` or ``None``: nobody.

        Raises:
            ValueError: a weak ``cookie_key`` without ``insecure_key``, or an option
                out of range.
        """
    def login(
        self,
        username: str,
        password: str,
        *,
        max_login_attempts: int | None = None,
        max_concurrent_users: int | None = None,
        single_session: bool = False,
        client: str | None = None,
        with_hint: bool = False,
        captcha: tuple[str, str] | None = None,
    ) -> LoginResult:
        """Logs in with a password and opens a session.

        Arguments:
            max_login_attempts: Failed attempts that lock the account (default:
                none).
            max_concurrent_users: Live sessions of all users beyond which no new one
                opens.
            single_session: Refuse a user who has a live session elsewhere.
            client: The address the attempt comes from, for the guessing brake.
            with_hint: Put the user's password hint on a wrong password's
                ``InvalidCredentials`` (``hint``).
            captcha: ``(captcha_id, entered)``: the form's captcha, checked first.

        Raises:
            CaptchaRefused: ``captcha`` is blank, wrong or used.
            InvalidCredentials: unknown user, guest, or wrong password.
            TooManyAttempts: the guessing brake makes this client wait.
            AccountLocked: the account is locked.
            EmailUnverified: the account's email awaits verification.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
            CodeRefused: the user has a second factor (use ``login_with_totp``).
            InvalidInput: the stored password is not a bcrypt hash and
                ``accept_plaintext`` is off.
        """
    def resume(
        self,
        token: str,
        *,
        max_concurrent_users: int | None = None,
        single_session: bool = False,
    ) -> LoginResult:
        """Logs in from a cookie token (an authgate token, or once a
        streamlit-authenticator 0.4.2 one, exchanged for an authgate token).

        Raises:
            TokenRefused: the token is malformed, forged, expired or revoked, or its
                session ended.
            AccountLocked: the account is locked.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
        """
    def check_session(self, session_id: str) -> User | None:
        """The user of a live session (its activity noted); ``None`` once it
        ended, expired or idled out.
        """
    def logout(self, session_id: str) -> None:
        """Ends a session everywhere: its cookie token stops working."""
    @property
    def cookie_max_age(self) -> float:
        """The max-age of the login cookie in seconds (``0``: no cookie)."""
    def smtp_settings(self) -> SmtpSettings | None:
        """The store's SMTP settings (a database's ``smtp`` setting, a config
        file's ``smtp:`` section) as the dict ``Mailer`` takes, password
        included; ``None`` when there are none, and always in dict mode.
        """
    def register(
        self,
        *,
        username: str,
        email: str,
        first_name: str,
        last_name: str,
        password: str,
        password_repeat: str,
        password_hint: str | None = None,
        pre_authorized: list[str] | None = None,
        anyone: bool = False,
        domains: list[str] | None = None,
        roles: list[str] | None = None,
        awaiting_verification: bool = False,
        dry_run: bool = False,
        captcha: tuple[str, str] | None = None,
        checks: Callable[[], object] | None = None,
    ) -> User | None:
        """Registers a user (0.4.2's checks, in its order).

        Arguments:
            password_hint: Kept with the user, shown after failed logins if the app
                asks.
            pre_authorized: The emails that may register; ``None``: the store's
                list, if it keeps one (the email is then taken off it).
            anyone: Lift every pre-authorization.
            domains: Email domains that may register.
            roles: The new user's roles.
            awaiting_verification: Refuse the password until ``verify_email``.
            dry_run: Check everything without adding the user (a registration
                waiting for a mailed code).

        Returns:
            The new user's public fields; ``None`` with ``dry_run``.

        Raises:
            InvalidInput: an email outside ``domains``, empty or different
                passwords.
            EmailTaken: the email is taken.
            UsernameTaken: the username is taken.
            NotPreauthorized: the email is not pre-authorized.
            PasswordTooLong: the password is longer than 72 bytes.
        """
    def reset_password(self, username: str, current: str, new: str, repeat: str) -> LoginResult:
        """Changes the password after checking the current one. Every session of
        the user ends; the caller gets a new one.

        Raises:
            InvalidInput: an empty, unchanged or unrepeated new password, or a guest.
            InvalidCredentials: ``current`` is wrong.
            AccountLocked: too many wrong current passwords.
            PasswordTooLong: ``new`` is longer than 72 bytes.
            UserNotFound: no such user.
        """
    def forgot_password(
        self, username: str, *, captcha: tuple[str, str] | None = None
    ) -> tuple[User, str] | None:
        """Issues a random password for ``username``. It works alongside the
        current one for 24 hours and becomes the password when used.

        Returns:
            ``(user, password)`` to mail; ``None`` for an unknown user.

        Raises:
            InvalidInput: the user is a guest.
        """
    def forgot_username(self, email: str, *, captcha: tuple[str, str] | None = None) -> User | None:
        """The user registered with ``email`` (any case); ``None`` if there is none."""
    def withdraw_password(self, username: str, password: str) -> bool:
        """Withdraws a password ``forgot_password`` issued whose mail failed, unless
        a newer one replaced it or it was used.

        Returns:
            Whether it was withdrawn.
        """
    def find_users(
        self, query: str = "", offset: int = 0, limit: int = 20
    ) -> tuple[list[UserSummary], int]:
        """Users whose username, email or name contains ``query``, for the admin
        page.

        Returns:
            ``(page, total)``: up to ``limit`` users from ``offset``, and how many
            match.
        """
    def admin_set_roles(self, admin: str, username: str, roles: list[str] | None) -> User:
        """Gives ``username`` these ``roles`` (``None``: none), audited as
        ``admin``'s.

        Returns:
            The user.

        Raises:
            InvalidInput: an empty role, or ``admin`` changing their own roles.
            UserNotFound: no such user.
        """
    def admin_lock(self, admin: str, username: str, minutes: float | None = None) -> int:
        """Locks ``username`` for ``minutes`` (``None``: until unlocked) and ends
        their sessions, audited as ``admin``'s.

        Returns:
            How many sessions ended.

        Raises:
            InvalidInput: ``admin`` locking themselves, or ``minutes`` not positive.
            UserNotFound: no such user.
        """
    def admin_add_user(
        self,
        admin: str,
        *,
        username: str,
        email: str,
        first_name: str = "",
        last_name: str = "",
        password: str | None = None,
        roles: list[str] | None = None,
    ) -> User:
        """Adds an account, audited as ``admin``'s. ``password=None`` starts it with
        a random password nobody knows: the owner sets one through a reset link.

        Returns:
            The new user.

        Raises:
            InvalidInput: no username or email, a username with spaces, an empty
                password or role.
            UsernameTaken: the username is taken.
            EmailTaken: the email is taken.
            PasswordTooLong: ``password`` is longer than 72 bytes.
        """
    def preauthorized_emails(self) -> list[str] | None:
        """The store's pre-authorized emails; ``None`` if it keeps no list."""
    def admin_edit_preauthorized(
        self, admin: str, add: list[str] = ..., remove: list[str] = ...
    ) -> list[str]:
        """Adds ``add`` to and removes ``remove`` from the store's pre-authorized
        list, audited as ``admin``'s.

        Returns:
            The list.

        Raises:
            InvalidInput: an address that is not an email.
        """
    def admin_unlock(self, admin: str, username: str) -> None:
        """Lifts the lock on ``username``, audited as ``admin``'s.

        Raises:
            UserNotFound: no such user.
        """
    def admin_end_sessions(self, admin: str, username: str) -> int:
        """Ends every session of ``username``, audited as ``admin``'s.

        Returns:
            How many ended.
        """
    def admin_remove_user(self, admin: str, username: str) -> None:
        """Removes ``username`` and ends their sessions, audited as ``admin``'s.

        Raises:
            InvalidInput: ``admin`` removing themselves.
            UserNotFound: no such user.
        """
    def must_enroll_second_factor(self, username: str) -> bool:
        """Whether ``require_2fa`` names ``username`` and they have no second factor
        yet: they must set one up before using the app.
        """
    def label_session(self, session_id: str, user_agent: str) -> None:
        """Keeps the browser's ``User-Agent`` with a session just opened, for
        ``sessions_of_user`` to describe it.
        """
    def sessions_of_user(self, username: str) -> list[UserSession]:
        """``username``'s unexpired sessions, most recently used first."""
    def end_own_session(self, username: str, session_id: str) -> None:
        """Ends ``username``'s own session ``session_id``.

        Raises:
            InvalidInput: it ended already, or is not theirs.
        """
    def end_other_sessions(self, username: str, keep: str) -> int:
        """Ends every session of ``username`` but ``keep``.

        Returns:
            How many ended.
        """
    def audit_trail(self, limit: int = 100) -> list[AuditEvent]:
        """The newest ``limit`` audit events, newest first."""
    def update_details(
        self, username: str, field: DetailField, value: str, password: str | None = None
    ) -> User:
        """Changes one detail of ``username``; a change of the email (where resets
        go) needs their current ``password``.

        Returns:
            The updated user.

        Raises:
            InvalidInput: an unchanged value, a guest's email, or no password for
                the email.
            EmailTaken: another user has the new email.
            InvalidCredentials: ``password`` is wrong.
            AccountLocked: too many wrong passwords.
            UserNotFound: no such user.
        """
    def refresh_token(self, session_id: str) -> str | None:
        """A fresh cookie token for a live session (after its user's details
        changed); ``None`` if the session ended or there is no cookie.
        """
    def issue_code(
        self,
        purpose: Literal["register", "forgot_password", "forgot_username"],
        name: str,
        binding: list[str] = ...,
        client: str | None = None,
        *,
        captcha: tuple[str, str] | None = None,
    ) -> tuple[CodeChallenge, CodeDelivery | None]:
        """Issues a mailed code for ``purpose`` to the owner of ``name`` (a username,
        or an email for ``register`` and ``forgot_username``).

        Arguments:
            binding: The form contents the action will run with; ``spend_code``
                must be given the same.
            client: The address asking, for the brake on mailing.

        Returns:
            The challenge to keep, and what to mail; ``None`` to mail nothing
            (nobody has the name: the answer looks the same).

        Raises:
            CodeRefused: codes for this name or client may not be sent yet.
            InvalidInput: an empty name.
        """
    def confirm_code(self, challenge: CodeChallenge, code: str) -> None:
        """Checks ``code`` against ``challenge``, counting the try; on success the
        challenge is confirmed.

        Raises:
            WrongCode: not the code; the challenge takes more tries.
            CodeRefused: the challenge expired, was used up or spent.
        """
    def login_with_totp(
        self,
        username: str,
        password: str,
        *,
        max_login_attempts: int | None = None,
        max_concurrent_users: int | None = None,
        single_session: bool = False,
        client: str | None = None,
        with_hint: bool = False,
        captcha: tuple[str, str] | None = None,
    ) -> LoginResult | TotpChallenge:
        """``login`` for apps with second factors: a user without one is logged in;
        a user with an authenticator app or a passkey gets a ``TotpChallenge`` to
        finish with ``finish_totp_login`` or ``finish_passkey_second_factor``.

        Raises:
            InvalidCredentials: unknown user, guest, or wrong password.
            TooManyAttempts: the guessing brake makes this client wait.
            AccountLocked: the account is locked.
            EmailUnverified: the account's email awaits verification.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
            InvalidInput: the stored password is not a bcrypt hash and
                ``accept_plaintext`` is off.
        """
    def finish_totp_login(self, challenge: TotpChallenge, code: str) -> LoginResult:
        """Opens the session of ``challenge`` once ``code`` (the app's, or a recovery
        code) is right. Wrong codes count toward the lockout.

        Raises:
            WrongCode: not the code; the challenge takes more.
            CodeRefused: a code used already, or the login expired, finished, or
                its account changed since the password.
            AccountLocked: too many wrong codes.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
        """
    def begin_totp_enrolment(self, username: str) -> TotpEnrolment:
        """Starts setting up an authenticator app for ``username``; nothing is
        stored until ``confirm_totp_enrolment``.

        Raises:
            CodeRefused: the user has one already.
            InvalidInput: the user is a guest.
            UserNotFound: no such user.
        """
    def confirm_totp_enrolment(self, username: str, pending: str, code: str) -> list[str]:
        """Stores the authenticator app once ``code`` from it is right.

        Arguments:
            pending: ``TotpEnrolment["pending"]`` of ``begin_totp_enrolment``.

        Returns:
            The recovery codes, to show once.

        Raises:
            WrongCode: not the app's code.
            CodeRefused: the set-up expired, or the user has an app already.
        """
    def has_totp(self, username: str) -> bool:
        """Whether ``username`` has an authenticator app set up."""
    def disable_totp(self, username: str, password: str) -> None:
        """Removes ``username``'s authenticator app (and recovery codes), after
        their ``password``.

        Raises:
            InvalidCredentials: ``password`` is wrong.
            AccountLocked: too many wrong passwords.
            CodeRefused: the user has no authenticator app.
        """
    def regenerate_recovery_codes(self, username: str, password: str) -> list[str]:
        """Replaces ``username``'s recovery codes (the old ones stop working), after
        their ``password``.

        Returns:
            The new codes, to show once.

        Raises:
            InvalidCredentials: ``password`` is wrong.
            AccountLocked: too many wrong passwords.
            CodeRefused: the user has no authenticator app.
        """
    def begin_passkey_enrolment(
        self,
        username: str,
        password: str,
        name: str,
        origin: str,
        rp_id: str | None = None,
    ) -> tuple[PasskeyCeremony, str]:
        """Starts adding a passkey named ``name`` to ``username`` after their
        ``password``, for the page at ``origin``.

        Arguments:
            rp_id: The domain the passkey is for (default: ``origin``'s host).

        Returns:
            The ceremony to keep, and the options (JSON) for the browser's
            ``navigator.credentials.create``.

        Raises:
            InvalidCredentials: ``password`` is wrong.
            AccountLocked: too many wrong passwords.
            InvalidInput: a guest, dict mode, a bad name, or an origin passkeys
                cannot work on (plain http but localhost).
            WrongCode: a name the user has already, or too many passkeys.
        """
    def finish_passkey_enrolment(
        self, ceremony: PasskeyCeremony, username: str, response: str
    ) -> PasskeyInfo:
        """Stores the passkey of the browser's ``response`` (JSON) to an enrolment
        ``ceremony`` of ``username``.

        Returns:
            The passkey, as ``passkeys`` lists it.

        Raises:
            WrongCode: the response does not verify, the ceremony is spent, expired
                or another user's, or the passkey is registered already.
        """
    def passkeys(self, username: str) -> list[PasskeyInfo]:
        """``username``'s passkeys, oldest first."""
    def any_passkeys(self) -> bool:
        """Whether any user has a passkey (the login form then offers one)."""
    def rename_passkey(self, username: str, credential_id: str, name: str) -> None:
        """Renames ``username``'s passkey ``credential_id``.

        Raises:
            WrongCode: no such passkey, or a name the user has already.
            InvalidInput: a bad name.
        """
    def remove_passkey(self, username: str, credential_id: str, password: str) -> None:
        """Removes ``username``'s passkey ``credential_id``, after their
        ``password``.

        Raises:
            InvalidCredentials: ``password`` is wrong.
            AccountLocked: too many wrong passwords.
            WrongCode: no such passkey.
        """
    def begin_passkey_login(
        self,
        origin: str,
        rp_id: str | None = None,
        challenge: TotpChallenge | None = None,
    ) -> tuple[PasskeyCeremony, str]:
        """Starts a passkey sign-in for the page at ``origin``: passwordless (any
        passkey of this app), or the second step of the login ``challenge``
        waits for (one of its user's passkeys).

        Returns:
            The ceremony to keep, and the options (JSON) for the browser's
            ``navigator.credentials.get``.

        Raises:
            InvalidInput: an origin passkeys cannot work on.
            WrongCode: ``challenge``'s user has no passkey.
            CodeRefused: ``challenge`` expired or finished.
        """
    def finish_passkey_login(
        self,
        ceremony: PasskeyCeremony,
        response: str,
        *,
        max_login_attempts: int | None = None,
        max_concurrent_users: int | None = None,
        single_session: bool = False,
    ) -> LoginResult:
        """Signs in with the passkey of the browser's ``response`` (JSON) to a
        passwordless ``ceremony``; the limits are ``login``'s. A refused passkey of
        a known user counts toward their lockout.

        Raises:
            WrongCode: the passkey was refused, or the ceremony is spent or
                expired.
            AccountLocked: the account is locked.
            EmailUnverified: the account's email awaits verification.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
        """
    def finish_passkey_second_factor(
        self, challenge: TotpChallenge, ceremony: PasskeyCeremony, response: str
    ) -> LoginResult:
        """Opens the session of ``challenge`` with the passkey of the browser's
        ``response`` to its second-step ``ceremony``. Refused passkeys count
        toward the lockout, as wrong codes do.

        Raises:
            WrongCode: the passkey was refused; the login takes another.
            CodeRefused: the login expired, finished, or its account changed.
            AccountLocked: too many refusals.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
        """
    def login_with_email_code(
        self,
        username: str,
        password: str,
        *,
        max_login_attempts: int | None = None,
        client: str | None = None,
        captcha: tuple[str, str] | None = None,
    ) -> tuple[CodeChallenge, CodeDelivery | None]:
        """Checks the password as ``login`` does, then issues a code to mail instead
        of opening a session; ``finish_login`` opens it once the code is
        confirmed (``confirm_code``).

        Returns:
            The challenge to keep, and what to mail.

        Raises:
            InvalidCredentials: unknown user, guest, or wrong password.
            TooManyAttempts: the guessing brake makes this client wait.
            AccountLocked: the account is locked.
            EmailUnverified: the account's email awaits verification.
            CodeRefused: codes may not be sent yet.
            InvalidInput: the account has no email, or a stored password that is not
                a bcrypt hash.
        """
    def finish_login(
        self,
        challenge: CodeChallenge,
        *,
        max_concurrent_users: int | None = None,
        single_session: bool = False,
    ) -> LoginResult:
        """Opens the session of a confirmed login ``challenge``
        (``login_with_email_code``), within the limits.

        Raises:
            CodeRefused: the challenge is not confirmed, expired, or its password
                changed since.
            AccountLocked: the account is locked.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
        """
    def reset_link(
        self, username: str, *, captcha: tuple[str, str] | None = None
    ) -> tuple[User, str] | None:
        """A password-reset link token for ``username`` (``RESET_LINK_TTL``, single
        use).

        Returns:
            ``(user, token)`` to mail; ``None`` for an unknown user or a guest.
        """
    def check_reset_link(self, token: str) -> User:
        """The user a reset link ``token`` is for.

        Raises:
            LinkRefused: the link is forged, expired or used.
        """
    def reset_with_link(self, token: str, new: str, repeat: str) -> User:
        """Sets the password through a reset link; every session of the user ends
        and every earlier link stops working.

        Returns:
            The user.

        Raises:
            LinkRefused: the link is forged, expired or used.
            InvalidInput: an empty or unrepeated new password.
            PasswordTooLong: ``new`` is longer than 72 bytes.
        """
    def verification_link(self, username: str) -> tuple[User, str] | None:
        """An email-verification link token for ``username`` (``VERIFY_LINK_TTL``),
        while their account awaits verification.

        Returns:
            ``(user, token)`` to mail; ``None`` for an unknown or verified user.
        """
    def verify_email(self, token: str) -> User:
        """Marks the email of the account a verification link is for verified: its
        password logs in from now on.

        Returns:
            The user.

        Raises:
            LinkRefused: the link is forged, expired or used, or the account's
                email changed since.
        """
    def spend_code(
        self, challenge: CodeChallenge, purpose: CodePurpose, binding: list[str] = ...
    ) -> str:
        """Takes the action of a confirmed ``challenge``: it must have been issued
        for ``purpose`` with the same ``binding``, and not be expired.

        Returns:
            The name it was issued for.

        Raises:
            CodeRefused: not confirmed, spent, expired, or issued for something
                else.
        """

@final
class TotpChallenge:
    """A login whose password was right, waiting for its second factor (the
    authenticator app's code or a passkey); keep it in ``session_state``. It
    holds no secret.
    """

    @property
    def username(self) -> str:
        """The user who typed the right password."""
    @property
    def expires(self) -> float:
        """When it stops taking codes."""
    @property
    def totp(self) -> bool:
        """Whether the user has an authenticator app (a code finishes the login)."""
    @property
    def passkey(self) -> bool:
        """Whether the user has a passkey (one finishes the login)."""

@final
class PasskeyCeremony:
    """One passkey ceremony (enrolment, sign-in or a login's second step), kept
    in ``session_state`` between the options and the browser's response:
    single use, expiring after ``PASSKEY_CEREMONY_TTL``; its challenge is never
    shown.
    """

    @property
    def kind(self) -> Literal["enrol", "sign-in", "second-factor"]:
        """Which ceremony it is."""
    @property
    def username(self) -> str | None:
        """The user it was begun for; ``None`` for a passwordless sign-in."""
    @property
    def origin(self) -> str:
        """The page address it was begun for."""
    @property
    def rp_id(self) -> str:
        """The domain (RP id) it was begun for."""
    @property
    def expires(self) -> float:
        """When it stops taking a response."""
    @property
    def spent(self) -> bool:
        """Whether it took a response already."""

@final
class CodeChallenge:
    """A mailed code's challenge, kept in ``session_state`` until the code is
    typed; it holds the code's HMAC, never the code.
    """

    @property
    def purpose(self) -> CodePurpose:
        """The action it unlocks."""
    @property
    def confirmed(self) -> bool:
        """Whether its code was confirmed and its action not yet taken."""
    @property
    def tries_left(self) -> int:
        """How many more codes it takes."""
    @property
    def expires(self) -> float:
        """When it stops working (``CODE_TTL`` after it was issued)."""

def cookie_key_weakness(key: str) -> str | None:
    """Why ``key`` must not sign cookies (too short, a published example, too
    little variety); ``None`` if it may. The key is never in the text.
    """

def password_strength(password: str, user_inputs: list[str] = ...) -> PasswordStrength:
    """The NIST SP 800-63B rule's verdict on ``password`` (8 characters or
    more, not a common password, a zxcvbn score of 3 or 4).

    Arguments:
        user_inputs: Words it must not lean on (username, email, names).
    """

def default_password_accepted(password: str) -> bool:
    """Whether the default password rule (streamlit-authenticator 0.4.2's) accepts ``password``."""

def username_key(typed: str) -> str:
    """The key a typed username is stored and looked up under (trimmed, lower-cased)."""

def email_key(typed: str) -> str:
    """The key a typed email is compared under (trimmed, lower-cased)."""

def valid_username(username: str) -> bool:
    """Whether ``username`` is 1-20 of ``[a-zA-Z0-9_-]`` or an email address
    (streamlit-authenticator 0.4.2's rule; a trailing newline is refused)."""

def valid_email(email: str) -> bool:
    """Whether ``email`` looks like an address (0.4.2's rule)."""

def valid_name(name: str) -> bool:
    """Whether ``name`` is 2-100 letters, spaces, apostrophes, dots or hyphens
    (0.4.2's rule)."""

def valid_length(value: str, min_length: int = 0, max_length: int = 254) -> bool:
    """Whether ``value`` has between ``min_length`` and ``max_length`` characters."""

def link_page_address(configured: str | None, reported: str | None) -> str:
    """The page mailed links point at: ``configured`` (the app's ``app_url``), else
    ``reported`` (the browser's address) only when it is on this machine.

    Raises:
        InvalidInput: ``configured`` is not an http(s) address, or nothing is
            configured and the page is not local.
    """

def link_with_token(page: str, param: str, token: str) -> str:
    """``page`` with ``token`` as ``param`` in its query string."""

def default_password_missing(
    password: str, min_chars: int | None = None, max_chars: int | None = None
) -> list[str]:
    """What ``password`` lacks under the default rule, in 0.4.2's words and
    order (its ``diagnose_password``); empty when it is accepted.

    Arguments:
        min_chars: The shortest length (default ``DEFAULT_PASSWORD_MIN_CHARS``).
        max_chars: The longest length (default ``DEFAULT_PASSWORD_MAX_CHARS``).
    """

def page_access(
    roles: list[str] | None, required: list[str] | None = None, public: bool = False
) -> Literal["open", "login", "refuse"]:
    """Who may open a page: ``"open"``, ``"login"`` (log in first) or
    ``"refuse"``.

    Arguments:
        roles: The visitor's roles; ``None`` when not logged in.
        required: Roles of which the visitor needs one; ``None``: any logged-in
            user.
        public: The page is for anyone.

    Raises:
        ValueError: both ``public`` and ``required``.
    """

def new_browser_binding() -> str:
    """A new random browser binding (256 bits, base64url) for
    ``OidcClient.begin``.

    Raises:
        InvalidInput: the operating system has no randomness to give.
    """

def oauth2_settings(path: str | PathLike[str]) -> OAuth2Settings | None:
    """The ``oauth2`` section of the config file at ``path``; ``None`` if it has
    none. Parsed again only when the file changed.

    Raises:
        ConfigError: the file is missing or not valid YAML.
        StoreError: it cannot be read.
    """

@final
class OidcClient:
    """One OAuth client at one OpenID provider, for guest logins."""

    def __new__(cls, name: str | None, settings: Mapping[str, object]) -> OidcClient:
        """A client of provider ``name`` with its ``settings`` (an ``oauth2``
        entry).

        Arguments:
            name: ``"google"``, ``"microsoft"``, or another name (or ``None``) for a
                provider found through ``server_metadata_url`` or ``issuer``.

        Raises:
            OidcError: a setting is missing or bad (the message names it).
            TypeError: a value YAML cannot hold.
        """
    def begin(self, binding: str) -> tuple[str, str, float]:
        """Starts a login from the browser holding ``binding``; fetches the
        discovery document the first time.

        Returns:
            ``(authorization_url, state, expires)``.

        Raises:
            OidcError: the provider cannot be reached or answers wrongly.
        """
    def state_owner(self, state: str) -> Literal["this", "other", "unknown"]:
        """Who started the login under a redirect's ``state``: this client, another
        one, or ``"unknown"`` (forged, used or expired). Does not use it up.
        """
    def guest_login(
        self,
        authenticator: Authenticator,
        *,
        state: str,
        code: str | None = None,
        error: str | None = None,
        bindings: list[str],
        max_concurrent_users: int | None = None,
        single_session: bool = False,
        roles: list[str] | None = None,
    ) -> LoginResult:
        """Finishes a login from the provider's redirect: checks ``state`` against
        the browser's ``bindings``, exchanges ``code``, verifies the ID token,
        registers or updates the guest (its username is its email) and opens a
        session as ``Authenticator.login`` does.

        Arguments:
            error: The redirect's ``error`` parameter, if any.
            roles: Roles of a new guest.

        Raises:
            OidcError: the provider refused, the state or ID token is bad, or the
                email belongs to a password user.
            TooManyUsers: ``max_concurrent_users`` reached.
            SessionExists: ``single_session`` and a live session elsewhere.
        """

@final
class Mailer:
    """Sends mail through one SMTP server (``smtp[s]://`` URL or ``smtp:`` dict)."""

    def __new__(cls, config: str | SmtpSettings | dict[str, Any]) -> Mailer:
        """A mailer for ``config``: an ``smtp[s]://user:password@host:port?from=…``
        URL, or an ``smtp:`` section.

        Raises:
            EmailError: a setting is missing or bad (never showing the password).
            TypeError: ``config`` is neither a string nor a dict.
        """
    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Sends one message (plain ``text``, and ``html`` if given) to ``to``.

        Raises:
            EmailError: the server cannot be reached or refuses it.
        """
    @staticmethod
    def recipient(name: str, address: str) -> str:
        """``"Name" <address>``, the name stripped of line breaks and quotes: a
        safe ``to`` for ``send``.
        """
