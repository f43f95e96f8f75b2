"""The measurements, each run in a fresh worker subprocess (``python -m bench.worker``).

Every job drives the library through AppTest, as a Streamlit server drives an
app, except ``core`` concurrency, which calls ``authgate._core`` directly.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench import apps
from bench.data import PASSWORD, PLAINTEXT_MARKER, WRONG_PASSWORD, plaintext_password, username
from bench.libs import AUTHGATE, LIBRARIES, Library
from bench.session import REGISTER_PASSWORD, ActionFailed, Session
from bench.sink import Sink
from bench.spec import JobSpec

RUN_TIMEOUT = 24 * 3600.0  # the suite stops a worker at its own limit
_LAST_NAMES = ("Alpha", "Bravo")


def _clock(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


# ---- rerun overhead, operations, login latency ----------------------------------------


def run_session(spec: JobSpec, sink: Sink) -> None:
    lib = LIBRARIES[spec.lib]
    for _ in range(30):
        sink.sample("verify", _clock(lambda: lib.verify(PASSWORD, spec.login_hash)))
    session = Session(lib, spec.source, RUN_TIMEOUT, lambda a: sink.info("last_action", a))
    if spec.assume_login:
        session.assume_logged_in(spec.login_user)
    else:
        session.render()
    sink.drain()
    started = time.monotonic()
    done = 0
    while done < (spec.reps if spec.ops else 1):
        if done and time.monotonic() - started > spec.budget:
            break
        _logged_in_part(session, spec, sink, done)
        if spec.ops:
            _logged_out_part(session, lib, spec, sink, done)
        done += 1
        sink.info("repetitions", done)


def _logged_in_part(session: Session, spec: JobSpec, sink: Sink, rep: int) -> None:
    if not spec.assume_login:
        session.login(spec.login_user, PASSWORD, expect_ok=True)
    login = sink.drain().get("login_ok", [])
    for _ in range(spec.reruns):
        session.rerun()
        sink.drain()
    if not spec.ops:
        return
    session.update(_LAST_NAMES[rep % 2])
    sink.drain()
    session.logout()
    logout = sink.drain().get("logout", [])
    if login and logout:
        sink.sample("login_logout", login[0] + logout[0])


def _logged_out_part(session: Session, lib: Library, spec: JobSpec, sink: Sink, rep: int) -> None:
    session.login(spec.fail_user, WRONG_PASSWORD, expect_ok=False)
    sink.drain()
    for i in range(spec.registers):
        _register(session, lib, sink, f"benchnew{rep:03d}x{i}")


def _register(session: Session, lib: Library, sink: Sink, new_user: str) -> None:
    """One registration's wall time, less the CPU time of one cost-12 hash (the mean
    of one before it and one after it).

    CPU time, not wall time, is subtracted: on a busy machine a hash's wall time
    swings by tens of milliseconds, its CPU time by a few. Time the register
    lost to other processes stays in its figure, counted against the library.
    """
    before = _cpu_clock(lambda: lib.hash(REGISTER_PASSWORD))
    session.register(new_user)
    register = sink.drain().get("register", [])
    after = _cpu_clock(lambda: lib.hash(REGISTER_PASSWORD))
    sink.sample("hash_cpu", before)
    sink.sample("hash_cpu", after)
    if register:
        sink.sample("register_net", register[0] - (before + after) / 2)


def _cpu_clock(call: Callable[[], object]) -> float:
    start = time.thread_time()
    call()
    return time.thread_time() - start


# ---- memory -------------------------------------------------------------------------


def _max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_memory(spec: JobSpec, sink: Sink) -> None:
    """Peak RSS of loading the config, over the same process once warmed up."""
    lib = LIBRARIES[spec.lib]
    for load in (False, True):
        at = AppTest.from_function(
            apps.load_app,
            args=(lib.module, spec.source, lib.init, load),
            default_timeout=RUN_TIMEOUT,
        ).run()
        if at.exception:
            raise ActionFailed(at.exception[0].message)
        sink.info("peak_kb" if load else "baseline_kb", _max_rss_kb())


# ---- start-up hashing -----------------------------------------------------------------


class _Watcher(threading.Thread):
    """Notes when the config file first holds no plaintext password."""

    def __init__(self, path: Path, start: float) -> None:
        super().__init__(daemon=True)
        self.path, self.start_time = path, start
        self.clean_at: float | None = None
        self.stop = threading.Event()

    def holds(self, text: str) -> bool:
        try:
            return text in self.path.read_text(encoding="utf-8")
        except OSError:
            return True  # being replaced: look again

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                content = self.path.read_text(encoding="utf-8")
            except OSError:
                content = ""
            if content and PLAINTEXT_MARKER not in content:
                self.clean_at = time.perf_counter() - self.start_time
                return
            time.sleep(0.01)


def _busy(window: float = 0.5) -> bool:
    """Whether this process works while no script runs: a tenth of a core is enough,
    since on a busy machine a background thread gets little more."""
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(window)
    return (time.process_time() - cpu) / (time.perf_counter() - wall) > 0.1


def run_startup(spec: JobSpec, sink: Sink) -> None:
    """``Authenticate`` on a config of plaintext passwords; if hashing goes on after the
    form is up, a login as the last user straight away."""
    lib = LIBRARIES[spec.lib]
    path = Path(spec.source)
    session = Session(lib, spec.source, RUN_TIMEOUT)
    start = time.perf_counter()
    watcher = _Watcher(path, start)
    watcher.start()
    session.render()
    sink.drain()
    background = _busy()
    sink.info("background_work", background)
    if background:
        _early_login(session, watcher, spec, sink)
    # Without background work only the library's own start-up can have changed the file.
    watcher.join(
        timeout=max(0.0, spec.budget - (time.perf_counter() - start)) if background else 1.0
    )
    watcher.stop.set()
    sink.info("clean_at_s", watcher.clean_at)
    sink.info("plaintext_files", _files_holding(path.parent, PLAINTEXT_MARKER))


def _early_login(session: Session, watcher: _Watcher, spec: JobSpec, sink: Sink) -> None:
    last = spec.users - 1
    sink.info("login_before_hashed", watcher.holds(plaintext_password(last)))
    try:
        session.login(username(last), plaintext_password(last), expect_ok=True)
        sink.info("early_login", "ok")
    except ActionFailed as e:
        sink.info("early_login", str(e))
    sink.drain()


def _files_holding(folder: Path, marker: str) -> list[str]:
    needle = marker.encode()
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())


# ---- concurrent logins ----------------------------------------------------------------


def run_concurrency(spec: JobSpec, sink: Sink) -> None:
    """``threads`` logins at once, each user with a cost-12 hash, in one process."""
    lib = LIBRARIES[spec.lib]
    for _ in range(5):
        sink.sample("verify", _clock(lambda: lib.verify(PASSWORD, spec.login_hash)))
    users = [username(i) for i in range(spec.threads)]
    at = AppTest.from_function(
        apps.concurrent_app,
        args=(lib.module, spec.source, lib.init, users, PASSWORD, spec.reps),
        default_timeout=RUN_TIMEOUT,
    ).run()
    sink.drain()
    if at.exception:
        raise ActionFailed(at.exception[0].message)
    if lib is AUTHGATE:
        for _ in range(spec.reps):
            wall, failures = _core_round(spec, users)
            sink.sample("core_wall", wall)
            for failure in failures:
                sink.error("core_wall", f"{type(failure).__name__}: {failure}")


def _core_round(spec: JobSpec, users: list[str]) -> tuple[float, list[Exception]]:
    from authgate import _core
    from bench.data import COOKIE_KEY

    authenticator = _core.Authenticator(_core.Store.open(spec.source), COOKIE_KEY, 30.0)
    session_ids: list[str] = []

    def login(user: str) -> None:
        # Each user from a browser of their own, as the guessing brake sees them.
        client = f"bench-{user}"
        session_ids.append(authenticator.login(user, PASSWORD, client=client).session_id)

    wall, failures = apps.together([lambda u=u: login(u) for u in users])
    for session_id in session_ids:
        authenticator.logout(session_id)
    return wall, failures


JOBS: dict[str, Callable[[JobSpec, Sink], None]] = {
    "session": run_session,
    "memory": run_memory,
    "startup": run_startup,
    "concurrency": run_concurrency,
}
