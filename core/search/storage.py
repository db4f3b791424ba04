"""Where studies live: an Optuna storage (SQLite in the runs folder by default, or any URL), with
heartbeats so that a dead worker's trial is failed and retried by another.

Optuna is imported here, when a search is first used: it is heavy, and the dashboard's other pages
never need it.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from pathlib import Path

import optuna

from core import runs
from core.architecture import ConfigError
from core.search.sampler import TrainedNetworksSampler
from core.search.space import SearchSpace

logger = logging.getLogger(__name__)

# The heartbeat, retry and metric-name features used here are marked experimental, which Optuna says
# at every use (said once, in the README); TPE's gamma, which the sampler sets, is to go in Optuna 6.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", message="`gamma` has been deprecated", category=FutureWarning)

STORAGE_ENV = "MNIST_EXPLORER_SEARCH_STORAGE"
STORAGE_FILE = "search.sqlite3"
SPACE_ATTR = "space"
OWNER_ATTR = "owner"  # the session that made it, if the dashboard did
OBJECTIVES = ("validation accuracy", "trainable parameters")
# A worker's running trial sends a heartbeat this often; one silent for GRACE_SECONDS is taken as
# dead: failed, and a copy queued (at most MAX_RETRIES times for the same trial).
HEARTBEAT_SECONDS = int(os.environ.get("MNIST_EXPLORER_SEARCH_HEARTBEAT", "10"))
GRACE_SECONDS = int(os.environ.get("MNIST_EXPLORER_SEARCH_GRACE", "60"))
MAX_RETRIES = 2


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
    if url.startswith("journal:"):
        path = url.removeprefix("journal:").removeprefix("//")
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.RDBStorage(
        url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(MAX_RETRIES))


def create_study(name: str, space: SearchSpace, storage: str, owner: str = ""):
    """A new study holding `space` (and who made it); ConfigError if the name is taken or the space
    impossible."""
    space.check()
    name = name.strip()
    if not name or len(name) > 80:
        raise ConfigError(["a study needs a name of 1 to 80 characters"])
    if name in study_names(storage):
        raise ConfigError([f"a study named {name!r} already exists: reopen it, or choose another name"])
    study = optuna.create_study(study_name=name, storage=open_storage(storage),
                                sampler=TrainedNetworksSampler(space.seed),
                                directions=["maximize", "minimize"])
    study.set_metric_names(list(OBJECTIVES))
    study.set_user_attr(SPACE_ATTR, space.to_dict())
    study.set_user_attr(OWNER_ATTR, owner)
    logger.info("created study %r in %s", name, safe_url(storage))
    return study


def load_study(name: str, storage: str, seed: int | None = None):
    """An existing study; its sampler is seeded with `seed` (by default, the study's own seed moved on
    by its trials so far: with the study's seed alone, a study reopened would draw again the very
    networks it drew when it was opened before)."""
    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    seed = study_space(study).seed + len(study.get_trials(deepcopy=False)) if seed is None else seed
    study.sampler = TrainedNetworksSampler(seed)
    return study


def study_space(study) -> SearchSpace:
    return SearchSpace.from_dict(study.user_attrs[SPACE_ATTR])


def study_names(storage: str) -> list[str]:
    return list(study_owners(storage))


def study_owners(storage: str) -> dict[str, str]:
    """Every study's name, oldest first, with who made it ('' if not recorded)."""
    return {summary.study_name: str(summary.user_attrs.get(OWNER_ATTR, ""))
            for summary in optuna.get_all_study_summaries(open_storage(storage))}


def safe_url(url: str) -> str:
    """The URL without its password, for logs and pages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
