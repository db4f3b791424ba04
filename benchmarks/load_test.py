"""A class at once: concurrent browser sessions click through the analysis pages while one training
runs and a second waits in the queue; the server's memory is sampled throughout.

Real `streamlit run` server on loopback, real headless Chromium (one tab per session, driven
concurrently with Playwright's async API). Phases, each with the server's resident memory (RSS):
after start; after one session has visited every page; during and after the load (SESSIONS
sessions x ROUNDS rounds of the six dataset pages, with training A running and B queued).
Checks: no error element on any page, B waits while A runs and starts after A ends, both finish.

    .venv/bin/python -m benchmarks.load_test [--sessions 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from harness.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]

DATASET_PAGES = ["Overview", "Samples", "Averages", "Nearest & farthest", "Gray levels", "Preprocessing"]
ALL_PAGES = DATASET_PAGES + ["Train", "Runs", "Evaluate", "Draw"]
MAIN = "[data-testid='stMain']"
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


class MemorySampler(threading.Thread):
    """Samples the RSS of the streamlit server process (and its children) every 0.25 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []
        self.running = True

    def rss(self) -> int:
        return sum(p.memory_info().rss for p in [self.process, *self.process.children(True)])

    def run(self):
        while self.running:
            self.samples.append((time.time(), self.rss()))
            time.sleep(0.25)

    def peak_since(self, start: float) -> int:
        return max(rss for at, rss in self.samples if at >= start)


async def idle(page, timeout=120_000) -> None:
    await page.wait_for_selector(f"{MAIN} h1", timeout=timeout)
    await page.wait_for_timeout(200)
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


async def open_page(page, title: str) -> float:
    """Click a sidebar link; seconds until the new page is rendered, charts included."""
    started = time.perf_counter()
    old = await page.inner_text(f"{MAIN} h1")
    await page.get_by_role("link", name=title, exact=True).click()
    await page.wait_for_function(
        "old => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
        " return h && h.innerText !== old; }", arg=old, timeout=120_000)
    await idle(page)
    if title in DATASET_PAGES:
        await page.wait_for_selector(f"{MAIN} .js-plotly-plot .main-svg", timeout=120_000)
    return time.perf_counter() - started


async def errors_on(page) -> list[str]:
    return [(await e.inner_text())[:300] for e in await page.query_selector_all(ERRORS)]


async def new_session(browser, url):
    context = await browser.new_context(viewport={"width": 1300, "height": 1400})
    page = await context.new_page()
    await page.goto(url, timeout=120_000)
    await idle(page)
    return page


async def start_training(browser, url, name: str, epochs: int):
    page = await new_session(browser, url)
    await open_page(page, "Train")
    await page.get_by_text("Type exact values").click()  # number fields instead of sliders
    await idle(page)
    for label, value in (("Epochs", str(epochs)),):
        field = page.get_by_role("spinbutton", name=label)
        await field.fill(value)
        await field.press("Enter")
        await idle(page)
    await page.get_by_role("textbox", name="Run name (optional)").fill(name)
    await page.get_by_role("textbox", name="Run name (optional)").press("Enter")
    await idle(page)
    await page.get_by_role("button", name="Train", exact=True).click()
    return page


async def click_through(browser, url, rounds: int, times: list, failures: list) -> None:
    page = await new_session(browser, url)
    for _ in range(rounds):
        for title in DATASET_PAGES[1:] + DATASET_PAGES[:1]:
            try:
                times.append((title, await open_page(page, title)))
                if found := await errors_on(page):
                    failures.append(f"{title}: {found}")
            except Exception as error:  # a timeout is a failure to record, not a crash
                failures.append(f"{title}: {type(error).__name__}: {error}"[:300])
    await page.context.close()


