"""The re-authentication cookie: read from the handshake, written by the browser.

Streamlit copies cookies into ``st.context.cookies`` once, when the WebSocket
opens, so a cookie written now is only seen by Python after a reload, and a
deleted one is still seen until then. Writes go through a Custom Components v2
component: the operation is queued in session_state with an id, the browser
performs each id once and acknowledges it, and the queue is cleared on the
acknowledgement — so a write is never lost to a rerun.

Two modes, as ``Authenticate(cookie_mode=...)`` chooses:

* ``"script"`` (default, as streamlit-authenticator 0.4.2): the component
  writes ``document.cookie``; page scripts can read the cookie.
* ``"httponly"``: the operation is staged on the server and the component
  POSTs its one-time nonce to authgate's route, which sends ``Set-Cookie``
  with ``HttpOnly`` (see :mod:`authgate.httponly`); the token never reaches
  the page's JavaScript.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from . import httponly
from .exceptions import AuthenticateError

COOKIE_MODES: tuple[str, ...] = ("script", "httponly")

_OP_KEY = "_authgate_cookie_op"
_WRITER_KEY = "_authgate_cookie_writer"

_JS = """
export default function ({ data, setTriggerValue }) {
  if (!data) return;
  if (window.__authgateCookieOp !== data.op_id) {  // each op written once per page
    window.__authgateCookieOp = data.op_id;
    const secure = location.protocol === "https:" ? "; secure" : "";
    const attrs = "; path=/; samesite=strict" + secure;
    document.cookie = data.value === null
      ? `${data.name}=; max-age=0${attrs}`
      : `${data.name}=${encodeURIComponent(data.value)}; max-age=${data.max_age}${attrs}`;
  }
  // Acknowledge every time it is shown: an acknowledgement lost to a rerun is sent again.
  setTriggerValue("written", data.op_id);
}
"""

_writer = st.components.v2.component("authgate_cookie_writer", js=_JS)


class CookieJar:
    """Reads and writes one named cookie for the current Streamlit session.

    ``mode="httponly"`` raises ``AuthenticateError`` unless this process
    serves :func:`authgate.routes` (the script writer would silently give a
    cookie that scripts can read).
    """

    def __init__(self, name: str, mode: str = "script") -> None:
        if mode not in COOKIE_MODES:
            raise AuthenticateError(f"cookie_mode must be 'script' or 'httponly', not {mode!r}")
        if mode == "httponly":
            httponly.check_name(name)
            httponly.served_prefix()
        self.name = name
        self.mode = mode

    def companion(self, name: str) -> CookieJar:
        """Another cookie of this session, written the same way."""
        return CookieJar(name, self.mode)

    def read(self) -> str | None:
        """The cookie as the browser sent it when this session opened."""
        names = httponly.names_to_read(self.name) if self.mode == "httponly" else (self.name,)
        for name in names:
            try:
                value = st.context.cookies.get(name)
            except Exception:  # no browser context (bare mode)
                return None
            # AppTest's context is a mock whose values are not strings.
            if isinstance(value, str) and value:
                return value
        return None

    def queue_set(self, value: str, max_age_seconds: float) -> None:
        """Asks the browser to store ``value`` for ``max_age_seconds``."""
        if self.mode == "httponly":
            self._queue(httponly.stage("set", self.name, value, int(max_age_seconds)))
        else:
            self._queue({"name": self.name, "value": value, "max_age": int(max_age_seconds)})

    def queue_delete(self) -> None:
        """Asks the browser to delete the cookie."""
        if self.mode == "httponly":
            self._queue(httponly.stage("clear", self.name, None, 0))
        else:
            self._queue({"name": self.name, "value": None, "max_age": 0})

    def pending(self) -> dict[str, Any] | None:
        """The operation waiting for the browser, if any."""
        return st.session_state.get(_OP_KEY)

    def flush(self) -> None:
        """Renders the writer for the queued operation; clears it once acknowledged."""
        op = self.pending()
        if op is None:
            return
        try:
            if op.get("mode") == "httponly":
                self._flush_httponly(op)
                return
            result = _writer(data=op, key=_WRITER_KEY, height=0, on_written_change=lambda: None)
        except StreamlitDuplicateElementKey:
            return  # already rendered in this run: the next run shows the new operation
        if getattr(result, "written", None) == op["op_id"]:
            st.session_state[_OP_KEY] = None

    def _flush_httponly(self, op: dict[str, Any]) -> None:
        status = httponly.render(op)
        if status is None:
            return
        if 200 <= status < 300:
            st.session_state[_OP_KEY] = None
            return
        if status in (0, 400) and not op.get("retried"):
            # The nonce expired or was evicted before the browser posted it
            # (a reconnect, a flood): once more with a fresh one.
            retry = httponly.restage(op)
            retry["retried"] = True
            retry["op_id"] = uuid.uuid4().hex
            st.session_state[_OP_KEY] = retry
            st.rerun()
        httponly.log_failure(op, status)
        st.session_state[_OP_KEY] = None

    def _queue(self, op: dict[str, Any]) -> None:
        op["op_id"] = uuid.uuid4().hex
        httponly.discard(self.pending())
        st.session_state[_OP_KEY] = op
        self.flush()
