"""Passkeys in headless Chromium with its virtual authenticator (CDP
``WebAuthn.enable`` / ``WebAuthn.addVirtualAuthenticator``: CTAP2, internal
transport, resident keys, user verification): the WebAuthn ceremonies run
for real in the page, through the Custom Components v2 button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Server
from tests.browser.test_reset_link_browser import shot

pytestmark = pytest.mark.browser


@pytest.fixture
def server(config_path: Path) -> Iterator[Server]:
    server = Server(Path(__file__).with_name("passkey_app.py"), config_path)
    yield server
    server.stop()


def site(server: Server) -> str:
    # Passkeys need a domain name: localhost, not 127.0.0.1.
    return f"http://localhost:{server.port}/"


def authenticator(page: Page) -> tuple[Any, str]:
    """A virtual platform authenticator that verifies its user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def log_in(page: Page, username: str, password: str) -> None:
    form = page.get_by_test_id("stForm").filter(has_text="Login")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Login").click()


def enrol(page: Page, password: str) -> None:
    form = page.get_by_test_id("stForm").filter(has_text="Add a passkey")
    expect(form.get_by_role("textbox", name="Name of the passkey")).to_have_value("Laptop")
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Create the passkey").click()
    expect(page.get_by_text("The passkey was added.")).to_be_visible()


def welcome(page: Page, name: str) -> None:
    expect(page.get_by_text(f"Welcome {name}")).to_be_visible()


def test_enrol_sign_in_reload_and_remove(server: Server, browser_context: BrowserContext) -> None:
    page = browser_context.new_page()
    page.goto(site(server))

    # Rebecca's passkey, on an authenticator that then goes away: the
    # login form offers passkeys once anyone has one.
    cdp, rebecca = authenticator(page)
    log_in(page, "rbriggs", "def")
    welcome(page, "Rebecca Briggs")
    enrol(page, "def")
    page.get_by_role("button", name="Logout").click()
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": rebecca})

    # John logs in with his password and adds a passkey.
    cdp, john = authenticator(page)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    log_in(page, "jsmith", "abc")
    welcome(page, "John Smith")
    form = page.get_by_test_id("stForm").filter(has_text="Add a passkey")
    form.get_by_label("Password", exact=True).fill("abc")
    form.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Create the passkey")).to_be_visible()
    shot(page, "passkey-enrol")
    page.get_by_role("button", name="Create the passkey").click()
    expect(page.get_by_text("The passkey was added.")).to_be_visible()
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": john})["credentials"]
    assert credential["isResidentCredential"], "a passkey is a discoverable credential"
    assert credential["rpId"] == "localhost"
    enrolled_count = credential["signCount"]
    expect(page.get_by_text("Laptop", exact=True)).to_be_visible()
    shot(page, "passkey-list")

    # Logged out, he signs in with the passkey alone; a reload keeps him in.
    page.get_by_role("button", name="Logout").click()
    button = page.get_by_role("button", name="Sign in with a passkey")
    expect(button).to_be_visible()
    shot(page, "passkey-login-form")
    button.click()
    welcome(page, "John Smith")
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": john})["credentials"]
    assert credential["signCount"] > enrolled_count, "the counter went up"
    page.reload()
    welcome(page, "John Smith")

    # His password alone is not enough now: the passkey is the second step.
    page.get_by_role("button", name="Logout").click()
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Use a passkey")).to_be_visible()
    shot(page, "passkey-second-step")
    page.get_by_role("button", name="Sign in with a passkey").click()
    welcome(page, "John Smith")

    # He removes it (after his password); the authenticator still holds
    # the credential, and signing in with it is refused.
    row = page.get_by_test_id("stHorizontalBlock").filter(has_text="Laptop")
    row.get_by_role("button", name="Remove").click()
    confirm = page.get_by_test_id("stForm").filter(has_text="Remove passkey")
    confirm.get_by_label("Password", exact=True).fill("abc")
    confirm.get_by_role("button", name="Remove passkey").click()
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()
    page.get_by_role("button", name="Logout").click()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_text("The passkey was not accepted")).to_be_visible()
    shot(page, "passkey-refused")
    expect(page.get_by_text("Welcome")).to_have_count(0)
    # And his password alone logs him in again.
    log_in(page, "jsmith", "abc")
    welcome(page, "John Smith")
