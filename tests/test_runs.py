import json
import stat

import numpy as np
import pytest

from core import runs
from core.architecture import build_model
from tests.conftest import tiny_config, valid_record


@pytest.fixture
def model():
    return build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))


@pytest.fixture
def saved_run(tmp_path, model):
    return runs.save_run(model, valid_record("first"), tmp_path)


def test_save_list_rename_delete(saved_run, tmp_path):
    listed = runs.list_runs(tmp_path)
    assert [run.id for run in listed] == [saved_run.id] and listed[0].usable
    renamed = runs.rename_run(saved_run.id, "  better\nname\x00 ", tmp_path)
    assert renamed.name == "better name"
    assert json.loads((saved_run.folder / runs.RECORD_FILE).read_text())["name"] == "better name"
    assert runs.load_model(renamed).count_params() > 0
    assert stat.S_IMODE((saved_run.folder / runs.RECORD_FILE).stat().st_mode) == 0o644
    runs.delete_run(saved_run.id, tmp_path)
    assert runs.list_runs(tmp_path) == []


def test_names_never_become_paths(saved_run, tmp_path):
    before = sorted(p.relative_to(tmp_path.parent) for p in tmp_path.parent.rglob("*"))
    runs.rename_run(saved_run.id, "../../etc/passwd", tmp_path)
    after = sorted(p.relative_to(tmp_path.parent) for p in tmp_path.parent.rglob("*"))
    assert after == before  # no file or folder appeared or moved anywhere: the name is only text
    assert runs.get_run(saved_run.id, tmp_path).name == "../../etc/passwd"
    for bad_id in ("../x", "20250101-000000-abcdef/../..", "/etc", ""):
        with pytest.raises(runs.RunError):
            runs.delete_run(bad_id, tmp_path)
    with pytest.raises(runs.RunError, match="cannot be empty"):
        runs.rename_run(saved_run.id, " \t ", tmp_path)


def test_only_the_session_that_made_a_run_manages_it_from_the_dashboard(model, tmp_path):
    mine = runs.save_run(model, valid_record("mine", owner="session-a"), tmp_path)
    theirs = runs.save_run(model, valid_record("theirs", owner="session-b"), tmp_path)
    terminal = runs.save_run(model, valid_record("terminal"), tmp_path)
    assert mine.managed_by("session-a") and not theirs.managed_by("session-a")
    for other in (theirs, terminal):
        with pytest.raises(runs.RunError, match="read-only here"):
            runs.rename_run(other.id, "taken over", tmp_path, owner="session-a")
        with pytest.raises(runs.RunError, match="read-only here"):
            runs.delete_run(other.id, tmp_path, owner="session-a")
    assert runs.rename_run(mine.id, "renamed", tmp_path, owner="session-a").name == "renamed"
    runs.rename_run(terminal.id, "from the terminal", tmp_path)  # the terminal (no owner) may
    runs.delete_run(theirs.id, tmp_path)
    assert sorted(run.name for run in runs.list_runs(tmp_path)) == ["from the terminal", "renamed"]
    with pytest.raises(runs.RunError, match="does not exist"):
        runs.delete_run(theirs.id, tmp_path, owner="session-b")  # deleted meanwhile: said, not raised raw


@pytest.mark.parametrize("change, reason", [
    ({"test_accuracy": "high"}, "test_accuracy must be a number between 0 and 1"),
    ({"test_accuracy": 1.5}, "test_accuracy must be a number between 0 and 1"),
    ({"config": [1, 2]}, "config: not a training configuration"),
    ({"config": {"dense": [{"units": "many"}]}}, "units must be a whole number"),
    ({"config": {"hyper": {"optimizer": "magic"}}}, "unknown optimizer"),
    ({"config": {"dense": [{"units": 8, "batch_norm": "yes"}]}}, "batch norm must be true or false"),
    ({"history": {"loss": ["a"]}}, "history must map metric names to lists of numbers"),
    ({"history": [1, 2]}, "history must map"),
    ({"epochs_run": -1}, "epochs_run must be"),
    ({"name": 42}, "name must be a text"),
    ({"status": "excellent"}, "status 'excellent' is not one of"),
    ({"epoch_seconds": "fast"}, "epoch_seconds must be a list of numbers"),
    ({"test_accuracy": None}, "a finished run needs a test_accuracy"),
])
def test_a_record_with_wrong_types_makes_the_run_damaged(saved_run, tmp_path, change, reason):
    record = {**json.loads((saved_run.folder / runs.RECORD_FILE).read_text()), **change}
    (saved_run.folder / runs.RECORD_FILE).write_text(json.dumps(record))
    run = runs.list_runs(tmp_path)[0]
    assert run.status == "damaged" and not run.usable
    assert reason in run.problem, run.problem
    with pytest.raises(runs.RunError):
        runs.load_model(run)


