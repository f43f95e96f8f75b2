"""password_policy="nist": NIST SP 800-63B's rule instead of 0.4.2's, in the
registration and reset forms (AppTest), with its strength meter."""

from __future__ import annotations

from pathlib import Path

import pytest

import authgate as stauth
from tests.test_widgets import Mode, app, errors, fill_registration, log_in, mode, press, reset

__all__ = ["mode"]


def register(mode: Mode, password: str):
    kwargs = {"captcha": False, **mode.register_kwargs()}
    at = app(mode, [("register_user", kwargs)], init={"password_policy": "nist"})
    return press(
        fill_registration(at, Password=password, **{"Repeat password": password}), "Register"
    )


def test_a_passphrase_registers_and_a_composed_common_password_does_not(mode: Mode) -> None:
    at = register(mode, "Password1!")  # 0.4.2's rule accepts it
    [message] = errors(at)
    assert message.startswith("RegisterError: **Password strength:")
    assert "melsby" not in mode.users()
    at = register(mode, "correct horse battery staple")  # 0.4.2's rule refuses it
    assert not errors(at)
    assert mode.logs_in("melsby", "correct horse battery staple") is True


def test_the_meter_says_why(config_path: Path) -> None:
    strength = stauth.NistValidator().diagnose_password("baseball")
    assert "This is one of the most common passwords" in strength
    assert strength.startswith("**Password strength: 0 of 4.**")
    assert "Use at least 8 characters" in stauth.NistValidator().diagnose_password("x1!")
    assert stauth.NistValidator().validate_password("tofu kayak mildew lantern")


def test_reset_password_follows_the_policy(config_path: Path) -> None:
    at = app(
        config_path, [("reset_password", {"username": "<session>"})], {"password_policy": "nist"}
    )
    at = log_in(at)
    at = reset(at, "abc", "Password1!")  # fine for 0.4.2, too guessable here
    assert any(e.startswith("ResetError: **Password strength:") for e in errors(at))
    at = reset(at, "abc", "lantern mildew kayak tofu")
    assert "reset_password=True" in [t.value for t in at.text]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"password_policy": "strong"}, "password_policy must be 'nist' or '0.4.2'"),
        (
            {"password_policy": "nist", "validator": stauth.Validator()},
            "Pass either a validator or a password_policy, not both",
        ),
    ],
)
def test_bad_policies_are_refused(config_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(stauth.AuthenticateError, match=message):
        stauth.Authenticate(str(config_path), **kwargs)
