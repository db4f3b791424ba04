"""The Train and Runs pages under AppTest: summaries, refusals, a real queued run, run management."""

import json
import re
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import architecture, runs
from core.architecture import TrainingConfig, build_model
from dashboard import training_form
from dashboard.text import for_markdown
from tests.conftest import button, open_page, tiny_config, valid_record

pytestmark = pytest.mark.real_data


def parameters(app: AppTest) -> str:
    return next(m.value for m in app.metric if m.label == "Parameters")


def test_presets_show_their_summary(runs_folder):
    app = open_page("train")
    assert parameters(app) == "101,770"
    for preset, count, layer in (("best", "244,554", "BatchNormalization"),
                                 ("compact", "13,287", "Dense"), ("conv", None, "Conv2D")):
        app.selectbox[0].set_value(preset).run()
        assert not app.exception
        assert count is None or parameters(app) == count
        summary = next(d.value for d in app.dataframe if "layer" in d.value.columns)
        assert layer in summary["layer"].str.cat()


@pytest.mark.parametrize("key, value, message", [
    ("lr-given-typed", 0.0, "learning rate must be above 0"),
    ("batch-given-typed", 60_000, "batch size must be between 1 and 54,000"),
    ("images-given", 100, "the training split has 90 images"),  # smaller than a batch of 128
    ("images-given", 1000, None),
])
def test_bad_hyperparameters_are_refused_in_the_page(runs_folder, key, value, message):
    app = open_page("train")
    app.toggle(key=training_form.EXACT).set_value(True).run()  # number fields instead of sliders
    app.number_input(key=key).set_value(value).run()
    assert not app.exception
    train_button = button(app, "Train")
    if message:
        assert message in app.error[0].value and train_button.disabled
    else:
        assert not app.error and not train_button.disabled


def test_a_run_trains_from_the_page_and_lands_in_the_runs_folder(runs_folder):
    app = open_page("train")
    app.number_input(key="images-given").set_value(2000).run()
    app.slider(key="epochs-given").set_value(2).run()
    app.text_input[0].set_value("from apptest").run()
    button(app, "Train").click().run()
    assert not app.exception
    from dashboard import server

    assert server.trainings().jobs()[-1].done.wait(60)
    app.run()
    # the headline as Markdown, its brackets escaped: "Run from apptest (#12): finished" on the page
    headlines = [headline.value.replace("\\", "") for headline in app.subheader]
    assert any(re.search(r"from apptest \(#\d+\): finished", headline) for headline in headlines)
    assert [run.name for run in runs.list_runs(runs_folder)] == ["from apptest"]


def test_runs_page_without_runs_explains(runs_folder):
    app = open_page("runs")
    assert "No runs yet" in app.info[0].value


def test_runs_page_lists_good_and_damaged_runs(runs_folder):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    runs.save_run(model, valid_record("kept"), runs_folder)
    (runs_folder / "20200101-000000-abcdef").mkdir()  # a run folder with nothing in it
    app = open_page("runs")
    table = app.dataframe[0].value
    assert sorted(table["status"]) == ["damaged", "finished"]
    assert "run.json is missing" in " ".join(table["note"])
    assert "damaged or incomplete" in app.warning[0].value


def test_evaluate_without_runs_explains(runs_folder):
    app = open_page("evaluate")
    assert "no trained network" in app.info[0].value


