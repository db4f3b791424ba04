"""MNIST Explorer: the entry point (`streamlit run dashboard/app.py`)."""

import streamlit as st

from core.data import MnistUnavailable
from dashboard import state

st.set_page_config(page_title="MNIST Explorer", page_icon=":material/draw:", layout="wide")

try:
    dataset = state.mnist()
except MnistUnavailable as problem:
    st.session_state["dataset_problem"] = problem.reasons
    navigation = st.navigation([st.Page("views/no_data.py", title="Get the data",
                                        icon=":material/download:")])
else:
    st.sidebar.caption(f"Data: {dataset.source}")
    navigation = st.navigation({
        "Dataset": [
            st.Page("views/overview.py", title="Overview", icon=":material/dataset:", default=True),
            st.Page("views/samples.py", title="Samples", icon=":material/grid_view:"),
            st.Page("views/averages.py", title="Averages", icon=":material/blur_on:"),
            st.Page("views/nearest.py", title="Nearest & farthest", icon=":material/straighten:"),
            st.Page("views/gray_levels.py", title="Gray levels", icon=":material/bar_chart:"),
            st.Page("views/preprocessing.py", title="Preprocessing", icon=":material/tune:"),
        ],
        "Networks": [
            st.Page("views/train.py", title="Train", icon=":material/model_training:"),
            st.Page("views/runs.py", title="Runs", icon=":material/list:"),
            st.Page("views/evaluate.py", title="Evaluate", icon=":material/grid_on:"),
            st.Page("views/draw.py", title="Draw", icon=":material/draw:"),
        ],
    })
navigation.run()
