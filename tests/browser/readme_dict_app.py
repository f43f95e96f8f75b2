"""streamlit-authenticator's README app, dict mode, with `import authgate as stauth`.

The config path comes from AUTHGATE_CONFIG; everything else is the README's
code: load the YAML, build Authenticate from config['credentials'], log in,
save the YAML at the end of the script.
"""

import os

import streamlit as st
import yaml
from yaml.loader import SafeLoader

import authgate as stauth

with open(os.environ["AUTHGATE_CONFIG"]) as file:
    config = yaml.load(file, Loader=SafeLoader)

authenticator = stauth.Authenticate(
    config["credentials"],
    config["cookie"]["name"],
    config["cookie"]["key"],
    config["cookie"]["expiry_days"],
)

try:
    authenticator.login()
except Exception as e:
    st.error(e)

if st.session_state.get("authentication_status"):
    authenticator.logout()
    st.write(f"Welcome *{st.session_state.get('name')}*")
elif st.session_state.get("authentication_status") is False:
    st.error("Username/password is incorrect")
elif st.session_state.get("authentication_status") is None:
    st.warning("Please enter your username and password")

with open(os.environ["AUTHGATE_CONFIG"], "w") as file:
    yaml.dump(config, file, default_flow_style=False, allow_unicode=True)