def test_evaluate_shows_metrics_of_a_real_run(runs_folder, real_mnist):
    from core import preprocessing, training
    from core.jobs import TrainingJob

    first = training.train(TrainingJob(tiny_config(epochs=1), name="one"), real_mnist, runs_folder)
    config = tiny_config(epochs=1)
    config.dense[0].units = 8
    training.train(TrainingJob(config, name="two"), real_mnist, runs_folder)
    app = open_page("evaluate")
    assert not app.error
    best = max(runs.list_runs(runs_folder), key=lambda run: run.record["test_accuracy"])
    assert app.selectbox(key="evaluate_run").value == best.id  # by default, the most accurate
    app.selectbox(key="evaluate_run").set_value(first.id).run()
    accuracy = next(m.value for m in app.metric if m.label == "Accuracy")
    assert accuracy == f"{first.record['test_accuracy']:.2%}"
    table = next(d.value for d in app.dataframe if "specificity" in d.value.columns)
    assert table["support"].tolist() == np.bincount(real_mnist.y_test).tolist()
    assert "Highest precision" in " ".join(m.value for m in app.markdown)
    assert any("images only" in m.value for m in app.markdown)  # the comparison section
    assert all(metric.proto.help for metric in app.metric)  # every number says what it means
    frame = next(d for d in app.dataframe if "specificity" in d.value.columns)
    explained = json.loads(frame.proto.columns)
    assert all(explained.get(name, {}).get("help") for name in frame.value.columns if name != "digit")
    app.radio(key="evaluate_split").set_value("validation").run()
    assert not app.exception
    table = next(d.value for d in app.dataframe if "specificity" in d.value.columns)
    assert table["support"].sum() == 200
    # exactly the images the run was validated on: the same split function as training's
    hyper = TrainingConfig.from_dict(first.record["config"]).hyper
    *_, validation_labels = preprocessing.training_split(real_mnist.x_train, real_mnist.y_train, hyper)
    assert table["support"].tolist() == np.bincount(validation_labels, minlength=10)[
        table["digit"]].tolist()
    accuracy = next(m.value for m in app.metric if m.label == "Accuracy")
    assert accuracy == f"{first.record['validation_accuracy']:.2%}"


def test_evaluate_reports_a_corrupted_model_file(runs_folder, real_mnist):
    from core import training
    from core.jobs import TrainingJob

    run = training.train(TrainingJob(tiny_config(epochs=1), name="broken"), real_mnist, runs_folder)
    model_file = run.folder / runs.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[:2000])  # truncated, as by a full disk
    app = open_page("evaluate")
    assert not app.exception
    assert "no trained network" in app.info[0].value  # a damaged run is not offered
    app = open_page("runs")
    table = app.dataframe[0].value
    assert table["status"].tolist() == ["damaged"]
    assert "model.keras is damaged (BadZipFile" in table["note"][0]  # the real error, not "not found"


def test_draw_without_runs_trains_a_default_network_in_one_click(runs_folder):
    app = open_page("draw")
    assert "no trained network yet" in app.info[0].value
    app.button[0].click().run()
    assert not app.exception
    assert any(for_markdown("default: sprint convnet") in s.value for s in app.subheader)
    from dashboard import server

    assert server.trainings().jobs()[-1].done.wait(120)
    run = runs.list_runs(runs_folder)[0]
    assert run.record["config"]["preset"] == "sprint" and run.record["epochs_run"] == 2
    assert run.record["test_accuracy"] > 0.98
    app.run()
    assert not app.exception
    assert "Draw a digit" in app.info[0].value  # the canvas is there now, waiting for a drawing


def test_a_second_training_waits_in_the_queue_and_the_page_says_so(runs_folder):
    from dashboard import server

    queue = server.trainings()  # the server's one queue, shared with the page
    assert queue.max_running == 1
    blocker = queue.submit(tiny_config(epochs=100, train_images=20_000), "blocker")
    try:
        deadline = time.monotonic() + 60
        while blocker.progress().status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        app = open_page("train")
        app.number_input(key="images-given").set_value(2000).run()
        app.slider(key="epochs-given").set_value(1).run()
        button(app, "Train").click().run()
        assert any(s.value.endswith(": queued") for s in app.subheader)
        assert "Waiting in the queue, position 1" in app.info[0].value
        assert "at most 1 at once" in app.info[0].value
    finally:
        blocker.stop()
    waiting = queue.jobs()[-1]
    assert waiting.done.wait(120) and blocker.done.wait(5)
    assert blocker.progress().status == "stopped" and waiting.progress().status == "finished"
    assert waiting.progress().started >= blocker.progress().finished - 0.5


