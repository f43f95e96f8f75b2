"""A throwaway PostgreSQL server for the PostgreSQL rows, on 127.0.0.1 only.

``AUTHGATE_BENCH_POSTGRES_URL`` (a server URL without a database name, e.g.
``postgresql://postgres@127.0.0.1:5432``) uses a running server instead.
Otherwise the suite starts one with ``initdb`` and ``pg_ctl`` (found on PATH,
in ``AUTHGATE_PG_BIN`` or in ``/usr/lib/postgresql/*/bin``) in a temporary
directory, with the server's default durability settings, and stops it at
the end. PostgreSQL refuses to run as root, so as root it runs as the
``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV_URL = "AUTHGATE_BENCH_POSTGRES_URL"
# Session settings for every connection authgate opens, e.g. "-c synchronous_commit=off"
# (commits stop waiting for the WAL flush: a server crash can lose the last few
# hundred ms of commits, never consistency). Empty: the server's defaults.
ENV_OPTIONS = "AUTHGATE_BENCH_POSTGRES_OPTIONS"


def session_options() -> str:
    return os.environ.get(ENV_OPTIONS, "").strip()


def _bin_dir() -> Path | None:
    def usable(folder: Path) -> bool:
        return (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()

    if os.environ.get("AUTHGATE_PG_BIN"):
        folder = Path(os.environ["AUTHGATE_PG_BIN"])
        return folder if usable(folder) else None
    initdb = shutil.which("initdb")
    if initdb and usable(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    found = [p for p in installed if usable(p)]
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A running server; :meth:`database` creates an empty database and returns its URL."""

    def __init__(self, base_url: str, bin_dir: Path | None, as_postgres: bool) -> None:
        self.base_url = base_url.rstrip("/")
        self.bin_dir = bin_dir
        self.as_postgres = as_postgres
        self._count = 0

    def command(self, program: str, *args: str) -> list[str]:
        path = str(self.bin_dir / program) if self.bin_dir else program
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return [*prefix, path, *args]

    def database(self, hint: str) -> str:
        self._count += 1
        name = f"bench_{hint}_{self._count}".replace("-", "_").replace("/", "_")
        subprocess.run(
            self.command("psql", self.base_url + "/postgres", "-qc", f"CREATE DATABASE {name}"),
            check=True,
            capture_output=True,
        )
        options = session_options()
        suffix = f"?options={urllib.parse.quote(options)}" if options else ""
        return f"{self.base_url}/{name}{suffix}"


@contextmanager
def server() -> Iterator[PgServer | str]:
    """A server, or why there is none."""
    if os.environ.get(ENV_URL):
        yield PgServer(os.environ[ENV_URL], _bin_dir(), as_postgres=False)
        return
    bin_dir = _bin_dir()
    if bin_dir is None:
        yield "no PostgreSQL server binaries (initdb, pg_ctl) found"
        return
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="authgate-bench-pg-"))
    if as_postgres:
        shutil.chown(root, "postgres")
    port = _free_port()
    pg = PgServer(f"postgresql://postgres@127.0.0.1:{port}", bin_dir, as_postgres)
    try:
        _start(pg, root, port)
        yield pg
    except subprocess.CalledProcessError as e:
        log = (root / "pg_ctl.log").read_text(errors="replace") if root.exists() else ""
        yield f"PostgreSQL did not start: {e.stderr or log}".strip()
    finally:
        subprocess.run(
            pg.command("pg_ctl", "-D", str(root / "data"), "-m", "fast", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def _start(pg: PgServer, root: Path, port: int) -> None:
    subprocess.run(
        pg.command("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust"),
        check=True,
        capture_output=True,
        text=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root}"
    # The server inherits pg_ctl's output: a file, not a pipe nobody would close.
    with (root / "pg_ctl.log").open("w") as log:
        subprocess.run(
            pg.command(
                "pg_ctl",
                *("-D", str(root / "data"), "-l", str(root / "server.log")),
                *("-w", "-o", options, "start"),
            ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            check=True,
        )
