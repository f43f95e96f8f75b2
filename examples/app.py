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
            # Anyone can type any username here, so the new password is never
            # shown on the page, and known and unknown usernames get the same
            # answer. Deliver new_password to `email` out of band (see README,
            # "Delivering a new password"); the current password keeps working
            # until the new one is first used.
            if username is not None:
                st.info("If that account exists, its owner will receive a new password.")
        except stauth.ForgotError as e:
            st.error(e)
    with forgot_user_tab:
        try:
            username, email = authenticator.forgot_username()
            # Likewise: send the username to `email`, never show it here.
            if username is not None:
                st.info("If an account uses that email, its owner will receive the username.")
        except stauth.ForgotError as e:
            st.error(e)
