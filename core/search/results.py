"""Reading a study's results: its trials as rows, the Pareto front, the smallest network that
reaches a test accuracy, and the network a trial trained."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from core.architecture import TrainingConfig
from core.search.space import suggest
from core.search.storage import study_space


def trial_config(study, trial) -> TrainingConfig:
    """The network and settings a trial trained, rebuilt from its parameters (exactly: the space is
    the study's, the draw is the trial's)."""
    return suggest(optuna.trial.FixedTrial(trial.params, number=trial.number), study_space(study))


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


def smallest_reaching(study, accuracy: float,
                      accuracy_of=lambda trial: trial.user_attrs.get("test_accuracy")):
    """The completed trial with the fewest parameters whose accuracy (test by default; as
    `accuracy_of` reports it: the page chooses on validation) is at least `accuracy`, or None. Every
    completed trial is considered, the front's and the others'."""
    reaching = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if (accuracy_of(t) or 0) >= accuracy]
    return min(reaching, key=lambda t: (t.values[1], -t.values[0]), default=None)
