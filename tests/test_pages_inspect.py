"""The two Inspect pages and the Draw page's "why", under AppTest, on real tiny runs."""

import base64
import json
import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import inspection, runs, saliency, training
from core.architecture import ConvLayer
from core.jobs import TrainingJob
from core.notices import training_notices
from core.status import ACTIVE
from tests.conftest import button, open_page, tiny_config

pytestmark = pytest.mark.real_data


def confusion_counts(app: AppTest) -> list[str]:
    """The numbers written in the confusion matrix's cells (the only chart of text markers)."""
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    return [text for spec in specs for trace in spec["data"] if trace.get("mode") == "markers+text"
            for text in trace["text"]]


@pytest.fixture
def replayable(runs_folder, real_mnist):
    run = training.train(TrainingJob(tiny_config(epochs=3, train_images=3000), "three epochs"),
                         real_mnist, runs_folder)
    return run


def test_the_epoch_slider_drives_the_replay(replayable, real_mnist):
    app = open_page("inspect_training")
    assert app.slider(key="inspect_epoch").value == 3  # the last epoch first
    last = confusion_counts(app)
    accuracy = next(m for m in app.metric if m.label.startswith("Test accuracy after epoch 3")).value
    assert accuracy == f"{replayable.record['test_accuracy']:.2%}"  # the last epoch is the saved net
    app.slider(key="inspect_epoch").set_value(1).run()
    assert not app.exception
    assert confusion_counts(app) != last  # the matrix of another network
    predictions = inspection.epoch_probabilities(replayable, "test", real_mnist.x_test).argmax(axis=2)
    right_after_one = int((predictions[0] == real_mnist.y_test).sum())
    assert any(f"Right after the first epoch: {right_after_one:,}" in m.value for m in app.markdown)
    app.slider(key="inspect_epoch").set_value(2).run()
    learned, forgot = inspection.learned_and_forgotten(real_mnist.y_test, predictions[0], predictions[1])
    text = " ".join(m.value for m in app.markdown)
    assert f"Learned: {len(learned):,}" in text and f"Forgotten: {len(forgot):,}" in text
    app.toggle(key="inspect_play").set_value(True).run()  # its stepping is checked in a browser


def test_the_replay_says_what_to_notice_in_the_curves(replayable):
    app = open_page("inspect_training")
    expected = [notice.text for notice in training_notices(replayable.record["history"], ended=True)]
    assert any(text.startswith("Still improving when it stopped") for text in expected)  # 3 epochs only
    assert [info.value for info in app.info if info.value in expected] == expected
    assert not app.exception


def test_inside_the_network_shows_layers_activations_and_why(replayable, real_mnist):
    drawn = real_mnist.x_test[7]
    app = open_page("inspect_inside", drawn_digit=drawn)
    titles = [h.value for h in app.header]
    assert titles == ["What the first layer looks for", "What every layer does with one image",
                      "Why this answer"]
    app.radio(key="inspect_source").set_value("the digit drawn on Draw").run()
    assert not app.exception
    model = inspection.model_at_epoch(replayable, 3)
    expected = inspection.ActivationProbe(model)(drawn)[-1][1]
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    output = next(spec for spec in specs if spec["layout"].get("yaxis", {}).get("title", {}).get(
        "text") == "probability")
    bars = output["data"][0]["y"]
    if isinstance(bars, dict):  # plotly's typed-array encoding
        bars = np.frombuffer(base64.b64decode(bars["bdata"]), dtype=bars["dtype"])
    np.testing.assert_allclose(bars, expected, atol=1e-5)  # the drawn digit's probabilities
    for method in saliency.SALIENCY_METHODS:
        app.selectbox(key="inspect-why-method").set_value(method).run()
        assert not app.exception, method
        verdicts = [a.value for a in [*app.success, *app.warning] if "Sanity check" in a.value]
        assert len(verdicts) == 1, method
    app.radio(key="inspect_source").set_value("a confusion-matrix cell").run()
    assert not app.exception


def test_a_convnet_shows_its_filters_and_feature_maps(runs_folder, real_mnist):
    config = tiny_config(epochs=1, train_images=1000)
    config.conv = [ConvLayer(6, 5, max_pool=True)]
    training.train(TrainingJob(config, "conv"), real_mnist, runs_folder)
    app = open_page("inspect_inside")
    assert any("convolution filter" in c.value for c in app.caption)
    assert any("6 feature maps of 24x24" in m.value for m in app.markdown)


def test_a_run_without_epochs_offers_to_retrain_it(replayable, runs_folder):
    shutil.rmtree(replayable.folder / runs.EPOCHS_DIR)  # as runs made before epochs were kept
    app = open_page("inspect_training")
    assert "cannot be replayed" in app.warning[0].value
    from dashboard import server

    before = len(server.trainings().jobs())
    button(app, "Retrain the same configuration").click().run()
    job = server.trainings().jobs()[-1]
    assert len(server.trainings().jobs()) == before + 1 and job.name == "three epochs (again)"
    assert job.config.to_dict() == replayable.record["config"]
    if job.status in ACTIVE:
        job.stop()
    job.done.wait(60)

