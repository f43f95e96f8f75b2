"""require_2fa: a user the policy names sets up an authenticator app right
after their password, before any of the app runs; others are not asked
(AppTest, every mode but dict, which refuses the setting)."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from tests.test_totp import code_login, totp
from tests.test_widgets import Mode, app, field, log_in, mode, results

__all__ = ["mode"]

# What the app shows once it runs past login().
CONTENT = [("sessions", {})]
APP_RAN = "sessions=None"


def guarded(mode: Mode, policy: object, username: str, password: str) -> AppTest:
    return log_in(app(mode, CONTENT, {"require_2fa": policy}), username, password)


def warned(at: AppTest) -> bool:
    return any("needs two-factor authentication" in w.value for w in at.warning)


def test_the_named_role_sets_up_a_factor_before_the_app_runs(mode: Mode) -> None:
    if mode.name == "dict":
        at = app(mode, CONTENT, {"require_2fa": ["admin"]})
        assert any("dict mode keeps no second factors" in str(e.value) for e in at.exception)
        return
    # rbriggs is a viewer: not named, not asked.
    viewer = guarded(mode, ["admin"], "rbriggs", "def")
    assert not warned(viewer) and APP_RAN in results(viewer)

    at = guarded(mode, ["admin"], "jsmith", "abc")
    assert at.session_state["authentication_status"] is True
    assert warned(at)
    assert APP_RAN not in results(at), "nothing of the app runs"
    assert [b.label for b in at.button if b.label == "Logout"] == ["Logout"]
    # A rerun does not get past it either.
    at = at.run()
    assert warned(at) and APP_RAN not in results(at)

    at.button(key="Login-required-begin").click()
    at = at.run()
    secret = at.code[0].value.strip()
    field(at, "Code").input(totp(secret, time.time()))
    next(b for b in at.button if b.label == "Activate").click()
    at = at.run()
    codes = [c for c in at.code[-1].value.split("\n") if c]
    assert len(codes) == 10, "the recovery codes are shown before the app opens"
    assert APP_RAN not in results(at)
    at.button(key="Login-required-continue").click()
    at = at.run()
    assert not warned(at) and APP_RAN in results(at)

    # From now on the password alone is not enough.
    at = code_login(mode, totp(secret, time.time() + 30))
    assert at.session_state["authentication_status"] is True


def test_everyone_and_bad_settings(mode: Mode) -> None:
    if mode.name == "dict":
        at = app(mode, CONTENT, {"require_2fa": True})
        assert any("dict mode keeps no second factors" in str(e.value) for e in at.exception)
        return
    assert warned(guarded(mode, True, "rbriggs", "def"))
    assert not warned(guarded(mode, False, "rbriggs", "def"))
    for bad in ("admin", [], [""], 1):
        at = app(mode, CONTENT, {"require_2fa": bad})
        assert any("require_2fa" in str(e.value) for e in at.exception), (bad, at.exception)
