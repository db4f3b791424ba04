"""The command line: training with Ctrl+C, refusals before any work, and managing runs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core import runs
from core.architecture import build_model
from tests.conftest import tiny_config, valid_record

ROOT = Path(__file__).resolve().parents[1]


def cli(*arguments: str, runs_folder: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *arguments], cwd=ROOT, text=True,
                          capture_output=True, env={**os.environ, runs.RUNS_ENV: str(runs_folder), **env})


def test_runs_list_rename_delete_from_the_terminal(tmp_path):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    from_dashboard = runs.save_run(model, valid_record("a session's", owner="session-0123456789abcdef"),
                                   tmp_path)
    from_terminal = runs.save_run(model, valid_record("terminal's"), tmp_path)
    listed = cli("runs", "list", runs_folder=tmp_path)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert any(from_dashboard.id in line and "a dashboard user" in line for line in lines)
    assert any(from_terminal.id in line and "terminal" in line and "90.00%" in line for line in lines)
    renamed = cli("runs", "rename", from_terminal.id, "renamed here", runs_folder=tmp_path)
    assert renamed.returncode == 0 and runs.get_run(from_terminal.id, tmp_path).name == "renamed here"
    assert cli("runs", "delete", from_dashboard.id, runs_folder=tmp_path).returncode == 0
    assert [run.id for run in runs.list_runs(tmp_path)] == [from_terminal.id]
    missing = cli("runs", "delete", from_dashboard.id, runs_folder=tmp_path)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert cli("runs", "rename", "../etc", "x", runs_folder=tmp_path).returncode == 1


def test_refusals_come_before_any_work(tmp_path):
    empty_hidden = cli("--hidden", runs_folder=tmp_path)
    assert empty_hidden.returncode == 2 and "expected at least one argument" in empty_hidden.stderr
    too_big = cli("--hidden", "4096", "4096", runs_folder=tmp_path)
    assert too_big.returncode == 2 and "parameters: at most 5,000,000" in too_big.stderr
    (tmp_path / "file").write_text("in the way")
    unwritable = cli("--epochs", "1", runs_folder=tmp_path / "file" / "runs")
    assert unwritable.returncode == 1 and "runs cannot be saved" in unwritable.stderr
    assert "Training" not in unwritable.stdout  # said before loading data or training anything


@pytest.mark.real_data
def test_ctrl_c_stops_after_the_current_batch_and_keeps_the_run(tmp_path, real_mnist):
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04 not really")
    folder = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "--hidden", "16", "--epochs", "200", "--train-images", "20000",
         "--name", "interrupted"], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, runs.RUNS_ENV: str(folder), "MNIST_PATH": str(damaged)})
    lines = []
    deadline = time.monotonic() + 120
    while not any(line.startswith("epoch 1/200") for line in lines):
        assert process.poll() is None and time.monotonic() < deadline, lines
        lines.append(process.stdout.readline())
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert f"Not used: MNIST_PATH={damaged}" in err and "not a readable .npz" in err
    assert "Stopping after the current batch" in err
    saved = [json.loads(p.read_text()) for p in folder.glob("*/run.json")]
    assert len(saved) == 1 and saved[0]["status"] == "stopped" and saved[0]["name"] == "interrupted"
    assert saved[0]["owner"] == "terminal" and "Stopped" in out


@pytest.mark.real_data
def test_runs_epochs_replays_from_the_terminal_and_fills_the_cache(tmp_path, real_mnist):
    from core import training
    from core.jobs import TrainingJob

    run = training.train(TrainingJob(tiny_config(epochs=2, train_images=1000), "two"), real_mnist, tmp_path)
    replayed = cli("runs", "epochs", run.id, runs_folder=tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    test_line = next(line for line in replayed.stdout.splitlines() if line.startswith("test accuracy"))
    assert test_line.count("%") == 2
    last = float(test_line.rsplit("2: ", 1)[1].rstrip("%")) / 100
    # the last epoch is the saved network (read through the float16 cache: an image or two whose two
    # likeliest digits are all but tied may tip either way)
    assert last == pytest.approx(run.record["test_accuracy"], abs=3e-4)
    assert (run.folder / runs.PREDICTIONS_DIR / "test.npy").is_file()


def test_schedules_smoothing_and_betas_from_flags():
    from core import cli

    config = cli.config_from(cli.parse(["--preset", "given", "--lr-decay", "0.5"]))
    assert (config.hyper.schedule, config.hyper.lr_decay) == ("step", 0.5) and not config.problems()
    config = cli.config_from(cli.parse([
        "--preset", "mlp", "--schedule", "one-cycle", "--warmup", "0.3", "--label-smoothing", "0.05",
        "--optimizer", "nadam", "--beta-1", "0.8", "--beta-2", "0.99"]))
    hyper = config.hyper
    assert (hyper.schedule, hyper.warmup, hyper.label_smoothing) == ("one-cycle", 0.3, 0.05)
    assert (hyper.optimizer, hyper.beta_1, hyper.beta_2) == ("nadam", 0.8, 0.99) and not config.problems()
    config = cli.config_from(cli.parse(["--preset", "given", "--reduction", "crop20"]))
    assert (config.preset, config.reduction, config.parameter_count()) == ("custom", "crop20", 52_618)
    config = cli.config_from(cli.parse(["--preset", "given", "--beta-1", "0.8"]))  # given is SGD
    assert "betas apply to Adam and Nadam only" in config.problems()[0]


@pytest.mark.real_data
def test_a_run_trained_from_the_terminal_keeps_every_epoch_and_replays_like_one_from_the_page(
        tmp_path, real_mnist):
    from core import inspection
    from core.architecture import TrainingConfig
    from core.trainings.local import LocalTrainings

    trained = cli("--hidden", "16", "--epochs", "3", "--train-images", "2000", "--learning-rate", "0.003",
                  "--optimizer", "adam", "--batch-size", "64", "--name", "terminal", runs_folder=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert [line.split(":")[0] for line in trained.stdout.splitlines() if line.startswith("epoch ")] == [
        "epoch 1/3", "epoch 2/3", "epoch 3/3"]  # printed by its listener, epoch by epoch
    terminal = runs.list_runs(tmp_path)[0]
    assert len(runs.epoch_weights(terminal)) == 3  # a wrapped private method once dropped them all
    config = TrainingConfig.from_dict(terminal.record["config"])
    page = LocalTrainings(real_mnist, tmp_path / "page").submit(  # the dashboard's way
        config, "from the page", owner="session-0123456789abcdef")
    assert page.done.wait(120) and page.status == "finished"
    from_page = runs.get_run(page.progress().run_id, tmp_path / "page")
    images = real_mnist.x_test[:1000]
    np.testing.assert_allclose(inspection.epoch_probabilities(terminal, "test", images),
                               inspection.epoch_probabilities(from_page, "test", images), atol=2e-3)

