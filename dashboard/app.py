"""MNIST Explorer: the entry point (`streamlit run dashboard/app.py`)."""

import logging

import streamlit as st

from core.data import MnistUnavailable
from dashboard import cached_data, classroom, compat, guide, pages, server, session
from dashboard.text import for_markdown, said

# Operators read what core and the dashboard log in the terminal that runs the server.
for name in ("core", "dashboard"):
    if not logging.getLogger(name).handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
compat.keep_keras_state_between_runs()

st.set_page_config(page_title="MNIST Explorer", page_icon=":material/draw:", layout="wide")
session.keep_owner_in_browser()  # who this browser is: its cookie, read back on every load

try:
    dataset = cached_data.mnist()
except MnistUnavailable as problem:
    st.session_state[session.DATASET_PROBLEM] = problem.reasons
    navigation = st.navigation([st.Page(pages.NO_DATA, title="Get the data", icon=":material/download:")])
else:
    server.trainings()  # from the first visit on, whatever the page: it saves what finished meanwhile
    server.apply_class_limits()  # the teacher's, changed live
    st.sidebar.caption(f"Data: {said(dataset.source)}")
    for reason in dataset.skipped:  # e.g. a MNIST_PATH file that is damaged: say so, keep going
        st.sidebar.warning(f"Not used: {said(reason)}", icon=":material/warning:")
    name = classroom.name_of(session.owner())
    if classroom.class_mode() and not classroom.is_teacher() and not name:  # the teacher signs in there
        navigation = st.navigation([st.Page(pages.JOIN, title="Join the class", icon=":material/group_add:"),
                                    pages.class_page()])
    else:
        if classroom.class_mode():
            who = "the teacher" if classroom.is_teacher() else f"**{for_markdown(name)}**"
            st.sidebar.caption(f"You are {who} in this class.")
        if classroom.test_report().hidden:
            st.sidebar.info("A class challenge runs: every test number on these pages is on the public "
                            "half of the test set (5,000 digits).", icon=":material/visibility_off:")
        # every page in sight: past twelve, Streamlit would hide some behind "View more"
        navigation = st.navigation(pages.navigation(classroom.class_mode()), expanded=True)
        guide.on_page(navigation.url_path)  # a returning visitor lands where they left; the path's marker
if st.sidebar.button("I'm someone else", key="someone-else", icon=":material/person_off:",
                     help="On a shared computer: this browser forgets who used it before. Their "
                          "trainings and runs stay theirs; you start as a new visitor."):
    session.forget_owner()
    classroom.sign_out()  # a teacher's sign-in leaves with them
    st.rerun()
navigation.run()
