"""The Search page under AppTest: a search started from the page trains real trials through the
server's queue; refusals are said in the page; another session sees the search but cannot stop it."""

import time

import pytest

from core import search
from core.trainings.local import LocalTrainings
from tests.conftest import button, open_page

pytestmark = pytest.mark.real_data


def tiny_form(app, name: str, trials: int):
    app.text_input(key="search-name").set_value(name)
    app.slider(key="search-layers-dense").set_value((1, 1))
    app.select_slider(key="search-widths-dense").set_value((4, 16))
    app.slider(key="search-epochs").set_value(1)
    app.select_slider(key="search-images").set_value(1_000)
    app.number_input(key="new-trials").set_value(trials)
    return app.run()


def wait_for_results(app, count: int, timeout: float = 120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        app.run()
        if any(m.label == "Results" and m.value == str(count) for m in app.metric):
            return app
        time.sleep(1)
    raise AssertionError(f"no {count} results: {[(m.label, m.value) for m in app.metric]}")


def test_a_search_started_from_the_page_fills_its_table_and_front(runs_folder):
    app = tiny_form(open_page("search"), "from the page", trials=2)
    assert not app.error
    button(app, "Start the search").click().run()
    assert app.selectbox(key="search-study").value == "from the page"
    wait_for_results(app, 2)
    table = next(d.value for d in app.dataframe if "architecture" in d.value.columns)
    assert list(table["state"]) == ["result", "result"] and table["run"].notna().all()
    assert any("Pareto front" in c.value for c in app.caption)
    study = search.load_study("from the page", search.default_storage())
    assert sorted(t.user_attrs["run_id"] for t in study.trials) == sorted(table["run"])
    assert {p.name for p in runs_folder.iterdir() if p.is_dir()} >= set(table["run"])  # saved as runs

    other = open_page("search", **{"search-study": "from the page"})  # another visitor
    assert "Stop the search" not in [b.label for b in other.button]
    assert any(m.label == "Results" for m in other.metric)


def test_the_page_refuses_bad_spaces_and_taken_names(runs_folder):
    app = open_page("search")
    app.multiselect(key="search-optimizers").set_value([]).run()
    assert any("optimizers: choose at least one" in e.value for e in app.error)
    assert button(app, "Start the search").disabled
    app.multiselect(key="search-optimizers").set_value(["adam"])
    app.number_input(key="new-trials").set_value(0)
    app.number_input(key="new-minutes").set_value(0).run()
    assert any("give the search a budget" in e.value for e in app.error)
    search.create_study("taken", search.SearchSpace(), search.default_storage())
    app = tiny_form(open_page("search", **{"search-study": "New search..."}), "taken", trials=1)
    button(app, "Start the search").click().run()
    assert any("already exists" in e.value for e in app.error)


def test_a_finished_study_reopens_with_its_charts_and_target(real_mnist, runs_folder):
    storage = search.default_storage()
    space = search.SearchSpace(max_layers=2, max_width=32, epochs=1, train_images=600, reductions=["pool2"])
    study = search.create_study("earlier", space, storage)
    search.work(study, LocalTrainings(real_mnist, runs_folder), trials=3)
    app = open_page("search", **{"search-study": "earlier"})
    assert any(m.label == "Results" and m.value == "3" for m in app.metric)
    assert [t.label for t in app.tabs] == ["Parallel coordinates", "Hyperparameter importances"]
    app.number_input(key="search-target").set_value(10.0).run()
    best_small = search.smallest_reaching(study, 0.10)  # on validation
    chosen = next(s.value for s in app.success if f"Trial #{best_small.number}" in s.value)
    assert "Chosen on validation." in chosen and "test" not in chosen  # the test set not read yet
    holdout = "Every trial is scored on the same 100 held-out training images"
    assert any(holdout in caption.value for caption in app.caption)
    button(app, "Test it").click().run()
    assert not app.exception
    tested = search.tested(search.load_study("earlier", storage))
    assert list(tested) == [str(best_small.number)]
    chosen = next(s.value for s in app.success if f"Trial #{best_small.number}" in s.value)
    assert f"then **{tested[str(best_small.number)]:.2%} test**" in chosen and "reported on test" in chosen
    assert "Test it" not in [b.label for b in app.button]  # read once
    assert "Continue" in [b.label for b in app.button]


def test_only_the_owner_stops_a_search_and_its_trial_in_hand_gives_no_result(runs_folder):
    app = tiny_form(open_page("search"), "long", trials=50)
    app.slider(key="search-epochs").set_value(30)
    app.select_slider(key="search-images").set_value(20_000)
    button(app.run(), "Start the search").click().run()
    deadline = time.time() + 60
    while not any("Searching: 0 of 50 trial(s) done, 1 in training" in i.value for i in app.info):
        assert time.time() < deadline, [i.value for i in app.info]
        time.sleep(0.5)
        app.run()
    app.selectbox(key="search-study").set_value("New search...")
    app = tiny_form(app.run(), "second", trials=1)
    button(app, "Start the search").click().run()  # the same session: one search at a time
    assert any("already running the search 'long'" in e.value for e in app.error)
    other = open_page("search", **{"search-study": "long"})  # another visitor: sees it, cannot stop it
    assert any("Searching:" in i.value for i in other.info)
    assert "Stop the search" not in [b.label for b in other.button]
    app.selectbox(key="search-study").set_value("long")
    button(app.run(), "Stop the search").click().run()
    deadline = time.time() + 60
    while not any("no search is running" in c.value for c in app.caption):
        assert time.time() < deadline
        time.sleep(0.5)
        app.run()
    rows = search.trial_rows(search.load_study("long", search.default_storage()))
    assert len(rows) == 1 and rows[0]["state"] in ("stopped", "cancelled")  # queued or training: no result
    assert rows[0]["validation accuracy"] is None


def test_a_convnet_search_from_the_page_can_use_separable_convolutions(runs_folder):
    app = open_page("search")
    app.radio(key="search-kind").set_value("conv").run()
    app.text_input(key="search-name").set_value("separable")
    app.slider(key="search-layers-conv").set_value((2, 2))
    app.select_slider(key="search-widths-conv").set_value((4, 8))
    app.selectbox(key="search-separable").set_value("yes")
    app.number_input(key="search-cost-cap").set_value(5_000_000)
    app.slider(key="search-epochs").set_value(1)
    app.select_slider(key="search-images").set_value(1_000)
    app.number_input(key="new-trials").set_value(1)
    button(app.run(), "Start the search").click().run()
    wait_for_results(app, 1)
    study = search.load_study("separable", search.default_storage())
    assert search.study_space(study).separable == [True]
    assert search.study_space(study).max_multiply_adds == 5_000_000
    table = next(d.value for d in app.dataframe if "architecture" in d.value.columns)
    result = table[table["state"] == "result"]
    assert len(result) == 1 and "> sep" in result["architecture"].iloc[0]


def test_the_front_says_one_line_per_trial_and_the_best_trial_is_drawn_dark():
    import optuna

    from dashboard import search_charts

    study = optuna.create_study(directions=["maximize", "minimize"])
    width = optuna.distributions.IntDistribution(4, 512, log=True)
    for units, accuracy in [(16, 0.93), (64, 0.96), (32, 0.91), (256, 0.975)]:
        study.add_trial(optuna.trial.create_trial(
            params={"units_1": units}, distributions={"units_1": width},
            values=[accuracy, 795 * units + 10], user_attrs={
                "architecture": f"28x28 > {units} > 10",
                "host": "teacher-host", "runs_folder": "/srv/secret/runs"}))
    study.set_user_attr(f"{search.results.TESTED_PREFIX}1", 0.958)  # trial 1 chosen, then tested
    front = search_charts.pareto_figure(study)
    hovers = [text for trace in front.data for text in trace.text]
    assert "#1: 28x28 &gt; 64 &gt; 10, 50,890 parameters, 96.00% validation, 95.80% test" in hovers
    assert "#3: 28x28 &gt; 256 &gt; 10, 203,530 parameters, 97.50% validation" in hovers  # never tested
    assert len(hovers) == 4 and not any("<br>" in t or "host" in t or "/srv" in t for t in hovers)
    assert all(trace.hovertemplate == "%{text}<extra></extra>" for trace in front.data)
    parallel = search_charts.other_figures(study)["Parallel coordinates"]
    lines = {trace.y[0]: trace.line.color for trace in parallel.data if trace.mode == "lines"}
    assert lines[1.0] == "rgb(8, 48, 107)"  # the most accurate trial, darkest, not white on white
    assert lines[0.0] == "rgb(217, 217, 217)"
    assert parallel.layout.margin.l >= 100  # the first axis's name is not clipped
