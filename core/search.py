"""Architecture search: which networks are the most accurate for their size?

An Optuna multi-objective study (maximise validation accuracy, minimise trainable parameters) whose
every trial is a normal training: submitted to a `LocalTrainings` like any other, saved as a run
tagged "search:<study>:<trial>", so it can be evaluated, inspected and drawn on.

The study lives in an Optuna storage: an SQLite file in the runs folder by default, or any URL
(PostgreSQL, MySQL, an Optuna journal file) given by `--storage` or MNIST_EXPLORER_SEARCH_STORAGE.
Then `python -m core.search worker --study NAME --storage URL` on any number of machines joins the
same study; this is Optuna's own distributed mode. The search space travels in the study's user
attributes, so a worker needs nothing but the study's name and storage. A worker that dies mid-trial
stops sending heartbeats; after a grace period another worker marks that trial failed and runs a
copy of it (Optuna's RetryHeartbeatStaleTrialCallback), so no trial is lost or counted twice.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import math
import os
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from core import runs
from core.architecture import (
    ACTIVATIONS,
    MAX_FILTERS,
    MAX_UNITS,
    OPTIMIZERS,
    REDUCTIONS,
    ConfigError,
    ConvLayer,
    DenseLayer,
    Hyperparameters,
    TrainingConfig,
    bounded,
)
from core.jobs import TERMINAL, Refused
from core.trainings.local import LocalTrainings

logger = logging.getLogger(__name__)

STORAGE_ENV = "MNIST_EXPLORER_SEARCH_STORAGE"
STORAGE_FILE = "search.sqlite3"
SPACE_ATTR = "space"
OBJECTIVES = ("validation accuracy", "trainable parameters")
KINDS = {"dense": "fully-connected stacks", "conv": "small convnets"}
# A worker's running trial sends a heartbeat this often; one silent for GRACE_SECONDS is taken as
# dead: failed, and a copy queued (at most MAX_RETRIES times for the same trial).
HEARTBEAT_SECONDS = int(os.environ.get("MNIST_EXPLORER_SEARCH_HEARTBEAT", "10"))
GRACE_SECONDS = int(os.environ.get("MNIST_EXPLORER_SEARCH_GRACE", "60"))
MAX_RETRIES = 2
POLL_SECONDS = 0.5
# a worker gives up after this many draws in a row that could not be trained (each costs a fraction
# of a second; without a limit a search over an all but impossible space would draw for its hours)
MAX_UNTRAINED_IN_A_ROW = 1000
STARTUP_TRAINED = 10  # networks trained from random draws before the TPE sampler models them


def optuna_module():
    """Optuna, imported when first needed (it is heavy); the heartbeat, retry and metric-name
    features used here are marked experimental, which it says at every use: said once, in the README."""
    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # TPE's gamma (how many trials are good ones), which the sampler sets, is to go in Optuna 6
    warnings.filterwarnings("ignore", message="`gamma` has been deprecated", category=FutureWarning)
    return optuna


class TrialFailed(Exception):
    """A trial that trained but gave no result (diverged, stopped, failed): recorded, never a point."""


class SearchStalled(Exception):
    """Draw after draw was not trained: the space (with its caps) is all but impossible."""


@dataclass
class SearchSpace:
    """What a study may choose from; stored in the study so that every worker searches the same."""

    kind: str = "dense"  # one of KINDS
    min_layers: int = 1  # hidden layers (dense) or convolutional layers (conv)
    max_layers: int = 4
    min_width: int = 4  # units per hidden layer, or filters per convolution, on a log scale
    max_width: int = 512
    reductions: list[str] = field(default_factory=lambda: list(REDUCTIONS))
    activations: list[str] = field(default_factory=lambda: ["relu"])
    batch_norm: list[bool] = field(default_factory=lambda: [False, True])
    max_dropout: float = 0.3
    kernel_sizes: list[int] = field(default_factory=lambda: [3, 5])
    # depthwise separable convolutions after the first (which sees one map, where they are pointless):
    # [False] keeps full convolutions, as in studies made before they existed
    separable: list[bool] = field(default_factory=lambda: [False])
    optimizers: list[str] = field(default_factory=lambda: ["adam"])
    min_learning_rate: float = 3e-4
    max_learning_rate: float = 3e-2
    batch_sizes: list[int] = field(default_factory=lambda: [64, 128, 256])
    shifts: list[float] = field(default_factory=lambda: [0.0, 0.1])
    label_smoothing: list[float] = field(default_factory=lambda: [0.0, 0.1])
    epochs: int = 5  # every trial trains this many epochs
    # networks above this many trainable parameters are not trained (0: no cap): a search for the
    # smallest network that reaches a target need not spend its minutes on large ones
    max_parameters: int = 0
    # nor networks above this many multiply-adds per image (0: no cap): what a trial's minutes grow
    # with; on 2 cores a convnet that never pools takes several times as long as one that does
    max_multiply_adds: int = 0
    train_images: int = 60_000
    validation_fraction: float = 0.1
    seed: int = 0

    def problems(self) -> list[str]:
        found = [] if self.kind in KINDS else [f"unknown kind {self.kind!r} (choose {' or '.join(KINDS)})"]
        most = 6 if self.kind == "conv" else 10
        found += bounded("fewest layers", self.min_layers, 0 if self.kind == "conv" else 1, most, int)
        found += bounded("most layers", self.max_layers, max(1, self.min_layers), most, int)
        found += bounded("narrowest layer", self.min_width, 1, 4096, int)
        widest = MAX_UNITS if self.kind == "dense" else MAX_FILTERS
        found += bounded("widest layer", self.max_width, self.min_width, widest, int)
        found += bounded("epochs per trial", self.epochs, 1, 200, int)
        found += bounded("training images", self.train_images, 100, 60_000, int)
        found += bounded("parameter cap", self.max_parameters, 0, 5_000_000, int)
        found += bounded("multiply-add cap", self.max_multiply_adds, 0, 10**10, int)
        found += bounded("highest dropout", self.max_dropout, 0.0, 0.9, float)
        found += bounded("lowest learning rate", self.min_learning_rate, 1e-6, 10.0, float)
        found += bounded("highest learning rate", self.max_learning_rate, self.min_learning_rate, 10.0,
                         float)
        for name, values, allowed in (("input reductions", self.reductions, REDUCTIONS),
                                      ("activations", self.activations, ACTIVATIONS),
                                      ("optimizers", self.optimizers, OPTIMIZERS),
                                      ("batch norm", self.batch_norm, (False, True)),
                                      ("separable convolutions", self.separable, (False, True)),
                                      ("kernel sizes", self.kernel_sizes, range(1, 8)),
                                      ("batch sizes", self.batch_sizes, range(1, 60_001)),
                                      ("random shifts", self.shifts, [x / 100 for x in range(26)]),
                                      ("label smoothing", self.label_smoothing,
                                       [x / 100 for x in range(51)])):
            if not values or any(value not in allowed for value in values):
                found.append(f"{name}: choose at least one, from {', '.join(map(str, allowed))[:120]}")
        return found

    def check(self) -> SearchSpace:
        if problems := self.problems():
            raise ConfigError(problems)
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> SearchSpace:
        try:
            return cls(**raw).check()
        except TypeError as error:
            raise ConfigError([f"not a search space: {error}"]) from error


def suggest(trial, space: SearchSpace) -> TrainingConfig:
    """The trial's network and settings, drawn from `space` (not checked: it may be impossible)."""
    layers = trial.suggest_int("layers", space.min_layers, space.max_layers)
    batch_norm = trial.suggest_categorical("batch_norm", space.batch_norm)
    dropout = trial.suggest_float("dropout", 0.0, space.max_dropout) if space.max_dropout else 0.0
    reduction = trial.suggest_categorical("reduction", space.reductions)
    config = TrainingConfig(preset="search", reduction=reduction)
    if space.kind == "dense":
        activation = trial.suggest_categorical("activation", space.activations)
        config.dense = [DenseLayer(_width(trial, f"units_{i + 1}", space), activation, batch_norm,
                                   round(dropout, 2)) for i in range(layers)]
    else:
        # drawn only where the space offers it, so that older studies' trials rebuild as they were
        separable = trial.suggest_categorical("separable", space.separable) if True in space.separable \
            else False
        config.conv = _conv_layers(trial, space, layers, REDUCTIONS[reduction][0], batch_norm, separable)
        config.global_pool = trial.suggest_categorical("global_pool", [False, True])
    optimizer = trial.suggest_categorical("optimizer", space.optimizers)
    config.hyper = Hyperparameters(
        optimizer=optimizer, schedule="one-cycle",
        learning_rate=round(trial.suggest_float("learning_rate", space.min_learning_rate,
                                                space.max_learning_rate, log=True), 6),
        batch_size=trial.suggest_categorical("batch_size", space.batch_sizes),
        shift=trial.suggest_categorical("shift", space.shifts),
        label_smoothing=trial.suggest_categorical("label_smoothing", space.label_smoothing),
        epochs=space.epochs, train_images=space.train_images,
        validation_fraction=space.validation_fraction, seed=space.seed + trial.number)
    return config


