import streamlit as st

st.title("Admin")
st.write("Only users with the admin role ever run this script.")
st.metric("Users", 42)
