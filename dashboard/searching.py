"""The Search page's parts: the form that defines a search space, the server's running searches,
and the charts (Optuna's own plotly figures, with the run of each point attached for clicks)."""

from __future__ import annotations

import json
import threading

import streamlit as st
from plotly.colors import sample_colorscale

from core import runs, search
from core.architecture import ACTIVATIONS, REDUCTIONS
from dashboard import figures, state
from dashboard.text import for_markdown, for_plotly

WIDTHS = [2 ** power for power in range(0, 10)]  # 1 ... 512


@st.cache_resource
def _searches() -> tuple[dict[str, search.BackgroundSearch], threading.Lock]:
    """The searches this server works on, by study name: shared by every session."""
    return {}, threading.Lock()


def running_search(study_name: str) -> search.BackgroundSearch | None:
    searches, _ = _searches()
    return searches.get(study_name)


def start(study_name: str, storage: str, owner: str, trials: int | None, minutes: float | None) -> str:
    """Start working on a study in the background; returns why not, or ''. One search per session
    at a time: its trials go through the same queue as everyone's trainings, one at a time."""
    searches, lock = _searches()
    with lock:
        if (current := searches.get(study_name)) and current.running:
            return f"{study_name!r} is already being searched on this server."
        if mine := [s for s in searches.values() if s.owner == owner and s.running]:
            return f"You are already running the search {mine[0].study_name!r}: stop it first."
        searches[study_name] = search.BackgroundSearch(study_name, storage, state.training_queue(), owner,
                                                       trials, minutes)
    return ""


YES_NO_BOTH = {"both": ([False, True], "try with and without"), "yes": ([True], "always"),
               "no": ([False], "never")}
