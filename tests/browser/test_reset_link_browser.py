"""The reset link end to end in headless Chromium: ask on the demo's
"Forgot password" tab, read the link from the mail a real SMTP server on
loopback received, open it, choose a password, log in with it; the link
then works no more."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import ROOT, Server
from tests.browser.test_login_browser import log_in
from tests.smtp_server import SmtpServer, body

pytestmark = pytest.mark.browser
NEW_PW = "N3w!passw0rd"


@pytest.fixture
def mail_demo(config_path: Path, tmp_path: Path) -> Iterator[tuple[Server, SmtpServer]]:
    directory = tmp_path / "smtp"
    directory.mkdir()
    smtp = SmtpServer(directory, "starttls", users={"app": "smtp-Pa55word"})
    server = Server(
        ROOT / "examples" / "app.py",
        config_path,
        AUTHGATE_DEMO_CAPTCHA="0",
        AUTHGATE_SMTP_URL=smtp.url("app", "smtp-Pa55word"),
    )
    yield server, smtp
    server.stop()
    smtp.stop()


def shot(page: Page, name: str) -> None:
    """Screenshots for a person to look at, when AUTHGATE_SCREENSHOTS names a folder."""
    folder = os.environ.get("AUTHGATE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_reset_link_end_to_end(
    mail_demo: tuple[Server, SmtpServer], browser_context: BrowserContext
) -> None:
    server, smtp = mail_demo
    page = browser_context.new_page()
    page.goto(server.url)
    page.get_by_role("tab", name="Forgot password").click()
    form = page.get_by_test_id("stForm").filter(has_text="Forgot password")
    form.get_by_label("Username").fill("jsmith")
    form.get_by_role("button", name="Submit").click()
    expect(
        page.get_by_text("If that account exists, its owner will receive an email.")
    ).to_be_visible()

    [message] = smtp.wait_for(1)
    match = re.search(r"^    (http://\S+)$", body(message), re.MULTILINE)
    assert match, body(message)
    link = match.group(1)
    # The page the request came from, on this machine (no AUTHGATE_APP_URL needed).
    assert link.startswith(server.url + "?authgate_reset=")

    opened = browser_context.new_page()
    opened.goto(link)
    opened.get_by_role("tab", name="Forgot password").click()
    reset = opened.get_by_test_id("stForm").filter(has_text="Choose a new password")
    expect(reset.get_by_text("Username: jsmith")).to_be_visible()
    shot(opened, "reset-link-form")
    reset.get_by_role("textbox", name="New password").fill(NEW_PW)
    reset.get_by_label("Repeat password").fill(NEW_PW)
    reset.get_by_role("button", name="Set password").click()
    expect(opened.get_by_text("Your password was changed: log in with it.")).to_be_visible()
    shot(opened, "reset-link-done")
    # The token leaves the address bar once used.
    expect(opened).to_have_url(re.compile(r"^[^?]*$"))

    again = browser_context.new_page()
    again.goto(link)
    again.get_by_role("tab", name="Forgot password").click()
    expect(again.get_by_text("This link has been used already or is not valid")).to_be_visible()
    expect(again.get_by_text("Choose a new password")).to_have_count(0)

    log_in(opened, "jsmith", NEW_PW)
    expect(opened.get_by_text("Welcome John Smith")).to_be_visible()
