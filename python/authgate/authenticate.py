"""``Authenticate``: streamlit-authenticator 0.4.2's widgets over the Rust core.

This module renders forms, keeps ``st.session_state`` and relays to
``authgate._core``; every rule (who may log in, when an account locks, what a
cookie is worth) is decided in the core.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import _core, links
from .account_widgets import AccountWidgets
from .admin import AdminPanel
from .captcha import CaptchaField, guarded
from .code_step import CodeStep
from .cookie import CookieJar
from .device_sessions import SESSION_ID as _SESSION_ID
from .device_sessions import DeviceSessions
from .exceptions import (
    AuthenticateError,
    CloudError,
    DeprecationError,
    LoginError,
    LogoutError,
)
from .guest_login import GuestLogin
from .i18n import Labels, Translator, check_language
from .legacy import LOGIN_LOCATIONS, split_form_name
from .mailing import Templates, resolve_mailer
from .pages import PageGuards
from .passkeys import PasskeyWidgets
from .totp import TotpWidgets
from .types import User
from .validator import NistValidator, Validator

_DICT_STORE = "_authgate_dict_store"
# Dict mode hashes up to this many plaintext passwords before the form is up
# (about a second of bcrypt on two cores), more in the background.
_HASH_NOW_AT_MOST = 8
# Dict mode's state (sessions, failed attempts, locks) per app and cookie
# name, for the server's lifetime: a README app builds a new dict on every
# rerun, and the state must outlive it.
_DICT_STORES: dict[tuple[str, str], _core.Store] = {}
_DICT_STORES_LOCK = threading.Lock()
_COOKIE_TRIED = "_authgate_cookie_tried"
_STATE_KEYS = ("name", "authentication_status", "username", "email", "roles", "logout")
Location = Literal["main", "sidebar", "unrendered"]


class Authenticate(
    AccountWidgets,
    AdminPanel,
    DeviceSessions,
    GuestLogin,
    PageGuards,
    TotpWidgets,
    PasskeyWidgets,
):
    """Login, logout and the re-authentication cookie, as in streamlit-authenticator.

    ``credentials`` is the path of a ``config.yaml`` file (its ``cookie``
    section then supplies the cookie settings) or the credentials dict, which
    is changed in place as streamlit-authenticator changes it.

    ``credentials`` may also be a database URL — ``sqlite:///path/to.db`` or
    ``postgresql://user:password@host/db`` — or be left as it is and the URL
    passed as ``store=``. A database keeps the cookie settings in its
    ``settings`` table; the arguments are used where it has none.

    The cookie key must be at least 32 random bytes and not a published
    example value: a weak key raises ``AuthenticateError`` (anyone could
    forge a login with it) unless ``insecure_dev_key=True`` (development
    only). A config file or database without a key gets one generated and
    kept in its state; dict mode needs the app to pass one.

    ``password_policy="nist"`` checks new passwords by NIST SP 800-63B
    (``NistValidator``: 8 characters or more, no composition rules, not a
    common password, a zxcvbn score of 3 or 4) instead of 0.4.2's rules.

    Extra keyword arguments: ``show_password_hint`` (``True`` shows a user's
    password hint after a failed login, as 0.4.2 did; off by default, since
    it helps whoever guesses the account too), ``lockout_window`` and ``lockout_cooldown``
    (seconds; default 900 each), ``session_idle_timeout`` (seconds a session
    counts as live without activity; default 1800), ``lock_timeout``
    (seconds a writer waits for another process; default 10),
    ``cookie_mode`` (``"script"``, the default, writes the cookie from the
    page as 0.4.2 does; ``"httponly"`` has authgate's routes set it
    ``HttpOnly`` — serve the app with ``st.App(..., routes=authgate.routes())``,
    or this raises ``AuthenticateError``), ``passkey_rp_id`` (the domain
    passkeys are made for, e.g. ``"example.com"`` for an app at
    ``app.example.com``; default: the page's host, or ``app_url``'s — see
    :mod:`authgate.passkeys`).
    """

    def __init__(
        self,
        credentials: dict[str, Any] | str | os.PathLike[str],
        cookie_name: str = "some_cookie_name",
        cookie_key: str = "some_key",
        cookie_expiry_days: float = 30.0,
        validator: Validator | None = None,
        auto_hash: bool = True,
        api_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(validator, dict):
            raise DeprecationError(
                "The 'pre_authorized' parameter has moved from the Authenticate class "
                "to the 'register_user' function."
            )
        self.attrs = kwargs
        try:
            check_language(kwargs.get("language"))
        except ValueError as e:
            raise AuthenticateError(str(e)) from None
        self._t = Translator(kwargs.get("language"))
        self._show_hint = kwargs.get("show_password_hint", False) is True
        self._smtp = kwargs.get("smtp")
        self.app_name = str(kwargs.get("app_name") or "the app")
        try:
            self._email_templates = Templates.with_overrides(kwargs.get("email_templates"))
        except (ValueError, TypeError) as e:
            raise AuthenticateError(str(e)) from None
        self._client_ip_header = kwargs.get("client_ip_header")
        if self._client_ip_header is not None:
            _check_type("client_ip_header", self._client_ip_header, str)
        self.validator = _validator(validator, kwargs.get("password_policy"))
        self._credentials: dict[str, Any] | None = None
        self.path: str | None = None
        try:
            cookie_name, cookie_key, cookie_expiry_days, api_key = self._open_store(
                credentials, cookie_name, cookie_key, cookie_expiry_days, api_key
            )
        except (_core.AuthgateError, TypeError) as e:
            raise AuthenticateError(str(e)) from None
        _check_cookie_arguments(cookie_name, cookie_key, cookie_expiry_days)
        self.api_key = api_key
        self.cookie_name = cookie_name
        self.cookie_expiry_days = float(cookie_expiry_days)
        self._cookie = CookieJar(cookie_name, kwargs.get("cookie_mode", "script"))
        self._require_2fa = _factor_policy(kwargs.get("require_2fa", False))
        if self._require_2fa is not None and self._credentials is not None:
            raise AuthenticateError(
                "require_2fa needs a config file or a database store: dict mode keeps no "
                "second factors"
            )
        insecure_key = kwargs.get("insecure_dev_key", False) is True
        if insecure_key and _core.cookie_key_weakness(cookie_key):
            warnings.warn(
                "authgate: insecure_dev_key=True signs cookies with a weak key; "
                "anyone can forge a login. Never use it outside development.",
                stacklevel=2,
            )
        try:
            self._auth = _core.Authenticator(
                self._store,
                cookie_key,
                self.cookie_expiry_days,
                lockout_window=kwargs.get("lockout_window"),
                lockout_cooldown=kwargs.get("lockout_cooldown"),
                idle_timeout=kwargs.get("session_idle_timeout"),
                accept_plaintext=auto_hash,
                hash_cost=kwargs.get("hash_cost"),
                insecure_key=insecure_key,
                throttle=kwargs.get("login_throttle", True) is not False,
                totp_key=kwargs.get("totp_key"),
                totp_issuer=kwargs.get("app_name"),
                require_2fa=self._require_2fa,
            )
        except ValueError as e:
            raise AuthenticateError(str(e)) from None
        if auto_hash:
            self._hash_plaintext_passwords()
        for key in _STATE_KEYS:
            st.session_state.setdefault(key, None)

    def _open_store(
        self,
        credentials: Any,
        cookie_name: Any,
        cookie_key: Any,
        cookie_expiry_days: Any,
        api_key: str | None,
    ) -> tuple[Any, Any, Any, str | None]:
        credentials = self.attrs.get("store", credentials)
        if isinstance(credentials, (str, os.PathLike)):
            source = os.fspath(credentials)
            # The core decides what the source names: a config.yaml path,
            # sqlite:///path.db or postgresql://… (whose settings live in the database).
            self._store = _core.Store.open_url(source, lock_timeout=self.attrs.get("lock_timeout"))
            self.path = source if self._store.path is not None else None
            # The store's settings win over the arguments; with no key anywhere
            # the store generates one (never 0.4.2's default): the core's rule.
            _check_cookie_arguments(cookie_name, cookie_key, cookie_expiry_days)
            return self._store.cookie_settings(
                cookie_name, cookie_key, float(cookie_expiry_days), api_key
            )
        if isinstance(credentials, dict):
            self.path = None
            _check_type("cookie_name", cookie_name, str)
            self._credentials = credentials
            _fold_usernames(credentials)
            self._store, out_of_date = _dict_store(cookie_name, credentials)
            for username in out_of_date:
                self._sync_user(username)
            return cookie_name, cookie_key, cookie_expiry_days, api_key
        raise AuthenticateError(
            "credentials must be a dict or the path of a config file, "
            f"not {type(credentials).__name__}"
        )

    # ---- widgets ------------------------------------------------------------------

    def login(
        self,
        location: Location = "main",
        max_concurrent_users: int | None = None,
        max_login_attempts: int | None = None,
        fields: Mapping[str, str] | None = None,
        captcha: bool = False,
        single_session: bool = False,
        clear_on_submit: bool = False,
        key: str = "Login",
        callback: Callable[[dict[str, Any]], Any] | None = None,
        *,
        two_factor_auth: bool = False,
    ) -> tuple[str | None, bool | None, str | None] | None:
        """Renders the login form, or logs the user in from the cookie.

        Returns ``(name, authentication_status, username)`` when
        ``location='unrendered'``, otherwise ``None``.

        ``two_factor_auth=True`` (authgate) mails a code to the user after the
        right password; the session opens once it is typed into the dialog
        (labels from ``fields``: ``Dialog name``, ``Code``, ``Submit``,
        ``Error``). A login from the cookie needs no code.
        """
        location, max_concurrent_users, fields, legacy = split_form_name(
            location, max_concurrent_users, fields, LOGIN_LOCATIONS
        )
        fields = self._labels(fields)
        if location not in LOGIN_LOCATIONS:
            raise ValueError("Location must be one of 'main' or 'sidebar' or 'unrendered'")
        if st.session_state.get("authentication_status"):
            self._check_live_session()
        if not st.session_state.get("authentication_status"):
            self._resume_from_cookie(max_concurrent_users, single_session)
        self._cookie.flush()
        if st.query_params.get(links.VERIFY_PARAM) and location != "unrendered":
            self._verify_from_link(location, fields)
        if location == "unrendered" or legacy:
            if legacy and not st.session_state.get("authentication_status"):
                self._render_login_form(
                    location, fields, captcha, clear_on_submit, key, max_concurrent_users,
                    max_login_attempts, single_session, callback,
                )  # fmt: skip
            self._enforce_factor_policy(key)
            return (
                st.session_state["name"],
                st.session_state["authentication_status"],
                st.session_state["username"],
            )
        if not st.session_state.get("authentication_status"):
            step = CodeStep(self, key, "login", fields, LoginError) if two_factor_auth else None
            if step is not None and self._finish_code_login(
                step, max_concurrent_users, single_session, callback
            ):
                return None
            if self._totp_step(location, fields, key, callback):
                return None
            self._render_login_form(
                location, fields, captcha, clear_on_submit, key, max_concurrent_users,
                max_login_attempts, single_session, callback, step,
            )  # fmt: skip
            if step is not None:
                step.prompt()
        self._enforce_factor_policy(key)
        return None

    def _render_login_form(
        self,
        location: str,
        fields: Labels,
        captcha: bool,
        clear_on_submit: bool,
        key: str,
        max_concurrent_users: int | None,
        max_login_attempts: int | None,
        single_session: bool,
        callback: Callable[[dict[str, Any]], Any] | None,
        step: CodeStep | None = None,
    ) -> None:
        container = st.sidebar if location == "sidebar" else st
        # In a slot, so that a dict-mode login (which does not rerun) can
        # take the form off the page in the same run.
        slot = container.empty()
        form = slot.form(key=key, clear_on_submit=clear_on_submit)
        form.subheader(fields.get("Form name", "Login"))
        # The username keeps its identity (and what was typed) when a hint
        # appears. The password has no key: what was typed is not kept in
        # session_state, where apps that show or log it would expose it.
        username = form.text_input(
            fields.get("Username", "Username"), autocomplete="off", key=f"{key}-username"
        )
        password = form.text_input(
            fields.get("Password", "Password"),
            type="password",
            help=st.session_state.get("password_hint"),
            autocomplete="off",
        )
        captcha_field = CaptchaField.render(form, f"{key}-captcha", fields) if captcha else None
        if form.form_submit_button(fields.get("Login", "Login")) and username:
            # The captcha goes with the login's one core call, which checks
            # it before the password (authgate.captcha).
            with guarded(captcha_field, LoginError) as guard:
                if step is not None:
                    self._start_code_login(step, username, password, max_login_attempts, guard)
                    return
                logged_in = self._login_with_password(
                    username,
                    password,
                    max_concurrent_users=max_concurrent_users,
                    max_login_attempts=max_login_attempts,
                    single_session=single_session,
                    callback=callback,
                    key=key,
                    guard=guard,
                )
            if logged_in:
                slot.empty()
        self._passkey_sign_in(
            location, fields, key, max_concurrent_users, max_login_attempts, single_session,
            callback,
        )  # fmt: skip

    def logout(
        self,
        button_name: str = "Logout",
        location: Location = "main",
        key: str = "Logout",
        use_container_width: bool = False,
        callback: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        """Renders the logout button; with ``location='unrendered'`` logs out now."""
        if not st.session_state.get("authentication_status"):
            raise LogoutError("User must be logged in to use the logout button")
        if location not in ("main", "sidebar", "unrendered"):
            raise ValueError("Location must be one of 'main' or 'sidebar' or 'unrendered'")
        width: Literal["stretch", "content"] = "stretch" if use_container_width else "content"
        if location == "unrendered":
            clicked = True
        else:
            container = st.sidebar if location == "sidebar" else st
            clicked = container.button(self._t(button_name), key=key, width=width)
        if clicked:
            self._logout(callback)

    # ---- flows --------------------------------------------------------------------

    def _login_with_password(
        self,
        username: str,
        password: str,
        *,
        max_concurrent_users: int | None,
        max_login_attempts: int | None,
        single_session: bool,
        callback: Callable[[dict[str, Any]], Any] | None,
        key: str = "Login",
        guard: Mapping[str, Any] | None = None,
    ) -> bool:
        """Logs in; ``True`` on success. A user with an authenticator app
        gets the code step (:mod:`authgate.totp`) instead. ``guard``: the
        form's captcha (:func:`authgate.captcha.guarded`).

        A file or database store reruns the script so the page shows the
        logged-in state. Dict mode does not, as streamlit-authenticator does
        not: the app saves its dict at the end of the script, and a rerun
        would skip that save.
        """
        try:
            result = self._auth.login_with_totp(
                username,
                password,
                max_login_attempts=_limit("max_login_attempts", max_login_attempts),
                max_concurrent_users=_limit("max_concurrent_users", max_concurrent_users),
                single_session=single_session,
                client=self._client_address(),
                # A hint helps whoever guesses the account too: shown to an
                # anonymous visitor only when the app asks for it. The core
                # sends it with the refusal of a wrong password.
                with_hint=self._show_hint,
                **(guard or {}),
            )
        except _core.InvalidCredentials as e:
            st.session_state["authentication_status"] = False
            if e.hint:
                st.session_state["password_hint"] = e.hint
            self._sync_user(username)
            return False
        except (
            _core.TooManyAttempts,
            _core.AccountLocked,
            _core.TooManyUsers,
            _core.SessionExists,
        ) as e:
            raise LoginError(self._t(str(e))) from None
        except _core.InvalidInput as e:
            raise LoginError(f"{e}: hash it with Hasher or set auto_hash=True") from None
        except _core.EmailUnverified as e:
            # Only the right password gets here: its owner may need a new link.
            self._resend_verification(username)
            raise LoginError(self._t(str(e))) from None
        if isinstance(result, _core.TotpChallenge):
            self._await_totp(key, result)
            return False
        st.session_state.pop("password_hint", None)
        self._logged_in(result, callback)
        return True

    def _start_code_login(
        self,
        step: CodeStep,
        username: str,
        password: str,
        max_login_attempts: int | None,
        guard: Mapping[str, Any],
    ) -> None:
        """The password step of a login with ``two_factor_auth``: a right
        password mails a code; a wrong one fails as a login does."""
        mailer = self._mailer()
        try:
            challenge, delivery = self._auth.login_with_email_code(
                username,
                password,
                max_login_attempts=_limit("max_login_attempts", max_login_attempts),
                client=self._client_address(),
                **guard,
            )
        except _core.InvalidCredentials:
            st.session_state["authentication_status"] = False
            self._sync_user(username)
            return
        except (
            _core.TooManyAttempts,
            _core.AccountLocked,
            _core.CodeRefused,
            _core.InvalidInput,
        ) as e:
            raise LoginError(self._t(str(e))) from None
        except _core.EmailUnverified as e:
            self._resend_verification(username)
            raise LoginError(self._t(str(e))) from None
        self._sync_user(username)
        step.keep(mailer, challenge, delivery)

    def _finish_code_login(
        self,
        step: CodeStep,
        max_concurrent_users: int | None,
        single_session: bool,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> bool:
        """Opens the session once the mailed code was confirmed; ``True`` then."""
        challenge = step.confirmed()
        if challenge is None:
            return False
        try:
            result = self._auth.finish_login(
                challenge,
                max_concurrent_users=_limit("max_concurrent_users", max_concurrent_users),
                single_session=single_session,
            )
        except (
            _core.CodeRefused,
            _core.AccountLocked,
            _core.TooManyUsers,
            _core.SessionExists,
        ) as e:
            raise LoginError(self._t(str(e))) from None
        self._logged_in(result, callback)
        return True

    def _verify_from_link(self, location: str, fields: Mapping[str, str]) -> None:
        """Takes a verification link (``register_user(verify_email=True)``)
        opened on this page; ``LoginError`` if it does not work."""
        token = str(st.query_params.get(links.VERIFY_PARAM))
        del st.query_params[links.VERIFY_PARAM]
        try:
            user = self._auth.verify_email(token)
        except _core.LinkRefused as e:
            raise LoginError(self._t(str(e))) from None
        self._sync_user(user["username"])
        container = st.sidebar if location == "sidebar" else st
        container.success(fields.get("Verified", "Your email address is verified: log in."))

    def _resend_verification(self, username: str) -> None:
        """Mails a fresh verification link when mail and the app's address
        are configured; without them the login error says what to do."""
        try:
            mailer = self._mailer()
            app_url = self._app_url()
        except CloudError:
            return
        self._mail_link("Login-verify", mailer, app_url, "verify_email", username)

    def _labels(self, fields: Mapping[str, str] | None) -> Labels:
        """A widget's labels: the app's ``fields``, else this run's language."""
        return Labels(fields, self._t)

    def _app_url(self) -> str:
        """The page mailed links point at (see :mod:`authgate.links`)."""
        return links.app_url(self.attrs.get("app_url"))

    def _mailer(self) -> _core.Mailer:
        """The app's mailer (see :mod:`authgate.mailing`); ``CloudError`` if none."""
        stored = None if self._smtp is not None else self._auth.smtp_settings()
        return resolve_mailer(self._smtp, stored)

    def _client_address(self) -> str | None:
        """The address the guessing brake counts this browser under.

        The connection's own address by default. Behind a reverse proxy every
        browser arrives from the proxy; ``client_ip_header`` names the header
        the proxy sets (and overwrites) with the real one, e.g. ``X-Real-IP``.
        For ``X-Forwarded-For`` the address the proxy appended, the last, is
        taken: the ones before it are whatever the browser sent.
        """
        if self._client_ip_header:
            value = st.context.headers.get(self._client_ip_header)
            if isinstance(value, str) and value.strip():
                return value.split(",")[-1].strip() or None
        address = st.context.ip_address
        # Outside a browser session (AppTest, bare mode) there is no address.
        return address if isinstance(address, str) else None

    def _resume_from_cookie(self, max_concurrent_users: int | None, single_session: bool) -> None:
        # After a logout the handshake still carries the old cookie: never use it again here.
        if st.session_state.get("logout") or st.session_state.get(_COOKIE_TRIED):
            return
        token = self._cookie.read()
        if token is None:
            return
        st.session_state[_COOKIE_TRIED] = True
        try:
            result = self._auth.resume(
                token,
                max_concurrent_users=_limit("max_concurrent_users", max_concurrent_users),
                single_session=single_session,
            )
        except _core.TokenRefused:
            self._cookie.queue_delete()
            return
        except _core.AccountLocked:
            return  # the login form says so when the password is tried
        except (_core.TooManyUsers, _core.SessionExists) as e:
            raise LoginError(self._t(str(e))) from None
        self._start(result)

    def _check_live_session(self) -> None:
        session_id = st.session_state.get(_SESSION_ID)
        if session_id is None:
            return  # logged in by the app itself, not by authgate
        user = self._auth.check_session(session_id)
        if user is None:
            self._clear_state()
            return
        st.session_state["name"] = user["name"]
        st.session_state["email"] = user["email"]
        st.session_state["roles"] = user["roles"]

    def _logged_in(
        self, result: _core.LoginResult, callback: Callable[[dict[str, Any]], Any] | None
    ) -> None:
        """A session a login just opened: kept (``_start``), the app's
        callback told, the page drawn again as logged in."""
        self._start(result)
        if callback:
            callback(_payload("Login", result.user))
        self._rerun_unless_dict_mode()

    def _start(self, result: _core.LoginResult) -> None:
        user = result.user
        st.session_state[_SESSION_ID] = result.session_id
        self._label_session(result.session_id)
        st.session_state["name"] = user["name"]
        st.session_state["email"] = user["email"]
        st.session_state["roles"] = user["roles"]
        st.session_state["username"] = user["username"]
        st.session_state["authentication_status"] = True
        st.session_state["logout"] = None
        if result.token is not None:
            self._cookie.queue_set(result.token, self._auth.cookie_max_age)
        self._sync_user(user["username"])

    def _logout(self, callback: Callable[[dict[str, Any]], Any] | None) -> None:
        username = st.session_state.get("username")
        if callback:
            callback(
                {
                    "widget": "Logout",
                    "username": username,
                    "email": st.session_state.get("email"),
                    "name": st.session_state.get("name"),
                    "roles": st.session_state.get("roles"),
                }
            )
        session_id = st.session_state.get(_SESSION_ID)
        if session_id is not None:
            self._auth.logout(session_id)
        self._clear_state()
        st.session_state["logout"] = True
        self._cookie.queue_delete()
        if username:
            self._sync_user(username)
        self._rerun_unless_dict_mode()

    def _rerun_unless_dict_mode(self) -> None:
        """Reruns so the page shows the new state, unless the app keeps a
        dict it saves at the end of the script (dict mode): that run must
        reach the save. The cookie writer's acknowledgement reruns it then."""
        if self._credentials is None:
            st.rerun()

    def _refresh_cookie(self) -> None:
        session_id = st.session_state.get(_SESSION_ID)
        token = self._auth.refresh_token(session_id) if session_id else None
        if token is not None:
            self._cookie.queue_set(token, self._auth.cookie_max_age)

    def _clear_state(self) -> None:
        st.session_state[_SESSION_ID] = None
        for key in ("name", "username", "authentication_status", "email", "roles"):
            st.session_state[key] = None

    # ---- dict mode ----------------------------------------------------------------

    def _hash_plaintext_passwords(self) -> None:
        """Path mode hashes in the background, so the form is up at once.
        Dict mode hashes a few passwords now, so their hashes are in the
        caller's dict when it saves; more (a second or more of bcrypt work)
        are hashed in the background, and each new dict gets the hashes made
        so far (``Store.replace_credentials``). A login meanwhile stores its
        own user's hash first."""
        try:
            if self._credentials is None or self._store.plaintext_count() > _HASH_NOW_AT_MOST:
                self._store.hash_plaintext_passwords_in_background()
                return
            hashed = self._store.hash_plaintext_passwords()
        except _core.InvalidInput as e:
            # The others were hashed: let the caller's dict show them.
            for username in (
                list(self._credentials.get("usernames") or {}) if self._credentials else []
            ):
                self._sync_user(username)
            raise AuthenticateError(str(e)) from None
        for username in hashed:
            self._sync_user(username)

    def _sync_user(self, username: str) -> None:
        """Mirrors the stored record into the caller's dict (dict mode only)."""
        if self._credentials is None:
            return
        key = _core.username_key(username)
        record = self._store.user_record(key)
        if record is None:
            return
        users = self._credentials.setdefault("usernames", {})
        entry = users.get(key)
        if isinstance(entry, dict):
            entry.clear()
            entry.update(record)
        else:
            users[key] = record


