"""Distortions you dial and adversarial digits (core.robustness), on real MNIST and real tiny
networks; the Robustness page under AppTest."""

import numpy as np
import pytest

from core import robustness, runs, training
from core.architecture import TrainingConfig, predict_probabilities
from core.jobs import TrainingJob
from tests.conftest import tiny_config

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def digits(real_mnist):
    return real_mnist.x_test[:300], real_mnist.y_test[:300]


@pytest.fixture(scope="module")
def network(real_mnist, tmp_path_factory):
    run = training.train(TrainingJob(tiny_config(epochs=2, train_images=3000), "robust?"), real_mnist,
                         tmp_path_factory.mktemp("runs"))
    from core import runs

    return runs.load_model(run)


@pytest.mark.parametrize("kind", list(robustness.DISTORTIONS))
def test_each_distortion_is_neutral_at_its_neutral_strength_and_repeats_with_its_seed(digits, kind):
    images, _ = digits
    assert np.array_equal(robustness.distort(images, kind, robustness.NEUTRAL[kind]), images)
    strongest = robustness.DISTORTIONS[kind].strengths[-1]
    once, again = (robustness.distort(images, kind, strongest, seed=3) for _ in range(2))
    assert np.array_equal(once, again) and once.dtype == np.uint8 and once.shape == images.shape
    assert not np.array_equal(once, images)


def centre_of_ink(image):
    rows, columns = np.indices(image.shape)
    return np.array([(rows * image).sum(), (columns * image).sum()]) / image.sum()


def test_shift_and_rotation_move_the_ink_as_said(digits):
    images, _ = digits
    moved = robustness.distort(images[:50], "shift", 4, seed=1)
    distances = [np.linalg.norm(centre_of_ink(a.astype(float)) - centre_of_ink(b.astype(float)))
                 for a, b in zip(images[:50], moved)]
    assert 3.5 < np.median(distances) < 4.5  # 4 pixels, in a random direction each
    bar = np.zeros((1, 28, 28), np.uint8)
    bar[0, 13:15, 4:24] = 255  # a horizontal bar turned by 90 degrees is a vertical one
    turned = robustness.distort(bar, "rotation", 90)[0]
    assert turned[4:24, 13:15].mean() > 200 and turned[13:15, 4:10].mean() < 50


def test_thickness_adds_or_removes_ink_and_noise_has_its_spread(digits):
    images, _ = digits
    ink = images.astype(float).sum()
    assert robustness.distort(images, "thickness", 1.0).astype(float).sum() > 1.3 * ink
    assert robustness.distort(images, "thickness", -1.0).astype(float).sum() < 0.7 * ink
    blank = np.full((20, 28, 28), 128, np.uint8)
    assert abs(robustness.distort(blank, "noise", 32, seed=0).std() - 32) < 1.5


def test_a_network_loses_accuracy_as_the_distortion_grows(network, digits):
    images, labels = digits
    predict = lambda batch: predict_probabilities(network, batch)  # noqa: E731
    curve = dict(robustness.strength_curve(predict, images, labels, "rotation"))
    assert curve[0] > 0.8 and curve[60] < curve[0] - 0.3 and curve[-60] < curve[0] - 0.3


def test_adversarial_digits_stay_within_epsilon_and_accuracy_falls_with_it(network, digits):
    images, labels = digits
    predict = lambda batch: predict_probabilities(network, batch)  # noqa: E731
    assert np.array_equal(robustness.attack(network, images, labels, 0.0), images)  # epsilon 0: nothing
    attacked = robustness.attack(network, images, labels, 0.1)
    assert np.abs(attacked.astype(int) - images.astype(int)).max() <= round(0.1 * 255) + 1
    fgsm = dict(robustness.attack_curve(network, predict, images, labels))
    assert fgsm[0.0] == robustness.accuracy(predict, images, labels)
    assert fgsm[0.1] < fgsm[0.0] - 0.2 and fgsm[0.3] <= fgsm[0.1] + 0.02
    pgd = dict(robustness.attack_curve(network, predict, images, labels, steps=20, epsilons=(0.1,)))
    assert pgd[0.1] <= fgsm[0.1] + 0.02  # the stronger attack


def test_the_smallest_flip_is_found_to_its_precision(network, digits):
    images, labels = digits
    predict = lambda batch: predict_probabilities(network, batch)  # noqa: E731
    index = next(i for i in range(len(images)) if predict(images[i:i + 1]).argmax() == labels[i])
    flip = robustness.smallest_flip(network, predict, images[index], int(labels[index]))
    assert flip is not None and flip.read_as != labels[index]
    assert predict(flip.adversarial[None]).argmax() == flip.read_as
    just_below = robustness.attack(network, images[index][None], labels[index:index + 1],
                                   flip.epsilon - 0.006, robustness.PGD_STEPS)
    assert predict(just_below).argmax() == labels[index]


def test_a_network_that_ignores_its_input_scores_the_same_everywhere(digits):
    import keras

    images, labels = digits
    inputs = keras.Input((28, 28), name="pixels")
    zero = keras.layers.Lambda(lambda x: x[:, 0, :10] * 0.0)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="digit")(zero))
    predict = lambda batch: predict_probabilities(model, batch)  # noqa: E731
    scores = {a for _, a in robustness.attack_curve(model, predict, images, labels)}
    scores |= {a for _, a in robustness.strength_curve(predict, images, labels, "noise")}
    assert len(scores) == 1


