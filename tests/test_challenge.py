"""The class challenge's rules, without a page: the secret split, the scores from saved answers (and
from a model for runs saved before answers were kept), which runs count, the rankings, the class's
kept settings on both stores, the sign-in guard and the teacher's CSV."""

import time

import numpy as np
import pytest
from redis import Redis

from core import class_report, runs, training
from core.challenge import PRIVATE, PUBLIC, Challenge, ChallengeRefused, Entry, leaderboard, scores
from core.class_state import ClassSettings, DocumentsInFolder, DocumentsOnRedis, SignInGuard
from core.jobs import TrainingJob
from core.test_report import TestReport
from harness.services import redis_server
from tests.conftest import tiny_config


def test_the_split_is_fixed_by_its_seed_and_halves_the_test_set():
    one, same, other = Challenge(seed=11), Challenge(seed=11), Challenge(seed=12)
    halves = one.split()
    assert len(halves[PUBLIC]) == len(halves[PRIVATE]) == 5000
    assert np.array_equal(np.sort(np.concatenate(list(halves.values()))), np.arange(10_000))
    assert all(np.array_equal(halves[half], same.split()[half]) for half in halves)
    assert not np.array_equal(halves[PUBLIC], other.split()[PUBLIC])
    assert Challenge().seed != Challenge().seed  # drawn by the server, never typed


def test_a_challenge_refuses_what_cannot_be_scored():
    for bad in (dict(goal="speed"), dict(goal="parameters"), dict(goal="parameters", target_accuracy=1.5),
                dict(max_parameters=0), dict(max_training_seconds=-1)):
        with pytest.raises(ChallengeRefused):
            Challenge(**bad)
    kept = Challenge(goal="parameters", target_accuracy=0.98, max_training_seconds=60).to_dict()
    assert Challenge.from_dict(kept).to_dict() == kept  # as kept in Redis or the runs folder
    assert "98.0%" in Challenge.from_dict(kept).describe() and "60 s" in Challenge.from_dict(kept).describe()
    with pytest.raises(ChallengeRefused):
        Challenge.from_dict({"goal": "accuracy", "seed": "not a number", "extra": 1})


def test_only_a_students_runs_within_the_limits_and_the_time_count():
    challenge = Challenge(max_parameters=5000, max_training_seconds=60, deadline=time.time() + 3600)
    fine = {"owner": "ada", "status": "finished", "finished_at": time.time(), "parameters": 4000,
            "training_seconds": 30}
    assert challenge.why_not_counted(fine, {"ada"}) == ""
    assert "student" in challenge.why_not_counted(fine | {"owner": "terminal"}, {"ada"})
    assert "before the challenge" in challenge.why_not_counted(fine | {"finished_at": 1.0}, {"ada"})
    assert "deadline" in challenge.why_not_counted(fine | {"finished_at": time.time() + 7200}, {"ada"})
    assert "over the limit" in challenge.why_not_counted(fine | {"parameters": 5001}, {"ada"})
    assert "over the limit" in challenge.why_not_counted(fine | {"training_seconds": 61}, {"ada"})
    assert "diverged" in challenge.why_not_counted(fine | {"status": "diverged"}, {"ada"})
    trial = fine | {"tag": "search:ada's:3", "test_accuracy": None}  # a trial: not read on test
    assert "not chosen" in challenge.why_not_counted(trial, {"ada"})
    assert challenge.why_not_counted(trial | {"test_accuracy": 0.97}, {"ada"}) == ""  # chosen, tested
    revealed = Challenge(started=challenge.started, revealed=True, revealed_at=time.time() - 1)
    assert "revealed" in revealed.why_not_counted(fine, {"ada"})  # it could have tuned on the private half
    with pytest.raises(ChallengeRefused):  # a kept challenge without its seed is not drawn anew
        Challenge.from_dict({"goal": "accuracy", "started": 1.0})
    with pytest.raises(ChallengeRefused):
        Challenge.from_dict(Challenge().to_dict() | {"revealed": "no"})


def _entry(owner, public, private, parameters=1000, when=0.0):
    return Entry(owner, f"{owner}-{public}", f"run {public}", public, private, parameters, 10.0, when)


def test_each_student_is_ranked_by_the_run_they_would_choose_on_the_public_half():
    challenge = Challenge()
    entries = [_entry("ada", 0.97, 0.95), _entry("ada", 0.96, 0.97),  # her best public run overfits
               _entry("bob", 0.965, 0.966), _entry("cy", 0.90, 0.91)]
    public = leaderboard(challenge, entries, PUBLIC)
    assert [(line.rank, line.owner, line.best.public) for line in public] == [
        (1, "ada", 0.97), (2, "bob", 0.965), (3, "cy", 0.90)]
    assert [other.public for other in public[0].others] == [0.96]
    private = leaderboard(challenge, entries, PRIVATE)  # revealed: her chosen run falls behind bob's
    assert [(line.owner, line.best.private) for line in private] == [
        ("bob", 0.966), ("ada", 0.95), ("cy", 0.91)]
    fewest = Challenge(goal="parameters", target_accuracy=0.95)
    ranked = leaderboard(fewest, [_entry("ada", 0.96, 0.96, 900), _entry("bob", 0.99, 0.99, 5000),
                                  _entry("cy", 0.94, 0.94, 100)], PUBLIC)
    assert [line.owner for line in ranked] == ["ada", "bob", "cy"]  # cy is smallest but misses the target
    below = leaderboard(fewest, [_entry("ada", 0.11, 0.11, 50), _entry("bob", 0.94, 0.94, 900)], PUBLIC)
    assert [line.owner for line in below] == ["bob", "ada"]  # short of it: the nearest first


