"""Which jobs a run makes, on which generated data, with which time limits."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from bench import bulk
from bench.data import PASSWORD, hash_pool, hashed_config, plaintext_config, username, write_config
from bench.sink import Sink
from bench.spec import JobSpec
from bench.stores import StoreTarget

QUICK_SA042_MAX = 10_000  # --quick: 0.4.2's reruns at 1,000 and 10,000 users
QUICK_SA042_OPS_MAX = 1_000  # --quick: 0.4.2's operations at 1,000 users only
CONCURRENT_SESSIONS = 8
SCALE_YAML_MAX = 100_000  # the scale job's config.yaml rows (context only) stop here


KINDS = ("session", "concurrency", "startup", "memory", "scale")


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
    def scale_sizes(self) -> tuple[int, ...]:
        """Users in the scale job (the issue's 1,000 / 100,000 / 1,000,000)."""
        return (1_000, 10_000) if self.quick else (1_000, 100_000, 1_000_000)

    @property
    def scale_reps(self) -> int:
        return 21 if self.quick else 101

    @property
    def scale_registers(self) -> int:
        """Registrations in the scale job (each costs three cost-12 hashes)."""
        return 3 if self.quick else 9

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
        # (store, users) -> (seconds it took to build, the job it was built for)
        self.builds: dict[tuple[str, int], tuple[float, str]] = {}

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
        return Job(key, prepare, cap=40.0, floor=10.0)
    return Job(key, prepare, cap=60.0, floor=25.0)


def _session_reps(settings: Settings, lib: str) -> int:
    # An authgate repetition takes milliseconds: enough of them for a median
    # that neither one slow fsync on a shared machine nor the process's first
    # login (cold caches, statements not yet prepared) moves.
    if lib == "authgate":
        return 5 if settings.quick else 21
    return 2 if settings.quick else 3


def _session_budget(settings: Settings, lib: str) -> float:
    """Seconds after which no new repetition starts."""
    if settings.quick:
        # authgate at 100,000 users: three repetitions or more (each takes
        # seconds: register and update rewrite the file), so that the
        # process's first login, which opens the state database beside the
        # config (about 3.5 ms once), is not half of a 2-sample median.
        return 18.0 if lib == "authgate" else 20.0
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
    """A database of ``target`` holding the generated users, built once per size: the
    first ``bulk.SEED_USERS`` through ``Store.import_config``, the others generated in
    the database (``bulk.py``: same rows, checked)."""
    if target.new_url is None or target.load is None or target.extend is None:
        raise RuntimeError(f"{target.label} is not usable: {target.status}")
    if (target.kind, users) not in data.databases:
        start = time.monotonic()
        url = target.new_url(key, data.workdir(key))
        seed = min(users, bulk.SEED_USERS)
        target.load(url, data.hashed(seed))
        if users > seed:
            target.extend(url, seed, users, len(data.pool))
        data.databases[target.kind, users] = url
        data.builds[target.kind, users] = (time.monotonic() - start, key)
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


SCALE_TIMING = "all"  # the last part of the key of a store's timing job


def scale_key(store: str, users: int | None = None) -> str:
    """A store's scale job: its timing job (every size), or its memory job at ``users``."""
    return f"scale/authgate/{store}/{SCALE_TIMING if users is None else users}"


# (job key, users) -> the store's source (URL or config path) at that size
ScaleSource = Callable[[str, int], str]


def _scale_spec(data: Dataset, key: str, store: str, users: int) -> JobSpec:
    return JobSpec(
        kind="scale",
        lib="authgate",
        source="",
        out=str(data.workdir(key) / "result.jsonl"),
        store=store,
        users=users,
        login_hash=data.pool[0],
    )


def _scale_timing(
    settings: Settings, data: Dataset, store: str, sizes: tuple[int, ...], source: ScaleSource
) -> Job:
    key = scale_key(store)

    def prepare() -> JobSpec:
        spec = _scale_spec(data, key, store, sizes[-1])
        spec.sizes = list(sizes)
        spec.sources = [source(key, n) for n in sizes]
        spec.reps = settings.scale_reps
        spec.registers = settings.scale_registers
        spec.budget = 10.0 if settings.quick else 300.0
        sink = Sink(Path(spec.out))  # before the worker, which appends to the same file
        for n in sizes:
            if (store, n) in data.builds:
                seconds, built_for = data.builds[store, n]
                sink.info(f"database_build_s@{n}", seconds)
                sink.info(f"database_built_for@{n}", built_for)
        return spec

    return Job(key, prepare, cap=40.0 if settings.quick else _hours(1), floor=8.0)


def _scale_memory(
    settings: Settings, data: Dataset, store: str, users: int, source: ScaleSource
) -> Job:
    key = scale_key(store, users)

    def prepare() -> JobSpec:
        spec = _scale_spec(data, key, store, users)
        spec.source = source(key, users)
        spec.reps, spec.registers, spec.budget = 5, 1, 30.0
        return spec

    return Job(key, prepare, cap=30.0 if settings.quick else _hours(0.5), floor=3.0)


def _scale_jobs(settings: Settings, data: Dataset, targets: dict[str, StoreTarget]) -> list[Job]:
    """Per store: one timing job over every size, then one memory job per size.
    config.yaml is context only: up to :data:`SCALE_YAML_MAX` users, not in --quick."""
    jobs: list[Job] = []
    for target in targets.values():
        sizes = settings.scale_sizes
        keys = [scale_key(target.kind)] + [scale_key(target.kind, n) for n in sizes]
        if target.status is not None:
            jobs += [Job(key, None, reason=target.status) for key in keys]
            continue

        def sql(key: str, n: int, target: StoreTarget = target) -> str:
            # A folder (SQLite file) per size, also for the timing job's sizes.
            return _sql_source(data, target, key if key.endswith(f"/{n}") else f"{key}/{n}", n)

        jobs.append(_scale_timing(settings, data, target.kind, sizes, sql))
        jobs += [_scale_memory(settings, data, target.kind, n, sql) for n in sizes]
    if "yaml" in settings.stores:
        sizes = tuple(n for n in settings.scale_sizes if n <= SCALE_YAML_MAX)
        keys = [scale_key("yaml")] + [scale_key("yaml", n) for n in sizes]
        if settings.quick:
            return jobs + [Job(key, None, reason="not run (--quick)") for key in keys]

        def yaml(key: str, n: int) -> str:
            # A folder per size: the store keeps its state beside the config.
            return str(data.copy(data.hashed(n), f"{key}/{n}"))

        jobs.append(_scale_timing(settings, data, "yaml", sizes, yaml))
        jobs += [_scale_memory(settings, data, "yaml", n, yaml) for n in sizes]
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
    jobs += _scale_jobs(settings, data, targets)
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
