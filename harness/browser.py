"""Helpers for the Playwright tests: a real `streamlit run` server and Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"  # server logs, screenshots: for reading after a failure
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


# How many per-epoch points the live training chart of the page shows (its canvas says, in the DOM).
EPOCH_POINTS = """() => {
    const chart = document.querySelector('[data-testid="stMain"] .live-curves canvas');
    return chart ? Number(chart.dataset.epochs) : 0;
}"""


# The texts of each chart that its toolbar (drawn on hover, at the top right) would cover.
UNDER_THE_TOOLBAR = """() => [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')]
    .flatMap(plot => {
    const bar = plot.querySelector('.modebar');
    if (!bar) return [];
    const b = bar.getBoundingClientRect();
    return [...plot.querySelectorAll('.gtitle, .annotation-text, .cbtitle, .legendtext, .xtitle, .ytitle')]
        .filter(t => { const r = t.getBoundingClientRect();
                       return r.width && r.left < b.right && r.right > b.left && r.top < b.bottom
                           && r.bottom > b.top; })
        .map(t => t.textContent);
})"""


# Where point `point` of trace `trace` of the page's WebGL scatter chart (the Map) is on the screen.
POINT_ON_SCREEN = """([trace, point]) => {
    const chart = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')]
        .find(c => c.data && c.data.some(t => t.type === 'scattergl'));
    const layout = chart._fullLayout, box = chart.getBoundingClientRect();
    const data = chart._fullData[trace];
    return [box.left + layout.xaxis._offset + layout.xaxis.d2p(data.x[point]),
            box.top + layout.yaxis._offset + layout.yaxis.d2p(data.y[point])];
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 90):
    """Start `streamlit run dashboard/app.py` on a free loopback port; yield its URL.

    The server's output goes to test-artifacts/streamlit-PORT.log, for reading after a failure.
    """
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / f"streamlit-{port}.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(url, process, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_health(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"streamlit did not start (exit code {process.poll()})")
        time.sleep(0.3)


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


@contextlib.contextmanager
def dashboard_in_chromium(runs_folder=None, height: int = 1000, env: dict[str, str] | None = None):
    """A real dashboard server (on `runs_folder`, if given) and a headless Chromium page on it,
    on its first page and idle: what every browser test and benchmark starts from."""
    env = {**({"MNIST_EXPLORER_RUNS": str(runs_folder)} if runs_folder is not None else {}), **(env or {})}
    with streamlit_server(env=env) as url, chromium_page(height=height) as page:
        page.goto(url)
        wait_until_idle(page)
        yield page


def wait_until_idle(page, timeout: float = 60_000) -> None:
    """Wait until the page has a title and Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout)
    # the app says whether its script runs; the status widget shows only after a moment of running
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(300)


def wait_for_text(page, selector: str, text: str, without: str | None = None, timeout: float = 60_000) -> str:
    """Wait until the first element matching `selector` shows `text` (and not `without`), and return
    its text then (the last text seen when it never does: the caller's assert says what was there).
    Under load, a read right after a rerun can catch the elements of the run before. The text is
    textContent: a dataframe's cells are drawn on a canvas, its text is in a table hidden from view."""
    with contextlib.suppress(Exception):  # Playwright's TimeoutError, left to the caller's assert
        page.wait_for_function(
            "([selector, text, without]) => { const e = document.querySelector(selector);"
            " return e && e.textContent.includes(text) && !(without && e.textContent.includes(without)); }",
            arg=[selector, text, without], timeout=timeout)
    return page.text_content(selector)


def page_errors(page) -> list[str]:
    """Texts of Streamlit's exception and error elements on the page."""
    return [element.inner_text()[:500] for element in
            page.query_selector_all("[data-testid='stException'], [data-testid='stAlertContentError']")]


def open_from_navigation(page, link: str, timeout: float = 60_000) -> None:
    """Click a sidebar link and wait until the new page has replaced the old one and is idle (at
    once if the browser is on that page already: a returning visitor lands where they left)."""
    old_title = page.inner_text("[data-testid='stMain'] h1")
    target = page.get_by_role("link", name=link, exact=True)
    here = page.url.split("?")[0].rstrip("/")  # a page's address may hold its settings or view
    if (href := target.get_attribute("href")) and here == href.split("?")[0].rstrip("/"):
        wait_until_idle(page, timeout)
        return
    target.click()
    page.wait_for_function(
        "old => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
        " return h && h.innerText !== old; }", arg=old_title, timeout=timeout)
    wait_until_idle(page, timeout)


def press_slider(page, label: str, *keys: str) -> None:
    """Move a labelled Streamlit slider with the keyboard ("Home", "End", "ArrowRight"...), as a
    user would, and wait for the rerun."""
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for key in keys:
        slider.press(key)
    wait_until_idle(page)


def enter(page, label: str, value, role: str = "spinbutton") -> None:
    """Type a value into a labelled Streamlit input, submit it with Enter, wait for the rerun."""
    field = page.get_by_role(role, name=label)
    field.fill(str(value))
    field.press("Enter")
    wait_until_idle(page)
