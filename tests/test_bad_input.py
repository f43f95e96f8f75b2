"""Bad input gives a clear, documented exception and never changes a stored file."""

from __future__ import annotations

from pathlib import Path

import pytest

import authgate as stauth
from authgate import _core
from tests.apps import DICT_COOKIE_KEY
from tests.conftest import fast_hash, make_config, write_yaml


def build(credentials, **kwargs) -> stauth.Authenticate:
    if isinstance(credentials, dict):
        kwargs.setdefault("cookie_key", DICT_COOKIE_KEY)
    return stauth.Authenticate(credentials, **kwargs)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(stauth.AuthenticateError, match="config file not found"):
        build(str(tmp_path / "nope.yaml"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("credentials:\n  usernames:\n    jsmith: a: b\n", "line 3"),
        ("credentials:\n  usernames:\n    jsmith: {email: [unclosed\n", "YAML syntax error"),
        ("credentials: [1, 2]\n", "'credentials' must be a mapping"),
        ("cookie: {}\n", "'credentials' is missing"),
        ("", "the config is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("credentials:\n  usernames:\n    123:\n      password: x\n", "usernames must be strings"),
        ("credentials:\n  usernames:\n    bob: 5\n", "user 'bob' must be a mapping"),
        (
            "credentials:\n  usernames:\n    bob:\n      password: [a]\n",
            "'password' must be a string",
        ),
        (
            "credentials:\n  usernames:\n    bob:\n      failed_login_attempts: many\n",
            "'failed_login_attempts' must be an integer",
        ),
        ("authgate: 3\ncredentials:\n  usernames: {}\n", "'authgate'"),
    ],
)
def test_malformed_config_is_refused_and_left_alone(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(stauth.AuthenticateError, match=message):
        build(str(path))
    assert path.read_text() == text


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"credentials:\n  usernames: {\xff: 1}\n")
    with pytest.raises(stauth.AuthenticateError, match="UTF-8"):
        build(str(path))


def test_unreadable_config(tmp_path: Path) -> None:
    # chmod cannot stop root (CI runs as root); a directory cannot be read by anyone.
    path = tmp_path / "config.yaml"
    path.mkdir()
    with pytest.raises(stauth.AuthenticateError, match=r"config\.yaml"):
        build(str(path))


def test_credentials_of_the_wrong_type() -> None:
    with pytest.raises(stauth.AuthenticateError, match="must be a dict or the path"):
        build(42)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cookie_key": 123}, "cookie_key must be a str"),
        ({"cookie_key": None}, "cookie_key must be a str"),
        ({"cookie_name": ["x"]}, "cookie_name must be a str"),
        ({"cookie_expiry_days": "30"}, "cookie_expiry_days must be a number"),
        ({"cookie_expiry_days": -1}, "cookie_expiry_days must be a non-negative number"),
    ],
)
def test_cookie_settings_of_the_wrong_type(kwargs, message, cookie_name: str) -> None:
    kwargs.setdefault("cookie_name", cookie_name)
    with pytest.raises(stauth.AuthenticateError, match=message):
        build(make_config()["credentials"], **kwargs)


def test_dict_with_unsupported_values(cookie_name: str) -> None:
    creds = {"usernames": {"bob": {"password": fast_hash("x"), "extra": object()}}}
    with pytest.raises(stauth.AuthenticateError, match="found object"):
        build(creds, cookie_name=cookie_name)


def test_plaintext_over_72_bytes_is_refused_by_auto_hash(tmp_path: Path) -> None:
    config = make_config(plaintext=True)
    config["credentials"]["usernames"]["rbriggs"]["password"] = "x" * 73
    path = write_yaml(tmp_path / "config.yaml", config)
    before = path.read_bytes()
    with pytest.raises(stauth.AuthenticateError, match="rbriggs: longer than 72 bytes"):
        build(str(path))
    assert path.read_bytes() == before, "refused before anything is hashed"


def test_plaintext_over_72_bytes_in_dict_mode(cookie_name: str) -> None:
    creds = make_config(plaintext=True)["credentials"]
    creds["usernames"]["rbriggs"]["password"] = "x" * 73
    with pytest.raises(stauth.AuthenticateError, match="rbriggs: longer than 72 bytes"):
        build(creds, cookie_name=cookie_name)
    assert creds["usernames"]["jsmith"]["password"].startswith("$2b$"), "the others are hashed"
    assert creds["usernames"]["rbriggs"]["password"] == "x" * 73


def test_hasher_refuses_over_72_bytes() -> None:
    with pytest.raises(_core.PasswordTooLong):
        stauth.Hasher.hash("é" * 37)
    assert stauth.Hasher.hash("é" * 36).startswith("$2b$12$")


def test_validator_as_dict_is_a_deprecation_error(cookie_name: str) -> None:
    with pytest.raises(stauth.DeprecationError):
        build(make_config()["credentials"], cookie_name=cookie_name, validator={"emails": []})


def test_exceptions_importable_from_both_places() -> None:
    import authgate.utilities as utilities

    for name in (
        "AuthenticateError",
        "CloudError",
        "CredentialsError",
        "DeprecationError",
        "ForgotError",
        "LoginError",
        "LogoutError",
        "RegisterError",
        "ResetError",
        "UpdateError",
    ):
        assert getattr(stauth, name) is getattr(utilities, name)
    assert str(stauth.CredentialsError("password")) == "Password is incorrect"


def test_a_bcrypt_cost_out_of_range_is_refused_with_the_range() -> None:
    store = _core.Store.in_memory({"usernames": {}})
    for cost in (3, 32):
        with pytest.raises(ValueError, match="between 4 and 31"):
            _core.Authenticator(store, DICT_COOKIE_KEY, hash_cost=cost)
    _core.Authenticator(store, DICT_COOKIE_KEY, hash_cost=4)
