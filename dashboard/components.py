"""Small page pieces that several pages show the same way."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from core import evaluation, notices, runs
from core.architecture import TrainingConfig
from dashboard import classroom, figures, pages, server, session, training_form

DATASET_SPLITS = ("train", "test")
GALLERY_LIMIT = 100  # images shown at once; the count above them is always the full one


def gallery(key: str, images: np.ndarray, indices: np.ndarray, caption: Callable[[int], str]) -> None:
    """Images with a caption each, at most GALLERY_LIMIT of them, in one st.image call."""
    shown = indices[:GALLERY_LIMIT]
    if len(indices) > len(shown):
        st.caption(f"Showing the first {len(shown)} of {len(indices):,}.")
    if len(shown):
        with st.container(key=key):
            st.image([figures.enlarged(images[i]) for i in shown],
                     caption=[caption(i) for i in shown], width=84)


def confusion_with_images(key: str, images: np.ndarray, y_true: np.ndarray, probabilities: np.ndarray,
                          as_percent: bool, split: str, gallery_key: str,
                          linked: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """The clickable confusion matrix; a click on a cell (or, before any, the `linked` cell of the
    page's link) shows its images below it. Returns the cell shown (true, predicted), if any."""
    y_pred = probabilities.argmax(axis=1)
    counts = evaluation.confusion(y_true, y_pred)
    event = st.plotly_chart(figures.confusion_matrix(counts, as_percent), on_select="rerun",
                            selection_mode="points", key=key, width="content")
    points = event.selection.points if event and event.selection else []
    if not points and linked is None:
        return None
    true, predicted = (int(points[0]["y"]), int(points[0]["x"])) if points else linked
    cell = evaluation.cell_indices(y_true, probabilities, true, predicted)
    kind = "correctly read" if true == predicted else f"read as {predicted}"
    st.subheader(f"True {true}, predicted {predicted}: {len(cell):,} images")
    st.markdown(f"The {split} images of a **{true}** that the network {kind}; under each, "
                f"P({predicted}) and P({true}).")
    gallery(gallery_key, images, cell, lambda i: f"#{i} P({predicted})={probabilities[i, predicted]:.2f} "
                                                   f"P({true})={probabilities[i, true]:.2f}")
    return true, predicted


def wait_for(task, hint: str) -> None:
    """A live line for a background task: waiting behind others, or computing; the whole page is
    redrawn once when it has finished."""

    def poll() -> None:
        if task.future.done():
            st.rerun(scope="app")
        if not task.future.running():  # the server's worker is busy with someone else's first
            ahead = server.background_tasks().ahead_of(task)
            st.info(f"{task.description}: waiting for the server's background worker, busy with "
                    f"{len(ahead)} computation(s) asked for before it ("
                    + "; ".join(other.description for other in ahead[:3]) + "). It starts by itself; "
                    "other pages stay usable and this one updates by itself.", icon=":material/schedule:")
            return
        st.info(f"{task.description}: computing in the background, {task.seconds():.0f} s so far. "
                f"{hint} Other pages stay usable; this one updates by itself.",
                icon=":material/hourglass_top:")

    st.fragment(run_every=1.0)(poll)()


def run_picker(container, usable: list[runs.Run], key: str) -> runs.Run:
    """A selectbox of runs, the teacher's pick then the most accurate first, kept by id under `key`
    from page to page: another page may choose for it by setting that key (the Search page does),
    and a run deleted since falls back to the first."""
    pinned = classroom.pinned_run()
    first = sorted(usable, key=lambda run: (pinned is not None and run.id == pinned.id, test_accuracy(run)),
                   reverse=True)
    by_id = {run.id: run for run in first}
    chosen = session.kept_widget(container.selectbox, key, "Run (the most accurate first)", list(by_id),
                                 valid=by_id.__contains__, fallback=next(iter(by_id)),
                                 format_func=lambda run_id: run_label(by_id[run_id]),
                                 help="Which trained network this page shows; the teacher's pick, then the "
                                      "most accurate, come first.")
    return by_id[chosen]


def test_accuracy(run: runs.Run) -> float:
    """What ranks runs for a default choice (on the public half while a challenge hides the other):
    a run that was never tested comes last."""
    accuracy = classroom.test_report().accuracy(run)
    return -1.0 if accuracy is None else accuracy


def selected_rows(event, figure) -> list[int]:
    """The rows (customdata) of the points clicked or boxed/lassoed in a chart of `figure`."""
    points = event.selection.points if event and event.selection else []
    rows = []
    for point in points:
        if "customdata" in point:
            value = point["customdata"]
            rows.append(int(value[0] if isinstance(value, list) else value))
        else:  # the trace's own customdata, by the point's position in it
            rows.append(int(figure.data[point["curve_number"]].customdata[point["point_index"]]))
    return sorted(set(rows))


def split_picker(key: str = "split") -> str:
    """The train/test switch that every dataset page shares (one choice, remembered across pages)."""
    return st.radio("Split", DATASET_SPLITS, horizontal=True, key=key, format_func=str.capitalize)


def run_label(run: runs.Run) -> str:
    """How a run is named in the pickers: name, id and test accuracy (the public half's while a
    challenge hides the other), and whether it is the teacher's pick."""
    accuracy = classroom.test_report().accuracy(run)
    pinned = classroom.class_mode() and run.id == classroom.settings().pinned_run
    pick = "★ the teacher's pick: " if pinned else ""
    return f"{pick}{run.name} ({run.id})" + (f", test accuracy {accuracy:.2%}" if accuracy else "")


def code_downloads(config, name: str = "", run_id: str = "", key: str = "code") -> None:
    """"Download as a Python script" and "as a notebook": the training as a standalone Keras program
    (core.export), made when clicked."""
    from core import export

    row = st.container(horizontal=True)
    row.download_button("Download as a Python script", lambda: export.script(config, name, run_id),
                        file_name=export.file_name(name or config.preset, ".py"), mime="text/x-python",
                        icon=":material/code:", key=f"{key}-script",
                        help="A standalone Keras program (tensorflow and numpy only) that trains this "
                             "network as here: the same split, standardisation, layers, optimiser and "
                             "seed; it prints the test accuracy at the end.")
    row.download_button("Download as a notebook", lambda: export.notebook(config, name, run_id),
                        file_name=export.file_name(name or config.preset, ".ipynb"),
                        mime="application/x-ipynb+json", icon=":material/description:", key=f"{key}-notebook",
                        help="The same program as a Jupyter notebook, one explained cell per step.")


NOTICE_ICONS = {"overfitting": ":material/call_split:", "jump": ":material/warning:",
                "still improving": ":material/trending_up:"}


def training_notices(history: dict[str, list[float]], ended: bool) -> None:
    """What to notice in these curves (core.notices' rules), under the chart."""
    for notice in notices.training_notices(history, ended):
        st.info(notice.text, icon=NOTICE_ICONS[notice.kind])


def start_from_run(run: runs.Run, key: str) -> None:
    """A button that opens the Train form filled with this run's whole configuration."""
    if st.button("Start from this run", key=key, icon=":material/edit_note:",
                 help="The Train form, filled with this run's network and settings: change what you "
                      "like and train again."):
        training_form.load(TrainingConfig.from_dict(run.record["config"]), f"run: {run.name} ({run.id})")
        st.switch_page(pages.TRAIN)
