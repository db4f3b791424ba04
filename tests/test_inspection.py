"""Replaying a training and looking inside the network, on real tiny trainings."""

import numpy as np
import pytest

from core import embedding, inspection, runs, saliency, training
from core.architecture import ConvLayer, DenseLayer, predict_probabilities, preset
from core.jobs import TrainingJob
from tests.conftest import tiny_config

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def trained(real_mnist, tmp_path_factory):
    """A small MLP trained for 3 epochs: its run, and the first 300 test images."""
    config = tiny_config(epochs=3, train_images=6000)
    config.dense = [DenseLayer(32), DenseLayer(16)]
    run = training.train(TrainingJob(config, "replayed"), real_mnist, tmp_path_factory.mktemp("runs"))
    return run, real_mnist.x_test[:300], real_mnist.y_test[:300]


def test_every_full_epoch_is_kept_and_replay_is_exact(trained):
    run, images, _ = trained
    assert inspection.epochs_kept(run) == 3 == run.record["epochs_saved"]
    assert [p.name for p in runs.epoch_weights(run)] == ["001.npz", "002.npz", "003.npz"]
    per_epoch = inspection.epoch_probabilities(run, "test", images)
    assert per_epoch.shape == (3, 300, 10) and per_epoch.dtype == np.float16
    final = predict_probabilities(runs.load_model(run), images)
    np.testing.assert_allclose(per_epoch[-1], final, atol=2e-3)  # float16 of the same numbers
    assert not np.allclose(per_epoch[0], final, atol=2e-3)  # epoch 1 was another network
    # cached: read back, not computed again
    (run.folder / runs.PREDICTIONS_DIR / "test.npy").stat()
    calls = []
    assert np.array_equal(inspection.epoch_probabilities(run, "test", images,
                                                         progress=lambda *a: calls.append(a)), per_epoch)
    assert calls == []


def test_replay_matches_the_restored_epoch_after_early_stopping(early_stopped_run, real_mnist):
    run = early_stopped_run
    best = run.record["early_stopping"]["best_epoch"]
    assert run.record["early_stopping"]["weights_restored"] and best < inspection.epochs_kept(run)
    images = real_mnist.x_test[:200]
    per_epoch = inspection.epoch_probabilities(run, "test", images)
    final = predict_probabilities(runs.load_model(run), images)
    np.testing.assert_allclose(per_epoch[best - 1], final, atol=2e-3)


def test_learned_and_forgotten_equal_a_brute_force_comparison(trained):
    run, images, labels = trained
    predictions = inspection.epoch_probabilities(run, "test", images).argmax(axis=2)
    for before, after in ((0, 1), (1, 2)):
        learned, forgot = inspection.learned_and_forgotten(labels, predictions[before], predictions[after])
        assert learned.tolist() == [i for i in range(len(labels)) if predictions[before][i] != labels[i]
                                    and predictions[after][i] == labels[i]]
        assert forgot.tolist() == [i for i in range(len(labels)) if predictions[before][i] == labels[i]
                                   and predictions[after][i] != labels[i]]
    recall = inspection.recall_by_epoch(labels, predictions)
    for digit in range(10):
        members = labels == digit
        assert recall[digit, 2] == pytest.approx((predictions[2][members] == digit).mean())


def test_first_layer_images_are_the_kernel_reshaped(trained, real_mnist, tmp_path):
    run, _, _ = trained
    model = inspection.model_at_epoch(run, 2)
    kind, images = inspection.first_layer_images(model)
    kernel = np.asarray(model.layers[3].kernel)  # pixels, standardise, flatten, dense
    assert kind == "dense" and images.shape == (32, 28, 28)
    assert np.array_equal(images[5].ravel(), kernel[:, 5])
    assert images[5][3, 7] == kernel[3 * 28 + 7, 5]  # row 3, column 7 of the image
    config = tiny_config(epochs=1, train_images=500)
    config.conv = [ConvLayer(4, 5, max_pool=True)]
    conv_run = training.train(TrainingJob(config), real_mnist, tmp_path)
    conv_model = runs.load_model(conv_run)
    kind, filters = inspection.first_layer_images(conv_model)
    conv_kernel = np.asarray(next(layer for layer in conv_model.layers if "conv" in layer.name).kernel)
    assert kind == "conv" and filters.shape == (4, 5, 5)
    assert np.array_equal(filters[2], conv_kernel[:, :, 0, 2])
    probe = inspection.ActivationProbe(runs.load_model(conv_run))
    shapes = [values.shape for _, values in probe(real_mnist.x_test[0])]
    assert shapes == [(24, 24, 4), (12, 12, 4), (16,), (10,)]
    histograms = inspection.weight_histograms(model)
    assert [counts.sum() for _, counts, _ in histograms] == [784 * 32, 32 * 16, 16 * 10]


