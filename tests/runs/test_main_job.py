"""The main job: `clawgym run` with no task or model argument runs the starter suite with the
embedded SmolLM2 and writes the report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from clawgym.runs import RunStore
from tests.conftest import requires_bwrap

pytestmark = [pytest.mark.heavy, requires_bwrap]


@pytest.mark.timeout(900)  # SmolLM2 on CPU over 12 tasks: ~2.5 min idle, much more on a loaded machine
def test_clawgym_run_with_no_arguments(tmp_path):
    pytest.importorskip("transformers")
    out = tmp_path / "main"
    r = subprocess.run([sys.executable, "-m", "clawgym", "run", "--out", str(out)], capture_output=True, text=True,
                       timeout=900, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(tmp_path),
                                         "CLAWGYM_CACHE": str(__import__("clawgym.models._smollm2", fromlist=["x"]).cache_dir().parent)})
    assert r.returncode == 0, r.stderr[-3000:]
    assert "per category" in r.stdout and "communication drafting" in r.stdout
    with RunStore.read(out) as store:
        config, rows = store.config(), store.rows()
    assert config.model == "smollm2" and config.agent == "llm" and len(rows) >= 12
    assert all(row.state == "done" and row.verify_status == "ok" for row in rows), [row.error for row in rows]
    assert (out / "report.html").stat().st_size > 10_000
    lines = (out / "trajectories.jsonl").read_text().splitlines()
    assert len(lines) == len(rows) and all(json.loads(line)["steps"] for line in lines)
