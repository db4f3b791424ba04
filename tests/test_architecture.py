import dataclasses
import json

import numpy as np
import pytest

from core import architecture
from core.architecture import ConfigError, ConvLayer, DenseLayer, TrainingConfig, build_model, preset

STATS = (np.zeros((28, 28)), np.ones((28, 28)))


@pytest.mark.parametrize("name, parameters", [
    ("given", 101_770), ("compact", 13_287), ("best", 244_554)])
def test_preset_parameter_counts_equal_keras(name, parameters):
    model = build_model(preset(name), *STATS)
    assert model.count_params() == parameters
    rows = architecture.summary_rows(model)
    assert sum(row["parameters"] for row in rows) == parameters
    assert rows[-1]["output shape"] == "(None, 10)"


@pytest.mark.parametrize("name", ["sprint", "conv", "mlp"])
def test_fast_presets_build_and_count_their_parameters(name):
    model = build_model(preset(name), *STATS)
    assert model.output_shape == (None, 10)
    assert model.count_params() == preset(name).parameter_count() < 700_000
    assert preset(name).hyper.schedule == "one-cycle"


@pytest.mark.parametrize("name, cap", [("small95", 9_000), ("small99", 2_000), ("tiny99", 1_500)])
def test_searched_presets_are_within_their_targets_size(name, cap):
    model = build_model(preset(name), *STATS)
    trainable = sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)
    assert trainable == preset(name).parameter_count(trainable_only=True) <= cap
    assert model.count_params() == preset(name).parameter_count()


def test_json_round_trip_of_every_preset():
    for name in architecture.PRESETS:
        config = preset(name)
        again = TrainingConfig.from_dict(json.loads(json.dumps(config.to_dict())))
        assert again == config


def test_presets_are_copies():
    config = preset("given")
    config.dense[0].units = 5
    assert preset("given").dense[0].units == 128


@pytest.mark.parametrize("change, message", [
    (lambda c: setattr(c.dense[0], "units", 0), "hidden layer 1: units must be between 1"),
    (lambda c: setattr(c.dense[0], "units", 100_000), "units must be between 1 and 4,096"),
    (lambda c: setattr(c.dense[0], "activation", "magic"), "unknown activation 'magic'"),
    (lambda c: setattr(c.dense[0], "dropout", 1.0), "dropout must be between 0 and 0.9"),
    (lambda c: setattr(c, "dense", [DenseLayer(8)] * 11), "11 hidden layers: at most 10"),
    (lambda c: setattr(c.hyper, "learning_rate", 0), "learning rate must be above 0"),
    (lambda c: setattr(c.hyper, "learning_rate", -1e-3), "learning rate must be above 0"),
    (lambda c: setattr(c.hyper, "batch_size", 54_001), "the training split has 54,000 images"),
    (lambda c: setattr(c.hyper, "batch_size", 0), "batch size must be between 1"),
    (lambda c: setattr(c.hyper, "epochs", 0), "epochs must be between 1 and 200"),
    (lambda c: setattr(c.hyper, "epochs", 2.5), "epochs must be a whole number"),
    (lambda c: setattr(c.hyper, "optimizer", "adagrad"), "unknown optimizer 'adagrad'"),
    (lambda c: setattr(c.hyper, "lr_decay", 1.5), "learning rate decay must be between 0.1 and 1"),
    (lambda c: setattr(c.hyper, "lr_decay", 0.0), "learning rate decay must be between 0.1 and 1"),
    (lambda c: setattr(c.hyper, "validation_fraction", 0.9), "validation fraction must be between"),
    (lambda c: setattr(c.hyper, "train_images", 70_000), "training images must be between 100 and"),
])
def test_impossible_choices_are_refused_with_a_message(change, message):
    config = preset("given")
    change(config)
    with pytest.raises(ConfigError, match=message):
        config.check()
    with pytest.raises(ConfigError):
        build_model(config, *STATS)


def test_convolutions_that_shrink_the_image_away_are_refused():
    config = preset("conv")
    config.conv = [architecture.ConvLayer(8, 7, max_pool=True)] * 3
    assert any("shrink the 28x28 image" in p for p in config.problems())


def test_batch_size_bound_follows_the_training_set():
    config = preset("given")
    config.hyper.train_images, config.hyper.validation_fraction = 1000, 0.1
    config.hyper.batch_size = 900
    assert config.problems() == []
    config.hyper.batch_size = 901
    assert "the training split has 900 images" in config.problems()[0]


