"""send_email on forgot_password and forgot_username, driven through AppTest in
every mode, against a real SMTP server on loopback (STARTTLS, AUTH)."""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests.smtp_server import SmtpServer, body
from tests.test_widgets import Mode, app, errors, field, forgot, mode, press, results

__all__ = ["mode"]  # the fixture, shared with test_widgets

USERS = {"app": "smtp-Pa55word"}


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    directory = tmp_path / "smtp"
    directory.mkdir()
    server = SmtpServer(directory, "starttls", users=USERS)
    yield server
    server.stop()


def mailing(server: SmtpServer, **init: object) -> dict[str, object]:
    return {"smtp": server.url("app", USERS["app"]), "app_name": "Acme Reports", **init}


def returned(at: AppTest, method: str) -> tuple:
    result = next(r for r in results(at) if r.startswith(f"{method}="))
    return ast.literal_eval(result.split("=", 1)[1])


def mailed_password(text: str) -> str:
    match = re.search(r"^    (\S+)$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def next_email_error(at: AppTest) -> tuple[AppTest, str]:
    """Reruns until the widget reports its failed delivery (at most 50 times)."""
    for _ in range(50):
        at = at.run()
        failures = [e for e in errors(at) if e.startswith("EmailError")]
        if failures:
            return at, failures[0]
        time.sleep(0.1)
    raise AssertionError("no EmailError was reported")


def test_forgot_password_mails_the_new_password(mode: Mode, smtp: SmtpServer) -> None:
    at = app(mode, [("forgot_password", {"send_email": True})], init=mailing(smtp))
    at = forgot(at, "jsmith")
    assert not errors(at)
    username, email, new_password = returned(at, "forgot_password")
    assert (username, email) == ("jsmith", "jsmith@gmail.com")
    [message] = smtp.wait_for(1)
    assert message["To"] == "John Smith <jsmith@gmail.com>"
    assert message["From"] == "App <app@example.com>"
    assert message["Subject"] == "Acme Reports: your new password"
    assert new_password not in message["Subject"]
    text = body(message)
    assert "Hello John Smith" in text and "'jsmith' at Acme Reports" in text
    assert mailed_password(text) == new_password
    # What the mail says logs in; the old password worked until then.
    assert mode.logs_in("jsmith", "abc") is True
    assert mode.logs_in("jsmith", mailed_password(text)) is True


def test_an_unknown_username_sends_nothing_and_answers_alike(mode: Mode, smtp: SmtpServer) -> None:
    before = mode.snapshot()
    at = forgot(app(mode, [("forgot_password", {"send_email": True})], mailing(smtp)), "nobody")
    assert returned(at, "forgot_password") == (False, None, None)
    assert not errors(at)
    assert mode.snapshot() == before
    # A known name's message has gone by the time this one would have.
    at = forgot(at, "jsmith")
    assert len(smtp.wait_for(1)) == 1
    assert [m["To"] for m in smtp.messages] == ["John Smith <jsmith@gmail.com>"]


def test_forgot_username_mails_the_username(mode: Mode, smtp: SmtpServer) -> None:
    at = app(mode, [("forgot_username", {"send_email": True})], init=mailing(smtp))
    field(at, "Email").input("RBriggs@gmail.com")
    at = press(at, "Submit")
    assert returned(at, "forgot_username") == ("rbriggs", "RBriggs@gmail.com")
    [message] = smtp.wait_for(1)
    assert message["To"] == "Rebecca Briggs <rbriggs@gmail.com>"
    assert message["Subject"] == "Acme Reports: your username"
    assert "    rbriggs\n" in body(message)
    field(at, "Email").input("nobody@gmail.com")
    at = press(at, "Submit")
    assert returned(at, "forgot_username") == (False, "nobody@gmail.com")
    assert len(smtp.messages) == 1


def test_the_config_files_smtp_section(config_path: Path, smtp: SmtpServer) -> None:
    config = yaml.safe_load(config_path.read_text())
    config["smtp"] = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "username": "app",
        "password": USERS["app"],
        "from": "Reports <reports@example.com>",
        "ca_file": str(smtp.ca_file),
    }
    config_path.write_text(yaml.safe_dump(config))
    at = forgot(app(config_path, [("forgot_password", {"send_email": True})]), "jsmith")
    assert not errors(at)
    [message] = smtp.wait_for(1)
    assert message["From"] == "Reports <reports@example.com>"
    assert message["Subject"] == "the app: your new password"


