"""The streamlit-authenticator README app, running on authgate.

Run it with the demo command in README.md. It uses the config file named by
AUTHGATE_CONFIG (the demo script points it at a working copy of
examples/config.yaml, whose plaintext passwords are hashed on first start).
AUTHGATE_DEMO_CAPTCHA=0 turns the registration captcha off (browser tests).
"""

import os
from pathlib import Path

import streamlit as st

import authgate as stauth

CONFIG = os.environ.get("AUTHGATE_CONFIG", str(Path(__file__).with_name("config.yaml")))
CAPTCHA = os.environ.get("AUTHGATE_DEMO_CAPTCHA", "1") != "0"

authenticator = stauth.Authenticate(CONFIG)

try:
    authenticator.login(max_login_attempts=5)
except stauth.LoginError as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state.get('name')}*")
    st.title("Some content")
    reset_tab, update_tab = st.tabs(["Reset password", "Update details"])
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
            username, email, new_password = authenticator.forgot_password()
            if username:
                st.success(f"New password for {username} (deliver it securely): {new_password}")
            elif username is False:
                st.error("Username not found")
        except stauth.ForgotError as e:
            st.error(e)
    with forgot_user_tab:
        try:
            username, email = authenticator.forgot_username()
            if username:
                st.success(f"The username for {email} is {username}")
            elif username is False:
                st.error("Email not found")
        except stauth.ForgotError as e:
            st.error(e)
