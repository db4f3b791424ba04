"""The class challenge as pages show it: its goal, the leaderboard (public while it runs, private
once revealed), and how each of a student's runs stands. Scores come from the answers the server
saved with each run (core.challenge), never from a page."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core import challenge as scoring
from core import runs
from core.challenge import PRIVATE, PUBLIC, Challenge, Entry
from dashboard import cached_data, classroom
from dashboard.text import for_markdown

HONEST = ("MNIST's test labels are public: anyone can download them. The hidden half keeps an honest "
          "class honest (nobody tunes on the digits that rank them); it is no secret from the world.")


@st.cache_data(show_spinner=False, max_entries=2048)
def _scores(run_id: str, finished_at: float, seed: int) -> dict[str, float] | None:
    """A run's accuracy on each half, from its saved answers (computed once for an older run)."""
    try:
        run = runs.get_run(run_id)
        answers = runs.test_answers(run, classroom.answer)
    except (runs.RunError, OSError, ValueError):
        return None
    current = classroom.challenge()
    if current is None or current.seed != seed:
        return None
    return scoring.scores(answers, cached_data.whole_mnist().y_test, current)


def entries(current: Challenge) -> tuple[list[Entry], dict[str, str]]:
    """The runs that count (each with its scores), and why each other run of a student does not."""
    students = classroom.names().all()  # the teacher's runs do not count
    counted, refused = [], {}
    for run in runs.list_runs():
        if run.owner not in students:
            continue
        if why := current.why_not_counted(run.record, set(students)):
            refused[run.id] = why
        elif (scores := _scores(run.id, run.record.get("finished_at") or 0.0, current.seed)) is None:
            refused[run.id] = "its answers on the test set cannot be read"
        else:
            counted.append(Entry(run.owner, run.id, run.name, scores[PUBLIC], scores[PRIVATE],
                                 int(run.record.get("parameters") or 0),
                                 float(run.record.get("training_seconds") or 0),
                                 float(run.record.get("finished_at") or 0)))
    return counted, refused


def banner(current: Challenge) -> None:
    """The challenge in a few lines (Train and Challenge pages)."""
    st.info(f"**Class challenge.** {current.describe()} "
            + ("The final ranking is revealed (the Challenge page)." if current.revealed else
               "Scored on half of the test set; the other half ranks the class at the end."),
            icon=":material/emoji_events:")


def leaderboard(current: Challenge, counted: list[Entry]) -> None:
    names = classroom.names().all()
    half = PRIVATE if current.revealed else PUBLIC
    standings = scoring.leaderboard(current, counted, half)
    if not standings:
        st.caption("No run counts yet: the first run that meets the challenge's limits appears here.")
        return
    public_rank = {line.owner: line.rank for line in scoring.leaderboard(current, counted, PUBLIC)}
    rows = []
    for standing in standings:  # a plain table: read from the back of a classroom, on a projector
        best = standing.best
        # st.table renders Markdown: names and run names are escaped
        row = {"rank": standing.rank, "student": for_markdown(names.get(standing.owner, "?")),
               f"{half} score": f"{getattr(best, half):.2%}"}
        if current.revealed:
            row |= {"public score": f"{best.public:.2%}",
                    "public − private": f"{best.public - best.private:+.2%}",
                    "public rank": public_rank.get(standing.owner)}
        if current.goal == "parameters":
            row["reaches the goal"] = "yes" if scoring.reaches(current, best, half) else "not yet"
        row |= {"parameters": f"{best.parameters:,}", "training": f"{best.training_seconds:.0f} s",
                "when": time.strftime("%H:%M", time.localtime(best.finished_at)),
                "run": for_markdown(best.run_name),
                "other runs": len(standing.others)}
        rows.append(row)
    st.table(pd.DataFrame(rows), hide_index=True)
    if current.revealed:
        st.caption("Each student's run was chosen on the public half, as they chose it. A run that "
                   "scores lower on the private half than on the public one fitted the public digits, "
                   "not digits in general: that gap is what overfitting a leaderboard costs.")
    with st.expander("A student's other runs"):
        who = st.selectbox("Student", [standing.owner for standing in standings],
                           format_func=lambda owner: names.get(owner, "?"), key="leaderboard-student")
        mine = next(standing for standing in standings if standing.owner == who)
        rows = [_entry_row(entry, current.revealed) for entry in [mine.best, *mine.others]]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _entry_row(entry: Entry, revealed: bool) -> dict:
    row = {"run": entry.run_name, "public score": f"{entry.public:.2%}",
           "parameters": f"{entry.parameters:,}", "training": f"{entry.training_seconds:.0f} s"}
    return row | ({"private score": f"{entry.private:.2%}"} if revealed else {})


def my_runs(current: Challenge, owner: str, counted: list[Entry], refused: dict[str, str]) -> None:
    """How each of this student's runs stands against the challenge."""
    mine = [entry for entry in counted if entry.owner == owner]
    rows = [_entry_row(entry, current.revealed) | {"counts": "yes"} for entry in
            sorted(mine, key=scoring.ranking_key(current, PUBLIC))]
    rows += [{"run": run.name, "counts": f"no: {refused[run.id]}"} for run in runs.list_runs()
             if run.owner == owner and run.id in refused]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.caption("None of your runs yet: train one on the Train page.")

