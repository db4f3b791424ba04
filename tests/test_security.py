"""What a hostile file or a careless setting must not be able to do."""

import json
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core import runs
from tests.conftest import valid_record

ROOT = Path(__file__).resolve().parents[1]


def test_server_settings_keep_xsrf_on_and_listen_on_localhost():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["address"] == "localhost" and config["server"]["port"] == 8501
    assert config["server"]["maxUploadSize"] <= 10
    assert "localhost:8501" in (ROOT / "README.md").read_text()


def test_a_model_with_code_in_it_is_refused_by_safe_mode(tmp_path):
    import keras

    inputs = keras.Input((28, 28))
    hidden = keras.layers.Lambda(lambda x: x * 2)(keras.layers.Flatten()(inputs))  # arbitrary code
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))
    run = runs.save_run(model, valid_record("trojan"), tmp_path)
    with pytest.raises(runs.RunError, match="cannot be loaded"):
        runs.load_model(run)


def test_run_records_are_data_only(tmp_path):
    from core.architecture import build_model
    from tests.conftest import tiny_config

    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    hostile = '<script>alert(1)</script>/../../x\n'
    run = runs.save_run(model, valid_record(hostile), tmp_path)
    assert run.folder.parent == tmp_path and run.folder.name == run.id  # the name is no path
    record = json.loads((run.folder / runs.RECORD_FILE).read_text())
    assert "\n" not in record["name"] and list(tmp_path.iterdir()) == [run.folder]


PAGES = ["overview", "samples", "averages", "nearest", "gray_levels", "preprocessing", "digit_map",
         "label_audit", "train", "runs", "search", "evaluate", "inspect_training", "inspect_inside", "draw"]


def page_text(app) -> str:
    """Everything the page sends to the browser, main part and sidebar, as text."""
    parts = []

    def walk(node) -> None:
        if (proto := getattr(node, "proto", None)) is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app.main)
    walk(app.sidebar)
    return "\n".join(parts)


@pytest.mark.real_data
def test_no_page_shows_where_the_server_keeps_its_files(runs_folder, tmp_path, monkeypatch, real_mnist):
    from core import data
    from core.architecture import build_model
    from tests.conftest import open_page, tiny_config

    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    data.load_mnist()  # fills that cache, which the sidebar then names as the data's source
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    runs.save_run(model, valid_record("kept"), runs_folder)
    broken = runs.save_run(model, valid_record("broken"), runs_folder)
    with zipfile.ZipFile(broken.folder / runs.MODEL_FILE, "w") as archive:  # listed, fails to load
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", "not weights")
    for page in PAGES:
        text = page_text(open_page(page))
        for folder in (runs_folder, tmp_path / "cache", ROOT):
            assert str(folder) not in text, (page, folder)
    evaluate = open_page("evaluate", evaluate_run=broken.id)
    assert "cannot be evaluated" in page_text(evaluate) and str(runs_folder) not in page_text(evaluate)
