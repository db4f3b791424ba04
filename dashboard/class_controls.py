"""What the teacher sets on the Class page: the limits, the teacher's pick, the challenge (and its
reveal), the export and the clearing of the class. Each action checks, when it is taken, that this
session is the teacher's (classroom.require_teacher), whatever the page showed."""

from __future__ import annotations

import datetime
import time

import streamlit as st

from core import class_report
from core.challenge import GOALS, Challenge, ChallengeRefused
from dashboard import cached_data, challenge_view, classroom, components, server
from dashboard.text import said

_REFUSED = "class-action-refused"  # session state: why the last action was refused, said after the rerun


def _act(action, *args, done: str = "", **kwargs) -> None:
    """Run a teacher's action; say what came of it (after the rerun that shows its effect)."""
    try:
        action(*args, **kwargs)
    except (classroom.NotTeacher, ChallengeRefused) as refusal:
        st.session_state[_REFUSED] = said(refusal)
    else:
        if done:
            st.toast(done)


def refusal() -> None:
    """The last action's refusal, if any, said once."""
    if why := st.session_state.pop(_REFUSED, ""):
        st.error(why)
    if problem := classroom.challenge_problem():
        st.warning(problem)


def limits() -> None:
    kept, server_set = classroom.settings(), server.server_limits()
    with st.form("class-limits"):
        st.markdown("**Limits** (from the next training queued; the server's own in brackets)")
        left, middle, right, last = st.columns(4)
        per_student = left.number_input(f"Trainings per student ({server_set.max_per_owner})", 1,
                                        max(50, server_set.max_per_owner),
                                        kept.max_per_student or server_set.max_per_owner)
        queued = middle.number_input(f"Trainings for the class ({server_set.max_queued})", 1,
                                     max(500, server_set.max_queued),
                                     kept.max_queued or server_set.max_queued)
        server_minutes = int((server_set.time_limit or 1200) / 60)
        minutes = right.number_input(f"Minutes per training ({server_minutes})", 1, max(600, server_minutes),
                                     int(kept.training_minutes or server_minutes))
        search = last.number_input("Minutes per search (0: no limit)", 0, 24 * 60,
                                   int(kept.search_minutes or 0),
                                   help="A student's search must have a time budget of at most this.")
        if st.form_submit_button("Apply the limits"):
            _act(classroom.change_settings, max_per_student=int(per_student), max_queued=int(queued),
                 training_minutes=float(minutes), search_minutes=float(search) or None,
                 done="Limits applied: they count from the next training queued.")


def pick() -> None:
    usable = cached_data.usable_runs()
    pinned = classroom.pinned_run()
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    by_id = {run.id: run for run in usable}
    options = ["", *by_id]  # "": none
    choice = left.selectbox("The teacher's pick: a run every student sees first on Draw and Evaluate",
                            options, index=options.index(pinned.id) if pinned else 0,
                            format_func=lambda run_id: components.run_label(by_id[run_id]) if run_id
                            else "none")
    unpin = not choice and pinned is not None
    if right.button("Unpin" if unpin else "Pin it", disabled=choice == (pinned.id if pinned else "")):
        _act(classroom.change_settings, pinned_run=choice or None, done="Pinned." if choice else "Unpinned.")
        st.rerun()


def challenge() -> None:
    current = classroom.challenge()
    if current:
        challenge_view.banner(current)
        counted, _ = challenge_view.entries(current)
        challenge_view.leaderboard(current, counted)
        buttons = st.container(horizontal=True)
        if not current.revealed and buttons.button("Reveal the private ranking", type="primary"):
            _act(classroom.reveal, done="Revealed: every page shows the whole test set again.")
            st.rerun()
        if buttons.button("End the challenge", help="It is archived with its ranking; its runs stay."):
            _act(classroom.set_challenge, None, done="The challenge is over.")
            st.rerun()
        return
    with st.form("class-challenge"):
        st.markdown("**A challenge** (scored on a hidden half of the test set)")
        goal = st.radio("Goal", list(GOALS), format_func=GOALS.get, horizontal=True)
        left, middle, right = st.columns(3)
        target = left.number_input("Accuracy to reach (%), for the fewest-parameters goal", 50.0, 99.9, 98.0)
        parameters = middle.number_input("At most this many parameters (0: no limit)", 0, 10_000_000, 0)
        seconds = right.number_input("At most this many seconds of training (0: no limit)", 0, 36_000, 0)
        day, hour = st.columns(2)
        date = day.date_input("Deadline (day; none: until you reveal it)", value=None)
        clock = hour.time_input("Deadline (time, on the server's clock)", value=datetime.time(17, 0))
        if st.form_submit_button("Start the challenge", type="primary"):
            deadline = time.mktime(datetime.datetime.combine(date, clock).timetuple()) if date else None
            try:
                new = Challenge(goal=goal, target_accuracy=target / 100 if goal == "parameters" else None,
                                max_parameters=int(parameters) or None,
                                max_training_seconds=float(seconds) or None, deadline=deadline)
            except ChallengeRefused as refusal:
                st.error(said(refusal))
            else:
                _act(classroom.set_challenge, new, done="The challenge has started.")
                st.rerun()


def export_and_clear() -> None:
    left, right = st.columns(2)
    report = classroom.test_report()
    points = class_report.run_points(classroom.names().all(), cached_data.usable_runs(), report.accuracy)
    results = class_report.results_csv(points, "public half" if report.hidden else "all 10,000")
    left.download_button("Export the class's results (CSV)", results, file_name="class-results.csv",
                         mime="text/csv")
    sure = right.checkbox("Yes, clear the class: names and the challenge are archived; runs stay")
    if right.button("Clear the class for next time", disabled=not sure):
        _act(classroom.clear_class, done="Cleared: students give their names again on their next visit.")
        st.rerun()
