"""The one place where the dashboard reaches into Streamlit's private code, and why.

After every script run, fragment reruns included, Streamlit calls keras.backend.clear_session()
(`script_runner._clean_problem_modules`), which empties TensorFlow's kernel cache and runs a full
garbage collection. With a training in a worker thread and its live view redrawn every second, that
made epochs 2-4x slower; and models here deliberately outlive script runs (the training queue, the
cached models). So the hook is switched off. It is private: a Streamlit upgrade may rename or change
it, so the version it was checked against is named here, and tests/test_compat.py fails if the hook
is no longer what this module expects.
"""

from __future__ import annotations

import inspect
import logging

import streamlit
from streamlit.runtime.scriptrunner import script_runner

logger = logging.getLogger(__name__)

CHECKED_WITH = "1.67."  # the Streamlit release line this hook was read in
HOOK = "_clean_problem_modules"
# How Streamlit calls it after each run: if this line disappears, the hook moved or changed.
CALL_SITE = f"_log_if_error({HOOK})"
ORIGINAL = getattr(script_runner, HOOK, None)


def hook_is_as_expected() -> bool:
    return ORIGINAL is not None and CALL_SITE in inspect.getsource(script_runner)


def keep_keras_state_between_runs() -> None:
    """Switch Streamlit's after-run keras reset off, or log why it could not be."""
    if not streamlit.__version__.startswith(CHECKED_WITH):
        logger.warning("Streamlit %s: the keras-reset hook was checked with %sx; see dashboard/compat.py",
                       streamlit.__version__, CHECKED_WITH)
    if not hook_is_as_expected():
        logger.warning("Streamlit's %s hook is not where it was: live training may run slower", HOOK)
        return
    setattr(script_runner, HOOK, _keep_keras_state)


def _keep_keras_state() -> None:
    """Replaces Streamlit's hook: nothing to clean, the models are meant to live on."""
