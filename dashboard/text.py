"""User text (run names) shown safely: as text, never as markup.

Streamlit renders Markdown (and its own directives such as :red[...]) in titles, labels and
st.markdown; plotly renders HTML tags in legends and titles. A run named "<b>x</b>" or "**x**"
must show exactly that.
"""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def for_markdown(text: str) -> str:
    """Backslash-escape every character Markdown or Streamlit's directives could act on."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def for_plotly(text: str) -> str:
    """Escape HTML, which plotly renders in legend entries, titles and hover labels."""
    return html.escape(str(text), quote=False)


# An absolute file path, not the path of a URL (those follow "scheme://host").
_PATH = re.compile(r"(?<![\w:/.~-])(?:~|/[^\s/'\"`,;()\[\]{}<>]+)(?:/[^\s/'\"`,;()\[\]{}<>]+)*/?")


def without_paths(text: str) -> str:
    """`text` with every absolute path on the server cut to its last part (a file's name): where
    the server keeps runs, caches and code is no visitor's business. The full text is logged."""
    return _PATH.sub(lambda found: found.group().rstrip("/").rsplit("/", 1)[-1] or "a folder", str(text))


def said(problem) -> str:
    """A problem (an exception or a text) as a visitor reads it: no server paths, no Markdown."""
    return for_markdown(without_paths(str(problem)))
