"""Training runs: one function that trains and saves, jobs that show their progress, a bounded queue.

`train` is the single training path, used by the dashboard's workers and by the command line alike.
A `TrainingJob` is its live state: progress and history written by a Keras callback in the worker
thread and read, as a copy, by whoever displays it. The `TrainingQueue` runs at most
`max_running` jobs at once, in submission order, in worker threads that own them, so nothing a
browser does (rerun, page switch, closed tab) can kill or duplicate a run.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
import queue
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import preprocessing, runs
from core.architecture import TrainingConfig, build_model, targets
from core.data import Mnist

logger = logging.getLogger(__name__)

# How many recent per-batch losses a job keeps for the live curve; older ones are thinned out.
MAX_BATCH_POINTS = 2000
# Images per batch when evaluating: any size gives the same scores; large ones take less time.
VALIDATION_BATCH = 1024
# How many ended jobs the queue remembers (their runs are on disk; this is only the live view's).
KEPT_ENDED_JOBS = 50


ACTIVE = ("queued", "running")
# The phases of a running job: the data split and the network built, then its epochs, then the
# test evaluation and the save.
PREPARING = "preparing"
TRAINING = "training"
FINISHING = "evaluating and saving"
# Who trained a run that no browser session submitted: the command line, a script, a test.
TERMINAL = "terminal"


def time_limit_reason(seconds: float) -> str:
    duration = f"{seconds:g} seconds" if seconds < 120 else f"{seconds / 60:g} minutes"
    return f"the server's time limit of {duration} per training"


class QueueFull(Exception):
    """A submission refused, and nothing queued; the message says why, for the page."""


class NotYours(PermissionError):
    """Someone tried to stop a training that another session started."""


@dataclass
class Progress:
    """What a job has done so far. Copied whole for readers, never shared while written."""

    status: str = "queued"  # queued, running, finished, stopped, diverged, cancelled, failed
    epoch: int = 0  # epochs completed in full
    epochs: int = 0
    batch: int = 0  # batches completed in the current epoch
    batches: int = 0  # batches per epoch
    batches_per_report: int = 1  # Keras runs this many batches per call, then reports (and may stop)
    phase: str = ""  # while running: "training", then FINISHING once the epochs are over
    history: dict[str, list[float]] = field(default_factory=dict)  # per full epoch, Keras's names
    epoch_seconds: list[float] = field(default_factory=list)
    # (epoch + fraction, loss, accuracy): running values of the current epoch, after each group of batches
    batch_points: list[tuple[float, float, float]] = field(default_factory=list)
    partial_epoch: dict | None = None  # {"epoch", "batches", "of"}: an epoch interrupted by Stop
    diverged: dict | None = None  # {"epoch", "batch", "loss"}: where the loss stopped being finite
    started: float | None = None  # time.time()
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
        if self.status != "running" or not self.batches or not self.started:
            return None
        done = self.epochs_done()
        if done <= 0:
            return None
        return (time.time() - self.started) * (self.epochs - done) / done


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

    def progress(self) -> Progress:
        with self._lock:
            return copy.deepcopy(self._progress)

    @property
    def status(self) -> str:
        """The status alone, without copying the curves (the queue asks this of every job)."""
        with self._lock:
            return self._progress.status

    def stage(self) -> str:
        """Where the job is, cheaply (no copy of its curves): its status, or while it runs its phase,
        "preparing" lasting until its first group of batches has reported."""
        with self._lock:
            progress = self._progress
            if progress.status != "running":
                return progress.status
            return PREPARING if not progress.batch_points and not progress.history else progress.phase

    def summary(self) -> dict:
        """What anyone may see of the job: no curves, no controls."""
        with self._lock:
            return {"name": self.name or f"#{self.id}", "status": self._progress.status,
                    "architecture": self.config.describe(), "progress": self._progress.fraction_done()}

    def update(self, **changes) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._progress, key, value)

    def start(self) -> bool:
        """Mark the job running, unless it was cancelled while it waited; True if it may run."""
        with self._lock:
            if self._progress.status != "queued":
                return False
            self._progress.status, self._progress.started = "running", time.time()
            self._progress.phase = PREPARING
            return True

    def stop(self) -> str:
        """A queued job is cancelled at once; a running one stops after its current batch.

        Returns what happened: "cancelled", "stopping", or the status of a job already ended.
        """
        with self._lock:
            progress = self._progress
            if progress.status == "queued":
                progress.status, progress.finished = "cancelled", time.time()
                progress.message = "cancelled before it started: nothing was trained"
                self.done.set()
                return "cancelled"
            if progress.status == "running":
                self._stop.set()
                return "stopping"
            return progress.status

    def epoch_is_full(self) -> bool:
        with self._lock:
            return self._progress.epoch_is_full()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop_if_out_of_time(self) -> None:
        """Stop a job that has trained for longer than its time limit, saying so."""
        with self._lock:
            started = self._progress.started
            if (self.time_limit is None or started is None or self._stop.is_set()
                    or time.time() - started < self.time_limit):
                return
            self._progress.stop_reason = time_limit_reason(self.time_limit)
            self._stop.set()

    # called by the callback, in the worker thread
    def _batch_done(self, batch: int, loss: float, accuracy: float) -> None:
        with self._lock:
            progress = self._progress
            progress.batch = min(batch + 1, progress.batches)  # a group of steps may end past the last
            position = progress.epoch + progress.batch / max(progress.batches, 1)
            progress.batch_points.append((position, loss, accuracy))
            if len(progress.batch_points) > MAX_BATCH_POINTS:
                del progress.batch_points[::2]  # keep the curve's shape, halve its size
            if not math.isfinite(loss) and progress.diverged is None:
                progress.diverged = {"epoch": progress.epoch + 1, "batch": batch + 1, "loss": str(loss)}

    def _epoch_done(self, logs: dict, seconds: float) -> int:
        """Record an ended epoch; returns its number, or 0 if it was cut short (not a full epoch)."""
        with self._lock:
            progress = self._progress
            if not progress.epoch_is_full():  # Stop or divergence cut this epoch short
                progress.partial_epoch = {"epoch": progress.epoch + 1, "batches": progress.batch,
                                          "of": progress.batches}
                return 0
            for key, value in logs.items():
                progress.history.setdefault(key, []).append(float(value))
            progress.epoch_seconds.append(seconds)
            progress.epoch += 1
            progress.batch = 0
            return progress.epoch


def _progress_callback(job: TrainingJob, batches: int, epochs_folder: Path, validation: tuple):
    import keras

    class LiveProgress(keras.callbacks.Callback):
        """Reports every batch and epoch to the job; stops training when asked to, and at once when
        the loss is no longer a finite number (nothing useful can come after a NaN). Validates every
        full epoch, and only those: Keras would validate a stopped one too, which can take seconds
        after a click on Stop. Keeps the weights of every full epoch, for replaying the training
        later (core.inspection)."""

        def on_train_begin(self, logs=None):
            job.update(batches=batches, batches_per_report=self.model.steps_per_execution,
                       phase=TRAINING)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            loss = float(logs["loss"])
            job._batch_done(batch, loss, float(logs.get("accuracy", math.nan)))
            job.stop_if_out_of_time()
            if job.stop_requested or not math.isfinite(loss):
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            if job.epoch_is_full():  # the validation scores go on to EarlyStopping in these logs
                scores = self.model.evaluate(*validation, batch_size=VALIDATION_BATCH, verbose=0,
                                             return_dict=True)
                logs.update({f"val_{name}": value for name, value in scores.items()})
            if number := job._epoch_done(logs, time.perf_counter() - self.epoch_started):
                runs.save_epoch_weights(epochs_folder / f"{number:03d}.npz", self.model)

    return LiveProgress()


def train(job: TrainingJob, data: Mnist, root: Path | None = None) -> runs.Run | None:
    """Train `job.config` on `data`, save the run, and return it.

    Returns None when nothing was kept: the job was cancelled before it started, or stopped before
    its first epoch ended. A training that diverged is kept, marked "diverged", for the record.
    Raw pixels go in; the model standardises them with statistics of its own training split.
    """
    import keras

    config = job.config.check()
    hyper = config.hyper
    root = root or runs.runs_dir()
    runs.check_writable(root)  # before the work, not after: a full or read-only disk is said at once
    if job.status == "queued" and not job.start():
        return None
    logger.info("training #%s %r: %s", job.id, job.name, config.describe())
    keras.utils.set_random_seed(hyper.seed)
    splits = preprocessing.training_split(data.x_train, data.y_train, hyper)
    x_train, y_train, x_validation, y_validation = splits
    model = build_model(config, *preprocessing.pixel_statistics(x_train))
    # the epochs' weights wait outside the runs folder until the run is saved with them, whole
    with tempfile.TemporaryDirectory(prefix="mnist-explorer-epochs-") as epochs_folder:
        return _fit_and_save(job, data, root, model, (x_train, y_train, x_validation, y_validation),
                             Path(epochs_folder))


def _fit_and_save(job: TrainingJob, data: Mnist, root: Path, model, splits: tuple,
                  epochs_folder: Path) -> runs.Run | None:
    import keras

    config, hyper = job.config, job.config.hyper
    x_train, y_train, x_validation, y_validation = splits
    y_train, y_validation = targets(config, y_train), targets(config, y_validation)
    callbacks = [_progress_callback(job, config.steps_per_epoch(), epochs_folder,
                                    (x_validation, y_validation))]
    early_stopping = None
    if hyper.patience:
        early_stopping = keras.callbacks.EarlyStopping(
            patience=hyper.patience, restore_best_weights=True, monitor="val_loss")
        callbacks.append(early_stopping)
    started = time.perf_counter()
    try:
        model.fit(x_train, y_train, batch_size=hyper.batch_size, epochs=hyper.epochs, callbacks=callbacks,
                  verbose=0)
    finally:
        job.update(phase=FINISHING)
        job.training_ended.set()  # a page waiting on Stop can say "stopped" now, not after the save
    training_seconds = time.perf_counter() - started
    progress = job.progress()
    if progress.diverged:
        status, validation_accuracy, test_accuracy = "diverged", None, None
    elif not progress.history:
        return None  # stopped before a single epoch ended: nothing worth keeping
    else:
        status = "stopped" if job.stop_requested else "finished"
        _, validation_accuracy = model.evaluate(x_validation, y_validation, batch_size=VALIDATION_BATCH,
                                                verbose=0)
        _, test_accuracy = model.evaluate(data.x_test, targets(config, data.y_test),
                                          batch_size=VALIDATION_BATCH, verbose=0)
    record = {
        "name": job.name or f"{config.preset} {time.strftime('%H:%M:%S')}",
        "status": status,
        "owner": job.owner,
        "config": config.to_dict(),
        "description": config.describe(),
        "parameters": int(model.count_params()),
        "trainable_parameters": config.parameter_count(trainable_only=True),
        "tag": job.tag,
        "history": progress.history,
        "epochs_run": progress.epoch,
        "epochs_saved": progress.epoch,
        "partial_epoch": progress.partial_epoch,
        "early_stopping": _early_stopping_record(early_stopping, progress),
        "diverged": progress.diverged,
        "stop_reason": progress.stop_reason or None,
        "validation_accuracy": validation_accuracy if validation_accuracy is None
        else float(validation_accuracy),
        "test_accuracy": test_accuracy if test_accuracy is None else float(test_accuracy),
        "validation_size": len(x_validation),
        "train_size": len(x_train),
        "training_seconds": training_seconds,
        "epoch_seconds": progress.epoch_seconds,
        "dataset": data.source,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "started_at": progress.started,
        "finished_at": time.time(),
    }
    record["message"] = outcome(record)
    run = runs.save_run(model, record, root, epochs=epochs_folder)
    logger.info("training #%s saved as run %s: %s", job.id, run.id, record["message"])
    return run


def _early_stopping_record(callback, progress: Progress) -> dict | None:
    """When early stopping was on: where it stopped (if it did) and which epoch's weights were kept."""
    if callback is None or not progress.history:
        return None
    stopped = callback.stopped_epoch + 1 if callback.stopped_epoch else None
    best = callback.best_epoch + 1
    return {"stopped_at_epoch": stopped, "best_epoch": best,
            "weights_restored": best != progress.epoch or progress.partial_epoch is not None}


