"""The re-authentication cookie: read from the handshake, written by the browser.

Streamlit copies cookies into ``st.context.cookies`` once, when the WebSocket
opens, so a cookie written now is only seen by Python after a reload, and a
deleted one is still seen until then. Writes go through a Custom Components v2
writer: the operation is queued in session_state with an id, the browser runs
each id once and acknowledges it, and the queue is cleared on the
acknowledgement — so a write is never lost to a rerun.
"""

from __future__ import annotations

import secrets
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

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
    """Reads and writes one named cookie for the current Streamlit session."""

    def __init__(self, name: str) -> None:
        self.name = name

    def read(self) -> str | None:
        """The cookie as the browser sent it when this session opened."""
        try:
            value = st.context.cookies.get(self.name)
        except Exception:  # no browser context (bare mode)
            return None
        # AppTest's context is a mock whose values are not strings.
        return value if isinstance(value, str) and value else None

    def queue_set(self, value: str, max_age_seconds: float) -> None:
        """Asks the browser to store ``value`` for ``max_age_seconds``."""
        self._queue({"name": self.name, "value": value, "max_age": int(max_age_seconds)})

    def queue_delete(self) -> None:
        """Asks the browser to delete the cookie."""
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
            result = _writer(data=op, key=_WRITER_KEY, height=0, on_written_change=lambda: None)
        except StreamlitDuplicateElementKey:
            return  # already rendered in this run: the next run shows the new operation
        if getattr(result, "written", None) == op["op_id"]:
            st.session_state[_OP_KEY] = None

    def _queue(self, op: dict[str, Any]) -> None:
        op["op_id"] = secrets.token_hex(8)
        st.session_state[_OP_KEY] = op
        self.flush()
