"""What training on an RQ worker costs against training in the dashboard's process, and how fast a
Stop answers there, on this machine.

1. Seconds per epoch of the same training (the "best" preset, 6 epochs on all the images; the first
   epoch left out: graph tracing) in-process and on one worker with all the cores, alternating, 3
   rounds: the ratio of medians (goal <= 1.05), and a worker's start-up (a fresh process, TensorFlow
   and the data loaded) from Train to its first batches.
2. In headless Chromium, on a dashboard whose trainings run on Redis: the click on Stop to the page
   saying "stopped" (goal <= 1 s), 5 times.

    .venv/bin/python -m benchmarks.redis_trainings
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from core.architecture import preset
from core.data import load_mnist
from core.trainings import Limits
from core.trainings.local import LocalTrainings
from core.trainings.on_redis import RedisTrainings
from harness.browser import dashboard_in_chromium, enter, open_from_navigation, press_slider
from harness.services import TrainingWorker, redis_server

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 3


def epoch_seconds(trainings, config) -> tuple[list[float], float]:
    """(seconds of each epoch after the first, seconds from submit to the first batches)."""
    submitted = time.perf_counter()
    job = trainings.submit(config, f"overhead {time.time()}")
    while job.stage() in ("queued", "preparing"):
        time.sleep(0.05)
    first_batches = time.perf_counter() - submitted
    assert job.done.wait(600), job.progress()
    return job.progress().epoch_seconds[1:], first_batches


def overhead(data, folder: Path) -> dict:
    config = preset("best")
    config.hyper.epochs = 6
    local = LocalTrainings(data, folder / "local", Limits(max_per_owner=100))
    measured = {"in_process": [], "worker": [], "worker_start_seconds": [], "in_process_start_seconds": []}
    with redis_server() as redis:
        worker = TrainingWorker(redis.url, "overhead", folder / "worker", threads=0)
        remote = RedisTrainings(redis.url, Limits(max_per_owner=100), folder / "dashboard")
        try:
            for round_ in range(ROUNDS):
                config.hyper.seed = round_
                seconds, start = epoch_seconds(local, config)
                measured["in_process"] += seconds
                measured["in_process_start_seconds"].append(round(start, 2))
                seconds, start = epoch_seconds(remote, config)
                measured["worker"] += seconds
                measured["worker_start_seconds"].append(round(start, 2))
        finally:
            worker.stop()
    medians = {name: statistics.median(measured[name]) for name in ("in_process", "worker")}
    return {"preset": "best", "epochs_per_training": 6, "rounds": ROUNDS,
            "median_epoch_seconds": {name: round(value, 3) for name, value in medians.items()},
            "worker_over_in_process": round(medians["worker"] / medians["in_process"], 3), "goal": 1.05,
            "start_to_first_batches_seconds": {"in_process": measured["in_process_start_seconds"],
                                               "worker": measured["worker_start_seconds"]}}


def stop_in_chromium(folder: Path) -> dict:
    seconds = []
    with redis_server() as redis:
        worker = TrainingWorker(redis.url, "stops", folder / "stop-worker")
        try:
            with dashboard_in_chromium(folder / "stop-runs", height=1200,
                                       env={"MNIST_EXPLORER_REDIS_URL": redis.url}) as page:
                open_from_navigation(page, "Train")
                press_slider(page, "Epochs", "End")  # 200: it trains until stopped
                for attempt in range(5):
                    enter(page, "Training images (the first N)", 20_000 + attempt)
                    page.get_by_role("button", name="Train", exact=True).click()
                    page.get_by_text(re.compile(r"epoch \d+ of 200")).first.wait_for(timeout=120_000)
                    page.wait_for_timeout(1500)  # mid-training, a few epochs in
                    started = time.perf_counter()
                    page.get_by_role("button", name="Stop", exact=True).first.click()
                    # this run's headline (the earlier runs' cards say "stopped" too)
                    page.get_by_text(f"Run #{attempt + 1}: stopped").wait_for(timeout=30_000)
                    seconds.append(time.perf_counter() - started)
                    page.get_by_text(f"Run #{attempt + 1}: stopped").wait_for(timeout=60_000)
                    saved = "() => document.querySelectorAll('[data-testid=stAlertContentSuccess]').length"
                    page.wait_for_function(f"({saved})() >= {attempt + 1}", timeout=60_000)
        finally:
            worker.stop()
    return {"stops": len(seconds), "click_to_stopped_seconds": [round(s, 3) for s in seconds],
            "median_seconds": round(statistics.median(seconds), 3), "goal_seconds": 1.0}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = {"overhead": overhead(load_mnist(), Path(folder)), "stop": stop_in_chromium(Path(folder))}
    (ROOT / "benchmarks" / "results" / "redis_trainings.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
