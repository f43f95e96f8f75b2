"""register_user, reset_password, forgot_password, forgot_username and
update_user_details, driven through AppTest in path and dict mode."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

import authgate.captcha
from authgate import _core
from tests import apps
from tests.conftest import make_config, pending_cookie_op
from tests.test_login import start, state, submit

GOOD_PW = "Str0ng!pass"
KNOWN_CAPTCHA = "4821"


@pytest.fixture(autouse=True)
def _reset_shared() -> None:
    apps.CALLS.clear()
    apps.CREDENTIALS.clear()


@pytest.fixture
def known_captcha(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every captcha shows KNOWN_CAPTCHA, so a test can answer it: the first
    one, and the next one the core draws after each answer."""
    new, answer = _core.new_captcha, _core.answer_captcha

    def answer_then_known(captcha_id: str, entered: str) -> tuple[str, bytes, str]:
        verdict, _, _ = answer(captcha_id, entered)
        return (verdict, *new(KNOWN_CAPTCHA))

    monkeypatch.setattr(authgate.captcha._core, "new_captcha", lambda: new(KNOWN_CAPTCHA))
    monkeypatch.setattr(authgate.captcha._core, "answer_captcha", answer_then_known)
    return KNOWN_CAPTCHA


class StoredUsers:
    """The users of a database store, read through authgate, as a mapping."""

    NAMES = ("jsmith", "rbriggs", "melsby", "melsby@gmail.com", "someone", "other")

    def __init__(self, url: str) -> None:
        self.store = _core.Store.open_url(url)

    def __getitem__(self, name: str) -> dict[str, Any]:
        record = self.store.user_record(name)
        if record is None:
            raise KeyError(name)
        return record

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.store.user_record(name) is not None

    def snapshot(self) -> Any:
        return [self.store.user_record(n) for n in self.NAMES], self.store.settings()


class Mode:
    """Where the users live: a config.yaml file (path mode), the app's dict
    (dict mode), a SQLite file or a PostgreSQL database."""

    def __init__(self, name: str, config_path: Path, cookie_name: str, db_url: str = "") -> None:
        self.name = name
        self.config_path = config_path
        config = make_config()
        if name == "dict":
            apps.CREDENTIALS.update(config["credentials"])
            apps.PREAUTHORIZED[:] = config["pre-authorized"]["emails"]
            self.source, self.init = "dict", {"cookie_name": cookie_name}
        elif name in ("sqlite", "postgres"):
            _core.Store.import_config(db_url, yaml.dump(config))
            self.source, self.init = db_url, {}
        else:
            self.source, self.init = str(config_path), {}

    def users(self) -> Any:
        if self.name == "dict":
            return apps.CREDENTIALS["usernames"]
        if self.name in ("sqlite", "postgres"):
            return StoredUsers(self.source)
        return users(self.config_path)

    def snapshot(self) -> Any:
        if self.name == "dict":
            return copy.deepcopy((apps.CREDENTIALS, apps.PREAUTHORIZED))
        if self.name in ("sqlite", "postgres"):
            return StoredUsers(self.source).snapshot()
        return self.config_path.read_bytes()

    def register_kwargs(self) -> dict[str, Any]:
        """In dict mode the app passes its pre-authorized list, as 0.4.2's README does."""
        return {"pre_authorized": "<shared>"} if self.name == "dict" else {}

    def logs_in(self, username: str, password: str) -> bool | None:
        at = AppTest.from_function(
            apps.login_app, args=(self.source, self.init, {}, {}), default_timeout=30
        ).run()
        return state(submit(at, username, password), "authentication_status")


