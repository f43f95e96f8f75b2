"""The captcha field of a form: image from the Rust core, answer kept hashed.

Every attempt, right or wrong, is checked against the picture the user saw
and then replaces it with a new one (drawn into the same slot in the same
run), so one picture can be answered only once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import _core
from .i18n import Labels


class CaptchaField:
    """One captcha inside a form, keyed by ``name`` in session_state."""

    def __init__(self, state_key: str, entered: str, slot: Any, fields: Labels) -> None:
        self._state_key = state_key
        self._slot = slot
        self._fields = fields
        self.entered = entered

    @classmethod
    def render(cls, form: Any, name: str, fields: Labels) -> CaptchaField:
        state_key = f"_authgate_captcha_{name}"
        if state_key not in st.session_state:
            st.session_state[state_key] = _core.new_captcha()
        entered = form.text_input(fields.get("Captcha", "Captcha"), autocomplete="off")
        slot = form.empty()
        slot.image(st.session_state[state_key][0])
        return cls(state_key, entered, slot, fields)

    def check(self, error: type[Exception]) -> None:
        """Raises ``error`` unless the answer is right; either way the picture changes."""
        _, challenge = st.session_state[self._state_key]
        fresh = _core.new_captcha()
        st.session_state[self._state_key] = fresh
        self._slot.image(fresh[0])
        if not self.entered.strip():
            raise error(self._fields.text("Captcha not entered"))
        if not _core.check_captcha(challenge, self.entered):
            raise error(self._fields.text("Captcha entered incorrectly"))
