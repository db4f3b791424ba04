"""What the teacher watches on the Class page: every student, the trainings and searches running
(each with its Stop), the server, and the class's runs as a chart to click into."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import class_report
from core.status import ACTIVE, Status
from dashboard import cached_data, classroom, components, figures, live_trainings, pages, server, session
from dashboard.text import for_plotly

REFRESH_SECONDS = 2.0


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    """Students, trainings, searches and the server: redrawn every couple of seconds, cheaply."""
    if not classroom.is_teacher():  # signed out in another tab of this session
        st.rerun()
    server.apply_class_limits()  # as every page load does: what is shown is what applies
    trainings = server.trainings()
    jobs = trainings.jobs()
    names = classroom.names().all()
    report = classroom.test_report()
    lines = class_report.student_lines(names, jobs, cached_data.usable_runs(), report.accuracy)
    st.subheader(f"Students ({len(names)})")
    if lines:
        for line in lines:
            line["last active"] = class_report.ago(line["last active"])
        st.dataframe(pd.DataFrame(lines).drop(columns=["owner"]), hide_index=True, width="stretch",
                     column_config={"best accuracy": st.column_config.NumberColumn(
                         "best accuracy" + (" (public half)" if report.hidden else ""), format="percent"),
                         "parameters": st.column_config.NumberColumn(format="localized"),
                         "training seconds": st.column_config.NumberColumn(format="%.0f")})
    else:
        st.caption("No student has joined yet: they give their name on their first visit.")
    teachers = {owner: classroom.TEACHER_NAME for owner in classroom.settings().teachers}  # names: read once
    _trainings([job for job in jobs if job.status in ACTIVE], names | teachers)
    _searches(names)
    _server(trainings)


def _trainings(active: list, names: dict[str, str]) -> None:
    st.subheader(f"Trainings queued or running ({len(active)})")
    if not active:
        st.caption("None now.")
    for job in active:
        left, right = st.columns([5, 1], vertical_alignment="center")
        summary = job.summary()
        where = "queued" if job.status == Status.QUEUED else f"{summary['progress']:.0%} done"
        left.text(f"{names.get(job.owner, 'another session')}: {summary['name']} "
                  f"({summary['architecture']}), {where}" + (", stopping" if job.stop_requested else ""))
        if not job.stop_requested:
            right.button("Stop" if job.status == Status.RUNNING else "Cancel", key=f"class-stop-{job.id}",
                         on_click=live_trainings.stop, args=(job,))


def _searches(names: dict[str, str]) -> None:
    running = server.running_searches()
    if not running:
        return
    st.subheader(f"Searches running ({len(running)})")
    for handle in running:
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.text(f"{names.get(handle.owner, 'another session')}: study {handle.study_name}"
                  + (f", at most {handle.minutes:g} min" if handle.minutes else ""))
        if not handle.stopping:
            right.button("Stop", key=f"class-search-{handle.study_name}", on_click=server.stop_search,
                         args=(handle, session.owner()))


def _server(trainings) -> None:
    limit = trainings.limits
    st.caption(f"Server: {len(trainings.running())} training(s) running, at most {limit.max_running} at "
               f"once; {len(trainings.waiting())} waiting. Limits now: {limit.max_per_owner} trainings "
               f"queued or running per student, {limit.max_queued} for the class, "
               + (f"{limit.time_limit / 60:g} minutes per training" if limit.time_limit else "no time limit")
               + ".")


def chart() -> None:
    """The class's runs, accuracy against parameters, one colour per student: click one to open it
    on the Evaluate page."""
    report = classroom.test_report()
    points = class_report.run_points(classroom.names().all(), cached_data.usable_runs(), report.accuracy)
    st.subheader("The class's runs")
    if not points:
        st.caption("No student has a finished run yet.")
        return
    figure = go.Figure()
    for student in sorted({point["student"] for point in points}):
        mine = [point for point in points if point["student"] == student]
        figure.add_trace(go.Scatter(
            x=[point["parameters"] for point in mine], y=[point["accuracy"] for point in mine],
            mode="markers", name=for_plotly(student), marker=dict(size=11),
            customdata=[points.index(point) for point in mine],
            hovertext=[for_plotly(f"{student}: {point['run']}") for point in mine],
            hovertemplate="%{hovertext}<br>%{x:,} parameters, %{y:.2%}<extra></extra>"))
    figure.update_layout(xaxis=dict(title="parameters", type="log"), height=420,
                         yaxis=dict(title="test accuracy" + (" (public half)" if report.hidden else ""),
                                    tickformat=".1%"), margin=dict(l=10, r=10, t=figures.TOP_MARGIN, b=10))
    event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key="class-chart")
    st.caption("Click a point to open that run on the Evaluate page.")
    if picked := components.selected_rows(event, figure):
        st.session_state[session.EVALUATE_RUN] = points[picked[0]]["id"]
        st.switch_page(pages.EVALUATE)
