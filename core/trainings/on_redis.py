"""Trainings on RQ workers over Redis: every core of a classroom server, and any machine that joins.

Jobs wait in an RQ queue; each worker (`python -m core.trainings.worker`) trains one at a time in a
fresh process, publishes its progress, and returns its run as one archive. This side (the dashboard,
or the command line) queues them within the limits, reads their progress, stops them, and saves each
finished run it queued in its runs folder, whole, once (a run that finished while it was down is
saved when it starts again). Its runs folder is the job's "home": dashboards and terminals with runs
folders of their own share one Redis without taking each other's runs. A job whose process stops
renewing its "alive" key is failed as "worker lost".

Job handles (`RemoteJob`) offer what `core.jobs.TrainingJob` offers the pages; each reads Redis.
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.job import Job, JobStatus

from core import run_archives
from core.architecture import ConfigError, TrainingConfig
from core.jobs import FINISHING, PREPARING, TERMINAL, Progress, TrainingJob
from core.status import ACTIVE, Status
from core.trainings import Limits, Trainings, TrainingsUnreachable, keys, rq_jobs
from core.trainings.worker import train_in_worker
from core.urls import redis_url, safe_url

logger = logging.getLogger(__name__)

# A stop not answered within this long of training (a worker stuck outside its batches), or within
# three of its groups of batches when they take longer (a big network on one core), is forced by
# RQ's own stop command: the process is ended, and its run with it. Before its first group, it gets
# FIRST_GROUP_SECONDS (Keras builds its graph then). A job still preparing is not forced: its worker
# sees the stop within a second and trains nothing.
FORCE_STOP_SECONDS = 5.0
FIRST_GROUP_SECONDS = 30.0
# A started job is taken for lost when its "alive" key has been gone this long (or never came).
LOST_AFTER_SECONDS = keys.ALIVE_TTL + 4
# Beyond its time limit, a job gets this long to evaluate and save before RQ ends it.
SAVING_SECONDS = 300
WATCH_SECONDS = 0.5  # how often this side looks for runs to save, stops to force, workers lost


class RemoteJob:
    """A training queued on Redis, as the pages see it (the same reading and controls as a
    TrainingJob). It reads Redis again when its last reading is older than FRESH_SECONDS: a page
    asks a job many things in one redraw, a test waits on one for minutes."""

    FRESH_SECONDS = 0.25

    def __init__(self, trainings: RedisTrainings, rq_job: Job, progress: dict | None, alive: bool):
        meta = rq_job.meta
        self.trainings = trainings
        self.id = meta.get("number", rq_job.id)
        self.name, self.owner = meta.get("name", ""), meta.get("owner", TERMINAL)
        self.tag = meta.get("tag", "")
        self.home = meta.get("home")  # where its run is saved (None: left to the dashboard)
        self.config = TrainingConfig.from_dict(meta["config"])
        self.time_limit = meta.get("time_limit")
        self._read(rq_job, progress, alive)
        self.done = _Waiter(self, lambda job: job.status not in ACTIVE)
        self.training_ended = _Waiter(self, lambda job: job.status not in ACTIVE
                                      or job.stage() == FINISHING)

    def _read(self, rq_job: Job, progress: dict | None, alive: bool) -> None:
        self.rq_job, self._alive, self._read_at = rq_job, alive, time.monotonic()
        self._progress = _progress(progress, self.config)
        self._rq_status = rq_job.get_status(refresh=False)

    def _fresh(self) -> RemoteJob:
        if time.monotonic() - self._read_at > self.FRESH_SECONDS and (
                now := self.trainings.job(self.rq_job.id)) is not None:
            self._read(now.rq_job, None, now._alive)
            self._progress = now._progress
        return self

    def refresh(self) -> RemoteJob:
        self._read_at = -1.0
        return self._fresh()

    @property
    def status(self) -> Status:
        return self._status()[0]

    def _status(self) -> tuple[Status, str]:
        """(status, message): RQ's status read with this side's own records of how it ended."""
        self._fresh()
        meta, rq = self.rq_job.meta, self._rq_status
        if outcome := meta.get("outcome"):  # saved, or failed by this side (worker lost)
            return Status(outcome["status"]), outcome["message"]
        if rq in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.CREATED):
            return Status.QUEUED, ""
        if rq == JobStatus.CANCELED:
            return Status.CANCELLED, "cancelled before it started: nothing was trained"
        if rq in (JobStatus.STARTED, JobStatus.FINISHED):  # a finished one is running until saved
            return Status.RUNNING, ""
        if self.trainings.saves(self):  # ended by force or crashed: its full epochs are being kept
            return Status.RUNNING, ""
        if self.trainings.stop_was_asked(self.rq_job.id):
            return Status.STOPPED, "stopped by force: its worker did not answer the stop"
        return Status.FAILED, failure_reason(self.rq_job)

    def stage(self) -> str:
        status = self.status
        if status != Status.RUNNING:
            return status
        if self._rq_status != JobStatus.STARTED:
            return FINISHING  # trained (or ended by force): its run is being saved on this side
        if self._progress.status != Status.RUNNING:  # taken by a worker, not yet heard from
            return PREPARING
        return self._progress.stage()

    def progress(self) -> Progress:
        status, message = self._status()
        progress = Progress(**{**vars(self._progress), "status": status,
                               "message": message or self._progress.message})
        if self._rq_status != JobStatus.STARTED and status == Status.RUNNING:
            progress.phase = FINISHING
        if outcome := self.rq_job.meta.get("outcome"):
            progress.run_id, progress.test_accuracy = outcome.get("run_id"), outcome.get("test_accuracy")
            progress.finished = outcome.get("finished")
        return progress

    def summary(self) -> dict:
        return {"name": self.name or f"#{self.id}", "status": str(self.status),
                "architecture": self.config.describe(), "progress": self._progress.fraction_done(),
                "worker": self.rq_job.meta.get("worker", "") or (self.rq_job.worker_name or "")}

    @property
    def stop_requested(self) -> bool:
        return self.trainings.stop_was_asked(self.rq_job.id)

    def stop(self) -> Status:
        return self.trainings.stop_job(self)


class _Waiter:
    """What a TrainingJob's Event offers (wait, is_set), for a condition read from Redis."""

    def __init__(self, job: RemoteJob, condition):
        self.job, self.condition = job, condition

    def is_set(self) -> bool:
        return self.condition(self.job.refresh())

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True


