"""Train click to the first curve point in headless Chromium, in the dashboard's process and on a
classroom server's idle worker (its training process spawned ahead), 5 times each, with where the
seconds go: the queue (click to a worker's start), the start (to the training process's start),
the preparation (the split, the network built), the first step (Keras traces its graph), and the
page (the first point published to it drawn).

    .venv/bin/python -m benchmarks.first_curve
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from harness.browser import dashboard_in_chromium, enter, open_from_navigation, press_slider, wait_until_idle
from harness.services import TrainingWorker, redis_server

ROOT = Path(__file__).resolve().parents[1]
TIMES = 5
# the first point of a training other than the one shown before: (job, points) on the chart
SHOWN = """() => {
    const chart = document.querySelector('.live-curves canvas');
    return chart ? [chart.dataset.job, Number(chart.dataset.batchPoints)] : [null, 0];
}"""


def first_curves(page, runs_folder: Path, worker: TrainingWorker | None = None) -> list[dict]:
    """Train TIMES "given" networks (1 epoch of 20,000 images) one after another; each one's
    seconds from the click to its first point drawn, and where they went (from its run's record)."""
    from core import runs

    open_from_navigation(page, "Train")
    press_slider(page, "Epochs", "Home")  # 1 epoch
    measured = []
    for attempt in range(TIMES):
        # the page settled after the last training's end; the worker's next process warmed up
        time.sleep(8 if worker is not None else 2)
        wait_until_idle(page)
        enter(page, "Training images (the first N)", 20_000 + attempt)
        wait_until_idle(page)
        before = page.evaluate(SHOWN)[0]
        clicked = time.time()
        page.get_by_role("button", name="Train", exact=True).click()
        try:
            new_points = f"(([job, points]) => job !== {json.dumps(before)} && points > 0)(({SHOWN})())"
            page.wait_for_function(new_points, timeout=120_000, polling=20)
        except Exception:
            page.screenshot(path=str(ROOT / "test-artifacts" / "first-curve-failed.png"), full_page=True)
            raise
        seen = time.time()
        deadline = time.monotonic() + 120
        while len(saved := [run for run in runs.list_runs(runs_folder) if run.status == "finished"]) \
                <= attempt:
            assert time.monotonic() < deadline, "the training was not saved"
            time.sleep(0.2)
        record = saved[0].record  # the newest
        measured.append({"click_to_first_point": seen - clicked,
                         "queue_and_start": record["started_at"] - clicked,
                         "preparation": record["training_started_at"] - record["started_at"],
                         "first_step": record["first_batches_at"] - record["training_started_at"],
                         "page": seen - record["first_batches_at"]})
    return measured


def summary(measured: list[dict]) -> dict:
    return {name: round(statistics.median(row[name] for row in measured), 2) for name in measured[0]}


def main() -> None:
    report = {"times": TIMES, "network": "given preset, 1 epoch of 20,000 images", "goal_seconds": 3.0}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with redis_server() as redis:
            worker = TrainingWorker(redis.url, "first-curve", folder / "worker", threads=0)
            try:
                with dashboard_in_chromium(folder / "redis-runs", height=1200,
                                           env={"MNIST_EXPLORER_REDIS_URL": redis.url}) as page:
                    on_worker = first_curves(page, folder / "redis-runs", worker)
            finally:
                worker.stop()
        with dashboard_in_chromium(folder / "local-runs", height=1200) as page:
            in_process = first_curves(page, folder / "local-runs")
    report["on_a_worker"] = {"median_seconds": summary(on_worker), "each": rounded(on_worker)}
    report["in_process"] = {"median_seconds": summary(in_process), "each": rounded(in_process)}
    (ROOT / "benchmarks" / "results" / "first_curve.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def rounded(measured: list[dict]) -> list[dict]:
    return [{name: round(value, 2) for name, value in row.items()} for row in measured]


if __name__ == "__main__":
    main()
