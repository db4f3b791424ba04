"""A class in three real Chromium contexts: two students and their teacher. The students name
themselves and train; the teacher sees both live, stops one student's training, changes a limit,
pins a run and sets a challenge; the students see it and the leaderboard; the teacher reveals; the
scores shown match an independent evaluation of the saved models on each half."""

import json
import re

import pytest

from core import runs
from core.architecture import predict_probabilities
from core.challenge import PRIVATE, PUBLIC, Challenge
from harness.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    enter,
    open_from_navigation,
    page_errors,
    press_slider,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]
PASSWORD = "a teacher's secret"


def join(page, url: str, name: str) -> None:
    page.goto(url)
    wait_until_idle(page)
    page.get_by_role("textbox", name="Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    page.get_by_text(f"You are {name} in this class").wait_for(timeout=60_000)
    wait_until_idle(page)


def train(page, name: str, epochs_key: str = "Home", images: int = 2000) -> None:
    """The Train page's default network, on the first `images` images, for 1 epoch (Home) or 200 (End)."""
    if page.inner_text("[data-testid='stMain'] h1") != "Train a network":
        open_from_navigation(page, "Train")
    press_slider(page, "Epochs", epochs_key)
    enter(page, "Training images (the first N)", images)
    enter(page, "Run name (optional)", name, role="textbox")
    page.get_by_role("button", name="Train", exact=True).click()


def choose(page, box: str, option: str) -> None:
    """Pick an option of a labelled selectbox; its list, opened while the page reran, may close
    under the click: open it again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        wait_until_idle(page)
        page.get_by_role("combobox", name=re.compile(box)).click()
        try:
            page.get_by_role("option", name=re.compile(option)).click(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    wait_until_idle(page)


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def leaderboard_row(page, student: str) -> str:
    return page.locator("[data-testid='stTable'] tr", has_text=student).first.inner_text()


def shown_scores(page, student: str) -> list[str]:
    """The percentages on a student's row of the leaderboard."""
    return re.findall(r"[+-]?\d+\.\d\d%", leaderboard_row(page, student))


def test_two_students_and_their_teacher(tmp_path, real_mnist):
    from playwright.sync_api import sync_playwright

    env = {"MNIST_EXPLORER_RUNS": str(tmp_path), "MNIST_EXPLORER_TEACHER_PASSWORD": PASSWORD}
    with streamlit_server(env=env) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ada, bob, teacher = (browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
                             for _ in range(3))  # three browsers, sharing nothing
        try:
            join(ada, url, "Ada")
            join(bob, url, "Bob")

            teacher.goto(url)
            wait_until_idle(teacher)
            open_from_navigation(teacher, "Class")
            teacher.get_by_role("textbox", name="Teacher's password").fill("not it")
            teacher.get_by_role("button", name="Sign in as the teacher").click()
            teacher.get_by_text("That is not the teacher's password").wait_for(timeout=30_000)
            teacher.wait_for_timeout(1500)  # a wrong password costs a second's wait
            teacher.get_by_role("textbox", name="Teacher's password").fill(PASSWORD)
            teacher.get_by_role("button", name="Sign in as the teacher").click()
            teacher.get_by_text("Students (2)").wait_for(timeout=60_000)
            wait_until_idle(teacher)
            # in a form: typed, then sent with its button (Enter would send the form at once)
            most = teacher.get_by_role("spinbutton", name="At most this many parameters (0: no limit)")
            most.fill("0")
            most.press("Tab")
            teacher.get_by_role("button", name="Start the challenge").click()
            teacher.get_by_text("Class challenge.").wait_for(timeout=30_000)

            train(bob, "bob long", "End", 20_000)  # long enough for the teacher to stop it
            bob.get_by_text(re.compile(r"Run bob long \(#\d+\): running")).wait_for(timeout=90_000)
            teacher.get_by_text("Bob: bob long").wait_for(timeout=30_000)  # the Class page, live
            teacher.locator("[data-testid='stButton']", has_text="Stop").first.click()
            bob.get_by_text(re.compile(r"Run bob long \(#\d+\): (stopped|stopping)")).wait_for(timeout=60_000)

            train(ada, "ada quick")
            ada.get_by_text(re.compile(r"Run ada quick \(#\d+\): finished")).wait_for(timeout=120_000)
            bob.get_by_text(re.compile(r"Run bob long \(#\d+\): stopped")).wait_for(timeout=60_000)
            train(bob, "bob quick", images=3000)
            bob.get_by_text(re.compile(r"Run bob quick \(#\d+\): finished")).wait_for(timeout=120_000)
            assert "Class challenge" in main_text(ada)  # the students see the challenge on the Train page

            wait_until_idle(teacher)
            numbers = teacher.get_by_role("spinbutton", name=re.compile("^Trainings per student"))
            numbers.fill("2")
            numbers.press("Tab")  # the value kept by the form before its button sends it
            teacher.get_by_role("button", name="Apply the limits").click()
            teacher.get_by_text("Limits applied").wait_for(timeout=30_000)
            teacher.get_by_text("2 trainings queued or running per student").wait_for(timeout=30_000)
            wait_until_idle(teacher)
            teacher.screenshot(path=str(tmp_path / "class-page-limits.png"), full_page=True)
            choose(teacher, "The teacher's pick", "ada quick")
            teacher.get_by_role("button", name="Pin it").click()
            wait_until_idle(teacher)

            open_from_navigation(ada, "Draw")
            chosen = ada.get_by_role("combobox", name=re.compile("^Run")).input_value()
            assert chosen.startswith("★ the teacher's pick: ada quick"), chosen  # first, and chosen

            challenge = Challenge.from_dict(json.loads((tmp_path / "class" / "challenge.json").read_text()))
            halves = challenge.split()
            independent = {}
            for run in runs.list_runs(tmp_path):
                if run.usable:  # the quick ones, and what Bob's long one kept if stopped after an epoch
                    right = predict_probabilities(runs.load_model(run), real_mnist.x_test).argmax(axis=1) \
                        == real_mnist.y_test  # an independent look at the saved model
                    independent[run.name] = {half: f"{right[halves[half]].mean():.2%}"
                                             for half in (PUBLIC, PRIVATE)}
            # Bob's long run, stopped before its first epoch ended, has no model and cannot count
            bobs = [name for name in ("bob long", "bob quick") if name in independent]
            best = {"Ada": "ada quick",
                    "Bob": max(bobs, key=lambda name: float(independent[name][PUBLIC][:-1]))}
            open_from_navigation(ada, "Challenge")
            for student, run in best.items():  # each student's best run on the public half, as scored
                assert shown_scores(ada, student)[0] == independent[run][PUBLIC]
                assert run in leaderboard_row(ada, student)
            assert independent["ada quick"][PRIVATE] not in main_text(ada) or (
                independent["ada quick"][PRIVATE] == independent["ada quick"][PUBLIC])

            wait_until_idle(teacher)
            teacher.get_by_role("button", name="Reveal the private ranking").click()
            teacher.get_by_text("public − private").first.wait_for(timeout=30_000)
            open_from_navigation(bob, "Challenge")
            bob.get_by_text("Final ranking (private half)").wait_for(timeout=30_000)
            for student, run in best.items():
                private, public = shown_scores(bob, student)[:2]
                assert (private, public) == (independent[run][PRIVATE], independent[run][PUBLIC])
            teacher.screenshot(path=str(tmp_path / "class-page.png"), full_page=True)
            bob.screenshot(path=str(tmp_path / "challenge-page.png"), full_page=True)
            for page in (ada, bob, teacher):
                assert page_errors(page) == []
        except Exception:  # what each browser showed, for whoever reads the failure
            for name, page in (("ada", ada), ("bob", bob), ("teacher", teacher)):
                page.screenshot(path=str(tmp_path / f"failed-{name}.png"), full_page=True)
            raise
        browser.close()