def _dict_store(cookie_name: str, credentials: dict[str, Any]) -> tuple[_core.Store, list[str]]:
    """The dict-mode store of this app, given the new dict; and the users
    whose entries in the dict are out of date.

    A server shares one store between its browser sessions. An AppTest is an
    app of its own: its store lives in its session_state, so one test never
    sees another's sessions or lockouts.
    """
    if st.config.get_option("global.appTest"):
        slot = f"{_DICT_STORE}:{cookie_name}"
        store = st.session_state.get(slot)
        if store is None:
            st.session_state[slot] = _core.Store.in_memory(credentials)
            return st.session_state[slot], []
        return store, store.replace_credentials(credentials)
    ctx = get_script_run_ctx()
    key = (ctx.main_script_path if ctx is not None else "", cookie_name)
    with _DICT_STORES_LOCK:
        store = _DICT_STORES.get(key)
        if store is None:
            _DICT_STORES[key] = store = _core.Store.in_memory(credentials)
            return store, []
    return store, store.replace_credentials(credentials)


def _payload(widget: str, user: User) -> dict[str, Any]:
    return {
        "widget": widget,
        "username": user["username"],
        "email": user["email"],
        "name": user["name"],
        "roles": user["roles"],
    }


def _limit(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LoginError(f"{name} must be a non-negative integer")
    return value


def _factor_policy(value: Any) -> bool | list[str] | None:
    """``require_2fa=``: ``True`` (everyone), ``False`` (nobody) or role names;
    what the core takes (``None``: nobody)."""
    if value is True:
        return True
    if value is False or value is None:
        return None
    if isinstance(value, (list, tuple)) and all(isinstance(r, str) for r in value):
        return list(value)
    raise AuthenticateError(f"require_2fa takes True, False or a list of role names, not {value!r}")


def _check_cookie_arguments(name: Any, key: Any, expiry_days: Any) -> None:
    _check_type("cookie_name", name, str)
    _check_type("cookie_key", key, str)
    if isinstance(expiry_days, bool) or not isinstance(expiry_days, (int, float)):
        raise AuthenticateError("cookie_expiry_days must be a number of days")


def _check_type(name: str, value: Any, expected: type) -> None:
    if not isinstance(value, expected):
        raise AuthenticateError(f"{name} must be a {expected.__name__}, not {type(value).__name__}")


def _fold_usernames(credentials: dict[str, Any]) -> None:
    """Keys the app's dict as the store keys its users (``_core.username_key``:
    trimmed and lower-cased, as 0.4.2 lower-cases them), so that both name
    each user alike."""
    users = credentials.get("usernames")
    if not isinstance(users, dict):
        return
    folded = {(_core.username_key(k) if isinstance(k, str) else k): v for k, v in users.items()}
    if list(folded) != list(users):
        users.clear()
        users.update(folded)


def _validator(validator: Validator | None, policy: Any) -> Validator:
    """The app's validator; else the one ``password_policy`` names: 0.4.2's
    rules by default, NIST SP 800-63B's with ``"nist"``."""
    if policy not in (None, "0.4.2", "nist"):
        raise AuthenticateError("password_policy must be 'nist' or '0.4.2'")
    if validator is not None:
        if policy is not None:
            raise AuthenticateError("Pass either a validator or a password_policy, not both")
        return validator
    return NistValidator() if policy == "nist" else Validator()
