"""The live view of trainings, shared by the Train, Draw and other pages.

Jobs live in the server's LocalTrainings, not in the page: this view only reads copies of their
progress, in fragments that redraw themselves while any of them is queued or running (the statuses
every REFRESH_SECONDS, the curves every CURVES_SECONDS), and redraws the whole page once when the
last of them ends. A session sees the controls of its own jobs only; other sessions' jobs are listed
read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.jobs import FINISHING, PREPARING, TRAINING, NotYours, TrainingJob
from core.status import ACTIVE, USABLE, Status
from core.trainings import TrainingsUnreachable
from dashboard import classroom, components, server, session
from dashboard.live_curves import live_curves, send_everything_next
from dashboard.text import for_markdown, said

# Every redraw costs the training CPU on a 2-core machine, most of it the browser's own rendering:
# with plotly figures rebuilt every second, epochs took 1.27x as long as a bare fit while the page
# was watched. The curves are now a chart of our own that appends only the new points
# (dashboard.live_curves), cheap enough to redraw every second (benchmarks/training_overhead.py
# --browser). A click on Stop does not wait for a redraw.
REFRESH_SECONDS = 2.0
CURVES_SECONDS = 1.0
OTHERS_SECONDS = 5.0  # the server's queue: who else trains, for information
# While a training prepares (its data split, its network built and compiled: a second or two), its
# status and curves are looked at this often, so that its first curves show as soon as they exist;
# redraws of a line of text cost nothing worth measuring, and last only those seconds.
STARTING_SECONDS = 0.4
# After a click on Stop, how long the page waits for the epoch loop to end, so that it says
# "stopped" in the same redraw; Keras stops after its current group of batches (about 0.1 s).
STOP_WAIT_SECONDS = 0.8


def follow(jobs: Callable[[], list[TrainingJob]], curves: bool = True, others: bool = False) -> None:
    """Show the jobs that `jobs()` returns, newest first, live; with `curves`, the curves of the
    running (or else the latest) one; with `others`, the server's queue, read-only."""
    try:
        stages = _stages(jobs)
        busy = others and any(job.status in ACTIVE for job in server.trainings().jobs())
    except TrainingsUnreachable as problem:
        st.warning(said(problem), icon=":material/cloud_off:")
        return
    active = any(stage in (Status.QUEUED, PREPARING, TRAINING, FINISHING) for stage in stages)
    send_everything_next()  # the page is drawn anew: so may its chart be
    rate = STARTING_SECONDS if PREPARING in stages else REFRESH_SECONDS if active else None
    st.fragment(run_every=rate)(_unless_unreachable(_show_all))(jobs, stages)
    if curves:
        curves_rate = STARTING_SECONDS if PREPARING in stages else CURVES_SECONDS if active else None
        st.fragment(run_every=curves_rate)(_unless_unreachable(_curves))(jobs)  # first curves at once
    if others:  # other sessions' trainings go on whether this session's do or not
        st.fragment(run_every=OTHERS_SECONDS if busy else None)(_unless_unreachable(_server_queue))()


def _unless_unreachable(show: Callable) -> Callable:
    """`show`, saying so instead when the training server (Redis) cannot be reached: the fragment
    then looks again at its next redraw, and the page recovers by itself."""

    def shown(*args) -> None:
        try:
            show(*args)
        except TrainingsUnreachable as problem:
            st.warning(f"{said(problem)} Looking again in a moment.", icon=":material/cloud_off:")

    return shown


def _stages(jobs: Callable[[], list[TrainingJob]]) -> tuple[str, ...]:
    return tuple(job.stage() for job in jobs())


def _show_all(jobs: Callable[[], list[TrainingJob]], stages: tuple[str, ...]) -> None:
    shown = list(reversed(jobs()))
    for job in shown:
        with st.container(border=True):
            _show(job)
    if _stages(jobs) != stages:
        # a training started, showed its first curves or ended: the whole page once, with the
        # redraw rates of the new stage (its curves at once; no timer once all have ended)
        st.rerun(scope="app")


