"""A run folder you can trust: reading never changes it (not even while its writer appends),
one writer at a time, a full disk and a damaged database are one clear line, idle time between
sessions is not wall time."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clawgym.agent import Trajectory
from clawgym.runs import RunConfig, RunStore, RunStoreError, execute
from tests.conftest import REPO_TASKS, requires_bwrap

SLOW = Path(__file__).parent / "data" / "slow_script.json"
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}
pytestmark = requires_bwrap


def clawgym(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "clawgym", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def clawgym_done(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=timeout)


def _count(db: Path, where: str = "state='done'") -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return c.execute(f"SELECT COUNT(*) FROM attempts WHERE {where}").fetchone()[0]
    except sqlite3.Error:
        return 0


def _wait_for(pred, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not pred():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def test_reading_a_run_never_changes_it(tmp_path, repo_tasks):
    run = tmp_path / "run"
    tasks = repo_tasks[:3]
    execute(tasks, RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop"), run).close()
    with open(run / RunStore.TRAJECTORIES, "a", encoding="utf-8") as fh:  # a writer died mid-append
        fh.write(Trajectory(task_id=tasks[0].id, sample=0).model_dump_json() + "\n" + '{"id": "torn')
    before = _snapshot(run)
    with RunStore.read(run) as store:
        assert len(store.rows()) == 3 and not store.pending()
        assert len(list(store.trajectories())) == 3  # the orphan and the torn line are skipped, not removed
    r = clawgym_done("report", run, "--json")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, r.stderr
    r = clawgym_done("report", run, "--html", tmp_path / "elsewhere.html")
    assert r.returncode == 0, r.stderr
    assert _snapshot(run) == before  # no byte rewritten, no -wal / -shm / lock file left behind
    with pytest.raises(RunStoreError, match="not a run folder"):
        RunStore.read(tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_report_during_a_live_run_loses_no_result(tmp_path):
    """A commit held back (a slow disk) leaves a trajectory line no row points at yet; a reader
    that 'repaired' it would swap the file under the writer and lose every later line."""
    out = tmp_path / "run"
    proc = clawgym("run", REPO_TASKS, "--model", f"scripted:{SLOW}", "--out", out, "-j", "2")
    db, lines = out / RunStore.DB, out / RunStore.TRAJECTORIES
    _wait_for(lambda: _count(db) >= 2, proc)
    hold = sqlite3.connect(db, timeout=30, isolation_level=None)
    hold.execute("BEGIN IMMEDIATE")  # the writer's next commit waits
    try:
        done = _count(db)
        _wait_for(lambda: len(lines.read_text().splitlines()) > done, proc, 20)  # an uncommitted line
        with RunStore.read(out) as store:  # a reader opens right then
            assert len(list(store.trajectories())) == done
    finally:
        hold.execute("COMMIT")
        hold.close()
    during = clawgym_done("report", out, "--json")  # and the CLI, while the run goes on
    assert during.returncode == 0, during.stderr
    assert len(during.stdout.splitlines()) == 10 and proc.poll() is None
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    with RunStore.read(out) as store:
        rows, trajs = store.rows(), list(store.trajectories())
    assert len(rows) == 10 and all(r.state == "done" for r in rows)
    assert {t["id"] for t in trajs} == {r.traj_id for r in rows}
    assert len(lines.read_text().splitlines()) == 10


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path):
    out = tmp_path / "run"
    first = clawgym("run", REPO_TASKS, "--model", f"scripted:{SLOW}", "--out", out, "-j", "1")
    try:
        _wait_for(lambda: _count(out / RunStore.DB) >= 1, first)
        second = clawgym_done("run", REPO_TASKS, "--model", f"scripted:{SLOW}", "--out", out, "-j", "1", "--resume",
                              timeout=60)
        assert second.returncode != 0
        line = _one_error_line(second.stderr)
        assert f"process {first.pid}" in line and str(out) in line
        assert (out / RunStore.LOCK).read_text().strip() == str(first.pid)
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)


def test_a_damaged_database_is_one_line(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / RunStore.DB).write_bytes(b"this is not a database\n" * 200)
    for args in (["report", run], ["report", run, "--json"],
                 ["run", REPO_TASKS, "--agent", "noop", "--out", run, "--resume"]):
        r = clawgym_done(*args)
        assert r.returncode == 1
        line = _one_error_line(r.stderr)
        assert "not a readable run database" in line and str(run / RunStore.DB) in line and "new --out" in line


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_mid_run_is_one_line_and_the_run_resumes(small_disk):
    out = small_disk / "run"
    args = ["run", REPO_TASKS, "--model", f"scripted:{SLOW}", "--out", out, "-j", "2"]
    proc = clawgym(*args)
    _wait_for(lambda: _count(out / RunStore.DB) >= 1, proc)
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:  # the disk fills up under the running run
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "full" in last and str(out) in last and "--resume" in last, stderr
    filler.unlink()
    resumed = clawgym_done(*args, "--resume", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    with RunStore.read(out) as store:
        rows, trajs = store.rows(), list(store.trajectories())
    assert len(rows) == 10 and all(r.state == "done" for r in rows)
    assert {t["id"] for t in trajs} == {r.traj_id for r in rows}
    assert len((out / RunStore.TRAJECTORIES).read_text().splitlines()) == 10


def test_wall_time_excludes_the_idle_time_between_sessions(tmp_path, repo_tasks):
    tasks = repo_tasks[:2]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    t0 = time.monotonic()
    execute(tasks, cfg, tmp_path).close()
    first = time.monotonic() - t0
    time.sleep(3)  # the run sits idle (a crash, a weekend) before it is resumed
    t1 = time.monotonic()
    store = execute(tasks, cfg.model_copy(update={"samples": 2}), tmp_path, force=True)
    store.close()
    second = time.monotonic() - t1
    with RunStore.read(tmp_path) as store:
        wall = store.wall_s()
    assert 0 < wall <= first + second  # the 3 s between the sessions is not in it


def test_a_running_mark_is_committed_and_survives_its_writer_being_killed(tmp_path):
    """`start` commits without a sync of its own (so an executor can mark 64 attempts in a
    blink): the mark is still committed at once, the records after it are synced again, and a
    writer killed right after marking leaves the attempt to run again on resume."""
    out = tmp_path / "run"
    code = (
        "import os, signal, sys\n"
        "from clawgym.runs import RunConfig, RunStore\n"
        f"s = RunStore({str(out)!r})\n"
        "s.init(RunConfig(tasks='t', task_ids=['a', 'b'], agent='noop', samples=1), {})\n"
        "assert s.start('a', 0) == 1\n"
        "assert s._db.execute('PRAGMA synchronous').fetchone()[0] == 2, 'records must be synced (FULL) again'\n"
        "print('marked', flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL and "marked" in proc.stdout, proc.stderr
    assert _count(out / RunStore.DB, "state='running' AND tries=1") == 1  # committed before the kill
    store = RunStore(out)
    try:
        assert store.pending() == [("a", 0), ("b", 0)]
        assert store.start("a", 0) == 2
    finally:
        store.close()


def test_attempts_finished_together_are_stored_together(tmp_path):
    """One group commit (`record_many`): every row points at its own line, readable by a reader
    at once; an empty group writes nothing."""
    store = RunStore(tmp_path / "run")
    try:
        store.init(RunConfig(tasks="t", task_ids=["a"], agent="noop", samples=3), {})
        for s in range(3):
            store.start("a", s)
        trajs = [Trajectory(task_id="a", sample=s, status="agent_error" if s == 1 else "done") for s in range(3)]
        store.record_many([])
        assert _count(tmp_path / "run" / RunStore.DB) == 0
        store.record_many(trajs)
        reader = RunStore.read(tmp_path / "run")
        try:
            rows = {r.sample: r for r in reader.rows()}
            assert [rows[s].state for s in range(3)] == ["done", "agent_error", "done"]
            assert {t["id"] for t in reader.trajectories()} == {t.id for t in trajs}
            assert [rows[s].traj_id for s in range(3)] == [t.id for t in trajs]
        finally:
            reader.close()
    finally:
        store.close()
