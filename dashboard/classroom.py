"""Class mode: on whenever the person who started the server set a teacher password. Students then
give a name on their first visit (names, not accounts); without a password nothing is asked (a
student's laptop)."""

from __future__ import annotations

import os

import streamlit as st

from core import runs
from core.names import Names, NamesInFolder, NamesOnRedis
from core.trainings import REDIS_ENV

TEACHER_PASSWORD_ENV = "MNIST_EXPLORER_TEACHER_PASSWORD"


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
def names() -> Names:
    """The class's names: in Redis on a classroom server, in the runs folder otherwise."""
    if url := os.environ.get(REDIS_ENV):
        from redis import Redis

        from core.urls import redis_url

        return NamesOnRedis(Redis.from_url(redis_url(url), socket_timeout=5))
    return NamesInFolder(runs.runs_dir() / "class")


def class_names() -> dict[str, str]:
    """Every owner id with its name (empty outside class mode): read once per table drawn, not once
    per row."""
    return names().all() if class_mode() else {}


def name_of(owner: str | None) -> str | None:
    """The name of `owner` in the class, if it gave one (None outside class mode)."""
    return names().name_of(owner) if owner and class_mode() else None
