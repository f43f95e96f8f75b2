"""HttpOnly cookie mode in headless Chromium, against `streamlit run
examples/httponly/app.py` (an st.App entry with authgate.routes())."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.browser.conftest import ROOT, Server
from tests.browser.test_login_browser import (
    COOKIE,
    KEY,
    cookie_jar,
    expect_login_form,
    log_in,
    wait_for_cookie,
)

pytestmark = pytest.mark.browser

_POST = """async ([url, nonce]) => {
  const r = await fetch(url, {
    method: "POST", credentials: "same-origin", headers: { "X-Authgate-Nonce": nonce },
  });
  return r.status;
}"""


@pytest.fixture
def httponly_server(config_path: Path) -> Any:
    server = Server(ROOT / "examples" / "httponly" / "app.py", config_path)
    yield server
    server.stop()


def the_cookie(ctx: BrowserContext) -> dict[str, Any]:
    [cookie] = [c for c in ctx.cookies() if c["name"] == COOKIE]
    return cookie


def posted(page: Page, posts: list[Response], action: str) -> list[Response]:
    """The responses of the route, waiting for the first one: the browser may
    apply its Set-Cookie before Playwright reports the response."""
    for _ in range(100):
        done = [r for r in posts if r.url.endswith(f"/_authgate/cookie/{action}")]
        if done:
            return done
        page.wait_for_timeout(100)  # lets Playwright deliver its events
    raise AssertionError(f"no POST to the {action} route")


def test_httponly_login_reload_logout_and_replay(
    httponly_server: Server, browser_context: BrowserContext, tmp_path: Path
) -> None:
    page = browser_context.new_page()
    posts: list[Response] = []
    page.on("response", lambda r: posts.append(r) if "/_authgate/cookie/" in r.url else None)
    page.goto(httponly_server.url)
    expect_login_form(page)

    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    wait_for_cookie(browser_context, present=True)
    cookie = the_cookie(browser_context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert cookie["secure"] is False, "plain http: no Secure, no __Host- prefix"
    assert jwt.decode(cookie["value"], KEY, algorithms=["HS256"])["username"] == "jsmith"
    assert COOKIE not in page.evaluate("document.cookie")
    assert cookie["value"] not in page.content()
    [set_post] = posted(page, posts, "set")
    assert set_post.status == 200 and set_post.request.method == "POST"
    page.screenshot(path=str(tmp_path / "httponly-logged-in.png"), full_page=True)

    page.reload()
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_have_count(0)
    assert len(posted(page, posts, "set")) == 1, "not rewritten"

    page.get_by_role("button", name="Logout").click()
    expect_login_form(page)
    wait_for_cookie(browser_context, present=False)
    [clear_post] = posted(page, posts, "clear")
    assert clear_post.status == 200
    page.reload()
    expect_login_form(page)

    # The login's nonce, replayed after logout, gets 400 and brings nothing back.
    nonce = set_post.request.headers["x-authgate-nonce"]
    assert page.evaluate(_POST, [set_post.url, nonce]) == 400
    assert COOKIE not in cookie_jar(browser_context)
    assert page.evaluate(_POST, [set_post.url, "made-up"]) == 400
    page.reload()
    expect_login_form(page)
