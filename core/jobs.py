"""A training's live state: its progress, its controls, and public hooks for whoever follows it.

A `TrainingJob` is written by the training path (`core.training`) through `record_batches` and
`record_epoch`, and read, as a copy, by whoever displays it. Its listeners hear of every group of
batches, every full epoch and the end: the command line prints with them, a worker on another
machine publishes with them. Refusals say why nothing was queued, each as a type of its own.
"""

from __future__ import annotations

import copy
import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core import runs
from core.architecture import TrainingConfig
from core.status import Status

# How many recent per-batch points a job keeps for the live curve; older ones are thinned out.
MAX_BATCH_POINTS = 2000
# The phases of a running job: the data split and the network built, then its epochs, then the
# test evaluation and the save.
PREPARING = "preparing"
TRAINING = "training"
FINISHING = "evaluating and saving"
# Who trained a run that no browser session submitted: the command line, a script, a test.
TERMINAL = "terminal"


class Refused(Exception):
    """A submission refused, and nothing queued; the message says why, for the page."""


class AlreadyQueued(Refused):
    """The same training (network, settings and name) is already queued or running: a double click."""


class OwnerLimit(Refused):
    """The session has as many trainings queued or running as one session may."""


class ServerFull(Refused):
    """The server's queue holds as many trainings as it may."""


class NotYours(PermissionError):
    """Someone tried to stop a training that another session started."""


def time_limit_reason(seconds: float) -> str:
    duration = f"{seconds:g} seconds" if seconds < 120 else f"{seconds / 60:g} minutes"
    return f"the server's time limit of {duration} per training"


