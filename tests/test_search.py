"""The architecture search in core: seeded trials, real trainings saved as tagged runs, failures
recorded as failures, the Pareto front and the targets read off it (SQLite storage)."""

import json
import threading

import numpy as np
import optuna
import pytest

from core import runs, search
from core.architecture import ConfigError, ConvLayer, TrainingConfig, build_model
from core.trainings.local import LocalTrainings

# a space whose trials train in about a second each
TINY = dict(max_layers=2, max_width=16, epochs=1, train_images=600, batch_sizes=[64], reductions=["pool2"])


def tiny_study(tmp_path, name="tiny", **changes):
    space = search.SearchSpace(**(TINY | changes))
    return search.create_study(name, space, f"sqlite:///{tmp_path}/search.sqlite3")


def test_the_same_seed_gives_the_same_trials(real_mnist, tmp_path, monkeypatch):
    monkeypatch.setattr(search.sampler, "STARTUP_TRAINED", 2)  # random draws, then the TPE sampler's
    sequences = []
    for attempt in range(2):
        folder = tmp_path / str(attempt)
        study = tiny_study(folder, seed=3)
        search.work(study, LocalTrainings(real_mnist, folder), trials=3)
        sequences.append([trial.params for trial in study.trials])
    assert len(sequences[0]) == 3
    assert sequences[0] == sequences[1]
    other = tiny_study(tmp_path / "other", seed=4)
    search.work(other, LocalTrainings(real_mnist, tmp_path / "other"), trials=1)
    assert other.trials[0].params != sequences[0][0]


@pytest.mark.filterwarnings("ignore:Heartbeat")  # ask and tell, as a worker never does
def test_a_reopened_study_draws_new_networks_not_the_ones_it_drew_before(tmp_path):
    import optuna
    storage = f"sqlite:///{tmp_path}/search.sqlite3"
    study = tiny_study(tmp_path, kind="conv", max_layers=3, max_width=32)
    space = search.study_space(study)
    first = [search.suggest(trial := study.ask(), space).describe() for _ in range(3)]
    for trial in study.trials:
        study.tell(trial.number, state=optuna.trial.TrialState.PRUNED)
    for _ in range(2):  # closed and opened again twice (as sessions continue a kept study)
        reopened = search.load_study("tiny", storage)
        drawn = search.suggest(trial := reopened.ask(), space).describe()
        reopened.tell(trial, state=optuna.trial.TrialState.PRUNED)
        assert drawn not in first
        first.append(drawn)
    assert len(set(first)) == 5


@pytest.mark.filterwarnings("ignore:Heartbeat")  # ask and tell, as a worker never does
def test_the_sampler_draws_at_random_until_enough_networks_have_trained(tmp_path, monkeypatch):
    import optuna
    study = tiny_study(tmp_path, kind="conv", max_layers=3, max_width=32)
    space = search.study_space(study)
    modelled = []
    tpe_draw = study.sampler.tpe.sample_independent
    monkeypatch.setattr(study.sampler.tpe, "sample_independent",
                        lambda *args: modelled.append(args[1].number) or tpe_draw(*args))
    for number in range(30):  # untrained draws (pruned) do not end the random start-up
        trial = study.ask()
        search.suggest(trial, space)
        if number < 20:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, [0.9 + number / 1000, 1000 - number])
    assert modelled == []  # 10 trained now
    trial = study.ask()
    search.suggest(trial, space)
    assert modelled and set(modelled) == {30}
    # its good group is a tenth of the trained networks, not of every draw (Optuna's default: 4 of 31)
    assert study.sampler.good_group_size(len(study.trials)) == 1


