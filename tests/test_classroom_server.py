"""The classroom server as `make serve` starts it (supervisord: Redis, two workers, the dashboard),
on a real Redis: a dead process is replaced and nothing else stops, a worker's death keeps its
training's full epochs, a shared server's Redis has a password that no command line shows, and
Ctrl+C leaves no process behind. Then what a worker refuses to run: a pickled job, a job naming
another function or a callback, a job of another version."""

import re
from pathlib import Path

import psutil
import pytest
from redis import Redis
from redis.exceptions import AuthenticationError, ResponseError

from core import runs
from core.status import Status
from core.trainings import Limits, keys, rq_jobs
from core.trainings.horse import TRAINING_NAME
from core.trainings.on_redis import RedisTrainings
from harness.browser import (
    EPOCH_POINTS,
    chromium_page,
    enter,
    open_from_navigation,
    press_slider,
    wait_until_idle,
)
from harness.services import ClassroomServer, TrainingWorker, redis_server
from tests.conftest import tiny_config
from tests.test_trainings_redis import wait_for

pytestmark = pytest.mark.real_data


def training_processes() -> list[psutil.Process]:
    name = TRAINING_NAME.decode()
    return [process for process in psutil.process_iter(["name"]) if process.info["name"] == name]


def test_the_classroom_server_heals_itself_and_ctrl_c_leaves_nothing(tmp_path):
    folder = tmp_path / "runs"
    server = ClassroomServer(folder, workers=2, address="0.0.0.0")  # shared: Redis gets a password
    try:
        wait_for(server.healthy, 120, "the dashboard")
        secret = server.password()
        assert secret and oct((folder / "redis" / "password").stat().st_mode & 0o777) == "0o600"
        with pytest.raises((AuthenticationError, ResponseError)):  # no password: nothing
            Redis(port=server.redis_port, socket_timeout=5).set("anything", 1)
        for process in server.processes():  # the password is on no command line
            assert secret not in " ".join(process.cmdline()), process.cmdline()
        url = f"redis://:{secret}@127.0.0.1:{server.redis_port}/0"
        trainings = RedisTrainings(url, Limits(), folder)  # the dashboard's own runs folder
        wait_for(lambda: len(trainings.workers()) == 2, 120, "two live workers")
        config = redis_info(trainings.connection)
        assert config["maxmemory-policy"] == "noeviction" and int(config["maxmemory"]) > 0
        joined_machine(tmp_path, server, secret, trainings)

        doomed = trainings.submit(tiny_config(epochs=200, train_images=20_000), "doomed", owner="session-a")
        wait_for(lambda: doomed.progress().epoch >= 2, 180, "two full epochs")
        (training,) = training_processes()
        worker = training.parent()
        worker.kill()  # SIGKILL, mid-epoch
        wait_for(lambda: not training.is_running(), 10, "its training process to die with it")
        assert doomed.done.wait(60), doomed.progress()
        progress = doomed.progress()
        assert progress.status == Status.STOPPED and progress.message.startswith("worker lost after epoch")
        kept = runs.read_run(folder / progress.run_id)  # every full epoch, replayable
        assert kept.record["epochs_run"] >= 2 and len(runs.epoch_weights(kept)) == kept.record["epochs_run"]
        wait_for(lambda: len(server.program("worker")) == 2 and worker.pid not in
                 [process.pid for process in server.program("worker")], 30, "the worker replaced")
        assert server.healthy() and len(trainings.workers()) <= 3  # nothing else stopped
        wait_for(lambda: len(trainings.workers()) == 2, 30, "the dead worker no longer counted")
        after = trainings.submit(tiny_config(epochs=1, train_images=2000), "after", owner="session-a")
        assert after.done.wait(120) and after.progress().status == Status.FINISHED

        with chromium_page() as page:  # a student trains from the page...
            page.goto(server.url)
            wait_until_idle(page)
            open_from_navigation(page, "Train")
            press_slider(page, "Epochs", "End")
            enter(page, "Training images (the first N)", 20000)
            enter(page, "Run name (optional)", "outliving", role="textbox")
            page.get_by_role("button", name="Train", exact=True).click()
            page.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=120_000)
            (web,) = server.program("web")
            web.kill()  # ...the dashboard, SIGKILL: restarted, Redis and the workers untouched
            wait_for(lambda: not server.healthy(), 10, "the dashboard down")
            wait_for(server.healthy, 60, "the dashboard back")
            assert len(trainings.workers()) == 2 and trainings.problem() == ""
            page.reload()  # as its reconnection does: the training is there, live, still its owner's
            wait_until_idle(page)
            page.get_by_text(re.compile(r"Run outliving \(#\d+\): running")).wait_for(timeout=60_000)
            page.wait_for_function(f"({EPOCH_POINTS})() >= 2", timeout=60_000)
            page.get_by_role("button", name="Stop", exact=True).click()
            page.get_by_text(re.compile("Saved: it is on the Runs page")).wait_for(timeout=60_000)

        (redis_process,) = server.program("redis")
        redis_process.kill()  # Redis, SIGKILL: back with its append-only file
        wait_for(lambda: trainings.problem() == "" and len(server.program("redis")) == 1, 60, "Redis back")
        assert {"doomed", "after", "outliving"} <= {job.name for job in trainings.jobs()}
    finally:
        server.stop()
    assert server.process.returncode is not None
    wait_for(lambda: not server.leftovers() and not training_processes(), 30, "every process gone")


