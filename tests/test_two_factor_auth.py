"""two_factor_auth on register_user, forgot_password and forgot_username:
a code mailed to a real SMTP server on loopback, read from the received
message and typed into the widget's dialog, in every mode."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.smtp_server import SmtpServer, body
from tests.test_email_widgets import USERS, mailed_password, mailing, returned, smtp
from tests.test_widgets import (
    Mode,
    app,
    errors,
    field,
    fill_registration,
    forgot,
    log_in,
    mode,
    press,
    results,
    users,
)

__all__ = ["mode", "smtp"]  # the fixtures, shared


def code_in(message: EmailMessage) -> str:
    match = re.search(r"^    (\d{6})$", body(message), re.MULTILINE)
    assert match, body(message)
    return match.group(1)


def code_field(at: AppTest, widget: str) -> list:
    return [t for t in at.text_input if t.key == f"{widget}-code"]


def enter_code(at: AppTest, widget: str, code: str) -> AppTest:
    [box] = code_field(at, widget)
    box.input(code)
    at.button(key=f"{widget}-code-submit").click()
    return at.run()


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_forgot_password_issues_the_password_only_after_the_code(
    mode: Mode, smtp: SmtpServer
) -> None:
    widgets = [("forgot_password", {"two_factor_auth": True, "send_email": True})]
    at = forgot(app(mode, widgets, init=mailing(smtp)), "jsmith")
    before = mode.snapshot()
    assert returned(at, "forgot_password") == (None, None, None)
    assert code_field(at, "Forgot password"), "the dialog asks for the code"
    [message] = smtp.wait_for(1)
    assert message["To"] == "John Smith <jsmith@gmail.com>"
    assert message["Subject"].startswith("Acme Reports: your verification code")
    code = code_in(message)
    assert message.get_body(preferencelist=("html",)) is not None
    at = enter_code(at, "Forgot password", wrong(code))
    assert "Code is incorrect" in errors(at)
    assert mode.snapshot() == before, "nothing changes before the right code"
    at = enter_code(at, "Forgot password", code)
    username, email, new_password = returned(at, "forgot_password")
    assert (username, email) == ("jsmith", "jsmith@gmail.com")
    assert not code_field(at, "Forgot password"), "the dialog is gone"
    _, password_mail = smtp.wait_for(2)
    assert mailed_password(body(password_mail)) == new_password
    assert mode.logs_in("jsmith", new_password) is True
    # Spent: the next rerun issues nothing more.
    at = at.run()
    assert returned(at, "forgot_password") == (None, None, None)


def test_forgot_username_answers_after_the_code(mode: Mode, smtp: SmtpServer) -> None:
    at = app(mode, [("forgot_username", {"two_factor_auth": True})], init=mailing(smtp))
    field(at, "Email").input("RBriggs@gmail.com")
    at = press(at, "Submit")
    assert returned(at, "forgot_username") == (None, "RBriggs@gmail.com")
    [message] = smtp.wait_for(1)
    assert message["To"] == "Rebecca Briggs <rbriggs@gmail.com>"
    # The form may change meanwhile: the answer is for the address the code went to.
    field(at, "Email").input("jsmith@gmail.com")
    at = enter_code(at, "Forgot username", code_in(message))
    assert returned(at, "forgot_username") == ("rbriggs", "RBriggs@gmail.com")


def test_register_adds_the_user_only_after_the_code(mode: Mode, smtp: SmtpServer) -> None:
    kwargs = {"captcha": False, "two_factor_auth": True, **mode.register_kwargs()}
    at = app(mode, [("register_user", kwargs)], init=mailing(smtp))
    at = press(fill_registration(at), "Register")
    assert not errors(at)
    assert "melsby" not in mode.users()
    [message] = smtp.wait_for(1)
    assert message["To"] == "melsby@gmail.com"
    at = enter_code(at, "Register user", code_in(message))
    assert "register_user=('melsby@gmail.com', 'melsby', 'Mary Elsby')" in results(at)
    assert "melsby" in mode.users()


def test_register_refuses_a_form_changed_after_the_code(
    config_path: Path, smtp: SmtpServer
) -> None:
    kwargs = {"captcha": False, "two_factor_auth": True, "clear_on_submit": True}
    at = app(config_path, [("register_user", kwargs)], init=mailing(smtp))
    at = press(fill_registration(at), "Register")
    [message] = smtp.wait_for(1)
    # The form keeps its contents until the code is in, clear_on_submit or not.
    assert field(at, "Username", 1).value == "melsby"
    # Submitted again with another username: no new code within the minute...
    field(at, "Username", 1).input("intruder")
    at = press(at, "Register")
    assert "RegisterError: A code was sent recently: try again in 60 seconds" in errors(at)
    # ...and the address's code does not open an account for another form.
    at = enter_code(at.run(), "Register user", code_in(message))
    assert "RegisterError: The form changed after the code was sent: submit it again" in errors(at)
    assert not {"intruder", "melsby"} & set(users(config_path))


def test_register_checks_everything_before_mailing(mode: Mode, smtp: SmtpServer) -> None:
    kwargs = {"captcha": False, "two_factor_auth": True, **mode.register_kwargs()}
    at = app(mode, [("register_user", kwargs)], init=mailing(smtp))
    at = press(fill_registration(at, Email="jsmith@gmail.com"), "Register")
    assert "RegisterError: Email already taken" in errors(at)
    at = press(fill_registration(at, Username="JSmith"), "Register")
    assert "RegisterError: Username already taken" in errors(at)
    assert smtp.messages == []
    assert not code_field(at, "Register user")


def test_the_fifth_wrong_code_ends_the_challenge(mode: Mode, smtp: SmtpServer) -> None:
    widgets = [("forgot_password", {"two_factor_auth": True})]
    at = forgot(app(mode, widgets, init=mailing(smtp)), "jsmith")
    before = mode.snapshot()
    code = code_in(smtp.wait_for(1)[0])
    for _ in range(4):
        at = enter_code(at, "Forgot password", wrong(code))
        assert "Code is incorrect" in errors(at)
    at = enter_code(at, "Forgot password", wrong(code))
    assert "Too many wrong codes: request a new one" in errors(at)
    # The right code comes too late: the dialog is gone, nothing is issued.
    at = at.run()
    assert not code_field(at, "Forgot password")
    assert returned(at, "forgot_password") == (None, None, None)
    assert mode.snapshot() == before


def test_unknown_names_get_the_same_dialog_and_no_mail(mode: Mode, smtp: SmtpServer) -> None:
    widgets = [("forgot_password", {"two_factor_auth": True})]
    at = forgot(app(mode, widgets, init=mailing(smtp)), "nobody")
    assert not errors(at)
    assert code_field(at, "Forgot password")
    at = enter_code(at, "Forgot password", "123456")
    assert "Code is incorrect" in errors(at)
    at = forgot(app(mode, widgets, init=mailing(smtp)), "jsmith")
    assert len(smtp.wait_for(1)) == 1
    assert [m["To"] for m in smtp.messages] == ["John Smith <jsmith@gmail.com>"]


def test_a_resend_flood_is_braked(config_path: Path, smtp: SmtpServer) -> None:
    widgets = [("forgot_password", {"two_factor_auth": True})]
    for name in ("jsmith", "nobody"):
        at = forgot(app(config_path, widgets, init=mailing(smtp)), name)
        assert not errors(at)
        at = forgot(at, name)
        assert "ForgotError: A code was sent recently: try again in 60 seconds" in errors(at)
    assert len(smtp.wait_for(1)) == 1


def test_a_code_works_only_in_the_session_that_asked(config_path: Path, smtp: SmtpServer) -> None:
    widgets = [("forgot_password", {"two_factor_auth": True})]
    at = forgot(app(config_path, widgets, init=mailing(smtp)), "jsmith")
    assert code_field(at, "Forgot password")
    other = app(config_path, widgets, init=mailing(smtp))
    assert not code_field(other, "Forgot password")
    assert returned(other, "forgot_password") == (None, None, None)


def test_without_a_mail_server_nothing_is_asked(mode: Mode) -> None:
    before = mode.snapshot()
    at = forgot(app(mode, [("forgot_password", {"two_factor_auth": True})]), "jsmith")
    assert any(e.startswith("CloudError: No mail server is configured") for e in errors(at))
    assert not code_field(at, "Forgot password")
    assert mode.snapshot() == before


def test_a_failed_code_delivery_is_reported(config_path: Path, tmp_path: Path) -> None:
    down = SmtpServer(tmp_path, "starttls", users=USERS)
    url = down.url("app", USERS["app"])
    down.stop()
    widgets = [("forgot_password", {"two_factor_auth": True})]
    at = forgot(app(config_path, widgets, init={"smtp": url}), "jsmith")
    for _ in range(50):
        at = at.run()
        if any(e.startswith("EmailError") for e in errors(at)):
            break
    assert any(e.startswith("EmailError: The email could not be sent") for e in errors(at))


# ---- login(two_factor_auth=True) ------------------------------------------------


def code_login(mode: Mode, smtp: SmtpServer) -> AppTest:
    from tests import apps

    return AppTest.from_function(
        apps.login_app,
        args=(mode.source, {**mode.init, **mailing(smtp)}, {"two_factor_auth": True}, {}),
        default_timeout=30,
    ).run()


def test_login_opens_the_session_only_after_the_mailed_code(mode: Mode, smtp: SmtpServer) -> None:
    at = code_login(mode, smtp)
    at = log_in(at, "jsmith", "Wr0ng!")
    assert at.session_state["authentication_status"] is False
    assert not code_field(at, "Login"), "a wrong password gets no code"
    assert smtp.messages == []
    at = log_in(at, "jsmith", "abc")
    assert at.session_state["authentication_status"] is not True
    [message] = smtp.wait_for(1)
    assert message["To"] == "John Smith <jsmith@gmail.com>"
    code = code_in(message)
    at = enter_code(at, "Login", wrong(code))
    assert "Code is incorrect" in errors(at)
    assert at.session_state["authentication_status"] is not True
    at = enter_code(at, "Login", code)
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "jsmith"
    assert "Welcome John Smith" in [m.value for m in at.markdown]
    # The session is a real one: a new script run keeps it.
    assert at.run().session_state["authentication_status"] is True


def test_a_login_code_does_not_outlive_five_wrong_tries(
    config_path: Path, smtp: SmtpServer
) -> None:
    mode = Mode("path", config_path, "cookie")
    at = log_in(code_login(mode, smtp), "jsmith", "abc")
    code = code_in(smtp.wait_for(1)[0])
    for _ in range(5):
        at = enter_code(at, "Login", wrong(code))
    assert "Too many wrong codes: request a new one" in errors(at)
    at = at.run()
    assert not code_field(at, "Login")
    assert at.session_state["authentication_status"] is not True
