"""SQLite and PostgreSQL: whether this build of authgate can hold the users, checked
at run time, and loading the generated users into a fresh database.

A store is usable when ``authgate._core.Store.open_url`` opens it and this
build has ``Store.import_config`` to load a config.yaml into it (the suite
loads up to 1,000,000 users; registering them one by one would take days of
bcrypt). Beyond ``bulk.SEED_USERS`` users, the rest are generated inside the
database (``bulk.py``): ``import_config`` holds the whole config in memory
(about 3.4 GB at 1,000,000 users) and takes about three times as long.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import bulk
from tests import pg
from tests.pg import PgServer, PgUnavailable

# A server URL without a database name (e.g. postgresql://postgres@127.0.0.1:5432):
# use that running server instead of starting a throwaway one.
ENV_URL = "AUTHGATE_BENCH_POSTGRES_URL"
# Session settings for every connection authgate opens, e.g. "-c synchronous_commit=off"
# (commits stop waiting for the WAL flush: a server crash can lose the last few
# hundred ms of commits, never consistency). Empty: the server's defaults.
ENV_OPTIONS = "AUTHGATE_BENCH_POSTGRES_OPTIONS"

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


def session_options() -> str:
    return os.environ.get(ENV_OPTIONS, "").strip()


@contextmanager
def postgres_server() -> Iterator[PgServer | str]:
    """The server of the PostgreSQL rows, or why there is none: the one at
    ``AUTHGATE_BENCH_POSTGRES_URL``, else a throwaway one on 127.0.0.1 with the
    server's default durability (tests/pg.py, the harness the tests use)."""
    if os.environ.get(ENV_URL):
        try:
            tools = pg.bin_dir()
        except PgUnavailable:
            tools = None  # psql from PATH
        yield PgServer(os.environ[ENV_URL], tools)
        return
    try:
        server = PgServer.start(fast=False)
    except PgUnavailable as e:
        yield str(e)
        return
    try:
        yield server
    finally:
        server.stop()


def _database(server: PgServer, hint: str) -> str:
    """A new database on ``server``, its URL carrying the session options."""
    options = session_options()
    suffix = f"?options={urllib.parse.quote(options)}" if options else ""
    return server.fresh_database(f"bench_{hint}") + suffix


def postgres_target(server: PgServer | str) -> StoreTarget:
    if isinstance(server, str):
        return StoreTarget("postgres", "PostgreSQL", f"not run: {server}")
    status = _opens(_database(server, "probe"))
    target = StoreTarget("postgres", "PostgreSQL", status)
    if status is None:
        target.new_url = lambda key, folder: _database(server, key.split("/")[-1])
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