@pytest.mark.filterwarnings("ignore:Heartbeat")
def test_the_sampler_keeps_exploring_when_most_draws_are_over_the_caps(tmp_path):
    """Larger networks score better here, as under a parameter cap they do; about 1 draw in 25 is
    under the caps. With TPE's own good group (a tenth of every draw) it drew 2 networks in 15."""
    import optuna
    space = search.SearchSpace(kind="conv", min_layers=4, max_layers=5, min_width=10, max_width=32,
                               separable=[True], reductions=["none"], batch_norm=[True], max_dropout=0.0,
                               batch_sizes=[128], shifts=[0.0], label_smoothing=[0.0], max_parameters=2_000,
                               max_multiply_adds=250_000)
    study = search.create_study("capped", space, f"sqlite:///{tmp_path}/search.sqlite3")
    trained = []
    while len(trained) < search.STARTUP_TRAINED + 15:
        trial = study.ask()
        config = search.suggest(trial, space)
        reason, violation = search.why_not_trained(config, space)
        if reason:
            trial.set_constraint("not trained", violation)
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        parameters = config.parameter_count(trainable_only=True)
        study.tell(trial, [0.97 + parameters / 100_000, parameters])
        trained.append((config.describe(), parameters))
    modelled = trained[search.STARTUP_TRAINED:]
    assert len(set(modelled)) >= 12, modelled


def test_trials_are_tagged_runs_and_the_front_is_the_true_front(real_mnist, tmp_path):
    study = tiny_study(tmp_path, max_layers=3, max_width=64)
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=6)
    rows = search.trial_rows(study)
    results = [row for row in rows if row["state"] == "result"]
    assert len(results) == 6
    for row in results:  # each a normal, usable run, tagged with its study and trial
        run = runs.get_run(row["run"], tmp_path)
        assert run.usable and run.record["tag"] == f"search:tiny:{row['trial']}"
        assert run.record["trainable_parameters"] == row["trainable parameters"]
        assert run.record["validation_accuracy"] == row["validation accuracy"]
        assert run.record["test_accuracy"] is None and row["test accuracy"] is None  # chosen on validation
        assert run.record["validation_size"] == 100  # a sixth of 600: the same holdout for every trial
    points = {row["trial"]: (row["validation accuracy"], row["trainable parameters"]) for row in results}
    brute_force = {number for number, (accuracy, size) in points.items()
                   if not any(a >= accuracy and s <= size and (a, s) != (accuracy, size)
                              for a, s in points.values())}
    front = search.pareto_front(study)
    assert {trial.number for trial in front} == brute_force
    assert [t.values[1] for t in front] == sorted(t.values[1] for t in front)  # smallest first
    best = max(row["validation accuracy"] for row in results)
    smallest = search.smallest_reaching(study, best)
    assert smallest.values[0] == best
    reaching_half = [row for row in results if row["validation accuracy"] >= 0.5]
    if reaching_half:
        smallest_half = min(row["trainable parameters"] for row in reaching_half)
        assert search.smallest_reaching(study, 0.5).values[1] == smallest_half
    assert search.smallest_reaching(study, 1.01) is None


class TestSetWatch:
    """MNIST whose test images and labels say when they are read: a training may read them only
    once its fit has ended (its final evaluation), a search trial never."""

    def __init__(self, data, allowed=lambda: False):
        self.x_train, self.y_train, self.source, self._data, self.allowed = (
            data.x_train, data.y_train, data.source, data, allowed)
        self.early_reads = []

    __test__ = False

    def _read(self, name):
        if not self.allowed():
            self.early_reads.append(name)
        return getattr(self._data, name)

    x_test = property(lambda self: self._read("x_test"))
    y_test = property(lambda self: self._read("y_test"))


def test_a_search_never_reads_the_test_set_and_tests_only_the_network_chosen(real_mnist, tmp_path):
    from core import training

    watched = TestSetWatch(real_mnist)
    study = tiny_study(tmp_path, max_layers=2, max_width=32, split_seed=5)
    search.work(study, LocalTrainings(watched, tmp_path), trials=3)
    assert watched.early_reads == []
    rows = [row for row in search.trial_rows(study) if row["state"] == "result"]
    assert len(rows) == 3
    # every trial validated on the same images (split seed 5), whatever seed started its weights
    configs = [search.trial_config(study, trial) for trial in study.trials]
    assert len({c.hyper.seed for c in configs}) == 3 and {c.hyper.split_by() for c in configs} == {5}
    for row in rows:
        assert not (runs.get_run(row["run"], tmp_path).folder / runs.TEST_ANSWERS).exists()
    chosen = search.smallest_reaching(study, 0.0)
    accuracy = search.test_chosen(study, chosen, real_mnist, tmp_path)
    run = runs.get_run(chosen.user_attrs["run_id"], tmp_path)
    expected = (training.test_answers(runs.load_model(run), real_mnist.x_test) == real_mnist.y_test).mean()
    assert accuracy == pytest.approx(expected) == run.record["test_accuracy"]
    assert "chosen in study 'tiny' on validation accuracy" in run.record["tested_after_choice"]
    tested = {row["trial"]: row["test accuracy"] for row in search.trial_rows(study)}
    assert tested == {row["trial"]: (accuracy if row["trial"] == chosen.number else None) for row in rows}


