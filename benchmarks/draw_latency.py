"""The Draw page's latencies: server side, from a canvas image to the ten probabilities (target
under 15 ms on 2 cores), with the model warm; the nearest training images (the index against every
distance); an upload of a 5000x5000 photo (seconds and memory, each in a fresh process); and with
--browser, in headless Chromium, pen-up to the new reading for digits drawn stroke after stroke
(target under 0.25 s; the canvas component itself waits 200 ms after a stroke before it sends it).

Each drawing is a real MNIST test digit drawn into a 280x280 RGBA canvas image (white on black,
as the canvas sends it). Timed: canvas RGBA -> gray -> MNIST conventions -> model -> probabilities.

    .venv/bin/python -m benchmarks.draw_latency [--browser]
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

from core import architecture, drawing, nearest, runs
from core.architecture import predict_probabilities
from core.data import load_mnist
from core.jobs import TrainingJob
from core.training import train

ROOT = Path(__file__).resolve().parents[1]

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
    index = nearest.PixelIndex(data.x_train)
    every_distance, indexed = [], []
    for canvas in canvases[:40]:
        seen = drawing.to_mnist(drawing.canvas_to_gray(canvas))
        started = time.perf_counter()
        expected = nearest.nearest_images(seen, data.x_train, 8)
        every_distance.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert index.nearest(seen, 8).tolist() == expected.tolist()
        indexed.append(time.perf_counter() - started)
    report = {
        "drawings": DRAWINGS,
        "canvas_to_probabilities_ms_median": 1000 * statistics.median(seconds),
        "canvas_to_probabilities_ms_p95": 1000 * float(np.percentile(seconds, 95)),
        "read_correctly": agree / DRAWINGS,
        "nearest_8_of_60000_every_distance_ms_median": 1000 * statistics.median(every_distance),
        "nearest_8_of_60000_index_ms_median": 1000 * statistics.median(indexed),
        "nearest_8_of_60000_index_ms_max": 1000 * max(indexed),
        "target_ms": 15,
        "upload_5000x5000": {fmt: upload_cost(data.x_test[3], fmt) for fmt in ("PNG", "JPEG")},
    }
    if "--browser" in sys.argv:
        report["pen_up_to_reading"] = pen_up_to_reading(data)
    (ROOT / "benchmarks" / "results" / "draw_latency.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


UPLOAD = """
import json, sys, threading, time
from pathlib import Path
import psutil
from core import drawing
data = Path(sys.argv[1]).read_bytes()
process, peak, done = psutil.Process(), [0], threading.Event()
def sample():  # the resident memory every few milliseconds: its peak while the upload is read
    while not done.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.002)
before = process.memory_info().rss
sampler = threading.Thread(target=sample)
sampler.start()
started = time.perf_counter()
seen = drawing.to_mnist(drawing.upload_to_gray(data, "photo"))
seconds = time.perf_counter() - started
done.set()
sampler.join()
grown = (peak[0] - before) / 2**20
print(json.dumps({"seconds": round(seconds, 3), "peak_memory_growth_mb": round(grown, 1)}))
"""


def upload_cost(digit: np.ndarray, fmt: str) -> dict:
    """An RGB photo of a digit, 5000x5000, read by the upload path in a fresh process: its seconds
    and how far its resident memory rises at the peak (before a large picture was shrunk as it was
    opened, measured so: +1,124 MB and 4.2 s for a PNG, +1,125 MB and 2.9 s for a JPEG)."""
    import subprocess

    photo = 255 - np.asarray(Image.fromarray(digit).resize((5000, 5000), Image.BICUBIC))
    with tempfile.NamedTemporaryFile(suffix=f".{fmt.lower()}") as file:
        Image.fromarray(photo).convert("RGB").save(file.name, format=fmt)
        done = subprocess.run([sys.executable, "-c", UPLOAD, file.name], cwd=ROOT, capture_output=True,
                              text=True, check=True)
        return {**json.loads(done.stdout.strip().splitlines()[-1]), "bytes": Path(file.name).stat().st_size}


STROKES = {  # digits as strokes, in fractions of the canvas: drawn one stroke after another
    "7": [[(0.3, 0.2), (0.7, 0.2)], [(0.7, 0.2), (0.45, 0.85)]],
    "4": [[(0.35, 0.15), (0.3, 0.55), (0.7, 0.55)], [(0.6, 0.2), (0.6, 0.9)]],
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
}
TOP3 = """() => { const m = [...document.querySelectorAll('[data-testid="stMarkdown"]')]
    .find(e => e.innerText.startsWith('Top 3')); return m ? m.innerText : ''; }"""


def pen_up_to_reading(data) -> dict:
    """In Chromium, on the real Draw page: each stroke's pen-up to the moment the page shows the
    reading of the digit with that stroke (its "Top 3" line changes), strokes a second apart."""
    from harness.browser import (
        dashboard_in_chromium,
        open_from_navigation,
        wait_until_idle,
    )

    config = architecture.preset("sprint")
    config.hyper.epochs, config.hyper.train_images = 1, 10_000
    seconds = []
    with tempfile.TemporaryDirectory() as folder:
        train(TrainingJob(config, "reader"), data, Path(folder))
        with dashboard_in_chromium(folder, height=1400) as page:
            open_from_navigation(page, "Draw")
            for _ in range(4):
                for strokes in STROKES.values():
                    page.get_by_role("button", name="Clear").click()
                    page.get_by_text("Draw a digit (or upload one)").wait_for(timeout=30_000)
                    wait_until_idle(page)
                    canvas = page.locator("[data-testid='stMain'] canvas").last
                    canvas.wait_for()
                    page.wait_for_timeout(800)
                    box = canvas.bounding_box()
                    for stroke in strokes:
                        before = page.evaluate(TOP3)
                        points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                                  for fx, fy in stroke]
                        page.mouse.move(*points[0])
                        page.mouse.down()
                        for point in points[1:]:
                            page.mouse.move(*point, steps=8)
                        started = time.perf_counter()
                        page.mouse.up()
                        page.wait_for_function(f"({TOP3})() !== {json.dumps(before)} && ({TOP3})() !== ''",
                                               timeout=30_000, polling=10)
                        seconds.append(time.perf_counter() - started)
                        page.wait_for_timeout(1000)
    return {"strokes": len(seconds), "median_seconds": round(statistics.median(seconds), 3),
            "p90_seconds": round(float(np.percentile(seconds, 90)), 3), "target_seconds": 0.25,
            "component_debounce_seconds": 0.2}


if __name__ == "__main__":
    main()
