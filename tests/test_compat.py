"""The one private Streamlit hook the dashboard replaces (dashboard/compat.py): still there, still the
keras reset, and really switched off."""

import keras
import streamlit
from streamlit.runtime.scriptrunner import script_runner

from dashboard import compat


def test_the_hook_is_where_and_what_compat_expects(monkeypatch):
    assert streamlit.__version__.startswith(compat.CHECKED_WITH)
    assert compat.hook_is_as_expected()
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: calls.append("cleared"))
    compat.ORIGINAL()  # Streamlit's own hook does reset keras: that is what must be switched off
    assert calls == ["cleared"]


def test_after_the_switch_streamlit_no_longer_resets_keras(monkeypatch):
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: calls.append("cleared"))
    monkeypatch.setattr(script_runner, compat.HOOK, compat.ORIGINAL)
    compat.keep_keras_state_between_runs()
    getattr(script_runner, compat.HOOK)()  # what Streamlit calls after every script run
    assert calls == []


def test_a_changed_streamlit_is_logged_not_fatal(monkeypatch, caplog):
    monkeypatch.setattr(script_runner, compat.HOOK, compat.ORIGINAL)
    monkeypatch.setattr(compat, "CALL_SITE", "a call Streamlit no longer makes")
    compat.keep_keras_state_between_runs()
    assert getattr(script_runner, compat.HOOK) is compat.ORIGINAL
    assert "not where it was" in caplog.text
