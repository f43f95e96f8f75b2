"""Log in, reload, log out — in headless Chromium against `streamlit run examples/app.py`."""

from __future__ import annotations

import time

import jwt
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser
COOKIE = "authgate_test"
KEY = "test-cookie-key-0123456789-abcdefghij"


def cookie_jar(ctx: BrowserContext) -> dict[str, str]:
    return {c["name"]: c["value"] for c in ctx.cookies() if c["name"] == COOKIE}


def wait_for_cookie(ctx: BrowserContext, present: bool, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (COOKIE in cookie_jar(ctx)) == present:
            return
        time.sleep(0.2)
    raise AssertionError(f"cookie {'never set' if present else 'never deleted'}: {ctx.cookies()}")


def log_in(page: Page, username: str, password: str) -> None:
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Login"))
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Login").click()


def expect_login_form(page: Page) -> None:
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_text("Welcome")).to_have_count(0)


def test_login_reload_logout_reload(demo_server: Server, browser_context: BrowserContext) -> None:
    page = browser_context.new_page()
    page.goto(demo_server.url)
    expect_login_form(page)
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    wait_for_cookie(browser_context, present=True)
    claims = jwt.decode(cookie_jar(browser_context)[COOKIE], KEY, algorithms=["HS256"])
    assert claims["username"] == "jsmith"

    page.reload()
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_have_count(0)

    page.get_by_role("button", name="Logout").click()
    expect_login_form(page)
    wait_for_cookie(browser_context, present=False)
    page.reload()
    expect_login_form(page)


def test_wrong_password_shows_the_error(
    demo_server: Server, browser_context: BrowserContext
) -> None:
    page = browser_context.new_page()
    page.goto(demo_server.url)
    log_in(page, "jsmith", "wrong")
    expect(page.get_by_text("Username/password is incorrect")).to_be_visible()
    assert COOKIE not in cookie_jar(browser_context)


@pytest.mark.parametrize("kind", ["expired", "tampered", "wrong-key", "garbage"])
def test_bad_cookie_shows_the_login_form(
    demo_server: Server, browser_context: BrowserContext, kind: str
) -> None:
    exp = time.time() + (-60 if kind == "expired" else 3600)
    token = jwt.encode(
        {"username": "jsmith", "exp_date": exp},
        "another-key" if kind == "wrong-key" else KEY,
        algorithm="HS256",
    )
    if kind == "tampered":
        head, body, sig = token.split(".")
        token = f"{head}.{body[:-2]}xx.{sig}"
    if kind == "garbage":
        token = "garbage"
    browser_context.add_cookies([{"name": COOKIE, "value": token, "url": demo_server.url}])
    page = browser_context.new_page()
    page.goto(demo_server.url)
    expect_login_form(page)
    wait_for_cookie(browser_context, present=False)


def test_a_0_4_2_cookie_logs_in_and_survives_reload(
    demo_server: Server, browser_context: BrowserContext
) -> None:
    token = jwt.encode({"username": "rbriggs", "exp_date": time.time() + 3600}, KEY, "HS256")
    browser_context.add_cookies([{"name": COOKIE, "value": token, "url": demo_server.url}])
    page = browser_context.new_page()
    page.goto(demo_server.url)
    expect(page.get_by_text("Welcome Rebecca Briggs")).to_be_visible()
    # The legacy cookie is exchanged for an authgate one carrying a session id.
    deadline = time.monotonic() + 15
    while "sid" not in jwt.decode(cookie_jar(browser_context)[COOKIE], KEY, ["HS256"]):
        assert time.monotonic() < deadline, "cookie never upgraded"
        time.sleep(0.2)
    page.reload()
    expect(page.get_by_text("Welcome Rebecca Briggs")).to_be_visible()
