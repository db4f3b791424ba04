"""The one training path: train a job's network on MNIST, report through the job, save the run.

`train` is used by the dashboard's workers, the architecture search and the command line alike. It
writes the job's progress through its public recording methods (`core.jobs`), which also tell the
job's listeners; everything else (who queued it, who watches it) is the caller's business.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from core import preprocessing, run_records, runs
from core.architecture import build_model, predict_probabilities, targets
from core.data import Mnist
from core.jobs import FINISHING, TRAINING, Progress, TrainingJob
from core.status import Status

logger = logging.getLogger(__name__)

# Images per batch when evaluating: any size gives the same scores; large ones take less time.
VALIDATION_BATCH = 1024


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
                       phase=TRAINING, training_started=time.time())

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            loss = float(logs["loss"])
            job.record_batches(batch, loss, float(logs.get("accuracy", math.nan)))
            job.stop_if_out_of_time()
            if job.stop_requested or not math.isfinite(loss):
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            if job.epoch_is_full():  # the validation scores go on to EarlyStopping in these logs
                scores = self.model.evaluate(*validation, batch_size=VALIDATION_BATCH, verbose=0,
                                             return_dict=True)
                logs.update({f"val_{name}": value for name, value in scores.items()})
            if number := job.record_epoch(logs, time.perf_counter() - self.epoch_started):
                path = epochs_folder / f"{number:03d}.npz"
                runs.save_epoch_weights(path, self.model)
                job.record_weights(number, path)

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
    if job.status == Status.QUEUED and not job.start():
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
        if not job.stop_requested:  # a stop asked while it prepared: nothing to train
            model.fit(x_train, y_train, batch_size=hyper.batch_size, epochs=hyper.epochs,
                      callbacks=callbacks, verbose=0)
    finally:
        job.update(phase=FINISHING)
        job.training_ended.set()  # a page waiting on Stop can say "stopped" now, not after the save
    training_seconds = time.perf_counter() - started
    progress = job.progress()
    if progress.diverged:
        status, validation_accuracy, test_accuracy, answers = Status.DIVERGED, None, None, None
    elif not progress.history:
        return None  # stopped before a single epoch ended: nothing worth keeping
    else:
        status = Status.STOPPED if job.stop_requested else Status.FINISHED
        _, validation_accuracy = model.evaluate(x_validation, y_validation, batch_size=VALIDATION_BATCH,
                                                verbose=0)
        answers, test_accuracy = _tested(job, model, data)
    record = _record(job, model, progress, status, (validation_accuracy, test_accuracy), splits)
    record |= {"early_stopping": _early_stopping_record(early_stopping, progress),
               "training_seconds": training_seconds, "dataset": data.source}
    record["message"] = outcome(record)
    run = runs.save_run(model, record, root, epochs=epochs_folder,
                        test_answers=answers)
    logger.info("training #%s saved as run %s: %s", job.id, run.id, record["message"])
    return run


def keep_finished_epochs(job: TrainingJob, data: Mnist, epochs_folder: Path, reason: str,
                         root: Path | None = None) -> runs.Run | None:
    """Save as a run what a training lost, or stopped by force, had finished: its full epochs, whose
    weights (`epochs_folder`/001.npz, ...) left its process as each ended; `job`'s progress holds its
    history. The model is rebuilt from its configuration and given its last full epoch's weights.
    None if it finished no epoch."""
    import keras

    saved = sorted(epochs_folder.glob("*.npz"))
    if not saved:
        return None
    config, progress = job.config.check(), job.progress()
    kept = min(len(saved), len(progress.epoch_seconds)) or len(saved)
    job.update(epoch=kept, batch=0, partial_epoch=None, stop_reason=reason, phase=FINISHING,
               history={name: values[:kept] for name, values in progress.history.items()},
               epoch_seconds=progress.epoch_seconds[:kept])
    for extra in saved[kept:]:  # weights sent, but the epoch's record was not: not a full epoch here
        extra.unlink()
    keras.utils.set_random_seed(config.hyper.seed)
    splits = preprocessing.training_split(data.x_train, data.y_train, config.hyper)
    model = build_model(config, *preprocessing.pixel_statistics(splits[0]))
    runs.load_epoch_weights(saved[kept - 1], model)
    _, validation_accuracy = model.evaluate(splits[2], targets(config, splits[3]),
                                            batch_size=VALIDATION_BATCH, verbose=0)
    answers, test_accuracy = _tested(job, model, data)
    progress = job.progress()
    record = _record(job, model, progress, Status.STOPPED, (validation_accuracy, test_accuracy), splits)
    record |= {"early_stopping": None, "training_seconds": float(sum(progress.epoch_seconds)),
               "dataset": data.source}
    record["message"] = outcome(record)
    run = runs.save_run(model, record, root, epochs=epochs_folder, test_answers=answers)
    logger.info("training #%s kept as run %s: %s", job.id, run.id, record["message"])
    return run


def reads_test(job: TrainingJob) -> bool:
    """Whether a training ends by reading the test set: every one but a search trial's. A search
    chooses on validation, and only the network it chose is tested, once (core.search.test_chosen):
    a trial's test score would be one more number to pick by."""
    return not (job.tag or "").startswith(run_records.SEARCH_TAG)


def _tested(job: TrainingJob, model, data: Mnist) -> tuple[np.ndarray | None, float | None]:
    """(the model's answers on the test set, its test accuracy), or (None, None) for a search trial."""
    if not reads_test(job):
        return None, None
    answers = test_answers(model, data.x_test)
    return answers, float((answers == data.y_test).mean())


def test_answers(model, x_test) -> np.ndarray:
    """The model's digit for each test image: what a challenge scores, and the test accuracy's source."""
    return predict_probabilities(model, x_test).argmax(axis=1).astype(np.uint8)


def _record(job: TrainingJob, model, progress: Progress, status: Status, accuracies: tuple,
            splits: tuple) -> dict:
    """What the run's run.json says of the training (the caller adds its timing and data source)."""
    config = job.config
    validation_accuracy, test_accuracy = (None if value is None else float(value) for value in accuracies)
    return {
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
        "diverged": progress.diverged,
        "stop_reason": progress.stop_reason or None,
        "validation_accuracy": validation_accuracy,
        "test_accuracy": test_accuracy,
        "validation_size": len(splits[2]),
        "train_size": len(splits[0]),
        "epoch_seconds": progress.epoch_seconds,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "started_at": progress.started,
        "training_started_at": progress.training_started,  # the split made, the network built
        "first_batches_at": progress.first_report,
        "finished_at": time.time(),
    }


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
    elif record["status"] == Status.STOPPED:
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
