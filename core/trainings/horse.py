"""The process that trains one job for a worker (RQ calls it the "work horse"), spawned ahead.

    python -m core.trainings.horse WORKER_PID

It dies with its worker (the kernel's parent-death signal), imports TensorFlow, loads MNIST and
runs one tiny training step while the worker waits, says "ready", then reads its job's order (one
line of JSON on its standard input: the Redis URL, password included, travels there and on no
command line) and runs the job as RQ's own work horse does. One job per process: a crash or an
exhausted memory takes this process alone, and the worker spawns the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import select
import signal
import subprocess
import sys
import time

logger = logging.getLogger(__name__)

READY = b"ready\n"
# Trainings yield the CPU to the dashboard on the same machine: a page switch is waited for by a
# person, an epoch a little later by nobody in particular (0: no change).
NICE = int(os.environ.get("MNIST_EXPLORER_TRAINING_NICE", "10"))
READY_TIMEOUT = 180.0  # seconds: TensorFlow's import on a busy 2-core machine, with margin
PR_SET_PDEATHSIG, PR_SET_NAME = 1, 15
TRAINING_NAME = b"mnist-training"  # its name in `ps -o comm` (and psutil) once it has a job


def die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGKILL when the worker that spawned us dies; if it died already, go."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def warm_up() -> None:
    """What every training would otherwise pay at its start: TensorFlow, Keras's first fit, MNIST."""
    import numpy as np

    from core.trainings.worker import limit_threads, mnist

    limit_threads()
    import keras

    mnist()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((8, 4), "float32"), np.zeros(8, "int64"), batch_size=4, epochs=1, verbose=0)
    keras.backend.clear_session()


def run(order: dict) -> None:
    from redis import Redis
    from rq.executions import Execution

    from core.trainings import rq_jobs
    from core.trainings.worker import WarmWorker

    connection = Redis.from_url(order["url"])
    worker = WarmWorker.find_by_key(order["worker_key"], connection=connection,
                                    job_class=rq_jobs.TrainingRQJob, serializer=rq_jobs.SERIALIZER)
    if worker is None:  # its worker is gone already
        os._exit(1)
    job = rq_jobs.fetch(order["job_id"], connection)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(TRAINING_NAME))
    os.environ["RQ_JOB_ID"] = job.id
    execution = Execution.fetch(order["execution_id"], job.id, connection=connection)
    execution._job = job
    worker.execution = execution
    worker.main_work_horse(job, rq_jobs.queue(connection))  # exits the process


def main() -> int:
    die_with_parent(int(sys.argv[1]))
    ready_pipe = os.dup(1)  # "ready" goes to the worker; anything printed, to the log
    os.dup2(2, 1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the worker's to handle
    os.nice(NICE)
    started = time.perf_counter()
    warm_up()
    logger.info("training process %s ready in %.1f s", os.getpid(), time.perf_counter() - started)
    os.write(ready_pipe, READY)
    os.close(ready_pipe)
    line = sys.stdin.readline()
    if not line.strip():  # dismissed: the worker stops
        return 0
    run(json.loads(line))
    return 0


class Horse:
    """The worker's handle on a process spawned ahead."""

    def __init__(self, process: subprocess.Popen):
        self.process, self.pid, self._ready = process, process.pid, False

    @classmethod
    def spawn(cls, worker_name: str) -> Horse:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.trainings.horse", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, process_group=0,  # RQ kills its group
            env={**os.environ, "RQ_WORKER_ID": worker_name})
        return cls(process)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Wait until it has warmed up; False if it died meanwhile."""
        deadline = time.monotonic() + timeout
        while not self._ready and self.process.poll() is None and time.monotonic() < deadline:
            readable, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if readable:
                self._ready = self.process.stdout.readline() == READY
                if not self._ready:
                    break
        return self._ready

    def hand_over(self, order: dict) -> None:
        """Give it its job. From here RQ waits for it by pid (os.wait4): this handle lets go."""
        self.process.stdin.write(json.dumps(order).encode() + b"\n")
        self.process.stdin.close()
        self.process.stdout.close()
        self.process.returncode = 0  # reaped by RQ, not by subprocess

    def dismiss(self) -> None:
        """The worker stops: end the process it spawned ahead, which never got a job."""
        if self.process.returncode is None and self.process.poll() is None:
            self.process.kill()  # it holds nothing: no job was handed to it
            self.process.wait()


if __name__ == "__main__":
    sys.exit(main())
