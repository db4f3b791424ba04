"""The fifteen MNIST-C corruptions against the reference's definitions, on real digits; MNIST-C kept
on disk (made once, checked, made again when damaged); the Robustness page's MNIST-C under AppTest."""

import json
import time

import numpy as np
import pytest
from scipy import ndimage

from core import corruptions, mnist_c, runs, training
from core.jobs import TrainingJob
from tests.conftest import tiny_config

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def digits(real_mnist):
    return real_mnist.x_test[:40], real_mnist.y_test[:40]


@pytest.mark.parametrize("name", list(corruptions.CORRUPTIONS))
def test_each_corruption_repeats_with_its_seed_and_keeps_the_digit_shape(digits, name):
    images, _ = digits
    first = corruptions.corrupt(images, name, seed=5)
    assert first.dtype == np.uint8 and first.shape == images.shape
    np.testing.assert_array_equal(first, corruptions.corrupt(images, name, seed=5))
    assert not np.array_equal(first, images)  # every corruption changes the digits
    random = name not in ("scale", "stripe", "canny edges", "brightness")
    assert random == (not np.array_equal(first, corruptions.corrupt(images, name, seed=6)))


def _centre_of_ink(image):
    return np.array(ndimage.center_of_mass(image.astype(float)))


def test_translate_moves_each_digit_three_pixels_along_each_axis(digits):
    images, _ = digits
    moved = corruptions.corrupt(images, "translate", seed=0)
    for before, after in zip(images, moved):
        if before[:4].any() or before[-4:].any() or before[:, :4].any() or before[:, -4:].any():
            continue  # ink near a border: part of it moved out
        np.testing.assert_allclose(np.abs(_centre_of_ink(after) - _centre_of_ink(before)), [3, 3], atol=0.05)


def test_rotate_turns_by_0_4_radians_either_way_and_scale_shrinks_to_70_percent(digits):
    images, _ = digits
    turned = corruptions.corrupt(images, "rotate", seed=0)
    degrees = np.degrees(0.4)
    for before, after in zip(images[:10], turned[:10]):
        candidates = [ndimage.rotate(before.astype(float), angle, reshape=False, order=1)
                      for angle in (degrees, -degrees, 0)]
        errors = [np.abs(candidate - after).mean() for candidate in candidates]
        assert min(errors[:2]) < 0.25 * errors[2]  # one of the two turns, far closer than none
    shrunk = corruptions.corrupt(images, "scale", seed=0).astype(float)
    ratio = shrunk.sum(axis=(1, 2)) / images.astype(float).sum(axis=(1, 2))
    np.testing.assert_allclose(ratio, 0.7 ** 2, rtol=0.08)  # the ink's area, scaled twice by 0.7


def test_shear_is_the_references_matrix_kept_about_the_centre(digits):
    images, _ = digits
    sheared = corruptions.corrupt(images, "shear", seed=0).astype(float)
    for before, after in zip(images[:10], sheared[:10]):
        # the reference's old scikit-image: output (x, y) reads input (x - sin(0.4) y + t, cos(0.4) y + t)
        candidates = []
        for direction in (1, -1):
            angle = 0.4 * direction
            matrix = np.array([[1, -np.sin(angle)], [0, np.cos(angle)]])
            offset = 13.5 * (1 - matrix.sum(axis=1))
            # ndimage works in (row, column) = (y, x): the same map with its axes swapped
            candidates.append(ndimage.affine_transform(before / 255.0, matrix[::-1, ::-1],
                                                       offset=offset[::-1], order=1) * 255)
        assert min(np.abs(candidate - after).mean() for candidate in candidates) < 2.0


def test_brightness_is_the_references_hsv_round_trip(digits):
    from skimage import color

    images, _ = digits
    bright = corruptions.corrupt(images, "brightness", seed=0)
    hsv = color.rgb2hsv(color.gray2rgb(images[:5] / 255.0))
    hsv[..., 2] = np.clip(hsv[..., 2] + 0.5, 0, 1)
    reference = np.round(np.clip(color.rgb2gray(color.hsv2rgb(hsv)), 0, 1) * 255)
    np.testing.assert_allclose(bright[:5], reference, atol=1)
    expected_mean = np.clip(images / 255 + 0.5, 0, 1).mean() * 255
    assert bright.min() == 128 and bright.mean() == pytest.approx(expected_mean, abs=0.5)


def test_noise_and_edges_have_the_references_values(digits):
    from skimage import feature

    images, _ = digits
    shot = corruptions.corrupt(images, "shot noise", seed=0)
    assert set(np.unique(shot)) <= {0, 85, 170, 255}  # Poisson counts of 3 levels, over 3
    impulse = corruptions.corrupt(images, "impulse noise", seed=0)
    salted = ((impulse == 255) & (images == 0)).sum() / (images == 0).sum()
    assert salted == pytest.approx(0.17 / 2, abs=0.01)  # half of the 17% are salt, half pepper
    assert set(np.unique(impulse[impulse != images])) <= {0, 255}
    edges = corruptions.corrupt(images, "canny edges", seed=0)
    assert set(np.unique(edges)) == {0, 255}
    assert [int((e > 0).sum()) for e in edges] == [int(feature.canny(i / 255.0).sum()) for i in images]
    striped = corruptions.corrupt(images, "stripe", seed=0)
    np.testing.assert_array_equal(striped[:, :, :7], 255 - images[:, :, :7])
    np.testing.assert_array_equal(striped[:, :, 7:21], images[:, :, 7:21])


