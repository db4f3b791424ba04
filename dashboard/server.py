"""What the whole server shares, whoever visits: its trainings (and their limits), its background
worker for long computations, and the searches it runs."""

from __future__ import annotations

import logging
import os
import threading

import streamlit as st

from core import runs, search
from core.tasks import BackgroundTasks
from core.trainings import Limits, Trainings, open_trainings
from dashboard import classroom
from dashboard.cached_data import whole_mnist
from dashboard.text import said

logger = logging.getLogger(__name__)

# Server settings, with their defaults (README: "Settings").
LIMITS = {
    "MNIST_EXPLORER_MAX_TRAININGS": 1,  # trainings running at once
    "MNIST_EXPLORER_MAX_QUEUE": 20,  # trainings queued or running, for the whole server
    "MNIST_EXPLORER_MAX_QUEUED_PER_SESSION": 3,  # trainings queued or running, per browser session
    "MNIST_EXPLORER_MAX_TRAINING_MINUTES": 20,  # of training, after which a training is stopped (and kept)
}


@st.cache_resource(show_spinner=False)
def trainings() -> Trainings:
    """The server's one set of trainings, shared by every session and outliving them: in this
    process, or on Redis (MNIST_EXPLORER_REDIS_URL), where they also outlive the server."""
    return open_trainings(whole_mnist, server_limits())


def server_limits() -> Limits:
    """The limits its operator set (or their defaults), before any change by a class's teacher."""
    running, queued, per_session, minutes = (limit(name) for name in LIMITS)
    return Limits(max_running=running, max_queued=queued, max_per_owner=per_session, time_limit=minutes * 60)


def apply_class_limits() -> None:
    """The teacher's live limits (class mode), from this page load on: they apply to what is queued
    from then on (each training keeps the time limit it was queued with). Nothing changes outside
    class mode."""
    if classroom.class_mode():
        trainings().limits = classroom.limits(server_limits())


def reachable_trainings() -> Trainings | None:
    """The trainings, or None after saying in the page why they cannot be used now (their Redis
    is down): the page then offers nothing it cannot do, and tries again at its next redraw."""
    trainings_ = trainings()
    if problem := trainings_.problem():
        st.error(said(problem), icon=":material/cloud_off:")
        return None
    return trainings_


def limit(name: str) -> int:
    """A server limit from its environment variable (at least 1), or its default if unset or bad."""
    raw = os.environ.get(name, "")
    try:
        return max(1, int(raw)) if raw else LIMITS[name]
    except ValueError:
        logger.warning("%s=%r is not a whole number: using %s", name, raw, LIMITS[name])
        return LIMITS[name]


def runs_folder_problem() -> str:
    """Why new runs cannot be saved, or '' (checked before a training, not after it)."""
    try:
        runs.check_writable()
    except runs.RunError as error:
        return str(error)
    return ""


@st.cache_resource(show_spinner=False)
def background_tasks() -> BackgroundTasks:
    """The server's one worker for long computations (layouts), shared by every session."""
    return BackgroundTasks(workers=1)


@st.cache_resource
def _searches() -> tuple[dict[str, search.BackgroundSearch], threading.Lock]:
    """The searches this server works on, by study name: shared by every session."""
    return {}, threading.Lock()


def running_search(study_name: str) -> search.BackgroundSearch | None:
    searches, _ = _searches()
    return searches.get(study_name)


def running_searches() -> list[search.BackgroundSearch]:
    searches, lock = _searches()
    with lock:
        return [handle for handle in searches.values() if handle.running]


def search_minutes_limit() -> float | None:
    """The longest search a student may start, if the teacher set one (class mode)."""
    return classroom.settings().search_minutes if classroom.class_mode() else None


def stop_search(handle: search.BackgroundSearch, owner: str) -> None:
    """Stop a search: its owner may, and the teacher (checked now, whatever the page showed)."""
    if handle.owner != owner:
        classroom.require_teacher()
    logger.info("search %r stopped by %s", handle.study_name,
                "its owner" if handle.owner == owner else "the teacher")
    handle.stop()


def start_search(study_name: str, storage: str, owner: str, trials: int | None,
                 minutes: float | None) -> str:
    """Start working on a study in the background; returns why not, or ''. One search per session
    at a time: its trials go through the same trainings as everyone's, one at a time (and count in
    the session's limit of trainings); in class mode, no longer than the teacher allows."""
    if (most := search_minutes_limit()) and not classroom.is_teacher() and not 0 < (minutes or 0) <= most:
        return f"Your teacher allows searches of at most {most:g} minutes: give it a time budget."
    searches, lock = _searches()
    with lock:
        if (current := searches.get(study_name)) and current.running:
            return f"{study_name!r} is already being searched on this server."
        if mine := [s for s in searches.values() if s.owner == owner and s.running]:
            return f"You are already running the search {mine[0].study_name!r}: stop it first."
        searches[study_name] = search.BackgroundSearch(study_name, storage, trainings(), owner, trials,
                                                       minutes)
    return ""