def test_sliders_by_default_exact_values_on_demand_and_the_choice_is_kept(runs_folder):
    app = open_page("train")
    assert {s.key for s in app.select_slider} >= {"lr-given", "batch-given"}
    assert app.slider(key="epochs-given").value == 10
    app.select_slider(key="lr-given").set_value(0.003).run()
    app.select_slider(key="batch-given").set_value(512).run()
    app.slider(key="epochs-given").set_value(4).run()
    # typed values start from the sliders' and may leave their grid ...
    app.toggle(key=training_form.EXACT).set_value(True).run()
    assert app.number_input(key="lr-given-typed").value == 0.003
    assert app.number_input(key="batch-given-typed").value == 512
    app.number_input(key="lr-given-typed").set_value(0.0042).run()
    # ... and become a stop of the slider when it comes back
    app.toggle(key=training_form.EXACT).set_value(False).run()
    assert app.select_slider(key="lr-given").value == 0.0042
    assert app.slider(key="epochs-given").value == 4
    summary = next(m.value for m in app.markdown if m.value.startswith("**Model summary**"))
    assert "28x28 > 128 > 10" in summary


def test_layers_are_added_and_removed_and_schedules_show_their_settings(runs_folder):
    app = open_page("train")
    button(app, "Add a hidden layer").click().run()
    assert parameters(app) == f"{(784 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10):,}"
    app.select_slider(key="units-given-layer0").set_value(256).run()
    app.slider(key=next(s.key for s in app.slider if s.key.startswith("dropout-given-layer1"))).set_value(
        0.3).run()
    assert "28x28 > 256 > 64 drop0.3 > 10" in " ".join(m.value for m in app.markdown)
    next(b for b in app.button if b.help == "Remove layer 1").click().run()
    assert "28x28 > 64 drop0.3 > 10" in " ".join(m.value for m in app.markdown)
    app.selectbox(key="schedule-given").set_value("one-cycle").run()
    assert app.slider(key="warmup-given").value == 0.2
    app.selectbox(key="schedule-given").set_value("step").run()
    assert app.slider(key="decay-given").value == 1.0
    assert not any(s.key == "warmup-given" for s in app.slider)
    # betas belong to Adam and Nadam: the given preset's SGD has none to set
    assert not any(n.key == "beta1-given" for n in app.number_input)
    app.selectbox(key="optimizer-given").set_value("adam").run()
    assert app.number_input(key="beta1-given").value == 0.9
    assert not app.error and not app.exception


def test_an_input_reduction_shrinks_the_network_and_makes_it_custom(runs_folder):
    app = open_page("train")
    app.selectbox(key="reduction-given").set_value("pool2").run()
    assert parameters(app) == f"{196 * 128 + 128 + 128 * 10 + 10:,}"
    summary = next(m.value for m in app.markdown if m.value.startswith("**Model summary**"))
    assert "28x28 > avgpool 14x14 > 128 > 10" in summary
    assert not app.error and not app.exception


def test_every_control_of_the_train_form_says_what_it_means(runs_folder):
    app = open_page("train")
    for exact in (False, True):  # the sliders, then the number fields
        controls = [widget for kind in ("slider", "select_slider", "selectbox", "number_input", "checkbox",
                                        "toggle", "text_input") for widget in app.get(kind)]
        assert len(controls) >= 17
        silent = [widget.label for widget in controls if not widget.proto.help]
        assert silent == [], silent
        app.toggle(key="train-exact-values").set_value(not exact).run()


def test_a_convolution_applied_again_shares_its_weights_and_says_what_it_needs(runs_folder):
    app = open_page("train")
    app.selectbox[0].set_value("small99").run()
    app.selectbox(key="times-small99-conv2").set_value(2).run()  # 12 maps in, 12 out
    expected = architecture.preset("small99")
    expected.conv[2].repeat = 2
    assert parameters(app) == f"{expected.parameter_count():,}"  # its weights once, as Keras counts
    assert "sep3x3x12 shared×2 BN pool" in " ".join(m.value for m in app.markdown)
    app.selectbox(key="times-small99-conv3").set_value(2).run()  # 12 maps in, 15 out: refused
    assert any("conv layer 4 is applied 2 times with the same weights, so it needs as many filters as the "
               "maps coming in: 12, not 15" in e.value for e in app.error)
