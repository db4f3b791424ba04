"""Long computations (a UMAP or t-SNE layout) run in a background thread, once per question: every
session that asks the same question while it runs gets the same task, and the page polls it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class Task:
    key: str
    description: str
    future: Future
    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return time.monotonic() - self.started


class BackgroundTasks:
    def __init__(self, workers: int = 1):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="background")
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def submit(self, key: str, description: str, function: Callable[[], object]) -> Task:
        """The task for `key`: the one already running or done, or a new one (a failed one is
        started again, so that "try again" works)."""
        with self._lock:
            task = self._tasks.get(key)
            if task is None or (task.future.done() and task.future.exception() is not None):
                logger.info("background: %s", description)
                task = Task(key, description, self._pool.submit(function))
                self._tasks[key] = task
            return task

    def get(self, key: str) -> Task | None:
        with self._lock:
            return self._tasks.get(key)

    def forget(self, key: str) -> None:
        """Drop a finished task (its result lives on disk); a running one is kept."""
        with self._lock:
            task = self._tasks.get(key)
            if task is not None and task.future.done():
                del self._tasks[key]
