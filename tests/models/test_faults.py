"""A model server that misbehaves is an infrastructure fault: retried, bounded, never the agent's.

Every server here is a real local HTTP server (tests/openai_server.py) that breaks in one way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from clawgym.agent import LLMAgent, Trajectory, rollout
from clawgym.models import ModelError, ModelUnavailable, OpenAIModel, load_model
from clawgym.tasks import Task, TaskFile, save_tasks
from tests.conftest import requires_bwrap
from tests.openai_server import FaultServer, completion

GOOD = ("json", completion("fine"))
TRUNCATED = ("raw", {"body": b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "mess'})
NULL_MESSAGE = ("json", {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                         "choices": [{"index": 0, "message": None, "finish_reason": "stop"}]})
HTML_PAGE = ("raw", {"body": b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "content_type": "text/html"})
FAULTS = {"truncated_json": TRUNCATED, "message_null": NULL_MESSAGE, "html_page": HTML_PAGE}


def _task() -> Task:
    return Task(id="t", instruction="say hi", workspace=[TaskFile(path="a.txt", data=b"a")],
                checks=[TaskFile(path="check.py", data=b"print('{\"ok\": 1}')")])


def _model(url: str, **kw) -> OpenAIModel:
    kw.setdefault("backoff_s", 0.05)
    return OpenAIModel("fake", base_url=url, api_key="k", **kw)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_answer_is_retried(fault):
    with FaultServer([FAULTS[fault]], default=GOOD) as srv:
        resp = _model(srv.url).chat([{"role": "user", "content": "hi"}])
    assert resp.content == "fine" and len(srv.requests) == 2


@pytest.mark.parametrize("fault", FAULTS)
def test_a_persistently_broken_server_ends_the_rollout_as_an_infrastructure_error(fault):
    with FaultServer([], default=FAULTS[fault]) as srv:
        with pytest.raises(ModelUnavailable) as exc:
            _model(srv.url, max_attempts=3).chat([{"role": "user", "content": "hi"}])
        assert "not a chat completion" in str(exc.value) and "3 attempt(s)" in str(exc.value)
        traj = rollout(_task(), LLMAgent(_model(srv.url, max_attempts=2)), backend="process")
    assert traj.status == "infra_error" and traj.stop_reason == "model_error"
    assert "not a chat completion" in traj.error and len(srv.requests) == 5


def test_retry_after_is_honoured_and_capped():
    wait = ("raw", {"status": 503, "body": b'{"error": {"message": "busy"}}', "headers": {"Retry-After": "1"}})
    with FaultServer([wait], default=GOOD) as srv:
        assert _model(srv.url).chat([{"role": "user", "content": "hi"}]).content == "fine"
    assert srv.times[1] - srv.times[0] >= 0.95  # backoff alone would have waited ~0.05 s
    forever = ("raw", {"status": 429, "body": b"{}", "headers": {"Retry-After": "3600"}})
    with FaultServer([forever], default=GOOD) as srv:
        start = time.monotonic()
        assert _model(srv.url, retry_after_cap_s=0.3).chat([{"role": "user", "content": "hi"}]).content == "fine"
    assert time.monotonic() - start < 3 and srv.times[1] - srv.times[0] >= 0.25


def test_the_callers_deadline_bounds_a_hung_server():
    with FaultServer([], default=("hang", 30)) as srv:
        start = time.monotonic()
        with pytest.raises(ModelError) as exc:
            _model(srv.url).chat([{"role": "user", "content": "hi"}], timeout_s=1.0)
    assert time.monotonic() - start < 2.5 and "no answer" in str(exc.value)


def test_load_model_takes_the_timeouts():
    model = load_model("openai:x", request_timeout_s=3, total_timeout_s=7)
    assert (model.request_timeout_s, model.total_timeout_s) == (3, 7)
    with pytest.raises(ValueError, match="positive"):
        load_model("openai:x", total_timeout_s=0)


def _agent_cli(srv: FaultServer, tmp_path, *flags: str,
               env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float, Trajectory]:
    tasks = tmp_path / "tasks"
    if not tasks.exists():
        save_tasks([_task()], tasks)
    out = tmp_path / "traj.jsonl"
    out.unlink(missing_ok=True)
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "clawgym", "agent", str(tasks), "--model", "openai:fake",
                        "--out", str(out), "--quiet", *flags], capture_output=True, text=True, timeout=90,
                       env={"PATH": os.environ["PATH"], "OPENAI_BASE_URL": srv.url, "OPENAI_API_KEY": "k", **(env or {})})
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    return r, took, Trajectory.model_validate_json(out.read_text().splitlines()[0])


@requires_bwrap
def test_agent_timeout_bounds_a_hung_model_server(tmp_path):
    with FaultServer([], default=("hang", 120)) as srv:
        r, took, traj = _agent_cli(srv, tmp_path, "--timeout", "3")
    # the agent's own time is bounded by --timeout; the whole CLI (start-up, sandbox, verification:
    # seconds on a loaded machine) ends far sooner than the server's 120 s hang
    assert traj.agent_s is not None and traj.agent_s < 3 + 2, f"agent time {traj.agent_s}"
    assert took < 60, f"agent --timeout 3 took {took:.1f}s"
    assert traj.status == "infra_error" and traj.stop_reason == "model_error" and "no answer" in traj.error


@requires_bwrap
def test_agent_request_and_model_timeouts(tmp_path):
    with FaultServer([], default=("hang", 120)) as srv:
        r, took, traj = _agent_cli(srv, tmp_path, "--request-timeout", "0.5", "--model-timeout", "2.5")
        requests = len(srv.requests)
    assert traj.agent_s is not None and traj.agent_s < 2.5 + 2 and took < 60
    assert requests >= 3  # several half-second requests within the 2.5 s total
    assert traj.status == "infra_error" and "2.5s" in traj.error
    with FaultServer([], default=("hang", 120)) as srv:  # the documented variable works as the flag does
        r, took, traj = _agent_cli(srv, tmp_path, env={"CLAWGYM_AGENT_MODEL_TIMEOUT": "1"})
    assert traj.agent_s < 1 + 2 and took < 60 and traj.status == "infra_error" and "1s" in traj.error
