"""The login and logout widgets, driven through AppTest, in path and dict mode."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from streamlit.testing.v1 import AppTest

import authgate as stauth
from authgate import _core
from tests import apps
from tests.conftest import (
    fast_hash,
    make_config,
    pending_cookie_op,
    stored_failures,
    stored_sessions,
    wait_until_hashed,
    write_yaml,
)

KEY = "test-cookie-key-0123456789-abcdefghij"


def start(
    source: str | Path,
    init: dict | None = None,
    login: dict | None = None,
    logout: dict | None = None,
) -> AppTest:
    at = AppTest.from_function(
        apps.login_app,
        args=(str(source), init or {}, login or {}, logout or {}),
        default_timeout=30,
    )
    return at.run()


def submit(at: AppTest, username: str, password: str, *, sidebar: bool = False) -> AppTest:
    area = at.sidebar if sidebar else at
    area.text_input[0].input(username)
    area.text_input[1].input(password)
    area.button[0].click()
    return at.run()


def state(at: AppTest, key: str) -> Any:
    return at.session_state[key] if key in at.session_state else None


def stored(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def user(path: Path, name: str) -> dict[str, Any]:
    return stored(path)["credentials"]["usernames"][name]


@pytest.fixture(autouse=True)
def _reset_shared() -> None:
    apps.CALLS.clear()
    apps.CREDENTIALS.clear()


# ---- path mode ------------------------------------------------------------------


def test_login_ok_sets_session_state_and_the_file(config_path: Path) -> None:
    at = start(config_path)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    at = submit(at, "JSmith ", "abc")
    assert not at.exception
    assert state(at, "authentication_status") is True
    assert state(at, "name") == "John Smith"
    assert state(at, "username") == "jsmith"
    assert state(at, "email") == "jsmith@gmail.com"
    assert state(at, "roles") == ["admin", "editor", "viewer"]
    assert "Welcome John Smith" in [m.value for m in at.markdown]
    assert len(at.text_input) == 0, "the form is gone once logged in"
    sid = state(at, "_authgate_session_id")
    assert stored_sessions(config_path) == {sid: "jsmith"}
    op = pending_cookie_op(at)
    assert op is not None and op["name"] == "authgate_test"
    assert op["max_age"] == 30 * 86400, "the cookie lasts expiry_days"
    claims = jwt.decode(op["value"], KEY, algorithms=["HS256"])
    assert claims["username"] == "jsmith"
    assert claims["exp_date"] > time.time() + 29 * 86400
    assert claims["sid"] == state(at, "_authgate_session_id")
    assert claims["cv"]


def test_no_hint_for_an_anonymous_visitor_by_default(config_path: Path) -> None:
    at = submit(start(config_path), "rbriggs", "wrong")
    assert state(at, "authentication_status") is False
    assert state(at, "password_hint") is None
    assert at.run().text_input[1].help in (None, "")
    # What was typed as the password is nowhere in session_state.
    assert "Login-password" not in at.session_state
    assert "wrong" not in [at.session_state[k] for k in at.session_state]


def test_wrong_password_counts_a_failure_and_shows_the_hint(config_path: Path) -> None:
    at = submit(start(config_path, init={"show_password_hint": True}), "rbriggs", "wrong")
    assert state(at, "authentication_status") is False
    assert "Username/password is incorrect" in [e.value for e in at.error]
    assert state(at, "password_hint") == "the letter after c"
    at = at.run()
    assert at.text_input[1].help == "the letter after c"
    assert stored_failures(config_path, "rbriggs") == 1
    at = submit(at, "rbriggs", "def")
    assert state(at, "authentication_status") is True
    assert state(at, "password_hint") is None
    assert stored_failures(config_path, "rbriggs") == 0


def test_the_hint_is_found_for_the_username_as_typed(config_path: Path) -> None:
    at = submit(start(config_path, init={"show_password_hint": True}), " RBriggs ", "wrong")
    assert state(at, "authentication_status") is False
    assert state(at, "password_hint") == "the letter after c"


def test_the_hint_comes_with_the_refusal_of_a_wrong_password_in_one_call(
    config_path: Path,
) -> None:
    auth = _core.Authenticator(_core.Store.open(config_path), KEY, throttle=False)
    assert not hasattr(auth, "password_hint"), "no second call to ask for it"

    def refusal(username: str, password: str, **kwargs: Any) -> BaseException:
        with pytest.raises(_core.AuthgateError) as refused:
            auth.login_with_totp(username, password, max_login_attempts=2, **kwargs)
        return refused.value

    e = refusal("rbriggs", "wrong")
    assert isinstance(e, _core.InvalidCredentials) and e.hint is None, "not asked for"
    e = refusal(" RBriggs ", "wrong", with_hint=True)
    assert isinstance(e, _core.InvalidCredentials)
    assert e.hint == "the letter after c"
    assert "letter" not in str(e) and "letter" not in repr(e)
    e = refusal("nobody", "wrong", with_hint=True)
    assert isinstance(e, _core.InvalidCredentials) and e.hint is None
    # The second failure locked the account: refused as locked, with no hint.
    e = refusal("rbriggs", "def", with_hint=True)
    assert isinstance(e, _core.AccountLocked) and not hasattr(e, "hint")
    assert _core.InvalidCredentials("raised elsewhere").hint is None


def test_unknown_user_is_refused_and_nothing_is_written(config_path: Path) -> None:
    before = config_path.read_bytes()
    at = submit(start(config_path), "nobody", "abc")
    assert state(at, "authentication_status") is False
    assert config_path.read_bytes() == before


def test_empty_username_does_nothing(config_path: Path) -> None:
    at = submit(start(config_path), "", "abc")
    assert state(at, "authentication_status") is None


def test_lockout_refuses_even_the_right_password_then_ends(config_path: Path) -> None:
    init = {"lockout_cooldown": 1.5}
    at = start(config_path, init=init, login={"max_login_attempts": 2})
    at = submit(at, "jsmith", "bad1")
    at = submit(at, "jsmith", "bad2")
    assert state(at, "authentication_status") is False
    assert stored_failures(config_path, "jsmith") == 2
    at = submit(at, "jsmith", "abc")
    assert "Maximum number of login attempts exceeded" in [e.value for e in at.error]
    assert state(at, "authentication_status") is not True
    time.sleep(1.6)
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True
    assert stored_failures(config_path, "jsmith") == 0


def test_lockout_of_one_user_leaves_others_alone(config_path: Path) -> None:
    at = start(config_path, login={"max_login_attempts": 1})
    at = submit(at, "jsmith", "bad")
    at = submit(at, "jsmith", "abc")
    assert "Maximum number of login attempts exceeded" in [e.value for e in at.error]
    other = submit(start(config_path, login={"max_login_attempts": 1}), "rbriggs", "def")
    assert state(other, "authentication_status") is True


def test_guessing_is_slowed_by_default(config_path: Path) -> None:
    at = start(config_path)
    for i in range(5):
        at = submit(at, "jsmith", f"bad{i}")
        assert state(at, "authentication_status") is False
        assert [e.value for e in at.error] == ["Username/password is incorrect"]
    # The sixth attempt waits a second, even with the right password.
    at = submit(at, "jsmith", "abc")
    assert "Too many login attempts: try again in 1 second" in [e.value for e in at.error]
    assert state(at, "authentication_status") is not True
    time.sleep(1.1)
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True


def test_the_guessing_brake_can_be_turned_off(config_path: Path) -> None:
    at = start(config_path, init={"login_throttle": False})
    for i in range(8):
        at = submit(at, "jsmith", f"bad{i}")
        assert [e.value for e in at.error] == ["Username/password is incorrect"]
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True


def test_logout_clears_state_file_and_cookie(config_path: Path) -> None:
    at = submit(start(config_path), "jsmith", "abc")
    sid = state(at, "_authgate_session_id")
    assert sid in stored_sessions(config_path)
    at.button(key="Logout").click()
    at = at.run()
    assert not at.exception
    for key in ("name", "username", "authentication_status", "email", "roles"):
        assert state(at, key) is None
    assert state(at, "logout") is True
    assert sid not in stored_sessions(config_path)
    op = pending_cookie_op(at)
    assert op is not None and op["value"] is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_logout_without_login_raises(config_path: Path) -> None:
    def app(path: str) -> None:
        import streamlit as st

        import authgate as stauth

        auth = stauth.Authenticate(path)
        try:
            auth.logout()
        except stauth.LogoutError as e:
            st.error(str(e))

    at = AppTest.from_function(app, args=(str(config_path),)).run()
    assert [e.value for e in at.error] == ["User must be logged in to use the logout button"]


def test_sidebar_location(config_path: Path) -> None:
    at = start(config_path, login={"location": "sidebar"}, logout={"location": "sidebar"})
    assert len(at.sidebar.text_input) == 2
    at = submit(at, "jsmith", "abc", sidebar=True)
    assert state(at, "authentication_status") is True
    at.sidebar.button[0].click()
    at = at.run()
    assert state(at, "authentication_status") is None


def test_unrendered_location_returns_the_tuple(config_path: Path) -> None:
    at = start(config_path, login={"location": "unrendered"})
    assert len(at.text_input) == 0
    assert "unrendered=(None, None, None)" in [t.value for t in at.text]


def test_bad_location_raises_value_error(config_path: Path) -> None:
    at = start(config_path, login={"location": 5})
    assert at.exception
    assert "Location must be one of" in at.exception[0].message


def test_0_2_call_with_the_form_name_first(config_path: Path) -> None:
    """``name, authentication_status, username = authenticator.login('Login', 'sidebar')``"""
    at = start(config_path, login={"location": "Sign in", "max_concurrent_users": "sidebar"})
    assert not at.exception
    assert [s.value for s in at.sidebar.subheader] == ["Sign in"]
    assert "unrendered=(None, None, None)" in [t.value for t in at.text]
    at = submit(at, "jsmith", "abc", sidebar=True)
    assert "unrendered=('John Smith', True, 'jsmith')" in [t.value for t in at.text]


def test_custom_fields(config_path: Path) -> None:
    fields = {"Form name": "Sign in", "Username": "User", "Password": "Secret", "Login": "Go"}
    at = start(config_path, login={"fields": fields})
    assert [t.label for t in at.text_input] == ["User", "Secret"]
    assert at.button[0].label == "Go"


def test_callbacks_receive_0_4_2_payloads(config_path: Path) -> None:
    at = start(config_path, login={"record": True}, logout={"record": True})
    at = submit(at, "jsmith", "abc")
    at.button(key="Logout").click()
    at.run()
    expected_user = {
        "username": "jsmith",
        "email": "jsmith@gmail.com",
        "name": "John Smith",
        "roles": ["admin", "editor", "viewer"],
    }
    assert apps.CALLS == [
        {"widget": "Login", **expected_user},
        {"widget": "Logout", **expected_user},
    ]


def test_max_concurrent_users(config_path: Path) -> None:
    first = submit(start(config_path, login={"max_concurrent_users": 1}), "jsmith", "abc")
    assert state(first, "authentication_status") is True
    second = submit(start(config_path, login={"max_concurrent_users": 1}), "rbriggs", "def")
    assert "Maximum number of concurrent users exceeded" in [e.value for e in second.error]


def test_single_session(config_path: Path) -> None:
    submit(start(config_path, login={"single_session": True}), "jsmith", "abc")
    second = submit(start(config_path, login={"single_session": True}), "jsmith", "abc")
    assert "Cannot log in multiple sessions" in [e.value for e in second.error]


def test_auto_hash_hashes_plaintext_in_the_file(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))
    at = start(path)
    users = wait_until_hashed(path)
    assert all(u["password"].startswith("$2b$12$") for u in users.values())
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True


def test_the_form_does_not_wait_for_start_up_hashing(tmp_path: Path) -> None:
    config = make_config(plaintext=True)
    names = [f"user{i:03d}" for i in range(40)]
    for name in names:
        config["credentials"]["usernames"][name] = {
            "email": f"{name}@x.io",
            "password": f"{name}-plaintext-secret",
        }
    path = write_yaml(tmp_path / "config.yaml", config)
    at = start(path)
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    # 40 cost-12 hashes take seconds on 2 cores; the form is up long before.
    still_plain = [
        n
        for n, u in stored(path)["credentials"]["usernames"].items()
        if not u["password"].startswith("$2b$")
    ]
    assert still_plain, "hashing finished before the form rendered"
    at = submit(at, still_plain[-1], f"{still_plain[-1]}-plaintext-secret")
    assert state(at, "authentication_status") is True
    wrong = submit(start(path), still_plain[-1], "wrong")
    assert state(wrong, "authentication_status") is False
    users = wait_until_hashed(path)
    assert len(users) == 42
    assert not any("plaintext-secret" in u["password"] for u in users.values())
    # No plaintext lands anywhere else: not in the audit trail, not in any other file.
    others = [p for p in tmp_path.iterdir() if p != path and p.is_file()]
    assert others, "the audit trail and the lock file are there"
    for other in others:
        assert b"plaintext-secret" not in other.read_bytes(), other


def test_auto_hash_false_leaves_plaintext_and_refuses_it(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))
    at = start(path, init={"auto_hash": False})
    assert stored(path)["credentials"]["usernames"]["jsmith"]["password"] == "abc"
    at = submit(at, "jsmith", "abc")
    assert any("not a valid bcrypt hash" in e.value for e in at.error)


def test_logins_logouts_and_failures_never_rewrite_the_config(config_path: Path) -> None:
    before = config_path.read_bytes()
    at = submit(start(config_path), "jsmith", "wrong")
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True
    at.button(key="Logout").click()
    at = at.run()
    assert state(at, "authentication_status") is None
    assert config_path.read_bytes() == before, "only the state database beside it changed"
    assert stored_sessions(config_path) == {}


# ---- dict mode ------------------------------------------------------------------


def test_dict_mode_changes_the_callers_dict(cookie_name: str) -> None:
    config = make_config(plaintext=True)
    apps.CREDENTIALS.update(config["credentials"])
    init = {"cookie_name": cookie_name, "cookie_key": KEY}
    at = start("dict", init=init)
    users = apps.CREDENTIALS["usernames"]
    assert users["jsmith"]["password"].startswith("$2b$")
    at = submit(at, "jsmith", "wrong")
    assert users["jsmith"]["failed_login_attempts"] == 1
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True
    assert users["jsmith"]["logged_in"] is True
    assert users["jsmith"]["failed_login_attempts"] == 0
    assert users["jsmith"]["roles"] == ["admin", "editor", "viewer"]
    at.button(key="Logout").click()
    at.run()
    assert users["jsmith"]["logged_in"] is False


@pytest.mark.parametrize("written", ["JSmith", " JSmith\t"])
def test_dict_mode_lowercases_usernames_like_0_4_2(cookie_name: str, written: str) -> None:
    """Keys are folded as the core folds a typed name: lower-cased like
    0.4.2, and trimmed (a stray blank names the account a login reaches)."""
    apps.CREDENTIALS.update(
        {"usernames": {written: {"email": "j@x.io", "name": "J", "password": fast_hash("abc")}}}
    )
    at = start("dict", init={"cookie_name": cookie_name})
    assert list(apps.CREDENTIALS["usernames"]) == ["jsmith"]
    at = submit(at, "jsmith", "abc")
    assert state(at, "name") == "J"


def test_dict_mode_session_survives_a_new_dict_each_rerun(cookie_name: str) -> None:
    """README apps reload the config into a fresh dict on every rerun."""
    apps.CREDENTIALS.update(make_config()["credentials"])
    at = submit(start("dict", init={"cookie_name": cookie_name}), "jsmith", "abc")
    fresh = make_config()["credentials"]
    apps.CREDENTIALS.clear()
    apps.CREDENTIALS.update(fresh)
    at = at.run()
    assert state(at, "authentication_status") is True


def test_path_and_dict_cookie_settings(tmp_path: Path) -> None:
    """Path mode reads cookie settings from the file, as 0.4.2 does."""
    path = write_yaml(
        tmp_path / "config.yaml", make_config(cookie_key="from-the-file-a-key-of-32-bytes-or-more")
    )
    at = submit(start(path, init={"cookie_key": "ignored"}), "jsmith", "abc")
    token = pending_cookie_op(at)["value"]
    assert (
        jwt.decode(token, "from-the-file-a-key-of-32-bytes-or-more", algorithms=["HS256"])[
            "username"
        ]
        == "jsmith"
    )


def test_cookie_expiry_zero_sets_no_cookie(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(expiry_days=0))
    at = submit(start(path), "jsmith", "abc")
    assert state(at, "authentication_status") is True
    assert pending_cookie_op(at) is None


def test_reruns_do_not_parse_an_unchanged_file_again(config_path: Path) -> None:
    from authgate import _core

    at = submit(start(config_path), "jsmith", "abc")
    loads = _core.Store.open(str(config_path)).loads
    for _ in range(10):
        at = at.run()
    assert state(at, "authentication_status") is True
    assert _core.Store.open(str(config_path)).loads == loads
    # Another process edits the file: the next rerun sees it.
    text = config_path.read_text().replace("first_name: John", "first_name: Jon")
    config_path.write_text(text)
    at = at.run()
    assert _core.Store.open(str(config_path)).loads == loads + 1
    assert state(at, "name") == "Jon Smith"


def test_a_path_with_a_colon_slash_slash_is_a_config_file_and_keeps_its_lock_timeout(
    tmp_path: Path,
) -> None:
    # Not a URL: "…/dir with :" is no scheme, so the core names a config file.
    folder = tmp_path / "dir with :" / "odd"
    folder.mkdir(parents=True)
    source = f"{tmp_path}/dir with ://odd/config.yaml"
    write_yaml(folder / "config.yaml", make_config(plaintext=True))
    authenticator = stauth.Authenticate(source, auto_hash=False, lock_timeout=0)
    assert authenticator.path == source
    # Another writer holds the lock and lets go later. With lock_timeout=0 a
    # write is refused at once; with the 10 s default it would wait and succeed.
    # (The store is shared per file and process, with the options it was opened with.)
    with open(folder / "config.yaml.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        release = threading.Timer(3.0, fcntl.flock, (held, fcntl.LOCK_UN))
        release.start()
        try:
            with pytest.raises(_core.StoreError, match="waiting for the lock"):
                _core.Store.open(source).hash_plaintext_passwords()
        finally:
            release.cancel()
    assert _core.Store.open(source).plaintext_count() == 2
