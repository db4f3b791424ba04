"""The map's layouts and neighbours, and the label audit, on real data."""

import numpy as np
import pytest

from core import audit, embedding, evaluation, preprocessing, runs, training
from core.architecture import DenseLayer, TrainingConfig, predict_probabilities
from core.jobs import TrainingJob
from tests.conftest import tiny_config

pytestmark = pytest.mark.real_data


@pytest.mark.parametrize("method, parameters", [("pca", {}), ("umap", {"n_neighbors": 10}),
                                                ("tsne", {"perplexity": 10.0, "n_iter": 250})])
def test_layouts_have_one_point_per_image_and_repeat_exactly(real_mnist, method, parameters):
    features = embedding.pixel_features(real_mnist.x_test[:400])
    first = embedding.embed(features, method, parameters, seed=3)
    assert first.shape == (400, 2) and np.isfinite(first).all()
    np.testing.assert_array_equal(embedding.embed(features, method, parameters, seed=3), first)


def test_parameters_are_checked():
    assert embedding.check_parameters("umap", {}) == {"n_neighbors": 15, "min_dist": 0.1}
    with pytest.raises(ValueError, match="n_neighbors must be between 2 and 200"):
        embedding.check_parameters("umap", {"n_neighbors": 1})
    with pytest.raises(ValueError, match="has no parameter colour"):
        embedding.check_parameters("tsne", {"colour": 1})
    with pytest.raises(ValueError, match="unknown method"):
        embedding.embed(np.zeros((5, 3)), "magic", {}, 0)


def test_the_training_sample_is_seeded():
    first = embedding.chosen_images(60_000, "train", 1000, seed=1)
    assert len(set(first)) == 1000
    assert np.array_equal(first, embedding.chosen_images(60_000, "train", 1000, 1))
    assert not np.array_equal(first, embedding.chosen_images(60_000, "train", 1000, 2))
    assert len(embedding.chosen_images(10_000, "test", 0, 0)) == 10_000
    with pytest.raises(ValueError, match="20,000"):
        embedding.chosen_images(60_000, "train", 30_000, 0)


def test_neighbours_equal_a_brute_force_search(real_mnist):
    features = embedding.pixel_features(real_mnist.x_test[:300])
    for index in (0, 17, 299):
        distances = [float(np.sum((features[i] - features[index]) ** 2)) for i in range(300)]
        brute = sorted((d, i) for i, d in enumerate(distances) if i != index)[:8]
        assert embedding.nearest_neighbours(features, index).tolist() == [i for _, i in brute]


def test_layouts_are_cached_under_everything_that_determines_them(tmp_path):
    key = embedding.layout_key(split="test", space="pixels", method="pca", parameters={}, seed=0)
    assert key != embedding.layout_key(split="test", space="pixels", method="pca", parameters={}, seed=1)
    calls = []
    compute = lambda: calls.append(1) or np.ones((3, 2), np.float32)  # noqa: E731
    first = embedding.cached_layout(key, compute, tmp_path)
    again = embedding.cached_layout(key, compute, tmp_path)
    assert calls == [1] and np.array_equal(first, again)


def test_layer_activations_equal_the_keras_sub_model(real_mnist, tmp_path):
    import keras

    config = tiny_config(epochs=1, train_images=1000)
    config.dense = [DenseLayer(24), DenseLayer(12)]
    model = runs.load_model(training.train(TrainingJob(config), real_mnist, tmp_path))
    names = embedding.layer_names(model)
    assert len(names) == 2  # the two hidden layers, the last one first (12 units: see below)
    features = embedding.layer_features(model, names[0], real_mnist.x_test[:50])
    expected = keras.Model(model.input, model.get_layer(names[0]).output).predict(real_mnist.x_test[:50],
                                                                                 verbose=0)
    np.testing.assert_allclose(features, expected, atol=1e-5)
    assert features.shape == (50, 12)


def test_a_planted_label_error_tops_the_audit(real_mnist, tmp_path):
    config = tiny_config(epochs=3, train_images=10_000)
    config.dense = [DenseLayer(64)]
    model = runs.load_model(training.train(TrainingJob(config), real_mnist, tmp_path))
    images, labels = real_mnist.x_test[:1000], real_mnist.y_test[:1000].astype(int).copy()
    probabilities = predict_probabilities(model, images)
    confident = int(np.argmax(probabilities[np.arange(1000), labels] * (probabilities.argmax(1) == labels)))
    labels[confident] = (labels[confident] + 5) % 10  # a wrong label, on an image read right surely
    table = audit.rank_label_issues(labels, probabilities)
    assert confident in table["index"][:5].tolist()
    top = table.iloc[table.index[table["index"] == confident][0]]
    assert top["given"] == labels[confident] and top["suggested"] == real_mnist.y_test[confident]
    assert bool(top["flagged"])
    assert (np.diff(table["quality"]) >= 0).all()


def test_cross_validation_scores_each_image_with_the_run_that_never_trained_on_it(real_mnist, tmp_path):
    base = tiny_config(epochs=1, train_images=600)
    fold_runs = [training.train(TrainingJob(config), real_mnist, tmp_path)
                 for config in audit.cross_validation_configs(base, folds=3)]
    validation = []
    for run in fold_runs:
        config = TrainingConfig.from_dict(run.record["config"])
        images, _ = evaluation.split_for_run(real_mnist, config, "validation")
        validation.append(predict_probabilities(runs.load_model(run), images))
    indices, probabilities = audit.cross_validated_probabilities(fold_runs, validation)
    assert indices.tolist() == list(range(600)) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    for run, fold_probabilities in zip(fold_runs, validation):
        hyper = TrainingConfig.from_dict(run.record["config"]).hyper
        trained_on, held_out = preprocessing.split_indices(600, 0.1, hyper.seed, 3, hyper.fold)
        np.testing.assert_allclose(probabilities[held_out], fold_probabilities)
        # the run's own training images got probabilities from the other runs, never from it
        own = predict_probabilities(runs.load_model(run), real_mnist.x_train[trained_on])
        assert not np.allclose(probabilities[trained_on], own, atol=1e-3)
    with pytest.raises(ValueError, match="not the complete folds"):
        audit.cross_validated_probabilities(fold_runs[:2], validation[:2])