def _conv_layers(trial, space: SearchSpace, layers: int, side: int, batch_norm: bool,
                 separable: bool) -> list[ConvLayer]:
    """The convolutions, each with a choice of kernel and of pooling only where the layers after it
    still have an image to work on (with the smallest kernel, unpooled). Drawn freely, most deep
    stacks shrank the image away: a benchmark made thousands of such draws, each one untrained. A
    trial that did train passed this test, so earlier
    trials rebuild as they were (exactly, with two kernel sizes to choose from)."""
    smallest = min(space.kernel_sizes)
    convolutions = []
    for i in range(layers):
        needed = 1 + (layers - i - 1) * (smallest - 1)  # the side that the layers still to come need
        filters = _width(trial, f"filters_{i + 1}", space)
        kernel = trial.suggest_categorical(f"kernel_{i + 1}", space.kernel_sizes) \
            if side - max(space.kernel_sizes) + 1 >= needed else smallest
        side -= kernel - 1
        pool = trial.suggest_categorical(f"pool_{i + 1}", [False, True]) if side // 2 >= needed else False
        side //= 2 if pool else 1
        convolutions.append(ConvLayer(filters, kernel, batch_norm, pool, separable=bool(separable and i > 0)))
    return convolutions


def _width(trial, name: str, space: SearchSpace) -> int:
    return trial.suggest_int(name, space.min_width, space.max_width, log=True)  # 4, 8, 16... equally likely


