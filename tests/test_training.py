import json
import threading
import time

import numpy as np
import pytest

from core import runs, training
from core.training import TrainingJob, TrainingQueue, predict_probabilities
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
    assert progress.epoch == 3 and progress.batch_losses and len(progress.epoch_seconds) == 3

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
    original = job._batch_done

    def stop_after_some_batches(batch, loss):
        original(batch, loss)
        if job.progress().epoch == 1 and batch == 20:
            job.stop()
    job._batch_done = stop_after_some_batches
    started = time.perf_counter()
    run = training.train(job, real_mnist, tmp_path)
    assert time.perf_counter() - started < 30
    assert run.status == "stopped"
    assert run.record["epochs_run"] == 2  # one whole epoch and the interrupted one
    assert runs.load_model(run) is not None


def test_queue_runs_one_at_a_time_in_order(real_mnist, tmp_path):
    queue = TrainingQueue(real_mnist, tmp_path, max_running=1)
    first = queue.submit(tiny_config(epochs=200, train_images=5000))  # runs until stopped
    second = queue.submit(tiny_config(epochs=1))
    third = queue.submit(tiny_config(epochs=1))
    deadline = time.monotonic() + 30
    while first.status != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # the worker had every chance to start a second job, if it were going to
    assert second.status == "queued" and queue.position(second) == 1
    assert queue.position(third) == 2 and queue.running() == [first]
    third.stop()  # cancelled while waiting: never starts
    first.stop()
    for job in (first, second, third):
        assert job.done.wait(60)
    assert [job.status for job in (first, second, third)] == ["stopped", "finished", "cancelled"]
    assert second.progress().started >= first.progress().finished - 0.5
    assert len(runs.list_runs(tmp_path)) == 2


def test_a_failing_job_does_not_kill_the_worker(real_mnist, tmp_path, monkeypatch):
    queue = TrainingQueue(real_mnist, tmp_path / "file-not-folder", max_running=1)
    (tmp_path / "file-not-folder").write_text("in the way")
    failing = queue.submit(tiny_config(epochs=1))
    assert failing.done.wait(60)
    assert failing.progress().status == "failed" and failing.progress().message
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
    monkeypatch.setattr(training, "KEPT_ENDED_JOBS", 2)
    queue = TrainingQueue(real_mnist, tmp_path, max_running=1)
    jobs = [queue.submit(tiny_config(epochs=1)) for _ in range(4)]
    jobs[0].stop()
    jobs[1].stop()  # cancelled before they start: quick, and still "ended"
    assert all(job.done.wait(60) for job in jobs)
    time.sleep(0.1)
    assert queue.jobs() == jobs[2:]
