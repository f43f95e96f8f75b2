"""The streamlit-authenticator README app, running on authgate.

Run it with the demo command in README.md. It uses the config file named by
AUTHGATE_CONFIG (the demo script points it at a working copy of
examples/config.yaml, whose plaintext passwords are hashed on first start).
"""

import os
from pathlib import Path

import streamlit as st

import authgate as stauth

CONFIG = os.environ.get("AUTHGATE_CONFIG", str(Path(__file__).with_name("config.yaml")))

authenticator = stauth.Authenticate(CONFIG)

try:
    authenticator.login(max_login_attempts=5)
except stauth.LoginError as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state.get('name')}*")
    st.title("Some content")
elif st.session_state.get("authentication_status") is False:
    st.error("Username/password is incorrect")
elif st.session_state.get("authentication_status") is None:
    st.warning("Please enter your username and password")
