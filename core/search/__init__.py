"""Architecture search: which networks are the most accurate for their size?

An Optuna multi-objective study (maximise validation accuracy, minimise trainable parameters) whose
every trial is a normal training: submitted to the server's trainings like any other, saved as a run
tagged "search:<study>:<trial>", so it can be evaluated, inspected and drawn on.

The study lives in an Optuna storage: an SQLite file in the runs folder by default, or any URL
(PostgreSQL, MySQL, an Optuna journal file) given by `--storage` or MNIST_EXPLORER_SEARCH_STORAGE.
Then `python -m core.search worker --study NAME --storage URL` on any number of machines joins the
same study; this is Optuna's own distributed mode. The search space travels in the study's user
attributes, so a worker needs nothing but the study's name and storage. A worker that dies mid-trial
stops sending heartbeats; after a grace period another worker marks that trial failed and runs a
copy of it (Optuna's RetryHeartbeatStaleTrialCallback), so no trial is lost or counted twice.

    space      what a study may draw, and why a drawn network is not trained
    sampler    Optuna's TPE, counting trained networks only
    storage    storage URLs, studies, heartbeats
    worker     a trial as a training; a worker's loop; a search in a thread of the server
    results    the trials as rows, the Pareto front, the smallest network reaching a target on
               validation, and its one reading of the test set
    __main__   the command line (python -m core.search)
"""

from core.search.results import pareto_front, smallest_reaching, test_chosen, tested, trial_config, trial_rows
from core.search.sampler import STARTUP_TRAINED, TrainedNetworksSampler
from core.search.space import HOLDOUT_IMAGES, KINDS, ROTATIONS, SearchSpace, suggest, why_not_trained
from core.search.storage import (
    GRACE_SECONDS,
    HEARTBEAT_SECONDS,
    MAX_RETRIES,
    OBJECTIVES,
    SPACE_ATTR,
    STORAGE_ENV,
    STORAGE_FILE,
    create_study,
    default_storage,
    load_study,
    open_storage,
    safe_url,
    study_names,
    study_owners,
    study_space,
)
from core.search.worker import (
    MAX_UNTRAINED_IN_A_ROW,
    BackgroundSearch,
    SearchStalled,
    TrialFailed,
    run_trial,
    trials_used,
    work,
)

__all__ = [
    "pareto_front", "smallest_reaching", "test_chosen", "tested", "trial_config", "trial_rows",
    "STARTUP_TRAINED", "TrainedNetworksSampler", "HOLDOUT_IMAGES", "KINDS", "ROTATIONS",
    "SearchSpace", "suggest",
    "why_not_trained", "GRACE_SECONDS", "HEARTBEAT_SECONDS", "MAX_RETRIES", "OBJECTIVES", "SPACE_ATTR",
    "STORAGE_ENV", "STORAGE_FILE", "create_study", "default_storage", "load_study", "open_storage",
    "safe_url", "study_names", "study_owners", "study_space", "MAX_UNTRAINED_IN_A_ROW",
    "BackgroundSearch", "SearchStalled", "TrialFailed", "run_trial", "trials_used", "work",
]
