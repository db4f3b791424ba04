"""Trainings on RQ workers over a real Redis: what only a queue of processes can show. Two owners
train in parallel on two workers; a worker killed mid-training is said to be lost and the next job
goes to the other; a restarted dashboard process (seen in Chromium) finds its training running; each
side saves the runs it queued; a restarted Redis keeps what was queued; a Redis that goes away is
said, and the dashboard recovers when it is back."""

import re
import time

import pytest

from core import runs
from core.jobs import Progress
from core.status import Status
from core.trainings import Limits, TrainingsUnreachable
from core.trainings.on_redis import FIRST_GROUP_SECONDS, FORCE_STOP_SECONDS, RedisTrainings, stop_patience
from harness.apptest import owner_of
from harness.browser import (
    EPOCH_POINTS,
    chromium_page,
    enter,
    open_from_navigation,
    press_slider,
    streamlit_server,
    wait_until_idle,
)
from harness.services import TrainingWorker, redis_server
from tests.conftest import button, open_page, tiny_config

pytestmark = pytest.mark.real_data
LONG = dict(epochs=200, train_images=20_000)


@pytest.fixture
def redis():
    with redis_server() as server:
        yield server


@pytest.fixture
def two_workers(redis, tmp_path):
    workers = [TrainingWorker(redis.url, f"w{n}-{tmp_path.name[-8:]}", tmp_path / f"worker-{n}")
               for n in (1, 2)]
    yield workers
    for worker in workers:
        worker.stop()


