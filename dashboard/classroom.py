"""Class mode: on whenever the person who started the server set a teacher password. Students then
give a name on their first visit (names, not accounts); without a password nothing is asked (a
student's laptop). The teacher signs in on the Class page; what the teacher sets (limits, the
teacher's pick, the challenge) is kept in Redis on a classroom server, in the runs folder otherwise.

Every teacher action checks `is_teacher()` when it is taken, in the server's session state, which no
browser can write: a control hidden from a student is also refused to one.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time

import numpy as np
import streamlit as st

from core import runs, training
from core.challenge import Challenge, ChallengeRefused
from core.class_state import (
    CHALLENGE,
    SETTINGS,
    ClassSettings,
    Documents,
    DocumentsOnRedis,
    SignInGuard,
    open_documents,
)
from core.names import NameRefused, Names, NamesInFolder, NamesOnRedis, key_of
from core.test_report import TestReport
from core.trainings import REDIS_ENV, Limits
from dashboard import cached_data, session

logger = logging.getLogger(__name__)

TEACHER_PASSWORD_ENV = "MNIST_EXPLORER_TEACHER_PASSWORD"
TEACHER = "teacher"  # session state: the owner id signed in as the teacher, server-side only
TEACHER_NAME = "Teacher"


class NotTeacher(PermissionError):
    """A teacher's action asked by a session that is not signed in as the teacher."""


def teacher_password() -> str:
    """From the environment, or `teacher_password` under `[class]` in .streamlit/secrets.toml
    (nested: Streamlit copies top-level secrets into the environment of every process)."""
    if password := os.environ.get(TEACHER_PASSWORD_ENV, ""):
        return password
    try:
        return str(st.secrets.get("class", {}).get("teacher_password", ""))
    except Exception:  # no secrets file, or a damaged one: no class mode from it
        return ""


def class_mode() -> bool:
    return bool(teacher_password())


@st.cache_resource(show_spinner=False)
def _redis():
    from redis import Redis

    from core.urls import redis_url

    return Redis.from_url(redis_url(os.environ[REDIS_ENV]), socket_timeout=5)


def names() -> Names:
    """The class's names: in Redis on a classroom server, in the runs folder otherwise (the folder
    as it is now: never one remembered from before a change of MNIST_EXPLORER_RUNS)."""
    return NamesOnRedis(_redis()) if os.environ.get(REDIS_ENV) else NamesInFolder(runs.runs_dir() / "class")


def documents() -> Documents:
    """What the teacher sets, beside the names (in Redis: one connection, shared)."""
    return DocumentsOnRedis(_redis()) if os.environ.get(REDIS_ENV) else open_documents()


def join(owner: str, name: str) -> str:
    """Give a student a name (NameRefused if taken, or if it is the teacher's)."""
    if key_of(name) == key_of(TEACHER_NAME):
        raise NameRefused(f"{TEACHER_NAME!r} is kept for your teacher: choose another name.")
    return names().claim(owner, name)


def class_names() -> dict[str, str]:
    """Every owner id with its name (empty outside class mode): read once per table drawn, not once
    per row. A session signed in as the teacher is "Teacher"."""
    if not class_mode():
        return {}
    return names().all() | {owner: TEACHER_NAME for owner in settings().teachers}


def name_of(owner: str | None) -> str | None:
    """The name of `owner` in the class, if it gave one (None outside class mode)."""
    return class_names().get(owner) if owner else None


# The teacher

@st.cache_resource(show_spinner=False)
def _guard() -> SignInGuard:
    return SignInGuard()


def is_teacher() -> bool:
    """Signed in, in this session (server-side), as this very browser: a token changed since ("I'm
    someone else") signs it out."""
    return class_mode() and st.session_state.get(TEACHER) == session.owner()


def sign_in(given: str, owner: str) -> str:
    """Sign this session in as the teacher; '' or why not."""
    if wait := _guard().seconds_to_wait(owner):
        return f"Too many wrong passwords: wait {wait:.0f} s before trying again."
    if not _guard().check(given, teacher_password(), owner):
        return "That is not the teacher's password."
    st.session_state[TEACHER] = owner
    current = settings()
    if owner not in current.teachers:
        _write(dataclasses.replace(current, teachers=(*current.teachers, owner)))
    logger.info("a session signed in as the teacher")
    return ""


def sign_out() -> None:
    """This tab is no longer the teacher's, nor is its browser shown as "Teacher"."""
    if owner := st.session_state.pop(TEACHER, None):
        current = settings()
        _write(dataclasses.replace(current, teachers=tuple(t for t in current.teachers if t != owner)))


