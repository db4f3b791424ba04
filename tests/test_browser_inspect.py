"""The Inspect pages in a real headless Chromium: scrub the epochs, play them, and look inside the
network at a digit drawn on the canvas."""

import pytest

from core import training
from core.jobs import TrainingJob
from harness.browser import (
    UNDER_THE_TOOLBAR,
    dashboard_in_chromium,
    open_from_navigation,
    page_errors,
    wait_for_text,
    wait_until_idle,
)
from tests.conftest import tiny_config
from tests.test_browser_draw import stroke

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

# The numbers written in the confusion matrix's cells (plotly's text of its marker traces).
CONFUSION_TEXT = """() => {
    const charts = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')];
    const matrix = charts.find(c => c.data && c.data.some(t => t.mode === 'markers+text'));
    return matrix ? matrix.data.map(t => t.text.join(',')).join('|') : '';
}"""
EPOCH_SLIDER = "[data-testid='stMain'] [data-testid='stSlider'] input[type='range']"
EPOCH_VALUE = f"""() => {{
    const slider = document.querySelector("{EPOCH_SLIDER}");
    return slider ? slider.value : null;
}}"""


def test_scrub_play_and_look_inside_a_drawn_digit(real_mnist, tmp_path):
    training.train(TrainingJob(tiny_config(epochs=4, train_images=4000), "four epochs"), real_mnist,
                   tmp_path)
    with dashboard_in_chromium(tmp_path, height=2000) as page:
        open_from_navigation(page, "Replay training")
        page.wait_for_function(f"({CONFUSION_TEXT})() !== ''", timeout=60_000)
        assert page.evaluate(EPOCH_VALUE) == "4"
        last = page.evaluate(CONFUSION_TEXT)
        thumb = page.locator(EPOCH_SLIDER).first
        thumb.focus()
        thumb.press("Home")  # scrub to the first epoch
        page.wait_for_function(f"({CONFUSION_TEXT})() !== {last!r}", timeout=60_000)
        wait_until_idle(page)
        assert page.evaluate(EPOCH_VALUE) == "1"
        assert "Confusion matrix after epoch 1" in page.inner_text("[data-testid='stMain']")
        assert page.evaluate(UNDER_THE_TOOLBAR) == []  # titles clear of the charts' toolbars

        page.get_by_text("Play", exact=True).click()  # steps through 1, 2, 3, 4 by itself
        page.wait_for_function(f"({EPOCH_VALUE})() === '3'", timeout=60_000)
        page.wait_for_function(f"({EPOCH_VALUE})() === '4'", timeout=60_000)
        assert page_errors(page) == []
        wait_until_idle(page)  # the last epoch ends the play
        thumb.focus()
        thumb.press("ArrowLeft")
        thumb.press("ArrowLeft")  # epoch 2, then on to the same network's inside at that epoch
        page.wait_for_function(f"({EPOCH_VALUE})() === '2'", timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("link", name="Look inside the network at this epoch").click()
        page.get_by_text("What the first layer looks for").wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.evaluate(EPOCH_VALUE) == "2"  # a page switch once dropped it: the last epoch
        page.get_by_text("Sanity check.").wait_for(timeout=60_000)
        assert page.evaluate(UNDER_THE_TOOLBAR) == []

        open_from_navigation(page, "Draw")
        canvas = page.locator("[data-testid='stMain'] canvas").last
        canvas.wait_for()
        stroke(page, canvas.bounding_box(), [(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)])  # a "7"
        page.get_by_text("The network reads").wait_for(timeout=30_000)
        page.get_by_text("Why this answer").wait_for(timeout=30_000)
        page.get_by_text("Sanity check.").wait_for(timeout=60_000)
        open_from_navigation(page, "Inside the network")
        page.get_by_text("the digit drawn on Draw").click()
        wait_until_idle(page)
        text = wait_for_text(page, "[data-testid='stMain']", "16 units", without="Nothing drawn yet")
        assert "Nothing drawn yet" not in text and "16 units" in text
        assert page_errors(page) == []
