import streamlit as st

from core.names import MAX_LENGTH, NameRefused
from dashboard import classroom, session

st.title("Join the class")
st.write("This dashboard is run by your teacher for the whole class. Give the name the class will "
         "know you by: your trainings and runs are shown with it, to your teacher and to the other "
         "students. No password, no account: this browser keeps who you are.")
with st.form("join"):
    name = st.text_input("Your name", max_chars=MAX_LENGTH, placeholder="e.g. Ada L.",
                         help=f"1 to {MAX_LENGTH} characters. Two students cannot have the same name "
                              "(capitals and look-alike characters count as the same).")
    joined = st.form_submit_button("Join", type="primary")
if joined:
    try:
        classroom.names().claim(session.owner(), name)
    except NameRefused as refusal:
        st.error(str(refusal))
    else:
        st.rerun()
st.caption("On a shared computer, someone else's name may be kept by this browser: "
           "\"I'm someone else\", in the sidebar, starts afresh.")
