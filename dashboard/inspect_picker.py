"""What the two Inspect pages share: the run and epoch they look at (one choice for both pages,
kept in the session), the Play button that steps through the epochs, and the offer to retrain a run
that kept no epochs."""

from __future__ import annotations

import time

import streamlit as st

from core import inspection, runs
from core.architecture import TrainingConfig
from core.jobs import Refused
from dashboard import cached_data, components, live_trainings, pages, server, session, view_link
from dashboard.text import for_markdown

PLAY_SECONDS = 1.5  # how long each epoch stays on screen while playing


def pick_run_and_epoch(link: dict[str, str]) -> tuple[runs.Run, int]:
    """The run and epoch chosen at the top of the page (first those of the page's `link`, if it was
    opened from one); stops the page if there is nothing to show."""
    usable = cached_data.usable_runs()
    if not usable:
        st.info("There is no trained network to look inside yet: train one first.")
        st.page_link(pages.TRAIN, label="Go to the Train page", icon=":material/model_training:")
        st.stop()
    view_link.choose(link, "run", session.INSPECT_RUN, {run.id for run in usable}.__contains__)
    view_link.choose(link, "epoch", session.INSPECT_EPOCH, lambda epoch: epoch >= 1, int, why="not an epoch")
    left, right = st.columns([3, 2])
    run = components.run_picker(left, usable, session.INSPECT_RUN)
    kept = inspection.epochs_kept(run)
    if kept == 0:
        _offer_retraining(run)
        st.stop()
    if kept == 1:
        right.markdown("**Epoch 1** (the only one it kept)")
        return run, 1
    if (step := st.session_state.pop("inspect_next_epoch", None)) is not None:  # Play's next step
        st.session_state[session.INSPECT_EPOCH] = step
        st.session_state["inspect_play"] = step < kept  # the last epoch ends the play
    with right:
        # the last epoch on a first visit, or for another run with fewer epochs
        epoch = session.kept_widget(st.slider, session.INSPECT_EPOCH, "Epoch", 1, kept, fallback=kept,
                                    valid=lambda epoch: isinstance(epoch, int) and 1 <= epoch <= kept,
                                    help="Everything below shows the network as it was after this epoch.")
        if st.toggle("Play", key="inspect_play", help="Step through the epochs from the first."):
            st.fragment(run_every=PLAY_SECONDS)(_advance)(kept)
    return run, epoch


def _advance(last: int) -> None:
    """One step of Play: the next epoch, then the whole page redrawn for it.

    A fragment also runs within every full run of the page: only its timer's runs step, or the
    page would step again at once after each step. The widgets' own keys cannot change once they
    are drawn, so the step is handed to the next run (see pick_run_and_epoch).
    """
    now = time.monotonic()
    if now - st.session_state.get("inspect_stepped", 0.0) < 0.8 * PLAY_SECONDS:
        return
    st.session_state["inspect_stepped"] = now
    epoch = st.session_state.get(session.INSPECT_EPOCH, 1)
    st.session_state["inspect_next_epoch"] = 1 if epoch >= last else epoch + 1
    st.rerun(scope="app")


def _offer_retraining(run: runs.Run) -> None:
    st.warning(f"Run {for_markdown(run.name)} was trained before runs kept the weights of every epoch, "
               "so its training cannot be replayed. Train the same configuration again to look inside it.")
    if (trainings := server.reachable_trainings()) is None:
        return
    if st.button("Retrain the same configuration", type="primary"):
        try:
            trainings.submit(TrainingConfig.from_dict(run.record["config"]), f"{run.name} (again)",
                         owner=session.owner())
        except Refused as refusal:
            st.warning(str(refusal), icon=":material/block:")
    live_trainings.follow(lambda: trainings.jobs(owner=session.owner()), curves=False)
