"""Every form with a captcha checks it first, in the core, once.

The answer travels with the form's one core call (``authgate::form_guard``):
a wrong or blank answer is the form's captcha error whatever else is wrong
with the input, and nothing else is checked (no failure counted, no
``Validator`` called); a right answer lets the form's own checks speak; a
picture answers once, so replaying its id with its answer is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from authgate import _core
from tests import apps
from tests.conftest import make_config, stored_failures
from tests.test_widgets import GOOD_PW, errors, field, press, results

ANSWER = "4821"


@pytest.fixture(autouse=True)
def known_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every picture shows ANSWER, so that a test can solve it."""
    new = _core.new_captcha
    monkeypatch.setattr(_core, "new_captcha", lambda: new(ANSWER))
    apps.CALLS.clear()
    apps.CREDENTIALS.clear()


def widgets(config_path: Path, method: str, **kwargs: Any) -> AppTest:
    at = AppTest.from_function(
        apps.widgets_app,
        args=(str(config_path), {}, [(method, {"captcha": True, **kwargs})]),
        default_timeout=30,
    )
    return at.run()


def picture(at: AppTest, form_key: str) -> tuple[bytes, str]:
    """The picture a form shows and its id, as session_state keeps them."""
    value: tuple[bytes, str] = at.session_state[f"_authgate_captcha_{form_key}-captcha"]
    return value


def show_again(at: AppTest, form_key: str, shown: tuple[bytes, str]) -> None:
    """A replay: the form's state holds a picture that was answered before."""
    at.session_state[f"_authgate_captcha_{form_key}-captcha"] = shown


# ---- login ------------------------------------------------------------------------


def test_login_checks_the_captcha_before_the_password(config_path: Path) -> None:
    at = AppTest.from_function(
        apps.login_app, args=(str(config_path), {}, {"captcha": True}, {}), default_timeout=30
    ).run()

    def attempt(username: str, password: str, captcha: str) -> AppTest:
        field(at, "Username").input(username)
        field(at, "Password").input(password)
        field(at, "Captcha").input(captcha)
        return press(at, "Login")

    # A wrong password behind a wrong or blank captcha: only the captcha is
    # refused, and the password was never checked (no failure counted).
    at = attempt("jsmith", "wrong", "1111")
    assert errors(at) == ["Captcha entered incorrectly"]
    at = attempt("nobody", "wrong", " ")
    assert errors(at) == ["Captcha not entered"]
    assert at.session_state["authentication_status"] is None
    assert stored_failures(config_path, "jsmith") == 0
    # The right answer: the core goes on and refuses the password.
    answered = picture(at, "Login")
    at = attempt("jsmith", "wrong", ANSWER)
    assert at.session_state["authentication_status"] is False
    assert stored_failures(config_path, "jsmith") == 1
    # That picture answered once: replayed with its answer, it is refused
    # even with the right password.
    show_again(at, "Login", answered)
    at = attempt("jsmith", "abc", ANSWER)
    assert "Captcha entered incorrectly" in errors(at)
    assert at.session_state["authentication_status"] is not True
    at = attempt("jsmith", "abc", ANSWER)
    assert at.session_state["authentication_status"] is True


# ---- register_user ----------------------------------------------------------------


def fill(at: AppTest, login_form: bool = True, **values: str) -> AppTest:
    defaults = {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Username": "melsby",
        "Password": GOOD_PW,
        "Repeat password": GOOD_PW,
        "Captcha": ANSWER,
    }
    for label, value in {**defaults, **values}.items():
        # The login form's Username and Password come first.
        nth = 1 if login_form and label in ("Username", "Password") else 0
        field(at, label, nth).input(value)
    return at


def registered(config_path: Path) -> set[str]:
    return set(yaml.safe_load(config_path.read_text())["credentials"]["usernames"])