def require_teacher() -> None:
    if not is_teacher():
        raise NotTeacher("Only the teacher may do this: sign in on the Class page.")


_last_read: dict[str, dict | None] = {}  # each document as last read: used while Redis cannot be reached


def _read(name: str) -> dict | None:
    try:
        _last_read[name] = documents().read(name)
    except Exception as error:  # Redis down: what was last read (the page says Redis is down)
        logger.warning("the class's %s cannot be read now (%s): using what was last read", name, error)
    return _last_read.get(name)


@st.cache_data(ttl=2.0, show_spinner=False)
def _settings_document() -> dict | None:
    return _read(SETTINGS)


def settings() -> ClassSettings:
    """What the teacher set (read at most every 2 s; at once after a change in this server)."""
    return ClassSettings.from_document(_settings_document())


def change_settings(**changes) -> ClassSettings:
    """The teacher changes limits or the pick; they apply from the next training queued."""
    require_teacher()
    changed = dataclasses.replace(settings(), **changes)
    _write(changed)
    return changed


def _write(changed: ClassSettings) -> None:
    changed.write(documents())
    _settings_document.clear()


def limits(defaults: Limits) -> Limits:
    """The server's limits with the teacher's changes."""
    kept = settings()
    minutes = kept.training_minutes
    return dataclasses.replace(
        defaults, max_per_owner=kept.max_per_student or defaults.max_per_owner,
        max_queued=kept.max_queued or defaults.max_queued,
        time_limit=minutes * 60 if minutes else defaults.time_limit)


def pinned_run() -> runs.Run | None:
    """The teacher's pick, if one is pinned and still usable."""
    if not class_mode() or not (run_id := settings().pinned_run):
        return None
    try:
        run = runs.get_run(run_id)
    except runs.RunError:
        return None
    return run if run.usable else None


# The challenge, and what the test set may show while it runs

@st.cache_data(ttl=2.0, show_spinner=False)
def _challenge_document() -> dict | None:
    return _read(CHALLENGE)


def challenge() -> Challenge | None:
    if not class_mode() or not (kept := _challenge_document()):
        return None
    try:
        return Challenge.from_dict(kept)
    except ChallengeRefused as damaged:
        logger.error("the class challenge cannot be read: %s", damaged)
        return None


def challenge_problem() -> str:
    """Why a kept challenge cannot be used (damaged), for the teacher; '' if none."""
    if class_mode() and _challenge_document() and challenge() is None:
        return ("The kept challenge cannot be read (its document is damaged): the test set is shown "
                "whole. End it and set it again.")
    return ""


def set_challenge(new: Challenge | None) -> None:
    """Set (or end, with None) the challenge; every cached result computed on the test set is
    dropped, since what the test set shows changes."""
    require_teacher()
    if new is None:
        if ended := _challenge_document():  # its final ranking can be scored again from it
            documents().archive({"challenge": ended, "ended": time.time()})
        documents().delete(CHALLENGE)
    else:
        documents().write(CHALLENGE, new.to_dict())
    st.cache_data.clear()
    logger.info("class challenge %s", "ended" if new is None else "set")


def reveal() -> None:
    if current := challenge():
        set_challenge(dataclasses.replace(current, revealed=True, revealed_at=time.time()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _report(seed: int | None) -> TestReport:
    current = challenge()
    return TestReport(current if current and current.seed == seed else None,
                      cached_data.whole_mnist().y_test, answer)


def answer(run: runs.Run) -> np.ndarray:
    """Answers of a run saved before they were kept: computed once (a second or so), then kept."""
    return training.test_answers(runs.load_model(run), cached_data.whole_mnist().x_test)


def test_report() -> TestReport:
    """What the test set may report now, to anyone: the public half while a challenge hides the
    other, else all of it."""
    current = challenge()
    return _report(current.seed if current and current.hides_private_half else None)


def clear_class() -> dict:
    """Next week's class: names and the challenge archived and forgotten, runs kept."""
    require_teacher()
    kept = {"names": names().all(), "challenge": _challenge_document(), "cleared": time.time()}
    documents().archive(kept)  # first: a failed archive loses nothing
    names().clear()
    documents().delete(CHALLENGE)
    st.cache_data.clear()
    current = settings()  # the teachers' browsers, but this one, are students again
    _write(dataclasses.replace(current, teachers=tuple(t for t in current.teachers
                                                       if t == st.session_state.get(TEACHER))))
    return kept
