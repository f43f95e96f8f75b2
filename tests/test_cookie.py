"""Logging in from the re-authentication cookie (cookies injected into st.context)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt

from tests.conftest import drop_stored_session, pending_cookie_op
from tests.test_login import KEY, start, state, submit


def legacy_token(username: str, exp_date: float, key: str = KEY) -> str:
    """A cookie exactly as streamlit-authenticator 0.4.2 writes it."""
    return jwt.encode({"username": username, "exp_date": exp_date}, key, algorithm="HS256")


def issued_token(config_path: Path) -> str:
    at = submit(start(config_path), "jsmith", "abc")
    return pending_cookie_op(at)["value"]


def test_authgate_cookie_logs_in_a_new_session(config_path: Path, browser_cookies) -> None:
    browser_cookies["authgate_test"] = issued_token(config_path)
    at = start(config_path)
    assert state(at, "authentication_status") is True
    assert state(at, "name") == "John Smith"
    assert len(at.text_input) == 0
    assert pending_cookie_op(at) is None, "a good cookie is not rewritten"


def test_0_4_2_cookie_logs_in_and_is_upgraded(config_path: Path, browser_cookies) -> None:
    browser_cookies["authgate_test"] = legacy_token("jsmith", time.time() + 3600)
    at = start(config_path)
    assert state(at, "authentication_status") is True
    op = pending_cookie_op(at)
    claims = jwt.decode(op["value"], KEY, algorithms=["HS256"])
    assert claims["sid"] == state(at, "_authgate_session_id")


def _refused(config_path: Path, browser_cookies, token: str) -> None:
    before = config_path.read_bytes()
    browser_cookies["authgate_test"] = token
    at = start(config_path)
    assert not at.exception
    assert state(at, "authentication_status") is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    op = pending_cookie_op(at)
    assert op is not None and op["value"] is None, "a refused cookie is deleted"
    assert config_path.read_bytes() == before


def test_expired_cookie_shows_the_form(config_path: Path, browser_cookies) -> None:
    _refused(config_path, browser_cookies, legacy_token("jsmith", time.time() - 1))


def test_wrong_key_cookie_shows_the_form(config_path: Path, browser_cookies) -> None:
    _refused(config_path, browser_cookies, legacy_token("jsmith", time.time() + 60, "other"))


def test_tampered_cookie_shows_the_form(config_path: Path, browser_cookies) -> None:
    token = legacy_token("rbriggs", time.time() + 60)
    header, _, signature = token.split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({"username": "jsmith", "exp_date": time.time() + 60}).encode()
    ).rstrip(b"=")
    _refused(config_path, browser_cookies, f"{header}.{forged.decode()}.{signature}")


def test_alg_none_cookie_shows_the_form(config_path: Path, browser_cookies) -> None:
    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'username': 'jsmith', 'exp_date': 9e9})}."
    _refused(config_path, browser_cookies, token)


def test_garbage_cookie_shows_the_form(config_path: Path, browser_cookies) -> None:
    _refused(config_path, browser_cookies, "not-a-token")


def test_cookie_of_unknown_user_shows_the_form(config_path: Path, browser_cookies) -> None:
    _refused(config_path, browser_cookies, legacy_token("mallory", time.time() + 60))


def test_logged_out_cookie_is_dead_everywhere(config_path: Path, browser_cookies) -> None:
    token = issued_token(config_path)
    browser_cookies["authgate_test"] = token
    at = start(config_path)
    assert state(at, "authentication_status") is True
    at.button(key="Logout").click()
    at = at.run()
    # Same Streamlit session: st.context.cookies still holds the old cookie.
    at = at.run()
    assert state(at, "authentication_status") is None
    # A new session presenting a copy of the old cookie is refused too.
    again = start(config_path)
    assert state(again, "authentication_status") is None


def test_legacy_cookie_is_refused_after_its_user_logged_out(
    config_path: Path, browser_cookies
) -> None:
    old = legacy_token("jsmith", time.time() + 30 * 86400 - 5)
    browser_cookies["authgate_test"] = old
    at = start(config_path)
    assert state(at, "authentication_status") is True
    at.button(key="Logout").click()
    at.run()
    again = start(config_path)
    assert state(again, "authentication_status") is None


def test_session_revoked_elsewhere_logs_this_session_out(config_path: Path) -> None:
    at = submit(start(config_path), "jsmith", "abc")
    sid = state(at, "_authgate_session_id")
    drop_stored_session(config_path, sid)
    at = at.run()
    assert state(at, "authentication_status") is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]
