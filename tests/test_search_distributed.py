"""Optuna's distributed mode on a real PostgreSQL: worker processes (`python -m core.search worker`)
join one study, each with its own runs folder like separate machines; a worker killed mid-trial
loses nothing.

The test starts a throwaway PostgreSQL cluster (Debian's `postgresql` package, which `make test`
installs) in a temporary folder, listening on a unix socket only, and removes it afterwards.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` user the package creates.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from core import runs, search

ROOT = Path(__file__).resolve().parents[1]
PORT = 5499
TINY = search.SearchSpace(max_layers=2, max_width=32, epochs=1, train_images=600, batch_sizes=[64],
                          reductions=["pool2"], seed=11)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url():
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not binaries:
        pytest.skip("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
    bin_dir = binaries[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="mnist-explorer-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    options = f"-k {folder} -c listen_addresses='' -p {PORT} -c fsync=off"
    subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                                 str(folder / "log"), "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={folder}&port={PORT}"
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _worker(study: str, storage: str, runs_folder: Path, trials: int) -> subprocess.Popen:
    environment = os.environ | {runs.RUNS_ENV: str(runs_folder), "MNIST_EXPLORER_SEARCH_HEARTBEAT": "1",
                                "MNIST_EXPLORER_SEARCH_GRACE": "3", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "core.search", "worker", "--study", study, "--storage", storage,
               "--trials", str(trials)]
    return subprocess.Popen(command, cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _states(study) -> dict[str, list]:
    found = {}
    for trial in study.get_trials():
        found.setdefault(trial.state.name, []).append(trial)
    return found


def test_two_workers_share_one_study_and_every_trial_completes_once(postgres_url, tmp_path):
    longer = search.SearchSpace(**(TINY.to_dict() | {"train_images": 4000}))
    search.create_study("shared", longer, postgres_url)
    folders = [tmp_path / "machine-a", tmp_path / "machine-b"]
    # trials of a few seconds each: both workers are up before the budget is spent
    workers = [_worker("shared", postgres_url, folder, trials=8) for folder in folders]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    study = search.load_study("shared", postgres_url)
    complete = _states(study)["COMPLETE"]
    assert 8 <= len(complete) <= 9  # two workers may both start the last trial at the same moment
    assert set(_states(study)) == {"COMPLETE"}
    by_folder = {}
    for trial in complete:  # each result is one run, in the folder of the worker that trained it
        folder = Path(trial.user_attrs["runs_folder"])
        run = runs.get_run(trial.user_attrs["run_id"], folder)
        assert run.usable and run.record["tag"] == f"search:shared:{trial.number}"
        by_folder.setdefault(folder, []).append(run.id)
    assert set(by_folder) == set(folders)  # both workers contributed
    saved = [run.id for folder in folders for run in runs.list_runs(folder)]
    assert sorted(saved) == sorted(run_id for ids in by_folder.values() for run_id in ids)  # no run twice
    points = {t.number: (t.values[0], t.values[1]) for t in complete}
    brute_force = {n for n, (a, s) in points.items()
                   if not any(a2 >= a and s2 <= s and (a2, s2) != (a, s) for a2, s2 in points.values())}
    assert {t.number for t in search.pareto_front(study)} == brute_force


def test_a_worker_killed_mid_trial_loses_nothing_and_counts_nothing(postgres_url, tmp_path):
    space = search.SearchSpace(**(TINY.to_dict() | {"epochs": 30, "train_images": 3000, "seed": 5}))
    search.create_study("killed", space, postgres_url)
    study = search.load_study("killed", postgres_url)
    doomed = _worker("killed", postgres_url, tmp_path / "a", trials=3)
    deadline = time.time() + 120
    while not _states(study).get("RUNNING") and time.time() < deadline:
        time.sleep(0.5)
    (killed,) = _states(study)["RUNNING"]
    time.sleep(3)  # well into its 30 epochs
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    # read again: seen the moment it started running, the trial may not have had its parameters yet
    killed = study.get_trials(deepcopy=False)[killed.number]
    survivor = _worker("killed", postgres_url, tmp_path / "b", trials=3)
    output = survivor.communicate(timeout=600)[0]
    assert survivor.returncode == 0, output
    states = _states(study)
    assert [t.number for t in states["FAIL"]] == [killed.number]  # failed by the heartbeat, not lost
    retries = [t for t in states["COMPLETE"] if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1 and retries[0].params == killed.params  # retried once, by the survivor
    assert len(states["COMPLETE"]) == 3  # the killed trial is not counted: exactly the budget
    assert not list((tmp_path / "a").glob("2*"))  # the dead worker left no run behind
    assert len(runs.list_runs(tmp_path / "b")) == 3
