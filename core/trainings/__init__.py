"""Where trainings run: one interface, for the pages, the search and the command line alike.

`Trainings` queues trainings, enforces the server's limits where they are queued (per owner, for
the whole server, per training's time), and lets only a job's owner stop or cancel it. Its jobs
offer the same reading and the same controls (`core.jobs.TrainingJob`'s), wherever they train:

    local      in worker threads of this process (a student's laptop: nothing to start)
    on_redis   on RQ workers over Redis, when MNIST_EXPLORER_REDIS_URL is set (a classroom server:
               every core, and any machine that joins with `python -m core.trainings.worker`)
    worker     the worker's command and the job it runs
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.architecture import TrainingConfig
from core.jobs import TERMINAL, AlreadyQueued, NotYours, OwnerLimit, ServerFull
from core.status import ACTIVE, Status

REDIS_ENV = "MNIST_EXPLORER_REDIS_URL"


class TrainingsUnreachable(Exception):
    """The training server (Redis) cannot be reached: nothing can be queued or followed now."""


@dataclass
class Limits:
    max_running: int = 1  # trainings running at once
    max_queued: int = 20  # trainings queued or running, for the whole server
    max_per_owner: int = 3  # trainings queued or running, per owner
    time_limit: float | None = None  # seconds of training after which a training is stopped (and kept)


class Trainings(ABC):
    """The trainings of a server: submit, follow, stop. Implementations keep the jobs; this class
    holds what does not depend on where they train."""

    def __init__(self, limits: Limits, root: Path | None = None):
        self.limits = limits
        self.root = root  # the runs folder its runs are saved in (None: runs.runs_dir())

    @property
    def max_running(self) -> int:
        return self.limits.max_running

    @property
    def max_queued(self) -> int:
        return self.limits.max_queued

    @property
    def max_per_owner(self) -> int:
        return self.limits.max_per_owner

    @property
    def time_limit(self) -> float | None:
        return self.limits.time_limit

    def problem(self) -> str:
        """Why trainings cannot be queued or followed now, in words, or '' (always '' in-process)."""
        return ""

    @abstractmethod
    def submit(self, config: TrainingConfig, name: str = "", owner: str = TERMINAL, tag: str = ""):
        """Queue a training and return its job, or raise a `core.jobs.Refused` saying why nothing
        was queued."""

    @abstractmethod
    def jobs(self, owner: str | None = None) -> list:
        """All the jobs it remembers, oldest first; only `owner`'s if given."""

    def stop(self, job, owner: str) -> Status:
        """Stop (or cancel) `job` on behalf of `owner`; NotYours if someone else started it."""
        if job.owner != owner:
            raise NotYours(f"training #{job.id} was started by another session: only it can stop it")
        return job.stop()

    def refuse_if_over_limits(self, config: TrainingConfig, name: str, owner: str) -> None:
        """Raise the refusal of a new training for `owner`, if any: a twin already active (a double
        click: the result would be identical), the owner's limit, the server's."""
        active = [job for job in self.jobs() if job.status in ACTIVE]
        mine = [job for job in active if job.owner == owner]
        if twin := next((job for job in mine if job.config == config and job.name == name), None):
            raise AlreadyQueued(f"This training (same network, settings and name) is already "
                                f"{twin.status} as #{twin.id}: change something to train another.")
        if len(mine) >= self.max_per_owner:
            raise OwnerLimit(f"You already have {len(mine)} trainings queued or running, the most one "
                             "session may have: wait for one to end, or stop one.")
        if len(active) >= self.max_queued:
            raise ServerFull(f"The server's queue is full ({len(active)} trainings queued or running, "
                             "for everyone): try again when some have ended.")

    def get(self, job_id):
        return next((job for job in self.jobs() if job.id == job_id), None)

    def latest(self, tag: str):
        """The newest job submitted with `tag`, whoever submitted it."""
        return next((job for job in reversed(self.jobs()) if job.tag == tag), None)

    def waiting(self) -> list:
        return [job for job in self.jobs() if job.status == Status.QUEUED]

    def running(self) -> list:
        return [job for job in self.jobs() if job.status == Status.RUNNING]

    def position(self, job) -> int:
        """1 for the next job to start, 2 for the one after...; 0 if it is not waiting."""
        ids = [other.id for other in self.waiting()]
        return ids.index(job.id) + 1 if job.id in ids else 0

    def wait_seconds(self, job) -> float | None:
        """At most how long `job` waits before it starts: the time the running trainings still need
        (from their pace, capped by their time limit) and, for each queued before it, its time
        limit (nobody knows how long a training takes before it starts); None without a limit."""
        waiting = [other.id for other in self.waiting()]
        if job.id not in waiting:
            return 0.0
        ahead = [_seconds_left(other) for other in self.running()]
        ahead += [other.time_limit for other in self.waiting()[:waiting.index(job.id)]]
        if any(seconds is None for seconds in ahead):
            return None
        slots = sorted(ahead[:self.max_running]) + [0.0] * max(0, self.max_running - len(ahead))
        for seconds in ahead[self.max_running:]:  # each waiting job takes the first slot that frees
            slots[0] += seconds
            slots.sort()
        return slots[0]


def _seconds_left(job) -> float | None:
    progress = job.progress()
    eta = progress.eta_seconds()
    if job.time_limit is None:
        return eta
    left = max(0.0, job.time_limit - (time.time() - (progress.training_started or time.time())))
    return left if eta is None else min(eta, left)


def open_trainings(data: Callable, limits: Limits, root: Path | None = None) -> Trainings:
    """The server's trainings: on Redis when MNIST_EXPLORER_REDIS_URL is set, else in this process
    (`data()` gives MNIST, which only trainings in this process need)."""
    if url := os.environ.get(REDIS_ENV):
        from core.trainings.on_redis import RedisTrainings

        return RedisTrainings(url, limits, root, adopt=True, data=data)  # and runs terminals leave it
    from core.trainings.local import LocalTrainings

    return LocalTrainings(data(), root, limits)
