"""The multipage example (examples/multipage) in headless Chromium: a deep
link survives the login, a viewer cannot open the admin page by its
address, the menu lists only what the visitor may open, a reload keeps the
page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import ROOT, Server
from tests.browser.test_login_browser import log_in
from tests.browser.test_reset_link_browser import shot

pytestmark = pytest.mark.browser
ADMIN_ONLY = "Only users with the admin role ever run this script."


@pytest.fixture
def multipage(config_path: Path) -> Iterator[Server]:
    server = Server(ROOT / "examples" / "multipage" / "app.py", config_path)
    yield server
    server.stop()


def menu(page: Page) -> list[str]:
    nav = page.get_by_test_id("stSidebarNav")
    return [t.strip() for t in nav.get_by_role("link").all_inner_texts()]


def test_a_deep_link_survives_the_login_and_a_reload(
    multipage: Server, browser_context: BrowserContext
) -> None:
    page = browser_context.new_page()
    page.goto(multipage.url + "admin")
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_text(ADMIN_ONLY)).to_have_count(0)
    shot(page, "multipage-deep-link-login")
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text(ADMIN_ONLY)).to_be_visible()
    assert page.url == multipage.url + "admin"
    assert menu(page) == ["Home", "Reports", "Admin"]
    shot(page, "multipage-admin")
    page.reload()
    expect(page.get_by_text(ADMIN_ONLY)).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_have_count(0)


def test_a_viewer_cannot_open_the_admin_page(
    multipage: Server, browser_context: BrowserContext
) -> None:
    page = browser_context.new_page()
    page.goto(multipage.url)
    expect(page.get_by_text("Anyone can read this page.")).to_be_visible()
    assert menu(page) == ["Home", "Reports"]
    page.goto(multipage.url + "reports")
    log_in(page, "rbriggs", "def")
    expect(page.get_by_text("every logged-in user sees them")).to_be_visible()
    assert menu(page) == ["Home", "Reports"]
    page.goto(multipage.url + "admin")
    expect(page.get_by_text("You do not have access to this page.")).to_be_visible()
    expect(page.get_by_text(ADMIN_ONLY)).to_have_count(0)
    shot(page, "multipage-refused")