def test_lines_are_drawn_over_the_digit_and_the_dotted_one_has_gaps(digits):
    images, _ = digits
    dotted = corruptions.corrupt(images, "dotted line", seed=0).astype(int)
    added = dotted - images
    assert (added >= 0).all() and (added > 0).any(axis=(1, 2)).all()
    assert not added[:, :, 0:2].any() and not added[:, :, 4:6].any()  # every other 2-pixel stretch
    zigzag = corruptions.corrupt(images, "zigzag", seed=0).astype(int) - images
    assert (zigzag >= 0).all() and (zigzag > 0).any(axis=(1, 2)).all()


def test_fog_spatter_glass_and_motion_blur_keep_the_digit_readable_in_place(digits):
    images, _ = digits
    for name in ("fog", "spatter", "glass blur", "motion blur"):
        changed = corruptions.corrupt(images, name, seed=0).astype(float)
        correlation = np.mean([np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(changed, images)])
        assert 0.3 < correlation < 0.999, (name, correlation)


def test_mnist_c_is_made_once_checked_and_made_again_when_damaged(digits, tmp_path):
    images, _ = digits
    folder = tmp_path / "mnist-c"
    made = mnist_c.make(folder, images)
    assert made.complete and not made.making and set(made.seconds) == set(corruptions.CORRUPTIONS)
    fog = np.array(mnist_c.load(folder, "fog"))  # a copy: the file is damaged below, in place
    seed = corruptions.seed_of("fog", mnist_c.SEED)
    np.testing.assert_array_equal(fog, corruptions.corrupt(images, "fog", seed))
    path = folder / "fog.npy"
    damaged = bytearray(path.read_bytes())
    damaged[-5] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert mnist_c.load(folder, "fog") is None and not path.exists()  # deleted, said
    state = mnist_c.state(folder)
    assert "fog" not in state.ready and state.damaged == ["fog"]
    again = mnist_c.make(folder, images)
    assert again.complete and again.damaged == []
    np.testing.assert_array_equal(mnist_c.load(folder, "fog"), fog)  # the same images: seeded


def test_the_making_process_runs_once_and_says_how_far_it_is(tmp_path):
    folder = tmp_path / "made-by-a-process"
    assert mnist_c.start(folder, first=300)
    assert not mnist_c.start(folder, first=300)  # a second asker: the one making it goes on
    seen = []
    deadline = time.time() + 120
    while not (state := mnist_c.state(folder)).complete:
        assert time.time() < deadline and (state.making or state.complete), state
        seen.append(len(state.ready))
        time.sleep(0.2)
    assert seen == sorted(seen) and not mnist_c.state(folder).making
    assert mnist_c.load(folder, "zigzag").shape == (300, 28, 28)
    assert json.loads((folder / mnist_c.PROGRESS).read_text())["current"] == ""


def test_the_robustness_page_shows_mnist_c_per_run_and_their_mistakes(runs_folder, real_mnist):
    from harness.apptest import open_page

    mnist_c.make(mnist_c.folder_for(real_mnist.x_test), real_mnist.x_test)  # once per machine: a minute
    for name, seed in (("first", 0), ("second", 1)):
        training.train(TrainingJob(tiny_config(epochs=1, train_images=2000, seed=seed), name), real_mnist,
                       runs_folder)
    app = open_page("robustness")
    app.select_slider(key="robust-sample").set_value(500).run()
    assert not app.exception, [e.value for e in app.exception]
    chosen = app.multiselect(key="robust-runs").value
    bars = next(json.loads(chart.proto.spec) for chart in app.get("plotly_chart")
                if any(trace.get("type") == "bar" for trace in json.loads(chart.proto.spec)["data"]))
    assert [trace["name"] for trace in bars["data"]] == [f"{run.name} ({run.id[-6:]})" for run in chosen]
    first = bars["data"][0]
    assert first["x"] == ["clean", *corruptions.CORRUPTIONS]
    model = runs.load_model(chosen[0])
    for column in (0, 3, 10):  # clean, motion blur, fog: against an independent evaluation
        images = real_mnist.x_test if column == 0 else mnist_c.load(
            mnist_c.folder_for(real_mnist.x_test), first["x"][column])
        expected = (training.test_answers(model, np.asarray(images)) == real_mnist.y_test).mean()
        assert first["y"][column] == pytest.approx(expected)
    errors = [1 - accuracy for accuracy in first["y"][1:]]
    assert any(f"{np.mean(errors):.1%}" == metric.value for metric in app.metric)
    assert any("mean corruption error" in metric.label for metric in app.metric)
