"""The seed README's forgot password and register widgets with
two_factor_auth=True, path mode; the config path comes from AUTHGATE_CONFIG
and the mail server from AUTHGATE_SMTP_URL."""

import os

import streamlit as st

import authgate as stauth

authenticator = stauth.Authenticate(os.environ["AUTHGATE_CONFIG"], app_name="Acme Reports")

try:
    username, email, new_password = authenticator.forgot_password(
        two_factor_auth=True, send_email=True
    )
    if username:
        st.success("New password sent securely")
    elif username is False:
        st.error("Username not found")
except (stauth.ForgotError, stauth.CloudError) as e:
    st.error(e)

try:
    email, username, name = authenticator.register_user(captcha=False, two_factor_auth=True)
    if email:
        st.success(f"User {username} registered successfully")
except (stauth.RegisterError, stauth.CloudError) as e:
    st.error(e)