def outcome(record: dict) -> str:
    """One sentence on how a training ended, from its record: what the pages and the CLI say."""
    epochs, planned = record["epochs_run"], record["config"]["hyper"]["epochs"]
    if diverged := record.get("diverged"):
        rate = record["config"]["hyper"]["learning_rate"]
        return (f"Diverged: the loss became {diverged['loss']} in epoch {diverged['epoch']}, batch "
                f"{diverged['batch']}, so the training was stopped there. Try a lower learning rate "
                f"(e.g. {rate / 10:g} instead of {rate:g}), batch normalisation, or a larger batch.")
    parts = []
    by = f" by {reason}" if (reason := record.get("stop_reason")) else ""
    if partial := record.get("partial_epoch"):
        parts.append(f"Stopped{by} during epoch {partial['epoch']} of {planned}, after {partial['batches']} "
                     f"of its {partial['of']} batches; {epochs} full epoch(s)")
    elif record["status"] == "stopped":
        parts.append(f"Stopped{by} after {epochs} full epoch(s) of {planned}")
    early = record.get("early_stopping") or {}
    if early.get("stopped_at_epoch"):
        parts.append(f"Stopped early at epoch {early['stopped_at_epoch']} of {planned}: the validation "
                     "loss had stopped improving")
    if not parts:
        parts.append(f"Finished {epochs} epoch(s)")
    if early.get("weights_restored"):
        parts.append(f"weights restored from epoch {early['best_epoch']}, the best validation loss")
    return "; ".join(parts) + "."


