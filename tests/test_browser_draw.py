"""Drawing on the real canvas in headless Chromium: strokes are read, Clear empties, uploads work."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from core import training
from core.jobs import TrainingJob
from harness.browser import (
    dashboard_in_chromium,
    open_from_navigation,
    page_errors,
    press_slider,
    wait_until_idle,
)
from tests.conftest import tiny_config

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


def stroke(page, box, points) -> None:
    """Drag the mouse through `points` given as fractions of the canvas's width and height."""
    x0, y0 = box["x"], box["y"]
    first, *rest = [(x0 + fx * box["width"], y0 + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*first)
    page.mouse.down()
    for point in rest:
        page.mouse.move(*point, steps=8)
    page.mouse.up()


def test_draw_read_clear_and_upload(real_mnist, tmp_path):
    config = tiny_config(epochs=2, train_images=10_000)
    training.train(TrainingJob(config, name="reader"), real_mnist, tmp_path)
    with dashboard_in_chromium(tmp_path, height=2000) as page:
        open_from_navigation(page, "Draw")
        page.get_by_text("Draw a digit (or upload one)").wait_for()
        canvas = page.locator("[data-testid='stMain'] canvas").last
        canvas.wait_for()
        box = canvas.bounding_box()
        stroke(page, box, [(0.5, 0.15), (0.5, 0.85)])  # a "1": one tall stroke
        page.get_by_text("The network reads").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot .main-svg")
        assert "Top 3:" in page.inner_text("[data-testid='stMain']")
        assert page_errors(page) == []
        page.get_by_text(re.compile(r"Read as \d \(\d+%\)")).wait_for(timeout=30_000)  # bent: not yet
        press_slider(page, "Thicker strokes (pixels)", "End")  # the same digit, its strokes thickened
        thumb = page.locator(".st-key-bend-thickness [data-testid='stSliderThumbValue']")
        assert thumb.inner_text().startswith("1.5")
        page.get_by_text(re.compile(r"Read as \d \(\d+%\)")).wait_for(timeout=30_000)
        assert page_errors(page) == []
        page.screenshot(path="test-artifacts/draw.png")

        page.get_by_role("button", name="Clear").click()
        page.get_by_text("Draw a digit (or upload one)").wait_for(timeout=30_000)
        assert page.get_by_text("The network reads").count() == 0
        wait_until_idle(page)  # Clear puts a new canvas in the page: draw on that one, once it is there
        canvas = page.locator("[data-testid='stMain'] canvas").last
        canvas.wait_for()
        page.wait_for_timeout(1000)
        stroke(page, canvas.bounding_box(), [(0.5, 0.5), (0.52, 0.51)])  # a dot, not a digit
        page.get_by_text("draw one digit, bigger").wait_for(timeout=30_000)
        assert page.get_by_text("The network reads").count() == 0

        page.get_by_text("Upload a picture").click()
        wait_until_idle(page)
        upload = page.locator("[data-testid='stFileUploaderDropzoneInput']")
        upload.set_input_files(files=[{"name": "notes.png", "mimeType": "image/png",
                                       "buffer": b"definitely not a png"}])
        page.get_by_text("notes.png is not a picture that can be read").wait_for(timeout=30_000)
        buffer = io.BytesIO()
        Image.fromarray(255 - np.kron(real_mnist.x_test[0], np.ones((8, 8), np.uint8))).save(
            buffer, format="PNG")  # a test "7", dark ink on white paper, 224x224
        upload.set_input_files(files=[{"name": "seven.png", "mimeType": "image/png",
                                       "buffer": buffer.getvalue()}])
        page.get_by_text("The network reads").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert page_errors(page) == []
