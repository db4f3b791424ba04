"""Server time to render the Evaluate page for the 10,000-image test split, predictions cached.

Runs the real page script under streamlit.testing's AppTest (the server side of a page view):
the first run loads the model and computes the predictions; the later ones are what a user waits
for on every click. Target: well under a second.

    .venv/bin/python -m benchmarks.evaluate_render
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import architecture, runs
from core.data import load_mnist
from core.jobs import TrainingJob
from core.training import train

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    folder = tempfile.mkdtemp()
    os.environ[runs.RUNS_ENV] = folder
    config = architecture.preset("given")
    config.hyper.epochs = 2
    train(TrainingJob(config, name="benchmark"), load_mnist(), Path(folder))

    app = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300).run()
    app.switch_page("views/evaluate.py")
    started = time.perf_counter()
    app.run()
    first = time.perf_counter() - started
    assert not app.exception, app.exception
    warm = []
    for _ in range(10):
        started = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - started)
    report = {"split": "test (10,000 images)", "first_render_s": first,
              "cached_render_s_median": statistics.median(warm), "cached_render_s_max": max(warm)}
    (ROOT / "benchmarks" / "results" / "evaluate_render.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