class TrainingQueue:
    """Runs submitted jobs in order, at most `max_running` at a time, in worker threads.

    Each job belongs to its owner (a browser session, or TERMINAL): only the owner may stop it.
    At most `max_per_owner` jobs per owner and `max_queued` in all may be queued or running, and
    each trains for at most `time_limit` seconds (then it is stopped and kept), so that nobody can
    hold the server for hours.
    """

    def __init__(self, data: Mnist, root: Path | None = None, max_running: int = 1,
                 max_queued: int = 20, max_per_owner: int = 3, time_limit: float | None = None):
        self.data = data
        self.root = root
        self.max_running = max_running
        self.max_queued = max_queued
        self.max_per_owner = max_per_owner
        self.time_limit = time_limit
        self._waiting: queue.Queue[TrainingJob] = queue.Queue()
        self._jobs: list[TrainingJob] = []
        self._lock = threading.Lock()
        self._workers = [threading.Thread(target=self._work, daemon=True, name=f"trainer-{i}")
                         for i in range(max_running)]
        for worker in self._workers:
            worker.start()

    def submit(self, config: TrainingConfig, name: str = "", owner: str = TERMINAL,
               tag: str = "") -> TrainingJob:
        """Queue a training, or raise QueueFull saying why it was refused (nothing is queued then)."""
        job = TrainingJob(config.check(), name, owner, tag, self.time_limit)
        with self._lock:
            active = [other for other in self._jobs if other.status in ACTIVE]
            mine = [other for other in active if other.owner == owner]
            twin = next((other for other in mine if other.config == job.config
                         and other.name == job.name), None)
            if twin:  # a double click, or the same settings again: the result would be identical
                raise QueueFull(f"This training (same network, settings and name) is already "
                                f"{twin.status} as #{twin.id}: change something to train another.")
            if len(mine) >= self.max_per_owner:
                raise QueueFull(f"You already have {len(mine)} trainings queued or running, the most "
                                f"one session may have: wait for one to end, or stop one.")
            if len(active) >= self.max_queued:
                raise QueueFull(f"The server's queue is full ({len(active)} trainings queued or "
                                "running, for everyone): try again when some have ended.")
            self._jobs.append(job)
        logger.info("queued #%s %r for %s", job.id, job.name, owner)
        self._waiting.put(job)
        return job

    def stop(self, job: TrainingJob, owner: str) -> str:
        """Stop (or cancel) `job` on behalf of `owner`; NotYours if someone else started it."""
        if job.owner != owner:
            raise NotYours(f"training #{job.id} was started by another session: only it can stop it")
        return job.stop()

    def jobs(self, owner: str | None = None) -> list[TrainingJob]:
        """All the jobs the queue remembers, oldest first; only `owner`'s if given."""
        with self._lock:
            return [job for job in self._jobs if owner is None or job.owner == owner]

    def get(self, job_id: int) -> TrainingJob | None:
        return next((job for job in self.jobs() if job.id == job_id), None)

    def latest(self, tag: str) -> TrainingJob | None:
        """The newest job submitted with `tag`, whoever submitted it."""
        return next((job for job in reversed(self.jobs()) if job.tag == tag), None)

    def position(self, job: TrainingJob) -> int:
        """1 for the next job to start, 2 for the one after...; 0 if it is not waiting."""
        waiting = [j for j in self.jobs() if j.status == "queued"]
        return waiting.index(job) + 1 if job in waiting else 0

    def running(self) -> list[TrainingJob]:
        return [job for job in self.jobs() if job.status == "running"]

    def wait_seconds(self, job: TrainingJob) -> float | None:
        """At most how long `job` waits before it starts: the time the running trainings still need
        (from their pace, capped by their time limit) and, for each queued before it, its time
        limit (nobody knows how long a training takes before it starts); None without a limit."""
        waiting = [j for j in self.jobs() if j.status == "queued"]
        if job not in waiting:
            return 0.0
        ahead = [self._seconds_left(j) for j in self.running()]
        ahead += [j.time_limit for j in waiting[:waiting.index(job)]]
        if any(seconds is None for seconds in ahead):
            return None
        slots = sorted(ahead[:self.max_running]) + [0.0] * (self.max_running - len(ahead[:self.max_running]))
        for seconds in ahead[self.max_running:]:  # each waiting job takes the first slot that frees
            slots[0] += seconds
            slots.sort()
        return slots[0]

    @staticmethod
    def _seconds_left(job: TrainingJob) -> float | None:
        progress = job.progress()
        eta = progress.eta_seconds()
        if job.time_limit is None:
            return eta
        left = max(0.0, job.time_limit - (time.time() - (progress.started or time.time())))
        return left if eta is None else min(eta, left)

    def _work(self) -> None:
        import keras  # noqa: F401  TensorFlow takes seconds to import: before the first job, not in it

        while True:
            job = self._waiting.get()
            if job.status == "queued":  # a cancelled job was already marked and released
                self._run(job)
                job.done.set()
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
            job.update(status="failed", finished=time.time(), message=f"{type(error).__name__}: {error}")
            return
        finally:
            job.training_ended.set()  # however it went, no epoch is coming any more
        if run is None:
            if job.status != "cancelled":
                job.update(status="stopped", finished=time.time(),
                           message="stopped before the first epoch ended: nothing was saved")
        else:
            job.update(status=run.status, finished=time.time(), run_id=run.id,
                       message=run.record["message"], test_accuracy=run.record["test_accuracy"])


def predict_probabilities(model, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Class probabilities for raw uint8 images, calling the model directly (no predict overhead)."""
    parts = [np.asarray(model(images[start:start + batch_size], training=False))
             for start in range(0, len(images), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)
