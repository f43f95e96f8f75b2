"""Dict mode as streamlit-authenticator's README writes it.

Every app here is the README's quickstart, pasted: load ``config.yaml`` with
PyYAML, pass ``config['credentials']`` and the cookie settings to
``Authenticate``, render the widgets, save the YAML at the end of the script.
Each test drives it with AppTest and reads the file after each step, as the
next rerun (or the next process) will. A new ``AppTest`` is a new app
process: nothing but the file carries over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests.conftest import make_config, pending_cookie_op, write_yaml
from tests.test_readme_examples import (
    README_FORGOT_PASSWORD,
    README_LOGIN,
    README_REGISTER,
    README_RESET,
    README_SAVE,
    README_SETUP,
    README_STATUS,
    README_UPDATE,
    field,
    press,
    texts,
)

GOOD_PW = "N3w-Passw0rd!"
COOKIE = make_config()["cookie"]["name"]
LOCKED = "Maximum number of login attempts exceeded"

# The README leaves delivering the new password to the app; this app keeps it
# where the test can read it.
KEEP_NEW_PASSWORD = """
if username_of_forgotten_password:
    st.session_state['_test_new_password'] = new_random_password
"""

LOGIN_LIMITED = """
try:
    authenticator.login(max_login_attempts=2)
