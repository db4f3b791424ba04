"""Every page of the dashboard, run headless with streamlit.testing's AppTest on the real data."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import data
from dashboard.text import for_markdown
from tests import conftest

DATASET_PAGES = ["overview", "samples", "averages", "nearest", "gray_levels", "preprocessing"]
REAL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

pytestmark = pytest.mark.real_data


def open_page(name: str) -> AppTest:
    app = conftest.open_page(name)
    assert not app.error, [e.value for e in app.error]
    return app


@pytest.mark.parametrize("name", DATASET_PAGES)
def test_page_renders_with_a_chart(name):
    app = open_page(name)
    assert app.title[0].value
    charts = app.get("plotly_chart")
    assert charts, f"{name} shows no chart"


def test_overview_numbers():
    app = open_page("overview")
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Training images"] == "60,000"
    assert metrics["Test images"] == "10,000"
    assert metrics["Image shape"] == "28 × 28"
    assert metrics["Classes"] == "10"
    counts = app.dataframe[0].value
    assert counts["train count"].tolist() == REAL_COUNTS
    assert counts["test count"].sum() == 10_000
    assert "no significant difference" in " ".join(m.value for m in app.markdown)
    assert "offline copy" in app.sidebar.caption[0].value or "cache" in app.sidebar.caption[0].value


def grid_titles(app: AppTest) -> list[str]:
    """The titles above the images of the page's image grid (plotly annotations), e.g. '#12: 3'."""
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    return [annotation["text"] for annotation in spec["layout"]["annotations"]]


def test_samples_switches_split_and_mode():
    app = open_page("samples")
    assert "9 train images" in app.caption[0].value
    app.radio(key="split").set_value("test").run()
    app.radio[1].set_value("digit").run()
    app.selectbox[0].set_value(3).run()
    assert not app.exception
    assert "9 test images" in app.caption[0].value
    titles = grid_titles(app)
    assert len(titles) == 9 and all(title.endswith(": 3") for title in titles), titles
    x_test, y_test = data.load_mnist().split("test")
    assert all(y_test[int(title[1:].split(":")[0])] == 3 for title in titles)  # really 3s


def test_gray_levels_reproduce_the_classic_numbers():
    app = open_page("gray_levels")
    text = " ".join(m.value for m in app.markdown)
    assert "35, 39, 24, 21, 29, 37, 22, 45, 13, 27" in text
    assert "33.318" in text
    assert "38,045,844" in text
    app.slider[0].set_value(1000).run()
    assert not app.exception


def test_nearest_table_names_the_metric_and_sorts():
    app = open_page("nearest")
    assert "Euclidean" in " ".join(m.value for m in app.markdown)
    table = app.dataframe[0].value
    assert len(table) == 10 * 2 * 5
    nearest = table[(table.digit == 4) & (table.side == "nearest")]["distance"].to_numpy()
    farthest = table[(table.digit == 4) & (table.side == "farthest")]["distance"].to_numpy()
    assert np.all(np.diff(nearest) >= 0) and np.all(np.diff(farthest) <= 0)
    assert nearest.max() < farthest.min()


def test_missing_data_shows_one_clear_page(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "default_sources", lambda: [
        data.Source("nowhere", lambda: data.read_npz(tmp_path / "absent.npz"))])
    from dashboard import cached_data
    cached_data.retry_loading()
    try:
        app = conftest.open_page("start", timeout=60)
        assert not app.exception
        assert app.title[0].value == "MNIST could not be loaded"
        # the file named, not where the server keeps it (the log has the whole path)
        assert any(for_markdown("absent.npz: no such file") in m.value for m in app.markdown)
        assert not any(str(tmp_path) in m.value for m in app.markdown)
        # the failure is remembered: other sessions and reruns do not try every source again
        tries = []
        monkeypatch.setattr(data, "load_mnist", lambda: tries.append(1) or data.read_npz("absent"))
        conftest.open_page("start", timeout=60)
        assert tries == []
        monkeypatch.undo()  # the data is back: "Try again" loads it and opens the dashboard
        app.button[0].click().run()
        assert not app.exception and app.title[0].value == "Start here"
    finally:
        cached_data.retry_loading()


def test_a_damaged_user_dataset_is_named_and_the_next_source_used(monkeypatch, tmp_path):
    truncated = tmp_path / "mnist.npz"
    truncated.write_bytes(b"PK\x03\x04" + b"\x00" * 1000)
    monkeypatch.setenv(data.PATH_ENV, str(truncated))
    from dashboard import cached_data
    cached_data.retry_loading()
    try:
        app = conftest.open_page("overview")
        assert not app.exception
        assert app.metric[0].value == "60,000"  # the dashboard still works, on the next source
        warning = app.sidebar.warning[0].value
        assert for_markdown(f"{data.PATH_ENV}={truncated.name}") in warning and str(truncated) not in warning
        assert for_markdown("not a readable .npz archive") in warning
    finally:
        monkeypatch.delenv(data.PATH_ENV)
        cached_data.retry_loading()


def test_a_new_visitor_starts_on_the_path_and_a_returning_one_where_they_left(runs_folder):
    from dashboard import guide

    app = conftest.open_page("start", token="a-learner-browser-token")
    assert app.title[0].value == "Start here" and len(app.checkbox) == len(guide.STEPS) >= 8
    app.checkbox(key="path-step-1").check().run()
    app.switch_page("views/averages.py").run()  # step 2's page says so, with the next step
    marker = " ".join(caption.value for caption in app.sidebar.caption)
    assert "Step 2 of" in marker and guide.STEPS[1].question in marker
    again = conftest.open_page("start", token="a-learner-browser-token")  # a reload, a new tab
    assert again.title[0].value == "The average digit" and not again.exception  # where they left
    again.switch_page("views/start.py").run()
    assert again.checkbox(key="path-step-1").value and not again.checkbox(key="path-step-2").value
    stranger = conftest.open_page("start")
    assert stranger.title[0].value == "Start here" and not stranger.checkbox(key="path-step-1").value
