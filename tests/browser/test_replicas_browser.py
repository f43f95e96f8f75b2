"""Two Streamlit servers (two replicas of the demo app) on one PostgreSQL store,
driven in headless Chromium: what one replica does, the other sees."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import BrowserContext, Page, expect

from authgate import _core
from tests.browser.conftest import ROOT, Server
from tests.browser.test_login_browser import COOKIE, cookie_jar, log_in, wait_for_cookie
from tests.conftest import make_config

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
GOOD_PW = "Str0ng!pass"


@pytest.fixture
def replicas(pg_server, tmp_path: Path):
    url = pg_server.fresh_database("replicas")
    _core.Store.import_config(url, yaml.dump(make_config()))
    servers = [
        Server(ROOT / "examples" / "app.py", url, AUTHGATE_DEMO_CAPTCHA="0") for _ in range(2)
    ]
    yield servers
    for server in servers:
        server.stop()


def register(page: Page, username: str, email: str) -> None:
    page.get_by_role("tab", name="Register").click()
    form = page.get_by_test_id("stForm").filter(has_text="Register user")
    form.get_by_label("First name").fill("Mary")
    form.get_by_label("Last name").fill("Elsby")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password", exact=True).fill(GOOD_PW)
    form.get_by_label("Repeat password").fill(GOOD_PW)
    form.get_by_role("button", name="Register").click()
    expect(page.get_by_text(f"User {username} registered successfully")).to_be_visible()


def test_registered_on_one_logs_in_on_the_other(replicas, browser_context: BrowserContext) -> None:
    a, b = replicas
    page_a = browser_context.new_page()
    page_a.goto(a.url)
    register(page_a, "melsby", "melsby@gmail.com")
    page_b = browser_context.new_page()
    page_b.goto(b.url)
    log_in(page_b, "melsby", GOOD_PW)
    expect(page_b.get_by_text("Welcome Mary Elsby")).to_be_visible()


def test_failed_attempts_on_both_add_up_to_one_lockout(
    replicas, browser_context: BrowserContext
) -> None:
    a, b = replicas
    pages = []
    for server in (a, b):
        page = browser_context.new_page()
        page.goto(server.url)
        pages.append(page)
    # The demo locks after 5 failures: 3 on one replica and 2 on the other.
    for page in (pages[0], pages[0], pages[0], pages[1], pages[1]):
        log_in(page, "jsmith", "wrong")
        expect(page.get_by_text("Username/password is incorrect")).to_be_visible()
        time.sleep(0.3)  # let this run finish before the next submit
    for page in pages:
        log_in(page, "jsmith", "abc")
        expect(page.get_by_text("Maximum number of login attempts exceeded")).to_be_visible()


def test_a_cookie_from_one_works_on_the_other_and_logout_revokes_it_on_both(
    replicas, browser_context: BrowserContext
) -> None:
    a, b = replicas
    page_a = browser_context.new_page()
    page_a.goto(a.url)
    log_in(page_a, "jsmith", "abc")
    expect(page_a.get_by_text("Welcome John Smith")).to_be_visible()
    wait_for_cookie(browser_context, present=True)
    token = cookie_jar(browser_context)[COOKIE]

    # Cookies are per host, not per port: replica B receives A's cookie.
    page_b = browser_context.new_page()
    page_b.goto(b.url)
    expect(page_b.get_by_text("Welcome John Smith")).to_be_visible()

    page_b.get_by_role("button", name="Logout").click()
    expect(page_b.get_by_role("button", name="Login")).to_be_visible()
    wait_for_cookie(browser_context, present=False)

    # Replica A's open page is logged out on its next rerun.
    page_a.get_by_role("tab", name="Update details").click()
    page_a.reload()
    expect(page_a.get_by_role("button", name="Login")).to_be_visible()

    # A copy of the old cookie is refused by both.
    for server in (a, b):
        browser_context.add_cookies([{"name": COOKIE, "value": token, "url": server.url}])
        page = browser_context.new_page()
        page.goto(server.url)
        expect(page.get_by_role("button", name="Login")).to_be_visible()
        expect(page.get_by_text("Welcome")).to_have_count(0)