# --- storage and studies ---------------------------------------------------------------------------
def default_storage(root: Path | None = None) -> str:
    """The storage used when none is named: the environment's, else an SQLite file in the runs folder."""
    if url := os.environ.get(STORAGE_ENV):
        return url
    return f"sqlite:///{(root or runs.runs_dir()) / STORAGE_FILE}"


@functools.lru_cache(maxsize=8)
def open_storage(url: str):
    """An Optuna storage for `url`, one per process (its connection pool is shared by every thread).
    A database gets heartbeats and the retry of dead workers' trials; "journal:PATH" is Optuna's
    journal file, for a file system shared between machines (no heartbeat: no retry)."""
    optuna = optuna_module()

    if url.startswith("journal:"):
        path = url.removeprefix("journal:").removeprefix("//")
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.RDBStorage(
        url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(MAX_RETRIES))


def create_study(name: str, space: SearchSpace, storage: str):
    """A new study holding `space`; ConfigError if the name is taken or the space impossible."""
    optuna = optuna_module()

    space.check()
    name = name.strip()
    if not name or len(name) > 80:
        raise ConfigError(["a study needs a name of 1 to 80 characters"])
    if name in study_names(storage):
        raise ConfigError([f"a study named {name!r} already exists: reopen it, or choose another name"])
    study = optuna.create_study(study_name=name, storage=open_storage(storage), sampler=_sampler(space.seed),
                                directions=["maximize", "minimize"])
    study.set_metric_names(list(OBJECTIVES))
    study.set_user_attr(SPACE_ATTR, space.to_dict())
    logger.info("created study %r in %s", name, safe_url(storage))
    return study


