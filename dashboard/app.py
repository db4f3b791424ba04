"""MNIST Explorer: the entry point (`streamlit run dashboard/app.py`)."""

import logging

import streamlit as st

from core.data import MnistUnavailable
from dashboard import compat, state
from dashboard.text import said

# Operators read what core and the dashboard log in the terminal that runs the server.
for name in ("core", "dashboard"):
    if not logging.getLogger(name).handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
compat.keep_keras_state_between_runs()

st.set_page_config(page_title="MNIST Explorer", page_icon=":material/draw:", layout="wide")
state.owner()  # every page keeps the session's owner token in its URL

try:
    dataset = state.mnist()
except MnistUnavailable as problem:
    st.session_state["dataset_problem"] = problem.reasons
    navigation = st.navigation([st.Page("views/no_data.py", title="Get the data",
                                        icon=":material/download:")])
else:
    st.sidebar.caption(f"Data: {said(dataset.source)}")
    for reason in dataset.skipped:  # e.g. a MNIST_PATH file that is damaged: say so, keep going
        st.sidebar.warning(f"Not used: {said(reason)}", icon=":material/warning:")
    navigation = st.navigation({
        "Dataset": [
            st.Page("views/overview.py", title="Overview", icon=":material/dataset:", default=True),
            st.Page("views/samples.py", title="Samples", icon=":material/grid_view:"),
            st.Page("views/averages.py", title="Averages", icon=":material/blur_on:"),
            st.Page("views/nearest.py", title="Nearest & farthest", icon=":material/straighten:"),
            st.Page("views/gray_levels.py", title="Gray levels", icon=":material/bar_chart:"),
            st.Page("views/preprocessing.py", title="Preprocessing", icon=":material/tune:"),
            st.Page("views/digit_map.py", title="Map", icon=":material/scatter_plot:"),
            st.Page("views/label_audit.py", title="Label audit", icon=":material/fact_check:"),
        ],
        "Networks": [
            st.Page("views/train.py", title="Train", icon=":material/model_training:"),
            st.Page("views/runs.py", title="Runs", icon=":material/list:"),
            st.Page("views/search.py", title="Search", icon=":material/travel_explore:"),
            st.Page("views/evaluate.py", title="Evaluate", icon=":material/grid_on:"),
            st.Page("views/inspect_training.py", title="Replay training", icon=":material/replay:"),
            st.Page("views/inspect_inside.py", title="Inside the network", icon=":material/neurology:"),
            st.Page("views/draw.py", title="Draw", icon=":material/draw:"),
        ],
    }, expanded=True)  # every page in sight: past twelve, Streamlit would hide some behind "View more"
navigation.run()
