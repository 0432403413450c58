"""The local review page: `serve_review` serves one self-contained page (no external assets)
listing the tasks with their LLM reviews, and records a human's accept / reject / edit with a
note through a small JSON API. Bound to localhost; every write carries a per-server token (so
another site open in the browser cannot post decisions)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clawgym.bench._manifest import task_hash
from clawgym.bench._review import DECISIONS, ReviewStore
from clawgym.pages import render_page, script_json


def _state(tasks: Sequence[Any], store: ReviewStore) -> list[dict[str, Any]]:
    latest = store.latest()
    out = []
    for t in tasks:
        rev = latest.get((t.id, task_hash(t)), {})
        llm, human = rev.get("llm"), rev.get("human")
        out.append({"id": t.id, "category": t.category, "instruction": t.instruction,
                    "llm": llm.llm.model_dump() if llm and llm.llm else None, "llm_by": llm.reviewer if llm else None,
                    "decision": human.decision if human else None, "note": human.note if human else ""})
    return out


def review_page(tasks: Sequence[Any], store: ReviewStore, token: str) -> str:
    data = script_json({"token": token, "tasks": _state(tasks, store)})
    return render_page("Benchmark review", _BODY, style=_CSS, script=_JS, csp=_CSP, data={"data": data})


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tasks: Sequence[Any], store: ReviewStore, host: str, port: int, reviewer: str):
        self.tasks = {t.id: t for t in tasks}
        self.order = list(tasks)
        self.store, self.reviewer, self.token = store, reviewer, secrets.token_hex(16)
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, body: str, ctype: str = "application/json") -> None:
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        s = self.server
        if self.path in ("/", "/index.html"):
            self._send(200, review_page(s.order, s.store, s.token), "text/html")
        elif self.path == "/api/state":
            self._send(200, json.dumps(_state(s.order, s.store)))
        else:
            self._send(404, json.dumps({"error": "not found"}))

    def do_POST(self) -> None:  # noqa: N802
        s = self.server
        if self.path != "/api/decide":
            return self._send(404, json.dumps({"error": "not found"}))
        if self.headers.get("X-Review-Token") != s.token:
            return self._send(403, json.dumps({"error": "missing or wrong X-Review-Token"}))
        try:
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(min(n, 1 << 20)) or b"{}")
            task = s.tasks[body["task_id"]]
            decision, note = body["decision"], str(body.get("note") or "")[:10_000]
            if decision not in DECISIONS:
                raise ValueError(decision)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            return self._send(400, json.dumps({"error": f"bad request: {exc!r}; send {{task_id, decision "
                                                        f"({'|'.join(DECISIONS)}), note}}"}))
        rec = s.store.decide(task, decision, note, s.reviewer)
        self._send(200, rec.model_dump_json())


def serve_review(tasks: Sequence[Any], store: ReviewStore, *, host: str = "127.0.0.1", port: int = 0,
                 reviewer: str = "human", background: bool = False) -> ReviewServer:
    """Start the review server (port 0: any free port; see `.url`). With `background`, it
    serves from a daemon thread and returns at once; else call `.serve_forever()`."""
    server = ReviewServer(tasks, store, host, port, reviewer)
    if background:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


_CSP = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"
_CSS = r"""
body{font:14px/1.45 system-ui,sans-serif;margin:20px auto;max-width:980px;padding:0 14px;color:#1d1d1f}
.task{border:1px solid #ddd;border-radius:8px;padding:10px 14px;margin:12px 0}.task h3{margin:0 0 6px;font-size:15px}
pre{white-space:pre-wrap;background:#f7f7f9;padding:8px;border-radius:6px;max-height:260px;overflow:auto}
.llm{font-size:13px;color:#333}.no{color:#b00020;font-weight:600}.yes{color:#127a12}
textarea{width:100%;min-height:3em;font:inherit}.accept{color:#127a12}.reject{color:#b00020}.edit{color:#a06000}
.bar{display:flex;gap:8px;align-items:center;margin-top:6px}#summary{position:sticky;top:0;background:#fff;padding:6px 0}
"""
_BODY = r"""<h1>Benchmark review</h1><div id=summary></div>
<label>show <select id=show><option value=todo>undecided</option><option value=all>all</option>
<option value=accept>accepted</option><option value=reject>rejected</option><option value=edit>needs edit</option></select></label>
<div id=list></div>
"""
_JS = r"""
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text); return e; }
function summary() { const c = {accept: 0, reject: 0, edit: 0, todo: 0};
  for (const t of DATA.tasks) c[t.decision || "todo"]++;
  $("summary").textContent = `${DATA.tasks.length} tasks: ${c.accept} accepted, ${c.reject} rejected, ${c.edit} need an edit, ${c.todo} undecided`; }
async function decide(t, decision, note, status) {
  status.textContent = "saving...";
  try {
    const r = await fetch("/api/decide", {method: "POST", headers: {"Content-Type": "application/json", "X-Review-Token": DATA.token},
                                          body: JSON.stringify({task_id: t.id, decision, note})});
    if (!r.ok) throw new Error((await r.json()).error || r.status);
    t.decision = decision; t.note = note; status.textContent = "saved: " + decision; status.className = decision; summary();
  } catch (e) { status.textContent = "not saved: " + e.message; status.className = "reject"; }
}
function render() {
  const show = $("show").value, frag = document.createDocumentFragment();
  for (const t of DATA.tasks) {
    if (show === "todo" ? t.decision : show !== "all" && t.decision !== show) continue;
    const d = el("div", "task"); d.dataset.id = t.id;
    d.append(el("h3", null, `${t.id} · ${t.category || "uncategorised"}`), el("pre", null, t.instruction));
    const l = el("div", "llm");
    if (!t.llm) l.append(el("div", null, "no LLM review"));
    else if (t.llm.error) l.append(el("div", "no", "LLM review failed: " + t.llm.error));
    else {
      l.append(el("b", null, `LLM (${t.llm_by}) suggests ${t.llm.verdict || "?"}: `));
      for (const [k, name] of [["clear", "clear"], ["self_contained", "self-contained"], ["checks_fair", "checks fair"], ["rubric_consistent", "rubric consistent"]])
        if (t.llm[k] !== null) l.append(el("span", t.llm[k] ? "yes" : "no", ` ${name}: ${t.llm[k] ? "yes" : "NO"} `));
      const ul = el("ul"); for (const i of t.llm.issues || []) ul.append(el("li", null, i)); l.append(ul);
    }
    d.append(l);
    const note = el("textarea"); note.placeholder = "note (what is wrong / what to change)"; note.value = t.note || "";
    const status = el("span", t.decision || "", t.decision ? "decided: " + t.decision : "");
    const bar = el("div", "bar");
    for (const dec of ["accept", "reject", "edit"]) { const b = el("button", dec, dec); b.dataset.decision = dec;
      b.onclick = () => decide(t, dec, note.value, status); bar.append(b); }
    bar.append(status); d.append(note, bar); frag.append(d);
  }
  $("list").replaceChildren(frag); summary();
}
$("show").onchange = render;
render();
"""

