"""The Search page's charts: Optuna's own plotly figures (the Pareto front, parallel coordinates,
importances), each point carrying its trial for a click, and the panel of a clicked trial's run."""

from __future__ import annotations

import json

import streamlit as st
from plotly.colors import sample_colorscale

from core import runs, search
from dashboard import classroom, components, figures, pages, session
from dashboard.text import for_markdown, for_plotly

FRONT_RED = "#d62728"
BEST_DARKEST = [[0.0, "#d9d9d9"], [1.0, "#08306b"]]  # light gray to dark blue: the higher, the darker


def pareto_figure(study):
    """Optuna's Pareto-front plot: parameters (log axis) against validation accuracy; each point
    carries its trial number, so that a click can open its run."""
    import optuna

    figure = optuna.visualization.plot_pareto_front(study, target_names=["trainable parameters",
                                                                         "validation accuracy"],
                                                    targets=lambda trial: (trial.values[1], trial.values[0]))
    front = {trial.number for trial in search.pareto_front(study)}
    trials = {trial.number: trial for trial in study.get_trials(deepcopy=False)}
    for trace in figure.data:  # Optuna's hover text is the trial as JSON: its number is in it
        numbers = [json.loads(text.replace("<br>", "\n"))["number"] for text in trace.text or ()]
        trace.customdata = numbers
        # one line per point instead of Optuna's JSON of the trial (30 lines, host and folders in it)
        trace.text = [hover_line(study, trials[number]) for number in numbers]
        trace.hovertemplate = "%{text}<extra></extra>"
        # Optuna colours points by trial number (the first one white, invisible): front red, others gray
        trace.marker.update(color=[FRONT_RED if number in front else "#9e9e9e" for number in numbers],
                            showscale=False, size=9, colorscale=None)
    figure.update_xaxes(type="log", autorange=True, range=None)  # Optuna's range is for a linear axis
    # accuracies, with a little room: plotly's own range for one point ran from 50% to 150%
    accuracies = [trial.values[0] for trial in trials.values() if trial.values]
    low, high = (min(accuracies), max(accuracies)) if accuracies else (0.0, 1.0)
    room = max(0.005, (high - low) * 0.1)
    figure.update_yaxes(tickformat=".1%", autorange=False,
                        range=[max(0.0, low - room), min(1.0, high) + room])
    figure.update_layout(dragmode="zoom", clickmode="event+select", height=460, title=None,
                         margin=dict(l=10, r=10, t=figures.TOP_MARGIN, b=10))
    return figure


def test_accuracy(study, trial) -> float | None:
    """A trial's test accuracy as it may be shown: None until it was chosen and tested; its run's
    public half while a challenge hides the other half."""
    return classroom.test_report().accuracy_of(trial.user_attrs.get("run_id"),
                                               search.tested(study).get(str(trial.number)))


def hover_line(study, trial) -> str:
    """A trial in one line: its number, architecture, size and accuracies."""
    test = test_accuracy(study, trial)
    return for_plotly(f"#{trial.number}: {trial.user_attrs.get('architecture', '')}, "
                      f"{trial.values[1]:,.0f} parameters, {trial.values[0]:.2%} validation"
                      + (f", {test:.2%} test" if isinstance(test, (int, float)) else ""))


def other_figures(study) -> dict:
    """Parallel coordinates and hyperparameter importances for validation accuracy, where the trials
    so far allow them (importances need at least two results sharing parameters)."""
    import optuna

    target = dict(target=lambda trial: trial.values[0], target_name="validation accuracy")
    # fANOVA: how much of the accuracy's variance each parameter explains, whichever way is better
    importances = dict(evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    charts = {}
    for title, plot, extra in (("Parallel coordinates", optuna.visualization.plot_parallel_coordinate, {}),
                               ("Hyperparameter importances", optuna.visualization.plot_param_importances,
                                importances)):
        try:
            charts[title] = plot(study, **target, **extra).update_layout(title=None, height=420)
            if title == "Parallel coordinates":
                _most_accurate_darkest(charts[title])
        except (ValueError, RuntimeError, ZeroDivisionError) as reason:
            charts[title] = f"not yet: {reason}"
    return charts


def _most_accurate_darkest(figure) -> None:
    """Optuna draws the most accurate trial's line white (the end of its blues), on white: here it
    is the darkest. Each trial is a line whose first point is its accuracy scaled to 0-1; one more
    trace carries the colour bar. And room on the left for the first axis's name, which Optuna clips."""
    for trace in figure.data:
        if trace.mode == "lines":
            trace.line.color = sample_colorscale(BEST_DARKEST, [trace.y[0]])[0]
        elif trace.marker.showscale:
            trace.marker.update(colorscale=BEST_DARKEST, reversescale=False)
    figure.update_layout(margin=dict(l=140, r=60, t=60, b=30))


def open_run(row: dict) -> None:
    """A clicked trial: its numbers, and buttons to its run on the Evaluate and Replay pages."""
    with st.container(border=True):
        st.markdown(f"**Trial #{row['trial']}**: {for_markdown(row['architecture'])}, "
                    f"{row['trainable parameters']:,.0f} parameters, {row['validation accuracy']:.2%} "
                    "validation" + (f", {tested:.2%} test." if (tested := row["test accuracy"]) is not None
                                    else "."))
        try:
            run = runs.get_run(row["run"])
        except runs.RunError:  # trained by a worker on another machine, or deleted since
            st.warning(f"Its run {row['run']} is not in this server's runs folder: it was trained on "
                       f"another machine ({for_markdown(row['host'])}), or deleted since.")
            return
        st.caption(f"Run {run.id}: {run.record.get('message', '')}")
        left, middle, right = st.columns(3)
        if left.button("Evaluate it", icon=":material/grid_on:", disabled=not run.usable,
                       help="Opens on its validation images: a trial's test score is for the network a "
                            "search chooses, once chosen."):
            st.session_state[session.EVALUATE_RUN] = run.id
            st.session_state["evaluate_split"] = "validation"
            st.switch_page(pages.EVALUATE)
        if middle.button("Replay its training", icon=":material/replay:", disabled=not run.usable):
            st.session_state[session.INSPECT_RUN] = run.id
            st.switch_page(pages.REPLAY)
        with right:
            components.start_from_run(run, key=f"start-from-{run.id}")
