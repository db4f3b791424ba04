"""A study's results as the Search page shows them: counts, the smallest network reaching a target,
the Pareto front (click a point to open its run), the trials' table, and Optuna's other charts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import runs, search
from dashboard import cached_data, classroom, components, search_charts
from dashboard.text import said


def show(study) -> None:
    report, space = classroom.test_report(), search.study_space(study)
    rows = [row | {"test accuracy": report.accuracy_of(row["run"], row["test accuracy"])}
            for row in search.trial_rows(study)]
    if report.hidden:
        st.caption("A class challenge runs: test accuracies here are on the public half of the test set.")
    front = search.pareto_front(study)
    columns = st.columns(3)
    columns[0].metric("Results", sum(row["state"] == "result" for row in rows))
    done = [row for row in rows if row["state"] == "result"]
    best = max((row["validation accuracy"] for row in done), default=None)
    columns[1].metric("Best validation accuracy", f"{best:.2%}" if done else "-")
    target = columns[2].number_input(
        "Smallest with validation accuracy ≥ (%)", 10.0, 100.0, 95.0, 0.5, key="search-target",
        help="Chosen on the validation images, as every choice here: the test set only reports how the "
             "chosen network does on digits no choice has seen.")
    if smallest := search.smallest_reaching(study, target / 100):
        with columns[2]:
            chosen(study, smallest)
    elif done:
        columns[2].caption("No result reaches it yet.")
    if space.split_seed is None:
        st.caption("This study was made before trials shared one holdout: each trial validated on its own "
                   "split of the training images, and read the test set when it ended.")
    else:
        st.caption(f"Every trial is scored on the same {space.validation_size():,} held-out training images "
                   f"(split seed {space.split_seed}); the test set is read only for a network chosen here, "
                   f"once for each ({len(search.tested(study))} tested so far).")
    if front:
        st.subheader("Accuracy against size")
        st.caption(f"{len(front)} trial(s) on the Pareto front (red): no other trial is both more accurate "
                   "and smaller. Hover for the architecture; click a point to open its run.")
        figure = search_charts.pareto_figure(study)
        event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key="search-front")
        if picked := components.selected_rows(event, figure):
            search_charts.open_run(next(row for row in rows if row["trial"] == picked[0]))
    st.dataframe(pd.DataFrame(rows).drop(columns=["params"]), hide_index=True, column_config={
        "validation accuracy": st.column_config.NumberColumn(format="percent"),
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "trainable parameters": st.column_config.NumberColumn(format="localized")})
    if len(done) >= 2:
        charts = search_charts.other_figures(study)
        st.caption("How to read them: parallel coordinates draw each trial as a line through its settings, "
                   "the darker the more accurate; importances say how much of the accuracy's variation "
                   "each setting explains (fANOVA), whichever way is better.")
        for tab, figure in zip(st.tabs(list(charts)), charts.values()):
            if isinstance(figure, str):  # why it cannot be drawn yet
                tab.caption(figure)
            else:
                tab.plotly_chart(figure)


def chosen(study, trial) -> None:
    """The network chosen on validation, and its test accuracy: read once, on request."""
    tested = search_charts.test_accuracy(study, trial)
    st.success(f"Trial #{trial.number}: {trial.user_attrs['architecture']}, {trial.values[1]:,.0f} "
               f"parameters, {trial.values[0]:.2%} validation"
               + (f", then **{tested:.2%} test**" if tested is not None else "")
               + ". Chosen on validation" + (", reported on test." if tested is not None else "."))
    if tested is None and st.button("Test it", key=f"test-{trial.number}", icon=":material/fact_check:",
                                    help="Reads the test set for this network, once: a choice made on "
                                         "validation, reported on digits no choice has seen."):
        try:
            search.test_chosen(study, trial, cached_data.whole_mnist())
        except runs.RunError as problem:  # deleted, or trained on a machine whose runs are elsewhere
            st.error(f"Its run cannot be read here: {said(problem)}")
            return
        st.rerun()
