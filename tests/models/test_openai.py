"""The openai client against real HTTP servers: pass-through, retries, bounds, bad calls, secrets."""

from __future__ import annotations

import json
import logging
import time

import pytest

from clawgym.agent import AgentConfig, LLMAgent, rollout
from clawgym.models import ModelError, SamplingParams
from clawgym.models._openai import OpenAIModel
from clawgym.tasks import Task, TaskFile
from tests.openai_server import FaultServer, completion

SECRET = "sk-test-SECRET-0123456789"


def _model(url: str, **kw) -> OpenAIModel:
    kw.setdefault("backoff_s", 0.05)
    return OpenAIModel("fake", base_url=url, api_key=SECRET, **kw)


def _task() -> Task:
    return Task(id="t", instruction="say hi", workspace=[TaskFile(path="a.txt", data=b"a")],
                checks=[TaskFile(path="check.py", data=b"print('{\"ok\": 1}')")])


def test_sampling_parameters_are_passed_through():
    with FaultServer([]) as srv:
        _model(srv.url).chat([{"role": "user", "content": "hi"}], None,
                             SamplingParams(temperature=0.3, top_p=0.9, max_tokens=77, seed=5, stop=["END"], logprobs=True))
    body = srv.requests[0]["body"]
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"], body["stop"], body["logprobs"]) == \
        (0.3, 0.9, 77, 5, ["END"], True)
    assert srv.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"  # the key is used...


def test_intermittent_500_and_429_are_retried_then_succeed():
    with FaultServer([("status", 500), ("status", 429), ("status", 503)],
                     default=("json", completion("hello"))) as srv:
        resp = _model(srv.url).chat([{"role": "user", "content": "hi"}])
    assert resp.content == "hello" and len(srv.requests) == 4


def test_persistent_failure_is_bounded():
    with FaultServer([], default=("status", 500)) as srv:
        start = time.monotonic()
        with pytest.raises(ModelError) as exc:
            _model(srv.url, total_timeout_s=2).chat([{"role": "user", "content": "hi"}])
    assert time.monotonic() - start < 4 and "HTTP 500" in str(exc.value)


def test_non_retryable_status_fails_at_once():
    with FaultServer([("status", 401)]) as srv:
        with pytest.raises(ModelError) as exc:
            _model(srv.url).chat([{"role": "user", "content": "hi"}])
    assert len(srv.requests) == 1 and "401" in str(exc.value)


def test_a_hung_server_ends_the_rollout_as_an_infrastructure_error():
    with FaultServer([], default=("hang", 30)) as srv:
        start = time.monotonic()
        traj = rollout(_task(), LLMAgent(_model(srv.url, request_timeout_s=0.5, total_timeout_s=2)))
    assert time.monotonic() - start < 8
    assert traj.status == "infra_error" and traj.stop_reason == "model_error"
    assert "no answer" in traj.error and traj.verification is not None  # still scored, reason kept


def test_malformed_tool_calls_get_error_results_and_are_bounded():
    bad = completion(None, [{"name": "write", "arguments": "{not json"}])
    with FaultServer([], default=("json", bad)) as srv:
        traj = rollout(_task(), LLMAgent(_model(srv.url), AgentConfig(max_malformed=2, max_steps=20)))
    assert traj.stop_reason == "malformed_tool_calls" and len(traj.steps) == 3
    tool_msgs = [m for m in traj.messages if m["role"] == "tool"]
    assert all("malformed tool call" in m["content"] for m in tool_msgs)
    assert traj.status == "done"  # the agent's failure is scored, not an infrastructure error


def test_unknown_tool_gets_an_error_result():
    with FaultServer([("json", completion(None, [{"name": "browser", "arguments": {"url": "x"}}])),
                      ("json", completion("ok"))]) as srv:
        traj = rollout(_task(), LLMAgent(_model(srv.url)))
    tool_msg = next(m for m in traj.messages if m["role"] == "tool")
    assert "unknown tool 'browser'" in tool_msg["content"] and traj.stop_reason == "final"
    assert srv.requests[1]["body"]["messages"][-1]["role"] == "tool"  # the model saw the error


def test_text_tool_calls_from_a_server_without_native_tools_are_parsed():
    text = 'Writing.\n<tool_call>{"name": "write", "arguments": {"path": "o.txt", "content": "x"}}</tool_call>'
    with FaultServer([("json", completion(text))]) as srv:
        traj = rollout(_task(), LLMAgent(_model(srv.url)))
    assert [c.path for c in traj.diff] == ["o.txt"]


def test_no_secret_in_trajectory_logs_or_errors(caplog, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    with FaultServer([("status", 500)], default=("status", 401)) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        model = OpenAIModel("fake", backoff_s=0.01)
        traj = rollout(_task(), LLMAgent(model))
        assert srv.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    dumped = traj.model_dump_json()
    for text in (dumped, caplog.text, traj.error or "", json.dumps(model.config())):
        assert SECRET not in text and "Authorization" not in text and "Bearer" not in text
    assert traj.status == "infra_error" and "401" in traj.error
