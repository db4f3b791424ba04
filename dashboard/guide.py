"""The guided path's steps, and a visitor's progress on it (kept with their owner id, beside the
class's documents): the Start page shows the path, and every page of a step says so in the sidebar,
with the next step one click away."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from core import path
from core.path import Step
from dashboard import classroom, pages, session

logger = logging.getLogger(__name__)

STEPS = [
    Step(pages.SAMPLES, "The data",
         "MNIST is 70,000 handwritten digits, 28x28 gray pixels each, written by about 500 people: "
         "60,000 to train on, 10,000 kept apart to test. Scroll through some of them, and filter one digit.",
         "Find a 4 that you would have read as a 9."),
    Step(pages.AVERAGES, "What a digit looks like on average",
         "Each digit's average image: its typical strokes. Where two averages overlap, a network has to "
         "learn finer differences.",
         "Which two digits have the most alike averages? Would you expect a network to confuse them?"),
    Step(pages.TRAIN, "A first network",
         "Train the \"given\" preset as it opens (the classic analysis's network: one hidden layer of 128 "
         "neurons, 10 epochs, about 15 seconds). Watch two curves: on the training images and on the "
         "validation images held out. When the training curve keeps improving and the validation one "
         "does not, the network is learning its training images by heart: overfitting.",
         "After which epoch does the validation accuracy stop improving?", (("p", "given"),)),
    Step(pages.EVALUATE, "Its mistakes",
         "The confusion matrix counts, for each true digit (row), what the network read (column). "
         "Click a cell off the diagonal to see those images.",
         "Which two digits does your network confuse most? Could you read those images yourself?"),
    Step(pages.DRAW, "Your own digit",
         "Draw a digit and watch the network read it as you draw; the nearest training images say "
         "what it compares your strokes with.",
         "Which of your digits does it misread, and what does it read instead?"),
    Step(pages.INSIDE, "Inside the network",
         "Every layer's activations for one image, and the first layer's weights drawn as images: each "
         "neuron's favourite strokes.",
         "Which strokes does one first-layer neuron look for? Does it fire for your digit?"),
    Step(pages.MAP, "A map of the digits",
         "Every test image as a point, placed so that images that look alike sit together, to the "
         "pixels or to a layer of your network.",
         "Which digits sit closest together on the map? Are they the ones your network confuses?"),
    Step(pages.TRAIN, "A convnet against your first network",
         "Train the \"sprint\" preset as it opens (a small convolutional network, about 15 seconds), then "
         "compare it with your first network on the Runs page (Compare runs: their settings, curves "
         "and each digit's recall). Convolutions look for the same stroke everywhere in the image.",
         "How many fewer mistakes does the convnet make, and for how many more seconds of training?",
         (("p", "sprint"),)),
    Step(pages.SEARCH, "The smallest network that does the job",
         "An architecture search trains many networks and keeps those no other beats on both accuracy "
         "(on validation images: the test set is never used to choose) and size.",
         "How small can a network be and still reach 98% validation accuracy?"),
]


def progress() -> path.Progress:
    try:
        return path.read_progress(classroom.documents(), session.owner())
    except Exception as error:  # Redis down: no ticks shown, the page still works
        logger.warning("the path's progress cannot be read: %s", error)
        return path.Progress()


def tick(number: int, done: bool) -> None:
    kept = progress()
    kept.done = (kept.done | {number}) if done else (kept.done - {number})
    _keep(kept)


def _keep(kept: path.Progress) -> None:
    """Write the progress; a runs folder that cannot be written (or Redis down) costs the visitor
    their ticks, never the page."""
    try:
        path.write_progress(classroom.documents(), session.owner(), kept)
    except Exception as error:  # OSError, or Redis's own
        logger.warning("the path's progress cannot be kept: %s", error)


def step_of_url(url_path: str, done: frozenset[int] | set[int] = frozenset()) -> int:
    """The step whose page has this address (0: none); of two on one page, the first not done."""
    steps = [number for number, step in enumerate(STEPS, 1) if Path(step.page).stem == url_path]
    return next((number for number in steps if number not in done), steps[0] if steps else 0)


def on_page(url_path: str) -> None:
    """Each page load: a returning visitor opening the first page is taken where they left (once a
    session); the page is remembered; a step's page says so in the sidebar."""
    if not st.session_state.get("guide-landed"):
        st.session_state["guide-landed"] = True
        last = progress().last_page
        if not url_path and last and (page := pages.by_address(last)):
            st.switch_page(page)
    remember_page(url_path)
    sidebar_marker(url_path)


def remember_page(url_path: str) -> None:
    """Keep the page this visitor is on (written only when it changes: a write per page view
    would cost a disk sync)."""
    if st.session_state.get("guide-last-page") != url_path:
        st.session_state["guide-last-page"] = url_path
        kept = progress()
        if kept.last_page != url_path:
            kept.last_page = url_path
            _keep(kept)


def sidebar_marker(url_path: str) -> None:
    """On a step's page: which step it is, and the next one."""
    if not (number := step_of_url(url_path, progress().done)):
        return
    with st.sidebar.container(border=True):
        st.caption(f"Step {number} of {len(STEPS)} of the path: {STEPS[number - 1].title}. "
                   f"{STEPS[number - 1].question}"
                   + (f" Next: {STEPS[number].title}." if number < len(STEPS) else ""))
        if number < len(STEPS):  # a short label: a link's text is cut to one line in the sidebar
            st.page_link(STEPS[number].page, label=f"Step {number + 1} →",
                         query_params=dict(STEPS[number].settings) or None)
        st.page_link(pages.START, label="The whole path", icon=":material/flag:")
