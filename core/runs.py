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
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RUNS_ENV = "MNIST_EXPLORER_RUNS"
MODEL_FILE = "model.keras"
RECORD_FILE = "run.json"
PARTIAL_PREFIX = ".partial-"
MAX_NAME_LENGTH = 80
_RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


class RunError(Exception):
    """A run that cannot be found, read or loaded; the message says which and why."""


@dataclass
class Run:
    id: str
    folder: Path
    status: str  # finished, stopped, incomplete or damaged
    record: dict = field(default_factory=dict)
    problem: str = ""  # why an incomplete or damaged run is so

    @property
    def name(self) -> str:
        return self.record.get("name") or self.id

    @property
    def usable(self) -> bool:
        return self.status in ("finished", "stopped")


def runs_dir() -> Path:
    return Path(os.environ.get(RUNS_ENV) or Path(__file__).resolve().parents[1] / "runs")


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def clean_name(name: str) -> str:
    """A display name: printable, one line, trimmed, at most MAX_NAME_LENGTH characters."""
    one_line = " ".join(str(name).split())  # any run of whitespace, newlines too, is one space
    return "".join(ch for ch in one_line if ch.isprintable()).strip()[:MAX_NAME_LENGTH]


def _write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a temporary file, flushed to disk, renamed over the old one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=1)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_run(model, record: dict, root: Path | None = None, run_id: str | None = None) -> Run:
    """Save a model and its record as a complete run, or not at all."""
    root = root or runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    record = {**record, "id": run_id, "name": clean_name(record.get("name") or run_id)}
    partial = root / f"{PARTIAL_PREFIX}{run_id}"
    partial.mkdir()
    model.save(partial / MODEL_FILE)
    _write_json(partial / RECORD_FILE, record)
    _fsync(partial / MODEL_FILE)
    _fsync(partial)
    os.rename(partial, root / run_id)  # the moment the run becomes complete
    _fsync(root)
    return Run(run_id, root / run_id, record["status"], record)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_run(folder: Path) -> Run:
    """The run in `folder`, with status damaged or incomplete (and why) if it is not whole."""
    if folder.name.startswith(PARTIAL_PREFIX):
        return Run(folder.name, folder, "incomplete", problem="its save was interrupted "
                   "(the program stopped while writing it)")
    try:
        record = json.loads((folder / RECORD_FILE).read_text())
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return Run(folder.name, folder, "damaged", problem=f"{RECORD_FILE} is missing")
    except (OSError, ValueError) as error:
        return Run(folder.name, folder, "damaged", problem=f"{RECORD_FILE} is unreadable ({error})")
    if not (folder / MODEL_FILE).is_file():
        return Run(folder.name, folder, "damaged", record, problem=f"{MODEL_FILE} is missing")
    status = record.get("status")
    if status not in ("finished", "stopped"):
        return Run(folder.name, folder, "damaged", record, problem=f"unknown status {status!r}")
    return Run(folder.name, folder, status, record)


def list_runs(root: Path | None = None) -> list[Run]:
    """Every run folder, newest first; damaged and incomplete ones included, marked as such."""
    root = root or runs_dir()
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir()
               and (_RUN_ID.match(p.name) or p.name.startswith(PARTIAL_PREFIX))]
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


def rename_run(run_id: str, new_name: str, root: Path | None = None) -> Run:
    run = get_run(run_id, root)
    if not run.usable:
        raise RunError(f"run {run_id} is {run.status} and cannot be renamed")
    name = clean_name(new_name)
    if not name:
        raise RunError("a run's name cannot be empty")
    record = {**run.record, "name": name}
    _write_json(run.folder / RECORD_FILE, record)
    return Run(run.id, run.folder, run.status, record)


def delete_run(run_id: str, root: Path | None = None) -> None:
    shutil.rmtree(run_folder(run_id, root), ignore_errors=False)


def load_model(run: Run):
    """The run's Keras model, loaded in safe mode (no arbitrary code from the file)."""
    import keras

    if not run.usable:
        raise RunError(f"run {run.name} is {run.status}: {run.problem}")
    try:
        return keras.saving.load_model(run.folder / MODEL_FILE, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a damaged zip or config
        raise RunError(f"the model file of run {run.name} ({run.folder / MODEL_FILE}) "
                       f"cannot be loaded: {error}") from error
