"""What the dashboard and the workers exchange through RQ, and why Redis cannot run code here.

RQ's defaults would let anyone who can write to Redis run any command on every worker: jobs, their
meta and their results travel as pickles, and a worker imports whatever function a job names. Here
every call site passes `SERIALIZER` (JSON: data, never code) and `TrainingRQJob`, which runs the
training's function and nothing else: a job naming another function, or any callback, is refused
and logged before RQ imports a name. Both sides also compare `VERSION`, so that a worker and a
dashboard of different versions say so in words instead of failing on a field they do not know.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from importlib import metadata

from rq.job import Job
from rq.serializers import JSONSerializer

logger = logging.getLogger(__name__)

SERIALIZER = JSONSerializer
TRAINING_FUNCTION = "core.trainings.worker.train_in_worker"


class RefusedJob(Exception):
    """A job this project did not queue: it names code a worker does not run."""


def _config_fingerprint() -> str:
    """A digest of TrainingConfig's fields, nested ones included: it changes with any new field."""
    from core.architecture import config

    def fields(cls) -> list[str]:
        return [f"{cls.__name__}.{field.name}:{field.type}" for field in dataclasses.fields(cls)]

    names = [name for cls in (config.TrainingConfig, config.Hyperparameters, config.ConvLayer,
                              config.DenseLayer) for name in fields(cls)]
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:8]


def _version() -> str:
    try:
        package = metadata.version("mnist-explorer")
    except metadata.PackageNotFoundError:  # run from a checkout that was not installed
        package = "0+unknown"
    return f"{package}+config.{_config_fingerprint()}"


VERSION = _version()


def version_problem(theirs: str | None) -> str:
    """Why a worker of this version cannot train a job queued by version `theirs`, or ''."""
    if theirs == VERSION:
        return ""
    return (f"this worker runs version {VERSION}, the dashboard {theirs or 'an older one'}: update "
            "the one that is behind (git pull, then make setup) and start it again")


class TrainingRQJob(Job):
    """An RQ job that can only be the training: the function it names is checked before anything
    is imported, and callbacks are never run."""

    @property
    def func(self):
        if self.func_name != TRAINING_FUNCTION or self.instance is not None:
            logger.error("refused job %s: it names %r, not the training", self.id, self.func_name)
            raise RefusedJob(f"refused: this worker runs {TRAINING_FUNCTION} only, not {self.func_name!r}")
        names = [self._success_callback_name, self._failure_callback_name, self._stopped_callback_name]
        if any(names):
            logger.error("refused job %s: it names callbacks %s", self.id, [n for n in names if n])
            raise RefusedJob("refused: a training job has no callbacks")
        from core.trainings.worker import train_in_worker

        return train_in_worker

    # RQ imports a callback's name when it runs one: never, here
    @property
    def success_callback(self):
        return None

    @property
    def failure_callback(self):
        return None

    @property
    def stopped_callback(self):
        return None


def fetch(job_id: str, connection) -> TrainingRQJob:
    return TrainingRQJob.fetch(job_id, connection=connection, serializer=SERIALIZER)


def fetch_many(job_ids: list[str], connection) -> list[TrainingRQJob | None]:
    return TrainingRQJob.fetch_many(job_ids, connection=connection, serializer=SERIALIZER)


def queue(connection):
    from rq import Queue

    from core.trainings import keys

    return Queue(keys.QUEUE, connection=connection, job_class=TrainingRQJob, serializer=SERIALIZER)
