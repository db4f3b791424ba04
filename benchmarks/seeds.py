"""One network trained afresh with several seeds, through the project's training path, on the full
data: for the benchmarks that report a median over seeds (preset_accuracy, architecture_search)."""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from core.architecture import TrainingConfig
from core.data import load_mnist
from core.jobs import TrainingJob
from core.training import train


def trained_with_seeds(config: TrainingConfig, seeds: list[int], workers: int = 1):
    """The run record of `config` trained with each seed, in the seeds' order, as each is done.
    `workers` train at a time, each in a process of its own, started afresh (TensorFlow is not
    forked): a network so small that it keeps one core busy trains two at once on two cores."""
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_trained, [config.to_dict()] * len(seeds), seeds)


def _trained(config: dict, seed: int) -> dict:
    config = TrainingConfig.from_dict(config)
    config.hyper.seed = seed
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        run = train(TrainingJob(config, f"{config.preset} seed {seed}"), load_mnist(), Path(folder))
    return run.record | {"wall_seconds_with_evaluation_and_save": time.perf_counter() - started}
