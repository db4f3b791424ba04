"""The Map and Label audit pages under AppTest, on real tiny runs."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core import audit, embedding, runs, training
from core.jobs import TrainingJob
from core.status import ACTIVE
from dashboard import cached_models, server
from dashboard.text import for_markdown
from tests.conftest import open_page, tiny_config

pytestmark = pytest.mark.real_data


@pytest.fixture
def run(runs_folder, real_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_EXPLORER_CACHE", str(tmp_path / "cache"))  # layouts land here
    return training.train(TrainingJob(tiny_config(epochs=2, train_images=5000), "mapper"), real_mnist,
                          runs_folder)


def test_the_map_of_pixels_and_of_a_layer_in_every_colouring(run, tmp_path, runs_folder):
    phishing = "**free** [prize](http://evil.example) $x^2$"
    runs.rename_run(run.id, phishing, runs_folder)
    app = open_page("digit_map", timeout=300)
    assert any(Path(tmp_path / "cache" / "layouts").glob("*.npy"))  # PCA: at once, and cached
    for colour in ("predicted label", "right / wrong", "label quality"):
        app.radio(key="map_colour").set_value(colour).run()
        assert not app.exception, colour
    caption = next(c.value for c in app.caption if c.value.startswith("Predictions of"))
    assert for_markdown(phishing) in caption  # shown as the text it is, never as a link
    app.selectbox(key="map_space").set_value(run.id).run()
    assert not app.exception and app.selectbox(key="map_layer").value


def test_a_layout_that_takes_time_is_computed_in_the_background(run):
    tasks = server.background_tasks()
    busy = threading.Event()
    tasks.submit("another visitor's", "UMAP of 10,000 points", lambda: busy.wait(60))
    app = open_page("digit_map", timeout=300)
    app.radio(key="map_split").set_value("train").run()
    app.number_input(key="map_sample").set_value(1000).run()
    app.radio(key="map_method").set_value("tsne").run()
    app.number_input(key="map-tsne-n_iter").set_value(250).run()
    waiting = app.info[0].value  # behind another visitor's layout: waiting, not "computing"
    assert "waiting for the server's background worker" in waiting and "UMAP of 10,000 points" in waiting
    busy.set()
    deadline = time.monotonic() + 30
    while not any("computing in the background" in i.value for i in app.run().info):
        if any(radio.key == "map_colour" for radio in app.radio):
            break  # it computed between two looks: done already
        assert time.monotonic() < deadline, [i.value for i in app.info]
    waited = [t for t in tasks.tasks() if "t-SNE of 1,000 points" in t.description]
    assert waited and all(t.future.result(timeout=240).shape == (1000, 2) for t in waited)
    app.run()
    assert not app.exception and not any("computing" in i.value for i in app.info)
    assert app.radio(key="map_colour")  # the map is drawn


def test_the_audit_of_the_test_set_says_which_runs_it_used(run, real_mnist, monkeypatch):
    import os

    import psutil

    def fork(*args, **kwargs):  # a fork of the server, threads and all, hung the page 1 time in 8
        raise AssertionError("the dashboard's server forked")

    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8)  # a server with many cores
    monkeypatch.setattr(os, "fork", fork)
    rankings = []
    rank = audit.rank_label_issues
    monkeypatch.setattr(audit, "rank_label_issues", lambda *args: rankings.append(args) or rank(*args))
    app = open_page("label_audit", timeout=300)
    assert not app.exception, [e.value for e in app.exception]
    flagged = next(m for m in app.metric if m.label == "Flagged by cleanlab").value
    probabilities = cached_models.run_probabilities(run.id, "test")
    expected = int(rank(real_mnist.y_test, probabilities)["flagged"].sum())
    assert flagged == f"{expected:,} of 10,000 images"
    assert any("does not mean the labels are all right" in c.value for c in app.caption)
    assert app.multiselect(key="audit_runs").value[0].id == run.id  # the runs used are named
    assert "Download the review (0 marked)" in str(app.get("download_button")[0].proto)
    app.slider(key="audit_count").set_value(60).run()  # a rerun: the ranking is not computed again
    assert not app.exception and len(rankings) == 1


def test_the_training_set_audit_asks_for_a_cross_validation(runs_folder):
    app = open_page("label_audit", timeout=300)
    app.radio(key="audit_split").set_value("train").run()
    assert "cross-validation" in app.info[0].value
    queue = server.trainings()
    before = len(queue.jobs())
    next(b for b in app.button if "cross-validation" in b.label).click().run()
    new = queue.jobs()[before:]
    assert [job.config.hyper.fold for job in new] == [0, 1, 2]
    assert all(job.config.hyper.folds == 3 for job in new)
    for job in new:
        if job.status in ACTIVE:
            job.stop()
    assert all(job.done.wait(120) for job in new)


def test_neighbours_on_the_page_match_the_core(run, real_mnist):
    features = embedding.pixel_features(real_mnist.x_test)
    assert embedding.nearest_neighbours(features, 0).tolist() == \
        np.argsort(((features - features[0]) ** 2).sum(axis=1))[1:9].tolist()
