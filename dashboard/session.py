"""What one browser session keeps: its owner token, and choices that outlive a page switch.

Streamlit forgets a widget's value when a page without that widget runs, which a page switch in
the browser does: the run and the epoch chosen on Replay were gone on Inside. So a value meant to
follow the user from page to page is also kept under a session key that no widget owns.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable

import streamlit as st

_KEPT = "kept-across-pages"
OWNER_PARAM = "owner"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# The keys by which pages hand each other a choice (set one, then switch page)
EVALUATE_RUN = "evaluate_run"  # the run the Evaluate page opens on
INSPECT_RUN = "inspect_run"  # the run of the Replay and Inside pages
INSPECT_EPOCH = "inspect_epoch"
DRAW_RUN = "draw_run"
DRAWN_DIGIT = "drawn_digit"  # the 28x28 digit last drawn on the Draw page, for Inside the network
MAP_FOCUS = "map_focus"  # a test image the Map opens on (the Label audit's "show on the map")
MAP_SPLIT = "map_split"
DATASET_PROBLEM = "dataset_problem"  # why MNIST could not be loaded, for the no-data page


def owner() -> str:
    """This browser session's id, which owns its trainings and runs.

    A random token lives in the page's URL (?owner=...), so a reload of the same tab keeps it;
    another tab or visitor gets a token of its own. Runs and jobs record a hash of it, never the
    token itself, so nothing on the server's disk lets anyone take over a session.
    """
    token = st.session_state.get("owner_token") or st.query_params.get(OWNER_PARAM, "")
    if not _TOKEN.match(token):
        token = secrets.token_urlsafe(18)
    st.session_state["owner_token"] = token
    if st.query_params.get(OWNER_PARAM) != token:  # a page switch may drop it from the URL
        st.query_params[OWNER_PARAM] = token
    return "session-" + hashlib.sha256(token.encode()).hexdigest()[:16]


def kept_widget(widget: Callable, key: str, *args, valid: Callable[[object], bool] = lambda value: True,
                fallback=None, **kwargs):
    """`widget(*args, key=key, **kwargs)`, showing the value it had when last drawn, on whatever
    page, or `fallback` where that value is no longer `valid` (a run deleted since, say). A page
    may choose for it by setting st.session_state[key] before it is drawn."""
    kept = st.session_state.setdefault(_KEPT, {})
    value = st.session_state[key] if key in st.session_state else kept.get(key)
    st.session_state[key] = value if valid(value) else fallback
    kept[key] = widget(*args, key=key, **kwargs)
    return kept[key]
