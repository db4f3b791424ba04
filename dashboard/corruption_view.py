"""The Robustness page's MNIST-C: the fifteen corruptions of the test digits, made once for the
server in a process of its own (its progress shown), then each chosen run's accuracy under each,
its mean corruption error, a gallery of the same digits under every corruption, and a clicked
bar's mistakes."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import corruptions, mnist_c, runs
from dashboard import cached_data, cached_models, figures
from dashboard.text import for_markdown, said

GALLERY_DIGITS = 8


def show(chosen: list[runs.Run], names: dict[str, str]) -> None:
    st.header("MNIST-C: fifteen corruptions")
    st.caption("The corruptions of Mu and Gilmer (2019), ported from their code at its default severities, "
               "each with a fixed seed of ours: the same corrupted digits for every run and every visit. "
               "Networks at 99% on clean digits fall far below it on several.")
    whole = cached_data.whole_mnist()
    folder = cached_models.mnist_c_folder(whole.x_test, whole.source)
    # every file read and checked (a damaged one is deleted here, and made again)
    if not mnist_c.state(folder).complete or any(cached_models.corrupted(name) is None
                                                 for name in corruptions.CORRUPTIONS):
        _making(folder)
        return
    labels = cached_data.images_and_labels("test")[1]
    answers = {}  # run id: {"clean" or a corruption: the run's digit for each test digit}
    for run in chosen:
        try:
            clean = cached_models.run_probabilities(run.id, "test").argmax(axis=1)
            answers[run.id] = {"clean": clean} | {name: cached_models.corruption_answers(run.id, name)
                                                  for name in corruptions.CORRUPTIONS}
        except runs.RunError as problem:
            st.warning(f"{for_markdown(names[run.id])} cannot be used: {said(problem)}")
    if not answers:
        return
    accuracies = {run_id: {name: float((found == labels).mean()) for name, found in read.items()}
                  for run_id, read in answers.items()}
    _summary(accuracies, names)
    figure = figures.corruption_bars({names[run_id]: scores for run_id, scores in accuracies.items()})
    event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key="mnist-c-bars")
    st.caption(f"How to read it: each run's accuracy on the {len(labels):,} test digits, clean and under "
               "each corruption. Click a bar for the digits that run got wrong under it.")
    points = event.selection.points if event and event.selection else []
    if points and (picked := points[0].get("customdata")):
        run_id, column = list(answers)[int(picked[0])], int(picked[1])
        if column > 0:  # not the clean bar
            _mistakes(run_id, list(corruptions.CORRUPTIONS)[column - 1], answers[run_id], labels, names)
    if chosen[0].id in answers:
        _gallery(chosen[0], answers[chosen[0].id], labels, names)


def _making(folder) -> None:
    """Start making MNIST-C if no one is, and follow it until it is ready."""
    state = mnist_c.state(folder)
    if state.error and not state.making:
        st.error(f"Making MNIST-C failed: {state.error}")
        if not st.button("Try again", key="mnist-c-retry"):
            return
    if not state.making:
        mnist_c.start(folder)

    @st.fragment(run_every=1.0)
    def progress() -> None:
        now = mnist_c.state(folder)
        if now.complete:
            st.rerun()
        done = len(now.ready)
        damaged = f" ({', '.join(now.damaged)} found damaged: made again)" if now.damaged else ""
        st.progress(done / len(corruptions.CORRUPTIONS),
                    text=f"Making MNIST-C for this server, once (about a minute): {done} of "
                         f"{len(corruptions.CORRUPTIONS)} corruptions ready"
                         + (f", now {now.current}" if now.current else "") + f"{damaged}. You can use the "
                         "rest of the page meanwhile.")
        if not now.making and not now.complete:
            st.error(f"Making MNIST-C stopped: {now.error or 'see the server log'}.")

    progress()


def _summary(accuracies: dict[str, dict[str, float]], names: dict[str, str]) -> None:
    """Each run's mean corruption error beside its clean error, side by side."""
    for column, (run_id, scores) in zip(st.columns(len(accuracies)), accuracies.items()):
        corrupted = {name: score for name, score in scores.items() if name != "clean"}
        worst = min(corrupted, key=corrupted.get)
        mean_error = 1 - np.mean(list(corrupted.values()))
        column.metric(f"{names[run_id]}: mean corruption error", f"{mean_error:.1%}",
                      f"clean error {1 - scores['clean']:.1%}; worst: {worst}", delta_color="off",
                      delta_arrow="off",
                      help="The plain mean of the fifteen test errors, one per corruption (not "
                           "ImageNet-C's mCE, which divides by a reference network's errors).")


def _mistakes(run_id: str, name: str, answers: dict, labels: np.ndarray, names: dict[str, str]) -> None:
    wrong = np.flatnonzero(answers[name] != labels)
    st.subheader(f"{names[run_id]} under {name}: {len(wrong):,} mistakes")
    if len(wrong):
        shown = wrong[:30]
        titles = [f"{labels[i]} read {answers[name][i]}" for i in shown]
        st.plotly_chart(figures.image_grid(cached_models.corrupted(name)[shown], titles, columns=10),
                        key="mnist-c-mistakes")
        st.caption(f"The first {len(shown)} (by test number): the label, then what the network read.")


def _gallery(run: runs.Run, answers: dict, labels: np.ndarray, names: dict[str, str]) -> None:
    st.subheader("The same digits under every corruption")
    st.caption(f"The first {GALLERY_DIGITS} test digits, one corruption to a row, with what "
               f"{for_markdown(names[run.id])} reads (✗: wrong).")
    images, titles = [], []
    for name in corruptions.CORRUPTIONS:
        read = answers[name]
        images += list(cached_models.corrupted(name)[:GALLERY_DIGITS])
        titles += [(f"{name}<br>" if column == 0 else "<br>") + f"read {read[column]}"
                   + ("" if read[column] == labels[column] else " ✗") for column in range(GALLERY_DIGITS)]
    st.plotly_chart(figures.image_grid(np.stack(images), titles, columns=GALLERY_DIGITS),
                    key="mnist-c-gallery")
    with st.expander("What each corruption does"):
        st.markdown("\n".join(f"- **{name}**: {what}" for name, (_, what) in corruptions.CORRUPTIONS.items()))
