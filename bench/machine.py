"""The header: the machine, the versions, the date."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    python: str
    streamlit: str
    authgate: str
    sa042: str
    date: str

    @classmethod
    def detect(cls) -> Machine:
        return cls(
            cpu=_cpu_model(),
            cores=cores(),
            python=platform.python_version(),
            streamlit=_version("streamlit"),
            authgate=_version("authgate"),
            sa042=_version("streamlit-authenticator"),
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )

    def lines(self) -> list[str]:
        return [
            f"- CPU: {self.cpu}, {self.cores} cores",
            f"- Python {self.python}, streamlit {self.streamlit}, authgate {self.authgate}, "
            f"streamlit-authenticator {self.sa042}",
            f"- Date: {self.date}",
        ]
