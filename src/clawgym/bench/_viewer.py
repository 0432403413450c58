"""The trajectory viewer: one self-contained HTML page (no external assets, no network) that
lists a run's attempts with filters and shows one trajectory step by step.

Built to open big runs fast: the attempt index is one compact JSON array of arrays; every
trajectory is one line of ASCII JSON inside a single inert `<script type="application/json">`
block, found by character offsets and parsed only when it is opened. The list renders one page
of rows at a time. All agent output goes into the page through `textContent` (a trajectory is
untrusted text), and `<` never appears raw inside the data block.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clawgym.bench._calibrate import run_label
from clawgym.pages import render_page, write_page

_KEEP_VERIFY = ("status", "score", "code_score", "rubric_score", "rubric_status", "rubric", "checks", "error",
                "declared_reward")


def _clip(text: Any, limit: int) -> Any:
    if isinstance(text, str) and len(text) > limit:
        return text[:limit] + f"\n... [{len(text) - limit} more characters not shown]"
    return text


def compact_trajectory(t: dict[str, Any], limit: int = 20_000) -> dict[str, Any]:
    """What the viewer shows of a trajectory: messages, tool calls and results, the diff,
    scores and verdicts; token ids and logprobs left out, long texts clipped."""
    msgs = []
    for m in t.get("messages") or []:
        mm = {"role": m.get("role"), "content": _clip(m.get("content"), limit)}
        if isinstance(mm["content"], list):  # content parts: keep their text
            mm["content"] = _clip("\n".join(p.get("text", "") for p in mm["content"] if isinstance(p, dict)), limit)
        if m.get("tool_calls"):
            mm["tool_calls"] = [{"id": c.get("id"), "name": (c.get("function") or {}).get("name"),
                                 "arguments": _clip((c.get("function") or {}).get("arguments"), limit)}
                                for c in m["tool_calls"]]
        if m.get("tool_call_id"):
            mm["tool_call_id"] = m["tool_call_id"]
        msgs.append(mm)
    v = t.get("verification") or {}
    return {
        "id": t.get("id"), "task_id": t.get("task_id"), "sample": t.get("sample"), "status": t.get("status"),
        "stop_reason": t.get("stop_reason"), "error": _clip(t.get("error"), limit), "final": _clip(t.get("final_message"), limit),
        "usage": t.get("usage"), "agent_s": t.get("agent_s"), "verify_s": t.get("verify_s"),
        "timing": t.get("timing"),
        "model": (t.get("model") or {}).get("name"), "messages": msgs,
        "steps": [{"model_s": s.get("model_s"), "tools_s": s.get("tools_s"), "errors": s.get("errors")}
                  for s in t.get("steps") or []],
        "diff": [{"path": d.get("path"), "change": d.get("change"), "size": d.get("size"),
                  "text": _clip(d.get("diff") or d.get("content"), limit)} for d in t.get("diff") or []],
        "verification": {k: v.get(k) for k in _KEEP_VERIFY} if v else None,
    }


def _status(state: str, verify_status: str | None) -> str:
    return state if state != "done" or verify_status in (None, "ok") else "verifier_error"


def collect(folders: Sequence[str | Path], *, limit: int = 20_000) -> tuple[list[list[Any]], dict[str, Any], list[str]]:
    """(index rows, trajectory id -> compact trajectory, labels) from run folders, read-only.
    A row: [task, sample, label index, status, score, steps, tokens, seconds, category, traj id]."""
    from clawgym.runs import RunStore

    rows: list[list[Any]] = []
    trajs: dict[str, Any] = {}
    labels: list[str] = []
    for folder in folders:
        with RunStore.read(folder) as store:
            config = store.config()
            label = run_label(config.agent, config.model) if config else str(folder)
            if label not in labels:
                labels.append(label)
            li = labels.index(label)
            for r in store.rows():
                if r.state not in ("done", "agent_error", "infra_error"):
                    continue
                rows.append([r.task_id, r.sample, li, _status(r.state, r.verify_status), round(r.score or 0.0, 4),
                             r.steps or 0, r.tokens or 0, round(r.seconds or 0.0, 2), r.category or "", r.traj_id])
            for t in store.trajectories():
                trajs[t["id"]] = compact_trajectory(t, limit)
    return rows, trajs, labels


def viewer_html(rows: list[list[Any]], trajectories: dict[str, Any], labels: list[str], *, title: str = "Trajectories") -> str:
    """The page for these attempts (see `collect` for the row shape)."""
    lines, index, offset = [], [], 0
    for r in rows:
        t = trajectories.get(r[9]) if r[9] else None
        if t is None:
            slot = [-1, -1]
        else:
            line = json.dumps(t, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
            slot = [offset, offset + len(line)]
            lines.append(line)
            offset += len(line) + 1
        index.append([*r[:9], *slot])
    data = json.dumps({"labels": labels, "rows": index}, ensure_ascii=True,
                      separators=(",", ":")).replace("<", "\\u003c")
    return render_page(title, _BODY, style=_CSS, script=_JS, csp=_CSP,
                       data={"index": data, "trajs": "\n".join(lines)})


def write_viewer(folders: Sequence[str | Path], out: str | Path, *, title: str | None = None,
                 limit: int = 20_000) -> Path:
    rows, trajs, labels = collect(folders, limit=limit)
    return write_page(out, viewer_html(rows, trajs, labels,
                                       title=title or "Trajectories: " + ", ".join(map(str, folders))))


_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
_CSS = r"""
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1d1d1f;display:flex;height:100vh}
#left{width:46%;min-width:380px;border-right:1px solid #ddd;display:flex;flex-direction:column}
#right{flex:1;overflow:auto;padding:10px 16px}
#filters{padding:8px;background:#f6f6f8;border-bottom:1px solid #ddd;display:flex;flex-wrap:wrap;gap:6px}
#filters input,#filters select{font:inherit;padding:2px 4px}#filters input.n{width:4.5em}
#list{overflow:auto;flex:1}table{border-collapse:collapse;width:100%}
td,th{padding:3px 6px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}th{background:#fafafa;position:sticky;top:0}
tr.row{cursor:pointer}tr.row:hover{background:#eef3ff}tr.sel{background:#dfe8ff}
#pager{padding:6px 8px;border-top:1px solid #ddd;background:#fafafa}
.msg{border:1px solid #e4e4e4;border-radius:6px;margin:6px 0;padding:6px 8px}
.role{font-weight:600;font-size:12px;color:#555;text-transform:uppercase}
.system{background:#fafafa}.user{background:#f3f8ff}.assistant{background:#fff}.tool{background:#f7fbf3}
pre{white-space:pre-wrap;word-break:break-word;margin:4px 0;font:12px/1.35 ui-monospace,monospace}
.call{background:#fff8e6;border-left:3px solid #e0a800;padding:3px 6px;margin:4px 0}
.step{border-left:3px solid #4a6cf7;padding-left:8px;margin:10px 0}.step h3{margin:4px 0;font-size:14px}
.done{color:#127a12}.agent_error,.infra_error,.verifier_error{color:#b00020}.muted{color:#777}
.hidden{display:none}h2{font-size:16px;margin:12px 0 6px}
"""
_BODY = r"""
<div id=left><div id=filters>
<input id=f-task placeholder="task id contains" size=14>
<select id=f-model><option value="">all models</option></select>
<select id=f-status><option value="">all statuses</option><option>done</option><option>agent_error</option>
<option>infra_error</option><option>verifier_error</option></select>
score <input id=f-min class=n type=number step=0.05 placeholder=min> - <input id=f-max class=n type=number step=0.05 placeholder=max>
</div>
<div id=list><table><thead><tr><th>task</th><th>#</th><th>model</th><th>status</th><th>score</th><th>steps</th><th>tokens</th><th>s</th></tr></thead>
<tbody id=rows></tbody></table></div>
<div id=pager><button id=prev>&lsaquo;</button> <span id=count></span> <button id=next>&rsaquo;</button></div></div>
<div id=right><div id=detail class=muted>Choose an attempt on the left.</div></div>
"""
_JS = r"""
"use strict";
const IDX = JSON.parse(document.getElementById("index").textContent);
const ROWS = IDX.rows, LABELS = IDX.labels, PAGE = 200;
let TRAJ_TEXT = null, filtered = [], page = 0, selected = -1, stepMode = -1;
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text); return e; }
function state() { const p = new URLSearchParams(location.hash.slice(1)); return p; }
function saveState() {
  const p = new URLSearchParams();
  const f = {task: $("f-task").value, model: $("f-model").value, status: $("f-status").value, min: $("f-min").value, max: $("f-max").value};
  for (const k in f) if (f[k] !== "") p.set(k, f[k]);
  if (selected >= 0) p.set("a", selected);
  if (stepMode >= 0) p.set("s", stepMode);
  history.replaceState(null, "", "#" + p.toString());
}
function applyFilters() {
  const task = $("f-task").value.toLowerCase(), model = $("f-model").value, status = $("f-status").value;
  const min = $("f-min").value === "" ? -Infinity : +$("f-min").value, max = $("f-max").value === "" ? Infinity : +$("f-max").value;
  const mi = model === "" ? -1 : LABELS.indexOf(model);
  filtered = [];
  for (let i = 0; i < ROWS.length; i++) {
    const r = ROWS[i];
    if (mi >= 0 && r[2] !== mi) continue;
    if (status && r[3] !== status) continue;
    if (r[4] < min || r[4] > max) continue;
    if (task && r[0].toLowerCase().indexOf(task) < 0) continue;
    filtered.push(i);
  }
  page = 0; renderList();
}
function renderList() {
  const body = $("rows"), frag = document.createDocumentFragment();
  const start = page * PAGE, end = Math.min(filtered.length, start + PAGE);
  for (let k = start; k < end; k++) {
    const i = filtered[k], r = ROWS[i], tr = el("tr", "row" + (i === selected ? " sel" : ""));
    tr.dataset.i = i;
    tr.append(el("td", null, r[0]), el("td", null, r[1]), el("td", null, LABELS[r[2]]), el("td", r[3], r[3]),
              el("td", null, r[4].toFixed(3)), el("td", null, r[5]), el("td", null, r[6]), el("td", null, r[7]));
    frag.append(tr);
  }
  body.replaceChildren(frag);
  $("count").textContent = filtered.length ? `${start + 1}-${end} of ${filtered.length} attempts` : "no attempt matches";
  $("prev").disabled = page === 0; $("next").disabled = end >= filtered.length;
}
function trajectory(i) {
  const r = ROWS[i];
  if (r[9] < 0) return null;
  if (TRAJ_TEXT === null) TRAJ_TEXT = document.getElementById("trajs").textContent;
  return JSON.parse(TRAJ_TEXT.slice(r[9], r[10]));
}
function kv(pairs) { const t = el("table"); for (const [k, v] of pairs) { const tr = el("tr"); tr.append(el("th", null, k), el("td", null, v)); t.append(tr); } return t; }
function steps(t) {
  // a step: one assistant turn and the tool results that answer it; what comes before is the prompt
  const out = [], pre = [];
  let cur = null;
  for (const m of t.messages) {
    if (m.role === "assistant") { cur = {assistant: m, tools: []}; out.push(cur); }
    else if (m.role === "tool" && cur) cur.tools.push(m);
    else if (!cur) pre.push(m); else out.push({assistant: null, tools: [], other: m});
  }
  return {pre, steps: out};
}
function message(m, names) {
  const d = el("div", "msg " + (m.role || ""));
  let role = m.role;
  if (m.role === "tool") role = "tool result" + (names[m.tool_call_id] ? " · " + names[m.tool_call_id] : "");
  d.append(el("div", "role", role));
  if (m.content) d.append(el("pre", null, m.content));
  for (const c of m.tool_calls || []) {
    const box = el("div", "call"); let args = c.arguments;
    try { args = JSON.stringify(JSON.parse(c.arguments), null, 1); } catch (e) {}
    box.append(el("b", null, "tool call: " + c.name), el("pre", null, args)); d.append(box);
  }
  return d;
}
function renderDetail() {
  const box = $("detail");
  if (selected < 0) return;
  const r = ROWS[selected], t = trajectory(selected);
  const frag = document.createDocumentFragment();
  frag.append(el("h2", null, `${r[0]} · sample ${r[1]} · ${LABELS[r[2]]}`));
  frag.append(kv([["status", r[3]], ["score", r[4]], ["category", r[8] || "-"], ["steps", r[5]], ["tokens", r[6]], ["seconds", r[7]],
                  ["stop reason", t ? t.stop_reason : "-"], ["error", t && t.error ? t.error : "-"]]));
  if (!t) { frag.append(el("p", "muted", "No trajectory stored for this attempt.")); box.replaceChildren(frag); box.className = ""; return; }
  const ph = t.timing || {};
  const phases = [["set-up", ph.setup_s], ["agent", ph.agent_s], ["export", ph.export_s], ["verification", ph.verify_s]]
    .filter(p => p[1] != null).map(p => `${p[0]} ${(+p[1]).toFixed(2)} s`);
  if (phases.length) frag.append(kv([["phases", phases.join(" · ")]]));
  const names = {};
  for (const m of t.messages) for (const c of m.tool_calls || []) names[c.id] = c.name;
  const s = steps(t);
  const nav = el("div"); const prev = el("button", null, "‹ step"), next = el("button", null, "step ›"), all = el("button", null, "all steps");
  const label = el("span", "muted", stepMode < 0 ? ` all ${s.steps.length} steps ` : ` step ${stepMode + 1} of ${s.steps.length} `);
  prev.onclick = () => { stepMode = Math.max(0, (stepMode < 0 ? 1 : stepMode) - 1); saveState(); renderDetail(); };
  next.onclick = () => { stepMode = Math.min(s.steps.length - 1, stepMode + 1); saveState(); renderDetail(); };
  all.onclick = () => { stepMode = -1; saveState(); renderDetail(); };
  nav.append(prev, label, next, el("span", null, " "), all);
  frag.append(el("h2", null, "Trajectory"), nav);
  if (stepMode < 0) for (const m of s.pre) frag.append(message(m, names));
  s.steps.forEach((st, k) => {
    if (stepMode >= 0 && k !== stepMode) return;
    const d = el("div", "step"); d.id = "step-" + k;
    const timing = t.steps[k] ? ` · model ${(+t.steps[k].model_s || 0).toFixed(2)} s, tools ${(+t.steps[k].tools_s || 0).toFixed(2)} s` : "";
    d.append(el("h3", null, `Step ${k + 1}${timing}`));
    if (st.assistant) d.append(message(st.assistant, names));
    for (const m of st.tools) d.append(message(m, names));
    if (st.other) d.append(message(st.other, names));
    frag.append(d);
  });
  if (t.final) frag.append(el("h2", null, "Final message"), el("pre", null, t.final));
  frag.append(el("h2", null, `Workspace diff (${t.diff.length} file${t.diff.length === 1 ? "" : "s"})`));
  for (const f of t.diff) { const d = el("div", "msg"); d.append(el("div", "role", `${f.change} · ${f.path} · ${f.size} B`));
    if (f.text) d.append(el("pre", null, f.text)); frag.append(d); }
  const v = t.verification;
  frag.append(el("h2", null, "Verification"));
  if (!v) frag.append(el("p", "muted", "not verified"));
  else {
    frag.append(kv([["status", v.status], ["score", v.score], ["code score", v.code_score ?? "-"], ["rubric score", v.rubric_score ?? "-"],
                    ["rubric", v.rubric_status], ["error", v.error || "-"]]));
    const checks = el("table"); checks.id = "checks"; const h = el("tr"); h.append(el("th", null, "check"), el("th", null, "score")); checks.append(h);
    for (const k in v.checks || {}) { const tr = el("tr"); tr.append(el("td", null, k), el("td", null, v.checks[k])); checks.append(tr); }
    frag.append(el("h3", null, "Per-check scores"), checks);
    const rules = (v.rubric && v.rubric.rules) || [];
    if (rules.length) {
      const rt = el("table"); rt.id = "rubric"; const rh = el("tr");
      rh.append(el("th", null, "rule"), el("th", null, "score"), el("th", null, "votes"), el("th", null, "reasons")); rt.append(rh);
      for (const ru of rules) { const tr = el("tr");
        tr.append(el("td", null, ru.name), el("td", null, ru.score ?? "-"), el("td", null, (ru.votes || []).join(", ")),
                  el("td", null, (ru.reasons || []).join(" | ") || ru.error || "")); rt.append(tr); }
      frag.append(el("h3", null, "Rubric verdicts"), rt);
    }
  }
  box.className = ""; box.replaceChildren(frag);
}
function select(i) { selected = i; stepMode = -1; saveState(); renderList(); renderDetail(); }
$("rows").addEventListener("click", (e) => { const tr = e.target.closest("tr.row"); if (tr) select(+tr.dataset.i); });
for (const id of ["f-task", "f-min", "f-max"]) $(id).addEventListener("input", () => { applyFilters(); saveState(); });
for (const id of ["f-model", "f-status"]) $(id).addEventListener("change", () => { applyFilters(); saveState(); });
$("prev").onclick = () => { page--; renderList(); };
$("next").onclick = () => { page++; renderList(); };
for (const l of LABELS) $("f-model").append(el("option", null, l));
const st = state();
for (const [k, id] of [["task", "f-task"], ["model", "f-model"], ["status", "f-status"], ["min", "f-min"], ["max", "f-max"]])
  if (st.has(k)) $(id).value = st.get(k);
applyFilters();
if (st.has("a") && +st.get("a") < ROWS.length) { selected = +st.get("a"); stepMode = st.has("s") ? +st.get("s") : -1; renderList(); renderDetail(); }
document.documentElement.dataset.renderMs = performance.now().toFixed(1);
document.documentElement.dataset.shown = String(filtered.length);
"""

