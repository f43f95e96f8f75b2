"""The captcha field of a form: a thin caller of the core's captcha registry.

The core keeps the answer (hashed) and decides: a picture answers once, an
empty answer is "not entered", and every attempt gets the next picture,
which is drawn into the same slot in the same run. This module keeps only
the picture and its id in session_state and words the verdict.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import _core
from .i18n import Labels

_REFUSALS = {"not_entered": "Captcha not entered", "wrong": "Captcha entered incorrectly"}


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
        _, captcha_id = st.session_state[self._state_key]
        verdict, png, next_id = _core.answer_captcha(captcha_id, self.entered)
        st.session_state[self._state_key] = (png, next_id)
        self._slot.image(png)
        if verdict != "right":
            raise error(self._fields.text(_REFUSALS[verdict]))
