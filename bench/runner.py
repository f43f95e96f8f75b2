"""Runs each job in a fresh worker subprocess, within its time limit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.plan import Job
from bench.sink import JobResult

REPO = Path(__file__).resolve().parent.parent
QUICK_DEADLINE = 275.0  # seconds for the whole --quick run, set-up included


@dataclass
class Outcome:
    result: JobResult
    status: str  # "ok", or why there is nothing (or only part)
    seconds: float = 0.0


class Runner:
    """Runs jobs in order; with ``quick``, all within :data:`QUICK_DEADLINE` of ``started``
    (a ``time.monotonic()`` value: the suite's start)."""

    def __init__(self, quick: bool, started: float, log: bool = True) -> None:
        self.started = started
        self.deadline = started + QUICK_DEADLINE if quick else None
        self.log = log

    def run_all(self, jobs: list[Job]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        for index, job in enumerate(jobs):
            reserve = sum(j.floor for j in jobs[index + 1 :] if j.prepare is not None)
            outcomes[job.key] = self._run(job, reserve)
        return outcomes

    def _limit(self, job: Job, reserve: float) -> float:
        if self.deadline is None:
            return job.cap
        return min(job.cap, self.deadline - time.monotonic() - reserve)

    def _run(self, job: Job, reserve: float) -> Outcome:
        if job.prepare is None:
            return Outcome(JobResult(), job.reason)
        limit = self._limit(job, reserve)
        if limit < job.floor:
            return Outcome(JobResult(), "not run (--quick time budget)")
        self._say(f"{job.key} (limit {limit:.0f} s) ...")
        try:
            spec = job.prepare()
        except Exception as e:
            self._say(f"    could not prepare: {e}")
            return Outcome(JobResult(), f"could not prepare its data: {type(e).__name__}: {e}")
        workdir = Path(spec.out).parent
        start = time.monotonic()
        status = _launch(spec.save(workdir / "spec.json"), workdir / "worker.log", limit)
        seconds = time.monotonic() - start
        self._say(f"    {status}, {seconds:.1f} s")
        result = JobResult.read(Path(spec.out))
        return Outcome(result, status, seconds)

    def _say(self, message: str) -> None:
        if self.log:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)


def _launch(spec_path: Path, log_path: Path, limit: float) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    with log_path.open("w") as log:
        try:
            code = subprocess.run(
                [sys.executable, "-m", "bench.worker", str(spec_path)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=max(limit, 1.0),
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            return f"stopped at its {limit:.0f} s limit"
    if code == 0:
        return "ok"
    tail = log_path.read_text(errors="replace").strip().splitlines()[-1:]
    return f"worker failed (exit {code}): {' '.join(tail)}"
