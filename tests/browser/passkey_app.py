"""The README's login with passkeys: enroll_passkey() and manage_passkeys()
for the logged-in user, path mode; the config path comes from
AUTHGATE_CONFIG."""

import os

import streamlit as st

import authgate as stauth

authenticator = stauth.Authenticate(os.environ["AUTHGATE_CONFIG"], app_name="Acme Reports")

try:
    authenticator.login()
except stauth.LoginError as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state['name']}*")
    try:
        authenticator.enroll_passkey(name="Laptop")
        authenticator.manage_passkeys()
    except (stauth.ResetError, stauth.AuthenticateError) as e:
        st.error(e)
elif st.session_state.get("authentication_status") is False:
    st.error("Username/password is incorrect")