def test_register_checks_the_captcha_then_the_validator_then_the_core(
    config_path: Path,
) -> None:
    at = widgets(config_path, "register_user")
    invalid = {"First name": "1", "Email": "not an email", "Repeat password": "other"}
    at = press(fill(at, **invalid, Captcha="0000"), "Register")
    assert "RegisterError: Captcha entered incorrectly" in errors(at)
    at = press(fill(at, **invalid, Captcha=""), "Register")
    assert "RegisterError: Captcha not entered" in errors(at)
    # Solved: the Validator answers next, then the core's own checks.
    at = press(fill(at, **invalid), "Register")
    assert "RegisterError: First name is not valid" in errors(at)
    at = press(fill(at, **{"Repeat password": "other"}), "Register")
    assert "RegisterError: Passwords do not match" in errors(at)
    assert "melsby" not in registered(config_path)
    answered = picture(at, "Register user")
    at = press(fill(at), "Register")
    assert "register_user=('melsby@gmail.com', 'melsby', 'Mary Elsby')" in results(at)
    # The picture that registered Mary does not register anyone else.
    show_again(at, "Register user", answered)
    at = press(fill(at, Username="mary2", Email="mary2@gmail.com"), "Register")
    assert "RegisterError: Captcha entered incorrectly" in errors(at)
    assert "mary2" not in registered(config_path)


def test_the_apps_validator_does_not_answer_before_the_captcha(cookie_name: str) -> None:
    apps.CREDENTIALS.update(make_config()["credentials"])
    at = AppTest.from_string(
        f"""
import streamlit as st
import authgate as stauth
from tests.apps import CALLS, CREDENTIALS, DICT_COOKIE_KEY

class Recording(stauth.Validator):
    def validate_name(self, name):
        CALLS.append({{"validate_name": name}})
        return super().validate_name(name)

auth = stauth.Authenticate(CREDENTIALS, {cookie_name!r}, DICT_COOKIE_KEY, validator=Recording())
try:
    st.text(repr(auth.register_user(pre_authorized=None)))
except Exception as e:
    st.error(type(e).__name__ + ": " + str(e))
""",
        default_timeout=30,
    ).run()
    at = press(fill(at, False, **{"First name": "1"}, Captcha="9999"), "Register")
    assert errors(at) == ["RegisterError: Captcha entered incorrectly"]
    assert apps.CALLS == [], "the Validator was not asked"
    at = press(fill(at, False, **{"First name": "1"}), "Register")
    assert errors(at) == ["RegisterError: First name is not valid"]
    assert apps.CALLS == [{"validate_name": "1"}]


# ---- forgot_password and forgot_username ------------------------------------------


@pytest.mark.parametrize(
    ("method", "form_key", "label", "nth", "known", "missing"),
    [
        ("forgot_password", "Forgot password", "Username", 1, "jsmith", "Username not provided"),
        (
            "forgot_username",
            "Forgot username",
            "Email",
            0,
            "jsmith@gmail.com",
            "Email not provided",
        ),
    ],
)
def test_forgot_forms_check_the_captcha_before_the_name(
    config_path: Path, method: str, form_key: str, label: str, nth: int, known: str, missing: str
) -> None:
    at = widgets(config_path, method)

    def submit(name: str, captcha: str) -> AppTest:
        field(at, label, nth).input(name)
        field(at, "Captcha").input(captcha)
        return press(at, "Submit")

    at = submit(" ", "0000")
    assert "ForgotError: Captcha entered incorrectly" in errors(at)
    at = submit("", "")
    assert "ForgotError: Captcha not entered" in errors(at)
    at = submit(" ", ANSWER)
    assert f"ForgotError: {missing}" in errors(at)
    answered = picture(at, form_key)
    at = submit(known, ANSWER)
    assert any(r.startswith(f"{method}=('jsmith'") for r in results(at)), results(at)
    show_again(at, form_key, answered)
    at = submit(known, ANSWER)
    assert "ForgotError: Captcha entered incorrectly" in errors(at)
    assert not any(r.startswith(f"{method}=('jsmith'") for r in results(at))
