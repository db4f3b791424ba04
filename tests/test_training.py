import json
import threading
import time

import numpy as np
import pytest

from core import architecture, runs, training
from core.architecture import DenseLayer, predict_probabilities
from core.jobs import NotYours, Refused, TrainingJob
from core.trainings.local import LocalTrainings
from tests.conftest import tiny_config

pytestmark = pytest.mark.real_data


def test_real_training_saves_a_run_that_reloads_with_the_same_predictions(real_mnist, tmp_path):
    job = TrainingJob(tiny_config(epochs=3), name="tiny")
    run = training.train(job, real_mnist, tmp_path)
    assert run.status == "finished" and run.name == "tiny"
    record = json.loads((run.folder / runs.RECORD_FILE).read_text())
    assert record["epochs_run"] == 3 and len(record["history"]["val_accuracy"]) == 3
    assert record["test_accuracy"] > 0.8  # 16 hidden units on 1,800 images
    assert record["parameters"] == 784 * 16 + 16 + 16 * 10 + 10
    assert record["dataset"] == real_mnist.source
    assert record["train_size"] == 1800 and record["validation_size"] == 200
    progress = job.progress()
    assert progress.epoch == 3 and progress.batch_points and len(progress.epoch_seconds) == 3

    reloaded = runs.load_model(runs.get_run(run.id, tmp_path))
    probabilities = predict_probabilities(reloaded, real_mnist.x_test[:500])
    accuracy = (probabilities.argmax(axis=1) == real_mnist.y_test[:500]).mean()
    assert accuracy > 0.8
    # the same model, trained again with the same seed, predicts the same
    again = training.train(TrainingJob(tiny_config(epochs=3)), real_mnist, tmp_path)
    np.testing.assert_allclose(
        predict_probabilities(runs.load_model(again), real_mnist.x_test[:500]), probabilities,
        atol=1e-4)


