"""The search's sampler: Optuna's TPE, counting trained networks only."""

from __future__ import annotations

import math

import optuna

STARTUP_TRAINED = 10  # networks trained from random draws before the TPE sampler models them


class TrainedNetworksSampler(optuna.samplers.BaseSampler):
    """Random draws until STARTUP_TRAINED networks have trained, then TPE with its good group a
    tenth of the trained ones. TPE's own counts take in every trial, the draws that were not trained
    (over a cap, impossible) too: under tight caps its start-up would end with hardly a network
    trained, and its good group, a tenth of all trials, would hold every trained network, so that it
    learned only to stay under the caps."""

    def __init__(self, seed: int):
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
