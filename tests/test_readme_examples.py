"""Every code block of streamlit-authenticator's README (0.4.2) and of the
"Part 2" tutorial, pasted into an app with ``import authgate as stauth``.

Each test builds the app a user would write: the README's set-up block (or
the tutorial's ``login('Login', 'main')``), then the block under test, then
drives it through AppTest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests.conftest import make_config, write_yaml

README_SETUP = """
import streamlit as st
import authgate as stauth

import yaml
from yaml.loader import SafeLoader

with open('{config}') as file:
    config = yaml.load(file, Loader=SafeLoader)

# Pre-hashing all plain text passwords once
# stauth.Hasher.hash_passwords(config['credentials'])

authenticator = stauth.Authenticate(
    config['credentials'],
    config['cookie']['name'],
    config['cookie']['key'],
    config['cookie']['expiry_days']
)
"""

README_LOGIN = """
try:
    authenticator.login()
except Exception as e:
    st.error(e)
"""

README_STATUS = """
if st.session_state.get('authentication_status'):
    authenticator.logout()
    st.write(f'Welcome *{st.session_state.get("name")}*')
    st.title('Some content')
elif st.session_state.get('authentication_status') is False:
    st.error('Username/password is incorrect')
elif st.session_state.get('authentication_status') is None:
    st.warning('Please enter your username and password')
"""

README_RESET = """
if st.session_state.get('authentication_status'):
    try:
        if authenticator.reset_password(st.session_state.get('username')):
            st.success('Password modified successfully')
    except Exception as e:
        st.error(e)
"""

README_REGISTER = """
try:
    email_of_registered_user, \\
    username_of_registered_user, \\
    name_of_registered_user = authenticator.register_user(pre_authorized=config['pre-authorized']['emails'])
    if email_of_registered_user:
        st.success('User registered successfully')
except Exception as e:
    st.error(e)
"""

README_FORGOT_PASSWORD = """
try:
    username_of_forgotten_password, \\
    email_of_forgotten_password, \\
    new_random_password = authenticator.forgot_password()
    if username_of_forgotten_password:
        st.success('New password to be sent securely')
        # The developer should securely transfer the new password to the user.
    elif username_of_forgotten_password == False:
        st.error('Username not found')
except Exception as e:
    st.error(e)
"""

README_FORGOT_USERNAME = """
try:
    username_of_forgotten_username, \\
    email_of_forgotten_username = authenticator.forgot_username()
    if username_of_forgotten_username:
        st.success('Username to be sent securely')
        # The developer should securely transfer the username to the user.
    elif username_of_forgotten_username == False:
        st.error('Email not found')
except Exception as e:
    st.error(e)
"""

README_UPDATE = """
if st.session_state.get('authentication_status'):
    try:
        if authenticator.update_user_details(st.session_state.get('username')):
            st.success('Entries updated successfully')
    except Exception as e:
        st.error(e)
"""

README_SAVE = """
with open('{config}', 'w') as file:
    yaml.dump(config, file, default_flow_style=False, allow_unicode=True)
"""

README_HASH_PASSWORDS = """
stauth.Hasher.hash_passwords(config['credentials'])
"""

# ---- the Part 2 tutorial (streamlit-authenticator 0.2 API) ---------------------------

PART2_SETUP = (
    README_SETUP
    + """
name, authentication_status, username = authenticator.login('Login', 'main')
"""
)

PART2_RESET = """
if authentication_status:
    try:
        if authenticator.reset_password(username, 'Reset password'):
            st.success('Password modified successfully')
    except Exception as e:
        st.error(e)
"""

PART2_REGISTER = """
try:
    if authenticator.register_user('Register user', preauthorization=False):
        st.success('User registered successfully')
except Exception as e:
    st.error(e)
"""

PART2_FORGOT_PASSWORD = """
try:
    username_forgot_pw, email_forgot_password, random_password = authenticator.forgot_password('Forgot password')
    if username_forgot_pw:
        st.success('New password sent securely')
        # Random password to be transferred to user securely
    elif username_forgot_pw == False:
        st.error('Username not found')
except Exception as e:
    st.error(e)
"""

PART2_FORGOT_USERNAME = """
try:
    username_forgot_username, email_forgot_username = authenticator.forgot_username('Forgot username')
    if username_forgot_username:
        st.success('Username sent securely')
        # Username to be transferred to user securely
    else:
        st.error('Email not found')
except Exception as e:
    st.error(e)
"""

PART2_UPDATE = """
if authentication_status:
    try:
        if authenticator.update_user_details(username, 'Update user details'):
            st.success('Entries updated successfully')
    except Exception as e:
        st.error(e)
