"""Live training in a real headless Chromium, with two visitors: curves grow, only the owner can
stop, a reload keeps ownership, the other visitor sees the job read-only, the run is kept."""

import json
import re

import pytest

from dashboard.session import COOKIE
from harness.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    EPOCH_POINTS,
    enter,
    open_from_navigation,
    page_errors,
    press_slider,
    streamlit_server,
    wait_for_text,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

NARROWEST_SLIDER = """() => Math.min(...[...document.querySelectorAll(
    "[data-testid='stMain'] [data-testid='stSlider']")].map(s => s.getBoundingClientRect().width))"""


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def test_two_visitors_only_the_owner_stops_and_the_run_is_kept(tmp_path):
    from playwright.sync_api import sync_playwright

    with streamlit_server(env={"MNIST_EXPLORER_RUNS": str(tmp_path)}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        alice_context, bob_context = (browser.new_context(viewport={"width": 1400, "height": 1000})
                                      for _ in range(2))  # two visitors, sharing nothing
        alice = alice_context.new_page()
        alice.goto(url)
        wait_until_idle(alice)
        open_from_navigation(alice, "Train")
        assert alice.evaluate(NARROWEST_SLIDER) >= 150  # two a row: wide enough to aim with
        alice.get_by_role("combobox").first.click()  # an Adam preset, which has betas
        alice.get_by_role("option", name=re.compile("^sprint")).click()
        betas = alice.get_by_role("button", name=re.compile("Adam's betas"))
        betas.wait_for(timeout=30_000)
        assert betas.evaluate("b => b.scrollWidth <= b.clientWidth"), betas.inner_text()  # not cut
        alice.get_by_role("combobox").first.click()
        alice.get_by_role("option", name=re.compile("^given")).click()
        alice.wait_for_function("() => [...document.querySelectorAll('input[aria-label=\"Epochs\"]')]"
                                ".map(e => e.value).join() === '10'")  # the sprint form gone
        wait_until_idle(alice)
        # a tiny network: trained for many short epochs so Stop has work to stop
        press_slider(alice, "Epochs", "End")  # the most: 200
        enter(alice, "Training images (the first N)", 20000)
        enter(alice, "Run name (optional)", "browser run", role="textbox")
        assert "101,770" in main_text(alice)  # the given preset's summary
        alice.get_by_role("button", name="Train", exact=True).click()
        alice.get_by_text(re.compile(r"Run browser run \(#\d+\): running")).wait_for(timeout=60_000)
        # where the eye is: the live view in the window, beside the form, without scrolling to it
        live_view = alice.locator(".st-key-live-view").bounding_box()
        assert live_view["x"] > 700 and 0 <= live_view["y"] < 1000 - 100, live_view
        alice.wait_for_function(f"({EPOCH_POINTS})() >= 1", timeout=60_000)
        first = alice.evaluate(EPOCH_POINTS)
        alice.wait_for_function(f"({EPOCH_POINTS})() > {first}", timeout=60_000)  # it grows
        # the progress line is redrawn with the fragment: wait for it rather than catch a redraw
        alice.get_by_text(re.compile(r"epoch \d+ of 200, batch \d+ of")).wait_for(timeout=10_000)
        assert page_errors(alice) == []
        # the session's token: kept by the browser, never in the address
        assert "owner" not in alice.url and alice.evaluate("document.cookie").count(f"{COOKIE}=") == 1

        # Bob sees Alice's training in the server queue, read-only: no Stop anywhere
        bob = bob_context.new_page()
        bob.goto(url)
        wait_until_idle(bob)
        open_from_navigation(bob, "Train")
        bob.get_by_text("Server queue").wait_for(timeout=30_000)
        bob.wait_for_function("() => [...document.querySelectorAll(\"[data-testid='stDataFrame']\")]"
                              ".some(grid => grid.textContent.includes('browser run'))", timeout=30_000)
        assert bob.get_by_role("button", name="Stop", exact=True).count() == 0
        assert "Run browser run" not in main_text(bob)  # not among Bob's own trainings

        # Alice leaves the page, reloads the tab, closes it and comes back from its address:
        # the training goes on, and it is still hers
        open_from_navigation(alice, "Overview")
        address = alice.url
        bob.goto(address)  # her address, pasted into another browser: no control comes with it
        wait_until_idle(bob)
        open_from_navigation(bob, "Train")
        bob.get_by_text("Server queue").wait_for(timeout=30_000)
        assert bob.get_by_role("button", name="Stop", exact=True).count() == 0
        alice.reload()
        wait_until_idle(alice)
        alice.close()
        alice = alice_context.new_page()
        alice.goto(address)
        wait_until_idle(alice)
        open_from_navigation(alice, "Train")
        alice.get_by_text(re.compile(r"Run browser run \(#\d+\): running")).wait_for(timeout=30_000)
        alice.wait_for_function(f"({EPOCH_POINTS})() >= 2", timeout=60_000)
        alice.get_by_role("button", name="Stop", exact=True).click()
        alice.get_by_text(re.compile(r"Run browser run \(#\d+\): stopped")).wait_for(timeout=30_000)
        # epochs this short end every second or so: the click may land in one or between two
        alice.get_by_text(re.compile(r"Stopped (during epoch \d+ of 200|after \d+ full epoch\(s\) of 200)"))\
            .wait_for(timeout=10_000)
        saved = [json.loads(p.read_text()) for p in tmp_path.glob("*/run.json")]
        assert len(saved) == 1 and saved[0]["status"] == "stopped"
        assert 1 <= saved[0]["epochs_run"] < 200
        assert saved[0]["partial_epoch"] is None or saved[0]["partial_epoch"]["batches"] >= 1

        open_from_navigation(alice, "Runs")
        # the grid's text fills in after the frame is drawn: wait for it, not for the frame
        grid = wait_for_text(alice, "[data-testid='stDataFrame']", "browser run")
        assert page_errors(alice) == [] and page_errors(bob) == []
        assert "browser run" in grid and "stopped" in grid and "you" in grid
        # a shared lab computer: "I'm someone else" forgets her; her run is no longer "you"
        alice.get_by_role("button", name="I'm someone else").click()
        wait_until_idle(alice)
        made_by_another = ("() => document.querySelector(\"[data-testid='stDataFrame']\")"
                           "?.textContent.includes('another session')")
        alice.wait_for_function(made_by_another, timeout=30_000)
        alice.reload()  # the Runs page again: the browser forgot her too
        wait_until_idle(alice)
        alice.wait_for_function(made_by_another, timeout=30_000)
        browser.close()
