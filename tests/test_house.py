"""The house drawn from the imports stays true, and the Python layer keeps no
rule of its own.

``docs/architecture.md`` carries the drawing ``scripts/house.py`` makes from
the source; it must match the code. And python/authgate may import only what
forms, session_state and presentation need: no randomness, hashing, MACs,
tokens, regular expressions or address parsing, which are the core's.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "python" / "authgate"

# Modules the Python layer may import beyond its own and streamlit/starlette,
# each for a reason that is not a rule.
ALLOWED = {
    "__future__": "annotations",
    "typing": "types",
    "collections.abc": "types",
    "dataclasses": "plain records",
    "os": "paths and the environment (where settings come from)",
    "pathlib": "paths",
    "warnings": "deprecation and insecure-setting warnings",
    "logging": "logs",
    "time": "the monotonic clock handed to the core",
    "threading": "mail delivery off the script thread",
    "concurrent.futures": "mail delivery off the script thread",
    "contextlib": "context managers",
    "functools": "caching",
    "datetime": "showing timestamps",
    "html": "escaping mail templates",
    "uuid": "ids of component messages, not secrets",
}
# Allowed in one module only, with the reason.
ALLOWED_IN = {
    ("re", "i18n.py"): "parsing gettext .po catalogues",
}
# Never: these are the core's work.
FORBIDDEN = {"secrets", "random", "hashlib", "hmac", "bcrypt", "jwt", "ipaddress", "base64", "re"}


def _load_house() -> object:
    spec = importlib.util.spec_from_file_location("house", ROOT / "scripts" / "house.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["house"] = module
    spec.loader.exec_module(module)
    return module


def test_the_documented_house_is_the_one_the_imports_draw() -> None:
    house = _load_house()
    assert house.documented() == house.drawing(), (  # type: ignore[attr-defined]
        "docs/architecture.md is out of date: run python scripts/house.py --write"
    )


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_python_layer_imports_no_rule_machinery() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module in sorted(_imports(path)):
            top = module.split(".")[0]
            if top in ("authgate", "streamlit", "starlette"):
                continue
            if (module, path.name) in ALLOWED_IN:
                continue
            if module in FORBIDDEN or top in FORBIDDEN or module not in ALLOWED:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "rules belong in the core:\n" + "\n".join(wrong)


def test_the_allow_lists_name_only_what_is_used() -> None:
    used = {m for path in PACKAGE.rglob("*.py") for m in _imports(path)}
    assert set(ALLOWED) <= used, set(ALLOWED) - used
    for module, name in ALLOWED_IN:
        assert module in _imports(PACKAGE / name), (module, name)
