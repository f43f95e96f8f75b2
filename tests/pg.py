"""A throwaway PostgreSQL server on 127.0.0.1, for the Python tests and the benchmarks.

The one harness both use: the tests through the ``pg_server`` fixture
(tests/conftest.py), the benchmarks through ``bench/stores.py``. It needs only
the standard library, so the benchmarks do not depend on pytest. Both reach it
as ``tests.pg`` with the repository root on ``sys.path``: pytest puts it there
because ``tests/`` is a package, and ``bench/run.py`` puts it there itself.

``initdb`` and ``pg_ctl`` come from ``AUTHGATE_PG_BIN``, PATH or
``/usr/lib/postgresql/*/bin``. PostgreSQL refuses to run as root, so as root
the server runs as the ``postgres`` user. A missing installation raises
:class:`PgUnavailable`: the tests fail on it, never skip; the benchmarks
report it in the PostgreSQL rows.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Settings that make the server fast and unsafe across an OS crash: what the
# tests want (every server is thrown away), not what the benchmarks measure.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

# Numbers the databases this process creates, on whichever server.
_NAMES = itertools.count()


class PgUnavailable(RuntimeError):
    """No server: its binaries are missing, or it did not start."""


def bin_dir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``."""

    def usable(folder: Path) -> bool:
        return (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()

    if os.environ.get("AUTHGATE_PG_BIN"):
        folder = Path(os.environ["AUTHGATE_PG_BIN"])
        if not usable(folder):
            raise PgUnavailable(f"AUTHGATE_PG_BIN={folder} has no initdb and pg_ctl")
        return folder
    initdb = shutil.which("initdb")
    # pg_ctl finds `postgres` beside its real location, not beside a symlink.
    if initdb and usable(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    installed = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if usable(p)),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if installed:
        return installed[-1]
    raise PgUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in "
        "/usr/lib/postgresql/*/bin: run scripts/setup.sh --browser, or set AUTHGATE_PG_BIN"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A server at ``base_url`` (no database name); :meth:`fresh_database` makes databases.

    :meth:`start` starts a throwaway one; a server someone else runs is just
    ``PgServer(url)``, and its client tools are taken from PATH if
    :func:`bin_dir` finds none.
    """

    def __init__(
        self,
        base_url: str,
        bin_dir: Path | None = None,
        as_postgres: bool = False,
        root: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bin_dir = bin_dir
        self.as_postgres = as_postgres
        self.root = root  # the data directory's parent, for a server we started

    @classmethod
    def start(cls, *, fast: bool = True) -> PgServer:
        """Starts a server in a temporary directory. ``fast`` turns durability off
        (tests); without it the server keeps its defaults (benchmarks)."""
        folder = bin_dir()
        as_postgres = os.geteuid() == 0
        root = Path(tempfile.mkdtemp(prefix="authgate-pg-"))
        (root / "sock").mkdir()
        if as_postgres:
            shutil.chown(root, "postgres")
            shutil.chown(root / "sock", "postgres")
        port = free_port()
        server = cls(f"postgresql://postgres@127.0.0.1:{port}", folder, as_postgres, root)
        try:
            server._run("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {root / 'sock'} "
                f"-c max_connections=300 {FAST if fast else ''}"
            )
            # The server inherits pg_ctl's output: a file, not a pipe nobody would close.
            with (root / "pg_ctl.log").open("w") as log:
                subprocess.run(
                    server.command(
                        "pg_ctl",
                        *("-D", str(root / "data"), "-l", str(root / "server.log")),
                        *("-w", "-t", "60", "-o", options, "start"),
                    ),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    check=True,
                    cwd=root,
                )
        except (OSError, subprocess.CalledProcessError) as e:
            logs = "\n".join(
                p.read_text(errors="replace")[-2000:]
                for p in (root / "pg_ctl.log", root / "server.log")
                if p.exists()
            )
            detail = getattr(e, "stderr", None) or logs
            server.stop()
            raise PgUnavailable(f"PostgreSQL did not start: {e}\n{detail}".strip()) from e
        return server

    def command(self, program: str, *args: str) -> list[str]:
        """The command line of ``program`` of this installation, as ``postgres`` when root."""
        path = str(self.bin_dir / program) if self.bin_dir else program
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return [*prefix, path, *args]

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            self.command(program, *args), check=True, capture_output=True, text=True, cwd=self.root
        )

    def fresh_database(self, hint: str = "t") -> str:
        """Creates an empty database and returns its URL. Its name holds ``hint``,
        this process's id and a counter, so that runs sharing a server never collide."""
        clean = re.sub(r"[^a-z0-9_]", "_", hint.lower())[:40]
        name = f"{clean}_{os.getpid()}_{next(_NAMES)}"
        create = f'CREATE DATABASE "{name}"'
        self._run("psql", "-X", "-q", f"{self.base_url}/postgres", "-c", create)
        return f"{self.base_url}/{name}"

    def stop(self) -> None:
        """Stops a server this process started and removes its directory."""
        if self.root is None:
            return
        try:
            if (self.root / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.root / "data"), "stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@contextmanager
def running(*, fast: bool = True) -> Iterator[PgServer]:
    """A throwaway server for the duration of the block (see :meth:`PgServer.start`)."""
    server = PgServer.start(fast=fast)
    try:
        yield server
    finally:
        server.stop()
