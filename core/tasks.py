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
    future: Future | None = None
    submitted: float = field(default_factory=time.monotonic)
    began: float | None = None  # when the worker took it up

    def seconds(self) -> float:
        """How long it has been computing (not waiting)."""
        return time.monotonic() - self.began if self.began is not None else 0.0


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
                task = Task(key, description)
                task.future = self._pool.submit(self._run, task, function)
                self._tasks[key] = task
            return task

    @staticmethod
    def _run(task: Task, function: Callable[[], object]) -> object:
        task.began = time.monotonic()
        return function()

    def ahead_of(self, task: Task) -> list[Task]:
        """The tasks the worker does before `task`: submitted earlier and not done yet."""
        with self._lock:
            return [other for other in self._tasks.values()
                    if other.submitted < task.submitted and not other.future.done()]

    def tasks(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def get(self, key: str) -> Task | None:
        with self._lock:
            return self._tasks.get(key)

    def forget(self, key: str) -> None:
        """Drop a finished task (its result lives on disk); a running one is kept."""
        with self._lock:
            task = self._tasks.get(key)
            if task is not None and task.future.done():
                del self._tasks[key]