def test_separable_convolutions_are_inspected_like_the_others(real_mnist, tmp_path):
    config = tiny_config(epochs=1, train_images=500)
    config.conv = [ConvLayer(4, 3, max_pool=True), ConvLayer(6, 3, separable=True)]
    config.dense, config.global_pool = [], True
    model = runs.load_model(training.train(TrainingJob(config), real_mnist, tmp_path))
    probe = inspection.ActivationProbe(model)
    assert [values.shape for _, values in probe(real_mnist.x_test[0])] == [(26, 26, 4), (13, 13, 4),
                                                                         (11, 11, 6), (10,)]
    separable = next(layer for layer in model.layers if "separable" in layer.name)
    histograms = {name: counts.sum() for name, counts, _ in inspection.weight_histograms(model)}
    assert histograms[f"{separable.name} (depthwise)"] == 3 * 3 * 4  # one 3x3 filter per map
    assert histograms[f"{separable.name} (pointwise)"] == 4 * 6  # then 1x1 from 4 maps to 6
    assert inspection.first_layer_images(model)[1].shape == (4, 3, 3)  # the full first convolution
    assert embedding.layer_names(model)[0] == separable.name  # the map can use its activations


def test_a_shared_block_is_one_layer_to_inspect_and_reload(real_mnist, tmp_path):
    config = tiny_config(epochs=1, train_images=500)
    config.conv = [ConvLayer(4, 3, max_pool=True), ConvLayer(4, 3, separable=True, batch_norm=True, repeat=3)]
    config.dense, config.global_pool = [], True
    model = runs.load_model(training.train(TrainingJob(config), real_mnist, tmp_path))  # its class registered
    probe = inspection.ActivationProbe(model)
    assert [values.shape for _, values in probe(real_mnist.x_test[0])] == [(26, 26, 4), (13, 13, 4),
                                                                         (7, 7, 4), (10,)]
    shared = model.layers[-3]
    histograms = {name: counts.sum() for name, counts, _ in inspection.weight_histograms(model)}
    assert histograms[f"{shared.name} (depthwise)"] == 3 * 3 * 4  # its one set of kernels
    assert embedding.layer_names(model)[0] == shared.name


def test_activations_end_with_the_probabilities(trained):
    run, images, _ = trained
    model = runs.load_model(run)
    layers = inspection.ActivationProbe(model)(images[0])
    assert [values.shape for _, values in layers] == [(32,), (16,), (10,)]
    np.testing.assert_allclose(layers[-1][1], predict_probabilities(model, images[:1])[0], atol=1e-5)
    assert (layers[0][1] >= 0).all()  # relu


@pytest.fixture(scope="module")
def best_network(real_mnist, tmp_path_factory):
    config = preset("best")
    config.hyper.epochs, config.hyper.train_images = 2, 20_000
    run = training.train(TrainingJob(config, "best"), real_mnist, tmp_path_factory.mktemp("best"))
    return runs.load_model(run)


def test_integrated_gradients_are_complete(best_network, real_mnist):
    logits = saliency.logit_function(best_network)
    mean_digit = real_mnist.x_train[:5000].mean(axis=0)
    for image, label in zip(real_mnist.x_test[:4], real_mnist.y_test[:4]):
        for kind in saliency.BASELINES:
            baseline = saliency.baseline_image(kind, image, mean_digit)
            attribution = saliency.saliency_map(best_network, image, int(label), "integrated", baseline)
            scores = np.asarray(logits(np.stack([image, baseline]).astype(np.float32)))[:, label]
            difference = scores[0] - scores[1]
            assert attribution.sum() == pytest.approx(difference, rel=0.05, abs=0.05), kind


