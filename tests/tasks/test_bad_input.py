"""Bad input is refused with the file, the field and the reason; nothing is half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clawgym.errors import TaskSpecError
from clawgym.tasks import LoadOptions, Task, TaskFile, load_tasks, save_tasks
from tests.conftest import HF_JSONL, REPO_TASKS


def _hf_record(**changes) -> dict:
    record = json.loads(HF_JSONL.read_text().splitlines()[0])
    record.update(changes)
    return record


def _load_hf(tmp_path: Path, record: dict, **kw):
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(record) + "\n")
    return load_tasks(path, **kw)


def _problems(exc_info) -> str:
    return "\n".join(str(p) for p in exc_info.value.problems)


@pytest.mark.parametrize("bad_path, why", [
    ("../x.txt", "escapes"), ("/etc/passwd", "absolute"), ("a/../../x", "escapes"), ("", "non-empty"),
])
def test_escaping_paths_are_refused(tmp_path, bad_path, why):
    files = _hf_record()["input_files"] + [{"file_path": bad_path, "content": "x"}]
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(input_files=files))
    msg = _problems(exc)
    assert "data.jsonl:1" in msg and "file_path" in msg and why in msg


def test_duplicate_paths_are_refused(tmp_path):
    files = _hf_record()["input_files"]
    files = files + [{"file_path": "./" + files[0]["file_path"], "content": "again"}]
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(input_files=files))
    assert "duplicate path" in _problems(exc)


def test_file_and_folder_with_one_name_is_refused(tmp_path):
    files = _hf_record()["input_files"] + [{"file_path": "input", "content": "x"}]
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(input_files=files))
    assert "both a file and a folder" in _problems(exc)


def test_missing_instruction_is_refused(tmp_path):
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(prompt="  "))
    assert "[prompt]" in _problems(exc) and "instruction" in _problems(exc)
    task_dir = tmp_path / "repo" / "task_0076"
    shutil.copytree(REPO_TASKS / "task_0076", task_dir)
    entry = json.loads((task_dir / "data_entry.json").read_text())
    del entry["user_query"]
    (task_dir / "data_entry.json").write_text(json.dumps(entry))
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(task_dir)
    assert "data_entry.json [user_query]" in _problems(exc)


def test_size_cap(tmp_path):
    files = _hf_record()["input_files"] + [{"file_path": "big.txt", "content": "x" * 5000}]
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(input_files=files), options=LoadOptions(max_file_bytes=4096))
    assert "over the cap of 4096" in _problems(exc)
    folder = tmp_path / "repo" / "task_0076"
    shutil.copytree(REPO_TASKS / "task_0076", folder)
    (folder / "input_files" / "big.bin").write_bytes(b"\0" * 5000)
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(folder, options=LoadOptions(max_file_bytes=4096))
    assert "big.bin" in _problems(exc) and "over the cap" in _problems(exc)


def test_symlink_escaping_the_workspace_is_refused(tmp_path):
    folder = tmp_path / "task_0076"
    shutil.copytree(REPO_TASKS / "task_0076", folder)
    (folder / "input_files" / "secret").symlink_to("/etc/hostname")
    (folder / "input_files" / "inside").symlink_to("input/cii_targets.json")
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(folder)
    msg = _problems(exc)
    assert "secret" in msg and "symlink escapes" in msg and "inside" not in msg


def test_internal_symlink_is_read_as_a_file(tmp_path):
    folder = tmp_path / "task_0076"
    shutil.copytree(REPO_TASKS / "task_0076", folder)
    (folder / "input_files" / "inside").symlink_to("input/cii_targets.json")
    task = load_tasks(folder)[0]
    paths = {f.path: f.data for f in task.workspace}
    assert paths["inside"] == paths["input/cii_targets.json"]


def test_invalid_utf8_where_text_is_required(tmp_path):
    folder = tmp_path / "t"
    save_tasks([Task(id="t", instruction="x", checks=[TaskFile(path="check.py", data=b"print(1)")])],
               tmp_path / "ds")
    shutil.copytree(tmp_path / "ds" / "t", folder)
    (folder / "instruction.md").write_bytes(b"caf\xe9")
    (folder / "workspace" / "image.bin").write_bytes(b"\xff\xfe binary is fine in a workspace")
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(folder)
    msg = _problems(exc)
    assert "instruction.md" in msg and "not valid UTF-8" in msg and "image.bin" not in msg
    (tmp_path / "bad.jsonl").write_bytes(b'{"prompt": "caf\xe9"}\n')
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(tmp_path / "bad.jsonl", format="clawgym-hf")
    assert "not valid UTF-8" in _problems(exc)


def test_malformed_json_toml_and_unknown_format(tmp_path):
    (tmp_path / "a.jsonl").write_text(HF_JSONL.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(tmp_path / "a.jsonl", format="clawgym-hf")
    assert "a.jsonl:2" in _problems(exc) and "malformed JSON" in _problems(exc)
    save_tasks([Task(id="t", instruction="x")], tmp_path / "ds")
    (tmp_path / "ds" / "t" / "task.toml").write_text("id = [unclosed\n")
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(tmp_path / "ds")
    assert "task.toml" in _problems(exc) and "malformed TOML" in _problems(exc)
    (tmp_path / "ds" / "t" / "task.toml").write_text('id = "t"\nbogus = 1\n')
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(tmp_path / "ds")
    assert "task.toml [bogus]" in _problems(exc)
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(tmp_path / "x.csv")
    assert "unknown format" in _problems(exc)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TaskSpecError) as exc:
        load_tasks(tmp_path / "empty")
    assert "unknown format" in _problems(exc)


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    files = [{"file_path": "../a", "content": "x"}, {"file_path": "/b", "content": "y"}]
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(prompt="", input_files=files))
    assert len(exc.value.problems) >= 3


def test_nothing_is_half_written(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO_TASKS, src)
    (src / "task_0185" / "data_entry.json").write_text("{broken")
    with pytest.raises(TaskSpecError):
        save_tasks(load_tasks(src), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    # a writer that fails midway leaves no destination and no temp folder behind
    tasks = load_tasks(REPO_TASKS)
    bad = tasks[:3] + [tasks[3].model_copy(update={"id": "../escape"})]
    with pytest.raises(Exception):
        save_tasks(bad, tmp_path / "out2", "clawgym")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_unsafe_ids_are_refused(tmp_path):
    with pytest.raises(TaskSpecError) as exc:
        _load_hf(tmp_path, _hf_record(origin_template="---\nid: ../../evil\n---\n"))
    assert "[id]" in _problems(exc)
