"""What live display costs training: seconds per epoch through the dashboard's training path vs a
bare `model.fit(verbose=0)`, for the same model and data, in one process, alternating.

The dashboard path is the real one: a LocalTrainings worker thread with the live-progress callback,
while a second thread plays the page's fragments (dashboard/live_trainings.py): every CURVES_SECONDS it
copies the job's progress and sends the chart its new points (as JSON), every REFRESH_SECONDS the
statuses. The first epoch of
every fit is left out (graph tracing). Target: ratio <= 1.05.

    .venv/bin/python -m benchmarks.training_overhead [--browser]

With --browser it also trains from the Train page of a real `streamlit run` server, alternately
watched by headless Chromium on the same two cores and not (the tab on another page): the ratio of
each pair, the browser's CPU share, and the watched epochs against a bare fit in this process.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import keras

from core import architecture, preprocessing
from core.data import load_mnist
from core.trainings.local import LocalTrainings
from dashboard.live_curves import new_points
from dashboard.live_trainings import CURVES_SECONDS, REFRESH_SECONDS

ROOT = Path(__file__).resolve().parents[1]

EPOCHS = 6
ROUNDS = 4
# In the browser, runs long enough for many redraws of the statuses and of the curves (~20 s).
BROWSER_EPOCHS = 40
BROWSER_ROUNDS = 3


class EpochTimer(keras.callbacks.Callback):
    """Epoch-level hooks only, so Keras adds no per-batch work to the bare fit."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def config(epochs: int = EPOCHS) -> architecture.TrainingConfig:
    chosen = architecture.preset("given")
    chosen.hyper.epochs = epochs
    return chosen


def bare_fit(data, epochs: int = EPOCHS) -> list[float]:
    """The same split, model and settings as core.training.train, without any of its machinery."""
    chosen = config(epochs)
    hyper = chosen.hyper
    keras.utils.set_random_seed(hyper.seed)
    splits = preprocessing.training_split(data.x_train, data.y_train, hyper)
    x_train, y_train, x_validation, y_validation = splits
    model = architecture.build_model(chosen, *preprocessing.pixel_statistics(x_train))
    timer = EpochTimer()
    model.fit(x_train, y_train, validation_data=(x_validation, y_validation),
              batch_size=hyper.batch_size, epochs=hyper.epochs, callbacks=[timer], verbose=0)
    return timer.seconds[1:]


def dashboard_fit(data) -> list[float]:
    with tempfile.TemporaryDirectory() as runs_folder:
        queue = LocalTrainings(data, Path(runs_folder), max_running=1)
        job = queue.submit(config(), "overhead")

        def watch():  # what the page's fragments do on each redraw
            redraws, sent = 0, [None]
            while not job.done.is_set():
                progress = job.progress()
                if redraws % round(REFRESH_SECONDS / CURVES_SECONDS) == 0:
                    job.summary()  # the statuses' redraw
                new = new_points(sent[0], progress.batch_points)  # the chart's: only what is new
                json.dumps({"points": new, "history": progress.history})
                sent[0] = new[-1][0] if new else sent[0]
                redraws += 1
                time.sleep(CURVES_SECONDS)

        watcher = threading.Thread(target=watch)
        watcher.start()
        job.done.wait()
        watcher.join()
        progress = job.progress()
        assert progress.status == "finished", progress.message
        return progress.epoch_seconds[1:]


