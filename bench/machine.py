"""The header: the machine, the versions, the date."""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import bcrypt

from bench.stores import session_options


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def parallel_speedup(rounds: int = 2) -> float:
    """How much faster bcrypt (which releases the GIL) runs on one thread per core than
    on one thread: ``cores()`` when the cores are free, about 1 when others use them."""
    salt = bcrypt.gensalt(10)
    n = cores()

    def work() -> None:
        for _ in range(rounds):
            bcrypt.hashpw(b"machine check", salt)

    start = time.perf_counter()
    for _ in range(n):
        work()
    serial = time.perf_counter() - start
    threads = [threading.Thread(target=work) for _ in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return serial / (time.perf_counter() - start)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    repo = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def authgate_build() -> str:
    """The commit of the working tree and when the imported extension was built."""
    commit = _git("rev-parse", "--short", "HEAD") or "unknown commit"
    if _git("status", "--porcelain", "--", ".", ":(exclude)bench"):
        commit += " + uncommitted changes"
    spec = importlib.util.find_spec("authgate")
    if spec is None or spec.origin is None:
        return commit
    folder = Path(spec.origin).parent
    built = [p.stat().st_mtime for p in folder.glob("_core*.so")]
    if built:
        stamp = datetime.fromtimestamp(max(built), UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"{commit}; extension in {folder} built {stamp}"
    return f"{commit}; {folder}"


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    python: str
    streamlit: str
    authgate: str
    build: str
    sa042: str
    date: str
    load_before: str
    speedup_before: float

    @classmethod
    def detect(cls) -> Machine:
        return cls(
            cpu=_cpu_model(),
            cores=cores(),
            python=platform.python_version(),
            streamlit=_version("streamlit"),
            authgate=_version("authgate"),
            build=authgate_build(),
            sa042=_version("streamlit-authenticator"),
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            load_before=load_average(),
            speedup_before=parallel_speedup(),
        )

    def lines(self) -> list[str]:
        return [
            f"- CPU: {self.cpu}, {self.cores} cores",
            f"- Python {self.python}, streamlit {self.streamlit}, authgate {self.authgate}, "
            f"streamlit-authenticator {self.sa042}",
            f"- authgate build: {self.build}",
            f"- Date: {self.date}",
            f"- Load average (1, 5, 15 min) before the run: {self.load_before}; "
            f"after: {load_average()}",
            f"- Free cores: bcrypt on {self.cores} threads ran {self.speedup_before:.2f}× as "
            f"fast as on one before the run, {parallel_speedup():.2f}× after "
            f"(ideal {self.cores}×; less means other processes were using the cores)",
            f"- PostgreSQL session options: {session_options() or 'none (server defaults)'}",
        ]
