"""A real HTTP server speaking the OpenAI chat-completions API, with scriptable faults."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(content: str | None = None, tool_calls: list[dict] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        msg["tool_calls"] = [{"id": f"call_{i}", "type": "function",
                              "function": {"name": c["name"], "arguments": c["arguments"] if isinstance(c["arguments"], str)
                                           else json.dumps(c["arguments"])}} for i, c in enumerate(tool_calls)]
    return {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


class FaultServer:
    """Answers each request with the next scripted action: ("json", body), ("status", code),
    ("hang", seconds), or ("raw", {"status", "body" (bytes), "content_type", "headers"}) for
    anything else a broken server or proxy sends. When the script runs out it repeats `default`.
    `times` records when each request arrived (time.monotonic())."""

    def __init__(self, actions: list[tuple[str, Any]], default: tuple[str, Any] | None = None):
        self.actions = deque(actions)
        self.default = default or ("json", completion("Done."))
        self.requests: list[dict[str, Any]] = []
        self.times: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.times.append(time.monotonic())
                server.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                kind, arg = server.actions.popleft() if server.actions else server.default
                if kind == "hang":
                    time.sleep(arg)
                    return
                ctype, headers = "application/json", {}
                if kind == "raw":
                    code, data = arg.get("status", 200), arg["body"]
                    ctype, headers = arg.get("content_type", ctype), arg.get("headers", {})
                elif kind == "status":
                    code, data = arg, json.dumps({"error": {"message": f"fault {arg}"}}).encode()
                else:
                    code, data = 200, json.dumps(arg).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FaultServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
