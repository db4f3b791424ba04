"""The live view of a training job, shared by the Train and Draw pages.

The job lives in the server's TrainingQueue, not in the page: this view only reads a copy of its
progress, in a fragment that redraws itself every REFRESH_SECONDS while the job is queued or
running, and once more when it ends.
"""

from __future__ import annotations

import streamlit as st

from core.training import TrainingJob
from dashboard import figures, state

# Every redraw costs the training some CPU on a 2-core machine: benchmarks/training_overhead.py
# --browser measures epochs 1.13-1.24x as long as a bare fit while a browser on the same two cores
# watches at this rate (most of it the browser's own rendering); see also dashboard/app.py.
REFRESH_SECONDS = 1.0


def follow(job: TrainingJob | None, curves: bool = True) -> None:
    if job is None:
        return
    active = job.status in ("queued", "running")
    if active:
        st.session_state["live_job"] = job.id
    st.fragment(run_every=REFRESH_SECONDS if active else None)(_show)(job, curves)


def _show(job: TrainingJob, curves: bool) -> None:
    queue = state.training_queue()
    progress = job.progress()
    status = progress.status
    st.subheader(f"Run {job.name or f'#{job.id}'}: {status}")
    if status == "queued":
        st.info(f"Waiting in the queue, position {queue.position(job)}: "
                f"{len(queue.running())} training(s) running, at most {queue.max_running} at once. "
                "It starts by itself when its turn comes.")
    elif status == "running":
        done = progress.epoch + (progress.batch / progress.batches if progress.batches else 0)
        eta = progress.eta_seconds()
        st.progress(min(done / progress.epochs, 1.0), text=(
            f"Epoch {min(progress.epoch + 1, progress.epochs)}/{progress.epochs}, "
            f"batch {progress.batch}/{progress.batches}"
            + (f", about {eta:.0f} s left" if eta is not None else "")))
    elif status in ("finished", "stopped") and progress.run_id:
        how = (f"Stopped during epoch {progress.epoch}, and saved with what it had learned"
               if status == "stopped" else f"Finished {progress.epoch} epoch(s) and saved")
        st.success(f"{how}. It is on the Runs page.")
        st.page_link("views/runs.py", label="Open the Runs page", icon=":material/list:")
    else:
        (st.error if status == "failed" else st.warning)(f"{status.capitalize()}: {progress.message}")

    if status in ("queued", "running") and st.button("Stop", key=f"stop-{job.id}"):
        job.stop()
        st.toast("Stopping after the current batch...")
    if curves and (progress.history or progress.batch_losses):
        st.plotly_chart(figures.training_curves(progress.history, progress.batch_losses),
                        key=f"curves-{job.id}")
    if status not in ("queued", "running") and st.session_state.get("live_job") == job.id:
        st.session_state["live_job"] = None
        st.rerun(scope="app")  # the run ended: redraw the whole page once, without the timer