def test_stop_during_training_keeps_what_was_learned(real_mnist, tmp_path):
    job = TrainingJob(tiny_config(epochs=50, train_images=20_000))

    def stop_after_some_batches(job, loss, accuracy):  # as a click on Stop would, mid-epoch
        progress = job.progress()
        if progress.epoch == 1 and progress.batch >= 21:
            job.stop()
    job.on_batches(stop_after_some_batches)
    run = training.train(job, real_mnist, tmp_path)
    assert run.status == "stopped"
    assert run.record["epochs_run"] == 1  # the interrupted epoch is not counted as a full one
    assert len(run.record["history"]["loss"]) == 1 and len(run.record["epoch_seconds"]) == 1
    assert len(run.record["history"]["val_loss"]) == 1  # the cut epoch is not validated either
    assert job.training_ended.is_set() and job.progress().phase == "evaluating and saving"
    group = architecture.steps_per_execution(job.config)  # Stop acts between groups of steps
    assert group > 1  # a tiny network runs many steps per call
    batches = -(-21 // group) * group
    assert run.record["partial_epoch"] == {"epoch": 2, "batches": batches, "of": 282}
    assert run.record["message"].startswith(f"Stopped during epoch 2 of 50, after {batches} of its 282 "
                                            "batches")
    assert runs.load_model(run) is not None


def test_queue_runs_one_at_a_time_in_order(real_mnist, tmp_path):
    queue = LocalTrainings(real_mnist, tmp_path, max_running=1)
    first = queue.submit(tiny_config(epochs=200, train_images=5000))  # runs until stopped
    training_first = threading.Event()
    first.on_batches(lambda job, loss, accuracy: training_first.set())
    second = queue.submit(tiny_config(epochs=1))
    third = queue.submit(tiny_config(epochs=1, seed=3))
    deadline = time.monotonic() + 30
    # the first has trained batches: had a second started beside it, it would have by now
    assert training_first.wait(30)
    assert second.status == "queued" and queue.position(second) == 1
    assert queue.position(third) == 2 and queue.running() == [first]
    assert third.stop() == "cancelled"  # cancelled while waiting: at once, and it never starts
    assert third.status == "cancelled" and third.done.is_set() and queue.position(third) == 0
    assert "cancelled before it started" in third.progress().message
    while first.progress().epoch < 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # one full epoch, so that the stopped run is kept
    assert first.stop() == "stopping"
    for job in (first, second, third):
        assert job.done.wait(60)
    assert [job.status for job in (first, second, third)] == ["stopped", "finished", "cancelled"]
    assert second.progress().started >= first.progress().finished - 0.5
    assert len(runs.list_runs(tmp_path)) == 2


def test_a_failing_job_does_not_kill_the_worker(real_mnist, tmp_path, caplog):
    queue = LocalTrainings(real_mnist, tmp_path / "file-not-folder", max_running=1)
    (tmp_path / "file-not-folder").write_text("in the way")
    failing = queue.submit(tiny_config(epochs=1))
    assert failing.done.wait(60)
    progress = failing.progress()
    assert progress.status == "failed" and "runs cannot be saved" in progress.message
    assert progress.started is None and not progress.batch_points  # refused before training
    logged = [r for r in caplog.records if r.name == "core.trainings.local" and r.levelname == "ERROR"]
    assert logged and logged[0].exc_info  # the operator gets the full traceback
    queue.root = tmp_path / "runs"
    fine = queue.submit(tiny_config(epochs=1))
    assert fine.done.wait(60) and fine.progress().status == "finished"


def test_progress_is_readable_while_training(real_mnist, tmp_path):
    job = TrainingJob(tiny_config(epochs=2, train_images=10_000))
    seen = []
    worker = threading.Thread(target=training.train, args=(job, real_mnist, tmp_path))
    worker.start()
    while worker.is_alive():
        seen.append(job.progress())
        time.sleep(0.02)
    worker.join()
    batches = [p.batch for p in seen if p.status == "running" and p.batches]
    assert batches and max(batches) > 1
    assert any(p.eta_seconds() for p in seen)


def test_the_queue_forgets_old_ended_jobs(real_mnist, tmp_path, monkeypatch):
    from core.trainings import local

    monkeypatch.setattr(local, "KEPT_ENDED_JOBS", 2)
    queue = LocalTrainings(real_mnist, tmp_path, max_running=1, max_per_owner=10)
    jobs = [queue.submit(tiny_config(epochs=1, seed=seed)) for seed in range(4)]
    jobs[0].stop()
    jobs[1].stop()  # cancelled before they start: quick, and still "ended"
    assert all(job.done.wait(60) for job in jobs)
    deadline = time.monotonic() + 10  # the worker forgets them once it has ended the last one
    while queue.jobs() != jobs[2:] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.jobs() == jobs[2:]


def test_each_owner_stops_only_its_own_jobs_within_the_limits(real_mnist, tmp_path):
    queue = LocalTrainings(real_mnist, tmp_path, max_running=1, max_queued=5, max_per_owner=2)
    running = queue.submit(tiny_config(epochs=200, train_images=5000), "a long one", owner="alice")
    with pytest.raises(Refused, match="already queued|already running"):
        queue.submit(tiny_config(epochs=200, train_images=5000), "a long one", owner="alice")  # twice
    waiting = queue.submit(tiny_config(epochs=1), "short", owner="alice")
    with pytest.raises(Refused, match="already have 2 trainings"):
        queue.submit(tiny_config(epochs=1, seed=9), owner="alice")
    others = [queue.submit(tiny_config(epochs=1, seed=seed), owner=f"user-{seed}") for seed in range(3)]
    with pytest.raises(Refused, match="server's queue is full"):
        queue.submit(tiny_config(epochs=1), owner="bob")
    assert len(queue.jobs()) == 5 and queue.jobs(owner="alice") == [running, waiting]
    with pytest.raises(NotYours):
        queue.stop(running, "bob")
    with pytest.raises(NotYours):
        queue.stop(waiting, "bob")
    assert running.status in ("queued", "running") and not running.stop_requested
    positions = [queue.position(job) for job in others]
    assert queue.stop(waiting, "alice") == "cancelled"  # leaves the queue; the others move up
    assert [queue.position(job) for job in others] == [p - 1 for p in positions]
    assert queue.stop(running, "alice") in ("stopping", "cancelled")
    assert all(job.done.wait(60) for job in [running, waiting, *others])
    assert waiting.status == "cancelled" and [job.status for job in others] == ["finished"] * 3


def test_a_diverging_training_stops_at_once_and_is_saved_as_diverged(real_mnist, tmp_path):
    config = tiny_config(epochs=20, train_images=20_000)  # epochs of many groups of steps
    config.hyper.optimizer, config.hyper.learning_rate = "sgd", 10.0
    config.dense = [DenseLayer(64, "linear"), DenseLayer(64, "linear")]
    job = TrainingJob(config, "too fast")
    run = training.train(job, real_mnist, tmp_path)
    assert run.status == "diverged" and not run.usable
    assert run.record["diverged"]["epoch"] == 1 and run.record["epochs_run"] == 0
    assert run.record["test_accuracy"] is None  # no accuracy is claimed for it
    assert "lower learning rate" in run.record["message"] and "1 instead of 10" in run.record["message"]
    assert job.progress().batch < job.progress().batches  # it did not finish its first epoch
    assert runs.list_runs(tmp_path)[0].status == "diverged"


def test_early_stopping_says_where_it_stopped_and_which_weights_it_kept(early_stopped_run):
    run = early_stopped_run
    early = run.record["early_stopping"]
    assert early["stopped_at_epoch"] == run.record["epochs_run"] < 30
    val_loss = run.record["history"]["val_loss"]
    assert early["best_epoch"] == int(np.argmin(val_loss)) + 1 and early["weights_restored"]
    assert (f"Stopped early at epoch {early['stopped_at_epoch']} of 30" in run.record["message"]
            and f"weights restored from epoch {early['best_epoch']}" in run.record["message"])


def test_a_blank_name_becomes_the_default_name(real_mnist, tmp_path):
    run = training.train(TrainingJob(tiny_config(epochs=1), " \t\n "), real_mnist, tmp_path)
    assert run.name.startswith("custom ") and run.name.strip() == run.name


def test_label_smoothing_and_a_one_cycle_schedule_train_and_reload(real_mnist, tmp_path):
    config = tiny_config(epochs=2, schedule="one-cycle", label_smoothing=0.1, beta_1=0.8)
    run = training.train(TrainingJob(config, "smoothed"), real_mnist, tmp_path)
    assert run.status == "finished" and run.record["test_accuracy"] > 0.7
    assert architecture.TrainingConfig.from_dict(run.record["config"]) == config
    reloaded = runs.load_model(run)  # a built-in loss: the file loads in safe mode, anywhere
    accuracy = (predict_probabilities(reloaded, real_mnist.x_test[:500]).argmax(axis=1)
                == real_mnist.y_test[:500]).mean()
    assert abs(accuracy - run.record["test_accuracy"]) < 0.05


def test_the_servers_time_limit_stops_a_long_training_and_keeps_it(real_mnist, tmp_path):
    queue = LocalTrainings(real_mnist, tmp_path, time_limit=3)
    job = queue.submit(tiny_config(epochs=200, train_images=20_000), "forever")
    assert job.done.wait(120) and job.status == "stopped"
    record = runs.get_run(job.progress().run_id, tmp_path).record
    assert record["stop_reason"] == "the server's time limit of 3 seconds per training"
    assert record["message"].startswith("Stopped by the server's time limit of 3 seconds per training")
    assert 1 <= record["epochs_run"] < 200 and record["training_seconds"] < 30


def test_those_waiting_are_told_how_long_they_may_wait(real_mnist, tmp_path):
    queue = LocalTrainings(real_mnist, tmp_path, time_limit=600)
    running = queue.submit(tiny_config(epochs=200, train_images=20_000), "long", owner="a")
    first, second = (queue.submit(tiny_config(epochs=1 + n), f"after {n}", owner=f"b{n}") for n in (0, 1))
    deadline = time.monotonic() + 60
    while running.stage() in ("queued", "preparing") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert queue.wait_seconds(running) == 0
    assert 0 < queue.wait_seconds(first) <= 600  # the running one's pace, at most its limit
    # the one queued before it: its own work at the running one's pace, far less than its limit
    assert queue.wait_seconds(first) < queue.wait_seconds(second) < queue.wait_seconds(first) + 60
    for job in (second, first, running):
        queue.stop(job, job.owner)
    assert running.done.wait(60)