def test_damaged_and_incomplete_runs_are_listed_not_fatal(saved_run, tmp_path):
    import shutil

    no_record = tmp_path / "20240101-000000-aaaaaa"
    shutil.copytree(saved_run.folder, no_record)
    (no_record / runs.RECORD_FILE).unlink()
    bad_json = tmp_path / "20240101-000001-bbbbbb"
    shutil.copytree(saved_run.folder, bad_json)
    (bad_json / runs.RECORD_FILE).write_text("{ truncated")
    no_model = tmp_path / "20240101-000002-cccccc"
    shutil.copytree(saved_run.folder, no_model)
    (no_model / runs.MODEL_FILE).unlink()
    truncated_model = tmp_path / "20240101-000003-dddddd"
    shutil.copytree(saved_run.folder, truncated_model)
    whole = (truncated_model / runs.MODEL_FILE).read_bytes()
    (truncated_model / runs.MODEL_FILE).write_bytes(whole[: len(whole) // 2])
    interrupted = tmp_path / f"{runs.PARTIAL_PREFIX}20240101-000004-eeeeee"
    interrupted.mkdir()
    (tmp_path / "some-other-folder").mkdir()  # not ours: ignored

    by_id = {run.id: run for run in runs.list_runs(tmp_path)}
    assert len(by_id) == 6
    assert by_id[no_record.name].status == "damaged" and "missing" in by_id[no_record.name].problem
    assert by_id[bad_json.name].status == "damaged" and "unreadable" in by_id[bad_json.name].problem
    assert by_id[no_model.name].status == "damaged" and "missing" in by_id[no_model.name].problem
    truncated = by_id[truncated_model.name]
    assert truncated.status == "damaged"
    assert "model.keras is damaged (BadZipFile" in truncated.problem  # not Keras's "file not found"
    assert by_id[interrupted.name].status == "incomplete"
    assert by_id[saved_run.id].usable
    with pytest.raises(runs.RunError, match="damaged"):
        runs.load_model(by_id[no_model.name])
    runs.delete_run(interrupted.name, tmp_path)  # the terminal can clear it away
    assert not interrupted.exists()


def test_a_diverged_run_is_listed_but_not_usable(model, tmp_path):
    run = runs.save_run(model, valid_record("nan", status="diverged", validation_accuracy=None,
                                           test_accuracy=None), tmp_path)
    listed = runs.list_runs(tmp_path)[0]
    assert listed.status == "diverged" and not listed.usable and listed.id == run.id
    with pytest.raises(runs.RunError, match="diverged"):
        runs.load_model(listed)


def test_a_folder_that_cannot_be_written_is_said_before_any_work(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    with pytest.raises(runs.RunError, match="runs cannot be saved: cannot write in"):
        runs.check_writable(blocker / "runs")
    runs.check_writable(tmp_path / "new" / "runs")  # a missing folder is made
    assert (tmp_path / "new" / "runs").is_dir()


def test_a_crash_mid_save_leaves_no_complete_looking_run(tmp_path, model, monkeypatch):
    monkeypatch.setattr(runs, "_write_json", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        runs.save_run(model, valid_record(), tmp_path)
    assert [run.status for run in runs.list_runs(tmp_path)] == ["incomplete"]


def test_a_listing_reads_each_record_once_until_it_changes(tmp_path, monkeypatch):
    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    first = runs.save_run(model, valid_record("first"), tmp_path)
    second = runs.save_run(model, valid_record("second"), tmp_path)
    runs.list_runs(tmp_path)
    reads, parse = [], json.loads
    monkeypatch.setattr(json, "loads", lambda text: reads.append(text) or parse(text))
    assert {run.name for run in runs.list_runs(tmp_path)} == {"first", "second"}
    assert reads == []  # hundreds of search trials are not parsed again on every page
    runs.rename_run(first.id, "renamed", tmp_path)
    assert {run.name for run in runs.list_runs(tmp_path)} == {"renamed", "second"} and len(reads) == 1
    runs.delete_run(second.id, tmp_path)
    assert [run.name for run in runs.list_runs(tmp_path)] == ["renamed"]
