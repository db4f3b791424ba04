import logging
import time

import streamlit as st

from core import search
from core.architecture import ConfigError
from dashboard import classroom, glossary, search_form, search_results, server, session
from dashboard.help_texts import SEARCH
from dashboard.text import for_markdown, said

logger = logging.getLogger(__name__)

st.title("Architecture search")
glossary.link("parameters", "validation set", "test set", "learning rate", "batch", "dropout")
st.caption("Which networks are the most accurate for their size? Optuna searches a space of networks for "
           "the best trade-off between validation accuracy and trainable parameters. Every trial is a "
           "normal training, in the server's queue like anyone's, saved as a run: evaluate it, replay it, "
           "draw on it.")
storage = search.default_storage()
me = session.owner()
try:
    owners = search.study_owners(storage)
except Exception as problem:  # a database that is down, a URL with a typo
    logger.exception("the study storage %s cannot be read", search.safe_url(storage))
    st.error(f"The study storage cannot be read: {said(problem)}")
    st.stop()
names, mine = list(owners), [name for name, owner in owners.items() if owner == me]
NEW = "New search..."
if st.session_state.get("search-study") not in [NEW, *names]:  # it opens on this visitor's newest study
    st.session_state["search-study"] = (mine or ([] if classroom.class_mode() else names) or [NEW])[-1]
choice = st.selectbox("Study", [NEW, *reversed(names)], key="search-study",
                      help=f"Studies are kept in the server's study storage (its operator sets "
                      f"{search.STORAGE_ENV} to share them between machines).")
if error := st.session_state.pop("search-error", ""):
    st.error(for_markdown(error))


def start(name: str, space: search.SearchSpace, trials: int, minutes: int, create: bool) -> None:
    """The Start (or Continue) button: create the study if new, work on it, and show it."""
    try:
        study = search.create_study(name, space, storage, me) if create else search.load_study(name, storage)
    except ConfigError as problem:
        st.session_state["search-error"] = " ".join(problem.problems)
        return
    used, _ = search.trials_used(study)  # a budget of trials counts the study's earlier ones too
    why = server.start_search(name, storage, me, used + trials if trials else None, minutes or None)
    st.session_state["search-error"] = why
    st.session_state["search-study"] = name


def budget(prefix: str) -> tuple[int, int]:
    left, right = st.columns(2)
    trials = left.number_input("Trials", 0, 1000, 20, key=f"{prefix}-trials",
                               help="How many networks to train. 0: as many as the minutes allow "
                                    "(then give minutes).")
    most = server.search_minutes_limit()
    minutes = right.number_input("Minutes" if most is None else f"Minutes (at most {most:g}: "
                                 "your teacher's limit)", 0, int(most or 24 * 60), min(30, int(most or 30)),
                                 key=f"{prefix}-minutes",
                                 help="No trial starts after this; the one in training finishes. 0: until "
                                      "the trials are done (then give trials).")
    return int(trials), int(minutes)


if choice == NEW:
    with st.container(border=True):
        name = st.text_input("Name", f"search {time.strftime('%Y-%m-%d %H:%M')}", max_chars=80,
                             key="search-name", help=SEARCH["name"])
        kind = st.radio("Networks", list(search.KINDS), format_func=search.KINDS.get, horizontal=True,
                        key="search-kind", help=SEARCH["kind"])
        space = search_form.space_form(kind)
        trials, minutes = budget("new")
        problems = space.problems() + ([] if trials or minutes else ["give the search a budget: trials, "
                                                                      "minutes or both"])
        for problem in problems:
            st.error(problem)
        st.button("Start the search", type="primary", disabled=bool(problems), on_click=start,
                  args=(name, space, trials, minutes, True))
    st.stop()

study = search.load_study(choice, storage)
space = search.study_space(study)
separable = {(True,): ", all separable after the first", (False, True): ", separable or not after the first"}
st.caption(f"Space: {search.KINDS[space.kind]}, {space.min_layers}-{space.max_layers} layers of "
           f"{space.min_width}-{space.max_width}"
           + (separable.get(tuple(space.separable), "") if space.kind == "conv" else "")
           + (f", convolutions applied up to {max(space.repeats)} times with shared weights"
              if space.kind == "conv" and max(space.repeats) > 1 else "")
           + f", {space.epochs} epoch(s) per trial on "
           f"{space.train_images:,} images" + (f", at most {space.max_parameters:,} parameters"
                                               if space.max_parameters else "") + f", seed {space.seed}.")


polling = bool((handle := server.running_search(choice)) and handle.running)


@st.fragment(run_every=3.0 if polling else None)
def follow() -> None:
    handle = server.running_search(choice)
    used, running = search.trials_used(study)
    if handle and handle.running:
        limit = f" of {handle.trials}" if handle.trials else ""
        until = f", until {time.strftime('%H:%M', time.localtime(handle.started + handle.minutes * 60))}" \
            if handle.minutes else ""
        st.info(f"{'Stopping' if handle.stopping else 'Searching'}: {used}{limit} trial(s) done, "
                f"{running} in training{until}.", icon=":material/travel_explore:")
        if (handle.owner == me or classroom.is_teacher()) and not handle.stopping:
            st.button("Stop the search", on_click=server.stop_search, args=(handle, me),
                      help="The trial in training stops after its current batch and counts as stopped.")
    else:
        if handle and handle.error:
            st.error(f"The search stopped on an error: {handle.error}")
        st.caption(f"{used} trial(s) done; no search is running on this server. Other machines may "
                   "still work on it (`python -m core.search worker`).")
        if not handle or not handle.running:
            with st.expander("Continue this search"):
                trials, minutes = budget("more")
                st.button("Continue", on_click=start, args=(choice, space, trials, minutes, False),
                          disabled=not (trials or minutes))
    if polling and not (handle and handle.running):
        st.rerun()  # the search ended: draw the page once more, without polling
    if study.trials:
        search_results.show(study)


follow()
