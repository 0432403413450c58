"""Progress where a newcomer waits, always on stderr (stdout stays what machines read):
`synth persona` says each record's stage as it starts and ends, `openclaw install` follows its
download."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from clawgym.agent._install_progress import folder_bytes, run_watched
from tests.synth.test_persona_pipeline import BACKEND, SCENARIOS, TAXONOMY, ReplayServer


def test_synth_persona_prints_each_record_and_stage_on_stderr_only(tmp_path):
    out = tmp_path / "run"
    with ReplayServer(SCENARIOS, delay_s=0.05) as server:
        r = subprocess.run([sys.executable, "-m", "clawgym", "synth", "persona", "--model", "openai:replay-model",
                            "--out", str(out), "--n", "3", "--seed", "7", "--taxonomy", str(TAXONOMY),
                            "--sandbox", BACKEND, "--json"], capture_output=True, text=True, timeout=600,
                           env={**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-x"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout)["requested"] == 3  # stdout is the JSON alone
    lines = r.stderr.splitlines()
    assert lines[0].startswith("synth persona: 3 record(s)")  # before the first model answer
    events = sqlite3.connect(out / "ledger.sqlite").execute(
        "SELECT record_id, stage, verdict FROM events WHERE stage != 'sample'").fetchall()
    assert len(events) >= 6
    for rid, stage, verdict in events:
        ended = next(i for i, line in enumerate(lines) if f" {rid} {stage} {verdict}" in line)
        if stage != "dedup":  # a batch verdict, no model wait: only its outcome is shown
            started = next(i for i, line in enumerate(lines) if line.endswith(f" {rid} {stage} ..."))
            assert started < ended
    assert len(lines) == 1 + len(events) + sum(1 for _, s, _ in events if s != "dedup")


def test_an_install_reports_the_bytes_it_has_unpacked(tmp_path):
    """The download bar's source: a real process filling a folder, watched while it runs. The
    writer waits for each step to be seen, so the test needs no timing."""
    folder, seen = tmp_path / "node_modules", tmp_path / "seen"
    folder.mkdir()
    seen.mkdir()
    writer = ("import pathlib, sys, time\n"
              "f, s = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
              "for i in range(4):\n"
              "    (f / f'pkg{i}').mkdir()\n"
              "    (f / f'pkg{i}' / 'index.js').write_bytes(b'x' * 100_000)\n"
              "    deadline = time.monotonic() + 60\n"
              "    while not (s / str(i)).exists() and time.monotonic() < deadline:\n"
              "        time.sleep(0.01)\n"
              "print('installed')\n")
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        (seen / str(done // 100_000 - 1)).touch()

    r = run_watched([sys.executable, "-c", writer, str(folder), str(seen)], folder, progress, expected=500_000,
                    every_s=0.02, timeout_s=120)
    assert r.returncode == 0 and r.stdout == "installed\n"
    steps = sorted({d for d, t in calls if t == 500_000 and d})
    assert steps == [100_000, 200_000, 300_000, 400_000]  # every step seen against the expected total
    assert calls[-1] == (400_000, 400_000) == (folder_bytes(folder),) * 2  # the end fills the bar
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_openclaw_install_of_a_ready_folder_shows_no_bar_and_prints_its_one_line():
    from clawgym.agent._openclaw_install import find_install

    inst = find_install()
    if inst is None:
        import pytest

        pytest.skip("OpenClaw is not installed here")
    r = subprocess.run([sys.executable, "-m", "clawgym", "openclaw", "install"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"openclaw {inst.openclaw_version} with node {inst.node_version}: {inst.root}"
    assert "downloaded" not in r.stderr