"""

PART2_SAVE = """
with open('{config}', 'w') as file:
    yaml.dump(config, file, default_flow_style=False)
"""

GOOD_PW = "Str0ng!pass"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "config.yaml", make_config(plaintext=True))


def run(config: Path, *blocks: str) -> AppTest:
    source = "\n".join(b.replace("{config}", str(config)) for b in blocks)
    return AppTest.from_string(source, default_timeout=30).run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def field(at: AppTest, label: str, nth: int = 0):
    return [t for t in at.text_input if t.label == label][nth]


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def log_in(at: AppTest, username: str = "jsmith", password: str = "abc") -> AppTest:
    field(at, "Username").input(username)
    field(at, "Password").input(password)
    return press(at, "Login")


def assert_clean(at: AppTest) -> None:
    """No exception and no error: the README code catches every exception
    into ``st.error``, so checking ``at.exception`` alone could never fail."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, texts(at, "error")


def assert_error(at: AppTest, expected: str) -> None:
    """Exactly the error ``expected``, and no exception."""
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at, "error") == [expected]


# ---- README ---------------------------------------------------------------------


def test_readme_setup_and_login(config_file: Path) -> None:
    at = run(config_file, README_SETUP, README_LOGIN, README_STATUS)
    assert_clean(at)
    assert "Please enter your username and password" in texts(at, "warning")
    at = log_in(at, "jsmith", "wrong")
    assert_error(at, "Username/password is incorrect")
    at = log_in(at)
    assert_clean(at)
    assert "Welcome *John Smith*" in texts(at, "markdown")
    assert "Some content" in texts(at, "title")


def test_readme_logout(config_file: Path) -> None:
    at = log_in(run(config_file, README_SETUP, README_LOGIN, README_STATUS, README_SAVE))
    assert_clean(at)
    at = press(at, "Logout")
    assert_clean(at)
    # Dict mode does not rerun, so the run that logged out reaches the save.
    saved = yaml.safe_load(config_file.read_text())["credentials"]["usernames"]
    assert saved["jsmith"]["logged_in"] is False
    # The browser's acknowledgement of the cookie deletion reruns the page.
    at = at.run()
    assert_clean(at)
    assert "Please enter your username and password" in texts(at, "warning")


def test_readme_hash_passwords(config_file: Path) -> None:
    at = run(config_file, README_SETUP, README_HASH_PASSWORDS, README_SAVE)
    assert_clean(at)
    saved = yaml.safe_load(config_file.read_text())["credentials"]["usernames"]
    assert all(u["password"].startswith("$2b$12$") for u in saved.values())


def test_readme_reset_password(config_file: Path) -> None:
    at = log_in(run(config_file, README_SETUP, README_LOGIN, README_RESET, README_SAVE))
    assert_clean(at)
    field(at, "Current password").input("abc")
    field(at, "New password").input(GOOD_PW)
    field(at, "Repeat password").input(GOOD_PW)
    at = press(at, "Reset")
    assert_clean(at)
    assert "Password modified successfully" in texts(at, "success")


def test_readme_register_user(config_file: Path) -> None:
    at = run(config_file, README_SETUP, README_LOGIN, README_REGISTER, README_SAVE)
    assert_clean(at)
    for label, value in {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Repeat password": GOOD_PW,
    }.items():
        field(at, label).input(value)
    field(at, "Username", 1).input("melsby")
    field(at, "Password", 1).input(GOOD_PW)
    field(at, "Captcha").input("0000")
    at = press(at, "Register")
    assert_error(at, "Captcha entered incorrectly")
    saved = yaml.safe_load(config_file.read_text())
    assert "melsby" not in saved["credentials"]["usernames"]


def test_readme_register_user_without_captcha_saves_through_the_app(config_file: Path) -> None:
    block = README_REGISTER.replace(
        "register_user(pre_authorized=", "register_user(captcha=False, pre_authorized="
    )
    at = run(config_file, README_SETUP, README_LOGIN, block, README_SAVE)
    assert_clean(at)
    for label, value in {
        "First name": "Mary",
        "Last name": "Elsby",
        "Email": "melsby@gmail.com",
        "Repeat password": GOOD_PW,
    }.items():
        field(at, label).input(value)
    field(at, "Username", 1).input("melsby")
    field(at, "Password", 1).input(GOOD_PW)
    at = press(at, "Register")
    assert_clean(at)
    assert "User registered successfully" in texts(at, "success")
    saved = yaml.safe_load(config_file.read_text())
    assert saved["credentials"]["usernames"]["melsby"]["email"] == "melsby@gmail.com"
    assert saved["pre-authorized"]["emails"] == []


