"""One contract, two implementations: trainings in this process, and trainings on RQ workers over a
real Redis (a throwaway redis-server, two worker processes each with a runs folder of its own, as on
machines sharing no disk with the dashboard). Every test here runs against both."""

import itertools
import time

import numpy as np
import pytest

from core import inspection, runs
from core.jobs import AlreadyQueued, NotYours, OwnerLimit, ServerFull
from core.status import Status
from core.trainings import Limits
from core.trainings.local import LocalTrainings
from tests.conftest import tiny_config

pytestmark = pytest.mark.real_data
_owners = itertools.count()


@pytest.fixture(scope="module")
def redis_with_workers(tmp_path_factory):
    """A throwaway Redis and two training workers, shared by this module's tests on Redis."""
    from harness.services import TrainingWorker, redis_server

    with redis_server() as redis:
        workers = [TrainingWorker(redis.url, f"contract-{n}", tmp_path_factory.mktemp(f"worker-{n}"))
                   for n in (1, 2)]
        try:
            yield redis
        finally:
            for worker in workers:
                worker.stop()


@pytest.fixture(params=["local", "redis"])
def make_trainings(request, real_mnist, tmp_path):
    """Trainings of the implementation under test, saving runs in `tmp_path / "runs"`."""
    root = tmp_path / "runs"

    def make(**limits):
        limits = Limits(**{"max_queued": 20, "max_per_owner": 3, **limits})
        if request.param == "local":
            return LocalTrainings(real_mnist, root, limits)
        from core.trainings.on_redis import RedisTrainings

        return RedisTrainings(request.getfixturevalue("redis_with_workers").url, limits, root)

    make.root = root
    return make


def owner() -> str:
    return f"session-{next(_owners):016d}"


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_training_runs_reports_and_comes_back_whole(make_trainings):
    trainings, me = make_trainings(), owner()
    job = trainings.submit(tiny_config(epochs=3, train_images=2000), "whole", owner=me)
    assert job.status in (Status.QUEUED, Status.RUNNING) and job.owner == me
    assert job.done.wait(180), job.progress()
    progress = job.progress()
    assert progress.status == Status.FINISHED and progress.epoch == 3 and len(progress.history["loss"]) == 3
    assert progress.test_accuracy > 0.8 and "Finished 3 epoch(s)" in progress.message
    run = runs.get_run(progress.run_id, make_trainings.root)  # in this side's runs folder, whole
    assert run.status == Status.FINISHED and run.owner == me and runs.load_model(run) is not None
    assert inspection.epochs_kept(run) == 3  # and it replays by epoch
    assert inspection.epoch_probabilities(run, "test", np.zeros((4, 28, 28), np.uint8)).shape == (3, 4, 10)
    assert [j.name for j in trainings.jobs(owner=me)] == ["whole"]


def test_limits_are_enforced_where_trainings_are_queued(make_trainings):
    trainings, me, other = make_trainings(max_per_owner=2, max_queued=3), owner(), owner()
    first = trainings.submit(tiny_config(epochs=200, train_images=20_000), "long", owner=me)
    with pytest.raises(AlreadyQueued, match="already"):  # a double click queues nothing more
        trainings.submit(tiny_config(epochs=200, train_images=20_000), "long", owner=me)
    second = trainings.submit(tiny_config(epochs=199, train_images=20_000), "second", owner=me)
    with pytest.raises(OwnerLimit, match="already have 2 trainings"):
        trainings.submit(tiny_config(epochs=1), "third", owner=me)
    third = trainings.submit(tiny_config(epochs=198, train_images=20_000), "theirs", owner=other)
    with pytest.raises(ServerFull, match="server's queue is full"):
        trainings.submit(tiny_config(epochs=1), "fourth", owner=owner())
    for job in (third, second, first):
        trainings.stop(job, job.owner)
    for job in (first, second, third):
        assert job.done.wait(120)


def test_only_the_owner_stops_and_a_stop_keeps_the_full_epochs(make_trainings):
    trainings, me, other = make_trainings(), owner(), owner()
    job = trainings.submit(tiny_config(epochs=200, train_images=20_000), "stoppable", owner=me)
    with pytest.raises(NotYours):
        trainings.stop(job, other)
    wait_for(lambda: job.progress().epoch >= 1)  # one full epoch: the stopped run is kept
    assert trainings.stop(job, me) == Status.STOPPING
    assert job.training_ended.wait(10)  # after its current group of batches: within a second or two
    assert job.done.wait(120)
    progress = job.progress()
    assert progress.status == Status.STOPPED and 1 <= progress.epoch < 200
    run = runs.get_run(progress.run_id, make_trainings.root)
    assert run.status == Status.STOPPED and inspection.epochs_kept(run) == run.record["epochs_run"]


def test_a_queued_training_is_cancelled_at_once_and_never_runs(make_trainings):
    trainings, me = make_trainings(max_per_owner=5), owner()
    ahead = [trainings.submit(tiny_config(epochs=200, train_images=20_000, seed=n), f"ahead {n}", owner=me)
             for n in range(2)]  # as many as there are workers, or more: the next one waits
    waiting = trainings.submit(tiny_config(epochs=1), "waiting", owner=me)
    assert waiting.status == Status.QUEUED and trainings.position(waiting) >= 1
    assert trainings.stop(waiting, me) == Status.CANCELLED
    assert waiting.done.wait(10) and waiting.progress().status == Status.CANCELLED
    for job in ahead:
        trainings.stop(job, me)
    for job in ahead:
        assert job.done.wait(120)
    assert waiting.progress().status == Status.CANCELLED and waiting.progress().run_id is None


def test_a_stop_while_it_prepares_ends_it_cleanly_before_any_training(make_trainings):
    trainings, me = make_trainings(), owner()
    job = trainings.submit(tiny_config(epochs=200, train_images=20_000), "impatient", owner=me)
    deadline = time.monotonic() + 120
    while job.status == Status.QUEUED:  # Stop pressed the moment it starts (loading, building)
        assert time.monotonic() < deadline, "never started"
        time.sleep(0.01)
    assert job.stage() == "preparing" and trainings.stop(job, me) == Status.STOPPING
    assert job.done.wait(120), job.progress()
    progress = job.progress()
    assert progress.status == Status.STOPPED and progress.epoch == 0 and progress.run_id is None
    assert progress.message == "stopped before the first epoch ended: nothing was saved"  # not by force


def test_the_time_limit_stops_a_training_and_keeps_it(make_trainings):
    trainings = make_trainings(time_limit=4)  # epochs of 2,000 images: a fraction of a second each
    job = trainings.submit(tiny_config(epochs=200, train_images=2000), "forever", owner=owner())
    assert job.done.wait(120)
    progress = job.progress()
    assert progress.status == Status.STOPPED and 1 <= progress.epoch < 200
    assert "Stopped by the server's time limit of 4 seconds per training" in progress.message
    run = runs.get_run(progress.run_id, make_trainings.root)
    assert run.status == Status.STOPPED and run.record["stop_reason"] == progress.stop_reason
