"""A training worker: an RQ worker that trains one job at a time, each in a process of its own that
it spawned ahead (TensorFlow imported and MNIST loaded while the worker waited), on this machine or
any other that reaches Redis.

    .venv/bin/python -m core.trainings.worker [--threads 2]    (the URL in $MNIST_EXPLORER_REDIS_URL)

The job trains in a folder of its own and hands its run back through Redis as one archive (a worker
needs no disk shared with the dashboard), and each full epoch's weights as that epoch ends, so that
a training lost or stopped by force is kept with the epochs it finished. While it trains, a thread
of its process publishes its progress and renews its "alive" key; after each group of batches it
looks whether its owner asked it to stop (a cooperative stop: the run is kept, with its full epochs).
The training process dies with its worker (core.trainings.horse): never an orphan training unseen.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from rq.worker import Worker

from core.trainings import keys, rq_jobs
from core.urls import REDIS_PASSWORD_ENV, redis_url, safe_url

logger = logging.getLogger(__name__)

THREADS_ENV = "MNIST_EXPLORER_TRAINING_THREADS"  # TensorFlow's threads per training (0: all cores)
PUBLISH_SECONDS = 0.5  # how often a training's progress is published (and at each epoch, each stage)
LOOK_SECONDS = 0.05  # how often the publisher looks whether the training changed stage
PUBLISHED_BATCH_POINTS = 400  # of the curve: enough to draw its shape, light on the wire
PRELOADED: dict = {}  # what the process spawned ahead loaded before its job came ("data": MNIST)


class VersionMismatch(Exception):
    """The job was queued by another version of the project than this worker's."""


def train_in_worker(spec: dict) -> dict:
    """The RQ job: train `spec` (config, name, owner, tag, time_limit, version) and return how it
    ended (JSON); the run itself, as an archive, waits under keys.archive(job id)."""
    from rq import get_current_job

    rq_job = get_current_job()
    if problem := rq_jobs.version_problem(spec.get("version")):
        logger.error("job %s refused: %s", rq_job.id, problem)
        raise VersionMismatch(problem)
    from core.architecture import TrainingConfig
    from core.jobs import TrainingJob

    job = TrainingJob(TrainingConfig.from_dict(spec["config"]), spec["name"], spec["owner"], spec["tag"],
                      spec["time_limit"])
    job.start()  # running (preparing) from now
    publisher = Publisher(rq_job.connection, rq_job.id, job)
    job.on_batches(publisher.stop_if_asked)
    job.on_epoch(lambda *_: publisher.publish())
    job.on_weights(publisher.send_weights)
    publisher.start()
    try:
        limit_threads()
        from core import run_archives
        from core.training import train

        with tempfile.TemporaryDirectory(prefix="mnist-explorer-worker-") as folder:
            run = train(job, mnist(), Path(folder))
            if run is not None:
                rq_job.connection.set(keys.archive(rq_job.id), run_archives.pack(run), ex=keys.KEPT_SECONDS)
    finally:
        publisher.finish()
    progress = job.progress()
    message = run.record["message"] if run else progress.nothing_kept_message()
    logger.info("job %s (#%s) ended: %s", rq_job.id, spec.get("number"), message)
    return {"status": str(run.status) if run else "stopped", "run_id": run.id if run else None,
            "message": message, "test_accuracy": run.record["test_accuracy"] if run else None,
            "host": socket.gethostname(), "epochs": progress.epoch, "archived": run is not None}


def mnist():
    """MNIST, as the process loaded it ahead (or now)."""
    if "data" not in PRELOADED:
        from core.data import load_mnist

        PRELOADED["data"] = load_mnist()
    return PRELOADED["data"]


def limit_threads() -> None:
    """Give TensorFlow this worker's share of the cores: parallel trainings then do not fight."""
    threads = int(os.environ.get(THREADS_ENV) or 0)
    if threads:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
        except RuntimeError:  # already set, in this process
            pass