@pytest.fixture(
    params=["path", "dict", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def mode(request: pytest.FixtureRequest, config_path: Path, cookie_name: str) -> Mode:
    url = ""
    if request.param == "sqlite":
        url = f"sqlite://{config_path.with_name('auth.db')}"
    elif request.param == "postgres":
        url = request.getfixturevalue("pg_server").fresh_database("widgets")
    return Mode(request.param, config_path, cookie_name, url)


def app(source: Any, widgets: list, init: dict | None = None) -> AppTest:
    if isinstance(source, Mode):
        source, init = source.source, {**source.init, **(init or {})}
    at = AppTest.from_function(
        apps.widgets_app, args=(str(source), init or {}, widgets), default_timeout=30
    )
    return at.run()


def field(at: AppTest, label: str, nth: int = 0) -> Any:
    matches = [t for t in at.text_input if t.label == label]
    return matches[nth]


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def results(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def users(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())["credentials"]["usernames"]


def fill_registration(at: AppTest, **values: str) -> AppTest:
    defaults = {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Username": "melsby",
        "Password": GOOD_PW,
        "Repeat password": GOOD_PW,
    }
    defaults.update(values)
    for label, value in defaults.items():
        # The login form's Username and Password come first.
        field(at, label, 1 if label in ("Username", "Password") else 0).input(value)
    return at


def log_in(at: AppTest, username: str = "jsmith", password: str = "abc") -> AppTest:
    field(at, "Username").input(username)
    field(at, "Password").input(password)
    return press(at, "Login")


# ---- register_user ----------------------------------------------------------------


def test_register_consumes_the_preauthorized_email_and_can_log_in(config_path: Path) -> None:
    at = app(config_path, [("register_user", {"captcha": False, "record": True})])
    at = press(fill_registration(at), "Register")
    assert "register_user=('melsby@gmail.com', 'melsby', 'Mary Elsby')" in results(at)
    data = yaml.safe_load(config_path.read_text())
    assert data["pre-authorized"] == {"emails": []}, "the shape 0.4.2 reads back"
    user = data["credentials"]["usernames"]["melsby"]
    assert user["email"] == "melsby@gmail.com"
    assert user["password"].startswith("$2b$12$")
    assert apps.CALLS == [
        {
            "widget": "Register user",
            "new_name": "Mary",
            "new_last_name": "Elsby",
            "new_email": "melsby@gmail.com",
            "new_username": "melsby",
        }
    ]
    at = submit(start(config_path), "melsby", GOOD_PW)
    assert state(at, "authentication_status") is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Email": "someone@else.com", "Username": "someone"}, "not pre-authorized"),
        ({"Username": "jsmith"}, "Username already taken"),
        ({"Email": "JSMITH@gmail.com", "Username": "other"}, "Email already taken"),
        ({"Repeat password": "Other!pass1"}, "Passwords do not match"),
        ({"Password": "weak", "Repeat password": "weak"}, "Password must"),
        ({"First name": "M4ry"}, "First name is not valid"),
        ({"Email": "not-an-email"}, "Email is not valid"),
        ({"Username": "bad name!"}, "Username is not valid"),
        ({"Password": "", "Repeat password": ""}, "cannot be empty"),
    ],
)
def test_register_refusals_change_nothing(mode: Mode, values, message) -> None:
    before = mode.snapshot()
    at = app(mode, [("register_user", {"captcha": False, **mode.register_kwargs()})])
    at = press(fill_registration(at, **values), "Register")
    assert any(e.startswith("RegisterError") and message in e for e in errors(at)), errors(at)
    assert mode.snapshot() == before


def test_register_domains(mode: Mode) -> None:
    widgets = [("register_user", {"captcha": False, "domains": ["company.com"]})]
    at = press(fill_registration(app(mode, widgets)), "Register")
    assert "RegisterError: Email domain is not allowed to register" in errors(at)


def test_register_with_an_app_list_in_dict_mode(cookie_name: str) -> None:
    apps.CREDENTIALS.update(make_config()["credentials"])
    apps.PREAUTHORIZED[:] = ["x@y.io", "MELSBY@gmail.com"]
    widgets = [("register_user", {"captcha": False, "pre_authorized": "<shared>", "roles": ["v"]})]
    at = press(
        fill_registration(app("dict", widgets, init={"cookie_name": cookie_name})), "Register"
    )
    assert "register_user=('melsby@gmail.com', 'melsby', 'Mary Elsby')" in results(at)
    assert apps.CREDENTIALS["usernames"]["melsby"]["roles"] == ["v"]
    assert apps.PREAUTHORIZED == ["x@y.io"], "consumed from the list the app passed, as 0.4.2 does"


def test_register_merge_username_email(mode: Mode) -> None:
    kwargs = {"captcha": False, "merge_username_email": True, **mode.register_kwargs()}
    at = app(mode, [("register_user", kwargs)])
    assert not [t for t in at.text_input if t.label == "Username"][1:]
    for label, value in {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Repeat password": GOOD_PW,
    }.items():
        field(at, label).input(value)
    field(at, "Password", 1).input(GOOD_PW)
    at = press(at, "Register")
    assert "melsby@gmail.com" in mode.users()


def test_register_captcha(mode: Mode, known_captcha: str) -> None:
    at = app(mode, [("register_user", mode.register_kwargs())])
    assert at.get("image"), "the captcha image is shown"
    at = press(fill_registration(at, Captcha="0000"), "Register")
    assert "RegisterError: Captcha entered incorrectly" in errors(at)
    at = press(fill_registration(at, Captcha=known_captcha), "Register")
    assert "melsby" in mode.users()


def test_register_two_factor_is_a_cloud_error(mode: Mode) -> None:
    before = mode.snapshot()
    at = app(mode, [("register_user", {"captcha": False, "two_factor_auth": True})])
    at = press(fill_registration(at), "Register")
    assert any(e.startswith("CloudError") for e in errors(at))
    assert mode.snapshot() == before


def test_register_custom_validator_is_used(cookie_name: str) -> None:
    apps.CREDENTIALS.update(make_config()["credentials"])
    at = AppTest.from_string(
        f"""
import streamlit as st
import authgate as stauth
from tests.apps import CREDENTIALS, DICT_COOKIE_KEY

class HouseRules(stauth.Validator):
    def validate_password(self, password):
        return password == "only-this"
    def diagnose_password(self, password):
        return "house rule"

auth = stauth.Authenticate(CREDENTIALS, {cookie_name!r}, DICT_COOKIE_KEY, validator=HouseRules())
try:
    st.text(repr(auth.register_user(captcha=False, pre_authorized=None)))
except Exception as e:
    st.error(type(e).__name__ + ": " + str(e))
""",
        default_timeout=30,
    ).run()
    values = {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Username": "melsby",
        "Password": GOOD_PW,
        "Repeat password": GOOD_PW,
    }
    for label, value in values.items():
        field(at, label).input(value)
    at = press(at, "Register")
    assert "RegisterError: house rule" in errors(at)
    field(at, "Password").input("only-this")
    field(at, "Repeat password").input("only-this")
    at = press(at, "Register")
    assert "('melsby@gmail.com', 'melsby', 'Mary Elsby')" in results(at)


# ---- reset_password ---------------------------------------------------------------


def reset(at: AppTest, current: str, new: str, repeat: str | None = None) -> AppTest:
    field(at, "Current password").input(current)
    field(at, "New password").input(new)
    field(at, "Repeat password").input(new if repeat is None else repeat)
    return press(at, "Reset")


def test_reset_password_revokes_other_sessions(config_path: Path, browser_cookies) -> None:
    other = submit(start(config_path), "jsmith", "abc")
    old_cookie = pending_cookie_op(other)["value"]
    widgets = [("reset_password", {"username": "<session>", "record": True})]
    at = log_in(app(config_path, widgets))
    at = reset(at, "abc", GOOD_PW)
    assert "reset_password=True" in results(at)
    assert state(at, "authentication_status") is True
    assert apps.CALLS[0]["widget"] == "Reset password"
    # The other session's cookie no longer logs in.
    browser_cookies["authgate_test"] = old_cookie
    assert state(start(config_path), "authentication_status") is None
    # The other live session is logged out on its next rerun.
    assert state(other.run(), "authentication_status") is None
    assert state(submit(start(config_path), "jsmith", "abc"), "authentication_status") is False
    assert state(submit(start(config_path), "jsmith", GOOD_PW), "authentication_status") is True


@pytest.mark.parametrize(
    ("current", "new", "repeat", "expected"),
    [
        ("wrong", GOOD_PW, GOOD_PW, "CredentialsError: Password is incorrect"),
        ("abc", GOOD_PW, "Other!pass1", "ResetError: Passwords do not match"),
        ("abc", "", "", "ResetError: No new password provided"),
        ("abc", "weak", "weak", "ResetError: **Password must:**"),
    ],
)
def test_reset_password_refusals(mode: Mode, current, new, repeat, expected) -> None:
    at = log_in(app(mode, [("reset_password", {"username": "<session>"})]))
    before = mode.users()["jsmith"]["password"]
    at = reset(at, current, new, repeat)
    assert any(e.startswith(expected) for e in errors(at)), errors(at)
    assert mode.users()["jsmith"]["password"] == before


def test_reset_password_needs_a_login(mode: Mode) -> None:
    at = app(mode, [("reset_password", {"username": "jsmith"})])
    assert any(e.startswith("ResetError") for e in errors(at))


# ---- forgot_password --------------------------------------------------------------


def forgot(at: AppTest, username: str) -> AppTest:
    field(at, "Username", 1).input(username)
    return press(at, "Submit")


def test_forgot_password_keeps_the_old_password_until_the_new_is_used(mode: Mode) -> None:
    at = forgot(app(mode, [("forgot_password", {"record": True})]), "jsmith")
    result = next(r for r in results(at) if r.startswith("forgot_password="))
    username, email, new_password = ast.literal_eval(result.split("=", 1)[1])
    assert (username, email) == ("jsmith", "jsmith@gmail.com")
    assert stauth_validator().validate_password(new_password)
    assert apps.CALLS[0]["random_password"] == new_password
    # Anyone can request a reset; the owner's password still works.
    assert mode.logs_in("jsmith", "abc") is True
    # The new one works too, and from then on replaces the old one.
    assert mode.logs_in("jsmith", new_password) is True
    assert mode.logs_in("jsmith", "abc") is False


def stauth_validator():
    import authgate

    return authgate.Validator()


def test_forgot_password_unknown_user(mode: Mode) -> None:
    before = mode.snapshot()
    at = forgot(app(mode, [("forgot_password", {})]), "nobody")
    assert "forgot_password=(False, None, None)" in results(at)
    assert mode.snapshot() == before


@pytest.mark.parametrize("flag", ["send_email", "two_factor_auth"])
def test_forgot_password_email_is_a_cloud_error(mode: Mode, flag: str) -> None:
    before = mode.snapshot()
    at = forgot(app(mode, [("forgot_password", {flag: True})]), "jsmith")
    assert any(e.startswith("CloudError") for e in errors(at))
    assert mode.snapshot() == before


def test_forgot_password_without_a_username(mode: Mode) -> None:
    at = forgot(app(mode, [("forgot_password", {})]), " ")
    assert "ForgotError: Username not provided" in errors(at)


def test_forgot_password_captcha(config_path: Path, known_captcha: str) -> None:
    at = app(config_path, [("forgot_password", {"captcha": True})])
    field(at, "Captcha").input("9999")
    at = forgot(at, "jsmith")
    assert "ForgotError: Captcha entered incorrectly" in errors(at)
    field(at, "Captcha").input(known_captcha)
    at = forgot(at, "jsmith")
    assert any(r.startswith("forgot_password=('jsmith'") for r in results(at))


def test_a_blank_captcha_is_not_entered_and_a_picture_answers_once(config_path: Path) -> None:
    at = app(config_path, [("forgot_password", {"captcha": True})])
    at = forgot(at, "jsmith")
    assert "ForgotError: Captcha not entered" in errors(at)
    # The core keeps the answer; the app holds an id that works once.
    png, captcha_id = _core.new_captcha("2468")
    assert png.startswith(b"\x89PNG")
    assert _core.answer_captcha(captcha_id, " 2468 ")[0] == "right"
    assert _core.answer_captcha(captcha_id, "2468")[0] == "wrong"


# ---- forgot_username --------------------------------------------------------------


def test_forgot_username(mode: Mode) -> None:
    at = app(mode, [("forgot_username", {"record": True})])
    field(at, "Email").input("RBriggs@gmail.com")
    at = press(at, "Submit")
    assert "forgot_username=('rbriggs', 'RBriggs@gmail.com')" in results(at)
    field(at, "Email").input("nobody@gmail.com")
    at = press(at, "Submit")
    assert "forgot_username=(False, 'nobody@gmail.com')" in results(at)
    assert apps.CALLS[0]["widget"] == "Forgot username"


@pytest.mark.parametrize("flag", ["send_email", "two_factor_auth"])
def test_forgot_username_email_is_a_cloud_error(mode: Mode, flag: str) -> None:
    at = app(mode, [("forgot_username", {flag: True})])
    field(at, "Email").input("rbriggs@gmail.com")
    at = press(at, "Submit")
    assert any(e.startswith("CloudError") for e in errors(at))


def test_forgot_username_without_an_email(mode: Mode) -> None:
    at = app(mode, [("forgot_username", {})])
    at = press(at, "Submit")
    assert "ForgotError: Email not provided" in errors(at)


# ---- update_user_details ----------------------------------------------------------


def update(at: AppTest, choice: str, value: str, password: str | None = "abc") -> AppTest:
    at.selectbox[0].select(choice)
    field(at, "New value").input(value)
    if password is not None:
        field(at, "Password").input(password)
    return press(at, "Update")


def test_changing_the_email_needs_the_current_password(mode: Mode) -> None:
    """The review's attack: whoever holds a session (a stolen cookie, an
    unattended browser) redirects password resets to their own address."""
    at = log_in(app(mode, [("update_user_details", {"username": "<session>"})]))
    at = update(at, "Email", "attacker@example.com", password=None)
    assert "UpdateError: Enter your current password to change the email" in errors(at)
    at = update(at, "Email", "attacker@example.com", password="wrong")
    assert any(e.startswith("CredentialsError") for e in errors(at)), errors(at)
    assert mode.users()["jsmith"]["email"] == "jsmith@gmail.com"
    # Guessing it through this form locks the account like the login does.
    for _ in range(4):
        at = update(at, "Email", "attacker@example.com", password="wrong")
    at = update(at, "Email", "attacker@example.com", password="abc")
    assert any("UpdateError" in e for e in errors(at)), errors(at)
    assert mode.users()["jsmith"]["email"] == "jsmith@gmail.com"


def test_the_widgets_refuse_another_users_name(mode: Mode) -> None:
    at = log_in(app(mode, [("update_user_details", {"username": "rbriggs"})]))
    # jsmith's session never gets a form for rbriggs's details.
    assert any(e.startswith("UpdateError") for e in errors(at)), errors(at)
    assert not [t for t in at.text_input if t.label == "New value"]
    at = log_in(app(mode, [("reset_password", {"username": "rbriggs"})]))
    assert any(e.startswith("ResetError") for e in errors(at)), errors(at)
    assert not [t for t in at.text_input if t.label == "New password"]


def test_update_details_refreshes_state_store_and_cookie(mode: Mode) -> None:
    widgets = [("update_user_details", {"username": "<session>", "record": True})]
    at = log_in(app(mode, widgets))
    at = update(at, "First name", "Johnny")
    assert "update_user_details=True" in results(at)
    assert state(at, "name") == "Johnny Smith"
    assert mode.users()["jsmith"]["first_name"] == "Johnny"
    assert pending_cookie_op(at)["value"], "a fresh cookie is queued"
    at = update(at, "Email", "johnny@gmail.com")
    assert state(at, "email") == "johnny@gmail.com"
    assert apps.CALLS[-1] == {
        "widget": "Update user details",
        "username": "jsmith",
        "field": "email",
        "new_value": "johnny@gmail.com",
        "email": "johnny@gmail.com",
        "name": "Johnny Smith",
        "roles": ["admin", "editor", "viewer"],
    }


@pytest.mark.parametrize(
    ("choice", "value", "expected"),
    [
        ("Email", "RBRIGGS@gmail.com", "UpdateError: Email already taken"),
        ("First name", "John", "UpdateError: New and current values are the same"),
        ("Email", "nope", "UpdateError: Email is not valid"),
        ("Last name", "5", "UpdateError: Last name is not valid"),
    ],
)
def test_update_details_refusals(mode: Mode, choice, value, expected) -> None:
    at = log_in(app(mode, [("update_user_details", {"username": "<session>"})]))
    before = copy.deepcopy(mode.users()["jsmith"])
    at = update(at, choice, value)
    assert expected in errors(at)
    after = mode.users()["jsmith"]
    assert {k: after[k] for k in ("email", "first_name", "last_name")} == {
        k: before[k] for k in ("email", "first_name", "last_name")
    }


def test_update_details_in_dict_mode(cookie_name: str) -> None:
    apps.CREDENTIALS.update(make_config()["credentials"])
    widgets = [("update_user_details", {"username": "<session>"})]
    at = log_in(app("dict", widgets, init={"cookie_name": cookie_name}))
    update(at, "Last name", "Smithers")
    assert apps.CREDENTIALS["usernames"]["jsmith"]["last_name"] == "Smithers"


def test_login_captcha_is_redrawn_after_every_attempt(config_path: Path, known_captcha) -> None:
    at = AppTest.from_function(
        apps.login_app, args=(str(config_path), {}, {"captcha": True}, {}), default_timeout=30
    ).run()
    tokens = set()

    def attempt(answer: str) -> AppTest:
        tokens.add(at.session_state["_authgate_captcha_Login-captcha"][1])
        field(at, "Username").input("jsmith")
        field(at, "Password").input("abc")
        field(at, "Captcha").input(answer)
        return press(at, "Login")

    at = attempt("1111")
    assert "Captcha entered incorrectly" in [e.value for e in at.error]
    assert state(at, "authentication_status") is None
    at = attempt(known_captcha)
    assert state(at, "authentication_status") is True
    assert len(tokens) == 2, "a new challenge after the failed attempt"
