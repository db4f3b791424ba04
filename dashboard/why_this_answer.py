""""Why this answer": saliency maps of one image for a chosen digit, with the sanity check beside
them (the same map for the network with random weights). Shown on the Inspect and Draw pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import saliency
from dashboard import cached_models, figures
from dashboard.help_texts import INSIDE

LEGEND = "red: raises<br>the score<br>blue: lowers it"


def explain(run_id: str, epoch: int | None, image: np.ndarray, answer: int, key: str) -> None:
    """The controls and the maps for `image` (raw 28x28), starting with the digit it was read as;
    `epoch` None explains the run's final network."""
    left, middle, right = st.columns(3)
    target = left.selectbox("Explain the score of digit", list(range(10)), index=answer, key=f"{key}-digit",
                            help=INSIDE["digit"])
    method = middle.selectbox("Method", list(saliency.SALIENCY_METHODS), key=f"{key}-method",
                              help=INSIDE["method"],
                              format_func=lambda m: saliency.SALIENCY_METHODS[m].split(":")[0])
    baseline = right.selectbox("Baseline (compared with)", list(saliency.BASELINES), key=f"{key}-base",
                               help=INSIDE["baseline"],
                               format_func=lambda b: f"{b}: {saliency.BASELINES[b]}",
                               disabled=method in ("gradient", "smoothgrad"))
    st.caption(saliency.SALIENCY_METHODS[method])
    trained, random = cached_models.saliency_maps(run_id, epoch, np.asarray(image, np.uint8), target, method,
                                                  baseline)
    check = saliency.sanity_check(trained, random, image)
    columns = st.columns([1, 3])
    columns[0].image(figures.enlarged(image, 5), caption="The input", width=140)
    columns[1].plotly_chart(figures.signed_images(
        np.stack([trained, random]), ["this network", "sanity check: same network, random weights"],
        columns=2, legend=LEGEND, outline=image), key=f"{key}-maps")
    (st.success if check.passed else st.warning)(
        f"**Sanity check.** {check.verdict}.", icon=":material/check:" if check.passed else ":material/help:")
    st.caption(f"Compared as shown, on one colour scale, the digit outlined: {check.focus:.1f} times more "
               f"weight on the digit than a uniform map; the random network's map is "
               f"{check.faintness:.0%} as strong, and its pattern correlates {check.likeness:.2f} with "
               "this one.")
