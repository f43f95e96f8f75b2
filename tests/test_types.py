"""The dicts the core returns have the shapes ``authgate.types`` declares
(and ``_core.pyi`` promises): the keys, and the type of each value."""

from __future__ import annotations

import secrets
import types
import typing
from pathlib import Path
from typing import Any

import pytest

from authgate import _core
from authgate.types import (
    AuditEvent,
    CodeDelivery,
    PasswordStrength,
    Settings,
    TotpEnrolment,
    User,
    UserRecord,
    UserSession,
    UserSummary,
)
from tests.conftest import PASSWORDS, make_config, write_yaml


def conforms(value: Any, tp: Any) -> bool:
    """Whether ``value`` has the type ``tp`` (the few forms the types use)."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return any(conforms(value, t) for t in typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp)
        return isinstance(value, list) and all(conforms(v, item) for v in value)
    if typing.is_typeddict(tp):
        return isinstance(value, dict) and not mismatches(value, tp)
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, float)
    return isinstance(value, tp) and not (tp is int and isinstance(value, bool))


def mismatches(value: dict[str, Any], td: Any) -> list[str]:
    """What is wrong with ``value`` as the TypedDict ``td``: missing or
    unknown keys, values of another type. A ``total=False`` type allows
    absent keys and (as ``UserRecord``) keys it does not list."""
    hints = typing.get_type_hints(td)
    wrong = [f"missing {k}" for k in td.__required_keys__ - value.keys()]
    if td.__total__:
        wrong += [f"unknown {k}" for k in value.keys() - hints.keys()]
    wrong += [
        f"{k}={value[k]!r} is not {hints[k]}"
        for k in hints.keys() & value.keys()
        if not conforms(value[k], hints[k])
    ]
    return wrong


def check(value: Any, td: Any) -> None:
    assert isinstance(value, dict), value
    assert mismatches(value, td) == [], value


@pytest.fixture
def store(tmp_path: Path) -> _core.Store:
    return _core.Store.open(write_yaml(tmp_path / "config.yaml", make_config()))


@pytest.fixture
def auth(store: _core.Store) -> _core.Authenticator:
    return _core.Authenticator(store, secrets.token_urlsafe(32), hash_cost=4)


def test_store_dicts(store: _core.Store) -> None:
    check(store.settings(), Settings)
    check(store.user("jsmith"), User)
    check(store.user_record("rbriggs"), UserRecord)


def test_login_and_session_dicts(auth: _core.Authenticator) -> None:
    result = auth.login("jsmith", PASSWORDS["jsmith"])
    check(result.user, User)
    check(auth.check_session(result.session_id), User)
    auth.label_session(result.session_id, "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    (session,) = auth.sessions_of_user("jsmith")
    check(session, UserSession)
    with pytest.raises(_core.InvalidCredentials):
        auth.login("rbriggs", "wrong")
    trail = auth.audit_trail()
    assert {e["kind"] for e in trail} >= {"login", "login_failed"}
    for event in trail:
        check(event, AuditEvent)
    found, total = auth.find_users()
    assert total == len(found) == 2
    for row in found:
        check(row, UserSummary)


def test_account_dicts(auth: _core.Authenticator) -> None:
    user = auth.update_details("rbriggs", "first_name", "Becky")
    check(user, User)
    assert user["name"] == "Becky Briggs"
    issued = auth.forgot_password("rbriggs")
    assert issued is not None
    check(issued[0], User)
    _, delivery = auth.issue_code("forgot_password", "jsmith")
    check(delivery, CodeDelivery)
    assert delivery is not None and delivery["user"] is not None
    _, delivery = auth.issue_code("register", "someone@example.com")
    check(delivery, CodeDelivery)
    check(auth.begin_totp_enrolment("jsmith"), TotpEnrolment)
    assert auth.passkeys("jsmith") == []


def test_password_strength_dict() -> None:
    check(_core.password_strength("correct horse battery staple"), PasswordStrength)
