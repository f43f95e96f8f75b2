"""Streamlit scripts driven by AppTest. Each takes its settings as arguments."""

from __future__ import annotations

from typing import Any

# Callback payloads and dict-mode credentials shared with the tests (same process).
CALLS: list[dict[str, Any]] = []
CREDENTIALS: dict[str, Any] = {}
PREAUTHORIZED: list[str] = []
# Dict mode signs cookies with the key the app passes.
DICT_COOKIE_KEY = "dict-mode-test-cookie-key-0123456789"


def login_app(source: str, init: dict, login: dict, logout: dict) -> None:
    import streamlit as st

    import authgate as stauth
    from tests.apps import CALLS, CREDENTIALS, DICT_COOKIE_KEY

    login, logout = dict(login), dict(logout)
    credentials = CREDENTIALS if source == "dict" else source
    if source == "dict":  # no config file to take the key from, or keep one in
        init = {"cookie_key": DICT_COOKIE_KEY, **init}
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


def widgets_app(source: str, init: dict, widgets: list) -> None:
    """Logs in from session_state as the app would, then renders each widget.

    ``widgets`` is a list of ``(method, kwargs)``; each result is shown as
    ``st.text("<method>=<repr>")`` and each exception as
    ``st.error("<Class>: <message>")``.
    """
    import streamlit as st

    import authgate as stauth
    from tests.apps import CALLS, CREDENTIALS, DICT_COOKIE_KEY, PREAUTHORIZED

    credentials = CREDENTIALS if source == "dict" else source
    if source == "dict":  # no config file to take the key from, or keep one in
        init = {"cookie_key": DICT_COOKIE_KEY, **init}
    authenticator = stauth.Authenticate(credentials, **init)
    try:
        authenticator.login()
    except stauth.LoginError as e:
        st.error(f"LoginError: {e}")
    for method, kwargs in widgets:
        kwargs = dict(kwargs)
        if kwargs.pop("record", False):
            kwargs["callback"] = CALLS.append
        if kwargs.get("pre_authorized") == "<shared>":
            kwargs["pre_authorized"] = PREAUTHORIZED
        if kwargs.get("username") == "<session>":
            kwargs["username"] = st.session_state.get("username")
        try:
            result = getattr(authenticator, method)(**kwargs)
            st.text(f"{method}={result!r}")
        except Exception as e:
            st.error(f"{type(e).__name__}: {e}")
