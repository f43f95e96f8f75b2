"""The captcha field of a form, and the guard of a form's action.

The core keeps the answer (hashed) and decides: a picture answers once, an
empty answer is "not entered", and the answer travels with the one core
call of the form's action, which checks it before anything else
(``authgate::form_guard`` in Rust). This module keeps only the picture and
its id in session_state, draws the next picture into the same slot as the
answer is sent, and words a refusal as the form's exception.

The order of every form's checks, defined once in the core:

1. the captcha, if the form shows one;
2. the app's ``Validator``, if the form runs one (``checks``), which must
   not answer before the captcha is solved;
3. the core's own checks of the action, then its change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    def answer(self) -> tuple[str, str]:
        """``(captcha_id, entered)`` for the action's core call, which uses
        the picture up whatever the verdict; the next picture takes its
        place now, so the form never shows one that was tried."""
        _, captcha_id = st.session_state[self._state_key]
        png, next_id = _core.new_captcha()
        st.session_state[self._state_key] = (png, next_id)
        self._slot.image(png)
        return captcha_id, self.entered


@contextmanager
def guarded(
    captcha: CaptchaField | None,
    error: type[Exception],
    checks: Callable[[], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The keyword arguments that guard a form's core call — ``captcha``
    (the answer) and ``checks`` (the app's ``Validator``, for a core call
    that takes them) — in the order of this module's overview, which the
    core keeps; a refused captcha becomes ``error`` in 0.4.2's words."""
    guard: dict[str, Any] = {}
    if captcha is not None:
        guard["captcha"] = captcha.answer()
    if checks is not None:
        guard["checks"] = checks
    try:
        yield guard
    except _core.CaptchaRefused as e:
        words = captcha._fields.text(str(e)) if captcha is not None else str(e)
        raise error(words) from None
