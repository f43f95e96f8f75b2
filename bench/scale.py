"""The scale job: authgate's core operations against the number of users.

Runs in a plain Python worker subprocess (``python -m bench.worker``) that
never imports Streamlit: it opens stores with ``authgate._core`` and calls
``_core.Authenticator`` directly, so the figures are the core's (store, SQL,
bcrypt), not a script run's.

Two kinds of scale job:

- **timing** (``spec.sizes`` set): one process opens the store at every size
  (``spec.sources``) and interleaves them, one repetition of each size in
  turn (the order rotating), so a size is never measured while the machine
  is quieter or busier than for another: on a shared machine an fsync can take
  1 ms for a minute and 8 ms the next. Samples are named ``op@users``.
- **memory** (no ``spec.sizes``): one process per size opens ``spec.source``
  and runs the same operations a few times; its peak RSS after importing
  ``authgate._core``, after opening the store, and at the end. The peak is
  ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` would do, but Linux
  carries it across fork and exec, so a worker's starts at the suite
  process's peak (141 MB once the suite had written the 100,000-user config)
  and would hide anything below it. ``ru_maxrss`` is recorded too.

One repetition, on users of its own drawn at random (fixed seed) from the
whole range, so that no user sees two failed attempts (no lockout) and the
lookups touch the whole index, not one hot page:

- failed login of user a (wrong password: ``InvalidCredentials``);
- login of user b, then logout of that session;
- update of b's last name (a new value each time);
- lookup of user c by email (``forgot_username``);
- in the first ``spec.registers`` repetitions, a registration of a new user,
  hashed at cost 4 (``hash_cost=4``, like every generated user).

Also what is subtracted, in the same process: 30 cost-4 verifies (every
generated user has a cost-4 hash; a verify is the same bcrypt work as a hash
at that cost).

Before timing, the timing job reads each SQLite database file once, so that
every size starts from the OS page cache, as a database in use does. In the
full suite the 1,000,000-user file was written many jobs earlier and partly
evicted by them; a lookup there then waited for the disk, which says nothing
about how the work grows with the number of users.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bulk import sqlite_path
from bench.data import (
    COOKIE_KEY,
    PASSWORD,
    REGISTER_PASSWORD,
    WRONG_PASSWORD,
    username,
)
from bench.sink import Sink
from bench.spec import JobSpec

REGISTER_COST = 4  # bcrypt cost of the registrations: one cost-4 verify is subtracted
PICK_SEED = {"timing": 1, "memory": 2}  # different users for the two kinds of job


def _max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss_kb() -> int:
    """This process image's peak RSS (``VmHWM``), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return _max_rss_kb()


