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

    def stop(self, job, owner: str, as_teacher: bool = False) -> Status:
        """Stop (or cancel) `job` on behalf of `owner`; NotYours if someone else started it, unless
        the one asking is the class's teacher (signed in: the dashboard's session knows)."""
        if job.owner != owner and not as_teacher:
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

    def idle_workers(self) -> int:
        """Slots free to start a training now."""
        return max(0, self.max_running - len(self.running()))

    def wait_seconds(self, job) -> float:
        """About how long `job` waits before it starts, from the pace of the trainings ahead of it:
        the running ones' time left, and for each queued before it, its work (multiply-adds of
        its whole training) at the pace the running ones show (each capped by its time limit).
        0: it starts now (a worker is free)."""
        waiting = [other.id for other in self.waiting()]
        if job.id not in waiting:
            return 0.0
        running = self.running()
        pace = _pace(running)
        ahead = [_seconds_left(other) or training_work(other.config) / pace for other in running]
        ahead += [_capped(training_work(other.config) / pace, other.time_limit)
                  for other in self.waiting()[:waiting.index(job.id)]]
        slots = sorted(ahead[:self.max_running]) + [0.0] * max(0, self.max_running - len(ahead))
        for seconds in ahead[self.max_running:]:  # each waiting job takes the first slot that frees
            slots[0] += seconds
            slots.sort()
        return slots[0]


# Multiply-adds per second of training, before any training shows its pace: "given" (101,770
# weights, x3 for the backward pass) trains 54,000 images in about 1.2 s on 2 cores.
ASSUMED_PACE = 1.4e10


def training_work(config: TrainingConfig) -> float:
    """Multiply-adds of a whole training: forward and backward passes, every image, every epoch."""
    from core.architecture import cost

    return 3.0 * cost.multiply_adds(config) * cost.training_set_size(config) * config.hyper.epochs


def _pace(running: list) -> float:
    """Multiply-adds per second that the running trainings show (their mean), or ASSUMED_PACE."""
    paces = []
    for job in running:
        progress = job.progress()
        if progress.training_started and progress.epochs and progress.epochs_done() > 0:
            done = training_work(job.config) * progress.epochs_done() / progress.epochs
            paces.append(done / max(1e-3, time.time() - progress.training_started))
    return sum(paces) / len(paces) if paces else ASSUMED_PACE


def _capped(seconds: float, limit: float | None) -> float:
    return seconds if limit is None else min(seconds, limit)


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
