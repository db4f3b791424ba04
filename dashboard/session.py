"""What one browser session keeps: choices that outlive a page switch.

Streamlit forgets a widget's value when a page without that widget runs, which a page switch in
the browser does: the run and the epoch chosen on Replay were gone on Inside. So a value meant to
follow the user from page to page is also kept under a session key that no widget owns.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

_KEPT = "kept-across-pages"


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
