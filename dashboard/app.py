"""MNIST Explorer: the entry point (`streamlit run dashboard/app.py`)."""

import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

from core.data import MnistUnavailable
from dashboard import state

# After every script run, fragment reruns included, Streamlit calls keras.backend.clear_session()
# (script_runner._clean_problem_modules), which empties TensorFlow's kernel cache and runs a full
# garbage collection. With a training in a worker thread and its live view redrawn every second,
# that made epochs 2-4x slower; and models here deliberately outlive script runs (the training
# queue, the cached models). tests/test_pages.py checks that this hook still exists.
script_runner._clean_problem_modules = lambda: None

st.set_page_config(page_title="MNIST Explorer", page_icon=":material/draw:", layout="wide")

try:
    dataset = state.mnist()
except MnistUnavailable as problem:
    st.session_state["dataset_problem"] = problem.reasons
    navigation = st.navigation([st.Page("views/no_data.py", title="Get the data",
                                        icon=":material/download:")])
else:
    st.sidebar.caption(f"Data: {dataset.source}")
    for reason in dataset.skipped:  # e.g. a MNIST_PATH file that is damaged: say so, keep going
        st.sidebar.warning(f"Not used: {reason}", icon=":material/warning:")
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