async def scenario(url: str, runs_folder: Path, sampler: MemorySampler, sessions: int, rounds: int,
                   classroom: bool = False):
    from playwright.async_api import async_playwright

    report: dict = {"rss_mb": {}}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        report["rss_mb"]["after_start"] = sampler.rss() / 2**20

        visitor = await new_session(browser, url)
        visit_failures = []
        for title in ALL_PAGES[1:]:
            await open_page(visitor, title)
            visit_failures += await errors_on(visitor)
        await visitor.context.close()
        report["rss_mb"]["after_every_page"] = sampler.rss() / 2**20

        load_started = time.time()
        first = await start_training(browser, url, "load A", epochs=40)
        await first.get_by_text(re.compile(r"Run load A \(#\d+\): running")).wait_for(timeout=120_000)
        second = await start_training(browser, url, "load B", epochs=40 if classroom else 2)
        if classroom:  # two workers: both train while the class browses
            await second.get_by_text(re.compile(r"Run load B \(#\d+\): running")).wait_for(timeout=120_000)
        else:
            await second.get_by_text("Waiting in the queue, position 1").wait_for(timeout=120_000)
        times, failures = [], []
        await asyncio.gather(*(click_through(browser, url, rounds, times, failures)
                               for _ in range(sessions)))
        report["rss_mb"]["after_sessions"] = sampler.rss() / 2**20
        await second.get_by_text(re.compile(r"Run load B \(#\d+\): finished")).wait_for(timeout=600_000)
        report["rss_mb"]["after_trainings"] = sampler.rss() / 2**20
        report["rss_mb"]["peak_during_load"] = sampler.peak_since(load_started) / 2**20
        await browser.close()

    records = {r["name"]: r for r in (json.loads(p.read_text()) for p in runs_folder.glob("*/run.json"))}
    by_page = {title: [seconds for name, seconds in times if name == title] for title in DATASET_PAGES}
    times = [seconds for _, seconds in times]
    report |= {
        "sessions": sessions,
        "page_views": len(times),
        "page_seconds_median_by_page": {title: round(statistics.median(seconds), 2)
                                        for title, seconds in by_page.items() if seconds},
        "page_seconds_median": statistics.median(times) if times else None,
        "page_seconds_p95": sorted(times)[int(0.95 * (len(times) - 1))] if times else None,
        "page_seconds_max": max(times) if times else None,
        "failures": len(failures) + len(visit_failures),
        "failure_examples": (failures + visit_failures)[:5],
        "training_a": records.get("load A", {}).get("status"),
        "training_b": records.get("load B", {}).get("status"),
        "b_started_after_a_finished": (records["load B"]["started_at"]
                                       >= records["load A"]["finished_at"] - 1.0)
        if {"load A", "load B"} <= records.keys() else None,
        "epoch_seconds_a_under_load": records.get("load A", {}).get("epoch_seconds"),
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--classroom", action="store_true",
                        help="on `make serve`'s stack, 2 workers: both trainings run as the class browses")
    arguments = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        if arguments.classroom:
            report = classroom(Path(folder), arguments)
        else:
            env = {"MNIST_EXPLORER_RUNS": folder, "MNIST_EXPLORER_MAX_TRAININGS": "1"}
            with streamlit_server(env=env) as url:
                server_pid = next(p.pid for p in psutil.Process().children(recursive=True)
                                  if "streamlit" in " ".join(p.cmdline()))
                report = measured(url, Path(folder), server_pid, arguments)
    report["wall_seconds"] = time.perf_counter() - started
    name = "load_test_classroom.json" if arguments.classroom else "load_test.json"
    (ROOT / "benchmarks" / "results" / name).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    ok = (report["failures"] == 0 and report["training_a"] == "finished"
          and report["training_b"] == "finished"
          and (arguments.classroom or report["b_started_after_a_finished"]))
    sys.exit(0 if ok else 1)


def measured(url: str, runs_folder: Path, server_pid: int, arguments, classroom: bool = False) -> dict:
    sampler = MemorySampler(server_pid)
    sampler.start()
    try:
        return asyncio.run(scenario(url, runs_folder, sampler, arguments.sessions, arguments.rounds,
                                    classroom))
    finally:
        sampler.running = False


def classroom(folder: Path, arguments) -> dict:
    from harness.services import ClassroomServer

    server = ClassroomServer(folder, workers=2)
    try:
        deadline = time.monotonic() + 120
        while not server.healthy() or len(server.program("worker")) < 2:
            assert time.monotonic() < deadline, "the classroom server did not start"
            time.sleep(0.5)
        time.sleep(10)  # the workers' training processes warm
        (web,) = server.program("web")
        return measured(server.url, folder, web.pid, arguments, classroom=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