def test_scores_and_the_reported_test_accuracy_come_from_the_answers_saved_with_the_run(real_mnist, tmp_path):
    job = TrainingJob(tiny_config(epochs=1, train_images=1000), "scored")
    run = training.train(job, real_mnist, tmp_path)
    answers = np.load(run.folder / runs.TEST_ANSWERS)
    assert answers.shape == (10_000,) and answers.dtype == np.uint8
    model = runs.load_model(run)
    assert np.array_equal(answers, training.test_answers(model, real_mnist.x_test))  # an independent look
    assert run.record["test_accuracy"] == pytest.approx(float((answers == real_mnist.y_test).mean()))
    challenge = Challenge(seed=5)
    public = challenge.split()[PUBLIC]
    expected = float((answers[public] == real_mnist.y_test[public]).mean())
    assert scores(answers, real_mnist.y_test, challenge)[PUBLIC] == pytest.approx(expected)

    never = lambda run: pytest.fail("the saved answers must be used")  # noqa: E731
    assert TestReport(challenge, real_mnist.y_test, never).accuracy(run) == pytest.approx(expected)
    assert TestReport(None, real_mnist.y_test, never).accuracy(run) == run.record["test_accuracy"]
    revealed = Challenge(seed=5, revealed=True)
    assert TestReport(revealed, real_mnist.y_test, never).accuracy(run) == run.record["test_accuracy"]

    (run.folder / runs.TEST_ANSWERS).unlink()  # a run saved before answers were kept
    asked = []
    report = TestReport(challenge, real_mnist.y_test,
                        lambda run: asked.append(run.id) or training.test_answers(runs.load_model(run),
                                                                                   real_mnist.x_test))
    assert report.accuracy(runs.get_run(run.id, tmp_path)) == pytest.approx(expected)
    assert asked == [run.id] and np.array_equal(np.load(run.folder / runs.TEST_ANSWERS), answers)  # kept


@pytest.fixture(params=["folder", "redis"])
def documents(request, tmp_path):
    """Two instances of the store, as a restarted dashboard sees it."""
    if request.param == "folder":
        yield lambda: DocumentsInFolder(tmp_path / "class")
    else:
        with redis_server() as redis:
            yield lambda: DocumentsOnRedis(Redis.from_url(redis.url))


def test_what_the_teacher_sets_survives_a_restart_and_damage_reads_as_defaults(documents):
    set_ = ClassSettings(max_per_student=2, training_minutes=5.0, pinned_run="r1", teachers=("t",))
    set_.write(documents())
    assert ClassSettings.read(documents()) == set_
    documents().write("settings", {"max_per_student": "3; rm -rf", "max_queued": True, "pinned_run": 7,
                                   "teachers": "t"})
    assert ClassSettings.read(documents()) == ClassSettings()
    challenge = Challenge(max_parameters=5000)
    documents().write("challenge", challenge.to_dict())
    assert Challenge.from_dict(documents().read("challenge")) == challenge
    name = documents().archive({"names": {"a": "Ada"}})
    assert documents().read(name) == {"names": {"a": "Ada"}}
    documents().delete("challenge")
    assert documents().read("challenge") is None


def test_wrong_passwords_slow_down_the_browser_then_the_whole_server():
    guard, now = SignInGuard(), time.time()
    assert guard.check("right", "right", "teacher", now) and not guard.check("", "", "nobody", now)
    assert guard.seconds_to_wait("ada", now) == 0
    for wrong, wait in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)):
        assert not guard.check("guess", "right", "ada", now)
        assert guard.seconds_to_wait("ada", now) == pytest.approx(wait), wrong  # doubling for her
    assert guard.seconds_to_wait("teacher", now) == 0  # not for others yet
    for _ in range(30):
        guard.check("guess", "right", "ada", now)
    assert guard.seconds_to_wait("ada", now) == pytest.approx(SignInGuard.LONGEST_WAIT)
    assert guard.seconds_to_wait("teacher", now) == pytest.approx(60.0)  # many wrong ones: everyone waits
    assert guard.seconds_to_wait("teacher", now + 61) == 0
    assert guard.check("right", "right", "ada", now + 120) and guard.seconds_to_wait("ada", now + 120) == 0


def test_the_export_opens_safely_in_a_spreadsheet():
    points = [{"student": "=HYPERLINK(\"x\")", "run": "+1", "id": "r", "parameters": 10, "accuracy": 0.5,
               "training seconds": 3.0}, {"student": "Ada", "run": "@sum", "id": "s", "parameters": 20,
                                          "accuracy": 0.6, "training seconds": 4.0}]
    text = class_report.results_csv(points, "public half")
    assert "'=HYPERLINK" in text and "'+1" in text and "'@sum" in text and "\nAda," in text
    assert "test accuracy (public half)" in text.splitlines()[0]
    assert class_report.safe_cell("-2") == "'-2" and class_report.safe_cell(3) == 3
