"""Runs that last: each trained model in a folder of its own, saved atomically.

A run folder holds `model.keras` (Keras's format) and `run.json` (configuration, history, metrics,
timings, dataset source). It is written under a hidden temporary name and renamed into place only
once complete, so a crash mid-save leaves a folder that `list_runs` reports as incomplete, never
one that looks complete. Folder names are generated here; user text only ever becomes a display
name inside run.json, never part of a path.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import files
from core.run_records import record_problems
from core.status import SAVED, USABLE, Status

RUNS_ENV = "MNIST_EXPLORER_RUNS"
MODEL_FILE = "model.keras"
RECORD_FILE = "run.json"
EPOCHS_DIR = "epochs"  # the weights after each full epoch: epochs/001.npz, ...
PREDICTIONS_DIR = "predictions"  # caches computed from those, when first needed
TEST_ANSWERS = "test_answers.npy"  # the model's digit for each test image (its argmax, 10 KB)
PARTIAL_PREFIX = ".partial-"
MAX_NAME_LENGTH = 80
_RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


class RunError(Exception):
    """A run that cannot be found, read or loaded; the message says which and why."""


@dataclass
class Run:
    id: str
    folder: Path
    status: Status  # finished, stopped, diverged, incomplete or damaged
    record: dict = field(default_factory=dict)
    problem: str = ""  # why an incomplete or damaged run is so

    @property
    def name(self) -> str:
        return self.record.get("name") or self.id

    @property
    def usable(self) -> bool:
        """Whether its model can be evaluated and drawn for: a diverged one only answers NaN."""
        return self.status in USABLE

    @property
    def owner(self) -> str | None:
        """Who made it (a session's id, or "terminal"); None when the record does not say."""
        return self.record.get("owner")

    def managed_by(self, owner: str) -> bool:
        """Whether `owner` may rename or delete it from the dashboard: only the session that made it."""
        return self.owner is not None and self.owner == owner


def runs_dir() -> Path:
    return Path(os.environ.get(RUNS_ENV) or Path(__file__).resolve().parents[1] / "runs")


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def clean_name(name: str) -> str:
    """A display name: printable, one line, trimmed, at most MAX_NAME_LENGTH characters."""
    one_line = " ".join(str(name).split())  # any run of whitespace, newlines too, is one space
    return "".join(ch for ch in one_line if ch.isprintable()).strip()[:MAX_NAME_LENGTH]


def _write_json(path: Path, data: dict) -> None:
    files.atomic_write(path, lambda stream: stream.write(json.dumps(data, indent=1).encode()))


def check_writable(root: Path | None = None) -> None:
    """Raise RunError, saying why, unless new runs can be saved under `root`."""
    root = root or runs_dir()
    try:
        files.check_writable(root)
    except OSError as error:
        raise RunError(f"runs cannot be saved: {error}. Set {RUNS_ENV} to a folder that can be "
                       "written.") from error


def save_run(model, record: dict, root: Path | None = None, run_id: str | None = None,
             epochs: Path | None = None, test_answers: np.ndarray | None = None) -> Run:
    """Save a model and its record (and the folder of per-epoch weights, and its answers on the
    test set, if given) as a complete run, or not at all."""
    root = root or runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    record = {**record, "id": run_id, "name": clean_name(record.get("name") or run_id)}
    partial = root / f"{PARTIAL_PREFIX}{run_id}"
    partial.mkdir()
    model.save(partial / MODEL_FILE)
    if epochs is not None:
        shutil.copytree(epochs, partial / EPOCHS_DIR)
    if test_answers is not None:
        np.save(partial / TEST_ANSWERS, np.asarray(test_answers, dtype=np.uint8))
    _write_json(partial / RECORD_FILE, record)
    files.fsync(partial / MODEL_FILE)
    files.fsync(partial)
    partial.rename(root / run_id)  # the moment the run becomes complete
    files.fsync(root)
    return Run(run_id, root / run_id, Status(record["status"]), record)


def read_run(folder: Path) -> Run:
    """The run in `folder`, with status damaged or incomplete (and why) if it is not whole.

    Read once per version of its files: a listing of hundreds of runs (a search's trials), on
    every page, parses only the records that changed since the last one."""
    if folder.name.startswith(PARTIAL_PREFIX):
        return Run(folder.name, folder, Status.INCOMPLETE, problem="its save was interrupted "
                   "(the program stopped while writing it)")
    signature = _signature(folder)
    with _read_lock:
        known = _read.get(folder)
    if known is not None and known[0] == signature:
        return known[1]
    run = _read_run(folder)
    with _read_lock:
        _read[folder] = (signature, run)
    return run


# folder: (its files' signature, the Run read from them)
_read: dict[Path, tuple[tuple, Run]] = {}
_read_lock = threading.Lock()


def _signature(folder: Path) -> tuple:
    """What changes whenever a run's files do: each file's time, size and inode (a rename writes a
    new file over the old)."""
    signature = []
    for name in (RECORD_FILE, MODEL_FILE):
        try:
            stat = (folder / name).stat()
            signature.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            signature.append(None)
    return tuple(signature)


def _read_run(folder: Path) -> Run:
    try:
        record = json.loads((folder / RECORD_FILE).read_text())
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return Run(folder.name, folder, Status.DAMAGED, problem=f"{RECORD_FILE} is missing")
    except (OSError, ValueError) as error:
        return Run(folder.name, folder, Status.DAMAGED, problem=f"{RECORD_FILE} is unreadable ({error})")
    if problems := record_problems(record):
        # keep only the name, if it is one, so that a damaged run is still recognisable
        name = record.get("name") if isinstance(record.get("name"), str) else ""
        return Run(folder.name, folder, Status.DAMAGED, {"name": clean_name(name)} if name else {},
                   problem=f"{RECORD_FILE} is not a valid record: " + "; ".join(problems))
    if problem := model_file_problem(folder / MODEL_FILE):
        return Run(folder.name, folder, Status.DAMAGED, record, problem=problem)
    return Run(folder.name, folder, Status(record["status"]), record)


def model_file_problem(path: Path) -> str:
    """What is wrong with a model file, or ''. Reads the zip's directory, not the whole file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except FileNotFoundError:
        return f"{MODEL_FILE} is missing"
    except (OSError, zipfile.BadZipFile) as error:  # truncated, overwritten, not a zip at all
        return f"{MODEL_FILE} is damaged ({type(error).__name__}: {error})"
    missing = {"config.json", "model.weights.h5"} - names
    return f"{MODEL_FILE} is damaged (it has no {', '.join(sorted(missing))})" if missing else ""


def list_runs(root: Path | None = None) -> list[Run]:
    """Every run folder, newest first; damaged and incomplete ones included, marked as such."""
    root = root or runs_dir()
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir()
               and (_RUN_ID.match(p.name) or p.name.startswith(PARTIAL_PREFIX))]
    with _read_lock:  # forget the runs deleted since
        for gone in [folder for folder in _read if folder.parent == root and folder not in folders]:
            del _read[gone]
    runs = [read_run(folder) for folder in folders]
    return sorted(runs, key=_newest_first, reverse=True)


def _newest_first(run: Run) -> tuple[float, str]:
    # ids only tell the second; the record knows the moment (two tiny runs can share a second)
    run_id = run.id.removeprefix(PARTIAL_PREFIX)
    saved = run.record.get("finished_at")
    if not isinstance(saved, (int, float)):
        saved = time.mktime(time.strptime(run_id[:15], "%Y%m%d-%H%M%S"))
    return saved, run_id


def run_folder(run_id: str, root: Path | None = None) -> Path:
    """The folder of a run id, refusing anything that is not an id this module made."""
    name = run_id.removeprefix(PARTIAL_PREFIX)
    if not _RUN_ID.match(name):
        raise RunError(f"{run_id!r} is not a run id")
    return (root or runs_dir()) / run_id


def get_run(run_id: str, root: Path | None = None) -> Run:
    folder = run_folder(run_id, root)
    if not folder.is_dir():
        raise RunError(f"run {run_id} does not exist (deleted?)")
    return read_run(folder)


def rename_run(run_id: str, new_name: str, root: Path | None = None, owner: str | None = None) -> Run:
    """Rename a run; with `owner`, only if that owner made it (the dashboard passes its session)."""
    run = get_run(run_id, root)
    _check_owner(run, owner)
    if run.status not in SAVED:
        raise RunError(f"run {run_id} is {run.status} and cannot be renamed")
    name = clean_name(new_name)
    if not name:
        raise RunError("a run's name cannot be empty")
    record = {**run.record, "name": name}
    _write_json(run.folder / RECORD_FILE, record)
    return Run(run.id, run.folder, run.status, record)


def record_test(run: Run, answers: np.ndarray, labels: np.ndarray, **said) -> Run:
    """Keep a run's answers on the test set and its test accuracy, for a run saved without them (a
    search trial, tested once it was chosen); `said` adds to its record (why it was tested)."""
    answers = np.asarray(answers, dtype=np.uint8)
    files.atomic_write(run.folder / TEST_ANSWERS, lambda stream: np.save(stream, answers))
    record = {**run.record, "test_accuracy": float((answers == labels).mean()), **said}
    _write_json(run.folder / RECORD_FILE, record)
    return Run(run.id, run.folder, run.status, record)


def delete_run(run_id: str, root: Path | None = None, owner: str | None = None) -> None:
    """Delete a run's folder; with `owner`, only if that owner made it."""
    folder = run_folder(run_id, root)
    if not folder.is_dir():
        raise RunError(f"run {run_id} does not exist (deleted already?)")
    _check_owner(read_run(folder), owner)
    shutil.rmtree(folder)


