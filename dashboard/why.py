""""Why this answer": saliency maps of one image for a chosen digit, with the sanity check beside
them (the same map for the network with random weights). Shown on the Inspect and Draw pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import inspection
from dashboard import figures, state

LEGEND = "red: raises<br>the score<br>blue: lowers it"


@st.cache_data(show_spinner="Computing the map...", max_entries=64)
def _maps(run_id: str, epoch: int | None, image: np.ndarray, target: int, method: str, baseline_kind: str
          ) -> tuple[np.ndarray, np.ndarray]:
    """(map of the trained network, map of the same network re-initialised)."""
    baseline = inspection.baseline_image(baseline_kind, image, state.pixel_statistics()[0])
    trained = inspection.saliency(state.model_at(run_id, epoch), image, target, method, baseline)
    random = inspection.saliency(state.reinitialised_model(run_id, epoch), image, target, method, baseline)
    return trained, random


def explain(run_id: str, epoch: int | None, image: np.ndarray, answer: int, key: str) -> None:
    """The controls and the maps for `image` (raw 28x28), starting with the digit it was read as;
    `epoch` None explains the run's final network."""
    left, middle, right = st.columns(3)
    target = left.selectbox("Explain the score of digit", list(range(10)), index=answer, key=f"{key}-digit")
    method = middle.selectbox("Method", list(inspection.SALIENCY_METHODS), key=f"{key}-method",
                              format_func=lambda m: inspection.SALIENCY_METHODS[m].split(":")[0])
    baseline = right.selectbox("Baseline (compared with)", list(inspection.BASELINES), key=f"{key}-base",
                               format_func=lambda b: f"{b}: {inspection.BASELINES[b]}",
                               disabled=method in ("gradient", "smoothgrad"))
    st.caption(inspection.SALIENCY_METHODS[method])
    trained, random = _maps(run_id, epoch, np.asarray(image, np.uint8), target, method, baseline)
    similarity = inspection.rank_similarity(trained, random)
    columns = st.columns([1, 3])
    columns[0].image(figures.enlarged(image, 5), caption="The input", width=140)
    columns[1].plotly_chart(figures.signed_images(
        np.stack([trained, random]), ["this network", "sanity check: same network, random weights"],
        columns=2, legend=LEGEND), key=f"{key}-maps")
    verdict = ("different enough: the map depends on what the network learned" if similarity < 0.5 else
               "too similar: this map says more about the image than about the network")
    st.caption(f"Rank correlation of the two maps' magnitudes: {similarity:.2f} ({verdict}).")
