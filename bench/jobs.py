"""The measurements, each run in a fresh worker subprocess (``python -m bench.worker``).

Every job drives the library through AppTest, as a Streamlit server drives an
app, except ``core`` concurrency, which calls ``authgate._core`` directly.
"""

from __future__ import annotations

import resource
import statistics
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
    session = Session(lib, spec.source, RUN_TIMEOUT)
    session.render()
    sink.drain()
    started = time.monotonic()
    for rep in range(spec.reps if spec.ops else 1):
        if rep and time.monotonic() - started > spec.budget:
            break
        _logged_in_part(session, spec, sink, rep)
        if spec.ops:
            _logged_out_part(session, lib, sink, rep, spec.fail_user)
    sink.info("repetitions", rep + 1)


def _logged_in_part(session: Session, spec: JobSpec, sink: Sink, rep: int) -> None:
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


def _logged_out_part(session: Session, lib: Library, sink: Sink, rep: int, user: str) -> None:
    session.login(user, WRONG_PASSWORD, expect_ok=False)
    sink.drain()
    hashing = _clock(lambda: lib.hash(REGISTER_PASSWORD))
    session.register(f"benchnew{rep:04d}")
    register = sink.drain().get("register", [])
    sink.sample("hash", hashing)
    if register:
        sink.sample("register_net", register[0] - hashing)


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


def _busy(window: float = 0.3) -> bool:
    """Whether this process keeps a core at least half busy with nothing running."""
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(window)
    return (time.process_time() - cpu) / (time.perf_counter() - wall) > 0.5


def run_startup(spec: JobSpec, sink: Sink) -> None:
    """``Authenticate`` on a config of plaintext passwords, then an immediate login."""
    lib = LIBRARIES[spec.lib]
    path = Path(spec.source)
    session = Session(lib, spec.source, RUN_TIMEOUT)
    start = time.perf_counter()
    watcher = _Watcher(path, start)
    watcher.start()
    session.render()
    sink.drain()
    sink.info("first_run_s", time.perf_counter() - start)
    sink.info("background_work", _busy())
    last = spec.users - 1
    sink.info("login_before_hashed", watcher.holds(plaintext_password(last)))
    sink.info("login_at_s", time.perf_counter() - start)
    try:
        session.login(username(last), plaintext_password(last), expect_ok=True)
        sink.info("early_login", "ok")
    except ActionFailed as e:
        sink.info("early_login", str(e))
    sink.drain()
    watcher.join(timeout=max(0.0, spec.budget - (time.perf_counter() - start)))
    watcher.stop.set()
    sink.info("clean_at_s", watcher.clean_at)
    sink.info("plaintext_files", _files_holding(path.parent, PLAINTEXT_MARKER))


def _files_holding(folder: Path, marker: str) -> list[str]:
    needle = marker.encode()
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes())


# ---- concurrent logins ----------------------------------------------------------------


def run_concurrency(spec: JobSpec, sink: Sink) -> None:
    """``threads`` logins at once, each user with a cost-12 hash, in one process."""
    lib = LIBRARIES[spec.lib]
    for _ in range(5):
        sink.sample("verify", _clock(lambda: lib.verify(PASSWORD, spec.login_hash)))
    for _ in range(spec.reps):
        sink.sample("sessions_wall", _sessions_round(lib, spec, sink))
    if lib is AUTHGATE:
        for _ in range(spec.reps):
            sink.sample("core_wall", _core_round(spec))


def _together(calls: list[Callable[[], None]]) -> float:
    """Starts every call at once on its own thread; the wall time until all are done."""
    barrier = threading.Barrier(len(calls) + 1)
    failures: list[BaseException] = []

    def worker(call: Callable[[], None]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if failures:
        raise ActionFailed(f"{len(failures)} of {len(calls)} logins failed: {failures[0]}")
    return wall


def _sessions_round(lib: Library, spec: JobSpec, sink: Sink) -> float:
    sessions = [Session(lib, spec.source, RUN_TIMEOUT) for _ in range(spec.threads)]
    for i, session in enumerate(sessions):
        session.render()
        session.login(username(i), PASSWORD, expect_ok=True, run=False)
    sink.drain()
    wall = _together([lambda s=s: s.run_login(expect_ok=True) for s in sessions])
    sink.drain()
    for session in sessions:
        session.logout()
    sink.drain()
    return wall


def _core_round(spec: JobSpec) -> float:
    from authgate import _core
    from bench.data import COOKIE_KEY

    authenticator = _core.Authenticator(_core.Store.open(spec.source), COOKIE_KEY, 30.0)
    session_ids: list[str] = []

    def login(i: int) -> None:
        session_ids.append(authenticator.login(username(i), PASSWORD).session_id)

    wall = _together([lambda i=i: login(i) for i in range(spec.threads)])
    for session_id in session_ids:
        authenticator.logout(session_id)
    return wall


JOBS: dict[str, Callable[[JobSpec, Sink], None]] = {
    "session": run_session,
    "memory": run_memory,
    "startup": run_startup,
    "concurrency": run_concurrency,
}


def median(values: list[float]) -> float:
    return statistics.median(values)
