"""admin_panel(): an administrator finds, locks, unlocks, re-roles, logs out
and removes users, and reads the audit trail (AppTest, every mode); anyone
else gets a refusal."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.smtp_server import SmtpServer
from tests.test_email_widgets import mailing, smtp
from tests.test_widgets import Mode, app, errors, log_in, mode

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