@dataclass
class Progress:
    """What a job has done so far. Copied whole for readers, never shared while written."""

    status: Status = Status.QUEUED
    epoch: int = 0  # epochs completed in full
    epochs: int = 0
    batch: int = 0  # batches completed in the current epoch
    batches: int = 0  # batches per epoch
    batches_per_report: int = 1  # Keras runs this many batches per call, then reports (and may stop)
    phase: str = ""  # while running: PREPARING, TRAINING, then FINISHING once the epochs are over
    history: dict[str, list[float]] = field(default_factory=dict)  # per full epoch, Keras's names
    epoch_seconds: list[float] = field(default_factory=list)
    # (epoch + fraction, loss, accuracy): running values of the current epoch, after each group of batches
    batch_points: list[tuple[float, float, float]] = field(default_factory=list)
    partial_epoch: dict | None = None  # {"epoch", "batches", "of"}: an epoch interrupted by Stop
    diverged: dict | None = None  # {"epoch", "batch", "loss"}: where the loss stopped being finite
    started: float | None = None  # time.time()
    training_started: float | None = None  # its first epoch began (the data split, the network built)
    first_report: float | None = None  # its first group of batches ended (time.time())
    last_report: float | None = None  # its last group of batches ended
    finished: float | None = None
    message: str = ""
    run_id: str | None = None
    stop_reason: str = ""  # why it was stopped, if not by its owner: e.g. the server's time limit
    test_accuracy: float | None = None  # once saved

    def epoch_is_full(self) -> bool:
        """All of the current epoch's batches are done (not cut short by Stop or divergence)."""
        return self.batch >= self.batches

    def epochs_done(self) -> float:
        """Full epochs plus the finished share of the current one, e.g. 2.5."""
        return self.epoch + (self.batch / self.batches if self.batches else 0)

    def fraction_done(self) -> float:
        return min(1.0, self.epochs_done() / self.epochs) if self.epochs else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left, from the pace so far; None before the first batches."""
        began = self.training_started  # its pace: the start-up (a worker's TensorFlow, the data) aside
        if self.status != Status.RUNNING or not self.batches or not began:
            return None
        done = self.epochs_done()
        if done <= 0:
            return None
        return (time.time() - began) * (self.epochs - done) / done

    def seconds_per_report(self) -> float | None:
        """Seconds per group of batches so far (epochs' validation included), on the clock of the
        machine that trains it; None before the first group."""
        reports = self.epochs_done() * self.batches / max(1, self.batches_per_report)
        if not (self.training_started and self.last_report) or reports <= 0:
            return None
        return (self.last_report - self.training_started) / reports

    def nothing_kept_message(self) -> str:
        """What is said of a training stopped before its first epoch ended (so nothing was saved)."""
        by = f" by {self.stop_reason}" if self.stop_reason else ""
        return f"stopped{by} before the first epoch ended: nothing was saved"

    def stage(self) -> str:
        """Its status, or while it runs its phase, PREPARING lasting until its first batches report."""
        if self.status != Status.RUNNING:
            return self.status
        return PREPARING if not self.batch_points and not self.history else self.phase


BatchListener = Callable[["TrainingJob", float, float], None]  # (job, loss, accuracy)
EpochListener = Callable[["TrainingJob", int, dict, float], None]  # (job, epoch, logs, seconds)
FinishListener = Callable[["TrainingJob"], None]
WeightsListener = Callable[["TrainingJob", int, "Path"], None]  # (job, epoch, path of its .npz)


class TrainingJob:
    _ids = itertools.count(1)

    def __init__(self, config: TrainingConfig, name: str = "", owner: str = TERMINAL, tag: str = "",
                 time_limit: float | None = None):
        self.id = next(self._ids)
        self.config = config
        self.name = runs.clean_name(name)
        self.owner = owner  # who may stop it: a browser session's id, or TERMINAL
        self.tag = tag  # what a page submitted it for (the Draw page finds its default network by it)
        self.time_limit = time_limit  # seconds of training after which the server stops it (None: none)
        self._progress = Progress(epochs=config.hyper.epochs, batches=config.steps_per_epoch())
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.training_ended = threading.Event()  # the epochs are over; evaluation and saving may follow
        self.done = threading.Event()
        self._on_batches: list[BatchListener] = []
        self._on_epoch: list[EpochListener] = []
        self._on_finish: list[FinishListener] = []
        self._on_weights: list[WeightsListener] = []

    # --- listeners: who follows the training, in the thread that trains -------------------------
    def on_batches(self, listener: BatchListener) -> None:
        """Call `listener(job, loss, accuracy)` after each group of batches (their running values)."""
        self._on_batches.append(listener)

    def on_epoch(self, listener: EpochListener) -> None:
        """Call `listener(job, epoch, logs, seconds)` after each full epoch, validated."""
        self._on_epoch.append(listener)

    def on_weights(self, listener: WeightsListener) -> None:
        """Call `listener(job, epoch, path)` once a full epoch's weights are saved in `path`."""
        self._on_weights.append(listener)

    def on_finish(self, listener: FinishListener) -> None:
        """Call `listener(job)` once the job has ended, however it ended."""
        self._on_finish.append(listener)

    # --- reading ----------------------------------------------------------------------------------
    def progress(self) -> Progress:
        with self._lock:
            return copy.deepcopy(self._progress)

    @property
    def status(self) -> Status:
        """The status alone, without copying the curves (the queue asks this of every job)."""
        with self._lock:
            return self._progress.status

    def stage(self) -> str:
        """Where the job is, cheaply (see Progress.stage)."""
        with self._lock:
            return self._progress.stage()

    def summary(self) -> dict:
        """What anyone may see of the job: no curves, no controls."""
        with self._lock:
            return {"name": self.name or f"#{self.id}", "status": str(self._progress.status),
                    "architecture": self.config.describe(), "progress": self._progress.fraction_done(),
                    "worker": "the dashboard's own"}

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def epoch_is_full(self) -> bool:
        with self._lock:
            return self._progress.epoch_is_full()

    # --- controls ---------------------------------------------------------------------------------
    def start(self) -> bool:
        """Mark the job running, unless it was cancelled while it waited; True if it may run."""
        with self._lock:
            if self._progress.status != Status.QUEUED:
                return False
            self._progress.status, self._progress.started = Status.RUNNING, time.time()
            self._progress.phase = PREPARING
            return True

    def stop(self) -> Status:
        """A queued job is cancelled at once (CANCELLED); a running one stops after its current group
        of batches (STOPPING); an ended one says how it ended."""
        with self._lock:
            progress = self._progress
            if progress.status == Status.QUEUED:
                progress.status, progress.finished = Status.CANCELLED, time.time()
                progress.message = "cancelled before it started: nothing was trained"
                self.done.set()
                return Status.CANCELLED
            if progress.status == Status.RUNNING:
                self._stop.set()
                return Status.STOPPING
            return progress.status

    def stop_if_out_of_time(self) -> None:
        """Stop a job that has trained for longer than its time limit, saying so."""
        with self._lock:
            started = self._progress.training_started
            if (self.time_limit is None or started is None or self._stop.is_set()
                    or time.time() - started < self.time_limit):
                return
            self._progress.stop_reason = time_limit_reason(self.time_limit)
            self._stop.set()

    def update(self, **changes) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._progress, key, value)

    # --- recording, by the training path ----------------------------------------------------------
    def record_batches(self, batch: int, loss: float, accuracy: float) -> None:
        """Batches up to number `batch` (0-based, in the epoch) are done; tell the listeners."""
        with self._lock:
            progress = self._progress
            progress.batch = min(batch + 1, progress.batches)  # a group of steps may end past the last
            progress.last_report = time.time()
            progress.first_report = progress.first_report or progress.last_report
            position = progress.epoch + progress.batch / max(progress.batches, 1)
            progress.batch_points.append((position, loss, accuracy))
            if len(progress.batch_points) > MAX_BATCH_POINTS:
                del progress.batch_points[::2]  # keep the curve's shape, halve its size
            if not math.isfinite(loss) and progress.diverged is None:
                progress.diverged = {"epoch": progress.epoch + 1, "batch": batch + 1, "loss": str(loss)}
        for listener in self._on_batches:
            listener(self, loss, accuracy)

    def record_epoch(self, logs: dict, seconds: float) -> int:
        """An epoch ended: its number if it was a full one (recorded, listeners told), else 0 (cut
        short by Stop or divergence: kept as `partial_epoch`, not as an epoch)."""
        with self._lock:
            progress = self._progress
            if not progress.epoch_is_full():
                progress.partial_epoch = {"epoch": progress.epoch + 1, "batches": progress.batch,
                                          "of": progress.batches}
                return 0
            for key, value in logs.items():
                progress.history.setdefault(key, []).append(float(value))
            progress.epoch_seconds.append(seconds)
            progress.epoch += 1
            progress.batch = 0
            number = progress.epoch
        for listener in self._on_epoch:
            listener(self, number, logs, seconds)
        return number

    def record_weights(self, number: int, path: Path) -> None:
        """Full epoch `number`'s weights are saved in `path`; tell the listeners."""
        for listener in self._on_weights:
            listener(self, number, path)

    def end(self, **changes) -> None:
        """The job is over (`changes`: its status, message, run...): say so to all who wait or listen."""
        self.update(**changes)
        self.training_ended.set()
        self.done.set()
        for listener in self._on_finish:
            listener(self)
