"""The mailed-code step of ``two_factor_auth``: the code goes to the user's
address, and the widget acts only once it is typed into a dialog.

The rules (6 digits, 10 minutes, 5 tries, one code a minute, ten a day, the
code's HMAC and never the code) are the core's
(``authgate._core.Authenticator.issue_code``). This module keeps the
challenge in the asking session's ``session_state``, under the widget that
asked, and draws the dialog with the widget's ``fields`` labels as 0.4.2
does (``Dialog name``, ``Code``, ``Instructions``, ``Submit``, ``Error``).

Unlike 0.4.2, which changed the password before asking for the code, the
action waits for the code; and it runs with the name and form contents the
code was sent for, not whatever the form holds later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, cast

import streamlit as st

from . import _core, mailing
from .i18n import Labels
from .types import CodeDelivery, CodePurpose

_CHALLENGES = "_authgate_code_challenges"
#: How long a mailed code works, as its message says.
CODE_MINUTES = round(_core.CODE_TTL / 60)


class CodeStepHost(Protocol):
    """What a ``CodeStep`` uses of the ``Authenticate`` whose widget it
    serves (typing only)."""

    _auth: _core.Authenticator

    def _client_address(self) -> str | None: ...
    def _mail_code(self, widget_key: str, mailer: _core.Mailer, delivery: CodeDelivery) -> None: ...


def _challenges() -> dict[str, _core.CodeChallenge]:
    challenges: dict[str, _core.CodeChallenge] = st.session_state.setdefault(_CHALLENGES, {})
    return challenges


class CodeStep:
    """The code step of one widget (its ``key``) for one ``purpose``."""

    def __init__(
        self,
        auth: CodeStepHost,
        widget_key: str,
        purpose: CodePurpose,
        fields: Labels,
        error: type[Exception],
    ) -> None:
        self._auth = auth
        self._key = widget_key
        self._purpose = purpose
        self._fields = fields
        self._error = error

    def start(
        self,
        mailer: _core.Mailer,
        name: str,
        binding: list[str],
        guard: Mapping[str, Any] | None = None,
    ) -> None:
        """Mails a code for ``name`` (nothing when nobody has it: the answer
        is the same) and opens the dialog. A new code replaces the last.
        ``guard``: the form's captcha (:func:`authgate.captcha.guarded`)."""
        try:
            # Only the mailed-code widgets start here; the login's code comes
            # from login_with_email_code and is only kept (`keep`).
            purpose = cast(Literal["register", "forgot_password", "forgot_username"], self._purpose)
            challenge, delivery = self._auth._auth.issue_code(
                purpose, name, binding, self._auth._client_address(), **(guard or {})
            )
        except (_core.CodeRefused, _core.InvalidInput) as e:
            raise self._error(self._fields.text(str(e))) from None
        self.keep(mailer, challenge, delivery)

    def keep(
        self, mailer: _core.Mailer, challenge: _core.CodeChallenge, delivery: CodeDelivery | None
    ) -> None:
        """Keeps a challenge the core issued and mails its code."""
        _challenges()[self._key] = challenge
        if delivery is not None:
            self._auth._mail_code(self._key, mailer, delivery)

    def confirmed(self) -> _core.CodeChallenge | None:
        """The challenge whose code was confirmed, taken out of the session;
        ``None`` while none waits."""
        challenge = _challenges().get(self._key)
        if challenge is None or not challenge.confirmed:
            return None
        del _challenges()[self._key]
        return challenge

    def take(self, binding: list[str]) -> str | None:
        """The name the code was sent for, once its code was confirmed (the
        challenge is then spent); ``None`` while no confirmed code waits."""
        challenge = self.confirmed()
        if challenge is None:
            return None
        try:
            return self._auth._auth.spend_code(challenge, self._purpose, binding)
        except _core.CodeRefused as e:
            raise self._error(self._fields.text(str(e))) from None

    def prompt(self) -> None:
        """Shows the code dialog while a code is on its way."""
        if self._key not in _challenges():
            return
        fields = self._fields
        key = self._key

        def dismissed() -> None:
            _challenges().pop(key, None)

        @st.dialog(fields.get("Dialog name", "Verification code"), on_dismiss=dismissed)
        def dialog() -> None:
            mailing.raise_failed_delivery(key)
            code = st.text_input(
                fields.get("Code", "Code"),
                help=fields.get("Instructions", "Please enter the code sent to your email"),
                autocomplete="one-time-code",
                max_chars=12,
                key=f"{key}-code",
            )
            if st.button(fields.get("Submit", "Submit"), key=f"{key}-code-submit"):
                self._confirm(code)

        dialog()

    def _confirm(self, code: str) -> None:
        challenge = _challenges().get(self._key)
        if challenge is None:
            return
        try:
            self._auth._auth.confirm_code(challenge, code)
        except _core.WrongCode:
            st.error(self._fields.get("Error", "Code is incorrect"))
            return
        except _core.CodeRefused as e:
            # Expired or used up: this challenge is over; the form asks anew.
            _challenges().pop(self._key, None)
            st.error(self._fields.text(str(e)))
            return
        st.rerun()
