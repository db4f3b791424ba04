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
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import preprocessing, runs
from core.architecture import TrainingConfig, build_model
from core.data import Mnist

# How many recent per-batch losses a job keeps for the live curve; older ones are thinned out.
MAX_BATCH_POINTS = 2000
# How many ended jobs the queue remembers (their runs are on disk; this is only the live view's).
KEPT_ENDED_JOBS = 50


@dataclass
class Progress:
    """What a job has done so far. Copied whole for readers, never shared while written."""

    status: str = "queued"  # queued, running, finished, stopped, cancelled, failed
    epoch: int = 0  # epochs completed
    epochs: int = 0
    batch: int = 0  # batches completed in the current epoch
    batches: int = 0  # batches per epoch
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch, Keras's names
    epoch_seconds: list[float] = field(default_factory=list)
    batch_losses: list[tuple[float, float]] = field(default_factory=list)  # (epoch + fraction, loss)
    started: float | None = None  # time.time()
    finished: float | None = None
    message: str = ""
    run_id: str | None = None

    def eta_seconds(self) -> float | None:
        """Seconds left, from the pace so far; None before the first batches."""
        if self.status != "running" or not self.batches or not self.started:
            return None
        done = self.epoch + self.batch / self.batches
        if done <= 0:
            return None
        return (time.time() - self.started) * (self.epochs - done) / done


