import streamlit as st

from dashboard import class_controls, class_view, classroom, session

st.title("Class")
if not classroom.class_mode():
    st.info("Class mode is off: whoever starts the server turns it on by setting a teacher's password "
            f"({classroom.TEACHER_PASSWORD_ENV}, or `teacher_password` under `[class]` in "
            "`.streamlit/secrets.toml`). Students then give a name, and this page is the teacher's.",
            icon=":material/school:")
    st.stop()

if not classroom.is_teacher():
    st.caption("This page is your teacher's: students, their trainings, the limits and the challenge.")
    with st.form("teacher-sign-in"):
        password = st.text_input("Teacher's password", type="password")
        signed = st.form_submit_button("Sign in as the teacher")
    if signed:
        if why := classroom.sign_in(password, session.owner()):
            st.error(why)
        else:
            st.rerun()
    st.stop()

left, right = st.columns([4, 1], vertical_alignment="center")
left.caption("You are signed in as the teacher in this browser tab. Every student's page updates from "
             "what you set here.")
if right.button("Sign out", icon=":material/logout:"):
    classroom.sign_out()
    st.rerun()

class_controls.refusal()
class_view.live()
class_view.chart()

st.subheader("Challenge")
class_controls.challenge()

st.subheader("Settings")
class_controls.limits()
class_controls.pick()
class_controls.export_and_clear()
