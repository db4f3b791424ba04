"""Live training in a real headless Chromium: curves grow, Stop stops, the run is on the Runs page."""

import json
import time

import pytest

from tests.browser import (
    EPOCH_POINTS,
    chromium_page,
    enter,
    open_from_navigation,
    page_errors,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]



def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def test_train_watch_stop_and_find_the_run(tmp_path):
    with streamlit_server(env={"MNIST_EXPLORER_RUNS": str(tmp_path)}) as url, \
            chromium_page(height=1800) as page:
        page.goto(url)
        wait_until_idle(page)
        open_from_navigation(page, "Train")
        # a tiny network: 16 hidden units, trained for many short epochs so Stop has work to stop
        enter(page, "Epochs", 200)
        enter(page, "Training images (the first N)", 20000)
        enter(page, "Run name (optional)", "browser run", role="textbox")
        assert "101,770" in main_text(page)  # the given preset's summary
        page.get_by_role("button", name="Train", exact=True).click()

        page.get_by_text("Run browser run: running").wait_for(timeout=60_000)
        page.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=60_000)
        first = page.evaluate(EPOCH_POINTS)
        page.wait_for_function(f"({EPOCH_POINTS})() > {first}", timeout=60_000)  # it grows
        assert "Epoch " in main_text(page) and "batch " in main_text(page)
        assert page_errors(page) == []

        # leaving the page, and closing the tab, neither stop nor duplicate the run
        open_from_navigation(page, "Overview")
        browser = page.context.browser
        page.close()
        page = browser.new_page(viewport={"width": 1400, "height": 1800})  # a new tab, a new session
        page.goto(url)
        wait_until_idle(page)
        open_from_navigation(page, "Train")
        page.get_by_text("Run browser run: running").wait_for(timeout=30_000)
        page.wait_for_function(f"({EPOCH_POINTS})() >= 2", timeout=60_000)

        clicked = time.perf_counter()
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("Run browser run: stopped").wait_for(timeout=30_000)
        stop_seconds = time.perf_counter() - clicked
        assert stop_seconds < 10, stop_seconds
        page.get_by_text("Stopped during epoch").wait_for(timeout=10_000)
        saved = [json.loads(p.read_text()) for p in tmp_path.glob("*/run.json")]
        assert len(saved) == 1 and saved[0]["status"] == "stopped"
        assert 1 <= saved[0]["epochs_run"] < 200

        open_from_navigation(page, "Runs")
        page.wait_for_selector("[data-testid='stDataFrame']")
        assert page_errors(page) == []
        grid = page.locator("[data-testid='stDataFrame']").text_content()
        assert "browser run" in grid and "stopped" in grid