class TrainingJob:
    _ids = itertools.count(1)

    def __init__(self, config: TrainingConfig, name: str = ""):
        self.id = next(self._ids)
        self.config = config
        self.name = name
        self._progress = Progress(epochs=config.hyper.epochs)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.done = threading.Event()

    def progress(self) -> Progress:
        with self._lock:
            return copy.deepcopy(self._progress)

    @property
    def status(self) -> str:
        """The status alone, without copying the curves (the queue asks this of every job)."""
        with self._lock:
            return self._progress.status

    def update(self, **changes) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._progress, key, value)

    def stop(self) -> None:
        """Ask the job to stop: after the current batch if running, at once if still queued."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # called by the callback, in the worker thread
    def _batch_done(self, batch: int, loss: float) -> None:
        with self._lock:
            progress = self._progress
            progress.batch = batch + 1
            position = progress.epoch + progress.batch / max(progress.batches, 1)
            progress.batch_losses.append((position, loss))
            if len(progress.batch_losses) > MAX_BATCH_POINTS:
                del progress.batch_losses[::2]  # keep the curve's shape, halve its size

    def _epoch_done(self, logs: dict, seconds: float) -> None:
        with self._lock:
            progress = self._progress
            for key, value in logs.items():
                progress.history.setdefault(key, []).append(float(value))
            progress.epoch_seconds.append(seconds)
            progress.epoch += 1
            progress.batch = 0


def _progress_callback(job: TrainingJob, batches: int):
    import keras

    class LiveProgress(keras.callbacks.Callback):
        """Reports every batch and epoch to the job, and stops training when it is asked to."""

        def on_train_begin(self, logs=None):
            job.update(batches=batches)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            job._batch_done(batch, float(logs["loss"]))
            if job.stop_requested:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            job._epoch_done(logs or {}, time.perf_counter() - self.epoch_started)

    return LiveProgress()


def train(job: TrainingJob, data: Mnist, root: Path | None = None) -> runs.Run | None:
    """Train `job.config` on `data`, save the run, and return it (None if stopped before any epoch).

    Raw pixels go in; the model standardises them with statistics of its own training split.
    """
    import keras

    config = job.config.check()
    hyper = config.hyper
    job.update(status="running", started=time.time())
    keras.utils.set_random_seed(hyper.seed)
    images, labels = data.x_train[: hyper.train_images], data.y_train[: hyper.train_images]
    train_index, validation_index = preprocessing.validation_split(
        len(images), hyper.validation_fraction, hyper.seed)
    x_train, x_validation = images[train_index], images[validation_index]
    y_train = keras.utils.to_categorical(labels[train_index], 10)
    y_validation = keras.utils.to_categorical(labels[validation_index], 10)
    model = build_model(config, *preprocessing.pixel_statistics(x_train))

    callbacks = [_progress_callback(job, -(-len(x_train) // hyper.batch_size))]
    if hyper.lr_decay < 1:
        callbacks.append(keras.callbacks.LearningRateScheduler(
            lambda epoch: hyper.learning_rate * hyper.lr_decay ** epoch))
    if hyper.patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            patience=hyper.patience, restore_best_weights=True, monitor="val_loss"))
    started = time.perf_counter()
    model.fit(x_train, y_train, validation_data=(x_validation, y_validation),
              batch_size=hyper.batch_size, epochs=hyper.epochs, callbacks=callbacks, verbose=0)
    training_seconds = time.perf_counter() - started
    progress = job.progress()
    if not progress.history:
        return None  # stopped before a single epoch ended: nothing worth keeping

    stopped = job.stop_requested
    _, validation_accuracy = model.evaluate(x_validation, y_validation, verbose=0)
    _, test_accuracy = model.evaluate(data.x_test, keras.utils.to_categorical(data.y_test, 10),
                                      verbose=0)
    record = {
        "name": job.name or f"{config.preset} {time.strftime('%H:%M:%S')}",
        "status": "stopped" if stopped else "finished",
        "config": config.to_dict(),
        "description": config.describe(),
        "parameters": int(model.count_params()),
        "history": progress.history,
        "epochs_run": progress.epoch,
        "validation_accuracy": float(validation_accuracy),
        "test_accuracy": float(test_accuracy),
        "validation_size": len(x_validation),
        "train_size": len(x_train),
        "training_seconds": training_seconds,
        "epoch_seconds": progress.epoch_seconds,
        "dataset": data.source,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "started_at": progress.started,
        "finished_at": time.time(),
    }
    return runs.save_run(model, record, root)


class TrainingQueue:
    """Runs submitted jobs in order, at most `max_running` at a time, in worker threads."""

    def __init__(self, data: Mnist, root: Path | None = None, max_running: int = 1):
        self.data = data
        self.root = root
        self.max_running = max_running
        self._waiting: queue.Queue[TrainingJob] = queue.Queue()
        self._jobs: list[TrainingJob] = []
        self._lock = threading.Lock()
        self._workers = [threading.Thread(target=self._work, daemon=True, name=f"trainer-{i}")
                         for i in range(max_running)]
        for worker in self._workers:
            worker.start()

    def submit(self, config: TrainingConfig, name: str = "") -> TrainingJob:
        job = TrainingJob(config.check(), name)
        with self._lock:
            self._jobs.append(job)
        self._waiting.put(job)
        return job

    def jobs(self) -> list[TrainingJob]:
        with self._lock:
            return list(self._jobs)

    def get(self, job_id: int) -> TrainingJob | None:
        return next((job for job in self.jobs() if job.id == job_id), None)

    def position(self, job: TrainingJob) -> int:
        """1 for the next job to start, 2 for the one after...; 0 if it is not waiting."""
        waiting = [j for j in self.jobs() if j.status == "queued"]
        return waiting.index(job) + 1 if job in waiting else 0

    def running(self) -> list[TrainingJob]:
        return [job for job in self.jobs() if job.status == "running"]

    def _work(self) -> None:
        while True:
            job = self._waiting.get()
            if job.stop_requested:
                job.update(status="cancelled", finished=time.time(),
                           message="cancelled before it started")
            else:
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
            job.update(status="failed", finished=time.time(), message=f"{type(error).__name__}: {error}")
            return
        if run is None:
            job.update(status="stopped", finished=time.time(),
                       message="stopped before the first epoch ended: nothing was saved")
        else:
            job.update(status=run.status, finished=time.time(), run_id=run.id)


def predict_probabilities(model, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Class probabilities for raw uint8 images, calling the model directly (no predict overhead)."""
    parts = [np.asarray(model(images[start:start + batch_size], training=False))
             for start in range(0, len(images), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)
