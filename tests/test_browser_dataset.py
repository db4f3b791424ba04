"""The dataset pages in a real headless Chromium, reached through the sidebar navigation."""

import pytest

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
        page.get_by_text("Test", exact=True).first.click()
        wait_until_idle(page)
        assert "Of the 7,840,000 test pixels" in page.inner_text("[data-testid='stMain']")
        assert page_errors(page) == []
