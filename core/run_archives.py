"""A run as one archive: how a run trained on another machine, with no disk shared, comes back to
the dashboard's runs folder, whole or not at all.

A worker saves the run in a folder of its own (`runs.save_run`), packs it with `pack`, and hands the
bytes back (through Redis); the dashboard's `unpack` writes them under a hidden temporary name and
renames the folder into place only once complete, as `runs.save_run` does.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

from core import files, runs


def pack(run: runs.Run) -> bytes:
    """The run's folder (model, record, epochs) as a gzipped tar, its files under the run's id."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:  # weights barely compress
        archive.add(run.folder, arcname=run.id)
    return buffer.getvalue()


def unpack(data: bytes, root: Path | None = None) -> runs.Run:
    """Save an archive made by `pack` as a run of `root` (the runs folder), atomically; a run with
    that id already there is kept as it is (an archive is saved once, whoever asks twice)."""
    root = root or runs.runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = archive.getmembers()
        run_id = members[0].name.split("/")[0] if members else ""
        folder = runs.run_folder(run_id, root)  # refuses anything that is not a run id
        if any(member.name != run_id and not member.name.startswith(f"{run_id}/") for member in members):
            raise runs.RunError(f"the archive of run {run_id} holds files of something else")
        if folder.is_dir():
            return runs.read_run(folder)
        staging = root / f"{runs.PARTIAL_PREFIX}{run_id}"  # listed as incomplete, should we stop here
        shutil.rmtree(staging, ignore_errors=True)  # a save cut short before: done again
        # the "data" filter refuses absolute paths, links out of the folder and devices
        archive.extractall(staging, filter="data")
    files.fsync(staging / run_id)
    (staging / run_id).rename(folder)  # the moment the run becomes complete
    shutil.rmtree(staging)
    files.fsync(root)
    return runs.read_run(folder)
