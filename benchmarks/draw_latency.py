"""Server-side time from a canvas image to the ten probabilities, with the model warm.

Each drawing is a real MNIST test digit drawn into a 280x280 RGBA canvas image (white on black,
as the canvas sends it). Timed: canvas RGBA -> gray -> MNIST conventions -> model -> probabilities.
Also timed, separately: the search for the nearest training images that the Draw page shows.
Target: under 15 ms per drawing on 2 cores.

    .venv/bin/python benchmarks/draw_latency.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import analysis, architecture, drawing, runs  # noqa: E402
from core.data import load_mnist  # noqa: E402
from core.training import TrainingJob, predict_probabilities, train  # noqa: E402

DRAWINGS = 200


def main() -> None:
    data = load_mnist()
    config = architecture.preset("sprint")  # the Draw page's one-click default network
    config.hyper.epochs, config.hyper.train_images = 1, 10_000
    with tempfile.TemporaryDirectory() as folder:
        model = runs.load_model(train(TrainingJob(config), data, Path(folder)))
    canvases = []
    for digit in data.x_test[:DRAWINGS]:
        gray = np.asarray(Image.fromarray(digit).resize((280, 280), Image.BICUBIC))
        canvases.append(np.dstack([gray, gray, gray, np.full_like(gray, 255)]))

    def read(canvas):
        return predict_probabilities(model, drawing.to_mnist(drawing.canvas_to_gray(canvas))[None])

    for canvas in canvases[:10]:  # warm the model, as the page's cached one is
        read(canvas)
    seconds, agree = [], 0
    for canvas, label in zip(canvases, data.y_test[:DRAWINGS]):
        started = time.perf_counter()
        probabilities = read(canvas)
        seconds.append(time.perf_counter() - started)
        agree += int(probabilities.argmax() == label)
    nearest = []
    for canvas in canvases[:20]:
        seen = drawing.to_mnist(drawing.canvas_to_gray(canvas))
        started = time.perf_counter()
        analysis.nearest_images(seen, data.x_train, 8)
        nearest.append(time.perf_counter() - started)
    report = {
        "drawings": DRAWINGS,
        "canvas_to_probabilities_ms_median": 1000 * statistics.median(seconds),
        "canvas_to_probabilities_ms_p95": 1000 * float(np.percentile(seconds, 95)),
        "read_correctly": agree / DRAWINGS,
        "nearest_8_of_60000_ms_median": 1000 * statistics.median(nearest),
        "target_ms": 15,
    }
    (ROOT / "benchmarks" / "results" / "draw_latency.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