def test_the_robustness_page_compares_runs_and_finds_a_fooling_change(runs_folder, real_mnist):
    import json

    from harness.apptest import open_page

    for name, seed in (("first", 0), ("second", 1)):
        training.train(TrainingJob(tiny_config(epochs=1, train_images=2000, seed=seed), name), real_mnist,
                       runs_folder)
    app = open_page("robustness")
    app.select_slider(key="robust-sample").set_value(500).run()
    app.radio(key="robust-kind").set_value("shift").run()
    assert not app.exception, [e.value for e in app.exception]

    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    lines = [trace for spec in specs for trace in spec["data"] if trace.get("mode") == "lines+markers"]
    assert len(lines) == 4  # two runs, on the distortion chart and on the attack chart
    shift, attack = lines[0], lines[2]
    assert shift["x"] == list(robustness.DISTORTIONS["shift"].strengths)
    assert attack["x"] == list(robustness.EPSILONS)
    assert shift["y"][0] > shift["y"][-1] and attack["y"][0] > attack["y"][-1]
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert "The digit: a 7" in captions  # the first test digit
    assert any(caption.startswith("Read as") for caption in captions) or any(
        "does not change" in info.value for info in app.info)

    # make it robust: the first run's whole network, trained again with the images changed at random
    parent = app.multiselect(key="robust-runs").value[0]
    next(b for b in app.button if b.label == "Train it again with these distortions").click().run()
    assert not app.exception, [e.value for e in app.exception]
    form = {key: app.slider(key=f"{key}-loaded1").value for key in ("rotation", "shift", "scale", "noise")}
    assert form == robustness.AUGMENTATION
    app.switch_page("views/train.py").run()  # AppTest stays on the page it ran unless told
    app.text_input[0].set_value("made robust").run()
    next(b for b in app.button if b.label == "Train").click().run()
    from dashboard import server

    assert server.trainings().jobs()[-1].done.wait(120)
    child = next(run for run in runs.list_runs(runs_folder) if run.name == "made robust")
    config = TrainingConfig.from_dict(child.record["config"])
    assert (config.hyper.rotation, config.hyper.noise) == (15.0, 24.0)
    assert config.describe() == TrainingConfig.from_dict(parent.record["config"]).describe()
    app.switch_page("views/robustness.py").run()
    assert [run.id for run in app.multiselect(key="robust-runs").value] == [child.id, parent.id]


def test_bending_one_digit_turns_moves_and_thickens_it(digits):
    images, _ = digits
    digit = images[0]
    assert np.array_equal(robustness.bend(digit), digit)
    moved = robustness.bend(digit, right=4, down=-2).astype(float)
    assert np.allclose(centre_of_ink(moved) - centre_of_ink(digit.astype(float)), (-2, 4), atol=0.3)
    assert robustness.bend(digit, thickness=1.0).astype(float).sum() > digit.astype(float).sum()
    turned = robustness.distort(digit[None], "rotation", 30)[0]
    assert np.array_equal(robustness.bend(digit, rotation=30), turned)


def test_a_run_whose_model_cannot_be_loaded_is_said_and_the_others_still_shown(runs_folder, real_mnist):
    import json
    import zipfile

    from harness.apptest import open_page

    kept = [training.train(TrainingJob(tiny_config(epochs=1, train_images=2000, seed=seed), name),
                           real_mnist, runs_folder) for name, seed in (("sound", 0), ("broken", 1))]
    # its names right, its content not
    with zipfile.ZipFile(kept[1].folder / runs.MODEL_FILE, "w") as archive:
        archive.writestr("config.json", "{not json")
        archive.writestr("model.weights.h5", b"\x00" * 64)
    app = open_page("robustness")
    app.select_slider(key="robust-sample").set_value(500).run()
    assert not app.exception, [e.value for e in app.exception]
    said = [element.value for element in [*app.warning, *app.error]]
    assert any("broken" in text and "cannot be" in text for text in said), said
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    curves = [trace["name"] for spec in specs for trace in spec["data"]
              if trace.get("mode") == "lines+markers"]
    assert curves and all(name.startswith("sound") for name in curves)


def test_a_network_trained_with_random_shifts_loses_less_under_translate(real_mnist, tmp_path):
    from core import corruptions

    images, labels = real_mnist.x_test[:2000], real_mnist.y_test[:2000]
    moved = corruptions.corrupt(images, "translate", seed=0)
    drops = {}
    for shift in (0.0, 0.15):
        config = tiny_config(epochs=3, train_images=5000, shift=shift)
        model = runs.load_model(training.train(TrainingJob(config, f"shift {shift}"), real_mnist, tmp_path))
        accuracy = lambda x, model=model: robustness.accuracy(  # noqa: E731
            lambda batch: predict_probabilities(model, batch), x, labels)
        drops[shift] = accuracy(images) - accuracy(moved)
    assert drops[0.15] < drops[0.0] - 0.1, drops
