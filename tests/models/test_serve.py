"""`clawgym serve` over real HTTP, as a real process: a request that does not fit the API is the
client's error (400, with where and why), never a server error (500); answers come as JSON or as
a server-sent-events stream (what OpenClaw asks for); content parts are read; concurrent
requests to an in-process HF model share forward passes; a client that goes stops its
generation; SIGTERM ends the server while it generates."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from clawgym.models import read_answer

REPO = Path(__file__).parents[2]
READ = {"name": "read", "arguments": {"path": "notes/a.txt"}}


@contextmanager
def clawgym_serve(spec: str):
    """`clawgym serve --model SPEC` on a free port; yields (process, base URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "clawgym", "serve", "--model", spec, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"clawgym serve did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    script = tmp_path_factory.mktemp("serve") / "script.json"
    script.write_text(json.dumps([{"content": "hello", "tool_calls": [READ]}] * 200))
    with clawgym_serve(f"scripted:{script}") as (_, url):
        yield url + "/v1/chat/completions"


def _post(url: str, body: bytes | dict, timeout: float = 60) -> tuple[int, dict | bytes, str]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, ctype = r.read(), r.headers.get("Content-Type", "")
            return r.status, (json.loads(raw) if ctype.startswith("application/json") else raw), ctype
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers.get("Content-Type", "")


def _health(base: str) -> dict:
    with urllib.request.urlopen(base + "/health", timeout=10) as r:
        return json.loads(r.read())


HI = [{"role": "user", "content": "hi"}]
BAD = {
    "not json": b"{not json",
    "messages missing": json.dumps({"model": "m"}).encode(),
    "messages not a list": json.dumps({"messages": "hi"}).encode(),
    "message not an object": json.dumps({"messages": [1, 2]}).encode(),
    "message without a role": json.dumps({"messages": [{"content": "hi"}]}).encode(),
    "unknown role": json.dumps({"messages": [{"role": "wizard", "content": "hi"}]}).encode(),
    "temperature not a number": json.dumps({"messages": HI, "temperature": "hot"}).encode(),
    "stop not strings": json.dumps({"messages": HI, "stop": 5}).encode(),
    "max_tokens negative": json.dumps({"messages": HI, "max_tokens": -3}).encode(),
    "max_completion_tokens zero": json.dumps({"messages": HI, "max_completion_tokens": 0}).encode(),
    "tools not a list": json.dumps({"messages": HI, "tools": "read"}).encode(),
    "several choices": json.dumps({"messages": HI, "n": 2}).encode(),
    "unknown content part": json.dumps({"messages": [{"role": "user", "content": [{"type": "video"}]}]}).encode(),
    "an image for a text model": json.dumps({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:,x"}}]}]}).encode(),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_request_is_answered_400(served, case):
    status, body, _ = _post(served, BAD[case])
    assert status == 400, (case, body)
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"].startswith("bad request")
    if case == "an image for a text model":
        assert "messages[0].content[1]" in body["error"]["message"]


def test_a_good_request_still_works(served):
    status, body, _ = _post(served, {"model": "m", "messages": HI, "temperature": 0.2, "stop": "END", "max_tokens": 5})
    assert status == 200 and body["model"] == "m" and body["object"] == "chat.completion"
    msg = body["choices"][0]["message"]
    assert msg["content"] == "hello" and body["choices"][0]["finish_reason"] == "tool_calls"
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in msg["tool_calls"]] == \
        [("read", READ["arguments"])]
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]


def test_streams_what_openclaw_asks_for(served):
    """OpenClaw's request shape: streamed, usage asked for, `max_completion_tokens`, content parts."""
    messages = [{"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}]}]
    status, raw, ctype = _post(served, {"model": "m", "messages": messages, "stream": True, "tool_choice": "auto",
                                        "stream_options": {"include_usage": True}, "max_completion_tokens": 64})
    assert status == 200 and ctype.startswith("text/event-stream")
    events = [line[len("data: "):] for line in raw.decode().split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "m" for c in chunks)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0]["role"] == "assistant" and deltas[0]["content"] == "hello"
    call = next(d["tool_calls"][0] for d in deltas if d.get("tool_calls"))
    assert call["index"] == 0 and call["id"] and call["function"]["name"] == "read"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0  # usage last, as OpenAI sends it
    # the stream read back is the same answer as the JSON one
    answer = read_answer(raw)
    _, body, _ = _post(served, {"messages": messages})
    assert answer["finish_reason"] == body["choices"][0]["finish_reason"] == "tool_calls"
    assert answer["message"]["content"] == body["choices"][0]["message"]["content"]
    strip = [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
             for c in body["choices"][0]["message"]["tool_calls"]]
    assert [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in answer["message"]["tool_calls"]] == strip


def test_our_openai_client_reads_it(served):
    from clawgym.models import OpenAIModel, SamplingParams

    model = OpenAIModel("m", base_url=served.removesuffix("/chat/completions"), api_key="x")
    try:
        resp = model.chat([{"role": "user", "content": [{"type": "text", "text": "hi"}]}], None,
                          SamplingParams(max_tokens=8))
    finally:
        model.close()
    assert resp.content == "hello" and resp.tool_calls[0].parsed == READ["arguments"]


# -- the codec and the messages, without a server ---------------------------------------------------

def test_messages_keep_parts_and_text_models_get_them_joined():
    from clawgym.models import AssistantMessage, ToolCall, ToolCallPart, parse_message, text_messages

    assert ToolCallPart is ToolCall  # one tool-call type; the old name stays importable
    user = parse_message({"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]})
    assert user.openai()["content"] == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    assert user.text == "a\nb"
    dev = parse_message({"role": "developer", "content": "rules"})
    assert dev.role == "system"
    call = AssistantMessage(tool_calls=[ToolCallPart(id="c1", name="read", arguments='{"path": "x"}')]).calls()[0]
    assert call.parsed == {"path": "x"} and call.error is None  # decoded on the way in, whatever built it
    wire_call = {"id": "c2", "type": "function", "function": {"name": "exec", "arguments": {"command": "ls"}}}
    flat = text_messages([user, {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]},
                          {"role": "assistant", "content": None, "tool_calls": [wire_call]}])
    assert [m["content"] for m in flat] == ["a\nb", "ok", None]
    assert json.loads(flat[2]["tool_calls"][0]["function"]["arguments"]) == {"command": "ls"}


def test_a_streamed_answer_reads_back_as_the_json_one():
    from clawgym.models import ModelResponse, Usage, make_call, read_answer, render_completion, render_stream

    resp = ModelResponse(content="two calls", tool_calls=[make_call("read", {"path": "a"}, "c1"),
                                                         make_call("exec", '{"command": "ls"}', "c2")],
                         usage=Usage(prompt_tokens=11, completion_tokens=5), finish_reason="tool_calls")
    body = render_completion(resp, model="m")
    back = read_answer(render_stream(resp, model="m", include_usage=True))
    assert back["message"] == body["choices"][0]["message"] and back["finish_reason"] == "tool_calls"
    assert back["usage"] == body["usage"] == {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
    assert read_answer(json.dumps(body).encode())["message"] == body["choices"][0]["message"]
    assert read_answer(render_stream(resp, model="m"))["usage"] is None  # usage only when asked for


# -- an in-process HF model: batching, a client that goes, SIGTERM -------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pytest.importorskip("transformers")
    from tests.models.test_hf import build

    return build(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def hf_served(tiny):
    with clawgym_serve(f"hf:{tiny}") as (_, url):
        yield url


LONG = {"messages": [{"role": "user", "content": "go on forever"}], "max_tokens": 3000}  # minutes of decoding here


def test_the_model_list_states_the_context_window(hf_served):
    with urllib.request.urlopen(hf_served + "/v1/models", timeout=10) as r:
        entry = json.loads(r.read())["data"][0]
    assert entry["max_model_len"] == 16384  # the tiny model's max_position_embeddings, as vLLM names it


def test_concurrent_requests_share_forward_passes(hf_served):
    results: list = [None] * 4

    def ask(i: int) -> None:
        results[i] = _post(hf_served + "/v1/chat/completions",
                           {"messages": [{"role": "user", "content": f"hello {i}"}], "max_completion_tokens": 24})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert all(r is not None and r[0] == 200 for r in results), results
    assert all(0 < r[1]["usage"]["completion_tokens"] <= 24 for r in results)  # max_completion_tokens is honoured
    assert _health(hf_served)["max_batch_seen"] >= 2


def _start_long_request(base: str) -> socket.socket:
    body = json.dumps(LONG).encode()
    sock = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=30)
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return sock


def _until(check, what: str, limit_s: float = 60) -> dict:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        state = check()
        if state:
            return state
        time.sleep(0.2)
    raise AssertionError(f"not within {limit_s:.0f} s: {what}")


def test_a_client_that_goes_stops_its_generation(hf_served):
    before = _health(hf_served)["stopped_early"]
    sock = _start_long_request(hf_served)
    _until(lambda: _health(hf_served)["running"] == 1 or None, "the request to start generating")
    sock.close()
    state = _until(lambda: (h := _health(hf_served))["running"] == 0 and h, "the generation to stop")
    assert state["stopped_early"] == before + 1


def test_sigterm_stops_the_server_while_it_generates(tiny):
    with clawgym_serve(f"hf:{tiny}") as (proc, url):
        sock = _start_long_request(url)
        _until(lambda: _health(url)["running"] == 1 or None, "the request to start generating")
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)  # a generation minutes long does not hold the server
        answer = sock.recv(65536)
        sock.close()
    assert proc.returncode in (0, -signal.SIGTERM), proc.stderr.read().decode()[-2000:]
    assert answer == b"" or answer.startswith(b"HTTP/1.1 503"), answer[:300]