def test_a_preset_training_reads_the_test_set_only_after_its_fit(real_mnist, tmp_path):
    from core import training
    from core.jobs import TrainingJob
    from tests.conftest import tiny_config

    job = TrainingJob(tiny_config(epochs=2, train_images=1000))
    watched = TestSetWatch(real_mnist, allowed=job.training_ended.is_set)
    run = training.train(job, watched, tmp_path)
    assert watched.early_reads == [] and run.record["test_accuracy"] is not None


def test_a_diverged_trial_is_recorded_as_such_never_as_a_result(real_mnist, tmp_path):
    study = tiny_study(tmp_path, optimizers=["sgd"], min_learning_rate=9.0, max_learning_rate=10.0,
                       batch_norm=[False], max_dropout=0.0, min_layers=2, min_width=64, max_width=64,
                       activations=["linear"], epochs=3, train_images=3000)
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=1)
    (row,) = search.trial_rows(study)
    assert row["state"] == "diverged" and row["validation accuracy"] is None
    assert study.trials[0].state.name == "FAIL" and search.pareto_front(study) == []


def test_stop_ends_the_running_trial_which_counts_as_stopped(real_mnist, tmp_path):
    study = tiny_study(tmp_path, epochs=50, train_images=20_000, max_width=256, min_width=256)
    stop = threading.Event()
    threading.Timer(4, stop.set).start()
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=5, stop=stop)
    (row,) = search.trial_rows(study)
    assert row["state"] == "stopped" and study.trials[0].state.name == "FAIL"
    assert search.pareto_front(study) == []


def test_impossible_and_oversized_networks_are_not_trained(real_mnist, tmp_path):
    study = tiny_study(tmp_path, kind="conv", min_layers=3, max_layers=3, min_width=4, max_width=4,
                       kernel_sizes=[7], reductions=["pool2"], max_parameters=100)
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=1)
    assert study.trials and all(trial.state.name == "PRUNED" for trial in study.trials)
    assert search.trials_used(study) == (0, 0)  # not trained: no budget used
    # infeasible for the sampler, which then ranks them behind every result
    assert all(trial.constraints["not trained"] > 0 for trial in study.trials)
    assert "shrink the 14x14 image to nothing" in study.trials[0].user_attrs["outcome"]
    assert not list(tmp_path.glob("2*"))  # no run saved
    capped = tiny_study(tmp_path, name="capped", max_parameters=100)
    search.work(capped, LocalTrainings(real_mnist, tmp_path), trials=1)
    assert all("over the cap of 100" in t.user_attrs["outcome"] for t in capped.trials)
    costly = tiny_study(tmp_path, name="costly", max_multiply_adds=500)
    search.work(costly, LocalTrainings(real_mnist, tmp_path), trials=1)
    assert costly.trials and all("multiply-adds per image, over the cap of 500" in t.user_attrs["outcome"]
                                 for t in costly.trials)
    assert not list(tmp_path.glob("2*"))


def test_deep_convnets_pool_only_where_an_image_is_left_and_a_hopeless_space_is_said(real_mnist, tmp_path,
                                                                                     monkeypatch):
    space = search.SearchSpace(kind="conv", min_layers=5, max_layers=5, kernel_sizes=[3, 5],
                               reductions=["none"])
    import optuna
    for number in range(200):  # drawn freely, most of these stacks would pool the image away
        trial = optuna.trial.FixedTrial({f"pool_{i}": True for i in range(1, 6)} | {
            "layers": 5, "batch_norm": True, "reduction": "none", "global_pool": True, "optimizer": "adam",
            "learning_rate": 0.01, "batch_size": 64, "shift": 0.0, "label_smoothing": 0.0, "dropout": 0.0}
            | {f"filters_{i}": 4 for i in range(1, 6)} | {f"kernel_{i}": 3 + 2 * (number >> i & 1)
                                                         for i in range(1, 6)}, number=number)
        config = search.suggest(trial, space)
        assert not config.problems(), config.describe()
        assert sum(layer.max_pool for layer in config.conv) >= 1
    monkeypatch.setattr(search.worker, "MAX_UNTRAINED_IN_A_ROW", 5)
    capped = tiny_study(tmp_path, name="hopeless", max_parameters=10)
    with pytest.raises(search.SearchStalled, match="the last 5 networks drawn were impossible or over a cap"):
        search.work(capped, LocalTrainings(real_mnist, tmp_path), minutes=5)
    assert len(capped.trials) == 5


