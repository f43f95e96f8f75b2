"""The README's login, path mode, behind a reverse proxy that sets X-Real-IP.

The config path comes from AUTHGATE_CONFIG.
"""

import os

import streamlit as st

import authgate as stauth

authenticator = stauth.Authenticate(os.environ["AUTHGATE_CONFIG"], client_ip_header="X-Real-IP")

try:
    authenticator.login()
except Exception as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state.get('name')}*")
elif st.session_state.get("authentication_status") is False:
    st.error("Username/password is incorrect")
