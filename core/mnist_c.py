"""MNIST-C on disk: the fifteen corruptions (core.corruptions) of the 10,000 test digits, made once
in a process of their own and kept in the data cache, one file per corruption.

Made in a process, not in the dashboard's threads: some corruptions are seconds of pure Python
holding the GIL. Its folder is named by what determines the images (the corruptions' VERSION, the
seed, the test images themselves), so a change of any of them makes new ones. A lock file held by
the making process keeps two askers from making them twice; a manifest keeps each file's sha256, and
a file that no longer matches (damaged, cut short) is deleted, said, and made again.

    .venv/bin/python -m core.mnist_c      # make what is missing (the dashboard starts it itself)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import corruptions, data, files

logger = logging.getLogger(__name__)

SEED = 2019  # the corruptions' base seed (each has its own, from it): ours, the reference seeds nothing
MANIFEST, PROGRESS, LOCK, LOG = "manifest.json", "progress.json", "making.lock", "making.log"


def folder_for(test_images: np.ndarray, root: Path | None = None) -> Path:
    """The folder of the corrupted images of these test images, under the data cache."""
    key = hashlib.sha256(f"{corruptions.VERSION}:{SEED}:".encode() + np.ascontiguousarray(
        test_images, dtype=np.uint8).tobytes()).hexdigest()[:16]
    return (root or data.cache_path().parent) / "mnist-c" / key


def _file(folder: Path, name: str) -> Path:
    return folder / f"{name.replace(' ', '_')}.npy"


def _read_json(path: Path) -> dict:
    try:
        content = json.loads(path.read_text())
        return content if isinstance(content, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, content: dict) -> None:
    files.atomic_write(path, lambda stream: stream.write(json.dumps(content, indent=1).encode()))


@dataclass
class State:
    """What is on disk, and what the making process is doing."""

    ready: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # found damaged and deleted: to be made again
    making: bool = False
    current: str = ""  # the corruption being made now
    seconds: dict[str, float] = field(default_factory=dict)  # how long each took to make
    error: str = ""

    @property
    def complete(self) -> bool:
        return len(self.ready) == len(corruptions.CORRUPTIONS)


def _is_making(folder: Path) -> bool:
    """Whether a process holds the lock (it is released when that process ends, however it ends)."""
    try:
        with open(folder / LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(lock, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def state(folder: Path) -> State:
    manifest, progress = _read_json(folder / MANIFEST), _read_json(folder / PROGRESS)
    ready = [name for name in corruptions.CORRUPTIONS
             if name in manifest and _file(folder, name).is_file()]
    making = folder.is_dir() and _is_making(folder)
    return State(ready=ready, damaged=list(progress.get("damaged", [])), making=making,
                 current=progress.get("current", "") if making else "",
                 seconds=dict(progress.get("seconds", {})), error=progress.get("error", ""))


def load(folder: Path, name: str) -> np.ndarray | None:
    """The 10,000 corrupted images of `name` (memory-mapped, read-only), or None if they are not made
    yet or were damaged (then deleted, and said in the progress file, so that they are made again)."""
    path = _file(folder, name)
    expected = _read_json(folder / MANIFEST).get(name)
    if expected is None or not path.is_file():
        return None
    try:
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise ValueError("its content does not match the sha256 it was saved with")
        images = np.load(path, mmap_mode="r", allow_pickle=False)
        if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
            raise ValueError(f"it holds {images.dtype} {images.shape}, not 28x28 gray levels")
        return images
    except (OSError, ValueError) as problem:
        logger.warning("MNIST-C %s in %s is damaged (%s): deleted, to be made again", name, folder, problem)
        path.unlink(missing_ok=True)
        progress = _read_json(folder / PROGRESS)
        _write_json(folder / PROGRESS, progress | {"damaged": sorted({*progress.get("damaged", []), name})})
        return None


def start(folder: Path, first: int | None = None) -> bool:
    """Start the making process unless one runs; whether one was started. It outlives a page. With
    `first`, of the first test images only (the tests' quick version)."""
    folder.mkdir(parents=True, exist_ok=True)
    if _is_making(folder):
        return False
    command = [sys.executable, "-m", "core.mnist_c", "--folder", str(folder)]
    with open(folder / LOG, "ab") as log:
        subprocess.Popen(command + (["--first", str(first)] if first else []), stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                         cwd=Path(__file__).resolve().parents[1])
    deadline = time.time() + 5  # until it holds its lock: a page drawn now says "making"
    while time.time() < deadline and not _is_making(folder) and not state(folder).complete:
        time.sleep(0.05)
    return True


def make(folder: Path, test_images: np.ndarray) -> State:
    """Make every corruption whose file is missing or damaged, in order, saying how far it got. One
    process at a time (the lock): another waits for it, then finds the files made and makes none."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocking: a page's brief look at the lock never turns it away
        progress = _read_json(folder / PROGRESS) | {"error": ""}
        manifest = _read_json(folder / MANIFEST)
        for name in corruptions.CORRUPTIONS:
            if load(folder, name) is not None:
                continue
            _write_json(folder / PROGRESS, progress | {"current": name})
            started = time.perf_counter()
            images = corruptions.corrupt(test_images, name, corruptions.seed_of(name, SEED))
            files.atomic_write(_file(folder, name), lambda stream, images=images: np.save(stream, images))
            manifest[name] = hashlib.sha256(_file(folder, name).read_bytes()).hexdigest()
            _write_json(folder / MANIFEST, manifest)
            progress.setdefault("seconds", {})[name] = round(time.perf_counter() - started, 2)
            progress["damaged"] = [other for other in progress.get("damaged", []) if other != name]
            logger.info("MNIST-C %s made in %.1f s", name, progress["seconds"][name])
        _write_json(folder / PROGRESS, progress | {"current": ""})
    return state(folder)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m core.mnist_c", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None, help="where to keep them (default: the "
                        "data cache's mnist-c folder for this test set)")
    parser.add_argument("--first", type=int, default=None, help="only the first N test images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    test_images = data.load_mnist().x_test[:args.first]
    folder = args.folder or folder_for(test_images)
    try:
        made = make(folder, test_images)
    except Exception as error:  # said on the page, which offers to try again
        logger.exception("MNIST-C could not be made")
        progress = _read_json(folder / PROGRESS)
        said = f"{type(error).__name__}: {error}"
        _write_json(folder / PROGRESS, progress | {"current": "", "error": said})
        return 1
    logger.info("MNIST-C: %d of %d corruptions ready in %s", len(made.ready), len(corruptions.CORRUPTIONS),
                folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