def _check_owner(run: Run, owner: str | None) -> None:
    if owner is not None and not run.managed_by(owner):
        who = "the command line" if run.owner == "terminal" else (
            "another session" if run.owner else "an unknown session")
        raise RunError(f"run {run.name} was made by {who}: it is read-only here "
                       "(python -m core.cli runs ... manages every run from a terminal)")


def epoch_weights(run: Run) -> list[Path]:
    """The weight files of a run's full epochs, in order (none for runs made before they were kept)."""
    folder = run.folder / EPOCHS_DIR
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def save_epoch_weights(path: Path, model) -> None:
    """All of the model's weights, in its own order, as plain arrays: about 4 ms for the "best"
    preset, against 30-40 ms for Keras's save_weights (which checked in at 2.9% of an epoch)."""
    np.savez(path, *model.get_weights())


def load_epoch_weights(path: Path, model) -> None:
    """Give `model` (the run's own architecture) the weights saved in `path`."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            weights = [stored[f"arr_{number}"] for number in range(len(stored.files))]
        model.set_weights(weights)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:  # cut short, or another net's
        raise RunError(f"the weights in {path.name} cannot be used: {error}") from error


def test_answers(run: Run, answer: Callable[[Run], np.ndarray]) -> np.ndarray:
    """The run's digit for each test image, as saved with it; for a run saved before answers were
    kept, `answer(run)` gives them once and they are kept beside its model (the file is the cache)."""
    path = run.folder / TEST_ANSWERS
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        answers = np.asarray(answer(run), dtype=np.uint8)
        files.atomic_write(path, lambda stream: np.save(stream, answers))
        return answers


def model_bytes(run: Run) -> bytes:
    """The model file, read only when asked for (a download), never when a page lists runs."""
    return (run.folder / MODEL_FILE).read_bytes()


def load_model(run: Run):
    """The run's Keras model, loaded in safe mode (no arbitrary code from the file)."""
    import keras

    import core.architecture.shared_block  # noqa: F401  (registers the repeated convolution for loading)

    if not run.usable:
        raise RunError(f"run {run.name} is {run.status}: {run.problem}")
    if problem := model_file_problem(run.folder / MODEL_FILE):  # Keras would say "file not found"
        raise RunError(f"the model file of run {run.name} cannot be loaded: {problem}")
    try:
        return keras.saving.load_model(run.folder / MODEL_FILE, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a damaged zip or config
        raise RunError(f"the model file of run {run.name} cannot be loaded: {error}") from error
