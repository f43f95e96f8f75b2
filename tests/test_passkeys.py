"""Passkeys through the widgets (AppTest, every mode): enrolment after the
password, "Sign in with a passkey" on the login form, the passkey as the
second step after the password, the list and removal; the browser's side
played by a software authenticator (``tests.soft_authenticator``)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import authgate.passkeys
from authgate import _core
from tests.soft_authenticator import FakeBrowser
from tests.test_widgets import Mode, app, errors, field, log_in, mode, press, results

__all__ = ["mode"]

ORIGIN = "http://localhost:8501"
SITE = {"app_url": ORIGIN + "/"}


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> FakeBrowser:
    fake = FakeBrowser(ORIGIN)
    monkeypatch.setattr(authgate.passkeys, "_button", fake)
    return fake


def run(at: AppTest, browser: FakeBrowser, key: str, **how: str | None) -> AppTest:
    """Clicks the passkey button ``key`` (the browser answers) and reruns."""
    assert key in browser.shown, (key, browser.shown)
    browser.click(key, **how)
    return at.run()


def enrol(mode: Mode, browser: FakeBrowser, more: list | None = None) -> AppTest:
    widgets = [("enroll_passkey", {"name": "Laptop", "key": "add"}), *(more or [])]
    at = log_in(app(mode, widgets, SITE))
    if mode.name == "dict":
        assert any(e.startswith("AuthenticateError: Passkeys need") for e in errors(at))
        pytest.skip("dict mode refuses passkeys (checked above)")
    assert at.session_state["authentication_status"] is True
    assert field(at, "Name of the passkey").value == "Laptop"
    field(at, "Password", -1).input("wrong")
    at = press(at, "Continue")
    assert "Password is incorrect" in errors(at)
    field(at, "Password", -1).input("abc")
    at = press(at, "Continue")
    assert "add-enrol-button" in browser.shown
    at = run(at, browser, "add-enrol-button")
    assert "The passkey was added." in [s.value for s in at.success]
    added = next(r for r in results(at) if r.startswith("enroll_passkey={"))
    assert "'name': 'Laptop'" in added and "'rp_id': 'localhost'" in added
    return at


def fresh(mode: Mode, widgets: list | None = None) -> AppTest:
    """A new browser session, not logged in."""
    at = app(mode, widgets or [], SITE)
    assert at.session_state["authentication_status"] is not True
    return at


def test_enrol_then_sign_in_with_the_passkey_alone(mode: Mode, browser: FakeBrowser) -> None:
    enrol(mode, browser)
    browser.shown.clear()
    at = fresh(mode)
    at = run(at, browser, "Login-passkey-button")
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "jsmith"
    assert at.session_state["name"] == "John Smith"
    # Signed in like a password login: the cookie is queued for the browser.
    assert at.session_state["_authgate_cookie_op"]["value"]


def test_the_passkey_is_asked_for_after_the_password(mode: Mode, browser: FakeBrowser) -> None:
    enrol(mode, browser)
    at = log_in(fresh(mode))
    assert at.session_state["authentication_status"] is not True
    assert "Use a passkey" in [h.value for h in at.subheader]
    assert [b.label for b in at.button] == ["Cancel"], "no code form without an app"
    at = run(at, browser, "Login-passkey-step-button")
    assert at.session_state["authentication_status"] is True
    # Cancel goes back to the form.
    at = log_in(fresh(mode))
    at = press(at, "Cancel")
    assert [b.label for b in at.button] == ["Login"]


def test_refusals_are_shown_and_the_next_try_works(mode: Mode, browser: FakeBrowser) -> None:
    enrol(mode, browser)
    at = fresh(mode)
    # The browser's prompt closed: nothing was sent.
    at = run(at, browser, "Login-passkey-button", error="NotAllowedError")
    assert "The passkey prompt was closed or timed out: try again" in errors(at)
    # A page at another origin (a phishing proxy): refused by the core.
    at = run(at, browser, "Login-passkey-button", origin="http://localhost:9999")
    assert at.session_state["authentication_status"] is not True
    assert "The passkey was not accepted" in errors(at)
    # The ceremony was spent: a new one is offered, and it works.
    at = run(at, browser, "Login-passkey-button")
    assert at.session_state["authentication_status"] is True


def test_the_list_removes_a_passkey_after_the_password(mode: Mode, browser: FakeBrowser) -> None:
    at = enrol(mode, browser, [("manage_passkeys", {"key": "mine"})])
    at = at.run()
    assert "Your passkeys" in [h.value for h in at.subheader]
    assert "**Laptop**" in [m.value for m in at.markdown]
    at = press(at, "Remove")
    field(at, "Password", -1).input("wrong")
    at = press(at, "Remove passkey")
    assert "Password is incorrect" in errors(at)
    field(at, "Password", -1).input("abc")
    at = press(at, "Remove passkey")
    assert "No passkeys yet." in [c.value for c in at.caption]
    assert "manage_passkeys=[]" in results(at)
    # With no passkey left anywhere, the login form is 0.4.2's again, and
    # the password alone logs in.
    browser.shown.clear()
    at = log_in(fresh(mode))
    assert at.session_state["authentication_status"] is True
    assert "Login-passkey-button" not in browser.shown


def test_a_login_form_without_passkeys_is_unchanged(mode: Mode, browser: FakeBrowser) -> None:
    at = fresh(mode)
    assert browser.shown == []
    assert [b.label for b in at.button] == ["Login"]


def test_the_core_refuses_a_password_alone_for_a_user_with_a_passkey(
    config_path, browser: FakeBrowser
) -> None:
    mode = Mode("path", config_path, "cookie")
    enrol(mode, browser)
    auth = _core.Authenticator(
        _core.Store.open(str(config_path)), "test-cookie-key-0123456789-abcdefghij"
    )
    with pytest.raises(_core.CodeRefused, match="needs one of its passkeys"):
        auth.login("jsmith", "abc")
    challenge = auth.login_with_totp("jsmith", "abc")
    assert isinstance(challenge, _core.TotpChallenge)
    assert (challenge.passkey, challenge.totp) == (True, False)
    [passkey] = auth.passkeys("jsmith")
    assert passkey["name"] == "Laptop" and passkey["last_used"] is None
    # Bad input from the browser is a refusal, never a traceback.
    ceremony, options = auth.begin_passkey_login(ORIGIN, challenge=challenge)
    assert json.loads(options)["publicKey"]["allowCredentials"][0]["id"]
    assert ceremony.kind == "second-factor" and ceremony.username == "jsmith"
    for bad in ["", "{}", "null", "x" * 100_000, '{"rawId": 5}']:
        ceremony, _ = auth.begin_passkey_login(ORIGIN)
        with pytest.raises(_core.WrongCode):
            auth.finish_passkey_login(ceremony, bad)
        assert ceremony.spent
    with pytest.raises(_core.InvalidInput, match="https"):
        auth.begin_passkey_login("http://app.example.com")
    assert "challenge" not in repr(ceremony)
