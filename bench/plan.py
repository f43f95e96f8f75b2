"""Which jobs a run makes, on which generated data, with which time limits."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from bench.data import PASSWORD, hash_pool, hashed_config, plaintext_config, username, write_config
from bench.spec import JobSpec
from bench.stores import StoreTarget

QUICK_SA042_MAX = 10_000  # --quick: 0.4.2's reruns at 1,000 and 10,000 users
QUICK_SA042_OPS_MAX = 1_000  # --quick: 0.4.2's operations at 1,000 users only
CONCURRENT_SESSIONS = 8


KINDS = ("session", "concurrency", "startup", "memory")


@dataclass(frozen=True)
class Settings:
    quick: bool
    sizes: tuple[int, ...]
    stores: tuple[str, ...]
    only: tuple[str, ...] = KINDS  # job kinds to run

    @property
    def startup_passwords(self) -> int:
        return 24 if self.quick else 200

    @property
    def sql_users(self) -> int:
        """Users in the SQLite and PostgreSQL rows (the issue's 1,000,000)."""
        return 10_000 if self.quick else 1_000_000

    @property
    def sql_memory_sizes(self) -> tuple[int, int]:
        return (1_000, 10_000) if self.quick else (10_000, 1_000_000)

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
        self._hash12 = ""
        self._made: dict[str, Path] = {}
        self.databases: dict[tuple[str, int], str] = {}  # (store, users) -> loaded URL

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

    @property
    def hash12(self) -> str:
        """One cost-12 hash of :data:`PASSWORD`."""
        if not self._hash12:
            self._hash12 = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()
        return self._hash12

    def cost12(self, users: int) -> Path:
        return self._base(f"cost12-{users}", lambda p: write_config(p, [self.hash12] * users))

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


def job_key(kind: str, lib: str, store: str, users: int) -> str:
    return f"{kind}/{lib}/{store}/{users}"


def _hours(h: float) -> float:
    return h * 3600.0


def _session_spec(
    settings: Settings, data: Dataset, lib: str, key: str, source: str, ops: bool = True
) -> JobSpec:
    """Rerun overhead, the operations and login latency, for one library on one store."""
    _, _, store, count = key.split("/")
    users = int(count)
    login = users // 2
    return JobSpec(
        kind="session",
        lib=lib,
        source=source,
        out=str(data.workdir(key) / "result.jsonl"),
        store=store,
        users=users,
        reps=_session_reps(settings, lib),
        reruns=3 if lib == "authgate" else (2 if ops else 1),
        registers=(2 if settings.quick else 3) if lib == "authgate" else 1,
        budget=_session_budget(settings, lib),
        ops=ops,
        # Reruns only (0.4.2 in --quick): skip its minute-long login writes.
        assume_login=not ops,
        login_user=username(login),
        fail_user=username(1),
        login_hash=data.pool[login % len(data.pool)],
    )


def _session_job(settings: Settings, data: Dataset, lib: str, users: int) -> Job:
    key = job_key("session", lib, "yaml", users)
    ops = True
    if lib == "sa042":
        reason = settings.sa042_skip(users, ops=False)
        if reason:
            return Job(key, None, reason=reason)
        ops = settings.sa042_skip(users, ops=True) is None

    def prepare() -> JobSpec:
        return _session_spec(settings, data, lib, key, str(data.copy(data.hashed(users), key)), ops)

    if not settings.quick:
        return Job(key, prepare, cap=_hours(6))
    if lib == "authgate":
        return Job(key, prepare, cap=25.0, floor=10.0)
    return Job(key, prepare, cap=60.0, floor=25.0)


def _session_reps(settings: Settings, lib: str) -> int:
    if lib == "authgate":
        return 2 if settings.quick else 5
    return 2 if settings.quick else 3


def _session_budget(settings: Settings, lib: str) -> float:
    """Seconds after which no new repetition starts."""
    if settings.quick:
        return 10.0 if lib == "authgate" else 20.0
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

    return Job(key, prepare, cap=45.0 if settings.quick else _hours(1), floor=5.0)


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
            budget=users * 2.0 + 20.0,  # waiting for background hashing to finish
        )

    return Job(key, prepare, cap=users * 2.5 + 30.0, floor=users * 0.5)


