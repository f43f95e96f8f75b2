"""Authenticator apps (TOTP) as a second factor, with recovery codes.

``enroll_totp()`` sets one up for the logged-in user: a QR code and the key
to type by hand; the factor is stored (sealed under a key derived from the
cookie key, or ``Authenticate(totp_key=...)``) only once a code from the
app is right, and then 10 recovery codes are shown once, to download.
From then on ``login()`` asks for a code after the right password, in
place of the form; a code works once, a recovery code too, and wrong codes
count toward the lockout. ``disable_totp()`` and
``regenerate_recovery_codes()`` need the password. Every rule is the
core's (``authgate._core.Authenticator``, ``second_factor``); nothing here
holds a secret but the sealed pending set-up, for ten minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import streamlit as st

from . import _core
from .device_sessions import SESSION_ID
from .exceptions import AuthenticateError, CredentialsError, LoginError, ResetError

if TYPE_CHECKING:
    from .authenticate import Location
    from .i18n import Translator

_T = TypeVar("_T")
_CHALLENGE = "_authgate_totp_challenge"
_PENDING = "_authgate_totp_pending"
# The session whose user was found to owe no second factor (checked once).
_FACTOR_CHECKED = "_authgate_factor_checked"


class _Host(Protocol):
    """What ``TotpWidgets`` uses of the ``Authenticate`` it is mixed into, and
    of itself through ``self`` (typing only)."""

    _auth: _core.Authenticator
    _credentials: dict[str, Any] | None
    _require_2fa: bool | list[str] | None
    _t: Translator

    def _logged_in(
        self, result: _core.LoginResult, callback: Callable[[dict[str, Any]], Any] | None
    ) -> None: ...
    def logout(
        self,
        button_name: str = ...,
        location: Location = ...,
        key: str = ...,
        use_container_width: bool = ...,
        callback: Callable[[dict[str, Any]], Any] | None = ...,
    ) -> None: ...
    # PasskeyWidgets'
    def _passkey_second_factor(
        self,
        location: str,
        fields: Mapping[str, str],
        key: str,
        challenge: _core.TotpChallenge,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> None: ...

    # TotpWidgets' own
    def enroll_totp(self, key: str = ...) -> list[str] | None: ...
    def _show_recovery_codes(self, codes: list[str], key: str) -> None: ...
    def _logged_in_user(self, widget: str) -> str: ...
    def _with_password(self, action: Callable[[], _T]) -> _T: ...


class TotpWidgets:
    """Mixed into ``Authenticate``."""

    # ---- the login's second step ---------------------------------------------------

    def _await_totp(self: _Host, key: str, challenge: _core.TotpChallenge) -> None:
        """Keeps a login waiting for its code (or passkey); the form asks
        for it next."""
        st.session_state[f"{_CHALLENGE}-{key}"] = challenge
        st.rerun()

    def _totp_step(
        self: _Host,
        location: str,
        fields: Mapping[str, str],
        key: str,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> bool:
        """In place of the login form while a login waits for its code (or
        one of the user's passkeys: a button above the code form, or alone
        for a user without an authenticator app); ``True`` while it does
        (or once it opened the session)."""
        state_key = f"{_CHALLENGE}-{key}"
        challenge = st.session_state.get(state_key)
        if challenge is None:
            return False
        container = st.sidebar if location == "sidebar" else st
        if challenge.passkey:
            # A user with a passkey may use it (see authgate.passkeys).
            self._passkey_second_factor(location, fields, key, challenge, callback)
            if not challenge.totp:
                if container.button(fields.get("Cancel", "Cancel"), key=f"{key}-passkey-cancel"):
                    del st.session_state[state_key]
                    st.rerun()
                return True
        form = container.form(key=f"{key}-totp")
        form.subheader(fields.get("Authenticator code", "Authenticator code"))
        code = form.text_input(
            fields.get("Code", "Code"),
            help=self._t("The 6-digit code of your authenticator app, or a recovery code"),
            autocomplete="one-time-code",
            max_chars=16,
            key=f"{key}-totp-code",
        )
        verify, cancel = form.columns(2)
        if cancel.form_submit_button(fields.get("Cancel", "Cancel")):
            del st.session_state[state_key]
            st.rerun()
        if not verify.form_submit_button(fields.get("Verify", "Verify")):
            return True
        try:
            result = self._auth.finish_totp_login(challenge, code)
        except _core.WrongCode:
            form.error(fields.get("Error", "Code is incorrect"))
            return True
        except (_core.CodeRefused, _core.AccountLocked, _core.TooManyUsers) as e:
            del st.session_state[state_key]
            raise LoginError(self._t(str(e))) from None
        del st.session_state[state_key]
        self._logged_in(result, callback)
        return True

    # ---- require_2fa -----------------------------------------------------------------

    def _enforce_factor_policy(self: _Host, key: str) -> None:
        """With ``require_2fa``, a logged-in user the policy names who has no
        second factor sets one up before anything else of the page runs."""
        if self._require_2fa is None or not st.session_state.get("authentication_status"):
            return
        session_id = st.session_state.get(SESSION_ID)
        if session_id is None or st.session_state.get(_FACTOR_CHECKED) == session_id:
            return
        username = str(st.session_state["username"])
        if not self._auth.must_enroll_second_factor(username):
            st.session_state[_FACTOR_CHECKED] = session_id
            return
        st.warning(
            self._t(
                "This account needs two-factor authentication: set up an authenticator "
                "app to continue."
            )
        )
        if self.enroll_totp(key=f"{key}-required") is not None:
            # The recovery codes are on screen; the app opens on the next run.
            st.button(self._t("Continue"), key=f"{key}-required-continue")
        else:
            self.logout(key=f"{key}-required-logout")
        st.stop()

    # ---- set-up and management -----------------------------------------------------

    def enroll_totp(self: _Host, key: str = "Authenticator app") -> list[str] | None:
        """Sets up an authenticator app for the logged-in user. Returns the
        recovery codes in the run the factor is stored (they are shown once,
        with a download button), else ``None``."""
        username = self._logged_in_user("enroll_totp")
        if self._credentials is not None:
            # Dict mode keeps its state in this process's memory for the
            # app's dict; a factor that a restart forgets would silently
            # let the password alone in again.
            raise AuthenticateError(
                "Authenticator apps need a config file or a database store: dict mode "
                "keeps no second factors"
            )
        if self._auth.has_totp(username):
            st.success(self._t("Two-factor authentication is on."))
            return None
        pending = st.session_state.get(f"{_PENDING}-{key}")
        if pending is None:
            if st.button(self._t("Set up an authenticator app"), key=f"{key}-begin"):
                pending = self._auth.begin_totp_enrolment(username)
                st.session_state[f"{_PENDING}-{key}"] = pending
            else:
                return None
        # In a slot, so that the secret leaves the page once the app has it.
        slot = st.empty()
        setup = slot.container()
        setup.image(pending["qr_png"], width=220)
        setup.caption(self._t("Scan the code with your authenticator app, or type this key:"))
        setup.code(pending["secret_base32"], language=None)
        form = setup.form(key=f"{key}-confirm")
        code = form.text_input(self._t("Code"), autocomplete="one-time-code", max_chars=8)
        if not form.form_submit_button(self._t("Activate")):
            return None
        try:
            codes = self._auth.confirm_totp_enrolment(username, pending["pending"], code)
        except _core.WrongCode:
            form.error(self._t("Code is incorrect"))
            return None
        except _core.CodeRefused as e:
            del st.session_state[f"{_PENDING}-{key}"]
            raise ResetError(self._t(str(e))) from None
        del st.session_state[f"{_PENDING}-{key}"]
        slot.empty()
        self._show_recovery_codes(codes, key)
        return codes

    def disable_totp(self: _Host, key: str = "Turn off two-factor authentication") -> bool:
        """A form that removes the logged-in user's authenticator app after
        their password; ``True`` once it did."""
        username = self._logged_in_user("disable_totp")
        if not self._auth.has_totp(username):
            return False
        form = st.form(key=key)
        password = form.text_input(self._t("Password"), type="password", autocomplete="off")
        if not form.form_submit_button(self._t("Turn off")):
            return False
        self._with_password(lambda: self._auth.disable_totp(username, password))
        return True

    def regenerate_recovery_codes(self: _Host, key: str = "New recovery codes") -> list[str] | None:
        """A form that replaces the logged-in user's recovery codes after
        their password; the new ones are shown once and returned."""
        username = self._logged_in_user("regenerate_recovery_codes")
        if not self._auth.has_totp(username):
            return None
        form = st.form(key=key)
        password = form.text_input(self._t("Password"), type="password", autocomplete="off")
        if not form.form_submit_button(self._t("New recovery codes")):
            return None
        codes: list[str] = self._with_password(
            lambda: self._auth.regenerate_recovery_codes(username, password)
        )
        self._show_recovery_codes(codes, key)
        return codes

    def _show_recovery_codes(self: _Host, codes: list[str], key: str) -> None:
        st.subheader(self._t("Your recovery codes"))
        st.caption(
            self._t(
                "Each works once, in place of a code of the app. Keep them somewhere safe: "
                "they are not shown again."
            )
        )
        text = "\n".join(codes) + "\n"
        st.code(text, language=None)
        st.download_button(
            self._t("Download recovery codes"),
            data=text,
            file_name="recovery-codes.txt",
            mime="text/plain",
            key=f"{key}-download",
        )

    def _logged_in_user(self: _Host, widget: str) -> str:
        if not st.session_state.get("authentication_status"):
            raise ResetError(f"User must be logged in to use {widget}")
        return str(st.session_state["username"])

    def _with_password(self: _Host, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except _core.InvalidCredentials:
            raise CredentialsError("password", message=self._t("Password is incorrect")) from None
        except (_core.AccountLocked, _core.CodeRefused, _core.InvalidInput) as e:
            raise ResetError(self._t(str(e))) from None
