"""The figures, each for both libraries, with the ratio and the target."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench import bulk
from bench.libs import LIBRARIES
from bench.machine import Machine
from bench.plan import CONCURRENT_SESSIONS, SCALE_YAML_MAX, Settings, job_key, scale_key
from bench.runner import Outcome

LIBS = ("authgate", "sa042")
OPS = (
    ("failed login", "login_fail", True),
    ("login + logout", "login_logout", True),
    ("register", "register_net", False),
    ("update details", "update", False),
)
MB = 1024.0


@dataclass(frozen=True)
class Cell:
    """A median with its sample count, or why there is none."""

    value: float | None
    n: int = 0
    why: str = ""

    def show(self, unit: Callable[[float], str]) -> str:
        if self.value is None:
            return self.why
        detail = self.why or f"n={self.n}"
        return f"{unit(self.value)} ({detail})"


@dataclass(frozen=True)
class Row:
    label: str
    authgate: str
    sa042: str
    ratio: str
    target: str
    result: str


# ---- units ----------------------------------------------------------------------------


def seconds(v: float) -> str:
    if abs(v) < 0.01:
        return f"{v * 1e3:.2f} ms"
    if abs(v) < 1:
        return f"{v * 1e3:.1f} ms"
    return f"{v:.2f} s"


def megabytes(v: float) -> str:
    return f"{v:.1f} MB"


def per_second(v: float) -> str:
    return f"{v:.2f}/s"


def times(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}×" if v >= 100 else f"{v:.1f}×"


# ---- reading outcomes -----------------------------------------------------------------


class Figures:
    def __init__(self, outcomes: dict[str, Outcome]) -> None:
        self.outcomes = outcomes

    def outcome(self, key: str) -> Outcome | None:
        return self.outcomes.get(key)

    def why(self, key: str, sample: str) -> str:
        outcome = self.outcome(key)
        if outcome is None:
            return "not run"
        errors = [e for e in outcome.result.errors if e.startswith(sample)] or outcome.result.errors
        if outcome.status.startswith("stopped"):
            doing = outcome.result.info.get("last_action")
            return outcome.status + (f" during '{doing}'" if doing else "")
        if outcome.status != "ok":
            return outcome.status
        if errors:
            return f"failed: {errors[0]}"
        return "not measured"

    def samples(self, key: str, name: str) -> list[float]:
        outcome = self.outcome(key)
        return outcome.result.samples.get(name, []) if outcome else []

    def median(self, key: str, name: str, minus: str | None = None) -> Cell:
        values = self.samples(key, name)
        if not values:
            return Cell(None, why=self.why(key, name))
        value = statistics.median(values)
        if minus is not None:
            base = self.samples(key, minus)
            if not base:
                return Cell(None, why=self.why(key, minus))
            value -= statistics.median(base)
        return Cell(value, len(values))

    def error_count(self, key: str, name: str) -> int:
        outcome = self.outcome(key)
        return sum(e.startswith(f"{name}:") for e in outcome.result.errors) if outcome else 0

    def info(self, key: str, name: str) -> object:
        outcome = self.outcome(key)
        return outcome.result.info.get(name) if outcome else None


def ratio(authgate: Cell, sa042: Cell) -> float | None:
    if authgate.value is None or sa042.value is None or authgate.value <= 0:
        return None
    return sa042.value / authgate.value


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


# ---- sections -------------------------------------------------------------------------


STORE_LABELS = {"yaml": "config.yaml", "sqlite": "SQLite", "postgres": "PostgreSQL"}
NO_SQL = "n/a: 0.4.2 has no database store"


def _points(settings: Settings) -> list[tuple[str, int]]:
    """(store, users) of the session figures."""
    points = [("yaml", n) for n in settings.sizes if "yaml" in settings.stores]
    return points + [(s, settings.sql_users) for s in settings.stores if s != "yaml"]


def _place(store: str, users: int) -> str:
    return f"{STORE_LABELS[store]}, {users:,} users"


def _session_cell(
    f: Figures,
    settings: Settings,
    point: tuple[str, int],
    lib: str,
    sample: str,
    minus: str | None = None,
) -> Cell:
    store, users = point
    if lib == "sa042":
        if store != "yaml":
            return Cell(None, why=NO_SQL)
        skipped = settings.sa042_skip(users, ops=sample != "rerun")
        if skipped:
            return Cell(None, why=skipped)
    return f.median(job_key("session", lib, store, users), sample, minus)


def rerun_rows(f: Figures, settings: Settings) -> list[Row]:
    rows = []
    for point in _points(settings):
        a, s = (_session_cell(f, settings, point, lib, "rerun") for lib in LIBS)
        ok = None if a.value is None else a.value <= 0.002
        rows.append(
            Row(
                _place(*point),
                a.show(seconds),
                s.show(seconds),
                times(ratio(a, s)),
                "≤ 2 ms",
                verdict(ok),
            )
        )
    return rows


def operation_rows(f: Figures, settings: Settings) -> list[Row]:
    rows = _subtracted_rows(f, settings.sizes[0])
    for point in _points(settings):
        for label, sample, minus_verify in OPS:
            minus = "verify" if minus_verify else None
            a, s = (_session_cell(f, settings, point, lib, sample, minus) for lib in LIBS)
            r = ratio(a, s)
            place = _place(*point)
            if point[0] == "yaml":
                target, ok = "≥ 20× faster", None if r is None else r >= 20
            else:
                # Streamlit drawing the form alone (the "included" row) is
                # about 2 ms: the database bound is judged at core level.
                target, ok = "–", None
                place += " (context: judged at core level, section 8)"
            rows.append(
                Row(
                    f"{label}, {place}",
                    a.show(seconds),
                    s.show(seconds),
                    times(r),
                    target,
                    verdict(ok),
                )
            )
    return rows


def _subtracted_rows(f: Figures, users: int) -> list[Row]:
    """What was subtracted, and the cost of drawing a form that every timed widget
    call includes, as measured in the jobs at the smallest size."""
    keys = [job_key("session", lib, "yaml", users) for lib in LIBS]
    figures = (
        (f"included: login() drawing the form, nothing submitted ({users:,} users)", "form_only"),
        (f"subtracted: one verify, cost 4 ({users:,}-user jobs)", "verify"),
        (f"subtracted: one hash, cost 12, CPU time ({users:,}-user jobs)", "hash_cpu"),
    )
    return [
        Row(label, *(f.median(key, sample).show(seconds) for key in keys), "–", "–", "–")
        for label, sample in figures
    ]


def latency_rows(f: Figures, settings: Settings) -> list[Row]:
    rows = []
    for point in _points(settings):
        a, s = (_session_cell(f, settings, point, lib, "login_ok", "verify") for lib in LIBS)
        ok = None if a.value is None else a.value <= 0.005
        rows.append(
            Row(
                f"login − one verify, {_place(*point)}",
                a.show(seconds),
                s.show(seconds),
                times(ratio(a, s)),
                "≤ 5 ms",
                verdict(ok),
            )
        )
    return rows


def memory_rows(f: Figures, settings: Settings) -> list[Row]:
    rows = []
    for users in settings.memory_sizes if "yaml" in settings.stores else ():
        a, s = (_rss(f, job_key("memory", lib, "yaml", users)) for lib in LIBS)
        r = ratio(a, s)
        target = "≤ ⅓ of 0.4.2" if users == 100_000 else "(target at 100,000)"
        ok = None if r is None or users != 100_000 else r >= 3
        rows.append(
            Row(
                f"peak RSS − baseline, config.yaml, {users:,} users",
                a.show(megabytes),
                s.show(megabytes),
                times(r),
                target,
                verdict(ok),
            )
        )
    return rows + [_growth_row(f, settings, s) for s in settings.stores if s != "yaml"]


GROWTH_TOLERANCE_MB = 10.0


def _growth_row(f: Figures, settings: Settings, store: str) -> Row:
    small, large = settings.sql_memory_sizes
    cells = [_rss(f, job_key("memory", "authgate", store, n)) for n in (small, large)]
    ok = None
    if cells[0].value is not None and cells[1].value is not None:
        shown = f"{cells[0].value:.1f} MB → {cells[1].value:.1f} MB"
        ok = cells[1].value - cells[0].value <= GROWTH_TOLERANCE_MB
    else:
        shown = next(c.why for c in cells if c.value is None)
    return Row(
        f"peak RSS − baseline, {STORE_LABELS[store]}, {small:,} → {large:,} users",
        shown,
        NO_SQL,
        "–",
        f"does not grow (≤ +{GROWTH_TOLERANCE_MB:.0f} MB)",
        verdict(ok),
    )


def _rss(f: Figures, key: str) -> Cell:
    base, peak = f.info(key, "baseline_kb"), f.info(key, "peak_kb")
    if not isinstance(base, int) or not isinstance(peak, int):
        return Cell(None, why=f.why(key, "memory"))
    return Cell((peak - base) / MB, 1, why=f"peak {peak / MB:.0f} − {base / MB:.0f} MB")


def startup_rows(f: Figures, settings: Settings, cores: int) -> list[Row]:
    n = settings.startup_passwords
    keys = [job_key("startup", lib, "yaml", n) for lib in LIBS]
    hashing = [_hashing_time(f, key) for key in keys]
    form = [f.median(key, "form") for key in keys]
    r = ratio(*hashing)
    form_ok = None
    if form[0].value is not None and hashing[0].value is not None:
        form_ok = form[0].value < hashing[0].value
    early = [_early_login(f, key) for key in keys]
    files = [_plaintext_files(f, key) for key in keys]
    return [
        Row(
            f"hashing {n} plaintext passwords at start-up ({cores} cores)",
            hashing[0].show(seconds),
            hashing[1].show(seconds),
            times(r),
            "≥ 1.8× faster",
            verdict(None if r is None else r >= 1.8),
        ),
        Row(
            "login form rendered after",
            form[0].show(seconds),
            form[1].show(seconds),
            "–",
            "before hashing ends",
            verdict(form_ok),
        ),
        Row(
            "log in before one's password is hashed",
            early[0][0],
            early[1][0],
            "–",
            "logs in",
            verdict(early[0][1]),
        ),
        Row(
            "files holding a plaintext password after start-up",
            files[0][0],
            files[1][0],
            "–",
            "none",
            verdict(files[0][1]),
        ),
    ]


def _hashing_time(f: Figures, key: str) -> Cell:
    """Until ``Authenticate`` returned or config.yaml held no plaintext, whichever is
    later; for 0.4.2, which hashes in memory inside ``Authenticate`` and leaves the
    file as it was, until ``Authenticate`` returned."""
    build = f.median(key, "build")
    clean = f.info(key, "clean_at_s")
    if isinstance(clean, float):
        return Cell(max(clean, build.value or 0.0), 1)
    if build.value is not None and LIBRARIES[key.split("/")[1]].hashes_in_memory:
        return build
    if build.value is None:
        return build
    return Cell(None, why="not finished: plaintext still in config.yaml when the job ended")


def _early_login(f: Figures, key: str) -> tuple[str, bool | None]:
    if f.info(key, "background_work") is False:
        return "not exercised: all hashed before the form appeared", None
    status = f.info(key, "early_login")
    if status is None:
        return f.why(key, "startup"), None
    if not f.info(key, "login_before_hashed"):
        return "not exercised: the user was hashed before the login", None
    return ("logged in" if status == "ok" else str(status)), status == "ok"


def _plaintext_files(f: Figures, key: str) -> tuple[str, bool | None]:
    files = f.info(key, "plaintext_files")
    if not isinstance(files, list):
        return f.why(key, "startup"), None
    return (", ".join(files) or "none"), not files


def concurrency_rows(f: Figures, cores: int) -> list[Row]:
    keys = [job_key("concurrency", lib, "yaml", CONCURRENT_SESSIONS) for lib in LIBS]
    verify = [f.median(key, "verify") for key in keys]
    rows = [
        Row(
            "one bcrypt verify, cost 12",
            verify[0].show(seconds),
            verify[1].show(seconds),
            "–",
            "–",
            "–",
        )
    ]
    for label, sample in (
        (f"{CONCURRENT_SESSIONS} threads, login path of one Authenticate", "threads_wall"),
        (f"{CONCURRENT_SESSIONS} threads on one _core.Authenticator", "core_wall"),
    ):
        a, s = (_throughput(f, key, sample) for key in keys)
        failed = [_failed(f, key, sample) for key in keys]
        bound = cores / verify[0].value if verify[0].value else None
        ok = None if a.value is None or bound is None else a.value >= 0.9 * bound
        share = f" = {a.value / bound:.0%}" if a.value is not None and bound else ""
        rows.append(
            Row(
                label,
                a.show(per_second) + share + failed[0],
                s.show(per_second) + failed[1] if sample == "threads_wall" else "n/a",
                times(None if s.value is None or a.value is None else a.value / s.value),
                f"≥ 90% of {cores} ÷ verify" + (f" = {0.9 * bound:.2f}/s" if bound else ""),
                verdict(ok),
            )
        )
    return rows


def _failed(f: Figures, key: str, sample: str) -> str:
    count, rounds = f.error_count(key, sample), len(f.samples(key, sample))
    return f"; {count} of {rounds * CONCURRENT_SESSIONS} logins failed" if count else ""


def _throughput(f: Figures, key: str, sample: str) -> Cell:
    walls = f.samples(key, sample)
    if not walls:
        return Cell(None, why=f.why(key, sample))
    return Cell(CONCURRENT_SESSIONS / statistics.median(walls), len(walls))


# ---- scale: core operations against the number of users ------------------------------

SCALE_OPS = (
    ("failed login − one verify", "login_fail", "verify"),
    ("login − one verify", "login", "verify"),
    ("logout", "logout", None),
    ("register (at cost 4) − one verify", "register", "verify"),
    ("update details", "update", None),
    ("lookup by email (forgot_username)", "lookup", None),
)
# O(1) or O(log n): the median at the largest size is at most this many times the
# median at the smallest (1,000 users). A B-tree gains about one level per ~100× users,
# so O(log n) costs about 2× over 1,000 → 1,000,000 users; O(n) would cost ~1,000×
# (~10× over --quick's 1,000 → 10,000).
SCALE_GROWTH_MAX = 3.0
SCALE_TARGET = 0.002  # issue #5 target 2, databases: under 2 ms at 1,000,000 users
SCALE_TARGET_OPS = (
    ("failed login", "login_fail", "verify"),
    ("login + logout", "login_logout", "verify"),
    ("register", "register", "verify"),
    ("update details", "update", None),
)
SCALE_INTRO = [
    "authgate only (0.4.2 has no database store), through `authgate._core` in plain "
    "Python subprocesses (no Streamlit). Operation times come from one process per store "
    "that opens the store at every size and takes the sizes in turn, a repetition of each "
    "(so all sizes see the same machine load); peak RSS from a fresh process per size. "
    "Each repetition uses users of its own, drawn at random from the whole range (no "
    "lockout, no hot page); SQLite database files are read once before timing, so that "
    "every size starts from the OS page cache as a database in use does. "
    "O(1) / O(log n) is read as: the median at the largest size "
    f"is at most {SCALE_GROWTH_MAX:.0f}× the median at 1,000 users (O(log n) gives about "
    "2× over 1,000 → 1,000,000 users, O(n) about 1,000×). Register: the authenticator "
    "hashes new passwords at cost 4 here (`hash_cost=4`), and one cost-4 verify (the same "
    "bcrypt work) is subtracted. Peak RSS is /proc/self/status "
    "VmHWM, the process's own: ru_maxrss carries the suite process's peak across fork "
    "and exec on Linux. PostgreSQL's server memory is not in it.",
]


_NO_TARGET = ("–", "–", "–")  # growth, target, result of a context row


@dataclass(frozen=True)
class ScaleRow:
    label: str
    cells: tuple[str, ...]  # one per scale size
    growth: str
    target: str
    result: str


def _scale_stores(settings: Settings) -> list[str]:
    return [s for s in ("sqlite", "postgres", "yaml") if s in settings.stores]


def _scale_measured(settings: Settings, store: str) -> tuple[int, ...]:
    sizes = settings.scale_sizes
    return sizes if store != "yaml" else tuple(n for n in sizes if n <= SCALE_YAML_MAX)


def _not_measured(settings: Settings, store: str, users: int) -> str | None:
    if users in _scale_measured(settings, store):
        return None
    return f"not run (config.yaml: up to {SCALE_YAML_MAX:,} users)"


def _scale_cell(
    f: Figures, settings: Settings, store: str, users: int, sample: str, minus: str | None
) -> Cell:
    skipped = _not_measured(settings, store, users)
    if skipped:
        return Cell(None, why=skipped)
    return f.median(scale_key(store), f"{sample}@{users}", minus)


def _growth(first: Cell, last: Cell) -> float | None:
    if first.value is None or last.value is None or first.value <= 0 or last.value <= 0:
        return None
    return last.value / first.value


def _process_wide(f: Figures, settings: Settings, store: str, sample: str) -> tuple[str, ...]:
    """A figure of the timing process as a whole, in the first column."""
    cell = f.median(scale_key(store), sample)
    rest = ["same process"] * (len(settings.scale_sizes) - 1)
    return (cell.show(seconds), *rest)


def scale_rows(f: Figures, settings: Settings) -> list[ScaleRow]:
    rows: list[ScaleRow] = []
    for store in _scale_stores(settings):
        first, last = (_scale_measured(settings, store)[i] for i in (0, -1))
        place = STORE_LABELS[store] + (" (context, no target)" if store == "yaml" else "")
        rows.append(
            ScaleRow(
                f"subtracted: one verify, cost 4, {place}",
                _process_wide(f, settings, store, "verify"),
                *_NO_TARGET,
            )
        )
        for label, sample, minus in SCALE_OPS:
            by_size = {
                n: _scale_cell(f, settings, store, n, sample, minus) for n in settings.scale_sizes
            }
            g = _growth(by_size[first], by_size[last])
            shown = [c.show(seconds) for c in by_size.values()]
            target, result = "–", "–"
            if store != "yaml":
                target = f"≤ {SCALE_GROWTH_MAX:.0f}× ({first:,} → {last:,} users)"
                if g is not None:
                    result = verdict(g <= SCALE_GROWTH_MAX)
            rows.append(
                ScaleRow(
                    f"{label}, {place}",
                    tuple(shown),
                    times(g) if g is not None else "–",
                    target,
                    result,
                )
            )
        rows.append(_scale_rss_row(f, settings, store, place))
        rows += _scale_cost_rows(f, settings, store, place)
    return rows


def _scale_rss_row(f: Figures, settings: Settings, store: str, place: str) -> ScaleRow:
    rss = {}
    for n in settings.scale_sizes:
        skipped = _not_measured(settings, store, n)
        rss[n] = Cell(None, why=skipped) if skipped else _rss(f, scale_key(store, n))
    measured = _scale_measured(settings, store)
    first, last = rss[measured[0]], rss[measured[-1]]
    growth, ok = "–", None
    if first.value is not None and last.value is not None:
        grew = last.value - first.value
        growth = f"{grew:+.1f} MB"
        ok = None if store == "yaml" else grew <= GROWTH_TOLERANCE_MB
    return ScaleRow(
        f"peak RSS (VmHWM) − baseline (after importing authgate._core), {place}",
        tuple(c.show(megabytes) for c in rss.values()),
        growth,
        "–" if store == "yaml" else f"flat: ≤ +{GROWTH_TOLERANCE_MB:.0f} MB",
        verdict(ok),
    )


def _job_time(f: Figures, key: str) -> str:
    outcome = f.outcome(key)
    if outcome is None:
        return "not run"
    if outcome.status == "ok" or outcome.status.startswith("stopped"):
        return seconds(outcome.seconds) + ("" if outcome.status == "ok" else " (stopped)")
    return outcome.status


def _scale_cost_rows(f: Figures, settings: Settings, store: str, place: str) -> list[ScaleRow]:
    """How long building the databases and running the jobs took (context)."""
    timing = scale_key(store)
    builds, memory = [], []
    for n in settings.scale_sizes:
        skipped = _not_measured(settings, store, n)
        memory.append(skipped or _job_time(f, scale_key(store, n)))
        built = f.info(timing, f"database_build_s@{n}")
        built_for = f.info(timing, f"database_built_for@{n}")
        if skipped:
            builds.append(skipped)
        elif isinstance(built, float):
            shared = "" if str(built_for).startswith("scale/") else f" (for `{built_for}`)"
            builds.append(seconds(built) + shared)
        else:
            builds.append(f.why(timing, "database"))
    rest = ["same process"] * (len(settings.scale_sizes) - 1)
    rows = [
        ScaleRow(
            f"time of the timing job (all sizes, one process), {place}",
            (_job_time(f, timing), *rest),
            *_NO_TARGET,
        ),
        ScaleRow(f"time of the memory job (one per size), {place}", tuple(memory), *_NO_TARGET),
    ]
    if store != "yaml":
        label = (
            f"database build (import_config of the first {bulk.SEED_USERS:,} users, "
            f"the rest copied in SQL), {place}"
        )
        rows.insert(0, ScaleRow(label, tuple(builds), *_NO_TARGET))
    return rows


def scale_target_rows(f: Figures, settings: Settings) -> list[Row]:
    """Issue #5 target 2 for databases, at the largest scale size, core level."""
    users = settings.scale_sizes[-1]
    rows = []
    for store in (s for s in _scale_stores(settings) if s != "yaml"):
        for label, sample, minus in SCALE_TARGET_OPS:
            a = _scale_cell(f, settings, store, users, sample, minus)
            shown, result = (
                a.show(seconds),
                verdict(None if a.value is None else a.value < SCALE_TARGET),
            )
            rows.append(
                Row(f"{label}, {_place(store, users)}", shown, NO_SQL, "–", "< 2 ms", result)
            )
    return rows


