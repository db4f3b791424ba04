"""The live view of trainings, shared by the Train and Draw pages.

Jobs live in the server's TrainingQueue, not in the page: this view only reads copies of their
progress, in a fragment that redraws itself every REFRESH_SECONDS while any of them is queued or
running, and redraws the whole page once when the last of them ends. A session sees the controls
of its own jobs only; other sessions' jobs are listed read-only.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.training import ACTIVE, NotYours, TrainingJob
from dashboard import figures, state
from dashboard.text import for_markdown

# Every redraw costs the training some CPU on a 2-core machine: benchmarks/training_overhead.py
# --browser measures epochs 1.13-1.24x as long as a bare fit while a browser on the same two cores
# watches at this rate (most of it the browser's own rendering); see also dashboard/compat.py.
REFRESH_SECONDS = 1.0


def follow(jobs: Callable[[], list[TrainingJob]], curves: bool = True, others: bool = False) -> None:
    """Show the jobs that `jobs()` returns, newest first, live; with `others`, the server's queue."""
    active = any(job.status in ACTIVE for job in jobs())
    st.fragment(run_every=REFRESH_SECONDS if active else None)(_show_all)(jobs, curves, others, active)


def _show_all(jobs: Callable[[], list[TrainingJob]], curves: bool, others: bool, was_active: bool) -> None:
    shown = list(reversed(jobs()))
    for number, job in enumerate(shown):
        with st.container(border=True):
            # curves for what is going on, and for the latest result; older ones stay one line
            _show(job, curves and (job.status in ACTIVE or number == 0))
    if others:
        _server_queue()
    if was_active and not any(job.status in ACTIVE for job in shown):
        st.rerun(scope="app")  # the last one ended: redraw the whole page once, without the timer


def _show(job: TrainingJob, curves: bool) -> None:
    queue = state.training_queue()
    progress = job.progress()
    status = progress.status
    mine = job.owner == state.owner()
    st.subheader(f"Run {for_markdown(job.name or f'#{job.id}')}: {status}")
    if status == "queued":
        st.info(f"Waiting in the queue, position {queue.position(job)}: "
                f"{len(queue.running())} training(s) running, at most {queue.max_running} at once. "
                "It starts by itself when its turn comes.")
    elif status == "running":
        eta = progress.eta_seconds()
        st.progress(progress.fraction_done(), text=(
            f"Epoch {min(progress.epoch + 1, progress.epochs)}/{progress.epochs}, "
            f"batch {progress.batch}/{progress.batches}"
            + (f", about {eta:.0f} s left" if eta is not None else "")))
    elif status in ("finished", "stopped") and progress.run_id:
        st.success(f"{progress.message} Saved: it is on the Runs page.")
    elif status == "diverged":
        st.error(f"{progress.message} The run is kept on the Runs page, marked diverged; it is not "
                 "offered for evaluation or drawing.")
    else:
        (st.error if status == "failed" else st.warning)(f"{status.capitalize()}: {progress.message}")

    if status in ACTIVE and mine:
        # a callback runs before the redraw, so the redraw already shows "cancelled" or "stopping"
        st.button("Stop" if status == "running" else "Cancel", key=f"stop-{job.id}",
                  on_click=_stop, args=(job,))
    if said := st.session_state.pop(f"stopped-{job.id}", None):
        (st.error if said.startswith("training #") else st.toast)(said)
    if status in ACTIVE and not mine:
        st.caption("Started by another session: only it can stop it.")
    if curves and (progress.history or progress.batch_losses):
        st.plotly_chart(figures.training_curves(progress.history, progress.batch_losses),
                        key=f"curves-{job.id}")


def _stop(job: TrainingJob) -> None:
    try:
        outcome = state.training_queue().stop(job, state.owner())
    except NotYours as refusal:  # the owner check is the queue's, whatever the page shows
        said = str(refusal)
    else:
        said = ("Stopping after the current batch..." if outcome == "stopping" else
                "Cancelled before it started: it has left the queue.")
    st.session_state[f"stopped-{job.id}"] = said


def _server_queue() -> None:
    """Other sessions' trainings, read-only: what the server is busy with, and who waits."""
    queue = state.training_queue()
    me = state.owner()
    theirs = [job for job in queue.jobs() if job.owner != me and job.status in ACTIVE]
    st.subheader("Server queue")
    if not theirs:
        st.caption(f"No other session's training is queued or running (at most {queue.max_running} "
                   f"run at once; the queue holds at most {queue.max_queued}).")
        return
    rows = [{"position": str(queue.position(job) or "running"), **job.summary()} for job in theirs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="server-queue", column_config={
        "position": st.column_config.TextColumn(), "progress": st.column_config.ProgressColumn(
            min_value=0.0, max_value=1.0, format="percent")})
