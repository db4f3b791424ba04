"""The teacher's view under AppTest (real sessions of the app, in this process): only the teacher
reaches the Class page and its actions; what the teacher sets applies live and survives a restart;
a challenge hides the private half of the test set from every page a student can open."""

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import runs, training
from core.challenge import PUBLIC, Challenge
from core.jobs import NotYours, TrainingJob
from core.status import ACTIVE, Status
from core.trainings import REDIS_ENV
from harness.apptest import APP, owner_of
from harness.services import redis_server
from tests.conftest import button, tiny_config

STUDENT_PAGES = ["overview", "samples", "averages", "nearest", "gray_levels", "preprocessing",
                 "digit_map", "label_audit", "train", "runs", "search", "evaluate", "inspect_training",
                 "inspect_inside", "draw", "challenge", "class_page"]


def joined(name: str) -> AppTest:
    """A student's browser, named in the class."""
    app = AppTest.from_file(APP, default_timeout=180).run()
    app.text_input[0].set_value(name)
    app.button[0].click().run()
    assert not app.exception and name in next(c.value for c in app.sidebar.caption if "You are" in c.value)
    return app


def signed_in(password: str, app: AppTest | None = None) -> AppTest:
    """The teacher's browser, signed in on the Class page."""
    app = app or AppTest.from_file(APP, default_timeout=180).run()
    app.switch_page("views/class_page.py").run()
    next(box for box in app.text_input if box.label == "Teacher's password").set_value(password)
    button(app, "Sign in as the teacher").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(app: AppTest) -> str:
    """Everything a page shows as text: markdown, captions, alerts, metrics, tables, options, charts."""
    shown = []
    for kind in ("markdown", "caption", "title", "subheader", "header", "info", "success", "warning", "error",
                 "text", "toast", "exception"):
        shown += [str(element.value) for element in app.get(kind)]
    shown += [f"{metric.label} {metric.value}" for metric in app.get("metric")]
    shown += [table.value.to_string() for table in app.table]
    for frame in app.dataframe:  # and each fraction as a percentage column would show it
        shown.append(frame.value.to_string())
        shown += [f"{value:.2%}" for value in frame.value.select_dtypes("number").to_numpy().ravel()
                  if 0 <= value <= 1]
    for widget in (*app.selectbox, *app.multiselect, *app.radio):
        shown += [str(option) for option in widget.options]
    shown += [str(chart.proto) for chart in app.get("plotly_chart")]
    return "\n".join(shown)


def test_only_the_teacher_reaches_the_class_page_and_its_actions(in_class):
    from dashboard import classroom

    ada = joined("Ada")
    ada.switch_page("views/class_page.py").run()
    assert "Teacher's password" in [box.label for box in ada.text_input] and "Students" not in texts(ada)
    forged = AppTest.from_file(APP, default_timeout=180)  # a session value set from outside
    forged.session_state[classroom.TEACHER] = "yes"
    forged.run().switch_page("views/class_page.py").run()
    assert "Teacher's password" in [box.label for box in forged.text_input]

    next(box for box in ada.text_input if box.label == "Teacher's password").set_value("guess")
    button(ada, "Sign in as the teacher").click().run()
    assert "not the teacher's password" in ada.error[0].value
    next(box for box in ada.text_input if box.label == "Teacher's password").set_value(in_class)
    button(ada, "Sign in as the teacher").click().run()  # at once: even the right one must wait
    assert "wait" in ada.error[0].value and "Students" not in texts(ada)

    teacher = signed_in(in_class)
    shown = texts(teacher)
    assert "Students (1)" in shown and "Ada" in shown and "You are the teacher" in texts(teacher) + "".join(
        c.value for c in teacher.sidebar.caption)
    with pytest.raises(classroom.NotTeacher):  # a teacher's action, asked outside a teacher's session
        classroom.require_teacher()
    button(teacher, "I'm someone else").click().run()  # a shared computer: the sign-in leaves too
    assert "Teacher's password" in [box.label for box in teacher.text_input]
    assert classroom.settings().teachers == ()  # nor is that browser shown as "Teacher" any more


@pytest.fixture(params=["in-process", "redis"])
def backend(request, in_class, monkeypatch):
    """Both backends: trainings (and the class's names and settings) in this process and the runs
    folder, or on Redis (no worker: what is queued waits)."""
    from dashboard import classroom, server

    def forget() -> None:
        for cached in (server.trainings, classroom._redis):
            cached.clear()

    if request.param == "in-process":
        yield request.param
        return
    with redis_server() as redis:
        monkeypatch.setenv(REDIS_ENV, redis.url)
        forget()
        try:
            yield request.param
        finally:
            monkeypatch.delenv(REDIS_ENV)
            forget()


