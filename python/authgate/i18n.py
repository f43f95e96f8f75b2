"""The languages authgate's widgets speak.

Every text a widget renders — labels, buttons, dialogs, messages, the
refusals it raises — is looked up in a GNU gettext catalogue,
``locales/<language>.po``, whose msgids are the English texts
(streamlit-authenticator 0.4.2's where it has one). ``locales/authgate.pot``
lists them all; a test checks that every catalogue translates every one.

``Authenticate(..., language="de")`` picks a language, ``language="auto"``
the first the browser asks for (its ``Accept-Language``) that authgate has;
without it (the default) everything stays in 0.4.2's English, exceptions
included, so that a drop-in app sees the same texts. ``fields=`` still
overrides any one label, as in 0.4.2. Texts with values in them (a wait in
seconds, a name) stay English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import streamlit as st

LOCALES = Path(__file__).with_name("locales")
#: The languages with a catalogue, besides English.
LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "pl", "ja", "zh")

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unquote(line: str) -> str:
    match = _QUOTED.search(line)
    if match is None:
        raise ValueError(f"not a quoted PO string: {line!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), match.group(1))


def parse_po(text: str) -> dict[str, str]:
    """The msgid → msgstr pairs of a PO file (entries with an empty msgstr,
    and the header, left out). Continued lines are joined."""
    entries: dict[str, str] = {}
    msgid: str | None = None
    msgstr: str | None = None
    current = ""

    def flush() -> None:
        if msgid and msgstr:
            entries[msgid] = msgstr

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr, current = _unquote(line), None, "msgid"
        elif line.startswith("msgstr "):
            msgstr, current = _unquote(line), "msgstr"
        elif line.startswith('"'):
            if current == "msgid" and msgid is not None:
                msgid += _unquote(line)
            elif current == "msgstr" and msgstr is not None:
                msgstr += _unquote(line)
        else:
            raise ValueError(f"unexpected PO line: {raw!r}")
    flush()
    return entries


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """The translations of ``language`` (one of ``LANGUAGES``)."""
    return parse_po((LOCALES / f"{language}.po").read_text(encoding="utf-8"))


def supported(tag: str) -> str | None:
    """The catalogue for a language tag (``de``, ``de-AT``, ``pt_BR``,
    ``zh-Hans-CN``), or ``None``; English is ``None`` too."""
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def from_accept_language(header: str) -> str | None:
    """The first language of an ``Accept-Language`` header, by quality,
    that has a catalogue, unless English comes first."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality: float | None = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = None  # malformed: the tag is ignored
        if tag and quality is not None and quality > 0:
            ranked.append((-quality, i, tag))
    for _, _, tag in sorted(ranked):
        if tag.strip().lower().startswith("en"):
            return None
        found = supported(tag)
        if found:
            return found
    return None


def check_language(language: Any) -> None:
    """Refuses a ``language`` argument authgate cannot honour."""
    if language is None or language == "auto":
        return
    if not isinstance(language, str) or (
        supported(language) is None and not language.lower().startswith("en")
    ):
        raise ValueError(
            f"language must be 'auto', 'en' or one of {', '.join(LANGUAGES)}, not {language!r}"
        )


class Translator:
    """Translates English texts into the language chosen for this run."""

    def __init__(self, language: str | None) -> None:
        self._language = language

    @property
    def language(self) -> str | None:
        """The catalogue in use this run (``None``: English)."""
        if self._language == "auto":
            header = st.context.headers.get("Accept-Language")
            return from_accept_language(header) if isinstance(header, str) else None
        return supported(self._language) if self._language else None

    def __call__(self, text: str) -> str:
        language = self.language
        return catalogue(language).get(text, text) if language else text


class Labels(Mapping[str, str]):
    """A widget's ``fields``: the app's own labels first, else the
    translation of the default the widget asks for."""

    def __init__(self, overrides: Mapping[str, str] | None, translate: Translator) -> None:
        self._overrides = dict(overrides or {})
        self._translate = translate

    def text(self, english: str) -> str:
        """A message (not a label the app can override) in this language."""
        return self._translate(english)

    def get(self, key: str, default: Any = None) -> str:
        if key in self._overrides:
            return self._overrides[key]
        return self._translate(default if default is not None else key)

    def __getitem__(self, key: str) -> str:
        return self.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._overrides

    def __iter__(self) -> Iterator[str]:
        return iter(self._overrides)

    def __len__(self) -> int:
        return len(self._overrides)
