"""Network policy "model": a sandbox reaches exactly one endpoint, the model server, and nothing
else. Its network namespace stays empty (loopback only); a Unix socket bind-mounted into it is
the one way out, and the host end of that socket connects only to the configured endpoint.

Inside, a small forwarder (`FORWARDER_SOURCE`, run by the sandbox's own python) listens on
127.0.0.1:MODEL_PORT and relays each connection to the socket, so an HTTP client in the sandbox
(OpenClaw, curl, the OpenAI SDK) uses `OPENAI_BASE_URL=http://127.0.0.1:MODEL_PORT/...`.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

from clawgym.errors import SandboxError

MODEL_PORT = 18080
MODEL_SOCKET_IN_SANDBOX = "/run/clawgym/model.sock"
MAX_CONNECTIONS = 32
IDLE_TIMEOUT_S = 900.0  # a model's long generation must not look idle; a stuck peer must not live forever

FORWARDER_SOURCE = r'''
import socket, sys, threading
port, path = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
print("ready", flush=True)
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
def serve(c):
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        u.connect(path)
    except OSError:
        c.close()
        return
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
'''


def parse_endpoint(url: str) -> tuple[str, int, str]:
    """(host, port, path prefix) of an http:// model endpoint; refuses anything else."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SandboxError(f"model endpoint {url!r}: network policy 'model' relays plain http:// endpoints "
                           "(a local vLLM, SGLang or `clawgym serve`); put a local relay in front of https APIs")
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


class ModelProxy:
    """The host end: a Unix socket whose every connection is relayed to one TCP endpoint."""

    def __init__(self, socket_path: Path, endpoint: str, *, uid: int | None = None):
        self.host, self.port, self.prefix = parse_endpoint(endpoint)
        self.path = Path(socket_path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(self.path))
        if uid is not None:
            os.chown(self.path, uid, uid)
        self.path.chmod(0o600)
        self._sock.listen(64)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = False
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="clawgym-model-proxy").start()

    def inside_url(self) -> str:
        return f"http://127.0.0.1:{MODEL_PORT}{self.prefix}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if not self._slots.acquire(blocking=False):  # a flood of connections: refused, not queued
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            try:
                up = socket.create_connection((self.host, self.port), timeout=10)
            except OSError:
                conn.close()
                return
            for s in (conn, up):
                s.settimeout(IDLE_TIMEOUT_S)
            with self._lock:
                self._conns.update((conn, up))
            t = threading.Thread(target=_pipe, args=(up, conn), daemon=True)
            t.start()
            _pipe(conn, up)
            t.join(IDLE_TIMEOUT_S)
            with self._lock:
                self._conns.difference_update((conn, up))
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass
        with self._lock:
            for s in self._conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
