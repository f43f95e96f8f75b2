"""The Streamlit scripts that AppTest runs, for either library.

AppTest runs a script in a thread of the calling process, so the scripts
report to the module-level lists below; the driver tells a run what it is
doing through session_state. Each timed call is wrapped in
``time.perf_counter()`` inside the script run.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
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
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    with _LOCK:
        ERRORS.append((name, f"{type(error).__name__}: {error}{where}"))


def take() -> tuple[list[tuple[str, float]], list[tuple[str, str]]]:
    """Everything recorded since the last call, samples and errors."""
    with _LOCK:
        taken = list(SAMPLES), list(ERRORS)
        SAMPLES.clear()
        ERRORS.clear()
    return taken


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
    logged in), ``form_only`` (``login()`` rendering the form, nothing
    submitted), ``build`` and ``form`` (``Authenticate`` alone, and up to the
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
    submitted = not logged_in and action in ("login_ok", "login_fail")
    called = time.perf_counter()
    try:
        apps.timed(submitted, action, authenticator.login)
    finally:
        now = time.perf_counter()
        if logged_in:
            apps.record("rerun", now - start)
        elif not submitted:
            apps.record("form_only", now - called)
        if action == "render":
            apps.record("form", now - start)
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


def concurrent_app(
    module: str,
    source: str,
    init: dict[str, object],
    users: list[str],
    password: str,
    rounds: int,
) -> None:
    """One ``Authenticate``; each round, one thread per user runs its login path at once."""
    import importlib

    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    from bench import apps

    lib = importlib.import_module(module)
    authenticator = lib.Authenticate(source, **init)
    login = apps.login_path(module, authenticator)
    context = get_script_run_ctx()
    for _ in range(rounds):
        calls = [lambda u=u: login(u, password) for u in users]
        wall, failures = apps.together(calls, lambda t: add_script_run_ctx(t, context))
        apps.record("threads_wall", wall)
        for failure in failures:
            apps.record_error("threads_wall", failure)


def login_path(module: str, authenticator: Any) -> Callable[[str, str], None]:
    """What each library's login form does on submit, without rendering anything.

    authgate: the core login, then session_state (``_start``); 0.4.2: its
    controller's ``login``. Neither writes the cookie (a component render).
    """
    if module == "authgate":

        def authgate_login(username: str, password: str) -> None:
            authenticator._start(authenticator._auth.login(username, password))

        return authgate_login

    def sa042_login(username: str, password: str) -> None:
        if not authenticator.authentication_controller.login(username, password):
            raise RuntimeError(f"0.4.2 refused {username}")

    return sa042_login


def together(
    calls: list[Callable[[], object]],
    prepare: Callable[[threading.Thread], object] | None = None,
) -> tuple[float, list[Exception]]:
    """Starts each call on its own thread at once; the wall time until all are done,
    and what the calls raised."""
    barrier = threading.Barrier(len(calls) + 1)
    failures: list[Exception] = []

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
        except Exception as e:
            failures.append(e)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        if prepare is not None:
            prepare(thread)
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, failures


def load_app(module: str, source: str, init: dict[str, object], load: bool) -> None:
    """Imports the library and, when ``load``, builds ``Authenticate`` (memory figure)."""
    import importlib

    lib = importlib.import_module(module)
    if load:
        authenticator = lib.Authenticate(source, **init)
        del authenticator
