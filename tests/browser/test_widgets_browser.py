"""Register, log in, update details, reload — in headless Chromium against the demo app."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Server
from tests.browser.test_login_browser import log_in, wait_for_cookie

pytestmark = pytest.mark.browser
GOOD_PW = "Str0ng!pass"


def test_register_login_update_reload(
    demo_server: Server, browser_context: BrowserContext, config_path
) -> None:
    page = browser_context.new_page()
    page.goto(demo_server.url)
    page.get_by_role("tab", name="Register").click()
    form = page.get_by_test_id("stForm").filter(has_text="Register user")
    form.get_by_label("First name").fill("Mary")
    form.get_by_label("Last name").fill("Elsby")
    form.get_by_label("Email").fill("melsby@gmail.com")
    form.get_by_label("Username").fill("melsby")
    form.get_by_label("Password", exact=True).fill(GOOD_PW)
    form.get_by_label("Repeat password").fill(GOOD_PW)
    form.get_by_role("button", name="Register").click()
    expect(page.get_by_text("User melsby registered successfully")).to_be_visible()

    log_in(page, "melsby", GOOD_PW)
    expect(page.get_by_text("Welcome Mary Elsby")).to_be_visible()
    wait_for_cookie(browser_context, present=True)

    page.get_by_role("tab", name="Update details").click()
    update = page.get_by_test_id("stForm").filter(has_text="Update user details")
    update.get_by_label("New value").fill("Marie")
    update.get_by_role("button", name="Update").click()
    # The refreshed cookie's acknowledgement reruns the page with the new name.
    expect(page.get_by_text("Welcome Marie Elsby")).to_be_visible()
    stored = yaml.safe_load(config_path.read_text())["credentials"]["usernames"]["melsby"]
    assert stored["first_name"] == "Marie"

    page.reload()
    expect(page.get_by_text("Welcome Marie Elsby")).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_have_count(0)
