"""One name fold (#15): the package folds usernames and emails through the
core (``_core.username_key`` / ``_core.email_key``, the core's ``UserKey`` and
``EmailKey``), never with ``str.lower()``, so a name means one account in
Python and Rust alike. This scans the package for ``.lower`` and
``.casefold`` and fails, naming ``file:line``, on any that ``ALLOWED`` does
not list with its reason (the Rust side: ``crates/authgate/tests/it/one_fold.rs``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "authgate"

FOLDS = {"lower", "casefold"}

# Lower-casing of things that are not names: (file, text of the line, why).
# An entry that matches nothing fails too, so the list stays short.
ALLOWED: list[tuple[str, str, str]] = [
    ("i18n.py", '.split("-")[0].lower()', "a language tag's primary subtag"),
    ("i18n.py", 'name.strip().lower() == "q"', "an Accept-Language parameter name"),
    ("i18n.py", 'tag.strip().lower().startswith("en")', "an Accept-Language tag"),
    ("i18n.py", 'language.lower().startswith("en")', "the language= argument, a tag"),
    ("guest_login.py", "oauth2.get(provider.lower())", "an OAuth provider's config section"),
    ("httponly.py", 'url.lower().startswith("https:")', "a URL's scheme"),
]


def folds_in(source: str) -> list[int]:
    """The lines of ``source`` that use ``.lower`` or ``.casefold`` (a call
    or a reference such as ``str.lower``), comments and strings aside."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in FOLDS
    )


def test_names_are_folded_by_the_core_only() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert any(f.name == "authenticate.py" for f in files), "the scan finds the package"
    used = [False] * len(ALLOWED)
    found = []
    for file in files:
        name = file.relative_to(PACKAGE).as_posix()
        source = file.read_text(encoding="utf-8")
        lines = source.splitlines()
        for lineno in folds_in(source):
            line = lines[lineno - 1]
            entry = next(
                (
                    i
                    for i, (path, snippet, _) in enumerate(ALLOWED)
                    if path == name and snippet in line
                ),
                None,
            )
            if entry is None:
                found.append(f"python/authgate/{name}:{lineno}: {line.strip()}")
            else:
                used[entry] = True
    assert not found, (
        "lower-casing in the package: fold a username or an email with "
        "_core.username_key / _core.email_key; anything else goes in "
        "test_one_fold.py's ALLOWED with its reason:\n" + "\n".join(found)
    )
    stale = [
        f"{path}: {snippet!r} ({why})"
        for (path, snippet, why), matched in zip(ALLOWED, used, strict=True)
        if not matched
    ]
    assert not stale, "ALLOWED entries that match nothing any more:\n" + "\n".join(stale)


def test_the_scan_sees_every_form_of_a_fold() -> None:
    source = "\n".join(
        [
            "a = name.lower()",
            "b = map(str.casefold, names)",
            "# c = name.lower()",
            "d = 'name.lower()'",
            "e = name.lowercase()",
            "f = name.strip().lower().strip()",
        ]
    )
    assert folds_in(source) == [1, 2, 6]