def wait_for(condition, timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_stop_is_forced_only_after_the_training_had_time_to_answer_it():
    def training(**done) -> Progress:  # 100 batches an epoch, reported (and stoppable) 10 at a time
        return Progress(status=Status.RUNNING, epochs=10, batches=100, batches_per_report=10, **done)

    now = time.time()
    assert stop_patience(training(training_started=now)) == FIRST_GROUP_SECONDS  # Keras builds its graph
    slow = training(training_started=now - 40, last_report=now, batch=50)  # 5 groups in 40 s
    assert stop_patience(slow) == pytest.approx(3 * 8)  # three of its groups: a big network on one core
    fast = training(training_started=now - 2, last_report=now, epoch=1)  # 10 groups in 2 s
    assert stop_patience(fast) == FORCE_STOP_SECONDS


def test_a_training_stuck_outside_its_batches_is_stopped_by_force(redis, tmp_path):
    worker = TrainingWorker(redis.url, f"w-{tmp_path.name[-8:]}", tmp_path / "worker")
    try:
        trainings = RedisTrainings(redis.url, Limits(), tmp_path / "runs")
        stuck = trainings.submit(tiny_config(**LONG), "stuck", owner="session-a")
        wait_for(lambda: stuck.progress().epoch >= 1, what="an epoch: its pace is known")
        worker.freeze_training()
        assert trainings.stop(stuck, "session-a") == Status.STOPPING
        assert stuck.done.wait(60), stuck.progress()
        progress = stuck.progress()  # stopped by force, before its silence made it "lost"
        assert progress.status == Status.STOPPED
        assert progress.message.startswith("stopped by force after epoch")
        (kept,) = runs.list_runs(tmp_path / "runs")  # with every full epoch it had sent
        assert kept.id == progress.run_id and kept.status == Status.STOPPED
        assert kept.record["epochs_run"] >= 1 and len(runs.epoch_weights(kept)) == kept.record["epochs_run"]
        after = trainings.submit(tiny_config(epochs=1, train_images=2000), "after", owner="session-a")
        assert after.done.wait(120) and after.progress().status == Status.FINISHED  # the worker lives on
    finally:
        worker.stop()


def test_two_owners_train_in_parallel_and_a_lost_worker_is_said(redis, two_workers, tmp_path):
    trainings = RedisTrainings(redis.url, Limits(), tmp_path / "runs")
    alice = trainings.submit(tiny_config(**LONG), "alice's", owner="session-a")
    bob = trainings.submit(tiny_config(**LONG, seed=1), "bob's", owner="session-b")
    wait_for(lambda: alice.stage() == bob.stage() == "training", what="both training at once")
    assert trainings.max_running == 2 and len(trainings.running()) == 2
    by_worker = {job.summary()["worker"]: job for job in (alice, bob)}
    assert set(by_worker) == {worker.name for worker in two_workers}

    doomed = next(worker for worker in two_workers if worker.name in by_worker)
    lost = by_worker[doomed.name]
    wait_for(lambda: lost.progress().epoch >= 2, what="two full epochs")
    doomed.kill()  # the worker and its training, SIGKILL: as a machine switched off
    assert lost.done.wait(60), lost.progress()
    progress = lost.progress()  # its full epochs kept
    assert progress.status == Status.STOPPED, progress
    assert progress.message.startswith("worker lost after epoch")
    kept = runs.read_run(tmp_path / "runs" / progress.run_id)
    assert kept.record["epochs_run"] >= 2 and kept.record["test_accuracy"] > 0.5
    assert "loss of its worker" in kept.record["message"]
    survivor = next(job for job in (alice, bob) if job is not lost)
    assert survivor.status == Status.RUNNING  # nothing else is lost
    trainings.stop(survivor, survivor.owner)
    assert survivor.done.wait(120)
    after = trainings.submit(tiny_config(epochs=1, train_images=2000), "after", owner=lost.owner)
    assert after.done.wait(120) and after.progress().status == Status.FINISHED  # on the other worker
    assert after.summary()["worker"] != doomed.name


@pytest.mark.browser
def test_a_restarted_dashboard_finds_its_training_running(redis, tmp_path):
    """The dashboard's process ends mid-training and a new one starts: the training went on, and a
    reload shows it live, still its owner's, who stops it; the new dashboard
    saves its run."""
    worker = TrainingWorker(redis.url, f"w-{tmp_path.name[-8:]}", tmp_path / "worker")
    dashboard = {"MNIST_EXPLORER_REDIS_URL": redis.url, "MNIST_EXPLORER_RUNS": str(tmp_path / "runs")}
    try:
        with chromium_page() as page:
            with streamlit_server(env=dashboard) as url:
                page.goto(url)
                wait_until_idle(page)
                open_from_navigation(page, "Train")
                press_slider(page, "Epochs", "End")  # 200 epochs of 20,000 images: it outlives the server
                enter(page, "Training images (the first N)", 20000)
                enter(page, "Run name (optional)", "outliving", role="textbox")
                page.get_by_role("button", name="Train", exact=True).click()
                page.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=120_000)
            with streamlit_server(env=dashboard) as url:  # another process, on another port
                page.goto(url)  # the same browser: its cookie says who it is
                wait_until_idle(page)
                open_from_navigation(page, "Train")
                page.get_by_text(re.compile(r"Run outliving \(#\d+\): running")).wait_for(timeout=30_000)
                page.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=60_000)  # its chart drawn
                seen = page.evaluate(EPOCH_POINTS)
                page.wait_for_function(f"({EPOCH_POINTS})() > {seen}", timeout=60_000)  # live
                page.get_by_role("button", name="Stop", exact=True).click()  # still its owner's
                page.get_by_text(re.compile(r"Run outliving \(#\d+\): stopped")).wait_for(timeout=30_000)
                page.get_by_text(re.compile("Saved: it is on the Runs page")).wait_for(timeout=60_000)
                (run,) = runs.list_runs(tmp_path / "runs")  # saved by the new dashboard
                assert run.name == "outliving" and run.status == Status.STOPPED
                assert run.record["epochs_run"] > seen >= 1
    finally:
        worker.stop()


def test_each_side_saves_the_runs_it_queued_and_the_dashboard_those_left_to_it(redis, two_workers, tmp_path):
    dashboard = RedisTrainings(redis.url, Limits(), tmp_path / "dashboard", adopt=True)
    terminal = RedisTrainings(redis.url, Limits(), tmp_path / "terminal")  # one Redis, two runs folders
    gone = RedisTrainings(redis.url, Limits(), tmp_path / "gone", collect=False)  # a terminal left
    jobs = [dashboard.submit(tiny_config(epochs=1, train_images=2000), "the dashboard's", owner="session-a"),
            terminal.submit(tiny_config(epochs=1, train_images=2000, seed=1), "the terminal's"),
            gone.submit(tiny_config(epochs=1, train_images=2000, seed=2), "left to train on")]
    gone.release(jobs[2])
    for job in jobs:
        assert job.done.wait(180) and job.progress().status == Status.FINISHED, job.progress()
    assert sorted(run.name for run in runs.list_runs(tmp_path / "dashboard")) == [
        "left to train on", "the dashboard's"]
    assert [run.name for run in runs.list_runs(tmp_path / "terminal")] == ["the terminal's"]
    assert runs.list_runs(tmp_path / "gone") == []


