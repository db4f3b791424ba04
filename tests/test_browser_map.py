"""The map in a real headless Chromium: 10,000 WebGL points, a click shows an image and its
neighbours, a lasso selection shows a gallery with the selection's labels."""

import pytest

from harness.browser import (
    POINT_ON_SCREEN,
    dashboard_in_chromium,
    open_from_navigation,
    page_errors,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


def test_click_a_point_then_lasso_some(tmp_path):
    with dashboard_in_chromium(tmp_path, height=1600) as page:
        open_from_navigation(page, "Map")
        page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot canvas", timeout=60_000)
        wait_until_idle(page)
        total = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .flatMap(c => c._fullData || []).filter(t => t.type === 'scattergl')
            .reduce((n, t) => n + t.x.length, 0)""")
        assert total == 10_000
        x, y = page.evaluate(POINT_ON_SCREEN, [3, 0])  # the first point of the digit-3 trace
        page.mouse.click(x, y)
        page.get_by_text("Its 8 nearest neighbours").wait_for(timeout=30_000)
        assert "label 3" in page.inner_text("[data-testid='stMain'] h3")
        assert page_errors(page) == []

        # a lasso around a patch of the map, with the lasso tool of the chart's toolbar
        page.locator("[data-testid='stMain'] .modebar-btn[data-title='Lasso Select']").click()
        centre_x, centre_y = page.evaluate(POINT_ON_SCREEN, [1, 0])
        page.mouse.move(centre_x - 40, centre_y - 40)
        page.mouse.down()
        for dx, dy in ((40, -40), (40, 40), (-40, 40), (-40, -40)):
            page.mouse.move(centre_x + dx, centre_y + dy, steps=6)
        page.mouse.up()
        page.get_by_text("images selected").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert page.locator(".st-key-map_gallery img").count() >= 2
        lassoed = page.inner_text("[data-testid='stMain'] h3")

        # and a box, with the box tool: another selection, another count
        page.locator("[data-testid='stMain'] .modebar-btn[data-title='Box Select']").click()
        x, y = page.evaluate(POINT_ON_SCREEN, [7, 0])
        page.mouse.move(x - 60, y - 60)
        page.mouse.down()
        page.mouse.move(x + 60, y + 60, steps=8)
        page.mouse.up()
        page.wait_for_function(
            "old => { const h = document.querySelector('[data-testid=\"stMain\"] h3');"
            " return h && h.innerText.includes('images selected') && h.innerText !== old; }",
            arg=lassoed, timeout=30_000)
        assert page_errors(page) == []