def test_readme_forgot_password(config_file: Path) -> None:
    at = run(config_file, README_SETUP, README_LOGIN, README_FORGOT_PASSWORD, README_SAVE)
    assert_clean(at)
    field(at, "Username", 1).input("nobody")
    at = press(at, "Submit")
    assert_error(at, "Username not found")
    field(at, "Username", 1).input("jsmith")
    at = press(at, "Submit")
    assert_clean(at)
    assert "New password to be sent securely" in texts(at, "success")


def test_readme_forgot_username(config_file: Path) -> None:
    at = run(config_file, README_SETUP, README_LOGIN, README_FORGOT_USERNAME)
    assert_clean(at)
    field(at, "Email").input("rbriggs@gmail.com")
    at = press(at, "Submit")
    assert_clean(at)
    assert "Username to be sent securely" in texts(at, "success")
    field(at, "Email").input("nobody@gmail.com")
    at = press(at, "Submit")
    assert_error(at, "Email not found")


def test_readme_update_user_details(config_file: Path) -> None:
    at = log_in(run(config_file, README_SETUP, README_LOGIN, README_UPDATE, README_SAVE))
    assert_clean(at)
    at.selectbox[0].select("Last name")
    field(at, "New value").input("Smithers")
    at = press(at, "Update")
    assert_clean(at)
    assert "Entries updated successfully" in texts(at, "success")
    saved = yaml.safe_load(config_file.read_text())
    assert saved["credentials"]["usernames"]["jsmith"]["last_name"] == "Smithers"


# ---- Part 2 ---------------------------------------------------------------------


def test_part2_reset_password(config_file: Path) -> None:
    at = log_in(run(config_file, PART2_SETUP, PART2_RESET, PART2_SAVE))
    assert_clean(at)
    assert [s.value for s in at.subheader] == ["Reset password"]
    field(at, "Current password").input("abc")
    field(at, "New password").input(GOOD_PW)
    field(at, "Repeat password").input(GOOD_PW)
    at = press(at, "Reset")
    assert_clean(at)
    assert "Password modified successfully" in texts(at, "success")


def test_part2_register_user_without_preauthorization(config_file: Path) -> None:
    block = PART2_REGISTER.replace(
        "preauthorization=False", "preauthorization=False, captcha=False"
    )
    at = run(config_file, PART2_SETUP, block, PART2_SAVE)
    assert_clean(at)
    for label, value in {
        "First name": "Anna",
        "Last name": "Other",
        "Email": "anna@elsewhere.org",
        "Repeat password": GOOD_PW,
    }.items():
        field(at, label).input(value)
    field(at, "Username", 1).input("anna")
    field(at, "Password", 1).input(GOOD_PW)
    at = press(at, "Register")
    assert_clean(at)
    saved = yaml.safe_load(config_file.read_text())
    assert "anna" in saved["credentials"]["usernames"], "not on the pre-authorized list: allowed"


def test_part2_register_user_as_written(config_file: Path) -> None:
    at = run(config_file, PART2_SETUP, PART2_REGISTER)
    assert_clean(at)
    assert "Register user" in [s.value for s in at.subheader]


def test_part2_forgot_password(config_file: Path) -> None:
    at = run(config_file, PART2_SETUP, PART2_FORGOT_PASSWORD, PART2_SAVE)
    assert_clean(at)
    field(at, "Username", 1).input("jsmith")
    at = press(at, "Submit")
    assert_clean(at)
    assert "New password sent securely" in texts(at, "success")


def test_part2_forgot_username(config_file: Path) -> None:
    at = run(config_file, PART2_SETUP, PART2_FORGOT_USERNAME)
    # The tutorial's bare ``else`` shows its error before anything is submitted
    # (the widget returns None until its form is submitted).
    assert_error(at, "Email not found")
    field(at, "Email").input("jsmith@gmail.com")
    at = press(at, "Submit")
    assert_clean(at)
    assert "Username sent securely" in texts(at, "success")


def test_part2_update_user_details(config_file: Path) -> None:
    at = log_in(run(config_file, PART2_SETUP, PART2_UPDATE, PART2_SAVE))
    assert_clean(at)
    at.selectbox[0].select("Email")
    field(at, "New value").input("john@example.com")
    at = press(at, "Update")
    # authgate asks for the current password before it changes the email.
    assert_error(at, "Enter your current password to change the email")
    field(at, "Password").input("abc")
    at = press(at, "Update")
    assert_clean(at)
    assert "Entries updated successfully" in texts(at, "success")
    saved = yaml.safe_load(config_file.read_text())
    assert saved["credentials"]["usernames"]["jsmith"]["email"] == "john@example.com"