def test_from_dict_rejects_garbage():
    with pytest.raises(ConfigError, match="not a training configuration"):
        TrainingConfig.from_dict({"dense": [{"units": 3, "colour": "red"}]})


def test_model_standardises_raw_pixels():
    images = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    mean, std = images.mean(axis=0), np.maximum(images.std(axis=0), 1.0)
    model = build_model(preset("given"), mean, std)
    standardise = model.get_layer("standardise")
    expected = (images - mean) / std
    np.testing.assert_allclose(np.asarray(standardise(images.astype(np.float32))), expected, atol=1e-4)


def _set(path: str, value):
    def change(config):
        target = config
        *parents, leaf = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else getattr(target, part)
        setattr(target, leaf, value)
    return change


# (field, lowest allowed, highest allowed, just below, just above, what the message names)
BOUNDS = [
    ("dense.0.units", 1, 4096, 0, 4097, "hidden layer 1: units"),
    ("dense.0.dropout", 0.0, 0.9, -0.1, 0.95, "hidden layer 1: dropout"),
    ("conv.0.filters", 1, 256, 0, 257, "conv layer 1: filters"),
    ("conv.0.kernel_size", 1, 7, 0, 8, "conv layer 1: kernel size"),
    ("conv.0.dropout", 0.0, 0.9, -0.01, 0.91, "conv layer 1: dropout"),
    ("conv.0.stride", 1, 2, 0, 3, "conv layer 1: stride"),
    ("hyper.warmup", 0.0, 0.5, -0.1, 0.55, "warm-up share"),
    ("hyper.label_smoothing", 0.0, 0.5, -0.01, 0.6, "label smoothing"),
    ("hyper.shift", 0.0, 0.25, -0.05, 0.3, "random shift"),
    ("hyper.beta_1", 0.0, 0.999, -0.1, 1.0, "beta 1"),
    ("hyper.beta_2", 0.0, 0.9999, -0.1, 1.0, "beta 2"),
    ("hyper.learning_rate", 1e-6, 10.0, 0.0, 10.5, "learning rate must"),
    ("hyper.lr_decay", 0.1, 1.0, 0.05, 1.01, "learning rate decay"),
    ("hyper.epochs", 1, 200, 0, 201, "epochs"),
    ("hyper.train_images", 100, 60_000, 99, 60_001, "training images"),
    ("hyper.patience", 0, 50, -1, 51, "patience"),
    ("hyper.seed", 0, 2**31 - 1, -1, 2**31, "seed"),
    ("hyper.validation_fraction", 0.01, 0.5, 0.0, 0.51, "validation fraction"),
    ("hyper.batch_size", 1, 54_000, 0, 54_001, "batch size"),
]


@pytest.mark.parametrize("field, low, high, below, above, named", BOUNDS, ids=[b[0] for b in BOUNDS])
def test_every_field_at_and_past_its_bounds(field, low, high, below, above, named):
    def config_with(value):
        config = preset("conv")
        config.conv, config.dense = [ConvLayer(4, 3, stride=2)], [DenseLayer(8)]  # small at any bound
        config.hyper.batch_size, config.hyper.validation_fraction = 8, 0.1  # fits any split
        config.hyper.schedule = "step"  # where a decay per epoch means something
        _set(field, value)(config)
        return config

    for allowed in (low, high):
        assert config_with(allowed).problems() == [], (field, allowed)
    for refused in (below, above):
        problems = config_with(refused).problems()
        assert len(problems) == 1 and problems[0].startswith(named), (field, refused, problems)


def test_layer_counts_at_and_past_their_bounds():
    config = preset("conv")
    config.dense = [DenseLayer(8)] * architecture.MAX_DENSE_LAYERS
    config.conv = [architecture.ConvLayer(4, 1)] * architecture.MAX_CONV_LAYERS
    assert config.problems() == []
    config.dense = config.dense + [DenseLayer(8)]
    config.conv = config.conv + [architecture.ConvLayer(4, 1)]
    assert len(config.problems()) == 2
    config.dense, config.conv = [], []
    assert config.problems() == []  # no hidden layer at all: a plain softmax regression


@pytest.mark.parametrize("raw, message", [
    ([1, 2], "expected an object, got list"),
    ("given", "expected an object, got str"),
    ({"dense": "128"}, "dense must be a list of layer objects"),
    ({"dense": [128]}, "dense must be a list of layer objects"),
    ({"hyper": [1]}, "hyper must be an object"),
    ({"preset": 7}, "preset must be a text"),
    ({"hyper": {"epochs": "ten"}}, "epochs must be a whole number"),
    ({"conv": [{"filters": 8, "max_pool": "yes"}]}, "max pool must be true or false"),
    ({"reduction": ["pool2"]}, "reduction must be a text"),
    ({"reduction": "pool3"}, "unknown input reduction 'pool3'"),
])
def test_from_dict_checks_types_and_values(raw, message):
    with pytest.raises(ConfigError, match=message):
        TrainingConfig.from_dict(raw)