def scale_table(rows: list[ScaleRow], settings: Settings) -> list[str]:
    sizes = settings.scale_sizes
    head = " | ".join(f"{n:,} users" for n in sizes)
    lines = [
        f"| figure | {head} | {sizes[-1]:,} ÷ {sizes[0]:,} | target | result |",
        "|---|" + "---:|" * (len(sizes) + 1) + "---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {' | '.join(r.cells)} | {r.growth} | {r.target} | {r.result} |"
        )
    return lines


# ---- the whole report -----------------------------------------------------------------

_HEAD = "| figure | authgate | 0.4.2 | 0.4.2 ÷ authgate | target | result |"
_RULE = "|---|---:|---:|---:|---|---|"


def table(rows: list[Row]) -> list[str]:
    lines = [_HEAD, _RULE]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.authgate} | {r.sa042} | {r.ratio} | {r.target} | {r.result} |"
        )
    return lines


def summary(sections: Sequence[tuple[str, Sequence[Row | ScaleRow]]]) -> list[str]:
    lines = ["| target | met | not met | not measured |", "|---|---:|---:|---:|"]
    for title, rows in sections:
        judged = [r.result for r in rows if r.target != "–"]
        met = judged.count("met")
        missed = judged.count(verdict(False))
        lines.append(f"| {title} | {met} | {missed} | {len(judged) - met - missed} |")
    return lines


