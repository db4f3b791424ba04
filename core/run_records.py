"""What a run's record (its run.json) may hold, checked field by field: a record is data from disk,
anything may have been written into it. And what a run was trained for, in words, from its tag."""

from __future__ import annotations

from core.architecture import ConfigError, TrainingConfig
from core.status import SAVED, USABLE

# What a run was trained for, in its record's "tag" (untagged: someone's own training)
SEARCH_TAG = "search:"  # followed by "STUDY:TRIAL"
DEFAULT_NETWORK_TAG = "draw-default"  # the Draw page's one-click network, shared by every visitor


def trained_for(record: dict) -> str:
    """What a run was trained for, in words: a trial of a search, the Draw page's default network,
    a fold of a cross-validation, or '' for someone's own training."""
    tag = record.get("tag") or ""
    if tag.startswith(SEARCH_TAG):
        study, _, trial = tag.removeprefix(SEARCH_TAG).rpartition(":")
        return f"trial {trial} of the search {study!r}"
    if tag == DEFAULT_NETWORK_TAG:
        return "the Draw page's default network"
    hyper = record.get("config", {}).get("hyper", {})
    if isinstance(hyper.get("folds"), int) and hyper["folds"] >= 2:
        return f"fold {hyper.get('fold', 0) + 1} of {hyper['folds']} of a cross-validation (label audit)"
    return tag


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_list(value) -> bool:
    return isinstance(value, list) and all(_is_number(v) for v in value)


# field: (test, what it must be). A record is data from disk: anything may have been written into it.
_OPTIONAL_FIELDS = {
    "description": (lambda v: isinstance(v, str), "a text"),
    "owner": (lambda v: isinstance(v, str), "a text"),
    "message": (lambda v: isinstance(v, str), "a text"),
    "dataset": (lambda v: isinstance(v, str), "a text"),
    "created": (lambda v: isinstance(v, str), "a text"),
    "parameters": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
                   "a positive whole number"),
    "trainable_parameters": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
                             "a positive whole number"),
    "tag": (lambda v: isinstance(v, str), "a text"),  # what it was trained for, e.g. "search:NAME:3"
    "epochs_run": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                   "a whole number >= 0"),
    "epochs_saved": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                     "a whole number >= 0"),
    "train_size": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
                   "a positive whole number"),
    "validation_size": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
                        "a positive whole number"),
    "validation_accuracy": (lambda v: v is None or (_is_number(v) and 0 <= v <= 1),
                            "a number between 0 and 1"),
    "test_accuracy": (lambda v: v is None or (_is_number(v) and 0 <= v <= 1), "a number between 0 and 1"),
    "training_seconds": (lambda v: _is_number(v) and v >= 0, "a number of seconds"),
    "epoch_seconds": (_number_list, "a list of numbers"),
    "started_at": (lambda v: v is None or _is_number(v), "a time"),
    "finished_at": (_is_number, "a time"),
    "partial_epoch": (lambda v: v is None or isinstance(v, dict), "an object"),
    "early_stopping": (lambda v: v is None or isinstance(v, dict), "an object"),
    "diverged": (lambda v: v is None or isinstance(v, dict), "an object"),
    "stop_reason": (lambda v: v is None or isinstance(v, str), "a text"),
    "tested_after_choice": (lambda v: isinstance(v, str), "a text"),  # why a search trial was tested
}


def record_problems(record) -> list[str]:
    """Everything wrong with a run.json's content, in words; empty when every field is sound."""
    if not isinstance(record, dict):
        return [f"expected an object, got {type(record).__name__}"]
    found = []
    if record.get("status") not in SAVED:
        found.append(f"status {record.get('status')!r} is not one of {', '.join(SAVED)}")
    if not isinstance(record.get("name"), str):
        found.append(f"name must be a text, got {record.get('name')!r}")
    try:
        TrainingConfig.from_dict(record.get("config"))
    except ConfigError as error:
        found.append(f"config: {error}")
    history = record.get("history")
    if not (isinstance(history, dict) and all(isinstance(k, str) and _number_list(v)
                                              for k, v in history.items())):
        found.append("history must map metric names to lists of numbers")
    for key, (valid, what) in _OPTIONAL_FIELDS.items():
        if key in record and not valid(record[key]):
            found.append(f"{key} must be {what}, got {record[key]!r}"[:200])
    if record.get("status") in USABLE:
        # a search trial reads the test set only once a search chose it (core.search.test_chosen)
        untested = str(record.get("tag") or "").startswith(SEARCH_TAG) and record.get("test_accuracy") is None
        for key in ("validation_accuracy", *(() if untested else ("test_accuracy",))):
            if key in record and not _is_number(record[key]):
                found.append(f"a {record['status']} run needs a {key}")
    return found
