"""Streamlit scripts driven by AppTest. Each takes its settings as arguments."""

from __future__ import annotations

from typing import Any

# Callback payloads and dict-mode credentials shared with the tests (same process).
CALLS: list[dict[str, Any]] = []
CREDENTIALS: dict[str, Any] = {}


def login_app(source: str, init: dict, login: dict, logout: dict) -> None:
    import streamlit as st

    import authgate as stauth
    from tests.apps import CALLS, CREDENTIALS

    login, logout = dict(login), dict(logout)
    credentials = CREDENTIALS if source == "dict" else source
    authenticator = stauth.Authenticate(credentials, **init)
    if login.pop("record", False):
        login["callback"] = CALLS.append
    if logout.pop("record", False):
        logout["callback"] = CALLS.append
    try:
        result = authenticator.login(**login)
        if result is not None:
            st.text(f"unrendered={result!r}")
    except stauth.LoginError as e:
        st.error(str(e))
    if st.session_state.get("authentication_status"):
        authenticator.logout(**logout)
        st.markdown(f"Welcome {st.session_state['name']}")
    elif st.session_state.get("authentication_status") is False:
        st.error("Username/password is incorrect")
    else:
        st.warning("Please enter your username and password")
