"""The Robustness page in a real headless Chromium: MNIST-C's bars for two runs, a click on a bar
shows that run's mistakes under that corruption, the gallery, the strength and attack curves, and
a digit fooled (the Draw page's sliders: test_browser_draw)."""

import pytest

from core import corruptions, mnist_c, training
from core.architecture import ConvLayer
from core.jobs import TrainingJob
from harness.browser import dashboard_in_chromium, open_from_navigation, page_errors, wait_until_idle
from tests.conftest import tiny_config

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


def test_mnist_c_bars_a_click_on_one_shows_its_mistakes(tmp_path, real_mnist):
    mnist_c.make(mnist_c.folder_for(real_mnist.x_test), real_mnist.x_test)  # once per machine
    convnet = tiny_config(epochs=1, train_images=5000)
    convnet.conv = [ConvLayer(8, max_pool=True)]
    for name, config in (("an mlp", tiny_config(epochs=1, train_images=5000)), ("a convnet", convnet)):
        training.train(TrainingJob(config, name), real_mnist, tmp_path)
    with dashboard_in_chromium(tmp_path, height=1400) as page:
        open_from_navigation(page, "Robustness")
        page.get_by_text("mean corruption error").first.wait_for(timeout=120_000)
        wait_until_idle(page, 120_000)
        bars = page.locator("[data-testid='stMain'] .js-plotly-plot .barlayer .trace")
        assert bars.count() == 2  # one trace per run
        assert bars.nth(0).locator(".point").count() == 1 + len(corruptions.CORRUPTIONS)
        bar = bars.nth(0).locator(".point").nth(4).bounding_box()  # the first run's motion-blur bar
        page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
        heading = page.get_by_role("heading", name="under motion blur")
        heading.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert "mistakes" in heading.inner_text()
        assert page.get_by_text("The same digits under every corruption").count() == 1
        # below it: a strength curve and the attack's, one line per run, and one digit fooled
        lines = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .flatMap(c => c._fullData || []).filter(t => t.mode === 'lines+markers').length""")
        assert lines == 4
        page.get_by_text("The smallest change that fools it").wait_for()
        fooled = page.get_by_text("Read as").count() + page.get_by_text("does not change what").count()
        assert fooled >= 1
        assert page_errors(page) == []
        page.screenshot(path="test-artifacts/robustness.png", full_page=True)
