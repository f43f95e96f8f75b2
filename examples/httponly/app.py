"""The demo login in HttpOnly cookie mode: `streamlit run examples/httponly/app.py`.

This file only builds the server: page.py, the Streamlit page, is served by
``st.App`` together with authgate's cookie routes, so that the login cookie
is set by the server with ``HttpOnly`` and no page script can read it.
"""

import streamlit as st

import authgate as stauth

app = st.App("page.py", routes=stauth.routes())
