"""The README's dict-mode app in headless Chromium while start-up hashing runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import ROOT, Server
from tests.browser.test_login_browser import COOKIE, log_in, wait_for_cookie
from tests.conftest import make_config, write_yaml

pytestmark = pytest.mark.browser
USERS = 200


@pytest.fixture
def many_plaintext_users(tmp_path: Path) -> Path:
    config = make_config(plaintext=True)
    users = config["credentials"]["usernames"]
    for i in range(USERS - len(users)):
        users[f"user{i:03}"] = {
            "email": f"user{i:03}@example.com",
            "first_name": "User",
            "last_name": f"No {i}",
            "password": f"plaintext-{i}",
        }
    return write_yaml(tmp_path / "config.yaml", config)


@pytest.fixture
def readme_server(many_plaintext_users: Path) -> Iterator[Server]:
    server = Server(ROOT / "tests" / "browser" / "readme_dict_app.py", many_plaintext_users)
    yield server
    server.stop()


def saved_users(config: Path) -> dict:
    """The users in the file. The README's save truncates the file before it
    writes it, so a read can land in between: read again."""
    for _ in range(100):
        try:
            return yaml.safe_load(config.read_text())["credentials"]["usernames"]
        except (TypeError, KeyError, yaml.YAMLError):
            time.sleep(0.05)
    raise AssertionError("the app never left a whole config.yaml")


def plaintext_left(config: Path) -> int:
    """Users whose password in the file is not a bcrypt hash (guests have none)."""
    return sum(
        "password" in u and not u["password"].startswith("$2b$")
        for u in saved_users(config).values()
    )


def test_login_during_auto_hash_survives_reloads_after_it(
    readme_server: Server, browser_context: BrowserContext, many_plaintext_users: Path
) -> None:
    page = browser_context.new_page()
    page.goto(readme_server.url)
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Welcome John Smith").first).to_be_visible()
    wait_for_cookie(browser_context, present=True)
    # Hashing 200 passwords at cost 12 takes tens of seconds; the login did
    # not wait for it, and the file still holds plaintext for most users.
    assert plaintext_left(many_plaintext_users)
    assert saved_users(many_plaintext_users)["jsmith"]["password"].startswith("$2b$")
    # Each reload is a new session that logs in from the cookie; the app
    # saves the hashes made so far. Keep reloading until all are in the file.
    deadline = time.monotonic() + 240
    while True:
        page.reload()
        expect(page.get_by_text("Welcome John Smith").first).to_be_visible()
        users = saved_users(many_plaintext_users)
        if not plaintext_left(many_plaintext_users):
            break
        assert time.monotonic() < deadline, "start-up hashing never reached the file"
        time.sleep(2)
    # After hashing finished: a reload is still logged in, from the same cookie.
    page.reload()
    expect(page.get_by_text("Welcome John Smith").first).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_have_count(0)
    expect(page.get_by_text("Welcome John Smith")).to_have_count(1)
    assert users["jsmith"]["logged_in"] is True
    assert COOKIE in {c["name"] for c in browser_context.cookies()}