def test_the_teacher_stops_any_training_and_changes_the_limits_live(backend):
    from dashboard import classroom, server

    ada, grace = joined("Ada"), joined("Grace")
    trainings = server.trainings()
    job = trainings.submit(tiny_config(epochs=50, train_images=20_000), name="long", owner=owner_of(ada))
    with pytest.raises(NotYours):
        trainings.stop(job, owner_of(grace))
    teacher = signed_in(classroom.teacher_password())
    assert "Ada: long" in texts(teacher)
    stop = next(b for b in teacher.button if b.key == f"class-stop-{job.id}")
    stop.click().run()
    seen = trainings.get(job.id)  # as the server reads it now
    assert seen.stop_requested or seen.status == Status.CANCELLED, seen.status
    deadline = time.time() + 60
    while trainings.get(job.id).status in ACTIVE and time.time() < deadline:
        time.sleep(0.2)
    assert trainings.get(job.id).status in (Status.CANCELLED, Status.STOPPED) and not teacher.exception

    form_numbers = {box.label.split(" (")[0]: box for box in teacher.number_input}
    form_numbers["Trainings per student"].set_value(1)
    form_numbers["Minutes per training"].set_value(2)
    button(teacher, "Apply the limits").click().run()
    assert not teacher.exception
    ada.switch_page("views/runs.py").run()  # any page load applies them
    assert (trainings.max_per_owner, trainings.time_limit) == (1, 120)
    AppTest.from_file(APP, default_timeout=180).run()
    assert server.trainings().max_per_owner == 1  # kept: a restarted dashboard reads them back


@pytest.fixture
def adas_run(in_class, real_mnist):
    """Ada has joined and trained a tiny network (on real MNIST) for the challenge."""
    ada = joined("Ada")
    run = training.train(TrainingJob(tiny_config(epochs=1, train_images=1000), "ada's", owner=owner_of(ada)),
                         real_mnist, runs.runs_dir())
    return ada, run


def _split_that_shows(run, labels) -> tuple[Challenge, dict[str, str]]:
    """A challenge whose halves give this run different accuracies, so that a leak would show."""
    answers = np.load(run.folder / runs.TEST_ANSWERS)
    for seed in range(100):
        challenge = Challenge(seed=seed, started=run.record["started_at"] - 1)
        public = challenge.split()[PUBLIC]
        private = np.setdiff1d(np.arange(10_000), public)
        shown = {half: f"{(answers[indices] == labels[indices]).mean():.2%}" for half, indices in
                 (("public", public), ("private", private), ("whole", np.arange(10_000)))}
        if len(set(shown.values())) == 3:
            return challenge, shown
    raise AssertionError("no split tells the halves apart")


def test_a_challenge_hides_the_private_half_from_every_page_until_the_reveal(adas_run, real_mnist, capsys):
    from core import cli
    from dashboard import classroom

    ada, run = adas_run
    teacher = signed_in(classroom.teacher_password())
    teacher.radio[0].set_value("accuracy")
    button(teacher, "Start the challenge").click().run()
    assert not teacher.exception and classroom.challenge() is not None
    challenge, shown = _split_that_shows(run, real_mnist.y_test)
    classroom.documents().write("challenge", challenge.to_dict())  # the same, with a telling seed
    import streamlit as st

    for cached in (classroom._redis, classroom._report):  # a dashboard restart
        cached.clear()
    st.cache_data.clear()
    assert cli.main(["runs", "list"]) == 0  # the terminal, too
    printed = capsys.readouterr().out
    assert "public half" in printed and shown["public"] in printed and shown["whole"] not in printed
    for page in STUDENT_PAGES:
        ada.switch_page(f"views/{page}.py").run()
        assert not ada.exception, (page, [e.value for e in ada.exception])
        seen = texts(ada) + "".join(element.value for element in ada.sidebar.get("markdown"))
        assert shown["whole"] not in seen and shown["private"] not in seen, page
        if page in ("runs", "evaluate", "challenge"):
            assert shown["public"] in seen, page
    ada.switch_page("views/runs.py").run()
    assert "Model downloads are off" in texts(ada)

    teacher.switch_page("views/class_page.py").run()
    button(teacher, "Reveal the private ranking").click().run()
    assert classroom.challenge().revealed
    ada.switch_page("views/challenge.py").run()
    seen = texts(ada)
    assert "Final ranking (private half)" in seen and shown["private"] in seen and shown["public"] in seen
    ada.switch_page("views/evaluate.py").run()
    assert shown["whole"] in texts(ada)  # after the reveal, the whole test set again
