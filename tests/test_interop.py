"""Interop with streamlit-authenticator 0.4.2: hashes, cookies and config files, both ways."""

from __future__ import annotations

import time
from pathlib import Path

import bcrypt
import jwt
import streamlit_authenticator as sa
import yaml
from streamlit.testing.v1 import AppTest

from authgate import _core
from tests.conftest import make_config, pending_cookie_op, wait_until_hashed, write_yaml
from tests.test_login import KEY, start, state, submit


def sa_login_app(path: str, username: str, password: str) -> None:
    """streamlit-authenticator 0.4.2 logging in on a config file, without its form."""
    import streamlit as st
    import streamlit_authenticator as sa

    auth = sa.Authenticate(path, auto_hash=False)
    ok = auth.authentication_controller.login(username, password)
    st.text(f"sa_login={ok}")


def sa_login(path: Path, username: str, password: str) -> str:
    at = AppTest.from_function(sa_login_app, args=(str(path), username, password)).run()
    assert not at.exception, at.exception
    return at.text[0].value


def test_a_0_4_2_hash_logs_in(tmp_path: Path) -> None:
    config = make_config()
    config["credentials"]["usernames"]["jsmith"]["password"] = sa.Hasher.hash("abc")
    path = write_yaml(tmp_path / "config.yaml", config)
    at = submit(start(path), "jsmith", "abc")
    assert state(at, "authentication_status") is True


def test_authgate_hashes_verify_in_python_bcrypt_and_0_4_2() -> None:
    hashed = _core.hash_password("pässwörd")
    assert hashed.startswith("$2b$12$")
    assert bcrypt.checkpw("pässwörd".encode(), hashed.encode())
    assert sa.Hasher.check_pw("pässwörd", hashed)
    assert not sa.Hasher.check_pw("password", hashed)
    assert sa.Hasher.is_hash(hashed)


def test_is_hash_agrees_with_0_4_2() -> None:
    samples = [
        sa.Hasher.hash("x"),
        "$2a$10$" + "a" * 53,
        "$2y$04$" + "b" * 53,
        "$2x$12$" + "c" * 53,
        "$2b$12$" + "d" * 52,
        "abc",
        "",
    ]
    for s in samples:
        assert _core.is_hash(s) == sa.Hasher.is_hash(s), s


def test_a_0_4_2_cookie_logs_in(config_path: Path, browser_cookies) -> None:
    # CookieModel._token_encode in 0.4.2: jwt.encode({'username', 'exp_date'}, key, 'HS256').
    browser_cookies["authgate_test"] = jwt.encode(
        {"username": "rbriggs", "exp_date": time.time() + 3600}, KEY, algorithm="HS256"
    )
    at = start(config_path)
    assert state(at, "authentication_status") is True
    assert state(at, "username") == "rbriggs"


def test_authgate_cookie_reads_in_0_4_2(config_path: Path) -> None:
    at = submit(start(config_path), "jsmith", "abc")
    token = pending_cookie_op(at)["value"]
    # CookieModel._token_decode and get_cookie's check in 0.4.2:
    decoded = jwt.decode(token, KEY, algorithms=["HS256"])
    assert "username" in decoded and decoded["exp_date"] > time.time()


def test_a_config_written_by_authgate_loads_in_0_4_2(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))
    at = start(path, login={"max_login_attempts": 5})
    wait_until_hashed(path)
    at = submit(at, "rbriggs", "wrong")
    at = submit(at, "jsmith", "abc")
    assert state(at, "authentication_status") is True
    text = path.read_text()
    assert "$2b$" in text, "authgate wrote the hashes"
    assert "\nauthgate:" not in text, "and nothing of its own"
    assert sa_login(path, "jsmith", "abc") == "sa_login=True"
    assert sa_login(path, "rbriggs", "nope") == "sa_login=False"


def test_authgate_writes_the_file_as_pyyaml_does(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))
    at = submit(start(path), "jsmith", "abc")
    assert state(at, "authentication_status") is True
    wait_until_hashed(path)
    text = path.read_text()
    assert text == yaml.dump(yaml.safe_load(text), default_flow_style=False, allow_unicode=True)


def test_unknown_keys_survive_a_write(tmp_path: Path) -> None:
    config = make_config()
    config["my_app"] = {"theme": "dark", "limits": [1, 2.5, None, True]}
    config["credentials"]["usernames"]["jsmith"]["department"] = "R&D"
    path = write_yaml(tmp_path / "config.yaml", config)
    submit(start(path), "jsmith", "abc")
    data = yaml.safe_load(path.read_text())
    assert data["my_app"] == config["my_app"]
    assert data["credentials"]["usernames"]["jsmith"]["department"] == "R&D"
    assert data["pre-authorized"] == {"emails": ["melsby@gmail.com"]}


def test_a_config_written_by_0_4_2_loads_in_authgate(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))

    def sa_app(p: str) -> None:
        import streamlit_authenticator as sa

        auth = sa.Authenticate(p)  # auto-hashes in memory
        auth.authentication_controller.login("jsmith", "abc")  # writes the file

    at = AppTest.from_function(sa_app, args=(str(path),)).run()
    assert not at.exception
    assert yaml.safe_load(path.read_text())["credentials"]["usernames"]["jsmith"]["logged_in"]
    at = submit(start(path), "jsmith", "abc")
    assert state(at, "authentication_status") is True


def test_validator_rules_match_0_4_2() -> None:
    import authgate

    ours, theirs = authgate.Validator(), sa.Validator()
    samples = [
        "Abcdef1!", "abc", "jsmith", "j@x.io", "John Smith", "Zoë-Ann", "O'Neil", "",
        "x" * 30, "Aa1!" * 5 + "Z", "ABCDEFGH1!", "name@domain", "a_b-c", "über",
        "Abcdef\u0661!", "Abcdef\u00b9!", "Abcdef1! x", "Zz9<>xyzq", "Äbcdef1!x", "aaaaaaa1!",
    ]  # fmt: skip
    methods = [
        "validate_email", "validate_name", "validate_password",
        "validate_username", "diagnose_password", "validate_length",
    ]  # fmt: skip
    for sample in samples:
        for method in methods:
            assert getattr(ours, method)(sample) == getattr(theirs, method)(sample), (
                method,
                sample,
            )


def test_identity_rules_are_0_4_2s_but_refuse_a_final_newline() -> None:
    import authgate

    ours, theirs = authgate.Validator(), sa.Validator()
    samples = [
        "a" * 20, "a" * 21, "first.last+tag@sub.example.org", "zoë@example.com", "a@b.c",
        "a@b..co", "Al", "A", "王小明", "Ἀλέξανδρος", "O'Neil", "O’Neil", "×÷", "a" * 100,
        "a" * 101, "jsmith@gmail.com", "R2D2",
    ]  # fmt: skip
    methods = ["validate_email", "validate_name", "validate_username", "validate_length"]
    for sample in samples:
        for method in methods:
            assert getattr(ours, method)(sample) == getattr(theirs, method)(sample), (
                method,
                sample,
            )
            # Python's `$` matched before a final newline; the core's rules do not.
            if getattr(theirs, method)(sample):
                assert getattr(theirs, method)(sample + "\n")
                assert not getattr(ours, method)(sample + "\n"), (method, sample)
