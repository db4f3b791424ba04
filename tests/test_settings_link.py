"""Settings shared by a link: the codec (core.settings_link) and the Train form that reads and
writes it; "Start from this run" fills the same form with a run's whole configuration."""

import dataclasses

import pytest

from core import runs, settings_link, training
from core.architecture import PRESETS, ConvLayer, DenseLayer, TrainingConfig, preset
from core.jobs import TrainingJob
from harness.apptest import open_page
from tests.conftest import button, tiny_config


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_travels_as_its_name_alone(name):
    assert settings_link.encode(preset(name)) == {"p": name}
    assert settings_link.decode({"p": name}) == (preset(name), [])


def test_a_changed_network_and_settings_travel_whole():
    convolutions = [ConvLayer(8, 5, batch_norm=True, max_pool=True, plain_norm=True),
                    ConvLayer(16, stride=2, separable=True, dropout=0.25), ConvLayer(16, 1, repeat=3)]
    config = dataclasses.replace(
        preset("given"), conv=convolutions,
        dense=[DenseLayer(64, "tanh", batch_norm=True, dropout=0.2)], global_pool=True, reduction="crop20",
        hyper=dataclasses.replace(preset("given").hyper, learning_rate=0.15, epochs=5, schedule="one-cycle",
                                  rotation=15.0, scale=0.1, noise=32.0, split_seed=3))
    params = settings_link.encode(config)
    assert (params["rot"], params["sc"], params["noi"], params["ss"]) == ("15", "0.1", "32", "3")
    assert params["c"] == "8-k5-pool-bn-pn_16-k3-s2-sep-d0.25_16-k1-r3" and params["d"] == "64-tanh-bn-d0.2"
    assert {params["lr"], params["ep"], params["sch"], params["gp"], params["in"]} == {
        "0.15", "5", "one-cycle", "1", "crop20"}
    assert settings_link.decode(params) == (config, [])


@pytest.mark.parametrize("params, said", [
    ({"p": "given", "lr": "abc"}, "lr='abc': not a number"),
    ({"p": "given", "lr": "0"}, "lr='0': learning rate must be above 0"),
    ({"p": "given", "ep": "2.5"}, "ep='2.5': not a whole number"),
    ({"p": "given", "opt": "magic"}, "opt='magic': not one of"),
    ({"p": "given", "c": "8-k99"}, "c='8-k99': conv layer 1: kernel size must be between 1 and 7"),
    ({"p": "given", "d": "__import__('os')"}, "d=\"__import__('os')\": expected dense layers"),
    ({"p": "given", "owner": "someone"}, "owner='someone': not a setting of the form"),
    ({"p": "nope"}, "p='nope': no such preset"),
    ({"p": "given", "rot": "90"}, "rot='90': random rotation must be between 0.0 and 45.0"),
    ({"p": "given", "ss": "x"}, "ss='x': not a number"),
])
def test_a_tampered_link_keeps_the_preset_value_and_says_which_it_ignored(params, said):
    config, ignored = settings_link.decode(params)
    assert len(ignored) == 1 and ignored[0].startswith(said), ignored
    assert config == settings_link.starting_config(params["p"] if params["p"] in PRESETS else "custom")


def summary_of(app) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**Model summary**"))


def test_a_link_fills_the_form_and_the_form_writes_its_link(runs_folder):
    app = open_page("train")
    assert app.query_params["p"] == "given"  # the address follows the form
    app.button(key="add-conv-given").click().run()  # a convolution added to the classic network
    assert "conv3x3x32 pool" in summary_of(app)
    link = dict(app.query_params)
    assert link["c"] == "32-k3-pool" and link["p"] == "given"

    other = open_page("train")  # another browser, opening the link (with one value tampered)
    for key, value in (link | {"lr": "abc"}).items():
        other.query_params[key] = value
    other.switch_page("views/train.py").run()
    assert not other.exception
    assert other.selectbox[0].value.startswith("the link's settings")
    assert summary_of(other) == summary_of(app)
    assert any("lr='abc': not a number" in warning.value for warning in other.warning)
    assert "owner" not in " ".join(other.query_params)  # the address never names who made it


def test_start_from_this_run_fills_the_form_with_its_whole_configuration(runs_folder, real_mnist):
    config = dataclasses.replace(tiny_config(epochs=1, train_images=1000),
                                 conv=[ConvLayer(4, max_pool=True)], dense=[DenseLayer(12, "tanh")])
    run = training.train(TrainingJob(config, "to start from"), real_mnist, runs_folder)
    app = open_page("runs")
    button(app, "Start from this run").click().run()
    assert not app.exception
    assert app.selectbox[0].value == f"run: to start from ({run.id})"
    assert config.describe() in summary_of(app)
    assert button(app, "Train").disabled is False
    assert runs.get_run(run.id, runs_folder).usable
    assert TrainingConfig.from_dict(run.record["config"]).describe() == config.describe()


def open_link(page: str, **params):
    """A new browser opening a link to `page` with these parameters."""
    app = open_page("start")
    for key, value in params.items():
        app.query_params[key] = str(value)
    app.switch_page(f"views/{page}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture
def two_epochs(runs_folder, real_mnist):
    first, second = (training.train(TrainingJob(tiny_config(epochs=2, train_images=images), name), real_mnist,
                                    runs_folder) for name, images in (("first", 1000), ("second", 1500)))
    return first, second


def test_a_run_link_opens_the_same_run_split_cell_and_epoch(two_epochs):
    first, _ = two_epochs  # not the most accurate: the pickers' default would be the other
    evaluate = open_link("evaluate", run=first.id, split="validation", cell="3-5")
    assert evaluate.selectbox(key="evaluate_run").value == first.id
    assert evaluate.radio(key="evaluate_split").value == "validation"
    assert any(s.value.startswith("True 3, predicted 5:") for s in evaluate.subheader)
    assert dict(evaluate.query_params) == {"run": first.id, "split": "validation", "cell": "3-5"}

    replay = open_link("inspect_training", run=first.id, epoch=1, cell="7-7")
    assert replay.slider(key="inspect_epoch").value == 1
    assert any(s.value.startswith("True 7, predicted 7:") for s in replay.subheader)
    inside = open_link("inspect_inside", run=first.id, epoch=1, image=42)
    assert inside.number_input(key="inspect_index").value == 42
    assert dict(inside.query_params) == {"run": first.id, "epoch": "1", "image": "42"}


def test_a_link_to_a_run_deleted_since_says_so_and_shows_another(two_epochs):
    first, second = two_epochs
    runs.delete_run(first.id, owner="terminal")
    app = open_link("evaluate", run=first.id, split="train")
    assert any(f"The link's run '{first.id}' is not here" in w.value for w in app.warning)
    assert any("The link's split 'train' is not here (not one of validation, test)" in w.value
               for w in app.warning)
    assert app.selectbox(key="evaluate_run").value == second.id
