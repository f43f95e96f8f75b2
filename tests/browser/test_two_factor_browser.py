"""two_factor_auth in headless Chromium: the code dialog, where a click
reruns only the dialog (a fragment), which AppTest cannot show."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Server
from tests.browser.test_reset_link_browser import shot
from tests.smtp_server import SmtpServer, body

pytestmark = pytest.mark.browser
GOOD_PW = "Str0ng!pass"


@pytest.fixture
def app(config_path: Path, tmp_path: Path) -> Iterator[tuple[Server, SmtpServer]]:
    directory = tmp_path / "smtp"
    directory.mkdir()
    smtp = SmtpServer(directory, "starttls", users={"app": "smtp-Pa55word"})
    server = Server(
        Path(__file__).with_name("two_factor_app.py"),
        config_path,
        AUTHGATE_SMTP_URL=smtp.url("app", "smtp-Pa55word"),
    )
    yield server, smtp
    server.stop()
    smtp.stop()


def code_in(text: str) -> str:
    match = re.search(r"^    (\d{6})$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def test_forgot_password_and_register_wait_for_the_mailed_code(
    app: tuple[Server, SmtpServer], browser_context: BrowserContext, config_path: Path
) -> None:
    server, smtp = app
    page = browser_context.new_page()
    page.goto(server.url)
    form = page.get_by_test_id("stForm").filter(has_text="Forgot password")
    form.get_by_label("Username").fill("jsmith")
    form.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Verification code")).to_be_visible()
    code = code_in(body(smtp.wait_for(1)[0]))
    dialog.get_by_role("textbox", name="Code").fill("000000" if code != "000000" else "111111")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_text("Code is incorrect")).to_be_visible()
    shot(page, "two-factor-dialog")
    dialog.get_by_role("textbox", name="Code").fill(code)
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("New password sent securely")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    password_mail = smtp.wait_for(2)[1]
    assert password_mail["Subject"] == "Acme Reports: your new password"

    register = page.get_by_test_id("stForm").filter(has_text="Register user")
    register.get_by_label("First name").fill("Mary")
    register.get_by_label("Last name").fill("Elsby")
    register.get_by_label("Email").fill("melsby@gmail.com")
    register.get_by_label("Username").fill("melsby")
    register.get_by_label("Password", exact=True).fill(GOOD_PW)
    register.get_by_label("Repeat password").fill(GOOD_PW)
    register.get_by_role("button", name="Register").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("textbox", name="Code")).to_be_visible()
    stored = yaml.safe_load(config_path.read_text())["credentials"]["usernames"]
    assert "melsby" not in stored
    code = code_in(body(smtp.wait_for(3)[2]))
    dialog.get_by_role("textbox", name="Code").fill(code)
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("User melsby registered successfully")).to_be_visible()
    stored = yaml.safe_load(config_path.read_text())["credentials"]["usernames"]
    assert stored["melsby"]["email"] == "melsby@gmail.com"
