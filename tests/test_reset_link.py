"""forgot_password(reset_link=True): a signed, single-use, 30-minute link
mailed to a real SMTP server on loopback, opened as the widget's
set-new-password form (st.query_params), in every mode."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from tests import apps
from tests.smtp_server import SmtpServer, body
from tests.test_email_widgets import mailing, returned, smtp
from tests.test_widgets import GOOD_PW, Mode, app, errors, field, forgot, log_in, mode, press

__all__ = ["mode", "smtp"]  # the fixtures, shared

APP_URL = "https://reports.example.com/app"


def link_in(message: EmailMessage) -> str:
    match = re.search(r"^    (https://\S+)$", body(message), re.MULTILINE)
    assert match, body(message)
    return match.group(1)


def token_of(link: str) -> str:
    [token] = parse_qs(urlsplit(link).query)["authgate_reset"]
    return token


def widgets() -> list:
    return [("forgot_password", {"reset_link": True})]


def open_link(mode: Mode, smtp: SmtpServer, link: str) -> AppTest:
    """The link opened in a new browser tab: a new session with its query string."""
    source, init = mode.source, {**mode.init, **mailing(smtp, app_url=APP_URL)}
    at = AppTest.from_function(
        apps.widgets_app, args=(str(source), init, widgets()), default_timeout=30
    )
    at.query_params["authgate_reset"] = token_of(link)
    return at.run()


def set_password(at: AppTest, new: str, repeat: str | None = None) -> AppTest:
    field(at, "New password").input(new)
    field(at, "Repeat password").input(new if repeat is None else repeat)
    return press(at, "Set password")


def test_the_mailed_link_sets_a_new_password_once(mode: Mode, smtp: SmtpServer) -> None:
    before = mode.snapshot()
    at = forgot(app(mode, widgets(), init=mailing(smtp, app_url=APP_URL)), "jsmith")
    assert returned(at, "forgot_password") == ("jsmith", "jsmith@gmail.com", None)
    assert mode.snapshot() == before, "asking for a link stores nothing"
    [message] = smtp.wait_for(1)
    assert message["To"] == "John Smith <jsmith@gmail.com>"
    assert message["Subject"] == "Acme Reports: reset your password"
    link = link_in(message)
    assert link.startswith(APP_URL + "?authgate_reset=")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link.replace("&", "&amp;")}"' in html

    opened = open_link(mode, smtp, link)
    assert [f.value for f in opened.caption] == ["Username: jsmith"]
    opened = set_password(opened, GOOD_PW)
    assert not errors(opened)
    assert [s.value for s in opened.success] == ["Your password was changed: log in with it."]
    assert "authgate_reset" not in opened.query_params
    assert mode.logs_in("jsmith", GOOD_PW) is True
    assert mode.logs_in("jsmith", "abc") is False

    again = open_link(mode, smtp, link)
    assert (
        "ForgotError: This link has been used already or is not valid: request a new one"
        in errors(again)
    )
    assert "authgate_reset" not in again.query_params


def test_unknown_names_get_no_mail(mode: Mode, smtp: SmtpServer) -> None:
    at = forgot(app(mode, widgets(), init=mailing(smtp, app_url=APP_URL)), "nobody")
    assert returned(at, "forgot_password") == (False, None, None)
    assert not errors(at)
    at = forgot(at, "jsmith")
    assert [m["To"] for m in smtp.wait_for(1)] == ["John Smith <jsmith@gmail.com>"]


def test_a_password_set_by_link_ends_the_users_sessions(
    config_path: Path, smtp: SmtpServer
) -> None:
    mode = Mode("path", config_path, "cookie")
    logged_in = log_in(app(mode, []))
    assert logged_in.session_state["authentication_status"] is True
    forgot(app(mode, widgets(), init=mailing(smtp, app_url=APP_URL)), "jsmith")
    set_password(open_link(mode, smtp, link_in(smtp.wait_for(1)[0])), GOOD_PW)
    logged_in = logged_in.run()
    assert logged_in.session_state["authentication_status"] is None


def test_bad_new_passwords_leave_the_link_working(config_path: Path, smtp: SmtpServer) -> None:
    mode = Mode("path", config_path, "cookie")
    forgot(app(mode, widgets(), init=mailing(smtp, app_url=APP_URL)), "jsmith")
    link = link_in(smtp.wait_for(1)[0])
    before = mode.snapshot()
    opened = open_link(mode, smtp, link)
    for new, repeat, message in [
        (GOOD_PW, GOOD_PW + "x", "ForgotError: Passwords do not match"),
        ("short", "short", "ForgotError: **Password must:**"),
        ("", "", "ForgotError: No new password provided"),
    ]:
        opened = set_password(opened, new, repeat)
        assert any(e.startswith(message) for e in errors(opened)), errors(opened)
    assert mode.snapshot() == before
    assert "Username: jsmith" in [c.value for c in open_link(mode, smtp, link).caption]


def test_forged_and_tampered_links_are_refused(config_path: Path, smtp: SmtpServer) -> None:
    mode = Mode("path", config_path, "cookie")
    forgot(app(mode, widgets(), init=mailing(smtp, app_url=APP_URL)), "jsmith")
    token = token_of(link_in(smtp.wait_for(1)[0]))
    name, expires, tag = token.split(".")
    for bad in [f"{name}.{int(expires) + 3600}.{tag}", f"{name}.{expires}.{tag[:-2]}AA", "x"]:
        opened = open_link(mode, smtp, f"{APP_URL}?authgate_reset={bad}")
        assert any(e.startswith("ForgotError: This link") for e in errors(opened)), errors(opened)
        assert not [t for t in opened.text_input if t.label == "New password"]


def test_without_an_app_address_no_link_is_mailed(config_path: Path, smtp: SmtpServer) -> None:
    mode = Mode("path", config_path, "cookie")
    at = forgot(app(mode, widgets(), init=mailing(smtp)), "jsmith")
    assert any(e.startswith("CloudError: reset_link needs the address") for e in errors(at))
    at = forgot(app(mode, widgets(), init=mailing(smtp, app_url="javascript:alert(1)")), "x")
    assert any(e.startswith("CloudError: app_url must be an http(s) address") for e in errors(at))
    assert smtp.messages == []
