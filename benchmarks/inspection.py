"""What looking inside a network costs, on the full data (2 cores):

- keeping every epoch's weights: the time of each save as a share of that epoch's time, per preset
  (target at most 3%);
- the first replay of all epochs' test predictions of a 10-epoch "best" run (target 10 s), and
  reading them back from the cache;
- moving the Replay page's epoch slider once the predictions are cached: server time of the page's
  rerun under AppTest (target 0.3 s);
- the activations of every layer for one input (target 50 ms), and each saliency map (target 1 s,
  integrated gradients with 128 steps).

    .venv/bin/python -m benchmarks.inspection
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.timing import median_seconds
from core import architecture, inspection, runs, saliency
from core.data import load_mnist
from core.jobs import TrainingJob
from core.training import train

ROOT = Path(__file__).resolve().parents[1]


def saving_share(data, folder: Path) -> dict:
    """Per preset, 3 epochs: seconds of each weights save / seconds of its epoch."""
    saves: list[float] = []
    original = runs.save_epoch_weights

    def timed(*args, **kwargs):
        started = time.perf_counter()
        original(*args, **kwargs)
        saves.append(time.perf_counter() - started)

    runs.save_epoch_weights = timed
    result = {}
    try:
        for name in architecture.PRESETS:
            config = architecture.preset(name)
            config.hyper.epochs = 3
            saves.clear()
            run = train(TrainingJob(config, f"saving {name}"), data, folder)
            epochs = run.record["epoch_seconds"]
            shares = [save / (epoch - save) for save, epoch in zip(saves, epochs)]
            result[name] = {"epoch_seconds": epochs, "save_seconds": list(saves),
                            "share_median": statistics.median(shares)}
    finally:
        runs.save_epoch_weights = original
    return result


def main() -> None:
    data = load_mnist()
    folder = Path(tempfile.mkdtemp(prefix="inspection-bench-"))
    report: dict = {"saving_weights": saving_share(data, folder)}

    config = architecture.preset("best")  # 10 epochs, as the preset trains
    run = train(TrainingJob(config, "best, 10 epochs"), data, folder)
    started = time.perf_counter()
    inspection.epoch_probabilities(run, "test", data.x_test)
    report["replay_all_epochs_first_seconds"] = time.perf_counter() - started
    report["replay_all_epochs_cached_seconds"] = median_seconds(
        lambda: inspection.epoch_probabilities(run, "test", data.x_test), 5, warm_up=True)

    model = inspection.model_at_epoch(run, 5)
    probe = inspection.ActivationProbe(model)
    report["activations_seconds"] = median_seconds(lambda: probe(data.x_test[0]), 20, warm_up=True)
    baseline = saliency.baseline_image("blurred", data.x_test[0], data.x_train.mean(axis=0))
    report["saliency_seconds"] = {
        method: median_seconds(lambda m=method: saliency.saliency_map(
            model, data.x_test[0], int(data.y_test[0]), m, baseline), 5, warm_up=True)
        for method in saliency.SALIENCY_METHODS}

    os.environ[runs.RUNS_ENV] = str(folder)
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300).run()
    app.session_state["inspect_run"] = run.id
    app.switch_page("views/inspect_training.py").run()
    slider_times = []
    for epoch in (1, 4, 7, 10, 2, 9):
        started = time.perf_counter()
        app.slider(key="inspect_epoch").set_value(epoch).run()
        slider_times.append(time.perf_counter() - started)
    assert not app.exception, [e.value for e in app.exception]
    report["slider_change_seconds"] = {"median": statistics.median(slider_times), "each": slider_times}
    report["targets_met"] = {
        "saving_weights_at_most_3_percent": all(v["share_median"] <= 0.03
                                                for v in report["saving_weights"].values()),
        "replay_all_epochs_at_most_10_s": report["replay_all_epochs_first_seconds"] <= 10,
        "slider_at_most_0.3_s": report["slider_change_seconds"]["median"] <= 0.3,
        "activations_at_most_50_ms": report["activations_seconds"] <= 0.05,
        "saliency_at_most_1_s": max(report["saliency_seconds"].values()) <= 1,
    }
    (ROOT / "benchmarks" / "results" / "inspection.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