def test_parameter_count_without_keras_equals_keras():
    rng = np.random.default_rng(3)
    for _ in range(10):
        conv = [ConvLayer(int(rng.integers(1, 16)), int(rng.choice([3, 5])), bool(rng.integers(2)),
                          bool(rng.integers(2)), stride=int(rng.integers(1, 3)),
                          separable=bool(rng.integers(2)))
                for _ in range(int(rng.integers(0, 3)))]
        dense = [DenseLayer(int(rng.integers(1, 300)), batch_norm=bool(rng.integers(2)))
                 for _ in range(int(rng.integers(0, 4)))]
        reduction = str(rng.choice(list(architecture.REDUCTIONS)))
        config = TrainingConfig(conv=conv, dense=dense, reduction=reduction)
        if config.problems():  # e.g. a reduced image shrunk away by the convolutions
            continue
        model = build_model(config, np.zeros((28, 28)), np.ones((28, 28)))
        assert config.parameter_count() == model.count_params(), config.describe()


def test_a_norm_without_parameters_counts_none_and_needs_batch_norm():
    plain = TrainingConfig(conv=[ConvLayer(8, batch_norm=True, plain_norm=True, max_pool=True),
                                 ConvLayer(12, batch_norm=True, plain_norm=True, separable=True)])
    learned = TrainingConfig(conv=[dataclasses.replace(layer, plain_norm=False) for layer in plain.conv])
    model = build_model(plain, np.zeros((28, 28)), np.ones((28, 28)))
    trainable = sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)
    assert plain.parameter_count(trainable_only=True) == trainable
    assert plain.parameter_count() == model.count_params()
    assert learned.parameter_count(trainable_only=True) - trainable == 2 * (8 + 12)  # scale and shift
    assert "conv3x3x8 norm pool" in plain.describe()
    wrong = TrainingConfig(conv=[ConvLayer(8, plain_norm=True)])
    assert "conv layer 1: a norm without parameters needs batch norm on" in wrong.problems()


def test_a_shared_block_counts_its_weights_once_and_its_norms_each_time():
    once = [ConvLayer(8, batch_norm=True, max_pool=True), ConvLayer(16, separable=True, batch_norm=True)]
    shared = TrainingConfig(conv=[*once, ConvLayer(16, separable=True, batch_norm=True, repeat=3)],
                            global_pool=True)
    model = build_model(shared, np.zeros((28, 28)), np.ones((28, 28)))
    trainable = sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)
    assert shared.parameter_count(trainable_only=True) == trainable
    assert shared.parameter_count() == model.count_params()
    single = TrainingConfig(conv=[*once, ConvLayer(16, separable=True, batch_norm=True)], global_pool=True)
    # three applications: the convolution's weights (9*16 + 16*16 + 16) once, scale and shift three times
    assert trainable - single.parameter_count(trainable_only=True) == 2 * 2 * 16
    assert model.layers[-3].output.shape[1:] == (5, 5, 16)  # 11 -> 9 -> 7 -> 5: one output, the last
    assert shared.multiply_adds() - single.multiply_adds() == (7 * 7 + 5 * 5) * (9 * 16 + 16 * 16)
    assert "sep3x3x16 shared×3 BN" in shared.describe()
    # a damaged file's 2.0 is said, never reaches range()
    assert TrainingConfig(conv=[ConvLayer(8), ConvLayer(8, repeat=2.0)]).problems() == [
        "conv layer 2: times applied must be a whole number, got 2.0"]
    plain = TrainingConfig(conv=[ConvLayer(8), ConvLayer(8, batch_norm=True, plain_norm=True, repeat=2)])
    # 28 -> 26 -> 24 -> 22: the second convolution's 9*8*8 + 8 counted once, its plain norms as none
    assert plain.parameter_count(trainable_only=True) == (9 * 8 + 8) + (9 * 8 * 8 + 8) + 22 * 22 * 8 * 10 + 10
    wrong = TrainingConfig(conv=[ConvLayer(8), ConvLayer(16, stride=2, repeat=2), ConvLayer(16, repeat=9)])
    assert wrong.problems() == [
        "conv layer 2 is applied 2 times with the same weights, so it needs as many filters as the maps "
        "coming in: 8, not 16", "conv layer 2 is applied 2 times: it needs a stride of 1",
        "conv layer 3: times applied must be between 1 and 4, got 9"]


