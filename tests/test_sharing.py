"""One server, several sessions (AppTest, each a session of its own in this process, sharing the
server's one training queue): who sees and controls what, the limits, the Draw page's shared default
network, and broken results said as such."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import runs, training
from core.architecture import build_model
from core.jobs import NotYours, TrainingJob
from core.status import ACTIVE
from dashboard import cached_models, server
from dashboard.text import for_markdown
from harness.apptest import owner_of
from tests.conftest import button, open_page, tiny_config, valid_record

pytestmark = pytest.mark.real_data


@pytest.fixture
def queue():
    """The server's queue, emptied of other tests' jobs before and after."""
    server_queue = server.trainings()

    def stop_all():
        for job in server_queue.jobs():
            job.stop()
        assert all(job.done.wait(60) for job in server_queue.jobs() if job.status != "cancelled")
    stop_all()
    yield server_queue
    stop_all()


def token_of(app: AppTest) -> str:
    return app.session_state["owner_token"]


def train_from(app: AppTest, epochs: int, images: int, name: str) -> AppTest:
    app.number_input(key="images-given").set_value(images).run()
    app.slider(key="epochs-given").set_value(epochs).run()
    app.text_input[0].set_value(name).run()
    return button(app, "Train").click().run()


def active(queue) -> list:
    return [job for job in queue.jobs() if job.status in ACTIVE]


def buttons(app: AppTest, label: str) -> list:
    return [b for b in app.button if b.label == label]


def test_a_session_controls_its_own_trainings_and_only_sees_the_others(runs_folder, queue):
    alice = train_from(open_page("train"), epochs=200, images=20_000, name="alice long")
    alice_job = queue.jobs()[-1]
    assert alice_job.name == "alice long" and alice_job.owner == owner_of(alice)
    deadline = time.monotonic() + 60
    while alice_job.status != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    train_from(alice, epochs=1, images=2000, name="alice short")  # a second one, queued behind
    assert [job.name for job in active(queue) if job.owner == alice_job.owner] == ["alice long",
                                                                                  "alice short"]
    subheaders = [s.value for s in alice.subheader]
    assert any("alice long" in s for s in subheaders) and any("alice short" in s for s in subheaders)
    assert buttons(alice, "Stop") and buttons(alice, "Cancel")  # all of them, not just the latest

    bob = open_page("train")
    assert token_of(bob) != token_of(alice)
    assert not buttons(bob, "Stop") and not buttons(bob, "Cancel")
    server_queue = next(d.value for d in bob.dataframe if "training" in d.value.columns)
    assert [training.split(":")[0] for training in server_queue["training"]] == ["alice long", "alice short"]
    assert server_queue["status"].tolist() == ["running", "queued (1)"]
    with pytest.raises(NotYours):
        queue.stop(alice_job, owner_of(bob))

    # Alice reloads her tab: same URL, same token, her controls are back
    reloaded = open_page("train", token=token_of(alice))
    assert buttons(reloaded, "Stop") and buttons(reloaded, "Cancel")
    button(reloaded, "Cancel").click().run()
    short = queue.jobs()[-1]
    assert short.status == "cancelled" and "cancelled before it started" in short.progress().message
    assert "Cancelled before it started: nothing was trained" in [w.value for w in reloaded.warning]  # once
    assert queue.position(short) == 0
    button(reloaded, "Stop").click().run()
    assert alice_job.done.wait(60) and alice_job.status in ("stopped", "cancelled")


def test_limits_and_double_clicks_queue_nothing_more(runs_folder, queue, monkeypatch):
    # on all the images: on 20,000, its 200 epochs once ended (45 s) before the clicks below had
    # queued the others, which a page rerun beside a training can take a minute to do
    app = train_from(open_page("train"), epochs=200, images=60_000, name="first")
    button(app, "Train").click().run()  # the same again: a double click
    assert "already" in app.warning[0].value and len(active(queue)) == 1
    for epochs in (2, 3):
        app.slider(key="epochs-given").set_value(epochs).run()
        button(app, "Train").click().run()
    assert len(active(queue)) == 3
    app.slider(key="epochs-given").set_value(4).run()
    button(app, "Train").click().run()
    assert "already have 3 trainings" in app.warning[0].value and len(active(queue)) == 3
    monkeypatch.setattr(queue.limits, "max_queued", 3)
    other = train_from(open_page("train"), epochs=5, images=2000, name="other")
    assert "server's queue is full" in other.warning[0].value and len(active(queue)) == 3


def test_the_draw_pages_default_network_is_shared_and_followed(runs_folder, queue):
    before = {job.id for job in queue.jobs() if job.tag == "draw-default"}
    alice = open_page("draw")
    button(alice, "Train a default network").click().run()
    default = queue.latest("draw-default")
    assert default is not None and default.status in ACTIVE
    bob = open_page("draw")  # another visitor: follows the same job instead of queuing another
    assert button(bob, "Train a default network").disabled
    assert any(for_markdown("default: sprint convnet") in s.value for s in bob.subheader)
    assert not buttons(bob, "Stop") and not buttons(bob, "Cancel")
    reloaded = open_page("draw", token=token_of(alice))
    assert buttons(reloaded, "Stop") or buttons(reloaded, "Cancel")
    assert default.done.wait(180) and default.status == "finished"
    assert [job for job in queue.jobs() if job.tag == "draw-default" and job.id not in before] == [default]
    bob.run()
    assert "Draw a digit" in bob.info[0].value  # the canvas, as soon as it finished


def test_runs_of_other_sessions_are_read_only(runs_folder):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    app = open_page("runs")
    mine = runs.save_run(model, valid_record("mine", owner=owner_of(app)), runs_folder)
    runs.save_run(model, valid_record("theirs", owner="session-0123456789abcdef"), runs_folder)
    app.run()
    table = app.dataframe[0].value
    assert dict(zip(table["name"], table["made by"])) == {"mine": "you", "theirs": "another session"}
    app.selectbox[0].set_value(next(r for r in runs.list_runs(runs_folder) if r.name == "theirs")).run()
    assert "read-only" in app.info[0].value
    assert app.checkbox[0].disabled and button(app, "Delete").disabled
    assert app.get("form_submit_button")[0].disabled
    app.selectbox[0].set_value(next(r for r in runs.list_runs(runs_folder) if r.id == mine.id)).run()
    app.checkbox[0].check().run()
    button(app, "Delete").click().run()
    assert [run.name for run in runs.list_runs(runs_folder)] == ["theirs"]


def test_a_diverged_training_is_said_on_every_page(runs_folder, queue, real_mnist):
    app = open_page("train")
    app.select_slider(key="lr-given").set_value(10.0).run()
    train_from(app, epochs=5, images=3000, name="too fast")
    job = queue.jobs()[-1]
    assert job.done.wait(60) and job.status == "diverged"
    app.run()
    assert any("lower learning rate" in e.value for e in app.error)
    runs_page = open_page("runs")
    assert runs_page.dataframe[0].value["status"].tolist() == ["diverged"]
    assert "diverged" in runs_page.error[0].value
    assert "no trained network" in open_page("evaluate").info[0].value  # not offered
    assert "no trained network yet" in open_page("draw").info[0].value


def test_absent_digits_are_left_out_with_a_note(runs_folder, real_mnist):
    config = tiny_config(epochs=1, train_images=200)
    config.hyper.validation_fraction, config.hyper.batch_size = 0.03, 16  # 6 validation images
    training.train(TrainingJob(config, "small"), real_mnist, runs_folder)
    app = open_page("evaluate")
    app.radio(key="evaluate_split").set_value("validation").run()
    assert not app.exception
    table = next(d.value for d in app.dataframe if "specificity" in d.value.columns)
    run_id = runs.list_runs(runs_folder)[0].id
    present = sorted(set(cached_models.run_split(run_id, "validation")[1].tolist()))
    assert table["digit"].tolist() == present and len(present) < 10
    assert "do not occur in this split" in app.info[0].value


def test_names_are_shown_as_text(runs_folder):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    for name in ("<b>bold</b>", "**stars** :red[x]"):
        runs.save_run(model, valid_record(name), runs_folder)
    app = open_page("runs")
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    legend = [trace["name"] for trace in spec["data"] if trace.get("showlegend", True)]
    assert any("&lt;b&gt;bold&lt;/b&gt;" in name for name in legend), legend
    assert for_markdown("**stars** :red[x]") == r"\*\*stars\*\* \:red\[x\]"


def test_a_runs_folder_that_cannot_be_written_is_said_before_training(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("in the way")
    monkeypatch.setenv(runs.RUNS_ENV, str(tmp_path / "file" / "runs"))
    app = open_page("train")
    assert "runs cannot be saved" in app.error[0].value
    assert button(app, "Train").disabled


def test_a_run_deleted_meanwhile_is_said_not_raised(runs_folder):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    app = open_page("runs")
    runs.save_run(model, valid_record("staying", owner=owner_of(app)), runs_folder)
    going = runs.save_run(model, valid_record("going", owner=owner_of(app)), runs_folder)
    app.run()
    assert app.selectbox[0].value.id == going.id  # the newest, selected
    runs.delete_run(going.id, runs_folder)  # from another tab, or a terminal, meanwhile
    app.get("form_submit_button")[0].click().run()
    assert not app.exception
    assert app.dataframe[0].value["name"].tolist() == ["staying"]
    with pytest.raises(runs.RunError, match="does not exist"):  # what the page shows if it races
        runs.rename_run(going.id, "too late", runs_folder, owner=owner_of(app))


def test_the_runs_page_reads_no_model_file_until_a_download(runs_folder, monkeypatch):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    runs.save_run(model, valid_record("big one"), runs_folder)
    reads, read_bytes = [], Path.read_bytes

    def recording(path):
        if path.name == runs.MODEL_FILE:
            reads.append(path)
        return read_bytes(path)
    monkeypatch.setattr(Path, "read_bytes", recording)
    app = open_page("runs")
    assert app.get("download_button") and reads == []  # offered, not read
    assert runs.model_bytes(runs.list_runs(runs_folder)[0])[:2] == b"PK" and len(reads) == 1


def test_the_owner_token_is_kept_by_the_browser_and_never_in_the_address():
    import hashlib

    from dashboard import session

    def owner(token: str) -> str:
        return "session-" + hashlib.sha256(token.encode()).hexdigest()[:16]

    fresh = open_page("overview")
    token = fresh.session_state[session.OWNER_TOKEN]
    assert len(token) >= 16 and session.OWNER_PARAM not in fresh.query_params
    # an old address with ?owner= works once: the token is taken, the address loses it
    old = AppTest.from_file(str(Path(session.__file__).parent / "app.py"), default_timeout=120)
    old.query_params[session.OWNER_PARAM] = "an-old-token-of-mine-1234"
    old.run()
    assert owner_of(old) == owner("an-old-token-of-mine-1234")
    assert session.OWNER_PARAM not in old.query_params
    old.run()
    assert owner_of(old) == owner("an-old-token-of-mine-1234")  # kept by the session from then on
    # a forged value (not a token: too short, or with other characters) is not taken
    for forged in ("short", "<script>alert(1)</script>-long-enough"):
        tampered = AppTest.from_file(str(Path(session.__file__).parent / "app.py"), default_timeout=120)
        tampered.query_params[session.OWNER_PARAM] = forged
        tampered.run()
        assert tampered.session_state[session.OWNER_TOKEN] != forged and not tampered.exception
    # "I'm someone else": a new token, the old one's runs and trainings no longer its own
    before = owner_of(fresh)
    button(fresh, "I'm someone else").click().run()
    assert owner_of(fresh) != before and not fresh.exception
