import streamlit as st

st.title("Reports")
st.write(f"Quarterly figures for {st.session_state['name']}: every logged-in user sees them.")