class Publisher:
    """Publishes a job's progress to Redis and renews its "alive" key, from a thread of the training
    process (so that a lost process is seen as lost, whatever phase it was in)."""

    def __init__(self, connection, job_id: str, job):
        self.connection, self.job_id, self.job = connection, job_id, job
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="publisher")

    def start(self) -> None:
        self.publish()
        self._thread.start()

    def _run(self) -> None:
        published, stage = time.monotonic(), self.job.stage()
        while not self._done.wait(LOOK_SECONDS):
            # at once when the job changes stage (a stop took effect: the page says "stopped"),
            # else every PUBLISH_SECONDS
            if self.job.stage() != stage or time.monotonic() - published >= PUBLISH_SECONDS:
                self.publish()
                published, stage = time.monotonic(), self.job.stage()

    def publish(self) -> None:
        progress = dataclasses.asdict(self.job.progress())
        points = progress["batch_points"]
        progress["batch_points"] = points[:: max(1, len(points) // PUBLISHED_BATCH_POINTS)]
        self.stop_if_asked(self.job)  # while it prepares too, before any batch could look
        progress["stop_requested"] = self.job.stop_requested
        pipeline = self.connection.pipeline()
        pipeline.set(keys.progress(self.job_id), json.dumps(progress), ex=keys.KEPT_SECONDS)
        pipeline.set(keys.alive(self.job_id), socket.gethostname(), ex=keys.ALIVE_TTL)
        pipeline.execute()

    def send_weights(self, job, number: int, path: Path) -> None:
        """A full epoch's weights leave the worker as it ends: kept, whatever happens next."""
        self.connection.set(keys.epoch(self.job_id, number), path.read_bytes(), ex=keys.KEPT_SECONDS)

    def stop_if_asked(self, job, *_batch_scores) -> None:
        """Has the owner asked for a stop? (After each group of batches, and at each publication.)"""
        if not job.stop_requested and self.connection.exists(keys.stop(self.job_id)):
            job.stop()

    def finish(self) -> None:
        self._done.set()
        self._thread.join()
        self.publish()


class WarmWorker(Worker):
    """An RQ worker whose training process (RQ's "work horse") is spawned ahead, while it waits for
    a job: a job taken starts training at once, in a fresh process (a crash or an exhausted memory
    takes that process alone), and never in a fork of a process that imported TensorFlow. It also
    renews a key of its own while it lives, so that the dashboard counts live workers."""

    def __init__(self, *args, url: str = "", **kwargs):
        kwargs.update(job_class=rq_jobs.TrainingRQJob, serializer=rq_jobs.SERIALIZER)
        super().__init__(*args, **kwargs)
        self.url = url
        self._spare = None

    def bootstrap(self, *args, **kwargs):
        super().bootstrap(*args, **kwargs)
        threading.Thread(target=self._say_alive, daemon=True, name="alive").start()
        self._spawn_spare()

    def _spawn_spare(self) -> None:
        from core.trainings.horse import Horse

        self._spare = Horse.spawn(self.name)

    def fork_work_horse(self, job, queue):
        horse = self._spare
        if horse is None or not horse.wait_ready():  # it died while it waited (memory?): another
            logger.warning("worker %s: the process spawned ahead is gone; spawning another", self.name)
            self._spawn_spare()
            horse = self._spare
            horse.wait_ready()
        horse.hand_over({"url": self.url, "worker_key": self.key, "job_id": job.id, "queue": queue.name,
                         "execution_id": self.execution.id})
        self._horse_pid = horse.pid
        self.procline(f"Training {job.id} in {horse.pid} since {time.time()}")
        self._spawn_spare()  # the next job's, warming while this one trains

    def handle_warm_shutdown_request(self):
        """Ctrl+C, or its supervisor stopping it: the training in progress is asked to stop after its
        group of batches and is kept, with its full epochs, rather than waited for to its end."""
        if job_id := self.get_current_job_id():
            self.connection.set(keys.stop(job_id), time.time(), ex=keys.KEPT_SECONDS)
        super().handle_warm_shutdown_request()

    def teardown(self):
        if self._spare is not None:
            self._spare.dismiss()
        super().teardown()

    def _say_alive(self) -> None:
        record = json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
        while True:
            try:
                self.connection.set(keys.worker(self.name), record, ex=keys.ALIVE_TTL)
            except Exception as error:  # Redis restarting: said by RQ's own loop too
                logger.debug("worker %s: cannot say it is alive: %s", self.name, error)
            time.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    from redis import Redis
    from redis.exceptions import RedisError

    parser = argparse.ArgumentParser(prog="python -m core.trainings.worker",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("MNIST_EXPLORER_REDIS_URL"), required=False,
                        help="the Redis of the dashboard (default: $MNIST_EXPLORER_REDIS_URL; its password "
                             f"in ${REDIS_PASSWORD_ENV}, never on a command line)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get(THREADS_ENV) or 0),
                        help="TensorFlow threads per training (default: all the cores)")
    parser.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    parser.add_argument("--name", default=None, help="the worker's name (default: host and pid)")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give the Redis URL with --url or MNIST_EXPLORER_REDIS_URL")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.threads:  # inherited by every training this worker spawns
        os.environ[THREADS_ENV] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
    url = redis_url(args.url)
    connection = Redis.from_url(url)
    for _ in range(60):  # started beside Redis (make serve): give it a moment to listen
        try:
            connection.ping()
            break
        except RedisError as error:
            logger.info("waiting for Redis at %s: %s", safe_url(url), error)
            time.sleep(0.5)
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    worker = WarmWorker([rq_jobs.queue(connection)], connection=connection, name=name, url=url)
    logger.info("worker %s (version %s) on %s, %s thread(s) per training", name, rq_jobs.VERSION,
                safe_url(url), args.threads or "all")
    worker.work(burst=args.burst, with_scheduler=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
