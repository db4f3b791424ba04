"""The Search page in a real headless Chromium: start a tiny search, watch its table and front fill,
click a point of the front and land on that run."""

import pytest

from harness.browser import (
    dashboard_in_chromium,
    enter,
    open_from_navigation,
    page_errors,
    press_slider,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

FRONT_POINTS = "[data-testid='stMain'] .js-plotly-plot .scatterlayer .trace .points path"


def test_start_a_tiny_search_then_click_the_front(tmp_path):
    with dashboard_in_chromium(tmp_path, height=1800) as page:
        open_from_navigation(page, "Search")
        enter(page, "Name", "tiny", role="textbox")
        press_slider(page, "Epochs per trial", "Home")  # 1 epoch
        press_slider(page, "Training images", "Home")  # on 1,000 images
        enter(page, "Trials", 2)
        page.get_by_role("button", name="Start the search").click()
        page.get_by_text("Searching:").wait_for(timeout=30_000)
        page.get_by_text("2 trial(s) done; no search is running").wait_for(timeout=180_000)
        wait_until_idle(page)
        page.locator(FRONT_POINTS).first.wait_for(timeout=30_000)
        results = page.locator("[data-testid='stMetric']", has_text="Results").inner_text()
        assert results.split() == ["Results", "2"], results
        assert page_errors(page) == []

        point = page.locator(FRONT_POINTS).first
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        point.click(force=True)  # plotly's points lie under its drag layer
        page.get_by_text("Trial #").wait_for(timeout=30_000)
        trial = page.get_by_text("Trial #").first.inner_text().split(":")[0]  # "Trial #1"
        wait_until_idle(page)  # a click while the fragment still draws its charts can be lost
        page.get_by_role("button", name="Evaluate it").click()
        page.get_by_role("heading", name="Evaluate a network").wait_for(timeout=60_000)
        page.get_by_text("Accuracy").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        chosen = page.get_by_role("combobox", name="Run (the most accurate first)").input_value(
            timeout=30_000)
        assert f"tiny {trial.removeprefix('Trial ')}" in chosen, chosen  # the run, chosen for us
        assert page_errors(page) == []
