"""Throwaway services for the tests and the benchmarks: a Redis server and RQ training workers, each
on a free loopback port or in a folder of its own, removed afterwards. `make test` installs Debian's
redis-server; nothing here downloads anything."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.browser import ARTIFACTS, ROOT, free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A redis-server of its own: on a free loopback port, its files in `folder`, append-only
    persistence on (as `make serve` runs it), so that a restart keeps what was queued."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        from redis import Redis

        client, deadline = Redis.from_url(self.url), time.monotonic() + 20
        while True:
            try:
                client.ping()
                return self
            except Exception as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    code = self.process.poll()
                    raise RuntimeError(f"redis-server did not start (exit code {code})") from error
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


@contextlib.contextmanager
def redis_server():
    """A running throwaway Redis; yields it (its `url`), removes it and its files afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-explorer-redis-"))
    server = RedisServer(folder).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class TrainingWorker:
    """`python -m core.trainings.worker` in a process of its own, with a runs folder of its own (as
    on another machine: it shares no disk with the dashboard)."""

    def __init__(self, url: str, name: str, runs_folder: Path, threads: int = 1):
        self.name = name
        runs_folder.mkdir(parents=True, exist_ok=True)
        ARTIFACTS.mkdir(exist_ok=True)
        self.log = open(ARTIFACTS / f"worker-{name}-{os.getpid()}.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.trainings.worker", "--url", url, "--name", name,
             "--threads", str(threads)],
            cwd=ROOT, env={**os.environ, "MNIST_EXPLORER_RUNS": str(runs_folder)},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the worker and the training it runs (a machine switched off)."""
        import psutil

        victims = [self.process.pid] + [child.pid for child in psutil.Process(self.process.pid).children(
            recursive=True)]
        for pid in victims + self._trainings():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)

    def freeze_training(self) -> None:
        """SIGSTOP the training it runs (a process stuck outside its batches: it answers nothing)."""
        for pid in self._trainings():
            os.kill(pid, signal.SIGSTOP)

    def _trainings(self) -> list[int]:
        """The pids of the processes training its jobs (not the one it spawned ahead, still idle)."""
        import psutil

        from core.trainings.horse import TRAINING_NAME

        with contextlib.suppress(psutil.NoSuchProcess):
            return [child.pid for child in psutil.Process(self.process.pid).children(recursive=True)
                    if child.name() == TRAINING_NAME.decode()]
        return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class ClassroomServer:
    """`make serve`'s stack (`python -m core.serve`: supervisord, Redis, workers, the dashboard) on
    free ports, with a runs folder of its own; `stop()` is a Ctrl+C."""

    def __init__(self, runs_folder: Path, workers: int = 2, address: str = "localhost"):
        self.runs_folder, self.workers = runs_folder, workers
        self.port, self.redis_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(exist_ok=True)
        self.log = open(ARTIFACTS / f"classroom-{self.port}.log", "w")  # noqa: SIM115 (closed in stop)
        self.env = {**os.environ, "MNIST_EXPLORER_RUNS": str(runs_folder)}
        self.seen: set = set()  # every process of the stack seen so far
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.serve", "--workers", str(workers), "--port", str(self.port),
             "--redis-port", str(self.redis_port), "--address", address],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def password(self) -> str | None:
        path = self.runs_folder / "redis" / "password"
        return path.read_text().strip() if path.is_file() else None

    def processes(self) -> list:
        """Every process of the stack: supervisord and all it started, the trainings included
        (its descendants, and any process left with its runs folder in its environment)."""
        import psutil

        found = set()
        with contextlib.suppress(psutil.Error):
            supervisor = psutil.Process(self.process.pid)
            found |= {supervisor, *supervisor.children(recursive=True)}
        for process in psutil.process_iter(["environ"]):
            with contextlib.suppress(psutil.Error):
                if (process.info.get("environ") or {}).get("MNIST_EXPLORER_RUNS") == str(self.runs_folder):
                    found.add(process)
        self.seen |= found
        return sorted(found, key=lambda process: process.pid)

    def leftovers(self) -> list:
        """The processes of the stack still alive (zombies aside): after a Ctrl+C, none."""
        import psutil

        alive = []
        for process in self.seen | set(self.processes()):
            with contextlib.suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
        return alive

    def program(self, name: str) -> list:
        """The processes running the program `name` (`web`, `worker`, `redis`), by command line."""
        marks = {"web": "streamlit", "worker": "core.trainings.worker", "redis": "redis-server"}
        found = []
        for process in self.processes():
            with contextlib.suppress(Exception):
                if marks[name] in " ".join(process.cmdline()):
                    found.append(process)
        return found

    def healthy(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    def stop(self, timeout: float = 60) -> None:
        """Ctrl+C: supervisord stops everything it started."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