def _curves(jobs: Callable[[], list[TrainingJob]]) -> None:
    shown = list(reversed(jobs()))
    job = next((job for job in shown if job.status == Status.RUNNING), shown[0] if shown else None)
    if job is None:
        return
    progress = job.progress()
    if progress.history or progress.batch_points:
        live_curves(job.id, progress, f"{_title(job)}: {_where(progress)}")
        components.training_notices(progress.history, ended=job.status not in ACTIVE)
    elif job.status in ACTIVE:
        st.caption("The loss and accuracy curves appear here with the first batches.")


def _show(job: TrainingJob) -> None:
    trainings = server.trainings()
    progress = job.progress()
    status = progress.status
    mine = job.owner == session.owner()
    title = for_markdown(_title(job))
    headline = st.empty()
    if status == Status.RUNNING and job.stop_requested and not job.training_ended.is_set():
        headline.subheader(f"{title}: stopping...")  # at once; then wait a moment for the loop to end
        job.training_ended.wait(STOP_WAIT_SECONDS)
        progress = job.progress()
        status = progress.status
    finishing = status == Status.RUNNING and progress.phase == FINISHING
    headline.subheader(f"{title}: {_label(status, finishing, job.stop_requested)}")
    if finishing:
        st.info(f"{'Stopped' if job.stop_requested else 'Trained'} after {progress.epoch} full epoch(s): "
                "evaluating on the test set and saving...")
    elif status == Status.QUEUED:
        st.info(f"Waiting in the queue, position {trainings.position(job)}: "
                f"{len(trainings.running())} training(s) running, at most {trainings.max_running} at once. "
                + _wait(trainings, job))
    elif status == Status.RUNNING and job.stage() == PREPARING:
        st.progress(0.0, text="Preparing: splitting the images, building the network; the first "
                              "batches follow in a second or two.")
    elif status == Status.RUNNING:
        _running(job, progress)
    elif status in USABLE and progress.run_id:
        report = classroom.test_report()  # the public half's, while a challenge hides the other
        accuracy = report.accuracy_of(progress.run_id, progress.test_accuracy, trainings.root)
        tested = "" if accuracy is None else f" Test accuracy{' (public half)' if report.hidden else ''}: " \
                                             f"{accuracy:.2%}."
        st.success(f"{progress.message}{tested} Saved: it is on the Runs page.")
    elif status == Status.DIVERGED:
        st.error(f"{progress.message} The run is kept on the Runs page, marked diverged; it is not "
                 "offered for evaluation or drawing.")
    else:
        said = progress.message  # "stopped before ...", "cancelled before ...": said once, not twice
        said = said[0].upper() + said[1:] if said.startswith(status) else f"{status.capitalize()}: {said}"
        (st.error if status == Status.FAILED else st.warning)(said)

    if status in ACTIVE and (mine or classroom.is_teacher()) and not job.stop_requested and not finishing:
        # a callback runs before the redraw, so the redraw already shows "cancelled" or "stopping"
        st.button("Stop" if status == Status.RUNNING else "Cancel", key=f"stop-{job.id}",
                  on_click=stop, args=(job,))
    if (outcome := st.session_state.pop(f"stopped-{job.id}", None)) is not None:
        if isinstance(outcome, NotYours):  # the trainings' own owner check, whatever the page shows
            st.error(str(outcome))
        else:
            st.toast(STOP_SAID.get(outcome, f"It had {outcome} already."))
    if status in ACTIVE and not mine:
        st.caption("Started by another session: only it can stop it.")


def _running(job: TrainingJob, progress) -> None:
    """What a running training's chart does not say: its steps, what its time limit will do."""
    eta = progress.eta_seconds()  # where it is, its bar and its time left: on its chart, redrawn each second
    if progress.batches_per_report > 1:
        st.caption(f"Batches run {progress.batches_per_report} at a time: progress (and Stop) "
                   "moves in such steps.")
    if job.time_limit is not None and eta is not None and progress.training_started is not None:
        left = job.time_limit - (time.time() - progress.training_started)
        if eta > left:
            st.warning(f"At this pace it needs about {_duration(eta)} more, but the server stops every "
                       f"training after {_duration(job.time_limit)} of training: this one will be "
                       f"stopped in about {_duration(max(left, 0))}, and kept as it is then.",
                       icon=":material/timer:")