def _progress(published: dict | None, config: TrainingConfig) -> Progress:
    """The progress its worker published (or, before it did, that of a job not started)."""
    if not published:
        return Progress(epochs=config.hyper.epochs, batches=config.steps_per_epoch())
    published = {key: value for key, value in published.items() if key in Progress.__dataclass_fields__}
    published["batch_points"] = [tuple(point) for point in published.get("batch_points", [])]
    return Progress(**published)


class RedisTrainings(Trainings):
    """Trainings queued on Redis for RQ workers. With `collect`, this process saves the runs it
    queued in `root` and watches the running ones (the dashboard and the command line do; a worker
    does not); with `adopt`, it also saves those a terminal left to train on (the dashboard does).
    `data()` gives MNIST, needed only to keep the full epochs of a training lost or stopped by force."""

    def __init__(self, url: str, limits: Limits | None = None, root: Path | None = None,
                 collect: bool = True, adopt: bool = False, data: Callable | None = None):
        super().__init__(limits or Limits(), root)
        self.url = url = redis_url(url)
        self.connection = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2,
                                         health_check_interval=10)
        self.queue = rq_jobs.queue(self.connection)
        self.home, self.adopt = home_of(self.root), adopt
        self.data = data or _load_mnist
        self._stop_asked: dict[str, float] = {}  # RQ job id: when this process asked it (time.time())
        if collect:
            threading.Thread(target=self._watch, daemon=True, name="trainings-watch").start()

    # --- reading ------------------------------------------------------------------------------
    def problem(self) -> str:
        try:
            self.connection.ping()
        except RedisError as error:
            return (f"The training server (Redis at {safe_url(self.url)}) cannot be reached: {error}. "
                    "Trainings cannot be started or followed until it is back.")
        return ""

    @property
    def max_running(self) -> int:
        """As many as there are live workers (at least one, for the estimates)."""
        try:
            return max(1, len(self.workers()))
        except RedisError:
            return 1

    def workers(self) -> list[str]:
        """The live workers' names: those that said so within the last few seconds (a worker killed
        stays registered with RQ for minutes)."""
        prefix = len(keys.worker(""))
        found = self.connection.scan_iter(keys.WORKERS_PATTERN, count=1000)
        return sorted(key.decode()[prefix:] for key in found)

    def idle_workers(self) -> int:
        return max(0, len(self.workers()) - len(self.running()))

    def jobs(self, owner: str | None = None) -> list[RemoteJob]:
        try:
            ids = [job_id.decode() for job_id in self.connection.lrange(keys.JOBS, 0, -1)]
            rq_jobs_found = [job for job in rq_jobs.fetch_many(ids, self.connection) if job is not None]
            found = self._snapshots(rq_jobs_found)
        except RedisError as error:
            raise TrainingsUnreachable(f"the training server cannot be reached: {error}") from error
        return [job for job in found if owner is None or job.owner == owner]

    def job(self, rq_id: str) -> RemoteJob | None:
        try:
            rq_job = rq_jobs.fetch(rq_id, self.connection)
        except Exception:  # deleted, expired
            return None
        found = self._snapshots([rq_job])
        return found[0] if found else None

    def _snapshots(self, found: list[Job]) -> list[RemoteJob]:
        found = [job for job in found if _ours(job)]
        if not found:
            return []
        pipeline = self.connection.pipeline()
        for job in found:
            pipeline.get(keys.progress(job.id))
            pipeline.exists(keys.alive(job.id))
        answers = pipeline.execute()
        snapshots = []
        for job, progress, alive in zip(found, answers[::2], answers[1::2]):
            try:
                published = json.loads(progress) if progress else None
                snapshots.append(RemoteJob(self, job, published, bool(alive)))
            except (ConfigError, TypeError, ValueError) as error:  # queued by another version
                logger.debug("job %s not shown: %s", job.id, error)
        return snapshots

    def stop_was_asked(self, rq_id: str) -> bool:
        return bool(self.connection.exists(keys.stop(rq_id)))

    # --- controls -----------------------------------------------------------------------------
    def submit(self, config: TrainingConfig, name: str = "", owner: str = TERMINAL, tag: str = ""):
        from core import runs

        config, name = config.check(), runs.clean_name(name)
        try:
            with self.connection.lock(keys.SUBMIT_LOCK, timeout=30, blocking_timeout=30):
                self.refuse_if_over_limits(config, name, owner)
                number = int(self.connection.incr(keys.NUMBERS))
                spec = {"config": config.to_dict(), "name": name, "owner": owner, "tag": tag,
                        "time_limit": self.time_limit, "number": number, "version": rq_jobs.VERSION}
                rq_job = self.queue.enqueue(
                    train_in_worker, spec, meta={**spec, "submitted": time.time(), "home": self.home},
                    job_timeout=(self.time_limit + SAVING_SECONDS) if self.time_limit else -1,
                    result_ttl=keys.KEPT_SECONDS, failure_ttl=keys.KEPT_SECONDS, ttl=keys.KEPT_SECONDS,
                    description=f"#{number} {name or config.describe()}")
                pipeline = self.connection.pipeline()
                pipeline.rpush(keys.JOBS, rq_job.id)
                pipeline.ltrim(keys.JOBS, -keys.KEPT_JOBS, -1)
                pipeline.expire(keys.JOBS, keys.KEPT_SECONDS)
                pipeline.expire(keys.NUMBERS, keys.KEPT_SECONDS)
                pipeline.execute()
        except RedisError as error:
            raise TrainingsUnreachable(f"the training server cannot be reached: {error}") from error
        logger.info("queued #%s %r for %s on %s", number, name, owner, safe_url(self.url))
        return self.job(rq_job.id)

    def stop_job(self, job: RemoteJob) -> Status:
        """A queued job is cancelled at once; a running one is asked to stop after its current group
        of batches (forced, should it not answer: its full epochs are kept all the same)."""
        status = job.refresh().status
        if status not in (Status.QUEUED, Status.RUNNING):
            return status
        # asked of a queued job too: RQ's cancel does not take back a job that a worker has just taken
        # off the queue, which then runs all the same; its worker sees this within a second
        self.connection.set(keys.stop(job.rq_job.id), time.time(), ex=keys.KEPT_SECONDS)
        if status == Status.QUEUED:
            try:
                job.rq_job.cancel()
                return Status.CANCELLED
            except Exception:  # taken by a worker meanwhile: then it is stopped as a running one
                logger.info("job %s started as it was cancelled: stopping it", job.rq_job.id)
        self._stop_asked[job.rq_job.id] = time.time()
        return Status.STOPPING

    def release(self, job: RemoteJob) -> None:
        """Leave `job`'s run to the dashboard (the command line, when it stops following it)."""
        job.rq_job.meta["home"] = None
        job.rq_job.save_meta()

    # --- watching: saving finished runs, forcing stops, keeping what lost jobs trained -------------
    def _watch(self) -> None:
        down = False  # said once per outage, not twice a second
        while True:
            try:
                for job in self.jobs():
                    self._look_after(job)
                if down:
                    logger.info("the training server %s is back", safe_url(self.url))
                down = False
            except TrainingsUnreachable as problem:
                if not down:
                    logger.warning("%s", problem)
                down = True
            except Exception:  # a damaged archive, say: logged, and looked at again
                logger.exception("watching the trainings on %s", safe_url(self.url))
            time.sleep(WATCH_SECONDS)

    def saves(self, job: RemoteJob) -> bool:
        """Whether this side saves `job`'s run: it queued it, or adopts those left to the dashboard."""
        return job.home == self.home or (job.home is None and self.adopt)

    def _look_after(self, job: RemoteJob) -> None:
        rq_id, rq = job.rq_job.id, job._rq_status
        if job.rq_job.meta.get("outcome"):
            return
        if rq == JobStatus.FINISHED:
            if self.saves(job):
                self._save(job, lambda: self._finished_run(job))
        elif rq in (JobStatus.FAILED, JobStatus.STOPPED):  # ended by force, by its time, or refused
            if self.saves(job):
                self._save(job, lambda: self._failed_run(job))
        elif rq == JobStatus.STARTED:
            asked = self._stop_asked.get(rq_id)
            if asked is not None and not job._progress.training_started:  # not heard from, or preparing
                self._stop_asked[rq_id] = time.time()  # its patience counts from its training's start
            elif asked is not None and time.time() - asked > stop_patience(job._progress):
                logger.warning("job %s did not stop within %.0f s: stopped by force", rq_id,
                               time.time() - asked)
                send_stop_job_command(self.connection, rq_id)
                del self._stop_asked[rq_id]
            elif not job._alive and self._silent_for(job) > LOST_AFTER_SECONDS and self.saves(job):
                self._save(job, lambda: self._kept_epochs(
                    job, "worker lost", "the loss of its worker (killed, or its machine switched off)"))

    def _silent_for(self, job: RemoteJob) -> float:
        """Seconds since its worker last showed signs of life (or since it started)."""
        started = job.rq_job.started_at.timestamp() if job.rq_job.started_at else time.time()
        return time.time() - max(started, job._progress.started or started)

    def _save(self, job: RemoteJob, how: Callable) -> None:
        """Save an ended job's run here, once, whoever else looks: a claim in Redis, renewed while
        this process saves (one killed mid-save leaves it to the next within seconds)."""
        rq_id = job.rq_job.id
        if not self.connection.set(keys.saving(rq_id), 1, nx=True, ex=keys.SAVING_TTL):
            return
        renewing = threading.Event()

        def renew():
            while not renewing.wait(keys.SAVING_TTL / 4):
                self.connection.expire(keys.saving(rq_id), keys.SAVING_TTL)

        threading.Thread(target=renew, daemon=True, name="saving-claim").start()
        try:
            status, message, more = how()
            self._end(job, status, message, **more)
            self._forget(job)
            self.connection.delete(keys.saving(rq_id))  # the outcome says it is saved from now
        except Exception:
            self.connection.delete(keys.saving(rq_id))  # another look will try again
            raise
        finally:
            renewing.set()

    def _end(self, job: RemoteJob, status: Status, message: str, **more) -> None:
        job.rq_job.meta["outcome"] = {"status": str(status), "message": message, "finished": time.time(),
                                      **more}
        job.rq_job.save_meta()
        logger.info("job #%s ended: %s (%s)", job.id, status, message)

    def _forget(self, job: RemoteJob) -> None:
        """Delete what was kept only until the run was saved: its archive and its epochs' weights."""
        rq_id = job.rq_job.id
        epoch_keys = list(self.connection.scan_iter(keys.epoch(rq_id, 0)[:-1] + "*", count=1000))
        self.connection.delete(keys.archive(rq_id), *epoch_keys)

    def _finished_run(self, job: RemoteJob) -> tuple[Status, str, dict]:
        """A job its worker finished: its run, from the archive it left in Redis."""
        result = job.rq_job.return_value()
        if not isinstance(result, dict):  # results expired, or gone
            return Status.FAILED, "its result is gone from Redis: nothing could be saved", {}
        more = {"worker": result.get("host", ""), "test_accuracy": result.get("test_accuracy")}
        if not result.get("archived"):
            return Status(result["status"]), result["message"], more
        archive = self.connection.get(keys.archive(job.rq_job.id))
        if archive is None:
            return Status.FAILED, "its run's archive is gone from Redis: nothing could be saved", more
        run = run_archives.unpack(archive, self.root)
        logger.info("job #%s saved as run %s", job.id, run.id)
        return Status(run.status), result["message"], {**more, "run_id": run.id}

    def _failed_run(self, job: RemoteJob) -> tuple[Status, str, dict]:
        """A job ended by force (a stop it did not answer), by RQ's time limit, by a crash of its
        process, or refused by its worker: what it finished is kept."""
        said = failure_reason(job.rq_job)
        if self.stop_was_asked(job.rq_job.id):
            return self._kept_epochs(job, "stopped by force", "force: it did not answer the stop "
                                     "(stuck outside its batches)", Status.STOPPED)
        if "JobTimeoutException" in _exc_string(job.rq_job):
            return self._kept_epochs(job, "stopped by the server's time limit", "the server's time limit")
        if "terminated unexpectedly" in said:
            return self._kept_epochs(job, "its training process ended unexpectedly (out of memory?)",
                                     "the unexpected end of its training process")
        return self._kept_epochs(job, said, said, nothing_said=said)  # refused, most likely

    def _kept_epochs(self, job: RemoteJob, why: str, reason: str, nothing: Status = Status.FAILED,
                     nothing_said: str = "") -> tuple[Status, str, dict]:
        """Keep as a run the full epochs whose weights `job`'s worker sent; (status, message, more)."""
        from core.training import keep_finished_epochs

        planned = job.config.hyper.epochs
        with tempfile.TemporaryDirectory(prefix="mnist-explorer-kept-") as folder:
            count = self.epochs_sent(job, Path(folder))
            if count == 0:
                return nothing, nothing_said or f"{why} before its first epoch ended: nothing was saved", {}
            training = TrainingJob(job.config, job.name, job.owner, job.tag, job.time_limit)
            published = job._progress
            training.update(status=Status.RUNNING, history=published.history, epoch=published.epoch,
                            epoch_seconds=published.epoch_seconds, started=published.started,
                            training_started=published.training_started)
            run = keep_finished_epochs(training, self.data(), Path(folder), reason, self.root)
        return (Status.STOPPED, f"{why} after epoch {count} of {planned}: its {count} full epoch(s) "
                "kept as a run", {"run_id": run.id, "test_accuracy": run.record["test_accuracy"]})

    def epochs_sent(self, job: RemoteJob, folder: Path) -> int:
        """Write the epochs' weights that `job`'s worker sent into `folder` (001.npz, ...), the
        consecutive ones from the first; their count."""
        number = 0
        while (weights := self.connection.get(keys.epoch(job.rq_job.id, number + 1))) is not None:
            number += 1
            (folder / f"{number:03d}.npz").write_bytes(weights)
        return number


