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

# Writes the owner cookie: st.context.cookies is read-only, and holds what the page's first request
# sent. Plain JavaScript, no browser-only API (a school's server over plain HTTP is not a secure
# context); display-only, it sends nothing back.
_keep_in_browser = st.components.v2.component("mnist_explorer_owner_cookie", js="""
export default function ({ data }) {
  const age = data.days * 24 * 3600;
  document.cookie = `${data.name}=${data.token}; path=/; max-age=${age}; SameSite=Strict`;
}
""")

_KEPT = "kept-across-pages"
OWNER_PARAM = "owner"  # where older versions kept the token: in the address (read once, then dropped)
OWNER_TOKEN = "owner_token"  # session state
COOKIE = "mnist_explorer_owner"
COOKIE_DAYS = 365
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
    """This browser's id, which owns its trainings and runs.

    A random token made here and kept by the browser in a cookie (`COOKIE`), read back on every
    load: a reload and a new tab keep it; an address copied into another browser carries no
    control. An address that still holds the old `?owner=` works once: its token moves into the
    cookie and leaves the address. Runs and jobs record a hash of the token, never the token itself,
    so nothing on the server's disk lets anyone take over a session. Tests give a session its token
    through one seam: st.session_state["owner_token"], set before its first run.
    """
    token = st.session_state.get(OWNER_TOKEN)
    if not _TOKEN.match(token or ""):
        from_address = st.query_params.get(OWNER_PARAM, "")
        token = next((found for found in (from_address, _cookie()) if _TOKEN.match(found)),
                     None) or secrets.token_urlsafe(18)
        st.session_state[OWNER_TOKEN] = token
    if OWNER_PARAM in st.query_params:  # the address never carries it
        del st.query_params[OWNER_PARAM]
    return "session-" + hashlib.sha256(token.encode()).hexdigest()[:16]


def keep_owner_in_browser() -> None:
    """Write the owner token into the browser's cookie if it is not there yet (once per run of the
    app, from app.py: a page's script may ask owner() many times)."""
    owner()
    if _cookie() != (token := st.session_state[OWNER_TOKEN]):  # new, or changed since the page loaded
        _keep_in_browser(data={"name": COOKIE, "token": token, "days": COOKIE_DAYS}, key="owner-cookie",
                         height=0)


def _cookie() -> str:
    """The owner cookie as the page's first request sent it ('' if none; AppTest sends none)."""
    found = st.context.cookies.get(COOKIE)
    return found if isinstance(found, str) else ""


def forget_owner() -> None:
    """"I'm someone else" (a shared lab computer): a new token from now on, in this tab and the
    browser's cookie; what the old one owns stays its own."""
    st.session_state[OWNER_TOKEN] = secrets.token_urlsafe(18)


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
