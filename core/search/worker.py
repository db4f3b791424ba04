"""Working on a study: each trial a normal training, through the server's trainings like anyone's,
saved as a run tagged with the study and trial; a worker's loop; a search in a thread of the server."""

from __future__ import annotations

import logging
import math
import socket
import threading
import time

import optuna

from core import run_records, runs
from core.jobs import TERMINAL, Refused
from core.search.space import suggest, why_not_trained
from core.search.storage import HEARTBEAT_SECONDS, load_study, study_space
from core.status import Status
from core.trainings import Trainings

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# a worker gives up after this many draws in a row that could not be trained (each costs a fraction
# of a second; without a limit a search over an all but impossible space would draw for its hours)
MAX_UNTRAINED_IN_A_ROW = 1000


class TrialFailed(Exception):
    """A trial that trained but gave no result (diverged, stopped, failed): recorded, never a point."""


class SearchStalled(Exception):
    """Draw after draw was not trained: the space (with its caps) is all but impossible."""


def run_trial(trial, trainings: Trainings, owner: str, stop: threading.Event) -> tuple[float, int]:
    """Train the trial's network through `trainings`, as a run; its (validation accuracy, parameters)."""
    study_name = trial.study.study_name
    space = study_space(trial.study)
    config = suggest(trial, space)
    trial.set_user_attr("architecture", config.describe())
    reason, violation = why_not_trained(config, space)
    if reason:
        trial.set_user_attr("outcome", reason)
        # pruned and infeasible (by how far over the caps), so that Optuna's TPE sampler ranks it
        # behind every result: plain pruned trials it would count among its good ones while few
        # trials have completed, and failed ones it leaves out of its model (it would then draw
        # over the cap for ever).
        trial.set_constraint("not trained", violation)
        raise optuna.TrialPruned(reason)
    name, tag = f"{study_name} #{trial.number}", f"{run_records.SEARCH_TAG}{study_name}:{trial.number}"
    while True:  # the server's trainings are shared: wait for room, like anyone else
        try:
            job = trainings.submit(config, name=name, owner=owner, tag=tag)
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
    if progress.status != Status.FINISHED:
        raise TrialFailed(f"trial {trial.number} {progress.status}: {progress.message}")
    run = runs.get_run(progress.run_id, trainings.root)
    record = run.record
    trial.set_user_attr("run_id", run.id)
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("runs_folder", str(run.folder.parent))
    trial.set_user_attr("training_seconds", round(record["training_seconds"], 1))
    trial.set_user_attr("parameters", record["parameters"])
    return record["validation_accuracy"], record["trainable_parameters"]


class BackgroundSearch:
    """A study worked on by a thread of this server, through its trainings, until its budget is
    spent or `stop` is called (which also stops the trial in training, saved as "stopped")."""

    def __init__(self, study_name: str, storage: str, trainings: Trainings, owner: str,
                 trials: int | None, minutes: float | None):
        self.study_name, self.storage, self.owner = study_name, storage, owner
        self.trials, self.minutes = trials, minutes
        self.started = time.time()
        self.error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(trainings,), daemon=True,
                                        name=f"search-{study_name}")
        self._thread.start()

    def _work(self, trainings: Trainings) -> None:
        try:
            work(load_study(self.study_name, self.storage), trainings, self.owner, self.trials, self.minutes,
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


def work(study, trainings: Trainings, owner: str = TERMINAL, trials: int | None = None,
         minutes: float | None = None, stop: threading.Event | None = None) -> int:
    """Run trials of `study` until `trials` count in the study (from every worker), `minutes` have
    passed, or `stop` is set; returns how many this worker ran. A trial running at the deadline
    finishes. With a trial budget, the worker waits for other workers' running trials: one whose
    worker died comes back as a retry, which this worker then runs."""
    stop = stop or threading.Event()
    deadline = time.time() + minutes * 60 if minutes else math.inf
    attempts = 0  # impossible or capped networks cost nothing but could loop forever: bounded
    untrained_in_a_row = 0

    def objective(trial):
        nonlocal untrained_in_a_row
        try:
            values = run_trial(trial, trainings, owner, stop)
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
