"""The dataset pages in a real headless Chromium, reached through the sidebar navigation."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.browser import (
    UNDER_THE_TOOLBAR,
    dashboard_in_chromium,
    open_from_navigation,
    page_errors,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

NAVIGATION = ["Overview", "Samples", "Averages", "Nearest & farthest", "Gray levels",
              "Preprocessing"]


def test_every_page_through_the_navigation():
    with dashboard_in_chromium() as page:
        assert page.inner_text("[data-testid='stMain'] h1") == "Start here"  # a new visitor's first page
        open_from_navigation(page, "Overview")
        page.get_by_text("60,000").first.wait_for(timeout=60_000)
        for title in NAVIGATION[1:] + NAVIGATION[:1]:
            open_from_navigation(page, title)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            assert page_errors(page) == [], f"{title}: {page_errors(page)}"
            assert page.evaluate(UNDER_THE_TOOLBAR) == [], title  # titles clear of the chart's toolbar
            heading = page.inner_text("[data-testid='stMain'] h1")
            assert heading, title
        # a control on a page works in the browser too: the test split has its own numbers
        open_from_navigation(page, "Gray levels")
        page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot .main-svg", timeout=30_000)
        answer = page.get_by_text("Of the 7,840,000 test pixels").first
        for _ in range(3):  # a click that lands while the page redraws its charts is lost: click again
            wait_until_idle(page)
            page.get_by_text("Test", exact=True).first.click()
            try:
                answer.wait_for(timeout=20_000)
                break
            except PlaywrightTimeout:
                continue
        assert answer.is_visible()
        assert page_errors(page) == []
