"""The code to take away: each preset's exported program, run on its own (no import of this project)
on a slice of real MNIST from an .npz, builds the app's network (same parameter count) and reaches
the app's accuracy on the same slice and seed; a run's name cannot become code; a notebook runs."""

import ast
import subprocess
import sys

import numpy as np
import pytest

from core import architecture, export, training
from core.data import Mnist
from core.jobs import TrainingJob

pytestmark = pytest.mark.real_data

TRAIN, TEST = 2000, 2000


@pytest.fixture(scope="module")
def slice_npz(real_mnist, tmp_path_factory):
    """The first 2,000 training and test images, as an .npz of the shape keras.datasets gives."""
    path = tmp_path_factory.mktemp("export") / "mnist-slice.npz"
    np.savez(path, x_train=real_mnist.x_train[:TRAIN], y_train=real_mnist.y_train[:TRAIN],
             x_test=real_mnist.x_test[:TEST], y_test=real_mnist.y_test[:TEST])
    return path


def small(name: str) -> architecture.TrainingConfig:
    config = architecture.preset(name)
    config.hyper.epochs, config.hyper.train_images = 1, TRAIN
    return config


@pytest.mark.parametrize("preset", list(architecture.PRESETS))
def test_each_presets_program_trains_the_apps_network_to_the_apps_accuracy(preset, slice_npz, tmp_path,
                                                                          real_mnist):
    _trains_like_the_app(small(preset), slice_npz, tmp_path, real_mnist)


def test_the_program_changes_images_splits_and_shares_blocks_as_the_app_does(slice_npz, tmp_path, real_mnist):
    config = small("given")
    config.conv = [architecture.ConvLayer(4, batch_norm=True, plain_norm=True, max_pool=True),
                   architecture.ConvLayer(4, batch_norm=True, repeat=2)]  # a block shared across depth
    config.hyper.rotation, config.hyper.scale, config.hyper.noise, config.hyper.shift = 15.0, 0.1, 24.0, 0.1
    config.hyper.split_seed = 9
    _trains_like_the_app(config, slice_npz, tmp_path, real_mnist)


def _trains_like_the_app(config, slice_npz, tmp_path, real_mnist):
    preset = config.preset
    program = tmp_path / "program.py"
    program.write_text(export.script(config, name=f"{preset} on a slice"))
    result = subprocess.run([sys.executable, str(program), str(slice_npz)], capture_output=True, text=True,
                            timeout=600, cwd=tmp_path)  # from elsewhere: nothing of the project on its path
    assert result.returncode == 0, result.stderr[-3000:]
    total = next(line for line in result.stdout.splitlines() if "Total params" in line)
    assert f"{config.parameter_count():,}" in total, (total, config.parameter_count())
    exported = float(result.stdout.strip().splitlines()[-1].rsplit(" ", 1)[1])

    data = Mnist(real_mnist.x_train[:TRAIN], real_mnist.y_train[:TRAIN], real_mnist.x_test[:TEST],
                 real_mnist.y_test[:TEST])
    run = training.train(TrainingJob(config, "app"), data, tmp_path / "runs")
    assert abs(exported - run.record["test_accuracy"]) <= 0.01, (exported, run.record["test_accuracy"])


def test_a_name_is_text_in_the_program_never_code():
    name = 'x"""\nimport os; os.system("echo pwned")  # \\\' """ \r\n\'\'\''
    text = export.script(small("given"), name=name, run_id='20261205-"evil')
    tree = ast.parse(text)  # still one valid program
    assigned = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "NAME")
    assert assigned == name  # the name, exactly, as a string
    assert not any(isinstance(node, ast.Import) and node.names[0].name == "os" for node in ast.walk(tree))
    assert "project" not in text and "core" not in {alias.name.split(".")[0] for node in ast.walk(tree)
                                                   if isinstance(node, (ast.Import, ast.ImportFrom))
                                                   for alias in node.names}


def test_the_notebook_runs_top_to_bottom(slice_npz, tmp_path):
    import nbclient
    import nbformat

    book = nbformat.reads(export.notebook(small("given"), name="notebook"), as_version=4)
    for cell in book.cells:  # the reader's one change: where the data is
        cell.source = cell.source.replace("MNIST_NPZ = None", f"MNIST_NPZ = {str(slice_npz)!r}")
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(output.get("text", "") for cell in book.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "notebook: test accuracy 0." in printed
    assert [cell.cell_type for cell in book.cells[:2]] == ["markdown", "code"]


def test_the_runs_and_train_pages_offer_the_code(runs_folder, real_mnist):
    from harness.apptest import open_page

    data = Mnist(real_mnist.x_train[:TRAIN], real_mnist.y_train[:TRAIN], real_mnist.x_test[:TEST],
                 real_mnist.y_test[:TEST])
    training.train(TrainingJob(small("given"), 'a "quoted"\nname'), data, runs_folder)
    for page in ("runs", "train"):
        labels = [button.proto.label for button in open_page(page).get("download_button")]
        assert {"Download as a Python script", "Download as a notebook"} <= set(labels), (page, labels)
