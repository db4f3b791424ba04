"""Reading a study's results: its trials as rows, the Pareto front, the smallest network that
reaches a validation accuracy, the network a trial trained, and the one reading of the test set, for
the network chosen."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from core.architecture import TrainingConfig
from core.search.space import suggest
from core.search.storage import study_space

# in the study's user attributes, one per trial chosen and tested ("tested:12"): its test accuracy
TESTED_PREFIX = "tested:"


def trial_config(study, trial) -> TrainingConfig:
    """The network and settings a trial trained, rebuilt from its parameters (exactly: the space is
    the study's, the draw is the trial's)."""
    return suggest(optuna.trial.FixedTrial(trial.params, number=trial.number), study_space(study))


def trial_rows(study) -> list[dict]:
    """One row per trial, oldest first: what the page's table and the CLI show."""
    rows, scores = [], tested(study)
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        state = trial.state.name.lower()
        rows.append({
            "trial": trial.number,
            "state": attrs.get("outcome", state) if state != "complete" else "result",
            "architecture": attrs.get("architecture", ""),
            "trainable parameters": trial.values[1] if trial.values else None,
            "validation accuracy": trial.values[0] if trial.values else None,
            "test accuracy": scores.get(str(trial.number)),  # only once chosen and tested
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


def smallest_reaching(study, accuracy: float):
    """The completed trial with the fewest parameters whose validation accuracy is at least
    `accuracy`, or None. Every completed trial is considered, the front's and the others'; the test
    set plays no part (see `test_chosen`)."""
    reaching = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.values[0] >= accuracy]
    return min(reaching, key=lambda t: (t.values[1], -t.values[0]), default=None)


def test_chosen(study, trial, data, root=None) -> float:
    """Read the test set for the network a study chose on validation: its run keeps its answers and
    test accuracy (said to be read after the choice), and the trial keeps the accuracy. Trials never
    read the test set while the study runs, so this is the first and only reading for it."""
    from core import runs, training

    run = runs.get_run(trial.user_attrs["run_id"], root)
    answers = training.test_answers(runs.load_model(run), data.x_test)
    run = runs.record_test(run, answers, data.y_test, tested_after_choice=(
        f"chosen in study {study.study_name!r} on validation accuracy "
        f"({trial.values[0]:.2%} on its {run.record.get('validation_size', 0):,} holdout images)"))
    study.set_user_attr(f"{TESTED_PREFIX}{trial.number}", run.record["test_accuracy"])
    return run.record["test_accuracy"]


def tested(study) -> dict[str, float]:
    """The test accuracy of each trial that was chosen and tested, by trial number (as text)."""
    return {name.removeprefix(TESTED_PREFIX): accuracy for name, accuracy in study.user_attrs.items()
            if name.startswith(TESTED_PREFIX)}
