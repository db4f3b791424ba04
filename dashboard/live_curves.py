"""The live curves of a training: a small component of our own (Streamlit Components v2) that keeps
its chart in the page and appends, so that each redraw sends the browser only what is new.

"New" is a batch point whose position (epoch + fraction) lies past the last one this session sent
for that training: the curve a training publishes is thinned as it grows (every other point once
it holds too many), but its new points always come last, so thinning never resends or loses one.
The per-epoch values (a few numbers an epoch) travel whole. A full redraw of the page sends all
again (the chart may have been drawn anew); the fragment's own redraws send only what is new.
"""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from dashboard.figures import SPLIT_COLOURS

SENT = "live-curves-sent"  # session state: training id -> position of the last point sent

_chart = st.components.v2.component(
    "mnist_explorer_live_curves", js=(Path(__file__).parent / "live_curves.js").read_text(),
    css=(".live-curves .headline { font: 14px sans-serif; color: #31333F; margin-bottom: 4px; }"
         ".live-curves .bar { height: 6px; background: #e6e9ef; border-radius: 3px; margin-bottom: 8px; }"
         ".live-curves .bar div { height: 6px; background: #4C78A8; border-radius: 3px; }"),
    isolate_styles=False)  # in the page's own DOM: the tests find the canvas as a person's browser does


def send_everything_next() -> None:
    """The page is drawn anew: the next call sends every point."""
    st.session_state.pop(SENT, None)


def new_points(sent: float | None, points) -> list:
    """The batch points past position `sent` (all of them when nothing was sent), rounded."""
    return [[round(x, 4), round(loss, 5), round(accuracy, 5)] for x, loss, accuracy in points
            if (sent is None or x > sent) and math.isfinite(loss) and math.isfinite(accuracy)]


def _finite(values: list[float]) -> list[float | None]:
    return [round(value, 5) if math.isfinite(value) else None for value in values]


def live_curves(job_id, progress, headline: str) -> None:
    """Draw (or extend) the curves of training `job_id` from its `progress`."""
    sent = st.session_state.setdefault(SENT, {})
    last = sent.get(str(job_id))
    points = new_points(last, progress.batch_points)
    if points:
        sent[str(job_id)] = points[-1][0]
    elif last is None:
        sent[str(job_id)] = -1.0
    _chart(data={"job": str(job_id), "reset": last is None, "points": points, "headline": headline,
                 "fraction": progress.fraction_done(),
                 "history": {name: _finite(values) for name, values in progress.history.items()},
                 "epochs": progress.epochs, "colours": SPLIT_COLOURS}, key="live-curves")
