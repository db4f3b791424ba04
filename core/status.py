"""The statuses of trainings and runs, named once: the jobs, the runs, the live view, the search and
the command line all speak of them in these words."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a training is, or how it ended; a saved run keeps its ending (finished, stopped or
    diverged). A StrEnum: its members are their own words, in JSON and in tables alike."""

    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"  # what stop() says of a running job: it stops after its group of batches
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    CANCELLED = "cancelled"  # stopped while it waited: nothing was trained
    FAILED = "failed"
    # runs only: a folder whose save was cut short, or whose files are not whole
    INCOMPLETE = "incomplete"
    DAMAGED = "damaged"


ACTIVE = (Status.QUEUED, Status.RUNNING)  # a job that may still train
SAVED = (Status.FINISHED, Status.STOPPED, Status.DIVERGED)  # how a saved run ended
USABLE = (Status.FINISHED, Status.STOPPED)  # a run whose model answers (a diverged one says NaN)
