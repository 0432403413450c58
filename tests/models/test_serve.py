"""`clawgym serve` over real HTTP: a request that does not fit the API is the client's error (400,
with where and why), never a server error (500)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    script = tmp_path_factory.mktemp("serve") / "script.json"
    script.write_text(json.dumps(["hello"] * 50))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "clawgym", "serve", "--model", f"scripted:{script}",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "clawgym serve did not start"
            time.sleep(0.2)
    yield url + "/v1/chat/completions"
    proc.terminate()
    proc.wait(10)


def _post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


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
    "tools not a list": json.dumps({"messages": HI, "tools": "read"}).encode(),
    "streaming": json.dumps({"messages": HI, "stream": True}).encode(),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_request_is_answered_400(served, case):
    status, body = _post(served, BAD[case])
    assert status == 400, (case, body)
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]


def test_a_good_request_still_works(served):
    status, body = _post(served, json.dumps({"model": "m", "messages": HI, "temperature": 0.2, "stop": "END",
                                             "max_tokens": 5}).encode())
    assert status == 200 and body["choices"][0]["message"]["content"] == "hello" and body["model"] == "m"
