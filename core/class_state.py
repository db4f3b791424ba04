"""What a teacher sets for the class, kept so that a dashboard restart loses none of it: the live
limits, the pinned run ("the teacher's pick"), the challenge, and the archives of cleared classes.

Each is a small JSON document: in the runs folder (`runs/class/NAME.json`, written atomically) or,
on a classroom server, in Redis (one key each, JSON, never pickled). Damaged or missing documents
read as None: the class goes on with defaults rather than a crash.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path

from core import files, runs

logger = logging.getLogger(__name__)

SETTINGS, CHALLENGE = "settings", "challenge"


class Documents(ABC):
    """name -> JSON document."""

    @abstractmethod
    def read(self, name: str) -> dict | None: ...

    @abstractmethod
    def write(self, name: str, document: dict) -> None: ...

    @abstractmethod
    def delete(self, name: str) -> None: ...

    def archive(self, document: dict) -> str:
        """Keep `document` (a cleared class) under a new name of its own; returns that name."""
        name = f"archive-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 1000:03d}"
        self.write(name, document)
        return name


class DocumentsInFolder(Documents):
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def read(self, name: str) -> dict | None:
        try:
            kept = json.loads((self.folder / f"{name}.json").read_text())
        except (OSError, ValueError):
            return None
        return kept if isinstance(kept, dict) else None

    def write(self, name: str, document: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        files.atomic_write(self.folder / f"{name}.json",
                           lambda stream: stream.write(json.dumps(document, indent=1).encode()))

    def delete(self, name: str) -> None:
        (self.folder / f"{name}.json").unlink(missing_ok=True)


class DocumentsOnRedis(Documents):
    KEPT_DAYS = 180  # as every key of the project; archives a year

    def __init__(self, connection, prefix: str = "mnist-explorer:class:"):
        self.connection, self.prefix = connection, prefix

    def read(self, name: str) -> dict | None:
        raw = self.connection.get(self.prefix + name)
        try:
            kept = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        return kept if isinstance(kept, dict) else None

    def write(self, name: str, document: dict) -> None:
        days = 365 if name.startswith("archive-") else self.KEPT_DAYS
        self.connection.set(self.prefix + name, json.dumps(document), ex=days * 24 * 3600)

    def delete(self, name: str) -> None:
        self.connection.delete(self.prefix + name)


def open_documents() -> Documents:
    """Where this server keeps them: in Redis on a classroom server, else in the runs folder."""
    from core.trainings import REDIS_ENV

    if url := os.environ.get(REDIS_ENV):
        from redis import Redis

        from core.urls import redis_url

        return DocumentsOnRedis(Redis.from_url(redis_url(url), socket_timeout=5))
    return DocumentsInFolder(runs.runs_dir() / "class")


@dataclass(frozen=True)
class ClassSettings:
    """The limits a teacher changes live (they apply to what is queued from then on), and the run
    every student sees as the teacher's pick. None: the server's own limit."""
    max_per_student: int | None = None  # trainings queued or running, a search's trials included
    max_queued: int | None = None  # for the whole server
    training_minutes: float | None = None  # after which a training is stopped (and kept)
    search_minutes: float | None = None  # the longest search a student may start
    pinned_run: str | None = None
    teachers: tuple[str, ...] = ()  # the owner ids that signed in as the teacher: shown as "Teacher"

    @classmethod
    def from_document(cls, kept: dict | None) -> ClassSettings:
        """The settings as kept; a value of the wrong kind (a damaged file) is the default's."""
        kept = kept or {}

        def number(name: str):
            value = kept.get(name)
            plain = isinstance(value, (int, float)) and not isinstance(value, bool)
            return value if plain and value > 0 else None

        teachers = kept.get("teachers")
        return cls(max_per_student=number("max_per_student"), max_queued=number("max_queued"),
                   training_minutes=number("training_minutes"), search_minutes=number("search_minutes"),
                   pinned_run=kept["pinned_run"] if isinstance(kept.get("pinned_run"), str) else None,
                   teachers=tuple(map(str, teachers)) if isinstance(teachers, list) else ())

    @classmethod
    def read(cls, documents: Documents) -> ClassSettings:
        return cls.from_document(documents.read(SETTINGS))

    def write(self, documents: Documents) -> None:
        documents.write(SETTINGS, asdict(self))


class SignInGuard:
    """Slows down guessing the teacher's password: after each wrong one, whoever gave it (a browser's
    owner id: a reload does not start afresh) waits twice as long as before (1 s, 2 s, 4 s... at most
    a minute), and past a few wrong ones a minute on the whole server, everyone waits. The password
    is compared in constant time."""

    SERVER_FAILURES_PER_MINUTE = 10
    LONGEST_WAIT = 60.0

    def __init__(self):
        self._lock = threading.Lock()
        self._failures: list[float] = []  # the server's, their times
        self._by_key: dict[str, tuple[int, float]] = {}  # key -> (wrong ones in a row, time of the last)

    def seconds_to_wait(self, key: str, now: float | None = None) -> float:
        """How long before `key` may try to sign in."""
        now = time.time() if now is None else now
        with self._lock:
            failures, last = self._by_key.get(key, (0, 0.0))
            wait = last + min(self.LONGEST_WAIT, 2.0 ** (failures - 1)) - now if failures else 0.0
            recent = [at for at in self._failures if at > now - 60]
            if len(recent) >= self.SERVER_FAILURES_PER_MINUTE:
                wait = max(wait, recent[-self.SERVER_FAILURES_PER_MINUTE] + 60 - now)
        return max(0.0, wait)

    def check(self, given: str, password: str, key: str, now: float | None = None) -> bool:
        """Whether `given` is the password; a wrong one counts against `key` and the whole server."""
        right = bool(password) and hmac.compare_digest(given.encode(), password.encode())
        now = time.time() if now is None else now
        with self._lock:
            if right:
                self._by_key.pop(key, None)
            else:
                self._failures = [at for at in self._failures if at > now - 60] + [now]
                self._by_key[key] = (self._by_key.get(key, (0, 0.0))[0] + 1, now)
        if not right:
            logger.warning("a wrong teacher password was given")
        return right