def test_studies_are_listed_reopened_and_their_names_and_spaces_checked(tmp_path):
    storage = f"sqlite:///{tmp_path}/s.sqlite3"
    search.create_study("first", search.SearchSpace(kind="conv", max_layers=3, max_width=32), storage)
    assert search.study_names(storage) == ["first"]
    assert search.study_space(search.load_study("first", storage)).kind == "conv"
    with pytest.raises(ConfigError, match="already exists"):
        search.create_study("first", search.SearchSpace(), storage)
    with pytest.raises(ConfigError, match="narrowest layer"):
        search.create_study("second", search.SearchSpace(min_width=0), storage)
    with pytest.raises(ConfigError, match="input reductions"):
        search.SearchSpace.from_dict({"reductions": ["zoom"]})
    with pytest.raises(ConfigError, match="not a search space"):
        search.SearchSpace.from_dict({"colour": "red"})
    assert search.safe_url("postgresql://me:secret@db/x") == "postgresql://***@db/x"


def test_default_storage_is_sqlite_in_the_runs_folder_unless_named(runs_folder, monkeypatch):
    assert search.default_storage() == f"sqlite:///{runs_folder / search.STORAGE_FILE}"
    monkeypatch.setenv(search.STORAGE_ENV, "postgresql://db/studies")
    assert search.default_storage() == "postgresql://db/studies"


def test_global_average_pooling_counts_like_keras():
    config = TrainingConfig(conv=[ConvLayer(6, 5, batch_norm=True, max_pool=True),
                                  ConvLayer(8, 3, batch_norm=True)], global_pool=True)
    model = build_model(config, np.zeros((28, 28)), np.ones((28, 28)))
    assert model.count_params() == config.parameter_count() == 742
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == config.parameter_count(trainable_only=True) == 714
    assert "global avg" in config.describe()
    assert TrainingConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert "needs convolutional layers" in TrainingConfig(global_pool=True).problems()[0]


def test_separable_convolutions_are_searched_and_rebuilt_exactly(real_mnist, tmp_path):
    study = tiny_study(tmp_path, kind="conv", min_layers=2, max_layers=2, min_width=4, max_width=8,
                       kernel_sizes=[3], separable=[True], reductions=["crop20"], seed=1, batch_norm=[True],
                       plain_norm=[True], rotations=[15.0])
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=1)
    (trial,) = study.trials
    config = search.trial_config(study, trial)
    assert [layer.separable for layer in config.conv] == [False, True]  # the first sees one map
    assert all(layer.plain_norm for layer in config.conv) and config.hyper.rotation == 15.0
    assert "> sep3x3x" in trial.user_attrs["architecture"] and " norm" in trial.user_attrs["architecture"]
    run = runs.get_run(trial.user_attrs["run_id"], tmp_path)
    assert TrainingConfig.from_dict(run.record["config"]) == config
    assert run.record["parameters"] == config.parameter_count()  # Keras's own count
    # a study made before separable convolutions existed has no such parameter: its trials rebuild
    old = tiny_study(tmp_path, name="old", kind="conv", min_layers=1, max_layers=1, max_width=4)
    search.work(old, LocalTrainings(real_mnist, tmp_path), trials=1)
    assert not {"separable", "plain_norm", "rotation"} & set(old.trials[0].params)
    assert not any(layer.separable for layer in search.trial_config(old, old.trials[0]).conv)


