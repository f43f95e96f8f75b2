"""``python bench/run.py``: every figure, for authgate and streamlit-authenticator 0.4.2."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import plan, report, stores
from bench.machine import Machine
from bench.runner import Runner

DEFAULT_SIZES = (1_000, 10_000, 100_000)
STORES = ("yaml", "sqlite", "postgres")


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()}))
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("sizes are user counts of at least 10, e.g. 1000,10000")
    return sizes


def _stores(text: str) -> tuple[str, ...]:
    stores = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in stores if s not in STORES]
    if unknown or not stores:
        raise argparse.ArgumentTypeError(f"stores are among {', '.join(STORES)}")
    return stores


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    if not kinds or any(k not in plan.KINDS for k in kinds):
        raise argparse.ArgumentTypeError(f"jobs are among {', '.join(plan.KINDS)}")
    return kinds


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmarks authgate against streamlit-authenticator 0.4.2 in one run.",
    )
    parser.add_argument("--quick", action="store_true", help="finish in under 5 minutes")
    parser.add_argument("--sizes", type=_sizes, default=DEFAULT_SIZES, help="user counts")
    parser.add_argument("--stores", type=_stores, default=STORES, help="yaml,sqlite,postgres")
    parser.add_argument(
        "--only",
        type=_kinds,
        default=plan.KINDS,
        help=f"run only these jobs, among {','.join(plan.KINDS)}",
    )
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    return parser.parse_args(argv)


def notes(settings: plan.Settings) -> list[str]:
    lines = [
        "Each figure is the median of n repetitions (n shown). Both libraries run the same "
        "README app inside a Streamlit script run (streamlit.testing AppTest), each job in a "
        "fresh subprocess, on copies of the same generated config; operations are timed "
        "inside the script with time.perf_counter() around the widget call.",
        "Users have cost-4 bcrypt hashes. Bcrypt work subtracted: failed login and "
        "login + logout minus the median of one cost-4 verify (the library's own verify, "
        "same process); register minus the CPU time of one cost-12 hash (mean of one "
        "just before and one just after it; CPU time because a hash's wall time swings by "
        "tens of ms on a busy machine, and what the register loses to other processes "
        "stays in its figure).",
        "0.4.2's fixed 0.7 s pre-login sleep is switched off (login_sleep_time=0) so both "
        "columns measure work; a real 0.4.2 app adds it to every logged-out run.",
        "Nothing here asserts a time: 'met' / 'not met' only compares the median to the "
        "issue's target.",
        f"Scale (sections 7 and 8): authgate's core alone, no Streamlit, on SQLite and "
        f"PostgreSQL at {', '.join(f'{n:,}' for n in settings.scale_sizes)} users"
        + ("" if settings.quick else " (config.yaml up to 100,000 for context)")
        + "; databases beyond 1,000 users are built by authgate's import_config for the first "
        "1,000 and an SQL copy of those rows, renamed, for the rest (checked equal to what "
        "import_config writes).",
    ]
    if settings.quick:
        lines.append(
            "--quick: 0.4.2 runs at 1,000 and 10,000 users only, its operations at 1,000 "
            f"only; fewer repetitions; start-up hashing uses {settings.startup_passwords} "
            "passwords (200 without --quick); a job that exceeds its time limit is stopped "
            "and reported as such. Nothing is extrapolated. 0.4.2's reruns at 10,000 "
            "users start logged in through session_state (all 0.4.2 keeps of a login), "
            "which saves its two whole-file rewrites of the login."
        )
    return lines


def _store_targets(
    settings: plan.Settings, tmp: Path, stack: ExitStack
) -> dict[str, stores.StoreTarget]:
    """What this build can do with each requested database, checked now."""
    targets: dict[str, stores.StoreTarget] = {}
    if not {"session", "memory", "scale"} & set(settings.only):
        return targets
    if "sqlite" in settings.stores:
        targets["sqlite"] = stores.sqlite_target(tmp / "probe")
    if "postgres" in settings.stores:
        if stores.can_open_urls():
            server = stack.enter_context(stores.postgres_server())
            targets["postgres"] = stores.postgres_target(server)
        else:
            targets["postgres"] = stores.StoreTarget("postgres", "PostgreSQL", stores.NOT_AVAILABLE)
    return targets


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = plan.Settings(quick=args.quick, sizes=args.sizes, stores=args.stores, only=args.only)
    command = shlex.join(["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)])
    started = time.monotonic()
    machine = Machine.detect()
    with tempfile.TemporaryDirectory(prefix="authgate-bench-") as tmp, ExitStack() as stack:
        targets = _store_targets(settings, Path(tmp), stack)
        jobs = plan.build(settings, plan.Dataset(Path(tmp)), targets)
        outcomes = Runner(quick=args.quick, started=started).run_all(jobs)
    text = report.render(outcomes, settings, machine, command, notes(settings))
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0