def test_networks_too_big_for_the_server_are_refused_with_the_reason():
    config = TrainingConfig(dense=[DenseLayer(4096), DenseLayer(4096)])
    assert config.parameter_count() > architecture.MAX_PARAMETERS
    problem = config.problems()[0]
    assert "20,037,642 parameters: at most 5,000,000" in problem and "minute per epoch" in problem
    assert not TrainingConfig(dense=[DenseLayer(4096), DenseLayer(256)]).problems()  # 4.3 M: fine


@pytest.mark.parametrize("change, message", [
    (lambda h: setattr(h, "schedule", "sawtooth"), "unknown learning-rate schedule 'sawtooth'"),
    (lambda h: setattr(h, "lr_decay", 0.5), "a learning rate decay of 0.5 per epoch needs the step"),
    (lambda h: (setattr(h, "optimizer", "sgd"), setattr(h, "beta_1", 0.7)),
     "betas apply to Adam and Nadam only, not SGD"),
    (lambda h: setattr(h, "label_smoothing", "some"), "label smoothing must be a number"),
])
def test_schedules_smoothing_and_betas_are_validated(change, message):
    config = preset("given")
    config.hyper.optimizer = "adam"
    change(config.hyper)
    assert any(problem.startswith(message) for problem in config.problems()), config.problems()


def test_a_configuration_saved_before_schedules_keeps_its_step_decay():
    old = preset("given").to_dict()
    for key in ("schedule", "warmup", "label_smoothing", "beta_1", "beta_2"):
        del old["hyper"][key]
    old["hyper"]["lr_decay"] = 0.7
    config = TrainingConfig.from_dict(old)
    assert config.hyper.schedule == "step" and config.hyper.lr_decay == 0.7
    del old["hyper"]["lr_decay"]
    assert TrainingConfig.from_dict(old).hyper.schedule == "constant"


