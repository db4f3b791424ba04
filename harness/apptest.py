"""Pages under streamlit.testing's AppTest: a browser session of the real app, run in this process."""

from __future__ import annotations

from pathlib import Path

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def open_page(name: str, timeout: float = 120, token: str | None = None, **session_state):
    """A new browser session (AppTest) on page `name`, with `session_state` set first; with `token`,
    the same browser again (its cookie's owner token). The page must run without an exception."""
    from streamlit.testing.v1 import AppTest

    from dashboard import session

    app = AppTest.from_file(APP, default_timeout=timeout)
    if token:
        app.session_state[session.OWNER_TOKEN] = token
    for key, value in session_state.items():
        app.session_state[key] = value
    app.run()
    if name != "start":  # the first page
        app.switch_page(f"views/{name}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def owner_of(app) -> str:
    """The owner id a session's pages compute (the hash of its token), as jobs and runs record it."""
    import hashlib

    return "session-" + hashlib.sha256(app.session_state["owner_token"].encode()).hexdigest()[:16]