FRONT_RED = "#d62728"
BEST_DARKEST = [[0.0, "#d9d9d9"], [1.0, "#08306b"]]  # light gray to dark blue: the higher, the darker
RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def space_form(kind: str) -> search.SearchSpace:
    """The search space, from widgets; the defaults are what a first search should try."""
    dense = kind == "dense"
    layers, widths = ("Hidden layers", "Units per layer") if dense else ("Conv layers", "Filters per layer")
    columns = st.columns(3)
    fewest, most = columns[0].slider(layers, 1, 4 if dense else 6, (1, 3) if dense else (2, 4),
                                     key=f"search-layers-{kind}")
    narrow, wide = columns[1].select_slider(widths, WIDTHS, (4, 512) if dense else (4, 32),
                                            key=f"search-widths-{kind}")
    reductions = columns[2].multiselect("Input", list(REDUCTIONS), list(REDUCTIONS),
                                        key=f"search-input-{kind}",
                                        format_func=lambda name: REDUCTIONS[name][1])
    separable = "no"
    if not dense:
        separable = st.selectbox(
            "Depthwise separable convolutions (after the first)", list(YES_NO_BOTH), key="search-separable",
            format_func=lambda choice: YES_NO_BOTH[choice][1],
            help="One small filter per incoming map, then a 1x1 mix of the maps: about 9 times fewer "
                 "parameters than a full 3x3 convolution, the way to very small convnets.")
    columns = st.columns(4)
    batch_norm = columns[0].selectbox("Batch normalisation", list(YES_NO_BOTH), key="search-bn",
                                      format_func=lambda choice: YES_NO_BOTH[choice][1])
    dropout = columns[1].slider("Highest dropout", 0.0, 0.5, 0.2 if dense else 0.0, 0.05,
                                key=f"search-drop-{kind}")
    epochs = columns[2].slider("Epochs per trial", 1, 30, 5, key="search-epochs")
    images = columns[3].select_slider("Training images", [1_000, 2_000, 5_000, 10_000, 20_000, 60_000],
                                      60_000, key="search-images")
    with st.expander("Optimiser, learning rate, batch size, augmentation, size cap, seed"):
        columns = st.columns(3)
        optimizers = columns[0].multiselect("Optimisers", ["adam", "nadam", "rmsprop", "sgd"], ["adam"],
                                            key="search-optimizers")
        low, high = columns[1].select_slider("Learning rate (one-cycle peak)", RATES, (3e-4, 3e-2),
                                             key="search-rates")
        batches = columns[2].multiselect("Batch sizes", [32, 64, 128, 256, 512], [64, 128, 256],
                                         key="search-batches")
        activations = st.multiselect("Activations (hidden layers; convolutions use relu)", list(ACTIVATIONS),
                                     ["relu"], key="search-activations")
        columns = st.columns(4)
        shifts = columns[0].multiselect("Random shifts", [0.0, 0.05, 0.1], [0.0, 0.1], key="search-shifts")
        smoothing = columns[1].multiselect("Label smoothing", [0.0, 0.05, 0.1], [0.0, 0.1],
                                           key="search-smoothing")
        cap = columns[2].number_input("Parameter cap (0: none)", 0, 5_000_000, 0, 500, key="search-cap",
                                      help="Larger networks are not trained: a search for a small network "
                                      "that reaches a target need not spend minutes on big ones.")
        seed = columns[3].number_input("Seed", 0, 2**31 - 1, 0, key="search-seed",
                                       help="The same seed draws the same trials.")
        cost_cap = columns[2].number_input(
            "Multiply-add cap per image (0: none)", 0, 10**10, 0, 50_000, key="search-cost-cap",
            help="Costlier networks are not trained: a trial's minutes grow with its multiply-adds "
                 "(a convnet that never pools can take several times as long as one that does).")
    return search.SearchSpace(
        kind=kind, min_layers=fewest, max_layers=most, min_width=narrow, max_width=wide,
        reductions=reductions, batch_norm=YES_NO_BOTH[batch_norm][0], max_dropout=dropout,
        separable=YES_NO_BOTH[separable][0],
        activations=activations, optimizers=optimizers, min_learning_rate=low, max_learning_rate=high,
        batch_sizes=batches,
        shifts=shifts, label_smoothing=smoothing, epochs=epochs, train_images=images,
        max_parameters=int(cap), max_multiply_adds=int(cost_cap), seed=int(seed))


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
        trace.text = [hover_line(trials[number]) for number in numbers]
        trace.hovertemplate = "%{text}<extra></extra>"
        # Optuna colours points by trial number (the first one white, invisible): front red, others gray
        trace.marker.update(color=[FRONT_RED if number in front else "#9e9e9e" for number in numbers],
                            showscale=False, size=9, colorscale=None)
    figure.update_xaxes(type="log", autorange=True, range=None)  # Optuna's range is for a linear axis
    figure.update_yaxes(tickformat=".1%", autorange=True, range=None)
    figure.update_layout(dragmode="zoom", clickmode="event+select", height=460, title=None,
                         margin=dict(l=10, r=10, t=figures.TOP_MARGIN, b=10))
    return figure


def hover_line(trial) -> str:
    """A trial in one line: its number, architecture, size and accuracies."""
    test = trial.user_attrs.get("test_accuracy")
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
                    f"validation, {row['test accuracy']:.2%} test.")
        try:
            run = runs.get_run(row["run"])
        except runs.RunError:  # trained by a worker on another machine, or deleted since
            st.warning(f"Its run {row['run']} is not in this server's runs folder: it was trained on "
                       f"another machine ({for_markdown(row['host'])}), or deleted since.")
            return
        st.caption(f"Run {run.id}: {run.record.get('message', '')}")
        left, right = st.columns(2)
        if left.button("Evaluate it", icon=":material/grid_on:", disabled=not run.usable):
            st.session_state["evaluate_run"] = run.id
            st.switch_page("views/evaluate.py")
        if right.button("Replay its training", icon=":material/replay:", disabled=not run.usable):
            st.session_state["inspect_run"] = run.id
            st.switch_page("views/inspect_training.py")
