"""``sessions()``: a logged-in user's own list of sessions.

Each browser logged in as the user is one row: its browser and system in
words (from the ``User-Agent`` its login sent, kept with the session), when
it logged in and when it was last seen. The user ends any one of them, or
every one but this ("log out other devices"); an ended session's cookie
stops working at its next rerun. Session ids never reach the browser: the
picker offers rows by their description, and the ids stay on the server.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

import streamlit as st

from . import _core
from .exceptions import LoginError

if TYPE_CHECKING:
    from .i18n import Translator

_FLASH = "_authgate_sessions_flash"
# Where the id of this browser's own session is kept.
SESSION_ID = "_authgate_session_id"


def _when(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def user_agent() -> str | None:
    """The browser's ``User-Agent`` (none outside a browser session)."""
    agent = st.context.headers.get("User-Agent")
    return agent if isinstance(agent, str) else None


class _Host(Protocol):
    """What ``DeviceSessions`` uses of the ``Authenticate`` it is mixed into,
    and of itself through ``self`` (typing only)."""

    _auth: _core.Authenticator
    _t: Translator

    # DeviceSessions' own
    def _end_session(self, key: str, username: str, session_id: Any) -> None: ...
    def _end_other_sessions(self, key: str, username: str, current: str | None) -> None: ...


class DeviceSessions:
    """Mixed into ``Authenticate``."""

    def _label_session(self: _Host, session_id: str) -> None:
        """Keeps this browser's ``User-Agent`` with a session it opened."""
        agent = user_agent()
        if agent:
            self._auth.label_session(session_id, agent)

    def sessions(self: _Host, key: str = "Sessions") -> None:
        """Lists the logged-in user's sessions, and ends one or all others."""
        if not st.session_state.get("authentication_status"):
            raise LoginError(self._t("User must be logged in to use this widget"))
        username = str(st.session_state["username"])
        current = st.session_state.get(SESSION_ID)
        flash = st.session_state.pop(f"{_FLASH}-{key}", None)
        if flash is not None:
            st.success(flash)
        rows = self._auth.sessions_of_user(username)
        this_one, seen = self._t("this one"), self._t("last seen")
        st.subheader(self._t("Your sessions"))
        st.dataframe(
            [
                {
                    self._t("Browser"): s["device"]
                    + (f" ({this_one})" if s["id"] == current else ""),
                    self._t("Logged in"): _when(s["created"]),
                    self._t("Last seen"): _when(s["last_seen"]),
                }
                for s in rows
            ],
            hide_index=True,
            key=f"{key}-table",
        )
        others = [s for s in rows if s["id"] != current]
        if not others:
            st.caption(self._t("No other browser is logged in as you."))
            return
        # Offered by description: the ids stay here, never in the page.
        offered: dict[str, str] = {}
        for s in others:
            label = f"{s['device']}, {seen} {_when(s['last_seen'])}"
            while label in offered:
                label += " ·"
            offered[label] = s["id"]
        picked = st.selectbox(self._t("Session"), list(offered), key=f"{key}-pick")
        end_one, end_all = st.columns(2)
        end_one.button(
            self._t("End this session"),
            key=f"{key}-end",
            on_click=self._end_session,
            args=(key, username, offered.get(picked) if picked is not None else None),
        )
        end_all.button(
            self._t("Log out other devices"),
            key=f"{key}-end-others",
            on_click=self._end_other_sessions,
            args=(key, username, current),
        )

    def _end_session(self: _Host, key: str, username: str, session_id: Any) -> None:
        if session_id is None:
            return
        try:
            self._auth.end_own_session(username, session_id)
        except _core.InvalidInput:
            pass  # ended meanwhile: the list drawn next no longer shows it
        st.session_state[f"{_FLASH}-{key}"] = self._t("The session was ended.")

    def _end_other_sessions(self: _Host, key: str, username: str, current: str | None) -> None:
        ended = self._auth.end_other_sessions(username, current or "")
        st.session_state[f"{_FLASH}-{key}"] = self._t(
            "Every other browser was logged out."
            if ended
            else "No other browser is logged in as you."
        )