def _clock(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def client_of(user: str) -> str:
    """Each simulated user logs in from a browser of their own: the guessing
    brake (on by default, and timed here) counts per client."""
    return f"bench-{user}"


class _Ops:
    """The timed calls on one store's ``_core.Authenticator``; each records its
    sample (``name`` + ``suffix``) or its error."""

    def __init__(
        self, core: Any, authenticator: Any, sink: Sink, suffix: str, new_prefix: str
    ) -> None:
        self.core, self.auth, self.sink = core, authenticator, sink
        self.suffix, self.new_prefix = suffix, new_prefix

    def timed(self, name: str, call: Callable[[], object]) -> float | None:
        start = time.perf_counter()
        try:
            call()
        except Exception as e:
            self.sink.error(name + self.suffix, f"{type(e).__name__}: {e}")
            return None
        seconds = time.perf_counter() - start
        self.sink.sample(name + self.suffix, seconds)
        return seconds

    def failed_login(self, user: str) -> None:
        def call() -> None:
            try:
                self.auth.login(user, WRONG_PASSWORD, client=client_of(user))
            except self.core.InvalidCredentials:
                return
            raise RuntimeError(f"{user}: a wrong password was accepted")

        self.timed("login_fail", call)

    def login_logout(self, user: str) -> None:
        result: list[Any] = []
        login = self.timed(
            "login",
            lambda: result.append(self.auth.login(user, PASSWORD, client=client_of(user))),
        )
        if login is None:
            return
        logout = self.timed("logout", lambda: self.auth.logout(result[0].session_id))
        if logout is not None:
            self.sink.sample("login_logout" + self.suffix, login + logout)

    def update(self, user: str) -> None:
        value = f"Scale{time.time_ns()}"  # never the current value (that is refused)
        self.timed("update", lambda: self.auth.update_details(user, "last_name", value))

    def lookup(self, user: str) -> None:
        def call() -> None:
            if self.auth.forgot_username(f"{user}@example.com") is None:
                raise RuntimeError(f"{user}: not found by email")

        self.timed("lookup", call)

    def register(self, rep: int) -> None:
        """The authenticator hashes at cost 4 here, like the generated users, so
        the report subtracts one cost-4 verify (the same bcrypt work as a cost-4
        hash) instead of a cost-12 hash whose time swings by tens of ms."""
        new = f"{self.new_prefix}{rep:04d}"
        self.timed(
            "register",
            lambda: self.auth.register(
                username=new,
                email=f"{new}@example.com",
                first_name="Scale",
                last_name="Register",
                password=REGISTER_PASSWORD,
                password_repeat=REGISTER_PASSWORD,
                anyone=True,
            ),
        )

    def repetition(self, rep: int, users: list[str], register: bool) -> None:
        a, b, c = users
        self.failed_login(a)
        self.login_logout(b)
        self.update(b)
        self.lookup(c)
        if register:
            self.register(rep)


def _warm_os_cache(store: str, source: str) -> None:
    """Reads a SQLite database file (and its WAL) once, into the OS page cache."""
    if store != "sqlite":
        return
    path = Path(sqlite_path(source))
    for file in (path, path.with_name(path.name + "-wal")):
        if file.is_file():
            with file.open("rb") as f:
                while f.read(1 << 20):
                    pass


def _open(core: Any, store: str, source: str) -> Any:
    if store == "yaml":
        return core.Store.open(source)
    return core.Store.open_url(source)


def run_scale(spec: JobSpec, sink: Sink) -> None:
    from authgate import _core

    timing = bool(spec.sizes)
    mode = "timing" if timing else "memory"
    sizes = spec.sizes if timing else [spec.users]
    sources = spec.sources if timing else [spec.source]
    sink.info("baseline_kb", _peak_rss_kb())
    for _ in range(30):
        sink.sample("verify", _clock(lambda: _core.verify_password(PASSWORD, spec.login_hash)))
    ops: list[tuple[_Ops, list[int]]] = []
    rng = random.Random(PICK_SEED[mode])
    for users, source in zip(sizes, sources, strict=True):
        suffix = f"@{users}" if timing else ""
        if timing:
            _warm_os_cache(spec.store, source)
        start = time.perf_counter()
        authenticator = _core.Authenticator(
            _open(_core, spec.store, source), COOKIE_KEY, 30.0, hash_cost=REGISTER_COST
        )
        sink.sample("open" + suffix, time.perf_counter() - start)
        picks = rng.sample(range(users), min(users, 3 * spec.reps))
        prefix = f"scale{mode[0]}{users}x"
        ops.append((_Ops(_core, authenticator, sink, suffix, prefix), picks))
    sink.info("open_kb", _peak_rss_kb())
    started = time.monotonic()
    for rep in range(spec.reps):
        if rep and time.monotonic() - started > spec.budget:
            break
        sink.info("last_action", f"repetition {rep + 1}")
        for turn in range(len(ops)):
            one, picks = ops[(rep + turn) % len(ops)]
            users = [username(picks[(3 * rep + k) % len(picks)]) for k in range(3)]
            one.repetition(rep, users, rep < spec.registers)
        sink.info("repetitions", rep + 1)
    sink.info("peak_kb", _peak_rss_kb())
    sink.info("ru_maxrss_kb", _max_rss_kb())