def load_study(name: str, storage: str, seed: int | None = None):
    """An existing study; its sampler is seeded with `seed` (by default, the study's own seed)."""
    optuna = optuna_module()

    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    study.sampler = _sampler(study_space(study).seed if seed is None else seed)
    return study


def _sampler(seed: int):
    optuna = optuna_module()

    class TrainedNetworksSampler(optuna.samplers.BaseSampler):
        """Optuna's TPE, counting trained networks only: random draws until STARTUP_TRAINED have
        trained, then TPE with its good group a tenth of them. TPE's own counts take in every draw:
        its start-up began from one trained network when the first draws were over the caps, and
        with 300 draws over the caps its good group (a tenth of all trials) held every trained
        network, so that it learned only to stay under the caps and drew one small network again
        and again (a convnet benchmark, trials 310-323)."""

        def __init__(self):
            self.random = optuna.samplers.RandomSampler(seed=seed)
            # constant_liar: trials running elsewhere count as bad guesses, so workers spread out
            self.tpe = optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=0,
                                                  gamma=self.good_group_size)
            self.trained = 0  # networks trained in the study when the current trial began
            self.chosen = {}  # trial number: the sampler that draws it, chosen once per trial

        def good_group_size(self, trials: int) -> int:
            """How many of the trials TPE models it takes as good ones: a tenth of the trained."""
            return max(1, math.ceil(0.1 * min(self.trained, trials)))

        def before_trial(self, study, trial):
            self.trained = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
            self.chosen[trial.number] = self.tpe if self.trained >= STARTUP_TRAINED else self.random
            self.chosen[trial.number].before_trial(study, trial)

        def infer_relative_search_space(self, study, trial):
            return self.chosen.get(trial.number, self.random).infer_relative_search_space(study, trial)

        def sample_relative(self, study, trial, search_space):
            return self.chosen.get(trial.number, self.random).sample_relative(study, trial, search_space)

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self.chosen.get(trial.number, self.random).sample_independent(
                study, trial, param_name, param_distribution)

        def after_trial(self, study, trial, state, values):
            self.chosen.pop(trial.number, self.random).after_trial(study, trial, state, values)

        def reseed_rng(self):
            self.random.reseed_rng()
            self.tpe.reseed_rng()

    return TrainedNetworksSampler()


def study_space(study) -> SearchSpace:
    return SearchSpace.from_dict(study.user_attrs[SPACE_ATTR])


def study_names(storage: str) -> list[str]:
    optuna = optuna_module()

    return [summary.study_name for summary in optuna.get_all_study_summaries(open_storage(storage))]


