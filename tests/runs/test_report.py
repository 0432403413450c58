"""The report: `clawgym report` table and JSON, and report.html in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clawgym.runs import RunConfig, execute, write_report
from tests.conftest import requires_bwrap

SOLVE_0185 = Path(__file__).parents[1] / "agent" / "data" / "task_0185_script.json"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = requires_bwrap


def _chromium(url: str, tmp: Path) -> tuple[str, list[str]]:
    """Load a page headless; return its DOM and the console messages it logged."""
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--log-level=0",
                        "--dump-dom", url], capture_output=True, text=True, timeout=120)
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    return r.stdout, console


@pytest.fixture(scope="module")
def runs(tmp_path_factory, repo_tasks):
    root = tmp_path_factory.mktemp("runs")
    tasks = [t for t in repo_tasks if t.id in ("task_0185", "task_0118", "task_0176")]
    scripted = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="llm", model=f"scripted:{SOLVE_0185}")
    execute(tasks, scripted, root / "solver").close()
    noop = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    execute(tasks, noop, root / "noop").close()
    return root


def test_report_json_lines(runs):
    r = subprocess.run([sys.executable, "-m", "clawgym", "report", str(runs / "solver"), "--json"],
                       capture_output=True, text=True, timeout=120)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert set(row) >= {"task_id", "sample", "status", "score", "checks", "error", "steps", "tokens", "seconds"}
    by_id = {row["task_id"]: row for row in rows}
    assert by_id["task_0185"]["score"] == 1.0 and by_id["task_0185"]["steps"] == 5
    assert by_id["task_0118"]["score"] == 0.0 and by_id["task_0118"]["status"] == "done"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_report_page_loads_without_console_errors_and_shows_the_numbers(runs, tmp_path):
    r = subprocess.run([sys.executable, "-m", "clawgym", "report", str(runs / "solver"), "--compare", str(runs / "noop")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0.333" in r.stdout  # the summary table: one of three tasks solved
    page = runs / "solver" / "compare.html"
    dom, console = _chromium(page.as_uri(), tmp_path)
    assert console == []
    assert "id=\"mean-solver\">0.333<" in dom and "id=\"mean-noop\">0.000<" in dom
    assert dom.count("<img") == 2 and "data:image/png;base64," in dom
    assert "task_0185 #0: score 1.000" in dom and "bash-themes template python" in dom  # a trajectory, readable
    assert "plan_commands_ok" in dom  # sub-scores


def test_compare_leaves_each_runs_own_report_alone(runs, tmp_path):
    own = runs / "noop" / "report.html"
    r = subprocess.run([sys.executable, "-m", "clawgym", "report", str(runs / "noop")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    before = own.read_bytes()
    r = subprocess.run([sys.executable, "-m", "clawgym", "report", str(runs / "noop"), "--compare", str(runs / "solver")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and str(runs / "noop" / "compare.html") in r.stderr.replace("\n", ""), r.stderr
    assert own.read_bytes() == before and "mean-solver" not in before.decode()
    assert "mean-solver" in (runs / "noop" / "compare.html").read_text()
    there = tmp_path / "side-by-side.html"
    r = subprocess.run([sys.executable, "-m", "clawgym", "report", str(runs / "noop"), "--compare", str(runs / "solver"),
                        "--html", str(there)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and there.is_file() and own.read_bytes() == before


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_the_console_check_would_catch_an_error(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction()</script></body></html>")
    _, console = _chromium(bad.as_uri(), tmp_path)
    assert any("undefinedFunction" in line for line in console)


def test_agent_output_is_escaped_in_the_report(tmp_path, repo_tasks):
    script = tmp_path / "xss.json"
    script.write_text(json.dumps(["<script>alert('pwned')</script><img src=x onerror=alert(1)>"]))
    task = repo_tasks[0]
    execute([task], RunConfig(tasks="x", task_ids=[task.id], agent="llm", model=f"scripted:{script}"),
            tmp_path / "run").close()
    html = write_report([tmp_path / "run"]).read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