def test_the_sanity_check_agrees_with_the_maps_as_they_are_shown(best_network, real_mnist):
    images, labels = real_mnist.x_test[:20], real_mnist.y_test[:20]
    random_network = saliency.reinitialised(best_network)
    mean_digit = real_mnist.x_train[:5000].mean(axis=0)
    passed = {}
    for method in saliency.SALIENCY_METHODS:
        checks = []
        for image, label in zip(images, labels):
            baseline = saliency.baseline_image("blurred", image, mean_digit)
            maps = [saliency.saliency_map(network, image, int(label), method, baseline)
                    for network in (best_network, random_network)]
            checks.append(saliency.sanity_check(*maps, image))
        passed[method] = sum(check.passed for check in checks)
        if method == "gradient":  # a dense network's gradient: noise on the border it never learned
            assert all("away from the digit" in c.verdict for c in checks if not c.passed)
    # occlusion, the page's default, explains; plain gradients of a dense network do not (integrated
    # gradients of one look much like those of its random copy: the image's own pixels dominate them)
    assert list(saliency.SALIENCY_METHODS)[0] == "occlusion"
    assert passed["occlusion"] >= 18 and passed["gradient"] <= 5, passed


def test_the_sanity_check_on_maps_whose_answer_is_known():
    image = np.zeros((28, 28), np.uint8)
    image[6:22, 12:16] = 255  # a "1"
    on_digit = np.where(saliency.digit_region(image), 1.0, 0.0) * np.linspace(1, 2, 28)
    noise = np.random.default_rng(0).normal(0, 1, (28, 28))
    border_noise = np.where(saliency.digit_region(image), 0.0, noise)
    faint = saliency.sanity_check(on_digit, 0.05 * on_digit, image)  # shown: a blank map beside it
    assert faint.passed and "nearly blank (20 times fainter)" in faint.verdict
    same = saliency.sanity_check(on_digit, 0.9 * on_digit + 0.01 * noise, image)
    assert not same.passed and same.verdict.startswith("Too similar")
    different = saliency.sanity_check(on_digit, noise, image)
    assert different.passed and "looks different" in different.verdict
    border = saliency.sanity_check(border_noise, noise, image)
    assert not border.passed and "away from the digit" in border.verdict
    assert not saliency.sanity_check(np.zeros((28, 28)), noise, image).passed


def test_every_method_gives_a_map(best_network, real_mnist):
    images, labels = real_mnist.x_test[:20], real_mnist.y_test[:20]
    baseline = saliency.baseline_image("gray", images[0], images.mean(axis=0))
    for method in saliency.SALIENCY_METHODS:
        found = saliency.saliency_map(best_network, images[0], int(labels[0]), method, baseline)
        assert found.shape == (28, 28) and np.isfinite(found).all() and np.abs(found).max() > 0
    # occlusion, against a brute-force computation: pixel (0, 0) is covered by one patch only
    occluded = saliency.saliency_map(best_network, images[0], int(labels[0]), "occlusion", baseline)
    covered = images[0].astype(np.float32).copy()
    covered[:4, :4] = baseline[:4, :4]
    scores = np.asarray(saliency.logit_function(best_network)(
        np.stack([images[0].astype(np.float32), covered])))[:, labels[0]]
    assert occluded[0, 0] == pytest.approx(scores[0] - scores[1], abs=1e-4)


def test_a_damaged_epoch_file_is_said_not_raised_raw(real_mnist, tmp_path):
    run = training.train(TrainingJob(tiny_config(epochs=2, train_images=1000)), real_mnist, tmp_path)
    runs.epoch_weights(run)[0].write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(runs.RunError, match="001.npz cannot be used"):
        inspection.model_at_epoch(run, 1)
    assert inspection.model_at_epoch(run, 2) is not None  # the other epochs still replay