def safe_url(url: str) -> str:
    """The URL without its password, for logs and pages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


# --- running trials ----------------------------------------------------------------------------------
def run_trial(trial, queue: LocalTrainings, owner: str, stop: threading.Event) -> tuple[float, int]:
    """Train the trial's network through `queue`, as a run; its (validation accuracy, parameters)."""
    study_name = trial.study.study_name
    space = study_space(trial.study)
    config = suggest(trial, space)
    trial.set_user_attr("architecture", config.describe())
    reason, violation = why_not_trained(config, space)
    if reason:
        trial.set_user_attr("outcome", reason)
        # pruned and infeasible (by how far over the caps), so that Optuna's TPE sampler ranks it
        # behind every result. Plain pruned trials it counts among its good ones while few trials
        # have completed (a search then drew the same few networks again); failed ones it leaves
        # out of its model, and then draws over the cap for ever.
        trial.set_constraint("not trained", violation)
        raise optuna_module().TrialPruned(reason)
    name, tag = f"{study_name} #{trial.number}", f"{runs.SEARCH_TAG}{study_name}:{trial.number}"
    while True:  # the queue is shared: wait for room, like anyone else
        try:
            job = queue.submit(config, name=name, owner=owner, tag=tag)
            break
        except Refused:
            if stop.wait(5):
                trial.set_user_attr("outcome", "stopped before it was queued")
                raise TrialFailed("stopped before it was queued") from None
    while not job.done.wait(POLL_SECONDS):
        if stop.is_set():
            job.stop()
    progress = job.progress()
    trial.set_user_attr("outcome", progress.status)
    trial.set_user_attr("message", progress.message)
    if progress.status != "finished":
        raise TrialFailed(f"trial {trial.number} {progress.status}: {progress.message}")
    run = runs.get_run(progress.run_id, queue.root)
    record = run.record
    trial.set_user_attr("run_id", run.id)
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("runs_folder", str(run.folder.parent))
    trial.set_user_attr("test_accuracy", record["test_accuracy"])
    trial.set_user_attr("training_seconds", round(record["training_seconds"], 1))
    trial.set_user_attr("parameters", record["parameters"])
    return record["validation_accuracy"], record["trainable_parameters"]


def why_not_trained(config: TrainingConfig, space: SearchSpace) -> tuple[str, float]:
    """Why a drawn network is not trained (impossible, or over a cap of the space), or '', and how
    far it is from one that would be: its largest excess over a cap as a share of it (1 for an
    impossible network, 0 for one that is trained)."""
    if problems := config.problems():  # e.g. convolutions that shrink the image to nothing
        return "impossible: " + "; ".join(problems), 1.0
    caps = [(space.max_parameters, config.parameter_count(trainable_only=True), "parameters"),
            (space.max_multiply_adds, config.multiply_adds(), "multiply-adds per image")]
    over = [(amount / cap - 1, f"not trained: {amount:,} {what}, over the cap of {cap:,}")
            for cap, amount, what in caps if cap and amount > cap]
    if not over:
        return "", 0.0
    reason = over[0][1]  # the parameter cap is said first, as before
    return reason, max(max(share for share, _ in over), 1e-6)


def trial_config(study, trial) -> TrainingConfig:
    """The network and settings a trial trained, rebuilt from its parameters (exactly: the space is
    the study's, the draw is the trial's)."""
    optuna = optuna_module()

    return suggest(optuna.trial.FixedTrial(trial.params, number=trial.number), study_space(study))


class BackgroundSearch:
    """A study worked on by a thread of this server, through its training queue, until its budget is
    spent or `stop` is called (which also stops the trial in training, saved as "stopped")."""

    def __init__(self, study_name: str, storage: str, queue: LocalTrainings, owner: str,
                 trials: int | None, minutes: float | None):
        self.study_name, self.storage, self.owner = study_name, storage, owner
        self.trials, self.minutes = trials, minutes
        self.started = time.time()
        self.error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(queue,), daemon=True,
                                        name=f"search-{study_name}")
        self._thread.start()

    def _work(self, queue: LocalTrainings) -> None:
        try:
            work(load_study(self.study_name, self.storage), queue, self.owner, self.trials, self.minutes,
                 self._stop)
        except Exception as error:  # the page says it; the server lives on
            logger.exception("search %r failed", self.study_name)
            self.error = f"{type(error).__name__}: {error}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() and self.running

    def stop(self) -> None:
        self._stop.set()