def test_shared_blocks_are_searched_with_as_many_filters_as_come_in(real_mnist, tmp_path):
    study = tiny_study(tmp_path, kind="conv", min_layers=3, max_layers=3, min_width=4, max_width=8,
                       kernel_sizes=[3], reductions=["none"], repeats=[2, 3], global_pool=[True], seed=2)
    assert search.SearchSpace(kind="conv", max_width=32, repeats=[2.0]).problems() == [
        "times a convolution is applied: choose at least one, from 1, 2, 3, 4"]
    draws = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))  # in memory
    configs = [search.suggest(draws.ask(), search.study_space(study)) for _ in range(12)]
    for config in configs:
        assert not config.problems() and config.global_pool
        # drawn where the image has room for 3 applications (else 1)
        assert config.conv[0].repeat == 1 and {layer.repeat for layer in config.conv[1:]} <= {1, 2, 3}
        assert all(layer.filters == before.filters for before, layer in zip(config.conv, config.conv[1:])
                   if layer.repeat > 1)
    assert {config.conv[1].repeat for config in configs} == {2, 3}
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=1)
    trial = next(trial for trial in study.trials if trial.state.name == "COMPLETE")
    config = search.trial_config(study, trial)
    assert "shared×" in trial.user_attrs["architecture"]
    assert runs.get_run(trial.user_attrs["run_id"], tmp_path).record["parameters"] == config.parameter_count()


def test_the_command_line_starts_shows_and_lists(real_mnist, tmp_path, capsys):
    from core.search import __main__ as search_cli

    storage = f"sqlite:///{tmp_path}/cli.sqlite3"
    assert search_cli.main(["start", "--study", "cli", "--storage", storage, "--trials", "0"]) == 0
    assert search_cli.main(["start", "--study", "cli", "--storage", storage, "--trials", "0"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert search_cli.main(["start", "--study", "bad", "--storage", storage, "--min-width", "0"]) == 2
    assert "narrowest layer" in capsys.readouterr().err
    assert search_cli.main(["start", "--study", "shared", "--storage", storage, "--trials", "0",
                            "--kind", "conv", "--repeats", "1,3", "--global-pool", "yes"]) == 0
    shared = search.study_space(search.load_study("shared", storage))
    assert (shared.repeats, shared.global_pool) == ([1, 3], [True])
    assert search_cli.main(["start", "--study", "bad", "--storage", storage, "--repeats", "5"]) == 2
    assert "times a convolution is applied" in capsys.readouterr().err
    assert search_cli.main(["list", "--storage", storage]) == 0
    assert capsys.readouterr().out.split() == ["cli", "shared"]
    assert search_cli.main(["show", "--study", "cli", "--storage", storage]) == 0
    assert "front:" in capsys.readouterr().out
    assert search_cli.main(["show", "--study", "missing", "--storage", storage]) == 2


def test_the_command_line_chooses_on_validation_then_tests_once(real_mnist, runs_folder, capsys):
    from core.search import __main__ as search_cli

    storage = f"sqlite:///{runs_folder}/cli.sqlite3"
    assert search_cli.main(["start", "--study", "pick", "--storage", storage, "--trials", "2",
                            "--epochs", "1", "--train-images", "600", "--max-layers", "1",
                            "--max-width", "16", "--reductions", "pool2"]) == 0
    capsys.readouterr()
    assert search_cli.main(["choose", "--study", "pick", "--storage", storage, "--target", "1.01"]) == 1
    assert "no trial reaches" in capsys.readouterr().out
    assert search_cli.main(["choose", "--study", "pick", "--storage", storage, "--target", "0"]) == 0
    said = capsys.readouterr().out
    study = search.load_study("pick", storage)
    chosen = search.smallest_reaching(study, 0)
    assert f"chosen on validation: trial #{chosen.number}" in said
    assert f"reported on test: {search.tested(study)[str(chosen.number)]:.2%}" in said


def test_optunas_journal_file_works_as_a_storage_too(real_mnist, tmp_path):
    storage = f"journal:{tmp_path}/search.log"
    study = search.create_study("journal", search.SearchSpace(**TINY), storage)
    search.work(study, LocalTrainings(real_mnist, tmp_path), trials=1)
    assert search.study_names(storage) == ["journal"]
    (row,) = search.trial_rows(search.load_study("journal", storage))
    assert row["state"] == "result" and runs.get_run(row["run"], tmp_path).usable