except Exception as e:
    st.error(e)
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The README's config.yaml, plaintext passwords and the README's own
    cookie name, which every test here shares on purpose."""
    return write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))


def app(config: Path, *blocks: str) -> AppTest:
    """A new process running the README app with `blocks` between set-up and save."""
    source = "\n".join(
        b.replace("{config}", str(config)) for b in (README_SETUP, *blocks, README_SAVE)
    )
    return AppTest.from_string(source, default_timeout=60).run()


def saved(config: Path, username: str = "jsmith") -> dict[str, Any]:
    return yaml.safe_load(config.read_text())["credentials"]["usernames"][username]


def clean(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def log_in(at: AppTest, username: str = "jsmith", password: str = "abc") -> AppTest:
    field(at, "Username").input(username)
    field(at, "Password").input(password)
    return clean(press(at, "Login"))


def status(at: AppTest) -> Any:
    return at.session_state["authentication_status"]


def test_login_reaches_the_save(config_file: Path) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS))
    assert status(at) is True
    # The run that logged in did not rerun: the app's own save wrote the file.
    entry = saved(config_file)
    assert entry["logged_in"] is True
    assert entry["failed_login_attempts"] == 0
    assert len(entry["authgate"]["sessions"]) == 1
    # The login form is gone in that same run.
    assert not [b for b in at.button if b.label == "Login"]


def test_failed_login_is_counted_in_the_file(config_file: Path) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS), password="wrong")
    assert status(at) is False
    assert saved(config_file)["failed_login_attempts"] == 1
    at = log_in(at, password="wrong")
    assert saved(config_file)["failed_login_attempts"] == 2
    # A restart keeps counting from the file.
    at = log_in(app(config_file, README_LOGIN, README_STATUS), password="wrong")
    assert saved(config_file)["failed_login_attempts"] == 3


def test_lockout_survives_a_restart_and_an_operator_reset_lifts_it(config_file: Path) -> None:
    at = app(config_file, LOGIN_LIMITED, README_STATUS)
    at = log_in(log_in(at, password="wrong"), password="wrong")
    entry = saved(config_file)
    assert entry["failed_login_attempts"] == 2
    assert entry["authgate"]["locked_until"] > 0
    at = log_in(at)
    assert LOCKED in texts(at, "error"), texts(at, "error")
    # Another process reads the lock from the file.
    at = log_in(app(config_file, LOGIN_LIMITED, README_STATUS))
    assert status(at) is not True
    assert LOCKED in texts(at, "error")
    # The operator resets the counter and removes the lock in the YAML.
    config = yaml.safe_load(config_file.read_text())
    entry = config["credentials"]["usernames"]["jsmith"]
    entry["failed_login_attempts"] = 0
    entry["authgate"].pop("locked_until")
    entry["authgate"].pop("window_start", None)
    write_yaml(config_file, config)
    at = log_in(at)
    assert status(at) is True
    assert saved(config_file)["failed_login_attempts"] == 0


def test_a_counter_already_in_the_dict_is_honoured(config_file: Path) -> None:
    config = make_config()
    config["credentials"]["usernames"]["jsmith"]["failed_login_attempts"] = 1
    write_yaml(config_file, config)
    at = log_in(app(config_file, LOGIN_LIMITED, README_STATUS), password="wrong")
    # 1 from the file, plus this one: the limit of 2 is reached.
    assert saved(config_file)["failed_login_attempts"] == 2
    at = log_in(at)
    assert status(at) is not True
    assert LOCKED in texts(at, "error")


def test_logout_writes_logged_in_false(config_file: Path) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS))
    assert saved(config_file)["logged_in"] is True
    at = clean(press(at, "Logout"))
    assert status(at) is None
    entry = saved(config_file)
    assert entry["logged_in"] is False
    assert "sessions" not in entry.get("authgate", {})


def test_cookie_login_after_a_restart(config_file: Path, browser_cookies: dict[str, str]) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS))
    op = pending_cookie_op(at)
    assert op is not None and op["value"]
    # A new process; the browser sends the cookie it was given.
    browser_cookies[COOKIE] = op["value"]
    at = clean(app(config_file, README_LOGIN, README_STATUS))
    assert status(at) is True
    assert at.session_state["username"] == "jsmith"
    assert saved(config_file)["logged_in"] is True


def logged_in_with_a_working_cookie(config: Path, browser_cookies: dict[str, str]) -> AppTest:
    """Logs in; the browser then holds the cookie, which logs a new process in."""
    at = log_in(app(config, README_LOGIN, README_STATUS))
    browser_cookies[COOKIE] = pending_cookie_op(at)["value"]
    assert status(clean(app(config, README_LOGIN, README_STATUS))) is True
    return at


def test_logout_ends_the_cookie_in_a_later_process(
    config_file: Path, browser_cookies: dict[str, str]
) -> None:
    at = logged_in_with_a_working_cookie(config_file, browser_cookies)
    clean(press(at, "Logout"))
    at = clean(app(config_file, README_LOGIN, README_STATUS))
    assert status(at) is None


def test_register_then_log_in_after_a_restart(config_file: Path) -> None:
    # The captcha is the README's default; a test cannot read its picture.
    no_captcha = README_REGISTER.replace("register_user(", "register_user(captcha=False, ")
    at = app(config_file, no_captcha)
    for label, value in {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Username": "melsby",
        "Password": GOOD_PW,
        "Repeat password": GOOD_PW,
    }.items():
        field(at, label).input(value)
    at = clean(press(at, "Register"))
    assert "User registered successfully" in texts(at, "success")
    assert saved(config_file, "melsby")["password"].startswith("$2b$")
    at = log_in(app(config_file, README_LOGIN, README_STATUS), "melsby", GOOD_PW)
    assert status(at) is True


def test_reset_password_reaches_the_file(config_file: Path) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS, README_RESET))
    field(at, "Current password").input("abc")
    field(at, "New password").input(GOOD_PW)
    field(at, "Repeat password").input(GOOD_PW)
    at = clean(press(at, "Reset"))
    assert "Password modified successfully" in texts(at, "success")
    assert saved(config_file)["logged_in"] is True
    fresh = app(config_file, README_LOGIN, README_STATUS)
    assert status(log_in(fresh)) is not True
    assert status(log_in(app(config_file, README_LOGIN, README_STATUS), password=GOOD_PW))


def test_forgot_password_then_first_use_of_the_new_one(config_file: Path) -> None:
    at = app(config_file, README_FORGOT_PASSWORD, KEEP_NEW_PASSWORD)
    field(at, "Username").input("jsmith")
    at = clean(press(at, "Submit"))
    new_password = at.session_state["_test_new_password"]
    old_hash = saved(config_file)["password"]
    # The pending password is in the file the app saved.
    assert saved(config_file)["authgate"]["pending_password"]["hash"].startswith("$2b$")
    # A new process: the new password is used for the first time.
    at = log_in(app(config_file, README_LOGIN, README_STATUS), password=new_password)
    assert status(at) is True
    entry = saved(config_file)
    assert entry["password"] != old_hash
    assert "pending_password" not in entry["authgate"]
    # Reloading the YAML (another process) does not bring the old one back.
    assert status(log_in(app(config_file, README_LOGIN, README_STATUS))) is not True
    assert status(log_in(app(config_file, README_LOGIN, README_STATUS), password=new_password))


def test_update_details_reaches_the_file(config_file: Path) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS, README_UPDATE))
    at.selectbox[0].select("Last name")
    field(at, "New value").input("Smithers")
    at = clean(press(at, "Update"))
    assert saved(config_file)["last_name"] == "Smithers"


def test_an_operator_edit_of_the_hash_ends_sessions(
    config_file: Path, browser_cookies: dict[str, str]
) -> None:
    at = logged_in_with_a_working_cookie(config_file, browser_cookies)
    config = yaml.safe_load(config_file.read_text())
    import bcrypt

    config["credentials"]["usernames"]["jsmith"]["password"] = bcrypt.hashpw(
        b"changed", bcrypt.gensalt(4)
    ).decode()
    write_yaml(config_file, config)
    # The running session ends at its next rerun, and the cookie is refused.
    at = clean(at.run())
    assert status(at) is None
    assert status(clean(app(config_file, README_LOGIN, README_STATUS))) is None


def test_removing_a_user_in_the_yaml_ends_their_session(config_file: Path) -> None:
    at = log_in(app(config_file, README_LOGIN, README_STATUS))
    config = yaml.safe_load(config_file.read_text())
    del config["credentials"]["usernames"]["jsmith"]
    write_yaml(config_file, config)
    at = clean(at.run())
    assert status(at) is None


def test_many_apps_share_one_cookie_name_without_sharing_state(tmp_path: Path) -> None:
    """Two apps (or two tests) in one process with the same cookie name: a
    lockout and a session in one are invisible to the other."""
    first = write_yaml(tmp_path / "a.yaml", make_config())
    second = write_yaml(tmp_path / "b.yaml", make_config())
    single = """
try:
    authenticator.login(max_login_attempts=2, single_session=True)
except Exception as e:
    st.error(e)
"""
    a = app(first, single, README_STATUS)
    a = log_in(log_in(a, password="wrong"), password="wrong")
    assert saved(first)["failed_login_attempts"] == 2
    b = log_in(app(second, single, README_STATUS))
    assert status(b) is True
    c = log_in(app(first, single, README_STATUS))
    assert status(c) is not True  # still locked by the file's state
