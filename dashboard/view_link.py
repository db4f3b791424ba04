"""A run's pages in their address: the run, and where it applies the epoch, the confusion cell
and the image, so that a copied link opens the same view in any browser. Streamlit clears the
address on every page switch: each page writes its own view, after its widgets are drawn."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

# Every address this session wrote or read: not a new link. A rerun asked for quickly after
# another may carry back an address written a few runs before (the browser had not shown the
# newest yet): one written earlier is no link either.
SEEN = "links-seen"


def opened() -> dict[str, str]:
    """What the address holds, when the page was opened from a link (once; {} otherwise)."""
    raw = st.query_params.to_dict()
    if not raw or raw in st.session_state.setdefault(SEEN, []):
        return {}
    _seen(raw)
    return raw


def _seen(params: dict[str, str]) -> None:
    seen = st.session_state.setdefault(SEEN, [])
    if params not in seen:
        seen.append(params)
        del seen[:-200]


def choose(link: dict[str, str], name: str, key: str, valid, convert=str,
           why: str = "deleted since, or never on this server") -> None:
    """The link's `name` chosen for the widget kept under `key` (drawn after this), or said ignored."""
    if name not in link:
        return
    try:
        value = convert(link[name])
    except ValueError:
        value = None
    if value is not None and valid(value):
        st.session_state[key] = value
    else:
        st.warning(f"The link's {name} {link[name]!r} is not here ({why}): the page shows another.",
                   icon=":material/link_off:")


def cell(link: dict[str, str]) -> tuple[int, int] | None:
    """The link's confusion cell, "3-5" (true 3, read as 5), if it holds a valid one."""
    true, _, read = link.get("cell", "").partition("-")
    if true.isdigit() and read.isdigit() and int(true) < 10 and int(read) < 10:
        return int(true), int(read)
    return None


def write(**view) -> None:
    """This page's view (its run, epoch, cell...) into its address, and that address to copy."""
    share({name: str(value) for name, value in view.items() if value is not None}, "A link to this view",
          "It opens this run, as shown here, in any browser; it does not carry who you are.")


def share(params: dict[str, str], title: str, caption: str) -> None:
    """`params` into the page's address (Streamlit clears it on every page switch: each page writes
    its own), and the whole address in a box to copy (the clipboard API needs HTTPS)."""
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    _seen(params)
    with st.expander(title):
        st.code((st.context.url or "").split("?")[0] + "?" + urlencode(params), language=None)
        st.caption(caption)
