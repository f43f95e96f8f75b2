"""HttpOnly cookie mode in headless Chromium, against `streamlit run
examples/httponly/app.py` (an st.App entry with authgate.routes())."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any

import jwt
import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, Server
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


# ---- https: __Host- and Secure --------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid for a day, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_server(config_path: Path, tmp_path: Path) -> Any:
    server = Server(
        ROOT / "examples" / "httponly" / "app.py", config_path, tls=self_signed(tmp_path)
    )
    yield server
    server.stop()


@pytest.fixture
def https_context(tmp_path: Path) -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            ignore_https_errors=True,  # the test certificate
        )
        ctx.set_default_timeout(20_000)
        yield ctx
        ctx.close()


HOST_COOKIE = f"__Host-{COOKIE}"


def wait_for_host_cookie(page: Page, ctx: BrowserContext, present: bool) -> None:
    for _ in range(150):
        if any(c["name"] == HOST_COOKIE for c in ctx.cookies()) == present:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{HOST_COOKIE} {'never set' if present else 'never deleted'}")


def test_https_uses_a_host_prefixed_secure_cookie_and_ignores_a_planted_one(
    https_server: Server, https_context: BrowserContext
) -> None:
    page = https_context.new_page()
    page.goto(https_server.url)
    expect_login_form(page)
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    wait_for_host_cookie(page, https_context, present=True)
    [cookie] = [c for c in https_context.cookies() if c["name"] == HOST_COOKIE]
    assert cookie["httpOnly"] is True and cookie["secure"] is True
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert COOKIE not in cookie_jar(https_context), "no unprefixed cookie"
    assert COOKIE not in page.evaluate("document.cookie")

    page.reload()
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_have_count(0)

    # The same live token in a plain cookie (as a sibling subdomain could
    # plant one) is not read on https.
    https_context.clear_cookies(name=HOST_COOKIE)
    https_context.add_cookies(
        [{"name": COOKIE, "value": cookie["value"], "url": https_server.url, "secure": True}]
    )
    assert cookie_jar(https_context) == {COOKIE: cookie["value"]}
    page.reload()
    expect_login_form(page)

    # Logging in again sets __Host- and takes the plain cookie out.
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    wait_for_host_cookie(page, https_context, present=True)
    assert COOKIE not in cookie_jar(https_context)

    page.get_by_role("button", name="Logout").click()
    expect_login_form(page)
    wait_for_host_cookie(page, https_context, present=False)
    page.reload()
    expect_login_form(page)
