"""The whole OpenID Connect redirect dance in headless Chromium.

`streamlit run` serves an app at http://localhost:PORT/ with a guest login
button; the test OpenID provider runs at http://127.0.0.1:OTHER/ (another
site). Clicking the button leaves the app in the same tab, the provider
redirects back with code and state, and the new Streamlit session that page
load opens finishes the login through the browser's binding cookie.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import yaml
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Server
from tests.conftest import make_config, write_yaml
from tests.oidc_provider import OidcProvider

pytestmark = pytest.mark.browser
KEY = make_config()["cookie"]["key"]

APP = """
import os

import streamlit as st

import authgate as stauth

authenticator = stauth.Authenticate(
    os.environ["AUTHGATE_CONFIG"], cookie_mode=os.environ["AUTHGATE_COOKIE_MODE"]
)
try:
    authenticator.login()
except stauth.LoginError as e:
    st.error(str(e))
try:
    authenticator.experimental_guest_login("Log in with Test IdP", provider="test")
except stauth.LoginError as e:
    st.error(str(e))
if st.session_state.get("authentication_status"):
    st.markdown(f"Welcome {st.session_state['name']}")
"""

# HttpOnly mode: the page is served by st.App with authgate's cookie routes.
ENTRY = """
import streamlit as st

import authgate as stauth

app = st.App("guest_app.py", routes=stauth.routes())
"""


@pytest.fixture(params=["script", "httponly"])
def cookie_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def guest_server(tmp_path: Path, cookie_mode: str) -> Iterator[tuple[Server, OidcProvider, Path]]:
    app = tmp_path / "guest_app.py"
    app.write_text(APP)
    if cookie_mode == "httponly":
        app = tmp_path / "entry.py"
        app.write_text(ENTRY)
    config = make_config()
    config_path = write_yaml(tmp_path / "config.yaml", config)
    with OidcProvider() as idp:
        server = Server(app, config_path, AUTHGATE_COOKIE_MODE=cookie_mode)
        try:
            # The app is reached as localhost, the provider as 127.0.0.1: two sites.
            idp.redirect_uri = f"http://localhost:{server.port}/"
            config["oauth2"] = {"test": idp.settings()}
            write_yaml(config_path, config)
            yield server, idp, config_path
        finally:
            server.stop()


def test_guest_login_through_the_provider_and_back(
    guest_server: tuple[Server, OidcProvider, Path],
    browser_context: BrowserContext,
    cookie_mode: str,
) -> None:
    server, idp, config_path = guest_server
    page = browser_context.new_page()
    page.goto(f"http://localhost:{server.port}/")
    button = page.get_by_role("link", name="Log in with Test IdP")
    expect(button).to_be_visible()
    # The binding cookie is written before the button is used.
    deadline = time.monotonic() + 15
    while "authgate_test_oidc" not in {c["name"] for c in browser_context.cookies()}:
        assert time.monotonic() < deadline, browser_context.cookies()
        time.sleep(0.2)

    button.click()
    expect(page.get_by_text("Welcome Ann Lee")).to_be_visible()
    assert page.url.startswith(f"http://localhost:{server.port}/")
    assert "code=" not in page.url and "state=" not in page.url
    assert len(idp.token_requests) == 1

    deadline = time.monotonic() + 15
    while "authgate_test" not in {c["name"] for c in browser_context.cookies()}:
        assert time.monotonic() < deadline, browser_context.cookies()
        time.sleep(0.2)
    cookies = {c["name"]: c for c in browser_context.cookies()}
    token = cookies["authgate_test"]["value"]
    httponly = cookie_mode == "httponly"
    assert cookies["authgate_test"]["httpOnly"] is httponly
    assert cookies["authgate_test_oidc"]["httpOnly"] is httponly
    assert ("authgate_test" in page.evaluate("document.cookie")) is not httponly
    assert jwt.decode(token, KEY, algorithms=["HS256"])["username"] == "ann.lee@example.com"
    users = yaml.safe_load(config_path.read_text())["credentials"]["usernames"]
    assert "password" not in users["ann.lee@example.com"]

    # The cookie logs the guest in again after a reload.
    page.reload()
    expect(page.get_by_text("Welcome Ann Lee")).to_be_visible()


def test_a_callback_url_opened_in_another_browser_is_refused(
    guest_server: tuple[Server, OidcProvider, Path], browser_context: BrowserContext
) -> None:
    server, idp, _ = guest_server
    page = browser_context.new_page()
    page.goto(f"http://localhost:{server.port}/")
    link = page.get_by_role("link", name="Log in with Test IdP")
    expect(link).to_be_visible()
    # Someone else follows this browser's login link and gets the callback URL…
    query = idp.authorize(link.get_attribute("href") or "")
    browser_context.clear_cookies()  # …and opens it in a browser without the binding.
    page.goto(f"http://localhost:{server.port}/?code={query['code']}&state={query['state']}")
    expect(page.get_by_text("was not started in this browser")).to_be_visible()
    expect(page.get_by_text("Welcome")).to_have_count(0)
    assert idp.token_requests == []