def browser_fit(data) -> dict:
    """Trainings started from the Train page of a real server, alternately watched (the live view
    streaming in headless Chromium on the same two cores) and not (the tab moved to the Overview
    page, the training running on in the server): the ratio of each adjacent pair, and where the
    time goes (the browser's CPU seconds, i.e. its rendering)."""
    import psutil

    from harness.browser import (
        chromium_page,
        enter,
        open_from_navigation,
        streamlit_server,
        wait_until_idle,
    )

    def cpu_seconds(processes) -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    rounds = []
    with tempfile.TemporaryDirectory() as runs_folder, \
            streamlit_server(env={"MNIST_EXPLORER_RUNS": runs_folder}) as url, \
            chromium_page(height=1000) as page:
        page.goto(url)
        wait_until_idle(page)
        browser = [p for p in psutil.Process().children(recursive=True)
                   if "chrom" in p.name() or "headless" in p.name()]

        def one_run(number: int, watched: bool) -> dict:
            if page.inner_text("[data-testid='stMain'] h1") != "Train a network":
                open_from_navigation(page, "Train")
            if not page.get_by_role("spinbutton", name="Epochs").count():
                page.get_by_text("Type exact values").click()
                wait_until_idle(page)
            enter(page, "Epochs", BROWSER_EPOCHS)
            enter(page, "Random seed", number)  # another training each time, not a double click
            cpu_before, started = cpu_seconds(browser), time.perf_counter()
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_text(": running").first.wait_for(timeout=60_000)
            if not watched:
                open_from_navigation(page, "Overview")
            deadline = time.monotonic() + 600
            while len(list(Path(runs_folder).glob("*/run.json"))) <= number and time.monotonic() < deadline:
                time.sleep(0.5)
            wall = time.perf_counter() - started
            record = max((json.loads(f.read_text()) for f in Path(runs_folder).glob("*/run.json")),
                         key=lambda r: r["finished_at"])
            return {"s_per_epoch": statistics.median(record["epoch_seconds"][1:]),
                    "browser_cpu_share": (cpu_seconds(browser) - cpu_before) / wall}

        for number in range(BROWSER_ROUNDS):
            watched, unwatched = one_run(2 * number, True), one_run(2 * number + 1, False)
            rounds.append({"watched": watched, "not_watched": unwatched,
                           "ratio": watched["s_per_epoch"] / unwatched["s_per_epoch"]})
    bare = statistics.median(bare_fit(data, BROWSER_EPOCHS))
    watched = statistics.median(r["watched"]["s_per_epoch"] for r in rounds)
    return {"epochs_per_run": BROWSER_EPOCHS, "refresh_seconds": REFRESH_SECONDS,
            "curves_seconds": CURVES_SECONDS, "rounds": rounds,
            "ratio_watched_vs_not": statistics.median(r["ratio"] for r in rounds),
            "bare_fit_s_per_epoch": bare, "ratio_watched_vs_bare_fit": watched / bare,
            # of one core: what the browser itself spends rendering while the training runs
            "browser_cpu_share_watched": statistics.median(r["watched"]["browser_cpu_share"] for r in rounds),
            "browser_cpu_share_not_watched": statistics.median(
                r["not_watched"]["browser_cpu_share"] for r in rounds)}


def main() -> None:
    data = load_mnist()
    bare, dashboard, round_ratios = [], [], []
    for _ in range(ROUNDS):  # alternate, so that drift in machine load hits both alike
        bare.append(bare_fit(data))
        dashboard.append(dashboard_fit(data))
        round_ratios.append(statistics.median(dashboard[-1]) / statistics.median(bare[-1]))
    bare, dashboard = sum(bare, []), sum(dashboard, [])
    report = {
        "model": "given preset (Dense 128), 54,000 images, batch 128",
        "refresh_seconds": REFRESH_SECONDS,
        "epochs_measured_each": len(bare),
        "bare_fit_s_per_epoch": statistics.median(bare),
        "dashboard_path_s_per_epoch": statistics.median(dashboard),
        "round_ratios": round_ratios,
        "ratio": statistics.median(round_ratios),  # each round's pair ran back to back
    }
    if "--browser" in sys.argv:
        report["browser"] = browser_fit(data)
    out = ROOT / "benchmarks" / "results" / "training_overhead.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if report["ratio"] > 1.05:
        sys.exit(f"training through the dashboard costs {report['ratio']:.3f}x a bare fit (> 1.05)")


if __name__ == "__main__":
    main()
