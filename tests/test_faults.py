"""Faults: the process is killed (SIGKILL) mid-training and mid-save; what survives must be whole.

After each kill a fresh process must list only complete runs plus, at most, runs clearly marked
incomplete, and every complete run must still load and predict.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from core import runs, training
from core.architecture import predict_probabilities
from core.jobs import TrainingJob
from harness.browser import (
    EPOCH_POINTS,
    dashboard_in_chromium,
    open_from_navigation,
    press_slider,
    wait_for_text,
)
from tests.conftest import open_page, tiny_config

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.real_data


def assert_every_complete_run_loads_and_predicts(folder: Path, images: np.ndarray) -> list:
    listed = runs.list_runs(folder)
    for run in listed:
        assert run.status in ("finished", "stopped", "incomplete"), (run.id, run.status, run.problem)
        if run.usable:
            probabilities = predict_probabilities(runs.load_model(run), images)
            assert probabilities.shape == (len(images), 10)
            assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    return listed


def kill_during(script: str, flag: Path, env: dict) -> None:
    """Run `script` in a new Python process, SIGKILL it as soon as it creates `flag`."""
    log = flag.with_suffix(".log")
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT,
                                   env={**os.environ, **env}, stdout=output, stderr=output)
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert process.poll() is None, f"the script ended early:\n{log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "the script never reached the fault point"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL


def test_killed_in_the_middle_of_saving_a_run(real_mnist, tmp_path):
    good = training.train(TrainingJob(tiny_config(epochs=1), name="before"), real_mnist, tmp_path)
    flag = tmp_path.parent / "saving.flag"
    kill_during(f"""
        import time
        from pathlib import Path
        from core import runs, training
        from core.data import load_mnist
        from core.jobs import TrainingJob
        from tests.conftest import tiny_config

        original = runs._write_json
        def write_then_hang(path, data):
            original(path, data)  # run.json is written, the model too: the rename is next
            Path({str(flag)!r}).touch()
            time.sleep(600)
        runs._write_json = write_then_hang
        training.train(TrainingJob(tiny_config(epochs=1)), load_mnist(), Path({str(tmp_path)!r}))
    """, flag, env={})
    listed = assert_every_complete_run_loads_and_predicts(tmp_path, real_mnist.x_test[:100])
    assert sorted(run.status for run in listed) == ["finished", "incomplete"]
    assert next(run for run in listed if run.usable).id == good.id

    # the dashboard, started afresh, shows it clearly marked and lets the user delete it
    os.environ[runs.RUNS_ENV] = str(tmp_path)
    try:
        app = open_page("runs")
        assert not app.exception
        table = app.dataframe[0].value
        assert sorted(table["status"]) == ["finished", "incomplete"]
        assert "interrupted" in " ".join(table["note"])
    finally:
        del os.environ[runs.RUNS_ENV]
    # nobody's session made it, so the terminal clears it away
    incomplete = next(run for run in runs.list_runs(tmp_path) if not run.usable)
    cli = subprocess.run([sys.executable, "-m", "core.cli", "runs", "delete", incomplete.id], cwd=ROOT,
                         env={**os.environ, runs.RUNS_ENV: str(tmp_path)}, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert [run.status for run in runs.list_runs(tmp_path)] == ["finished"]


@pytest.mark.browser
def test_server_killed_in_the_middle_of_a_training(real_mnist, tmp_path):
    before = training.train(TrainingJob(tiny_config(epochs=1), name="before"), real_mnist, tmp_path)
    with dashboard_in_chromium(tmp_path, height=1800) as page:
        open_from_navigation(page, "Train")
        press_slider(page, "Epochs", "End")  # the most: 200
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text(": running").first.wait_for(timeout=60_000)
        page.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=60_000)  # mid-training
        server = next(p for p in _children() if "streamlit" in " ".join(p.cmdline()))
        server.send_signal(signal.SIGKILL)
        server.wait(30)
    listed = assert_every_complete_run_loads_and_predicts(tmp_path, real_mnist.x_test[:100])
    assert [run.id for run in listed if run.usable] == [before.id]
    # a restarted server serves the Runs page with the surviving run
    with dashboard_in_chromium(tmp_path) as page:
        open_from_navigation(page, "Runs")
        assert "before" in wait_for_text(page, "[data-testid='stDataFrame']", "before")


def _children():
    import psutil

    return psutil.Process().children(recursive=True)
