"""What the suite asks a worker subprocess to measure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class JobSpec:
    kind: str  # "session" | "memory" | "startup" | "concurrency" | "scale"
    lib: str  # a key of bench.libs.LIBRARIES
    source: str  # config path (or store URL)
    out: str  # JSON-lines result file
    store: str = "yaml"
    users: int = 0
    reps: int = 1  # repetitions (session, scale: of the whole sequence; concurrency: rounds)
    reruns: int = 3  # logged-in reruns per repetition
    registers: int = 1  # registrations per repetition (scale: repetitions with one)
    budget: float = 60.0  # seconds; no new repetition starts after this
    ops: bool = True  # session: the operations too, not only the reruns
    assume_login: bool = False  # session: logged in through session_state (0.4.2 only)
    login_user: str = ""
    fail_user: str = ""
    login_hash: str = ""  # the login user's stored hash (cost of one verify)
    threads: int = 8
    # scale, timing: every size's users and store, measured in one process in turn
    sizes: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> JobSpec:
        return cls(**json.loads(path.read_text(encoding="utf-8")))
