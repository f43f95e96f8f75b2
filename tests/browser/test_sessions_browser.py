"""sessions(): two browsers logged in as one user, each named by its
User-Agent; one logs the other out (headless Chromium, the demo app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server
from tests.browser.test_login_browser import expect_login_form, log_in
from tests.browser.test_reset_link_browser import shot

pytestmark = pytest.mark.browser

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def two_browsers(tmp_path: Path) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    """A desktop Chromium and one that says it is Safari on an iPhone."""
    with sync_playwright() as p:
        contexts = [
            p.chromium.launch_persistent_context(
                str(tmp_path / name),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                **({"user_agent": PHONE} if name == "phone" else {}),
            )
            for name in ("laptop", "phone")
        ]
        for ctx in contexts:
            ctx.set_default_timeout(20_000)
        yield contexts[0], contexts[1]
        for ctx in contexts:
            ctx.close()


def open_sessions_tab(page: Page) -> None:
    page.get_by_role("tab", name="Sessions").click()
    expect(page.get_by_text("Your sessions")).to_be_visible()


def test_log_out_other_devices(
    demo_server: Server, two_browsers: tuple[BrowserContext, BrowserContext]
) -> None:
    laptop_ctx, phone_ctx = two_browsers
    phone = phone_ctx.new_page()
    phone.goto(demo_server.url)
    log_in(phone, "jsmith", "abc")
    expect(phone.get_by_text("Welcome John Smith")).to_be_visible()

    laptop = laptop_ctx.new_page()
    laptop.goto(demo_server.url)
    log_in(laptop, "jsmith", "abc")
    expect(laptop.get_by_text("Welcome John Smith")).to_be_visible()
    open_sessions_tab(laptop)
    table = laptop.get_by_test_id("stDataFrame")
    expect(table).to_contain_text("Headless Chrome")
    expect(table).to_contain_text("(this one)")
    expect(table).to_contain_text("Safari 17 on iOS")
    shot(laptop, "sessions-two-browsers")

    laptop.get_by_role("button", name="Log out other devices").click()
    expect(laptop.get_by_text("Every other browser was logged out.")).to_be_visible()
    expect(laptop.get_by_text("No other browser is logged in as you.")).to_be_visible()
    expect(table).not_to_contain_text("Safari 17 on iOS")
    shot(laptop, "sessions-others-ended")

    # The phone's cookie no longer opens a session, at its next load.
    phone.reload()
    expect_login_form(phone)
    # The laptop is still in.
    laptop.reload()
    expect(laptop.get_by_text("Welcome John Smith")).to_be_visible()
