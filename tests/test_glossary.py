"""The glossary: every word a page links to is explained; a link opens it on that page's words."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.glossary import TERMS
from harness.apptest import APP, open_page

pytestmark = pytest.mark.real_data
LINKED = ["train", "evaluate", "search", "inspect_training", "inspect_inside", "runs"]


def page_words(app) -> list[str]:
    (link,) = [link for link in app.get("page_link") if link.proto.label.startswith("Words on this page")]
    assert link.proto.page.endswith("glossary")
    return link.proto.label.split(": ", 1)[1].split(", ")


@pytest.mark.parametrize("page", LINKED)
def test_each_page_links_to_its_words_and_each_is_explained(page):
    words = page_words(open_page(page))
    assert len(words) >= 4
    assert set(words) <= set(TERMS), set(words) - set(TERMS)


def test_the_glossary_shows_the_asked_words_first_and_says_which_it_does_not_know():
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.query_params["terms"] = "dropout,epoch,made up"
    app.switch_page("views/glossary.py").run()
    assert not app.exception
    assert app.warning[0].value == r"Not in the glossary: made up."
    text = [markdown.value for markdown in app.markdown]
    first = [re.match(r"\*\*(.+?)\*\*", value).group(1) for value in text if value.startswith("**")]
    assert first[:2] == ["Dropout", "Epoch"]  # the asked words, then every word
    assert len(first) == 2 + len(TERMS)
    app.text_input[0].set_value("overfit").run()
    found = [value for value in (m.value for m in app.markdown) if value.startswith("**")]
    assert found and all("overfit" in value.lower() for value in found)


CONTROLS = ("slider", "select_slider", "selectbox", "number_input", "checkbox", "toggle", "text_input",
            "radio", "multiselect")


def silent_controls(app) -> list[str]:
    return [widget.label for kind in CONTROLS for widget in app.get(kind) if not widget.proto.help]


@pytest.mark.parametrize("page, least", [("search", 15), ("digit_map", 6), ("inspect_inside", 8),
                                         ("inspect_training", 2), ("label_audit", 2)])
def test_every_control_of_search_map_and_inspect_says_what_it_means(runs_folder, real_mnist, page, least):
    from core import training
    from core.jobs import TrainingJob
    from tests.conftest import tiny_config

    training.train(TrainingJob(tiny_config(epochs=1, train_images=1000), "explained"), real_mnist,
                   runs_folder)
    app = open_page(page)
    assert sum(len(app.get(kind)) for kind in CONTROLS) >= least
    assert silent_controls(app) == []
    if page == "inspect_inside":  # the controls of a confusion cell's images too
        app.radio(key="inspect_source").set_value("a confusion-matrix cell").run()
        assert silent_controls(app) == []
