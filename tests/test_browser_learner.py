"""A learner's first hour in real Chromium: the path's ticks survive a reload; a two-layer convnet
built in the form trains; its settings link fills the same form in another browser, a tampered
one says which value it ignored; a run link opens the same run and confusion cell."""

import re

import pytest

from core import runs
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


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def summary(page) -> str:
    return page.locator("[data-testid='stMarkdownContainer']", has_text="Model summary").first.inner_text()


def test_a_learner_follows_the_path_builds_a_convnet_and_shares_it(tmp_path):
    from playwright.sync_api import sync_playwright

    with streamlit_server(env={"MNIST_EXPLORER_RUNS": str(tmp_path)}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        learner = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        learner.goto(url)
        wait_until_idle(learner)
        assert learner.inner_text("[data-testid='stMain'] h1") == "Start here"
        for number in (1, 2, 3):
            learner.locator(f".st-key-path-step-{number} label").click()
            wait_until_idle(learner)
        learner.reload()
        wait_until_idle(learner)
        learner.get_by_text("3 of 9 steps done").wait_for(timeout=30_000)
        assert [learner.locator(f".st-key-path-step-{n} input").is_checked() for n in (1, 2, 3, 4)] == [
            True, True, True, False]

        open_from_navigation(learner, "Train")
        for _ in range(2):  # a two-layer convnet, in front of the classic network's dense layer
            learner.get_by_role("button", name="Add a convolution", exact=True).click()
            wait_until_idle(learner)
        assert "conv3x3x32 pool > conv3x3x32 pool > 128" in summary(learner)
        press_slider(learner, "Epochs", "Home")
        enter(learner, "Training images (the first N)", 2000)
        enter(learner, "Run name (optional)", "my convnet", role="textbox")
        learner.get_by_role("button", name="Train", exact=True).click()
        learner.get_by_text(re.compile(r"Run my convnet \(#\d+\): finished")).wait_for(timeout=180_000)
        link = learner.url
        assert "c=32-k3-pool_32-k3-pool" in link and "owner" not in link

        friend = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        friend.goto(link)
        wait_until_idle(friend)
        assert summary(friend) == summary(learner)  # the same form, in a browser that shares nothing
        assert friend.get_by_role("combobox", name=re.compile("^Start from")).input_value().startswith(
            "the link's settings")
        friend.goto(link + "&lr=abc")
        wait_until_idle(friend)
        friend.get_by_text("The link's value lr='abc': not a number").wait_for(timeout=30_000)
        assert summary(friend) == summary(learner)

        (run,) = runs.list_runs(tmp_path)
        friend.goto(f"{url}/evaluate?run={run.id}&split=test&cell=4-9")
        wait_until_idle(friend)
        friend.get_by_text(re.compile(r"True 4, predicted 9: [\d,]+ images")).wait_for(timeout=60_000)
        assert "my convnet" in friend.get_by_role("combobox", name=re.compile("^Run")).input_value()
        learner.screenshot(path=str(tmp_path / "learner-train.png"), full_page=True)
        friend.screenshot(path=str(tmp_path / "friend-evaluate.png"), full_page=True)
        for page in (learner, friend):
            assert page_errors(page) == []
        browser.close()
