"""What live display costs training: seconds per epoch through the dashboard's training path vs a
bare `model.fit(verbose=0)`, for the same model and data, in one process, alternating.

The dashboard path is the real one: a TrainingQueue worker thread with the live-progress callback,
while a second thread plays the page's fragment (dashboard/live.py): every REFRESH_SECONDS it
copies the job's progress and builds the plotly curves. The first epoch of every fit is left out
(graph tracing). Target: ratio <= 1.05.

    .venv/bin/python benchmarks/training_overhead.py [--browser]

With --browser it also trains from the Train page of a real `streamlit run` server watched by
headless Chromium, and compares its epochs with bare fits in this process (informational: two
processes share the two cores, which is the point of that measurement).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402

from core import architecture, preprocessing  # noqa: E402
from core.data import load_mnist  # noqa: E402
from core.training import TrainingQueue  # noqa: E402
from dashboard import figures  # noqa: E402
from dashboard.live import REFRESH_SECONDS  # noqa: E402

EPOCHS = 6
ROUNDS = 4


class EpochTimer(keras.callbacks.Callback):
    """Epoch-level hooks only, so Keras adds no per-batch work to the bare fit."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def config() -> architecture.TrainingConfig:
    chosen = architecture.preset("given")
    chosen.hyper.epochs = EPOCHS
    return chosen


def bare_fit(data) -> list[float]:
    """The same split, model and settings as core.training.train, without any of its machinery."""
    chosen = config()
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
        queue = TrainingQueue(data, Path(runs_folder), max_running=1)
        job = queue.submit(config(), "overhead")

        def watch():  # what the page's fragment does on each redraw
            while not job.done.is_set():
                progress = job.progress()
                figures.training_curves(progress.history, progress.batch_losses).to_json()
                time.sleep(REFRESH_SECONDS)

        watcher = threading.Thread(target=watch)
        watcher.start()
        job.done.wait()
        watcher.join()
        progress = job.progress()
        assert progress.status == "finished", progress.message
        return progress.epoch_seconds[1:]


def browser_fit(data) -> dict:
    from tests.browser import (
        chromium_page,
        enter,
        open_from_navigation,
        streamlit_server,
        wait_until_idle,
    )

    with tempfile.TemporaryDirectory() as runs_folder, \
            streamlit_server(env={"MNIST_EXPLORER_RUNS": runs_folder}) as url, \
            chromium_page(height=1800) as page:
        page.goto(url)
        wait_until_idle(page)
        open_from_navigation(page, "Train")
        enter(page, "Epochs", EPOCHS)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Finished").first.wait_for(timeout=600_000)
        record = json.loads(next(Path(runs_folder).glob("*/run.json")).read_text())
    streamed = record["epoch_seconds"][1:]
    bare = bare_fit(data)
    return {"streamed_in_browser_s": statistics.median(streamed),
            "bare_fit_s": statistics.median(bare),
            "ratio": statistics.median(streamed) / statistics.median(bare)}


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
