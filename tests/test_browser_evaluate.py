"""The clickable confusion matrix in a real headless Chromium: a click opens exactly that cell."""

import numpy as np
import pytest

from core import evaluation, runs, training
from core.architecture import predict_probabilities
from core.jobs import TrainingJob
from harness.browser import (
    dashboard_in_chromium,
    open_from_navigation,
    page_errors,
    wait_until_idle,
)
from tests.conftest import tiny_config

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

CELL_CENTRE = """([x, y]) => {
    const chart = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    const layout = chart._fullLayout, box = chart.getBoundingClientRect();
    return [box.left + layout._size.l + layout.xaxis.l2p(x),
            box.top + layout._size.t + layout.yaxis.l2p(y)];
}"""


def test_clicking_an_off_diagonal_cell_shows_exactly_its_images(real_mnist, tmp_path):
    run = training.train(TrainingJob(tiny_config(epochs=2), name="tiny"), real_mnist, tmp_path)
    model = runs.load_model(run)
    probabilities = predict_probabilities(model, real_mnist.x_test)
    counts = evaluation.confusion(real_mnist.y_test, probabilities.argmax(axis=1))
    off_diagonal = counts * (1 - np.eye(10, dtype=int))
    # the largest mistake cell that still fits on one gallery page
    candidates = np.where(off_diagonal <= 100, off_diagonal, 0)
    true, predicted = np.unravel_index(candidates.argmax(), counts.shape)
    expected = int(counts[true, predicted])
    assert expected > 0

    with dashboard_in_chromium(tmp_path, height=2400) as page:
        open_from_navigation(page, "Evaluate")
        page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot .main-svg")
        assert page_errors(page) == []
        x, y = page.evaluate(CELL_CENTRE, [int(predicted), int(true)])
        page.mouse.click(x, y)
        heading = f"True {true}, predicted {predicted}: {expected:,} images"
        page.get_by_text(heading).wait_for(timeout=30_000)
        wait_until_idle(page)
        page.wait_for_function(
            f"document.querySelectorAll('.st-key-cell_gallery img').length >= {expected}",
            timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path="test-artifacts/evaluate-cell.png")
        assert page.locator(".st-key-cell_gallery img").count() == expected
        assert page_errors(page) == []