def problems(outcomes: dict[str, Outcome]) -> list[str]:
    lines = []
    for key, outcome in outcomes.items():
        if outcome.status not in ("ok",) and not outcome.status.startswith("not run"):
            lines.append(f"- `{key}`: {outcome.status}")
        for error in dict.fromkeys(outcome.result.errors):
            lines.append(f"- `{key}`: {error[:300]}")
    return lines


def render(
    outcomes: dict[str, Outcome],
    settings: Settings,
    machine: Machine,
    command: str,
    notes: list[str],
) -> str:
    f = Figures(outcomes)
    largest = settings.scale_sizes[-1]
    # (title, rows, the section's body: a table, with an introduction for the scale rows)
    sections: list[tuple[str, Sequence[Row | ScaleRow], list[str]]] = []
    for title, rows in (
        (
            "1. Rerun overhead: Authenticate(path) + login(), session logged in",
            rerun_rows(f, settings),
        ),
        ("2. Operations, bcrypt work subtracted", operation_rows(f, settings)),
        ("3. Start-up hashing", startup_rows(f, settings, machine.cores)),
        ("4. Concurrent logins, cost-12 hashes", concurrency_rows(f, machine.cores)),
        ("5. Memory after loading the users", memory_rows(f, settings)),
        ("6. Login latency: a successful login minus one bcrypt verify", latency_rows(f, settings)),
    ):
        sections.append((title, rows, table(rows)))
    growth = scale_rows(f, settings)
    sections.append(
        (
            "7. Scale: core operations against the number of users",
            growth,
            [*SCALE_INTRO, "", *scale_table(growth, settings)],
        )
    )
    at_largest = scale_target_rows(f, settings)
    sections.append(
        (
            f"8. Scale: operations at {largest:,} users, bcrypt work subtracted, core level",
            at_largest,
            table(at_largest),
        )
    )
    out = ["# authgate benchmark", "", f"Command: `{command}`", "", *machine.lines(), ""]
    out += [f"- {n}" for n in notes] + [""]
    out += ["## Summary", "", *summary([(title, rows) for title, rows, _ in sections]), ""]
    for title, _, body in sections:
        out += [f"## {title}", "", *body, ""]
    issues = problems(outcomes)
    if issues:
        out += ["## Jobs that stopped early or reported errors", "", *issues, ""]
    return "\n".join(out)
