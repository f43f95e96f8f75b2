import streamlit as st

st.title("Home")
st.write("Anyone can read this page.")
if not st.session_state.get("authentication_status"):
    st.info("Open Reports in the menu to log in.")