def trials_used(study) -> tuple[int, int]:
    """(trials that used up the budget, trials running now): results, trials that diverged or
    failed in training, and running ones count; a dead worker's trial (retried) and a draw that was
    not trained (impossible, over a cap) do not."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    used = sum(1 for t in trials if t.state == TrialState.COMPLETE
               or (t.state == TrialState.FAIL and "outcome" in t.user_attrs))
    running = sum(1 for t in trials if t.state == TrialState.RUNNING)
    return used, running


def work(study, queue: LocalTrainings, owner: str = TERMINAL, trials: int | None = None,
         minutes: float | None = None, stop: threading.Event | None = None) -> int:
    """Run trials of `study` until `trials` count in the study (from every worker), `minutes` have
    passed, or `stop` is set; returns how many this worker ran. A trial running at the deadline
    finishes. With a trial budget, the worker waits for other workers' running trials: one whose
    worker died comes back as a retry, which this worker then runs."""
    optuna = optuna_module()

    stop = stop or threading.Event()
    deadline = time.time() + minutes * 60 if minutes else math.inf
    attempts = 0  # impossible or capped networks cost nothing but could loop forever: bounded
    untrained_in_a_row = 0

    def objective(trial):
        nonlocal untrained_in_a_row
        try:
            values = run_trial(trial, queue, owner, stop)
        except optuna.TrialPruned:
            untrained_in_a_row += 1
            raise
        except TrialFailed:
            untrained_in_a_row = 0
            raise
        untrained_in_a_row = 0
        return values

    while not stop.is_set() and time.time() < deadline and attempts < 50 * (trials or 1000) + 100:
        optuna.storages.fail_stale_trials(study)  # a no-op on storages without heartbeats
        used, running = trials_used(study)
        waiting = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))
        if trials is not None and used + running >= trials and not waiting:
            if not running:
                break
            stop.wait(min(HEARTBEAT_SECONDS, 2))  # another worker's trial: finishing, or dying
            continue
        study.optimize(objective, n_trials=1, catch=(TrialFailed,))
        attempts += 1
        if untrained_in_a_row >= MAX_UNTRAINED_IN_A_ROW:
            raise SearchStalled(f"the last {untrained_in_a_row} networks drawn were impossible or over a "
                                "cap, none trained: widen the space (fewer layers, less pooling) or raise "
                                "the caps")
    return attempts


# --- reading results ---------------------------------------------------------------------------------
def trial_rows(study) -> list[dict]:
    """One row per trial, oldest first: what the page's table and the CLI show."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        state = trial.state.name.lower()
        rows.append({
            "trial": trial.number,
            "state": attrs.get("outcome", state) if state != "complete" else "result",
            "architecture": attrs.get("architecture", ""),
            "trainable parameters": trial.values[1] if trial.values else None,
            "validation accuracy": trial.values[0] if trial.values else None,
            "test accuracy": attrs.get("test_accuracy"),
            "seconds": attrs.get("training_seconds"),
            "retry of": trial.system_attrs.get("failed_trial"),  # set by the retry callback
            "run": attrs.get("run_id"),
            "host": attrs.get("host"),
            "runs folder": attrs.get("runs_folder"),
            "params": dict(trial.params),
        })
    return rows


def pareto_front(study) -> list:
    """The completed trials no other trial beats on both accuracy and size, smallest first."""
    return sorted(study.best_trials, key=lambda t: (t.values[1], -t.values[0]))


def smallest_reaching(study, test_accuracy: float):
    """The completed trial with the fewest parameters whose test accuracy is at least the target,
    or None. Every completed trial is considered, the front's and the others'."""
    from optuna.trial import TrialState

    reaching = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.user_attrs.get("test_accuracy", 0) >= test_accuracy]
    return min(reaching, key=lambda t: (t.values[1], -t.values[0]), default=None)


# --- the command line ----------------------------------------------------------------------------------
YES_NO_BOTH = {"no": [False], "yes": [True], "both": [False, True]}