def _load_mnist():
    from core.data import load_mnist

    return load_mnist()


def _ours(rq_job: Job) -> bool:
    """A job this project queued (its meta readable, with a configuration); anything else in the
    queue's list is not shown, and never run by a worker (core.trainings.rq_jobs)."""
    meta = rq_job.meta
    return isinstance(meta, dict) and isinstance(meta.get("config"), dict) and "unserialized" not in meta


def failure_reason(rq_job: Job) -> str:
    """The last line of what the worker said, without the exception's dotted name."""
    return _last_line(_exc_string(rq_job)) or f"RQ says the job {rq_job.get_status(refresh=False)}"


def _exc_string(rq_job: Job) -> str:
    result = rq_job.latest_result()
    return (result.exc_string if result is not None else "") or ""


def _last_line(said: str) -> str:
    lines = said.strip().splitlines()
    if not lines:
        return ""
    last = lines[-1]
    name, _, said = last.partition(": ")
    return said if said and "." in name and " " not in name else last


def home_of(root: Path | None) -> str:
    """The name of a runs folder, for the jobs whose runs are saved there: its machine and path."""
    from core import runs

    return f"{socket.gethostname()}:{(root or runs.runs_dir()).resolve()}"


def stop_patience(progress: Progress) -> float:
    """How long a training may take to answer a stop, once it trains, before it is forced."""
    per_group = progress.seconds_per_report()
    return FIRST_GROUP_SECONDS if per_group is None else max(FORCE_STOP_SECONDS, 3 * per_group)
