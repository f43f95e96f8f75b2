"""SQLite and PostgreSQL: whether this build of authgate can hold the users, checked
at run time, and loading the generated users into a fresh database.

A store is usable when ``authgate._core.Store.open_url`` opens it and this
build has ``Store.import_config`` to load a config.yaml into it (the suite
loads up to 1,000,000 users; registering them one by one would take days of
bcrypt). Beyond ``bulk.SEED_USERS`` users, the rest are generated inside the
database (``bulk.py``): ``import_config`` is quadratic on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import bulk
from bench.pg import PgServer

NOT_AVAILABLE = "not available in this build"

# (url, config.yaml) -> None: puts the config's users into the database at url.
Loader = Callable[[str, Path], None]
# (url, seed, users, pool) -> None: adds the generated users seed … users - 1 to a
# database holding the first seed (see bulk.py).
Extender = Callable[[str, int, int, int], None]


@dataclass
class StoreTarget:
    kind: str  # "sqlite" | "postgres"
    label: str  # "SQLite" | "PostgreSQL"
    status: str | None  # None when usable, else why not
    new_url: Callable[[str, Path], str] | None = None  # (job key, folder) -> empty database
    load: Loader | None = None
    extend: Extender | None = None


def _core() -> object | None:
    try:
        from authgate import _core
    except ImportError:
        return None
    return _core


def can_open_urls() -> bool:
    return hasattr(getattr(_core(), "Store", None), "open_url")


def _opens(url: str) -> str | None:
    if not can_open_urls():
        return f"{NOT_AVAILABLE} (authgate._core.Store has no open_url)"
    store = getattr(_core(), "Store", None)
    try:
        store.open_url(url)
    except Exception as e:
        return f"{NOT_AVAILABLE} ({type(e).__name__}: {e})"
    return None


def find_loader() -> Loader | None:
    """This build's bulk import (``Store.import_config(url, yaml_text)``), if it has one."""
    store = getattr(_core(), "Store", None)
    if store is None or not hasattr(store, "import_config"):
        return None

    def load(url: str, config: Path) -> None:
        store.import_config(url, config.read_text(encoding="utf-8"))

    return load


def sqlite_target(probe_dir: Path) -> StoreTarget:
    probe_dir.mkdir(parents=True, exist_ok=True)
    status = _opens(f"sqlite:///{probe_dir / 'probe.db'}")
    target = StoreTarget("sqlite", "SQLite", status)
    if status is None:
        target.new_url = lambda key, folder: f"sqlite:///{folder / 'auth.db'}"
        target.extend = bulk.extend_sqlite
    return _with_loader(target)


def postgres_target(server: PgServer | str) -> StoreTarget:
    if isinstance(server, str):
        return StoreTarget("postgres", "PostgreSQL", f"not run: {server}")
    status = _opens(server.database("probe"))
    target = StoreTarget("postgres", "PostgreSQL", status)
    if status is None:
        target.new_url = lambda key, folder: server.database(key.split("/")[-1])
        psql = bulk.psql_runner(server.command)
        target.extend = lambda url, seed, users, pool: bulk.extend_postgres(
            url, seed, users, pool, psql
        )
    return _with_loader(target)


def _with_loader(target: StoreTarget) -> StoreTarget:
    if target.status is None:
        target.load = find_loader()
        if target.load is None:
            target.status = (
                f"{NOT_AVAILABLE}: {target.label} opens, but there is no "
                "Store.import_config to load the users"
            )
    return target