def redis_info(connection) -> dict:
    return {name: value for pattern in ("maxmemory", "maxmemory-policy")
            for name, value in connection.config_get(pattern).items()}


def test_a_worker_runs_the_training_and_nothing_else(tmp_path):
    witness = tmp_path / "pwned"
    with redis_server() as redis:
        worker = TrainingWorker(redis.url, "careful", tmp_path / "worker")
        try:
            connection = Redis.from_url(redis.url)
            # as anyone who reaches Redis would queue them, with RQ's own API
            from rq import Callback, Queue

            pickled = Queue(keys.QUEUE, connection=connection)  # RQ's default: pickles
            pickled.enqueue("subprocess.call", ["touch", str(witness)], job_id="pickled")
            as_json = rq_jobs.queue(connection)
            as_json.enqueue("os.system", f"touch {witness}", job_id="named")
            as_json.enqueue(rq_jobs.TRAINING_FUNCTION, {}, job_id="callback",
                            on_success=Callback("os.getcwd"))
            trainings = RedisTrainings(redis.url, Limits(), tmp_path / "runs")
            spec = {"config": tiny_config().to_dict(), "name": "old", "owner": "a", "tag": "",
                    "time_limit": None, "number": 99, "version": "0.0.1+config.00000000"}
            from core.trainings.worker import train_in_worker

            old = trainings.queue.enqueue(train_in_worker, spec, meta={**spec, "home": trainings.home})
            connection.rpush(keys.JOBS, old.id)
            wait_for(lambda: rq_jobs.fetch(old.id, connection).get_status() == "failed", 120,
                     "the old job refused")
            (job,) = [job for job in trainings.jobs() if job.rq_job.id == old.id]
            assert job.done.wait(30)
            message = job.progress().message
            assert "this worker runs version" in message and "update" in message, message
            good = trainings.submit(tiny_config(epochs=1), "good", owner="a")
            assert good.done.wait(120) and good.progress().status == Status.FINISHED  # the worker lives on
            assert not witness.exists()
            log = worker.log.name
        finally:
            worker.stop()
        said = Path(log).read_text()
        assert "refused job named" in said and "refused job callback" in said, said[-3000:]


def test_the_systemd_unit_offered_to_schools_is_valid(tmp_path):
    """systemd is not PID 1 here: the unit can only be verified, not run."""
    import shutil
    import subprocess

    from harness.browser import ROOT

    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd) is needed to check docs/mnist-explorer.service"
    unit = ROOT / "docs" / "mnist-explorer.service"
    checked = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr
    broken = tmp_path / "mnist-explorer.service"
    broken.write_text(unit.read_text().replace("/usr/bin/make", "/nowhere/make"))
    assert subprocess.run([analyze, "verify", str(broken)], capture_output=True).returncode != 0


def joined_machine(tmp_path, server: ClassroomServer, secret: str, trainings: RedisTrainings) -> None:
    """`make worker URL=... PASSWORD_FILE=...` on another machine: its worker joins under the same
    supervision, the password on no command line; Ctrl+C there takes it away again."""
    import os
    import signal
    import subprocess
    import sys

    from harness.browser import ROOT

    copy = tmp_path / "password-copy"
    copy.write_text(secret + "\n")
    laptop = subprocess.Popen(
        [sys.executable, "-m", "core.serve", "--join", server.redis_url, "--password-file", str(copy),
         "--workers", "1"], cwd=ROOT, env={**os.environ, "MNIST_EXPLORER_RUNS": str(tmp_path / "laptop")},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: len(trainings.workers()) == 3, 120, "the laptop's worker")
        for process in psutil.Process(laptop.pid).children(recursive=True):
            assert secret not in " ".join(process.cmdline())
    finally:
        os.kill(laptop.pid, signal.SIGINT)
        laptop.wait(60)
    wait_for(lambda: len(trainings.workers()) == 2, 30, "the laptop's worker gone")
