"""A training worker: an RQ worker that trains one job at a time, each in a freshly spawned process
(TensorFlow must not be imported before a fork), on this machine or any other that reaches Redis.

    .venv/bin/python -m core.trainings.worker --url redis://teacher-host:6379 [--threads 2]

The job trains in a folder of its own and hands its run back through Redis as one archive: a worker
needs no disk shared with the dashboard. While it trains, a thread of its process publishes its
progress and renews its "alive" key; after each group of batches it looks whether its owner asked
it to stop (a cooperative stop: the run is kept, with its full epochs).
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

from core.trainings import keys
from core.urls import safe_url

logger = logging.getLogger(__name__)

THREADS_ENV = "MNIST_EXPLORER_TRAINING_THREADS"  # TensorFlow's threads per training (0: all cores)
PUBLISH_SECONDS = 0.5  # how often a training's progress is published (and at each epoch, each stage)
LOOK_SECONDS = 0.05  # how often the publisher looks whether the training changed stage
PUBLISHED_BATCH_POINTS = 400  # of the curve: enough to draw its shape, light on the wire


def train_in_worker(spec: dict) -> dict:
    """The RQ job: train `spec` (config, name, owner, tag, time_limit) and return how it ended, with
    the run as an archive ("archive": bytes, or None when nothing was kept)."""
    from rq import get_current_job

    from core.architecture import TrainingConfig
    from core.jobs import TrainingJob

    rq_job = get_current_job()
    job = TrainingJob(TrainingConfig.from_dict(spec["config"]), spec["name"], spec["owner"], spec["tag"],
                      spec["time_limit"])
    job.start()  # running (preparing) from now: TensorFlow and the data take seconds to load
    publisher = Publisher(rq_job.connection, rq_job.id, job)
    job.on_batches(publisher.stop_if_asked)
    job.on_epoch(lambda *_: publisher.publish())
    publisher.start()
    try:
        _limit_threads()
        from core import run_archives
        from core.data import load_mnist
        from core.training import train

        with tempfile.TemporaryDirectory(prefix="mnist-explorer-worker-") as folder:
            run = train(job, load_mnist(), Path(folder))
            archive = run_archives.pack(run) if run is not None else None
    finally:
        publisher.finish()
    progress = job.progress()
    message = run.record["message"] if run else progress.nothing_kept_message()
    logger.info("job %s (#%s) ended: %s", rq_job.id, spec.get("number"), message)
    return {"status": str(run.status) if run else "stopped", "run_id": run.id if run else None,
            "message": message,
            "test_accuracy": run.record["test_accuracy"] if run else None,
            "host": socket.gethostname(), "epochs": progress.epoch, "archive": archive}


def _limit_threads() -> None:
    """Give TensorFlow this worker's share of the cores: parallel trainings then do not fight."""
    threads = int(os.environ.get(THREADS_ENV) or 0)
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))


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

    def stop_if_asked(self, job, *_batch_scores) -> None:
        """Has the owner asked for a stop? (After each group of batches, and at each publication.)"""
        if not job.stop_requested and self.connection.exists(keys.stop(self.job_id)):
            job.stop()

    def finish(self) -> None:
        self._done.set()
        self._thread.join()
        self.publish()


def main(argv: list[str] | None = None) -> int:
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue
    from rq.worker import SpawnWorker

    parser = argparse.ArgumentParser(prog="python -m core.trainings.worker",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("MNIST_EXPLORER_REDIS_URL"), required=False,
                        help="the Redis of the dashboard (default: $MNIST_EXPLORER_REDIS_URL)")
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
    connection = Redis.from_url(args.url)
    for _ in range(60):  # started beside Redis (make serve): give it a moment to listen
        try:
            connection.ping()
            break
        except RedisError as error:
            logger.info("waiting for Redis at %s: %s", safe_url(args.url), error)
            time.sleep(0.5)
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    worker = SpawnWorker([Queue(keys.QUEUE, connection=connection)], connection=connection, name=name)
    logger.info("worker %s on %s, %s thread(s) per training", name, safe_url(args.url), args.threads or "all")
    worker.work(burst=args.burst, with_scheduler=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