def _concurrency_job(settings: Settings, data: Dataset, lib: str) -> Job:
    users = CONCURRENT_SESSIONS
    key = job_key("concurrency", lib, "yaml", users)

    def prepare() -> JobSpec:
        return JobSpec(
            kind="concurrency",
            lib=lib,
            source=str(data.copy(data.cost12(users), key)),
            out=str(data.workdir(key) / "result.jsonl"),
            users=users,
            reps=2 if settings.quick else 5,
            threads=CONCURRENT_SESSIONS,
            login_hash=data.hash12,
        )

    return Job(key, prepare, cap=90.0 if settings.quick else 900.0, floor=15.0)


def _sql_source(data: Dataset, target: StoreTarget, key: str, users: int) -> str:
    """A database of ``target`` holding the generated users, loaded once per size."""
    if target.new_url is None or target.load is None:
        raise RuntimeError(f"{target.label} is not usable: {target.status}")
    if (target.kind, users) not in data.databases:
        url = target.new_url(key, data.workdir(key))
        target.load(url, data.hashed(users))
        data.databases[target.kind, users] = url
    return data.databases[target.kind, users]


def _sql_jobs(settings: Settings, data: Dataset, target: StoreTarget) -> list[Job]:
    kind, users = target.kind, settings.sql_users
    keys = [job_key("session", "authgate", kind, users)]
    keys += [job_key("memory", "authgate", kind, n) for n in settings.sql_memory_sizes]
    if target.status is not None:
        return [Job(key, None, reason=target.status) for key in keys]

    def session() -> JobSpec:
        source = _sql_source(data, target, keys[0], users)
        return _session_spec(settings, data, "authgate", keys[0], source)

    def memory(key: str, n: int) -> Callable[[], JobSpec]:
        return lambda: JobSpec(
            kind="memory",
            lib="authgate",
            source=_sql_source(data, target, key, n),
            out=str(data.workdir(key) / "result.jsonl"),
            store=kind,
            users=n,
        )

    cap = 60.0 if settings.quick else _hours(2)
    jobs = [Job(keys[0], session, cap=cap, floor=15.0 if settings.quick else 0.0)]
    for key, n in zip(keys[1:], settings.sql_memory_sizes, strict=True):
        jobs.append(Job(key, memory(key, n), cap=cap, floor=5.0 if settings.quick else 0.0))
    return jobs


def build(settings: Settings, data: Dataset, targets: dict[str, StoreTarget]) -> list[Job]:
    """The jobs in the order they run: in --quick, the cheap ones first."""
    libs = ("authgate", "sa042")
    sessions = {lib: [_session_job(settings, data, lib, n) for n in settings.sizes] for lib in libs}
    jobs: list[Job] = []
    if "yaml" in settings.stores:
        jobs += sessions["authgate"]
        jobs += [j for j in sessions["sa042"] if _cheap(j, settings)]
        jobs += [_concurrency_job(settings, data, lib) for lib in libs]
        jobs += [_startup_job(settings, data, lib) for lib in libs]
    for target in targets.values():
        jobs += _sql_jobs(settings, data, target)
    if "yaml" in settings.stores:
        jobs += [_memory_job(settings, data, lib, n) for n in settings.memory_sizes for lib in libs]
        jobs += [j for j in sessions["sa042"] if not _cheap(j, settings)]
    return [_select(job, settings) for job in jobs]


def _select(job: Job, settings: Settings) -> Job:
    if job.key.split("/")[0] in settings.only:
        return job
    return Job(job.key, None, reason=f"not run (--only {','.join(settings.only)})")


def _cheap(job: Job, settings: Settings) -> bool:
    return not settings.quick or job.key.endswith(f"/{min(settings.sizes)}")
