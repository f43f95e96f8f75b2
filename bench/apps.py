"""The Streamlit scripts that AppTest runs, for either library.

AppTest runs a script in a thread of the calling process, so the scripts
report to the module-level lists below; the driver tells a run what it is
doing through session_state. Each timed call is wrapped in
``time.perf_counter()`` inside the script run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# (figure name, seconds) and (figure name, error message), appended by the scripts.
SAMPLES: list[tuple[str, float]] = []
ERRORS: list[tuple[str, str]] = []
# The driver puts the action of each run ("render", "login_ok", "login_fail",
# "rerun", "update", "logout", "register") in session_state under ACTION, and
# for "register" the expected username under EXPECTED.
ACTION = "_bench_action"
EXPECTED = "_bench_expected"
_LOCK = threading.Lock()


def record(name: str, seconds: float) -> None:
    with _LOCK:
        SAMPLES.append((name, seconds))


def record_error(name: str, error: BaseException) -> None:
    with _LOCK:
        ERRORS.append((name, f"{type(error).__name__}: {error}"))


def timed(active: bool, name: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Calls ``call``; when ``active``, records its duration or its error under ``name``.

    Streamlit's rerun and stop signals are BaseExceptions: they pass through and
    the time up to them is recorded (authgate's ``login`` ends in ``st.rerun()``).
    """
    if not active:
        return call(*args, **kwargs)
    start = time.perf_counter()
    failed = False
    try:
        return call(*args, **kwargs)
    except Exception as e:
        failed = True
        record_error(name, e)
        return None
    finally:
        if not failed:
            record(name, time.perf_counter() - start)


def session_app(module: str, source: str, init: dict[str, object]) -> None:
    """A README-style app: login, then update details and logout, or a register form.

    Records ``rerun`` (``Authenticate`` + ``login()`` in a run that starts
    logged in), ``build`` and ``form`` (``Authenticate`` alone, and up to the
    rendered login form, in a ``render`` run), and the operation named by the
    driver's action.
    """
    import importlib
    import time

    import streamlit as st

    from bench import apps

    lib = importlib.import_module(module)
    action = st.session_state.get(apps.ACTION, "render")
    logged_in = bool(st.session_state.get("authentication_status"))
    start = time.perf_counter()
    authenticator = apps.timed(action == "render", "build", lib.Authenticate, source, **init)
    try:
        apps.timed(action in ("login_ok", "login_fail"), action, authenticator.login)
    finally:
        if logged_in:
            apps.record("rerun", time.perf_counter() - start)
        elif action == "render":
            apps.record("form", time.perf_counter() - start)
    if st.session_state.get("authentication_status"):
        username = st.session_state["username"]
        ok = apps.timed(action == "update", "update", authenticator.update_user_details, username)
        if action == "update" and ok is not True:
            apps.record_error("update", RuntimeError(f"update_user_details returned {ok!r}"))
        apps.timed(action == "logout", "logout", authenticator.logout)
    else:
        result = apps.timed(
            action == "register", "register", authenticator.register_user, captcha=False
        )
        expected = st.session_state.get(apps.EXPECTED)
        if action == "register" and (not result or result[1] != expected):
            apps.record_error("register", RuntimeError(f"register_user returned {result!r}"))


def load_app(module: str, source: str, init: dict[str, object], load: bool) -> None:
    """Imports the library and, when ``load``, builds ``Authenticate`` (memory figure)."""
    import importlib

    lib = importlib.import_module(module)
    if load:
        authenticator = lib.Authenticate(source, **init)
        del authenticator
