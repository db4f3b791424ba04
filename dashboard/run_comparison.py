"""The Runs page's comparison of two to four runs: their settings side by side with the
differences marked, their validation curves overlaid, their recall of each digit side by side,
and the way to the image-by-image comparison of the Evaluate page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import architecture, evaluation, runs
from core.architecture import TrainingConfig
from dashboard import cached_models, figures, pages, session

OTHER_RUN = "evaluate_other"  # the Evaluate page's second run, chosen from here


def compare(usable: list[runs.Run], label) -> None:
    chosen = st.multiselect("Runs to compare (two to four)", usable, default=usable[:2], format_func=label,
                            max_selections=4, key="compare-runs")
    if len(chosen) < 2:
        st.caption("Choose at least two runs.")
        return
    names = {run.id: f"{run.name} ({run.id[-6:]})" for run in chosen}  # two runs may share a name
    rows = pd.DataFrame(architecture.settings_side_by_side(
        {names[run.id]: TrainingConfig.from_dict(run.record["config"]) for run in chosen}))
    differs = rows.pop("differs")
    st.markdown(f"**Settings** ({int(differs.sum())} of {len(rows)} differ, highlighted)")
    st.dataframe(rows.astype(str).style.apply(
        lambda row: ["background-color: #fff3cd" if differs[row.name] else ""] * len(row), axis=1),
        hide_index=True, height=35 * (len(rows) + 1) + 3)  # every setting in sight, none scrolled away
    st.plotly_chart(figures.runs_overlay({names[run.id]: run.record.get("history", {}) for run in chosen}),
                    key="compare-curves")
    st.caption("How to read it: the higher the accuracy, the better; a loss that rises again while the "
               "accuracy stalls is overfitting. Compare losses only between runs without label "
               "smoothing: smoothing keeps a run's loss higher for the same accuracy.")
    _recall_side_by_side(chosen, names)
    if st.button("Compare the first two image by image on Evaluate", icon=":material/compare:"):
        st.session_state[session.EVALUATE_RUN], st.session_state[OTHER_RUN] = chosen[0].id, chosen[1].id
        st.switch_page(pages.EVALUATE)


def _recall_side_by_side(chosen: list[runs.Run], names: dict[str, str]) -> None:
    recall = {}
    for run in chosen:
        try:
            predicted = cached_models.run_probabilities(run.id, "test").argmax(axis=1)
            y_true = cached_models.run_split(run.id, "test")[1]
        except runs.RunError as problem:  # deleted by someone since the list was drawn
            st.warning(f"{names[run.id]} cannot be evaluated: {problem}")
            continue
        metrics = evaluation.per_class_metrics(y_true, predicted).set_index("digit")
        recall[names[run.id]] = metrics["recall (sensitivity)"]
    if recall:
        st.markdown("**Recall of each digit** on the test images (the share of each digit read right; "
                    "the best of each row highlighted)")
        table = pd.DataFrame(recall)
        st.dataframe(table.style.format("{:.2%}").highlight_max(axis=1, props="background-color: #d4edda"),
                     height=35 * (len(table) + 1) + 3)
