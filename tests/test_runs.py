import json

import pytest

from core import runs
from core.architecture import build_model
from tests.conftest import tiny_config


@pytest.fixture
def saved_run(tmp_path):
    import numpy as np

    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    return runs.save_run(model, {"name": "first", "status": "finished"}, tmp_path)


def test_save_list_rename_delete(saved_run, tmp_path):
    listed = runs.list_runs(tmp_path)
    assert [run.id for run in listed] == [saved_run.id] and listed[0].usable
    renamed = runs.rename_run(saved_run.id, "  better\nname\x00 ", tmp_path)
    assert renamed.name == "better name"
    assert json.loads((saved_run.folder / runs.RECORD_FILE).read_text())["name"] == "better name"
    assert runs.load_model(renamed).count_params() > 0
    runs.delete_run(saved_run.id, tmp_path)
    assert runs.list_runs(tmp_path) == []


def test_names_never_become_paths(saved_run, tmp_path):
    renamed = runs.rename_run(saved_run.id, "../../etc/passwd", tmp_path)
    assert renamed.folder == saved_run.folder
    for bad_id in ("../x", "20250101-000000-abcdef/../..", "/etc", ""):
        with pytest.raises(runs.RunError):
            runs.delete_run(bad_id, tmp_path)
    with pytest.raises(runs.RunError, match="cannot be empty"):
        runs.rename_run(saved_run.id, " \t ", tmp_path)


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
    corrupt_model = tmp_path / "20240101-000003-dddddd"
    shutil.copytree(saved_run.folder, corrupt_model)
    (corrupt_model / runs.MODEL_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    interrupted = tmp_path / f"{runs.PARTIAL_PREFIX}20240101-000004-eeeeee"
    interrupted.mkdir()
    (tmp_path / "some-other-folder").mkdir()  # not ours: ignored

    by_id = {run.id: run for run in runs.list_runs(tmp_path)}
    assert len(by_id) == 6
    assert by_id[no_record.name].status == "damaged" and "missing" in by_id[no_record.name].problem
    assert by_id[bad_json.name].status == "damaged" and "unreadable" in by_id[bad_json.name].problem
    assert by_id[no_model.name].status == "damaged"
    assert by_id[interrupted.name].status == "incomplete"
    assert by_id[saved_run.id].usable
    with pytest.raises(runs.RunError, match="cannot be loaded"):
        runs.load_model(by_id[corrupt_model.name])
    with pytest.raises(runs.RunError, match="damaged"):
        runs.load_model(by_id[no_model.name])
    runs.delete_run(interrupted.name, tmp_path)  # the user can clear it away
    assert not interrupted.exists()


def test_a_crash_mid_save_leaves_no_complete_looking_run(tmp_path, monkeypatch):
    import numpy as np

    model = build_model(tiny_config(), np.zeros((28, 28)), np.ones((28, 28)))
    monkeypatch.setattr(runs, "_write_json", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        runs.save_run(model, {"status": "finished"}, tmp_path)
    assert [run.status for run in runs.list_runs(tmp_path)] == ["incomplete"]
