"""Shared fixtures: config files, AppTest drivers, injected browser cookies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from tests.pg import PgServer, PgUnavailable

# Low-cost hashes keep the suite fast; cost does not change any rule under test.
_FAST_SALT = bcrypt.gensalt(rounds=4)
PASSWORDS = {"jsmith": "abc", "rbriggs": "def"}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL server for the session (tests/pg.py); missing
    PostgreSQL is a failure, not a skip."""
    try:
        server = PgServer.start(fast=True)
    except PgUnavailable as e:
        pytest.fail(str(e))
    yield server
    server.stop()


def fast_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), _FAST_SALT).decode()


def make_config(
    *,
    cookie_key: str = "test-cookie-key-0123456789-abcdefghij",
    expiry_days: float = 30,
    plaintext=False,
) -> dict[str, Any]:
    def pw(name: str) -> str:
        return PASSWORDS[name] if plaintext else fast_hash(PASSWORDS[name])

    return {
        "cookie": {"expiry_days": expiry_days, "key": cookie_key, "name": "authgate_test"},
        "credentials": {
            "usernames": {
                "jsmith": {
                    "email": "jsmith@gmail.com",
                    "failed_login_attempts": 0,
                    "first_name": "John",
                    "last_name": "Smith",
                    "logged_in": False,
                    "password": pw("jsmith"),
                    "roles": ["admin", "editor", "viewer"],
                },
                "rbriggs": {
                    "email": "rbriggs@gmail.com",
                    "failed_login_attempts": 0,
                    "first_name": "Rebecca",
                    "last_name": "Briggs",
                    "logged_in": False,
                    "password": pw("rbriggs"),
                    "password_hint": "the letter after c",
                    "roles": ["viewer"],
                },
            }
        },
        "pre-authorized": {"emails": ["melsby@gmail.com"]},
    }


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.dump(data, default_flow_style=False, allow_unicode=True))
    return path


def wait_until_hashed(path: Path, timeout: float = 60) -> dict[str, Any]:
    """Waits for background start-up hashing to finish; returns the users."""
    deadline = time.monotonic() + timeout
    while True:
        users = yaml.safe_load(path.read_text())["credentials"]["usernames"]
        if all(str(u.get("password", "")).startswith("$2b$") for u in users.values()):
            return users
        if time.monotonic() > deadline:
            raise AssertionError("start-up hashing did not finish")
        time.sleep(0.05)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "config.yaml", make_config())


@pytest.fixture
def cookie_name() -> str:
    """The cookie name of every dict-mode test: one name for all of them, as
    in a user's own suite, which must not let one test's sessions or
    lockouts reach another."""
    return "some_cookie_name"


@pytest.fixture
def browser_cookies(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Cookies that st.context.cookies reports, as if sent by a browser."""
    jar: dict[str, str] = {}
    context = types.SimpleNamespace(cookies=jar, headers={}, remote_ip="127.0.0.1")
    import streamlit.runtime.context as st_context

    monkeypatch.setattr(st_context, "_get_client_context", lambda: context)
    yield jar


def pending_cookie_op(at: Any) -> dict[str, Any] | None:
    return (
        at.session_state["_authgate_cookie_op"]
        if "_authgate_cookie_op" in at.session_state
        else None
    )


Recorder = Callable[[dict[str, Any]], None]


def _state_rows(config: Path, query: str, *args: str) -> list[list[Any]]:
    """Rows of the state database authgate keeps beside a config file.

    Read in a child process: a second copy of SQLite in this process (Python's
    next to authgate's) would break the POSIX locks of authgate's connections
    when it closes the file.
    """
    db = Path(f"{config}.state.db")
    if not db.exists():
        return []
    return json.loads(_sqlite_child(db, query, *args))


def _sqlite_child(db: Path, query: str, *args: str) -> str:
    script = (
        "import json, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        "rows = conn.execute(sys.argv[2], sys.argv[3:]).fetchall()\n"
        "conn.commit()\n"
        "print(json.dumps(rows))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(db), query, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def stored_sessions(config: Path) -> dict[str, str]:
    """Session id -> username, as stored beside `config`."""
    return dict(_state_rows(config, "SELECT id, username FROM sessions"))


def stored_failures(config: Path, username: str) -> int:
    """The user's counted failed logins, as stored beside `config`."""
    rows = _state_rows(config, "SELECT failures FROM lockouts WHERE username = ?", username)
    return rows[0][0] if rows else 0


def stored_throttles(config: Path) -> dict[str, int]:
    """The guessing brake's counters beside `config`: key -> attempts."""
    return dict(_state_rows(config, "SELECT key, attempts FROM throttles"))


def drop_stored_session(config: Path, session_id: str) -> None:
    """Ends a session the way another replica's logout would."""
    _sqlite_child(Path(f"{config}.state.db"), "DELETE FROM sessions WHERE id = ?", session_id)