def _title(job: TrainingJob) -> str:
    """"Run frank (#12)": several trainings may share a name; their numbers tell them apart."""
    return f"Run {job.name} (#{job.id})" if job.name else f"Run #{job.id}"


def _where(progress) -> str:
    """Where a training is, for its chart's headline."""
    if progress.status != Status.RUNNING:
        return f"{progress.epoch} full epoch(s) of {progress.epochs}, {progress.status}"
    if progress.epoch >= progress.epochs or progress.phase == FINISHING:
        return f"{progress.epoch} full epoch(s) of {progress.epochs}; evaluating and saving"
    eta = progress.eta_seconds()
    return (f"epoch {progress.epoch + 1} of {progress.epochs}, batch {progress.batch} of {progress.batches}"
            + (f", about {_duration(eta)} left" if eta is not None else ""))


def _wait(trainings, job: TrainingJob) -> str:
    """How long it may wait, in words, from the pace of the trainings ahead of it."""
    seconds = trainings.wait_seconds(job)
    if seconds < 1:
        return "A worker is free: it starts now."
    limit = (f"each stops at the server's limit of {_duration(trainings.time_limit)} at most"
             if trainings.time_limit else "their owners may also stop them sooner")
    return (f"It starts by itself when its turn comes, in about {_duration(seconds)} (from the pace of "
            f"the trainings ahead of it; {limit}).")


def _duration(seconds: float) -> str:
    """A duration as people say it: "40 s", "12 min", "2 h 38 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _label(status: str, finishing: bool, stop_requested: bool) -> str:
    """What the headline says: the status, or where a running job is in its ending."""
    if status != Status.RUNNING:
        return status
    if finishing:
        return "stopped" if stop_requested else "trained"
    return "stopping..." if stop_requested else "running"


STOP_SAID = {Status.STOPPING: "Stopping after the current group of batches...",
             Status.CANCELLED: "Cancelled before it started: it has left the queue."}


def stop(job: TrainingJob) -> None:
    """Stop's callback (here, and the teacher's on the Class page): what came of it (a Status, or
    the refusal) is said by the redraw. The teacher may stop anyone's: checked now, server-side."""
    try:
        outcome = server.trainings().stop(job, session.owner(), as_teacher=classroom.is_teacher())
    except NotYours as refusal:
        outcome = refusal
    st.session_state[f"stopped-{job.id}"] = outcome


def _server_queue() -> None:
    """Other sessions' trainings, read-only: what the server is busy with, and who waits."""
    trainings = server.trainings()
    me = session.owner()
    theirs = [job for job in trainings.jobs() if job.owner != me and job.status in ACTIVE]
    st.subheader("Server queue")
    if not theirs:
        st.caption(f"No other session's training is queued or running (at most {trainings.max_running} "
                   f"run at once; the queue holds at most {trainings.max_queued}).")
        return
    names = classroom.class_names()
    rows = [_queue_row(trainings, job, names) for job in theirs]
    # four narrow columns: the live view is a third of the page, and every column must show in it
    # (a cell cut short shows whole on hover)
    text = st.column_config.TextColumn
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="server-queue", width="stretch", column_config={
        "status": text(width=80), "training": text(width=150), "worker": text(width=80),
        "progress": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent",
                                                    width=60)})


def _queue_row(trainings, job: TrainingJob, names: dict[str, str]) -> dict:
    summary = job.summary()
    position = trainings.position(job)
    by = f"{name}, " if (name := names.get(job.owner)) else ""
    return {"status": f"queued ({position})" if position else summary["status"],
            "training": f"{by}{summary['name']}: {summary['architecture']}", "progress": summary["progress"],
            "worker": summary["worker"]}
