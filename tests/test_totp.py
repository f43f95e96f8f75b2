"""Authenticator apps (TOTP) with recovery codes: set-up, the login's code
step, replay, recovery codes, turning it off (AppTest, every mode)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from streamlit.testing.v1 import AppTest

from authgate import _core
from tests.test_widgets import Mode, app, errors, field, log_in, mode

__all__ = ["mode"]


def totp(secret_base32: str, at: float) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s), written out for the test."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def enrol(mode: Mode, more: list | None = None) -> tuple[AppTest, str, list[str]]:
    at = log_in(app(mode, [("enroll_totp", {"key": "app"}), *(more or [])]))
    if mode.name == "dict":
        assert any(e.startswith("AuthenticateError: Authenticator apps need") for e in errors(at))
        pytest.skip("dict mode refuses authenticator apps (checked above)")
    at.button(key="app-begin").click()
    at = at.run()
    assert at.get("image"), "the QR code is shown"
    secret = at.code[0].value.strip()
    field(at, "Code").input("000000" if totp(secret, time.time()) != "000000" else "111111")
    next(b for b in at.button if b.label == "Activate").click()
    at = at.run()
    assert "Code is incorrect" in errors(at)
    field(at, "Code").input(totp(secret, time.time()))
    next(b for b in at.button if b.label == "Activate").click()
    at = at.run()
    assert all(secret not in c.value for c in at.code), "the secret leaves the page"
    codes = [c for c in at.code[-1].value.split("\n") if c]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert [d.label for d in at.get("download_button")] == ["Download recovery codes"]
    return at, secret, codes


def code_login(mode: Mode, code: str) -> AppTest:
    at = log_in(app(mode, []))
    assert at.session_state["authentication_status"] is not True
    assert [b.label for b in at.button] == ["Verify", "Cancel"]
    field(at, "Code").input(code)
    next(b for b in at.button if b.label == "Verify").click()
    return at.run()


def test_the_login_asks_for_the_apps_code_once_set_up(mode: Mode) -> None:
    _, secret, codes = enrol(mode)
    # The next time step's code (the window is one step either way); the
    # set-up used this step's.
    later = totp(secret, time.time() + 30)
    at = code_login(mode, later)
    assert at.session_state["authentication_status"] is True
    assert "Welcome" not in errors(at)
    # The same code again: codes work once.
    again = code_login(mode, later)
    assert again.session_state["authentication_status"] is not True
    assert any("used already" in e for e in errors(again)), errors(again)
    # A recovery code works once too.
    assert code_login(mode, codes[0]).session_state["authentication_status"] is True
    reused = code_login(mode, codes[0])
    assert reused.session_state["authentication_status"] is not True
    assert "Code is incorrect" in errors(reused)


def test_turning_it_off_needs_the_password(mode: Mode) -> None:
    widgets = [("disable_totp", {"key": "off"})]
    at, _, _ = enrol(mode, widgets)
    at = at.run()
    assert "Two-factor authentication is on." in [s.value for s in at.success]
    password = [t for t in at.text_input if t.label == "Password"][-1]
    password.input("wrong")
    next(b for b in at.button if b.label == "Turn off").click()
    at = at.run()
    assert "CredentialsError: Password is incorrect" in errors(at)
    password = [t for t in at.text_input if t.label == "Password"][-1]
    password.input("abc")
    next(b for b in at.button if b.label == "Turn off").click()
    at = at.run()
    assert "disable_totp=True" in [t.value for t in at.text]
    # The password alone logs in again.
    assert log_in(app(mode, [])).session_state["authentication_status"] is True


def test_the_core_refuses_a_password_alone_for_a_user_with_the_app(config_path) -> None:
    mode = Mode("path", config_path, "cookie")
    enrol(mode)
    auth = _core.Authenticator(
        _core.Store.open(str(config_path)), "test-cookie-key-0123456789-abcdefghij"
    )
    with pytest.raises(_core.CodeRefused, match="needs the code of its authenticator app"):
        auth.login("jsmith", "abc")
    assert isinstance(auth.login_with_totp("jsmith", "abc"), _core.TotpChallenge)
