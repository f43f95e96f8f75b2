"""Secure by default: no cookie is ever signed with a key anyone knows
(issue #11 item 1). The review forged `{username: admin, exp_date: 1e12}`
with streamlit-authenticator's default key `some_key` and logged in."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import jwt
import pytest
import yaml
from streamlit.testing.v1 import AppTest

import authgate as stauth
from authgate import _core
from tests.conftest import make_config, write_yaml

KNOWN = ["some_key", "some_signature_key", "random_signature_key", "abcdef", "key", ""]

APP = """
import streamlit as st
import authgate as stauth
auth = stauth.Authenticate({source!r})
auth.login()
st.write(f"status={{st.session_state['authentication_status']}}")
"""


def keyless_config(tmp_path: Path) -> Path:
    config = make_config()
    del config["cookie"]["key"]
    return write_yaml(tmp_path / "config.yaml", config)


def forged(key: str, username: str = "jsmith") -> str:
    return jwt.encode({"username": username, "exp_date": time.time() + 3600}, key, "HS256")


@pytest.mark.parametrize("key", [*KNOWN, "too-short-0123456789"])
def test_a_weak_key_is_refused_in_dict_mode(key: str) -> None:
    with pytest.raises(stauth.AuthenticateError) as refused:
        stauth.Authenticate(make_config()["credentials"], "c", key)
    message = str(refused.value)
    assert "secrets.token_urlsafe(32)" in message
    if len(key) >= 5:
        assert key not in message, "the key is never in a message"


def test_the_default_key_is_refused_in_dict_mode() -> None:
    with pytest.raises(stauth.AuthenticateError, match="well-known"):
        stauth.Authenticate(make_config()["credentials"])


@pytest.mark.parametrize("key", ["some_key", "some_signature_key", "short"])
def test_a_weak_key_in_the_config_file_is_refused(tmp_path: Path, key: str) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(cookie_key=key))
    with pytest.raises(stauth.AuthenticateError, match="cookie key"):
        stauth.Authenticate(str(path))


def test_insecure_dev_key_is_explicit_and_warns() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stauth.Authenticate(make_config()["credentials"], "c", "some_key", insecure_dev_key=True)
    assert any("insecure_dev_key" in str(w.message) for w in caught)
    with pytest.raises(stauth.AuthenticateError):
        # Only the literal True opts in.
        stauth.Authenticate(make_config()["credentials"], "c", "some_key", insecure_dev_key="yes")


def test_a_config_without_a_key_gets_one_generated_and_kept(tmp_path: Path) -> None:
    path = keyless_config(tmp_path)
    store = _core.Store.open(path)
    key = store.generated_cookie_key()
    assert _core.cookie_key_weakness(key) is None
    assert store.generated_cookie_key() == key, "generated once"
    assert _core.Store.open(path).generated_cookie_key() == key
    # Kept beside the file, never written into the YAML (often committed).
    assert "cookie_key" not in path.read_text() and key not in path.read_text()
    assert "key" not in yaml.safe_load(path.read_text())["cookie"]


def test_a_new_sqlite_store_generates_its_key(tmp_path: Path) -> None:
    store = _core.Store.open_url(f"sqlite://{tmp_path / 'fresh.db'}")
    assert store.settings()["cookie_key"] is None
    key = store.generated_cookie_key()
    assert _core.cookie_key_weakness(key) is None
    assert _core.Store.open_url(f"sqlite://{tmp_path / 'fresh.db'}").settings()["cookie_key"] == key


@pytest.mark.parametrize("store", ["config.yaml", "sqlite"])
def test_a_cookie_forged_with_the_default_key_logs_no_one_in(
    tmp_path: Path, browser_cookies: dict[str, str], store: str
) -> None:
    """The review's attack, on a store that names no key."""
    path = keyless_config(tmp_path)
    source = str(path)
    if store == "sqlite":
        source = f"sqlite://{tmp_path / 'auth.db'}"
        config = yaml.safe_load(path.read_text())
        _core.Store.import_config(source, yaml.dump(config))
    cookie_name = make_config()["cookie"]["name"]
    for key in KNOWN[:-1]:
        browser_cookies[cookie_name] = forged(key)
        at = AppTest.from_string(APP.format(source=source), default_timeout=30).run()
        assert not at.exception, [e.message for e in at.exception]
        assert "status=None" in [m.value for m in at.markdown], key
    # The key the store generated does sign a cookie that works: the test
    # can fail.
    real = _core.Store.open_url(source).generated_cookie_key()
    browser_cookies[cookie_name] = forged(real)
    at = AppTest.from_string(APP.format(source=source), default_timeout=30).run()
    assert "status=True" in [m.value for m in at.markdown]
