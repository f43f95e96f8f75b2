"""Languages: the gettext catalogues (complete, and covering every text
the widgets render), the choice of language, and widgets driven in one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import authgate as stauth
from authgate import i18n
from tests.test_widgets import app, errors, field, fill_registration, press

PACKAGE = Path(stauth.__file__).parent


def template() -> set[str]:
    text = (i18n.LOCALES / "authgate.pot").read_text(encoding="utf-8")
    return set(re.findall(r'^msgid "(.+)"$', text, re.MULTILINE))


def test_every_catalogue_translates_every_text() -> None:
    keys = template()
    assert len(keys) > 60
    for language in i18n.LANGUAGES:
        catalogue = i18n.catalogue(language)
        assert set(catalogue) == keys, (language, keys ^ set(catalogue))
        assert all(value.strip() for value in catalogue.values()), language


def test_every_text_the_widgets_name_has_a_key() -> None:
    """The English texts the Python layer passes to the translator (labels
    with their defaults, messages) are all in the template."""
    patterns = [
        r'_label\(fields, "([^"]+)"\)',
        r'fields\.get\("[^"]+", "([^"]+)"\)',
        r'self\._t\("([^"]+)"\)',
        r'\.text\("([^"]+)"\)',
    ]
    used: set[str] = set()
    for source in PACKAGE.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for pattern in patterns:
            used |= set(re.findall(pattern, text))
    assert len(used) > 40
    assert used <= template(), sorted(used - template())


def test_the_po_reader_reads_what_gettext_writes() -> None:
    text = (
        'msgid ""\nmsgstr "Language: de\\n"\n\n# note\nmsgid "A \\"b\\""\nmsgstr ""\n"C\\n"\n"D"\n'
    )
    assert i18n.parse_po(text) == {'A "b"': "C\nD"}
    with pytest.raises(ValueError):
        i18n.parse_po("nonsense")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "fr"),
        ("en-US,en;q=0.9,de;q=0.8", None),
        ("pt-BR", "pt"),
        ("zh-Hans-CN,zh;q=0.9", "zh"),
        ("de;q=0, ja;q=0.5", "ja"),
        ("xx, yy;q=0.5", None),
        ("", None),
        ("de;q=abc", None),
    ],
)
def test_accept_language_picks_the_first_catalogue(header: str, language: str | None) -> None:
    assert i18n.from_accept_language(header) == language


def test_an_unknown_language_is_refused(config_path: Path) -> None:
    with pytest.raises(stauth.AuthenticateError, match="language must be"):
        stauth.Authenticate(str(config_path), language="tlh")


def test_widgets_speak_the_chosen_language(config_path: Path) -> None:
    at = app(config_path, [("register_user", {"captcha": False})], {"language": "de"})
    labels = [t.label for t in at.text_input]
    assert labels[:2] == ["Benutzername", "Passwort"]
    assert "Vorname" in labels and "Passwort wiederholen" in labels
    assert [b.label for b in at.button] == ["Anmelden", "Registrieren"]
    form = {
        "Vorname": "1",
        "Nachname": "Elsby",
        "E-Mail": "melsby@gmail.com",
        "Benutzername": "melsby",
        "Passwort": "Str0ng!pass",
        "Passwort wiederholen": "Str0ng!pass",
    }
    for label, value in form.items():
        # The login form's Benutzername and Passwort come first.
        field(at, label, 1 if label in ("Benutzername", "Passwort") else 0).input(value)
    at = press(at, "Registrieren")
    assert "RegisterError: Der Vorname ist ungültig" in errors(at)
    # A refusal of the core, translated too.
    field(at, "Vorname").input("Mary")
    field(at, "E-Mail").input("jsmith@gmail.com")
    at = press(at, "Registrieren")
    assert "RegisterError: Diese E-Mail-Adresse ist schon vergeben" in errors(at)


def test_fields_still_win_and_english_stays_0_4_2s(config_path: Path) -> None:
    at = app(config_path, [], {"language": "ja"})
    assert [t.label for t in at.text_input] == ["ユーザー名", "パスワード"]
    english = app(config_path, [("register_user", {"captcha": False})])
    assert [t.label for t in english.text_input][:2] == ["Username", "Password"]
    english = press(fill_registration(english, **{"First name": "1"}), "Register")
    assert "RegisterError: First name is not valid" in errors(english)
    french = app(config_path, [("logout", {})], {"language": "fr"})
    french.text_input[0].input("jsmith")
    french.text_input[1].input("abc")
    french.button[0].click()
    assert [b.label for b in french.run().button] == ["Déconnexion"]


def test_an_app_label_overrides_the_translation(config_path: Path) -> None:
    at = app(
        config_path,
        [("forgot_username", {"fields": {"Email": "Adresse"}})],
        {"language": "de"},
    )
    assert "Adresse" in [t.label for t in at.text_input]
    assert field(at, "Adresse") is not None