def test_learning_rate_schedules_move_as_described():
    config = preset("given")
    config.hyper.optimizer, config.hyper.learning_rate = "adam", 0.01
    steps = config.steps_per_epoch()
    assert steps == 422  # 54,000 images in batches of 128
    assert architecture.learning_rate(config) == 0.01  # constant
    config.hyper.schedule, config.hyper.lr_decay = "step", 0.5
    rate = architecture.learning_rate(config)
    assert [float(rate(step)) for step in (0, steps - 1, steps, 2 * steps)] == pytest.approx(
        [0.01, 0.01, 0.005, 0.0025])
    config.hyper.schedule, config.hyper.lr_decay, config.hyper.warmup = "one-cycle", 1.0, 0.2
    rate = architecture.learning_rate(config)
    total = steps * config.hyper.epochs
    warm = int(total * 0.2)
    assert float(rate(0)) == pytest.approx(0.01 / 20)  # from a 20th ...
    assert float(rate(warm)) == pytest.approx(0.01)  # ... up to the rate ...
    assert float(rate(total)) == pytest.approx(0.01 / 100)  # ... and down to a 100th
    assert float(rate(warm // 2)) < float(rate(warm)) > float(rate(warm + (total - warm) // 2))


def test_betas_and_label_smoothing_reach_the_keras_model():
    config = preset("given")
    config.hyper.optimizer, config.hyper.beta_1, config.hyper.beta_2 = "nadam", 0.7, 0.95
    config.hyper.label_smoothing = 0.1
    model = build_model(config, *STATS)
    assert (model.optimizer.beta_1, model.optimizer.beta_2) == (0.7, 0.95)
    assert model.loss.label_smoothing == 0.1
    labels = np.array([3, 0])
    np.testing.assert_array_equal(architecture.targets(config, labels)[0], np.eye(10)[3])
    config.hyper.label_smoothing = 0.0
    assert architecture.targets(config, labels) is labels  # digits as they are: no one-hot copy


def test_strided_convolutions_halve_the_image():
    config = TrainingConfig(conv=[ConvLayer(8, 5, stride=2), ConvLayer(16, 3, stride=2)])
    model = build_model(config, *STATS)
    assert model.layers[3].output.shape[1:3] == (12, 12) and model.layers[4].output.shape[1:3] == (5, 5)
    assert config.parameter_count() == model.count_params()
    assert "conv5x5x8/2" in config.describe()


def test_small_networks_run_groups_of_steps_and_large_ones_single_steps():
    assert architecture.steps_per_execution(preset("given")) > 1
    heavy = TrainingConfig(conv=[ConvLayer(64, 5), ConvLayer(128, 5)], dense=[DenseLayer(128)])
    assert architecture.steps_per_execution(heavy) == 1
    assert build_model(preset("given"), *STATS).steps_per_execution == architecture.steps_per_execution(
        preset("given"))


def test_random_shifts_move_training_images_only():
    config = preset("given")
    config.hyper.shift = 0.1
    model = build_model(config, *STATS)
    standardise = model.get_layer("standardise")
    shifted_input = __import__("keras").Model(model.input, standardise.output)
    images = np.zeros((16, 28, 28), np.float32)
    images[:, 10:18, 12:16] = 255.0  # a bar in the middle: any shift moves it
    np.testing.assert_array_equal(np.asarray(shifted_input(images, training=False)), images)
    moved = np.asarray(shifted_input(images, training=True))
    assert (moved != images).any(axis=(1, 2)).sum() >= 8  # most images moved
    assert np.allclose(moved.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=0.02)  # moved, not cut
    assert config.parameter_count() == model.count_params()


def test_rotation_scale_and_noise_change_training_images_only_and_cost_no_parameters():
    config = preset("given")
    config.hyper.rotation, config.hyper.scale, config.hyper.noise = 30.0, 0.2, 40.0
    model = build_model(config, *STATS)
    assert [layer.name for layer in model.layers[2:7]] == [
        "random_rotation", "random_scale", "to_0_1", "random_noise", "to_gray_levels"]
    changed_input = __import__("keras").Model(model.input, model.get_layer("standardise").input)
    images = np.zeros((32, 28, 28), np.float32)
    images[:, 6:22, 13:15] = 255.0  # an upright bar: a turn or a zoom changes its pixels
    unchanged = np.asarray(changed_input(images, training=False))
    assert np.abs(unchanged - images).max() < 1e-3  # at inference: the same image (1/255 * 255)
    changed = np.asarray(changed_input(images, training=True))
    noise = changed[:, :3, :3]  # a corner no turn or zoom reaches: noise alone, of 40 gray levels
    assert 30 < noise.std() < 50 and abs(noise.mean()) < 5
    assert config.parameter_count() == model.count_params()
    assert preset("given").hyper.augmented() is False and config.hyper.augmented()


@pytest.mark.parametrize("reduction, side, parameters", [
    ("none", 28, 784 * 10 + 10 + 10 * 10 + 10), ("pool2", 14, 196 * 10 + 10 + 110),
    ("crop20", 20, 400 * 10 + 10 + 110)])
def test_input_reductions_have_no_parameters_and_shrink_what_follows(reduction, side, parameters):
    config = TrainingConfig(dense=[DenseLayer(10)], reduction=reduction)
    model = build_model(config, *STATS)
    assert config.input_side() == side and config.parameter_count() == model.count_params() == parameters
    flatten = next(layer for layer in model.layers if type(layer).__name__ == "Flatten")
    assert flatten.output.shape[1] == side * side
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 0, 0] = 1000.0  # a corner pixel: the centre crop never sees it
    import keras

    # what reaches the dense layers (their random weights could hide a pixel behind inactive units)
    seen = keras.Model(model.inputs, flatten.output)
    corner = np.asarray(seen(image)) - np.asarray(seen(np.zeros((1, 28, 28), np.float32)))
    assert (np.abs(corner).max() == 0) == (reduction == "crop20")
    from core import inspection

    kind, images = inspection.first_layer_images(model)
    assert kind == "dense" and images.shape == (10, side, side)
    assert reduction == "none" or "14x14" in config.describe() or "20x20" in config.describe()


def test_a_configuration_saved_before_reductions_sees_the_whole_image():
    old = preset("given").to_dict()
    del old["reduction"]
    assert TrainingConfig.from_dict(old).reduction == "none"


def test_a_run_says_what_it_changed_from_its_preset():
    from core.architecture import preset, started_from

    config = preset("given")
    assert started_from(config) == "given"
    config.hyper.learning_rate, config.hyper.epochs, config.hyper.train_images = 0.15, 5, 6000
    assert started_from(config) == "given, learning rate 0.15, 5 epochs, 6,000 images"
    config.preset = "custom"  # its layers changed: no preset to compare with
    assert started_from(config) == "custom"
    config = preset("sprint")
    config.hyper.epochs = 1
    assert started_from(config) == "sprint, 1 epoch"