def main(argv: list[str] | None = None) -> int:
    from core.data import MnistUnavailable, load_mnist

    parser = argparse.ArgumentParser(prog="python -m core.search", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="create a study and work on it")
    start.add_argument("--kind", choices=list(KINDS), default="dense")
    for flag, default in (("min-layers", 1), ("max-layers", 4), ("min-width", 4), ("max-width", None),
                          ("epochs", 5), ("train-images", 60_000), ("seed", 0)):
        start.add_argument(f"--{flag}", type=int, default=default)
    start.add_argument("--reductions", default=",".join(REDUCTIONS))
    start.add_argument("--batch-norm", choices=list(YES_NO_BOTH), default="both")
    start.add_argument("--separable", choices=list(YES_NO_BOTH), default="no",
                       help="depthwise separable convolutions after the first (conv only)")
    start.add_argument("--max-parameters", type=int, default=0,
                       help="networks larger than this are not trained (0: no cap)")
    start.add_argument("--max-multiply-adds", type=int, default=0,
                       help="nor networks costing more multiply-adds per image (0: no cap)")
    start.add_argument("--max-dropout", type=float, default=0.3)
    start.add_argument("--validation-fraction", type=float, default=0.1)
    worker = commands.add_parser("worker", help="join an existing study (from any machine)")
    worker.add_argument("--seed", type=int, default=None, help="the sampler's seed (default: from the pid)")
    show = commands.add_parser("show", help="a study's trials and front")
    listing = commands.add_parser("list", help="the studies in a storage")
    for command in (start, worker, show, listing):
        command.add_argument("--storage", default=None, help=f"Optuna storage URL (default: ${STORAGE_ENV} "
                             f"or sqlite in the runs folder)")
    for command in (start, worker, show):
        command.add_argument("--study", required=True)
    for command in (start, worker):
        command.add_argument("--trials", type=int, default=None, help="stop once the study has this many")
        command.add_argument("--minutes", type=float, default=None, help="stop starting trials after this")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    storage = args.storage or default_storage()
    try:
        if args.command == "list":
            for name in study_names(storage):
                print(name)
            return 0
        if args.command == "start":
            space = SearchSpace(kind=args.kind, min_layers=args.min_layers, max_layers=args.max_layers,
                                min_width=args.min_width, epochs=args.epochs,
                                max_width=args.max_width or (512 if args.kind == "dense" else 32),
                                train_images=args.train_images, seed=args.seed,
                                reductions=args.reductions.split(","), max_dropout=args.max_dropout,
                                validation_fraction=args.validation_fraction,
                                batch_norm=YES_NO_BOTH[args.batch_norm],
                                separable=YES_NO_BOTH[args.separable], max_parameters=args.max_parameters,
                                max_multiply_adds=args.max_multiply_adds)
            study = create_study(args.study, space, storage)
        else:
            study = load_study(args.study, storage,
                               seed=(args.seed if args.seed is not None else os.getpid())
                               if args.command == "worker" else None)
    except (ConfigError, KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command in ("start", "worker"):
        try:
            data = load_mnist()
        except MnistUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        queue = LocalTrainings(data)
        try:
            done = work(study, queue, trials=args.trials, minutes=args.minutes)
        except SearchStalled as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        logger.info("this worker ran %d trial(s)", done)
    _print_study(study)
    return 0


def _print_study(study) -> None:
    for row in trial_rows(study):
        accuracy = f"{row['validation accuracy']:.2%}" if row["validation accuracy"] is not None else "-"
        size = row["trainable parameters"] or "-"
        print(f"#{row['trial']:<4} {row['state']:<12} {accuracy:>7}  {size:>9}  {row['architecture']}  "
              f"{row['run'] or ''}")
    front = pareto_front(study)
    print("front:", ", ".join(f"#{t.number} ({t.values[0]:.2%}, {t.values[1]:,.0f})" for t in front))


if __name__ == "__main__":
    sys.exit(main())
