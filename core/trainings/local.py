"""Trainings in worker threads of this process: nothing to install or start (a student's laptop).

At most `max_running` jobs train at once, in submission order, in threads that own them, so
nothing a browser does (rerun, page switch, closed tab) can kill or duplicate a run.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

from core.architecture import TrainingConfig
from core.data import Mnist
from core.jobs import TERMINAL, TrainingJob
from core.status import Status
from core.training import train
from core.trainings import Limits, Trainings

logger = logging.getLogger(__name__)

# How many ended jobs it remembers (their runs are on disk; this is only the live view's).
KEPT_ENDED_JOBS = 50


class LocalTrainings(Trainings):
    def __init__(self, data: Mnist, root: Path | None = None, limits: Limits | None = None, **given):
        """`limits`, or a Limits of the `given` ones (max_running=2, time_limit=60...)."""
        super().__init__(limits or Limits(**given), root)
        self.data = data
        self._waiting: queue.Queue[TrainingJob] = queue.Queue()
        self._jobs: list[TrainingJob] = []
        self._lock = threading.Lock()
        for number in range(self.max_running):
            threading.Thread(target=self._work, daemon=True, name=f"trainer-{number}").start()

    def submit(self, config: TrainingConfig, name: str = "", owner: str = TERMINAL,
               tag: str = "") -> TrainingJob:
        job = TrainingJob(config.check(), name, owner, tag, self.time_limit)
        with self._lock:
            self.refuse_if_over_limits(job.config, job.name, owner)
            self._jobs.append(job)
        logger.info("queued #%s %r for %s", job.id, job.name, owner)
        self._waiting.put(job)
        return job

    def jobs(self, owner: str | None = None) -> list[TrainingJob]:
        return [job for job in list(self._jobs) if owner is None or job.owner == owner]

    def _work(self) -> None:
        import keras  # noqa: F401  TensorFlow takes seconds to import: before the first job, not in it

        while True:
            job = self._waiting.get()
            if job.status == Status.QUEUED:  # a cancelled job was already marked and released
                self._run(job)
            self._forget_old_jobs()

    def _forget_old_jobs(self) -> None:
        with self._lock:
            ended = [job for job in self._jobs if job.done.is_set()]
            for job in ended[: max(0, len(ended) - KEPT_ENDED_JOBS)]:
                self._jobs.remove(job)

    def _run(self, job: TrainingJob) -> None:
        try:
            run = train(job, self.data, self.root)
        except Exception as error:  # shown on the page; the worker lives on for the next job
            logger.exception("training #%s %r failed", job.id, job.name)
            job.end(status=Status.FAILED, finished=time.time(), message=f"{type(error).__name__}: {error}")
            return
        if run is None:
            if job.status == Status.CANCELLED:
                job.end()
            else:
                job.end(status=Status.STOPPED, finished=time.time(),
                        message=job.progress().nothing_kept_message())
        else:
            job.end(status=Status(run.status), finished=time.time(), run_id=run.id,
                    message=run.record["message"], test_accuracy=run.record["test_accuracy"])
