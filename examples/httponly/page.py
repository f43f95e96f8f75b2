"""The page of examples/httponly/app.py: log in, log out, in HttpOnly cookie mode.

It uses the config file named by AUTHGATE_CONFIG, or examples/config.yaml
(whose plaintext passwords are hashed on first start: use a copy).
"""

import os
from pathlib import Path

import streamlit as st

import authgate as stauth

CONFIG = os.environ.get("AUTHGATE_CONFIG", str(Path(__file__).parents[1] / "config.yaml"))

authenticator = stauth.Authenticate(CONFIG, cookie_mode="httponly")

try:
    authenticator.login()
except stauth.LoginError as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state.get('name')}*")
    st.caption("Your login cookie is HttpOnly: no script on this page can read it.")
elif st.session_state.get("authentication_status") is False:
    st.error("Username/password is incorrect")
else:
    st.warning("Please enter your username and password")
