"""Results of one job as JSON lines, flushed as they come, so a job that is
stopped at its time limit still leaves what it measured."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import apps


class Sink:
    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def _write(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()

    def sample(self, name: str, seconds: float) -> None:
        self._write({"sample": name, "value": seconds})

    def info(self, name: str, value: Any) -> None:
        self._write({"info": name, "value": value})

    def error(self, name: str, message: str) -> None:
        self._write({"error": name, "value": message})

    def drain(self) -> dict[str, list[float]]:
        """Moves what the scripts recorded since the last drain; returns the samples."""
        samples, errors = apps.take()
        taken: dict[str, list[float]] = {}
        for name, seconds in samples:
            self.sample(name, seconds)
            taken.setdefault(name, []).append(seconds)
        for name, message in errors:
            self.error(name, message)
        return taken


@dataclass
class JobResult:
    """What a job's JSON lines say, read back by the suite."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    status: str = "ok"

    @classmethod
    def read(cls, path: Path) -> JobResult:
        result = cls()
        if not path.exists():
            return result
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if "sample" in entry:
                result.samples.setdefault(entry["sample"], []).append(entry["value"])
            elif "info" in entry:
                result.info[entry["info"]] = entry["value"]
            else:
                result.errors.append(f"{entry['error']}: {entry['value']}")
        return result
