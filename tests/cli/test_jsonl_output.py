"""Machine-readable output is whole JSON lines, however many worker threads produce it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from clawgym.jsonl import JsonlWriter, append_jsonl, dumps_line
from tests.conftest import HF_JSONL, requires_bwrap


# A verifier with 500 named checks: each result is a ~28 KB line, past stdio's 8 KiB buffer, so
# it is written through while other threads wait to write theirs: where a writer that is not
# whole-line (print() writes the text, then the newline) breaks lines.
WIDE_CHECK = b"""import json
print(json.dumps({f"check_{i:05d}_" + "x" * 40: 1.0 for i in range(500)}))
"""


@pytest.fixture(scope="module")
def many_tasks(tmp_path_factory):
    """150 tasks: the 30 HF fixture tasks three times over under new ids, between 60 wide ones."""
    from clawgym.tasks import Task, TaskFile, load_tasks, save_tasks

    copies = [t.model_copy(update={"id": f"{t.id}_copy{k}"}) for k in range(3) for t in load_tasks(HF_JSONL)]
    wide = [Task(id=f"wide_{k:02d}", instruction="nothing", workspace=[TaskFile(path="a.txt", data=b"a")],
                 checks=[TaskFile(path="check.py", data=WIDE_CHECK)]) for k in range(60)]
    mixed = [t for pair in zip(copies, wide) for t in pair] + copies[len(wide):]
    return save_tasks(mixed, tmp_path_factory.mktemp("many") / "many.jsonl", "jsonl"), {t.id for t in mixed}


def _lines(*args: str) -> list[dict]:
    """Run clawgym, reading its stdout slowly (as a busy consumer would), so that writers wait on
    the pipe and on each other: the moment a non-atomic writer interleaves."""
    proc = subprocess.Popen([sys.executable, "-m", "clawgym", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    chunks = []
    while chunk := proc.stdout.read1(16384):
        chunks.append(chunk)
        time.sleep(0.05)
    assert proc.wait(timeout=300) in (0, 1)
    rows = []
    for n, line in enumerate(b"".join(chunks).decode().splitlines(keepends=True), 1):
        assert line.endswith("\n"), f"line {n} is not terminated: {line[:80]!r}"
        rows.append(json.loads(line))  # every line parses on its own
    return rows


@requires_bwrap
def test_verify_json_lines_stay_whole_under_concurrency(many_tasks):
    path, ids = many_tasks
    rows = _lines("verify", str(path), "--json", "-j", "16")
    assert sorted(r["task_id"] for r in rows) == sorted(ids)
    assert all(r["status"] in ("ok", "verifier_error") and "checks" in r for r in rows)


@requires_bwrap
def test_qa_json_lines_stay_whole_under_concurrency(many_tasks):
    path, ids = many_tasks
    rows = _lines("tasks", "qa", str(path), "--json", "-j", "16")
    assert sorted(r["task_id"] for r in rows) == sorted(ids)
    assert all(set(r["checks"]) and "skipped" in r for r in rows)


def test_writer_lines_are_whole_from_many_threads(tmp_path):
    path = tmp_path / "out.jsonl"
    big = "x" * 100_000  # past any pipe or stdio buffer: one write still carries it whole
    writer = JsonlWriter(path)

    def work(k: int) -> None:
        for i in range(50):
            writer.write({"thread": k, "i": i, "pad": big if i % 10 == 0 else "é\n"})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    append_jsonl(path, {"thread": -1, "i": 0})
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 401 and {(r["thread"], r["i"]) for r in rows} >= {(7, 49), (-1, 0)}
    assert dumps_line({"a": "b\nc"}) == '{"a":"b\\nc"}\n'
