"""The guessing brake in Chromium: a stranger behind the same proxy slows
only the stranger, never the owner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Server
from tests.browser.test_login_browser import log_in
from tests.conftest import stored_throttles

pytestmark = pytest.mark.browser
APP = Path(__file__).with_name("proxy_app.py")


@pytest.fixture
def proxy_server(config_path: Path) -> Iterator[Server]:
    server = Server(APP, config_path)
    yield server
    server.stop()


def visit_from(ctx: BrowserContext, server: Server, address: str) -> Page:
    # What a reverse proxy adds to every request, the WebSocket's included.
    ctx.set_extra_http_headers({"X-Real-IP": address})
    page = ctx.new_page()
    page.goto(server.url)
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    return page


def test_a_strangers_guesses_slow_the_stranger_not_the_owner(
    proxy_server: Server, browser_context: BrowserContext, config_path: Path
) -> None:
    stranger = visit_from(browser_context, proxy_server, "198.51.100.7")
    for i in range(5):
        log_in(stranger, "jsmith", f"guess{i}")
        expect(stranger.get_by_text("Username/password is incorrect")).to_be_visible()
    log_in(stranger, "jsmith", "abc")
    expect(stranger.get_by_text("Too many login attempts: try again in")).to_be_visible()
    expect(stranger.get_by_text("Welcome")).to_have_count(0)
    stranger.close()
    # Counted under the address the proxy gave, not the proxy's own.
    counters = stored_throttles(config_path)
    assert counters["ca:198.51.100.7|jsmith"] == 5
    assert counters["c:198.51.100.7"] == 5
    assert counters["a:jsmith"] == 5

    owner = visit_from(browser_context, proxy_server, "203.0.113.5")
    log_in(owner, "jsmith", "abc")
    expect(owner.get_by_text("Welcome John Smith")).to_be_visible()
    counters = stored_throttles(config_path)
    # The owner's success gave its attempt back and left the stranger's.
    assert "ca:203.0.113.5|jsmith" not in counters
    assert counters["ca:198.51.100.7|jsmith"] == 5
    assert counters["a:jsmith"] == 5
