"""The dashboard's pages, named once: the navigation (app.py) and every link or switch between
pages use these paths."""

from __future__ import annotations

import streamlit as st

START = "views/start.py"
GLOSSARY = "views/glossary.py"
OVERVIEW = "views/overview.py"
SAMPLES = "views/samples.py"
AVERAGES = "views/averages.py"
NEAREST = "views/nearest.py"
GRAY_LEVELS = "views/gray_levels.py"
PREPROCESSING = "views/preprocessing.py"
MAP = "views/digit_map.py"
LABEL_AUDIT = "views/label_audit.py"
TRAIN = "views/train.py"
RUNS = "views/runs.py"
SEARCH = "views/search.py"
EVALUATE = "views/evaluate.py"
REPLAY = "views/inspect_training.py"
INSIDE = "views/inspect_inside.py"
ROBUSTNESS = "views/robustness.py"
DRAW = "views/draw.py"
NO_DATA = "views/no_data.py"
JOIN = "views/join.py"
CLASS = "views/class_page.py"
CHALLENGE = "views/challenge.py"


def class_page() -> st.Page:
    return st.Page(CLASS, title="Class", icon=":material/school:")


def navigation(class_mode: bool = False) -> dict[str, list]:
    """The sidebar's sections and pages, with their titles and icons (and the class's, in class mode)."""
    sections = {
        "Start": [st.Page(START, title="Start here", icon=":material/flag:", default=True),
                  st.Page(GLOSSARY, title="Glossary", icon=":material/menu_book:")],
        "Dataset": [
            st.Page(OVERVIEW, title="Overview", icon=":material/dataset:"),
            st.Page(SAMPLES, title="Samples", icon=":material/grid_view:"),
            st.Page(AVERAGES, title="Averages", icon=":material/blur_on:"),
            st.Page(NEAREST, title="Nearest & farthest", icon=":material/straighten:"),
            st.Page(GRAY_LEVELS, title="Gray levels", icon=":material/bar_chart:"),
            st.Page(PREPROCESSING, title="Preprocessing", icon=":material/tune:"),
            st.Page(MAP, title="Map", icon=":material/scatter_plot:"),
            st.Page(LABEL_AUDIT, title="Label audit", icon=":material/fact_check:"),
        ],
        "Networks": [
            st.Page(TRAIN, title="Train", icon=":material/model_training:"),
            st.Page(RUNS, title="Runs", icon=":material/list:"),
            st.Page(SEARCH, title="Search", icon=":material/travel_explore:"),
            st.Page(EVALUATE, title="Evaluate", icon=":material/grid_on:"),
            st.Page(REPLAY, title="Replay training", icon=":material/replay:"),
            st.Page(INSIDE, title="Inside the network", icon=":material/neurology:"),
            st.Page(ROBUSTNESS, title="Robustness", icon=":material/shield:"),
            st.Page(DRAW, title="Draw", icon=":material/draw:"),
        ],
    }
    if class_mode:
        sections["Class"] = [st.Page(CHALLENGE, title="Challenge", icon=":material/emoji_events:"),
                             class_page()]
    return sections


def by_address(url_path: str) -> str | None:
    """The page whose address ends in `url_path` ("train" for views/train.py), if any."""
    return next((page for name, page in globals().items() if name.isupper() and isinstance(page, str)
                 and page.startswith("views/") and page[6:-3] == url_path), None)
