"""The house drawn from the imports: who calls what across the layers.

Reads the source, not the docs: for each Python module of ``python/authgate``
the ``authgate._core`` names it uses (``_core.X``, and the methods it calls on
the ``Authenticator`` and ``Store`` it holds as ``self._auth`` /
``self._store``); for the bindings and the CLI, the core modules each file
names (``authgate::module``). ``docs/architecture.md`` holds this output
between its ``house:begin`` / ``house:end`` markers, and
``tests/test_house.py`` checks the two agree, so the drawing cannot go stale.

    python scripts/house.py            # print the drawing
    python scripts/house.py --write    # write it into docs/architecture.md
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- house:begin (scripts/house.py --write) -->"
END = "<!-- house:end -->"
# What the Python layer holds the core's objects as.
HELD = {"_auth": "Authenticator", "_store": "Store"}
CORE_PATH = re.compile(r"\bauthgate::([a-z_]+)")


def python_calls() -> dict[str, set[str]]:
    """Per module of python/authgate: the _core names it uses."""
    calls: dict[str, set[str]] = {}
    for path in sorted((ROOT / "python" / "authgate").rglob("*.py")):
        used: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            holder = node.value
            if isinstance(holder, ast.Name) and holder.id == "_core":
                used.add(node.attr)
            elif (
                # self._auth.m(), or a helper's self._host._auth.m()
                isinstance(holder, ast.Attribute)
                and isinstance(holder.value, (ast.Name, ast.Attribute))
                and holder.attr in HELD
                and not node.attr.startswith("_")
            ):
                used.add(f"{HELD[holder.attr]}.{node.attr}")
        if used:
            calls[str(path.relative_to(ROOT / "python"))] = used
    return calls


def rust_uses(crate: str) -> dict[str, set[str]]:
    """Per source file of ``crate``: the core modules it names."""
    uses: dict[str, set[str]] = defaultdict(set)
    src = ROOT / "crates" / crate / "src"
    for path in sorted(src.rglob("*.rs")):
        for module in CORE_PATH.findall(path.read_text(encoding="utf-8")):
            uses[str(path.relative_to(src))].add(module)
    return dict(uses)


def table(title: str, what: str, rows: dict[str, set[str]]) -> list[str]:
    lines = [f"**{title}**", "", f"| file | {what} |", "|---|---|"]
    for name, used in sorted(rows.items()):
        lines.append(f"| `{name}` | {', '.join(f'`{u}`' for u in sorted(used))} |")
    return [*lines, ""]


def drawing() -> str:
    lines = [
        "```",
        "app script ─▶ python/authgate (forms, session_state, the cookie jar)",
        "                 │  one _core call per user action",
        "                 ▼",
        "           authgate._core (crates/authgate-python: converts, releases the GIL)",
        "                 │",
        "authgate CLI ───▶ crates/authgate (every rule) ──▶ authgate-yaml, stores",
        "```",
        "",
    ]
    lines += table("Python → `authgate._core`", "what it calls", python_calls())
    lines += table("Bindings → core modules", "core modules", rust_uses("authgate-python"))
    lines += table("CLI → core modules", "core modules", rust_uses("authgate-cli"))
    return "\n".join(lines).rstrip("\n") + "\n"


def documented() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip("\n") + "\n"


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{drawing()}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        sys.stdout.write(drawing())
