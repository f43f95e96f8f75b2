"""Which jobs a run makes, on which generated data, with which time limits."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from bench.data import PASSWORD, hash_pool, hashed_config, plaintext_config, username, write_config
from bench.spec import JobSpec

QUICK_SA042_MAX = 10_000  # --quick: 0.4.2's reruns at 1,000 and 10,000 users
QUICK_SA042_OPS_MAX = 1_000  # --quick: 0.4.2's operations at 1,000 users only
CONCURRENT_SESSIONS = 8


@dataclass(frozen=True)
class Settings:
    quick: bool
    sizes: tuple[int, ...]
    stores: tuple[str, ...]

    @property
    def startup_passwords(self) -> int:
        return 50 if self.quick else 200

    @property
    def memory_sizes(self) -> tuple[int, ...]:
        return tuple(s for s in self.sizes if s >= 10_000) or self.sizes[-1:]

    def sa042_skip(self, users: int, ops: bool) -> str | None:
        limit = QUICK_SA042_OPS_MAX if ops else QUICK_SA042_MAX
        if self.quick and users > limit:
            return "not run (--quick)"
        return None


class Dataset:
    """The generated configs of one run; each job works on its own copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pool: list[str] = []
        self._made: dict[str, Path] = {}

    @property
    def pool(self) -> list[str]:
        if not self._pool:
            self._pool = hash_pool(4)
        return self._pool

    def _base(self, name: str, make: Callable[[Path], Path]) -> Path:
        if name not in self._made:
            (self.root / "base").mkdir(parents=True, exist_ok=True)
            self._made[name] = make(self.root / "base" / f"{name}.yaml")
        return self._made[name]

    def hashed(self, users: int) -> Path:
        return self._base(f"users-{users}", lambda p: hashed_config(p, users, self.pool))

    def plaintext(self, users: int) -> Path:
        return self._base(f"plaintext-{users}", lambda p: plaintext_config(p, users))

    def cost12(self, users: int) -> Path:
        def make(path: Path) -> Path:
            hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()
            return write_config(path, [hashed] * users)

        return self._base(f"cost12-{users}", make)

    def workdir(self, key: str) -> Path:
        folder = self.root / "jobs" / key.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def copy(self, base: Path, key: str) -> Path:
        return Path(shutil.copyfile(base, self.workdir(key) / "config.yaml"))


@dataclass
class Job:
    key: str  # kind/lib/store/users
    prepare: Callable[[], JobSpec] | None  # None: not run
    cap: float = 0.0  # hard limit in seconds
    floor: float = 0.0  # --quick: not started with less time than this
    reason: str = ""  # why it is not run
    meta: dict[str, float] = field(default_factory=dict)


def job_key(kind: str, lib: str, store: str, users: int) -> str:
    return f"{kind}/{lib}/{store}/{users}"


def _hours(h: float) -> float:
    return h * 3600.0


def _session_job(settings: Settings, data: Dataset, lib: str, users: int) -> Job:
    key = job_key("session", lib, "yaml", users)
    ops = True
    if lib == "sa042":
        reason = settings.sa042_skip(users, ops=False)
        if reason:
            return Job(key, None, reason=reason)
        ops = settings.sa042_skip(users, ops=True) is None

    def prepare() -> JobSpec:
        login = users // 2
        return JobSpec(
            kind="session",
            lib=lib,
            source=str(data.copy(data.hashed(users), key)),
            out=str(data.workdir(key) / "result.jsonl"),
            users=users,
            reps=_session_reps(settings, lib),
            reruns=3 if lib == "authgate" else 2,
            registers=3 if lib == "authgate" else 1,
            budget=_session_budget(settings, lib),
            ops=ops,
            # Reruns only (0.4.2 in --quick): skip its minute-long login writes.
            assume_login=not ops,
            login_user=username(login),
            fail_user=username(1),
            login_hash=data.pool[login % len(data.pool)],
        )

    if not settings.quick:
        return Job(key, prepare, cap=_hours(6))
    if lib == "authgate":
        return Job(key, prepare, cap=30.0, floor=10.0)
    return Job(key, prepare, cap=120.0, floor=30.0 if not ops else 45.0)


def _session_reps(settings: Settings, lib: str) -> int:
    if lib == "authgate":
        return 3 if settings.quick else 5
    return 2 if settings.quick else 3


def _session_budget(settings: Settings, lib: str) -> float:
    """Seconds after which no new repetition starts."""
    if settings.quick:
        return 15.0 if lib == "authgate" else 40.0
    return 600.0 if lib == "authgate" else 1200.0


def _memory_job(settings: Settings, data: Dataset, lib: str, users: int) -> Job:
    key = job_key("memory", lib, "yaml", users)
    if lib == "sa042" and settings.sa042_skip(users, ops=False):
        return Job(key, None, reason="not run (--quick)")

    def prepare() -> JobSpec:
        return JobSpec(
            kind="memory",
            lib=lib,
            source=str(data.copy(data.hashed(users), key)),
            out=str(data.workdir(key) / "result.jsonl"),
            users=users,
        )

    return Job(key, prepare, cap=60.0 if settings.quick else _hours(1), floor=5.0)


def _startup_job(settings: Settings, data: Dataset, lib: str) -> Job:
    users = settings.startup_passwords
    key = job_key("startup", lib, "yaml", users)

    def prepare() -> JobSpec:
        return JobSpec(
            kind="startup",
            lib=lib,
            source=str(data.copy(data.plaintext(users), key)),
            out=str(data.workdir(key) / "result.jsonl"),
            users=users,
            budget=users * 1.0 + 10.0,
        )

    return Job(key, prepare, cap=users * 1.5 + 30.0, floor=users * 0.5)


def _concurrency_job(settings: Settings, data: Dataset, lib: str) -> Job:
    users = CONCURRENT_SESSIONS
    key = job_key("concurrency", lib, "yaml", users)

    def prepare() -> JobSpec:
        base = data.cost12(users)
        hashed = base.read_text().split("password: ", 1)[1].split("\n", 1)[0]
        return JobSpec(
            kind="concurrency",
            lib=lib,
            source=str(data.copy(base, key)),
            out=str(data.workdir(key) / "result.jsonl"),
            users=users,
            reps=2 if settings.quick else 5,
            threads=CONCURRENT_SESSIONS,
            login_hash=hashed,
        )

    return Job(key, prepare, cap=90.0 if settings.quick else 900.0, floor=15.0)


def build(settings: Settings, data: Dataset) -> list[Job]:
    """The jobs in the order they run: in --quick, the cheap ones first."""
    libs = ("authgate", "sa042")
    sessions = {lib: [_session_job(settings, data, lib, n) for n in settings.sizes] for lib in libs}
    jobs: list[Job] = []
    if "yaml" in settings.stores:
        jobs += sessions["authgate"]
        jobs += [j for j in sessions["sa042"] if _cheap(j, settings)]
        jobs += [_concurrency_job(settings, data, lib) for lib in libs]
        jobs += [_startup_job(settings, data, lib) for lib in libs]
        jobs += [_memory_job(settings, data, lib, n) for n in settings.memory_sizes for lib in libs]
        jobs += [j for j in sessions["sa042"] if not _cheap(j, settings)]
    return jobs


def _cheap(job: Job, settings: Settings) -> bool:
    return not settings.quick or job.key.endswith(f"/{min(settings.sizes)}")
