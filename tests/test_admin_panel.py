"""admin_panel(): an administrator finds, locks, unlocks, re-roles, logs out
and removes users, and reads the audit trail (AppTest, every mode); anyone
else gets a refusal."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.smtp_server import SmtpServer
from tests.test_email_widgets import mailing, smtp
from tests.test_reset_link import link_in, open_link, set_password
from tests.test_widgets import GOOD_PW, Mode, app, errors, fill_registration, log_in, mode

__all__ = ["mode", "smtp"]

KEY = "Admin panel"


def panel(mode: Mode, init: dict | None = None) -> AppTest:
    return log_in(app(mode, [("admin_panel", {})], init), "jsmith", "abc")


def table(at: AppTest, audit: bool = False) -> list[dict]:
    """The users table, or the audit trail (drawn after it)."""
    return at.dataframe[1 if audit else 0].value.to_dict("records")


def press(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return at.run()


def successes(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def pick(at: AppTest, username: str) -> AppTest:
    at.text_input(key=f"{KEY}-query").input(username)
    at = at.run()
    at.selectbox(key=f"{KEY}-user").select(username)
    return at.run()


def test_an_admin_locks_unlocks_and_re_roles_a_user(mode: Mode) -> None:
    at = panel(mode)
    assert not errors(at)
    assert [u["Username"] for u in table(at)] == ["jsmith", "rbriggs"]
    at = pick(at, "rbriggs")
    assert [u["Username"] for u in table(at)] == ["rbriggs"]

    at = press(at, f"{KEY}-lock")
    assert successes(at) == ["rbriggs is locked."]
    assert table(at)[0]["Locked"] == "until unlocked"
    assert mode.logs_in("rbriggs", "def") is not True
    at = press(at, f"{KEY}-unlock")
    assert successes(at) == ["rbriggs is unlocked."]
    assert mode.logs_in("rbriggs", "def") is True

    at.text_input(key=f"{KEY}-roles-rbriggs").input("viewer, editor")
    at = press(at, f"{KEY}-save-roles")
    assert table(at)[0]["Roles"] == "viewer, editor"
    assert mode.users()["rbriggs"]["roles"] == ["viewer", "editor"]

    events = table(at, audit=True)
    mine = [(e["What"], e["User"], e["Detail"]) for e in events if e["Detail"] == "by jsmith"]
    assert ("user_locked", "rbriggs", "by jsmith") in mine
    assert ("user_unlocked", "rbriggs", "by jsmith") in mine
    assert ("roles_changed", "rbriggs", "by jsmith") in mine


def test_remove_needs_a_tick_and_never_oneself(mode: Mode) -> None:
    at = pick(panel(mode), "jsmith")
    at = press(at, f"{KEY}-lock")
    assert at.error[0].value == "Administrators cannot lock their own account"
    at = pick(at, "rbriggs")
    assert at.button(key=f"{KEY}-remove").disabled
    at.checkbox(key=f"{KEY}-sure-rbriggs").check()
    at = press(at.run(), f"{KEY}-remove")
    assert successes(at) == ["rbriggs was removed."]
    assert "rbriggs" not in mode.users()


def test_end_sessions_logs_the_user_out(config_path: Path) -> None:
    mode = Mode("path", config_path, "cookie")
    theirs = log_in(app(mode, []), "rbriggs", "def")
    assert theirs.session_state["authentication_status"] is True
    at = press(pick(panel(mode), "rbriggs"), f"{KEY}-end")
    assert successes(at) == ["The sessions of rbriggs ended."]
    assert theirs.run().session_state["authentication_status"] is None


def test_a_reset_link_is_mailed_from_the_panel(config_path: Path, smtp: SmtpServer) -> None:
    mode = Mode("path", config_path, "cookie")
    at = pick(panel(mode, mailing(smtp, app_url="https://app.example.com/")), "rbriggs")
    at = press(at, f"{KEY}-reset")
    assert successes(at) == ["A reset link was mailed to rbriggs."]
    [message] = smtp.wait_for(1)
    assert message["To"] == "Rebecca Briggs <rbriggs@gmail.com>"
    at = press(pick(panel(mode), "rbriggs"), f"{KEY}-reset")
    assert at.error[0].value.startswith("No mail server is configured")


def test_anyone_else_is_refused(config_path: Path) -> None:
    mode = Mode("path", config_path, "cookie")
    viewer = log_in(app(mode, [("admin_panel", {})]), "rbriggs", "def")
    assert "You do not have access to this page." in errors(viewer)
    assert not viewer.dataframe
    anonymous = app(mode, [("admin_panel", {})])
    assert "Log in to open this page." in errors(anonymous)
    assert not anonymous.dataframe


def add_user(at: AppTest, **values: str) -> AppTest:
    for name, value in values.items():
        at.text_input(key=f"{KEY}-add-{name}").input(value)
    return press_label(at, "Add user")


def press_label(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_an_admin_adds_a_user_who_logs_in(mode: Mode) -> None:
    at = panel(mode)
    new = {"username": "NewBie", "email": "newbie@example.com", "first": "New", "last": "Bie"}
    at = add_user(at, **new, roles="editor, viewer", password="Newbie!pass1")
    assert not errors(at)
    assert successes(at) == ["newbie was added."]
    assert "newbie" in [u["Username"] for u in table(at)]
    stored = mode.users()["newbie"]
    assert (stored["email"], stored["roles"]) == ("newbie@example.com", ["editor", "viewer"])
    assert stored["password"].startswith("$2b$")
    assert mode.logs_in("newbie", "Newbie!pass1") is True
    events = [(e["What"], e["User"], e["Detail"]) for e in table(at, audit=True)]
    assert ("user_added", "newbie", "by jsmith") in events

    # Refused: a taken username, a taken email (any case), the app's Validator.
    for values, message in [
        ({**new, "username": "RBRIGGS", "email": "x@example.com"}, "Username already taken"),
        ({**new, "username": "other", "email": "NEWBIE@example.com"}, "Email already taken"),
        ({**new, "username": "other", "email": "not-an-email"}, "Email is not valid"),
    ]:
        at = add_user(at, **values, password="Newbie!pass1")
        assert errors(at) == [message], values
    # No first password and no mail server: nothing is added.
    at = add_user(at, **{**new, "username": "other", "email": "other@example.com"})
    assert errors(at)[0].startswith("No mail server is configured")
    assert "other" not in mode.users()


def test_an_invited_user_sets_their_password_by_the_mailed_link(
    config_path: Path, smtp: SmtpServer
) -> None:
    mode = Mode("path", config_path, "cookie")
    init = mailing(smtp, app_url="https://reports.example.com/app")
    at = add_user(panel(mode, init), username="ivy", email="ivy@example.com", first="Ivy")
    assert successes(at) == ["ivy was added and mailed a link to set their password."], (
        errors(at),
        at.exception,
    )
    [message] = smtp.wait_for(1)
    assert message["To"] == "Ivy <ivy@example.com>"
    link = link_in(message)
    # Until then nobody knows a password that logs in as ivy.
    assert mode.logs_in("ivy", "") is not True
    opened = set_password(open_link(mode, smtp, link), GOOD_PW)
    assert not errors(opened)
    assert mode.logs_in("ivy", GOOD_PW) is True


def test_the_preauthorized_list_decides_who_registers(mode: Mode) -> None:
    at = panel(mode)
    if mode.name == "dict":
        # The app keeps that list and passes it to register_user.
        assert "Pre-authorized emails" not in [h.value for h in at.subheader]
        return
    assert "Pre-authorized emails" in [h.value for h in at.subheader]
    at.text_area(key=f"{KEY}-pre-add").input("new@example.com\nNEW@example.com, also@example.com")
    at.multiselect(key=f"{KEY}-pre-remove").select("melsby@gmail.com")
    at = press_label(at, "Save list")
    assert successes(at) == ["The pre-authorized list was saved."]
    assert at.multiselect(key=f"{KEY}-pre-remove").options == [
        "new@example.com",
        "also@example.com",
    ]
    at.text_area(key=f"{KEY}-pre-add").input("no address")
    at = press_label(at, "Save list")
    assert errors(at) == ['"no address" is not an email address']
    events = [(e["What"], e["Detail"]) for e in table(at, audit=True)]
    assert ("preauthorized_changed", "by jsmith: 3 added, 1 removed") in events

    # register_user without pre_authorized= reads the store's list.
    for email, refused in [("melsby@gmail.com", True), ("new@example.com", False)]:
        reg = app(mode, [("register_user", {"captcha": False})])
        reg = press_label(fill_registration(reg, Email=email), "Register")
        assert bool(errors(reg)) == refused, (email, errors(reg))
    assert mode.logs_in("melsby", GOOD_PW) is True
