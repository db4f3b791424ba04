"""The map and the label audit on the real data (2 cores):

- layouts of the 10,000 test images: PCA, UMAP (its first call in a process, numba compiling, and a
  second one), t-SNE; then reading a layout back from the cache;
- the page in headless Chromium: time until 10,000 points are drawn, and from a click on a point to
  its image on the page;
- the label audit of the test split with existing runs (cleanlab on averaged probabilities), and a
  picture of its top 20 (benchmarks/results/audit_top20.png) for a person to judge.

    .venv/bin/python -m benchmarks.digit_map [--runs-folder DIR]   (trains the conv and best presets
                                                                    into a temporary folder if none)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from core import architecture, audit, embedding, runs
from core.architecture import predict_probabilities
from core.data import load_mnist
from core.jobs import TrainingJob
from core.training import train

ROOT = Path(__file__).resolve().parents[1]


def seconds(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def layouts(data, folder: Path) -> dict:
    features = embedding.pixel_features(data.x_test)
    report = {}
    for label, method, seed in (("pca", "pca", 0), ("umap_first_call", "umap", 0),
                                ("umap_after_compile", "umap", 1), ("tsne", "tsne", 0)):
        report[f"{label}_seconds"], layout = seconds(lambda m=method, s=seed: embedding.embed(
            features, m, {}, s))
        key = embedding.layout_key(method=method, seed=seed)
        embedding.cached_layout(key, lambda layout=layout: layout, folder)
        report[f"{label}_from_cache_seconds"], _ = seconds(lambda k=key: embedding.stored_layout(k, folder))
    return report


def browser(runs_folder: Path) -> dict:
    from harness.browser import (
        POINT_ON_SCREEN,
        dashboard_in_chromium,
        open_from_navigation,
        wait_until_idle,
    )

    with dashboard_in_chromium(runs_folder, height=1600) as page:
        open_from_navigation(page, "Map")  # a first visit: the PCA layout is cached from now on
        page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot canvas", timeout=120_000)
        open_from_navigation(page, "Overview")
        started = time.perf_counter()
        page.get_by_role("link", name="Map", exact=True).click()
        page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .some(c => c._fullData && c._fullData.filter(t => t.type === 'scattergl')
            .reduce((n, t) => n + t.x.length, 0) === 10000)""", timeout=120_000)
        render = time.perf_counter() - started
        wait_until_idle(page)
        x, y = page.evaluate(POINT_ON_SCREEN, [3, 0])
        started = time.perf_counter()
        page.mouse.click(x, y)
        page.get_by_text("Its 8 nearest neighbours").wait_for(timeout=60_000)
        click = time.perf_counter() - started
    return {"page_with_10000_points_seconds": render, "click_to_image_seconds": click}


def audit_report(data, runs_folder: Path) -> dict:
    usable = sorted((run for run in runs.list_runs(runs_folder) if run.usable),
                    key=lambda run: -run.record["test_accuracy"])[:3]
    probabilities = [predict_probabilities(runs.load_model(run), data.x_test) for run in usable]
    took, table = seconds(lambda: audit.rank_label_issues(data.y_test, audit.averaged(probabilities)))
    top = table.head(20)
    from PIL import Image, ImageDraw

    sheet = Image.new("L", (5 * 140, 4 * 160), 255)
    for number, row in enumerate(top.itertuples()):
        tile = Image.fromarray(data.x_test[row.index]).resize((112, 112), Image.NEAREST)
        left, top_edge = (number % 5) * 140 + 14, (number // 5) * 160 + 4
        sheet.paste(tile, (left, top_edge))
        ImageDraw.Draw(sheet).text((left, top_edge + 116), f"#{row.index} given {row.given} "
                                   f"-> {row.suggested}", fill=0)
    sheet.save(ROOT / "benchmarks" / "results" / "audit_top20.png")
    return {"audit_runs": [f"{run.name}: test {run.record['test_accuracy']:.4f}" for run in usable],
            "audit_seconds": took, "flagged": int(table["flagged"].sum()),
            "top20": [{"index": int(r.index), "given": int(r.given), "suggested": int(r.suggested),
                       "quality": round(float(r.quality), 5)} for r in top.itertuples()]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs-folder", type=Path)
    arguments = parser.parse_args()
    data = load_mnist()
    folder = arguments.runs_folder or Path(tempfile.mkdtemp(prefix="map-bench-"))
    if not any(run.usable for run in runs.list_runs(folder)):
        for name, seed in (("conv", 0), ("conv", 1), ("best", 0)):
            config = architecture.preset(name)
            config.hyper.seed = seed
            train(TrainingJob(config, f"{name} seed {seed}"), data, folder)
    report = layouts(data, Path(tempfile.mkdtemp(prefix="layouts-")))
    report |= audit_report(data, folder)
    report |= browser(folder)
    (ROOT / "benchmarks" / "results" / "digit_map.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