def test_a_restarted_redis_keeps_what_was_queued(redis, tmp_path):
    trainings = RedisTrainings(redis.url, Limits(), tmp_path / "runs")
    queued = [trainings.submit(tiny_config(epochs=1, train_images=2000, seed=n), f"queued {n}",
                               owner=f"session-{n}") for n in range(2)]  # no worker yet: they wait
    redis.stop()
    with pytest.raises(TrainingsUnreachable):
        trainings.jobs()
    assert "cannot be reached" in trainings.problem()
    redis.start()  # the same port and files: its append-only file brings the queue back
    assert trainings.problem() == ""  # and the dashboard recovers by itself
    assert [job.name for job in trainings.jobs()] == ["queued 0", "queued 1"]
    assert all(job.status == Status.QUEUED for job in trainings.jobs())
    worker = TrainingWorker(redis.url, "late", tmp_path / "worker")
    try:
        for job in queued:
            assert job.done.wait(180) and job.progress().status == Status.FINISHED
    finally:
        worker.stop()


def test_a_training_cancelled_as_a_worker_took_it_trains_nothing(redis, tmp_path):
    """RQ's cancel does not take back a job that a worker has just taken off the queue: the worker
    runs it all the same (the contract tests once saw a cancelled 199-epoch training run to its end
    and hold a worker for 100 s). The stop asked with the cancel stops it before it trains."""
    trainings = RedisTrainings(redis.url, Limits(), tmp_path / "runs")
    job = trainings.submit(tiny_config(**LONG), "cancelled", owner="session-a")  # no worker yet: it waits
    assert trainings.stop(job, "session-a") == Status.CANCELLED
    trainings.connection.rpush(trainings.queue.key, job.rq_job.id)  # a worker had taken it already
    worker = TrainingWorker(redis.url, f"w-{tmp_path.name[-8:]}", tmp_path / "worker")
    try:
        wait_for(lambda: job.refresh().rq_job.meta.get("outcome"), 180, "the taken job's end")
        progress = job.progress()
        assert progress.status == Status.STOPPED and progress.epoch == 0 and progress.run_id is None
        assert progress.message == "stopped before the first epoch ended: nothing was saved"
        assert runs.list_runs(tmp_path / "runs") == []
    finally:
        worker.stop()


def test_the_train_page_queues_on_redis_and_says_when_it_is_unreachable(redis, runs_folder, monkeypatch):
    from core.trainings.on_redis import RemoteJob
    from dashboard import server

    monkeypatch.setenv("MNIST_EXPLORER_REDIS_URL", redis.url)
    server.trainings.clear()  # the server's trainings, as a dashboard started with that URL has them
    try:
        app = open_page("train")
        app.number_input(key="images-given").set_value(2000).run()
        button(app, "Train").click().run()
        (job,) = server.trainings().jobs()
        assert isinstance(job, RemoteJob) and job.status == Status.QUEUED  # no worker: it waits
        assert any("Waiting in the queue, position 1" in info.value for info in app.info)
        redis.stop()  # the training server goes away
        app.run()
        assert any("cannot be reached" in error.value for error in app.error)
        assert button(app, "Train").disabled and not app.exception  # nothing offered it cannot do
        redis.start()
        app.run()  # and back: the page recovers by itself, the queued training with it
        assert not any("cannot be reached" in error.value for error in app.error)
        assert any("Waiting in the queue, position 1" in info.value for info in app.info)
        assert [job.owner for job in server.trainings().jobs()] == [owner_of(app)]
    finally:
        server.trainings.clear()


def test_the_command_line_queues_on_redis_and_keeps_the_run_here(redis, two_workers, tmp_path):
    import os
    import subprocess
    import sys

    from harness.browser import ROOT

    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "--hidden", "16", "--epochs", "2", "--train-images", "2000",
         "--queue", "--name", "queued from a terminal"], cwd=ROOT, capture_output=True, text=True,
        timeout=300, env={**os.environ, "MNIST_EXPLORER_REDIS_URL": redis.url,
                          "MNIST_EXPLORER_RUNS": str(tmp_path / "terminal-runs")})
    assert done.returncode == 0, done.stderr
    assert "Queued as #1" in done.stdout and "epoch 1/2" in done.stdout and "epoch 2/2" in done.stdout
    (run,) = runs.list_runs(tmp_path / "terminal-runs")  # trained by a worker, saved here
    assert run.name == "queued from a terminal" and run.owner == "terminal" and run.record["epochs_run"] == 2