def test_the_environment_names_the_server(
    config_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHGATE_SMTP_URL", smtp.url("app", USERS["app"]))
    at = forgot(app(config_path, [("forgot_password", {"send_email": True})]), "jsmith")
    assert not errors(at)
    assert len(smtp.wait_for(1)) == 1


def test_templates_can_be_overridden(config_path: Path, smtp: SmtpServer) -> None:
    templates = {"username_subject": "Hi {name}", "username_text": "You are {username}."}
    at = app(
        config_path,
        [("forgot_username", {"send_email": True})],
        init=mailing(smtp, email_templates=templates),
    )
    field(at, "Email").input("rbriggs@gmail.com")
    press(at, "Submit")
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Hi Rebecca Briggs"
    assert body(message).strip() == "You are rbriggs."
    bad = app(config_path, [], init=mailing(smtp, email_templates={"subjekt": "x"}))
    assert bad.exception and "unknown email template" in bad.exception[0].message


def test_a_failed_delivery_is_reported_at_the_next_rerun(mode: Mode, tmp_path: Path) -> None:
    directory = tmp_path / "down"
    directory.mkdir()
    server = SmtpServer(directory, "starttls", users=USERS)
    url = server.url("app", USERS["app"], timeout="3")
    server.stop()
    at = app(mode, [("forgot_password", {"send_email": True})], init={"smtp": url})
    at = forgot(at, "jsmith")
    username, _, undelivered = returned(at, "forgot_password")
    assert username == "jsmith"
    # The delivery runs off the script thread; its failure shows next time.
    at, failure = next_email_error(at)
    assert "could not be reached" in failure
    # Reported once.
    assert not [e for e in errors(at.run()) if e.startswith("EmailError")]
    # The password nobody received is withdrawn: it does not log in; the
    # current one does.
    assert mode.logs_in("jsmith", undelivered) is False
    assert mode.logs_in("jsmith", "abc") is True


def test_a_refused_smtp_login_is_reported(config_path: Path, smtp: SmtpServer) -> None:
    init = {"smtp": smtp.url("app", "not-the-password")}
    at = forgot(app(config_path, [("forgot_password", {"send_email": True})], init), "jsmith")
    _, failure = next_email_error(at)
    assert "refused the SMTP username or password" in failure
    assert "not-the-password" not in failure
    assert smtp.messages == []


def test_bad_smtp_settings_are_an_email_error_before_anything_changes(
    mode: Mode,
) -> None:
    before = mode.snapshot()
    init = {"smtp": "smtp://mail.example.com?from=a@example.com&security=none"}
    at = forgot(app(mode, [("forgot_password", {"send_email": True})], init), "jsmith")
    assert any(e.startswith("EmailError: SMTP configuration") for e in errors(at))
    assert mode.snapshot() == before


def test_a_name_cannot_smuggle_a_header(config_path: Path, smtp: SmtpServer) -> None:
    config = yaml.safe_load(config_path.read_text())
    config["credentials"]["usernames"]["jsmith"]["first_name"] = "John\r\nBcc: eve@evil.example"
    config_path.write_text(yaml.safe_dump(config))
    at = forgot(
        app(config_path, [("forgot_password", {"send_email": True})], mailing(smtp)), "jsmith"
    )
    assert not errors(at)
    [message] = smtp.wait_for(1)
    assert message["Bcc"] is None
    assert smtp.handler.envelopes[0][1] == ["jsmith@gmail.com"]
