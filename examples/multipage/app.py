"""A multipage app whose pages are for roles, on authgate.

    streamlit run examples/multipage/app.py

It uses the config file named by AUTHGATE_CONFIG (the demo's working copy,
or examples/config.yaml). Everyone sees Home; Reports is for any logged-in
user; Admin only for users with the "admin" role. A link to /admin opened
while logged out shows the login form, then the Admin page itself. The
page scripts live in views/, not pages/: Streamlit would run scripts in a
pages/ folder as pages of their own, without the guard.
"""

import os
from pathlib import Path

import streamlit as st

import authgate as stauth

HERE = Path(__file__).parent
CONFIG = os.environ.get("AUTHGATE_CONFIG", str(HERE.parent / "config.yaml"))

authenticator = stauth.Authenticate(CONFIG)

page = authenticator.navigation(
    [
        stauth.Page(HERE / "views" / "home.py", title="Home", public=True, default=True),
        stauth.Page(HERE / "views" / "reports.py", title="Reports"),
        stauth.Page(HERE / "views" / "admin.py", title="Admin", roles=["admin"]),
    ]
)

if st.session_state.get("authentication_status"):
    with st.sidebar:
        st.write(f"Logged in as *{st.session_state['name']}*")
        authenticator.logout()

page.run()
