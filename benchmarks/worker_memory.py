"""A worker's memory over a class: 50 small trainings one after another on one worker, its own
resident memory (the process that stays) and that of the training process it keeps warm, after
the first training and after the last; each training runs in a fresh process, so what one leaks
leaves with it.

    .venv/bin/python -m benchmarks.worker_memory
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import psutil

from core.architecture import DenseLayer, Hyperparameters, TrainingConfig
from core.status import Status
from core.trainings import Limits
from core.trainings.on_redis import RedisTrainings
from harness.services import TrainingWorker, redis_server

ROOT = Path(__file__).resolve().parents[1]
TRAININGS = 50


def megabytes(process: psutil.Process) -> float:
    return round(process.memory_info().rss / 2**20, 1)


def memory(worker: TrainingWorker) -> dict:
    main = psutil.Process(worker.process.pid)
    return {"worker_mb": megabytes(main),
            "training_processes_mb": [megabytes(child) for child in main.children(recursive=True)]}


def main() -> None:
    config = TrainingConfig(dense=[DenseLayer(32)], hyper=Hyperparameters(epochs=1, train_images=2000))
    report = {"trainings": TRAININGS, "network": config.describe() + ", 1 epoch of 2,000 images"}
    with tempfile.TemporaryDirectory() as folder, redis_server() as redis:
        worker = TrainingWorker(redis.url, "memory", Path(folder) / "worker")
        limits = Limits(max_per_owner=1000, max_queued=1000)
        trainings = RedisTrainings(redis.url, limits, Path(folder) / "runs")
        try:
            started = time.perf_counter()
            for number in range(TRAININGS):
                config.hyper.seed = number
                job = trainings.submit(config, f"memory {number}")
                assert job.done.wait(300) and job.status == Status.FINISHED, job.progress()
                if number == 0:
                    report["after_the_first"] = memory(worker)
            report["seconds_per_training"] = round((time.perf_counter() - started) / TRAININGS, 2)
            time.sleep(8)  # the next training process warmed up
            report["after_the_last"] = memory(worker)
        finally:
            worker.stop()
    first, last = report["after_the_first"]["worker_mb"], report["after_the_last"]["worker_mb"]
    report["worker_growth_mb"] = round(last - first, 1)
    (ROOT / "benchmarks" / "results" / "worker_memory.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
