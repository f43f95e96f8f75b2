"""register_user(verify_email=True): the account is added at once, but its
password logs in only after the mailed link is opened (0.4.2 #190), in
every mode, against a real SMTP server on loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from tests import apps
from tests.smtp_server import SmtpServer
from tests.test_email_widgets import mailing, smtp
from tests.test_reset_link import link_in
from tests.test_widgets import GOOD_PW, Mode, app, errors, fill_registration, log_in, mode, press

__all__ = ["mode", "smtp"]  # the fixtures, shared

APP_URL = "https://reports.example.com/"


def register(mode: Mode, smtp: SmtpServer) -> AppTest:
    kwargs = {"captcha": False, "verify_email": True, **mode.register_kwargs()}
    at = app(mode, [("register_user", kwargs)], init=mailing(smtp, app_url=APP_URL))
    return press(fill_registration(at), "Register")


def open_link(mode: Mode, smtp: SmtpServer, link: str) -> AppTest:
    """The link opened in a new tab: a new session whose page has the login."""
    [token] = parse_qs(urlsplit(link).query)["authgate_verify"]
    at = AppTest.from_function(
        apps.widgets_app,
        args=(mode.source, {**mode.init, **mailing(smtp, app_url=APP_URL)}, []),
        default_timeout=30,
    )
    at.query_params["authgate_verify"] = token
    return at.run()


def login(mode: Mode, smtp: SmtpServer, password: str = GOOD_PW) -> AppTest:
    at = app(mode, [], init=mailing(smtp, app_url=APP_URL))
    return log_in(at, "melsby", password)


def test_the_password_logs_in_only_after_the_link(mode: Mode, smtp: SmtpServer) -> None:
    at = register(mode, smtp)
    assert "register_user=('melsby@gmail.com', 'melsby', 'Mary Elsby')" in [
        t.value for t in at.text
    ]
    assert mode.users()["melsby"]["email_verified"] is False
    [message] = smtp.wait_for(1)
    assert message["To"] == "Mary Elsby <melsby@gmail.com>"
    assert message["Subject"] == "Acme Reports: confirm your email address"
    link = link_in(message)
    assert link.startswith(APP_URL + "?authgate_verify=")

    refused = login(mode, smtp)
    assert "LoginError: Email address not verified: open the link that was mailed to it" in errors(
        refused
    )
    assert refused.session_state["authentication_status"] is not True
    # A wrong password says nothing about verification.
    wrong = login(mode, smtp, "Wr0ng!pass")
    assert not any("verified" in e for e in errors(wrong))
    assert wrong.session_state["authentication_status"] is False

    opened = open_link(mode, smtp, link)
    assert [s.value for s in opened.success] == ["Your email address is verified: log in."]
    assert "authgate_verify" not in opened.query_params
    assert "email_verified" not in mode.users()["melsby"]
    assert login(mode, smtp).session_state["authentication_status"] is True

    again = open_link(mode, smtp, link)
    assert any(e.startswith("LoginError: This link has been used already") for e in errors(again))


def test_a_login_with_the_right_password_mails_a_new_link(mode: Mode, smtp: SmtpServer) -> None:
    register(mode, smtp)
    smtp.wait_for(1)
    login(mode, smtp)
    first, second = smtp.wait_for(2)
    assert second["Subject"] == first["Subject"]
    # Either link works; after it, both are spent.
    assert open_link(mode, smtp, link_in(second)).success
    assert open_link(mode, smtp, link_in(first)).error


def test_a_forged_link_verifies_nothing(mode: Mode, smtp: SmtpServer) -> None:
    register(mode, smtp)
    link = link_in(smtp.wait_for(1)[0])
    name, expires, tag = parse_qs(urlsplit(link).query)["authgate_verify"][0].split(".")
    forged = f"{APP_URL}?authgate_verify={name}.{int(expires) + 999}.{tag}"
    assert any(e.startswith("LoginError: This link") for e in errors(open_link(mode, smtp, forged)))
    assert mode.users()["melsby"]["email_verified"] is False


def test_without_mail_nothing_is_registered(mode: Mode) -> None:
    before = mode.snapshot()
    kwargs = {"captcha": False, "verify_email": True, **mode.register_kwargs()}
    at = press(fill_registration(app(mode, [("register_user", kwargs)])), "Register")
    assert any(e.startswith("CloudError: No mail server is configured") for e in errors(at))
    assert mode.snapshot() == before
