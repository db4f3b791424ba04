"""Comparing two to four runs on the Runs page: settings side by side with their differences,
curves, recall of each digit, and the way to Evaluate's image-by-image comparison."""

import numpy as np
import pytest

from core import evaluation, runs, training
from core.architecture import predict_probabilities, settings_side_by_side
from core.jobs import TrainingJob
from harness.apptest import open_page
from tests.conftest import button, tiny_config

pytestmark = pytest.mark.real_data


def test_the_settings_that_differ_are_marked():
    rows = {row["setting"]: row for row in settings_side_by_side({
        "a": tiny_config(epochs=1), "b": tiny_config(epochs=3), "c": tiny_config(epochs=1)})}
    assert rows["epochs"]["differs"] and (rows["epochs"]["a"], rows["epochs"]["b"]) == (1, 3)
    assert not rows["learning rate"]["differs"] and not rows["network"]["differs"]
    assert rows["parameters"]["a"] == f"{tiny_config().parameter_count():,}"


def test_two_runs_side_by_side_then_on_evaluate(runs_folder, real_mnist):
    trained = [training.train(TrainingJob(tiny_config(epochs=1, train_images=1000, seed=seed), name),
                              real_mnist, runs_folder) for name, seed in (("one", 1), ("two", 2))]
    app = open_page("runs")
    chosen = app.multiselect(key="compare-runs").value
    assert len(chosen) == 2
    settings = next(frame.value for frame in app.dataframe if "setting" in frame.value.columns)
    seeds = settings.set_index("setting").loc["seed"]
    assert sorted(seeds.tolist()) == ["1", "2"]
    recall = next(frame.value for frame in app.dataframe if len(frame.value) == 10 and "setting" not in
                  frame.value.columns)
    for run in trained:  # each run's recall, as an independent look at its saved model gives it
        predicted = predict_probabilities(runs.load_model(runs.get_run(run.id, runs_folder)),
                                          real_mnist.x_test).argmax(axis=1)
        expected = evaluation.per_class_metrics(real_mnist.y_test, predicted)["recall (sensitivity)"]
        column = next(name for name in recall.columns if name.endswith(f"({run.id[-6:]})"))
        assert np.allclose(recall[column].to_numpy(), expected.to_numpy())
    button(app, "Compare the first two image by image on Evaluate").click().run()
    assert not app.exception
    first, second = (run.id for run in chosen)
    assert app.selectbox(key="evaluate_run").value == first
    assert app.selectbox(key="evaluate_other").value == second
