"""The streamlit-authenticator README app, running on authgate.

Run it with the demo command in README.md. It uses the config file named by
AUTHGATE_CONFIG (the demo script points it at a working copy of
examples/config.yaml, whose plaintext passwords are hashed on first start).
AUTHGATE_DEMO_CAPTCHA=0 turns the registration captcha off (browser tests);
AUTHGATE_SMTP_URL=smtp://user:password@host:587?from=... mails a password
reset link and forgotten usernames (the link points at this page: set
AUTHGATE_APP_URL to its public address when it is not served on localhost).
"""

import os
from pathlib import Path

import streamlit as st

import authgate as stauth

CONFIG = os.environ.get("AUTHGATE_CONFIG", str(Path(__file__).with_name("config.yaml")))
CAPTCHA = os.environ.get("AUTHGATE_DEMO_CAPTCHA", "1") != "0"
# Mail a reset link and the forgotten username when a mail server is named.
MAIL = bool(os.environ.get("AUTHGATE_SMTP_URL"))

authenticator = stauth.Authenticate(CONFIG)

try:
    authenticator.login(max_login_attempts=5)
except stauth.LoginError as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state.get('name')}*")
    st.title("Some content")
    # A keyed tab set keeps the open tab when a button in it reruns the page.
    reset_tab, update_tab, sessions_tab = st.tabs(
        ["Reset password", "Update details", "Sessions"], key="account", on_change="rerun"
    )
    with reset_tab:
        try:
            if authenticator.reset_password(st.session_state.get("username")):
                st.success("Password modified successfully")
        except (stauth.CredentialsError, stauth.ResetError) as e:
            st.error(e)
    with update_tab:
        try:
            if authenticator.update_user_details(st.session_state.get("username")):
                st.success("Entries updated successfully")
        except stauth.UpdateError as e:
            st.error(e)
    with sessions_tab:
        # Every browser logged in as you; end one, or all but this one.
        authenticator.sessions()
else:
    if st.session_state.get("authentication_status") is False:
        st.error("Username/password is incorrect")
    else:
        st.warning("Please enter your username and password")
    register_tab, forgot_pw_tab, forgot_user_tab = st.tabs(
        ["Register", "Forgot password", "Forgot username"]
    )
    with register_tab:
        try:
            email, username, name = authenticator.register_user(captcha=CAPTCHA)
            if email:
                st.success(f"User {username} registered successfully")
        except (stauth.RegisterError, stauth.LoginError) as e:
            st.error(e)
    with forgot_pw_tab:
        try:
            # Anyone can type any username here, so nothing about the account
            # is shown on the page, and known and unknown usernames get the
            # same answer. With a mail server configured (README, "Email") the
            # user is mailed a link that works once, for 30 minutes, and opens
            # this tab's form to choose a new password. Without one, 0.4.2's
            # random password is issued but not shown: the current password
            # keeps working.
            username, email, new_password = authenticator.forgot_password(reset_link=MAIL)
            if username is not None:
                st.info("If that account exists, its owner will receive an email.")
        except (stauth.ForgotError, stauth.CloudError) as e:
            st.error(e)
    with forgot_user_tab:
        try:
            # Likewise: the username is mailed, never shown here.
            username, email = authenticator.forgot_username(send_email=MAIL)
            if username is not None:
                st.info("If an account uses that email, its owner will receive the username.")
        except (stauth.ForgotError, stauth.CloudError) as e:
            st.error(e)
