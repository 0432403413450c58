"""Verifier QA: is a task's verifier worth trusting? Each task's checks face six probes:

- noop: the untouched workspace must score 0 (within a tolerance);
- reference: the reference solution must score 1;
- placeholders: trivial content at every output path must score below 0.5;
- mutations: damaging the reference output (truncate, drop a record, perturb a number, swap
  two fields) must each lower the score;
- determinism: the same workspace twice gives the same score;
- runtime: verification stays within the task's budget.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.sandbox import create_sandbox, tar_files
from clawgym.tasks import Task, TaskFile
from clawgym.verify._code import DEFAULT_VERIFY_TIMEOUT_S, verify
from clawgym.verify._solution import run_solution, solution_entry
from clawgym.verify._model import Aggregation, VerifyResult

PROBES = ("noop", "reference", "placeholders", "mutations", "determinism", "runtime")
_PATH_RE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]*[A-Za-z0-9_]\.(?:json|jsonl|csv|tsv|md|txt|yaml|yml|html|py|sh|log|ini|toml|xml|cron))\b")


class ProbeResult(BaseModel):
    status: Literal["pass", "fail", "skipped"]
    detail: Any = None


class QAResult(BaseModel):
    task_id: str
    passed: bool
    checks: dict[str, ProbeResult] = Field(default_factory=dict)

    @property
    def skipped(self) -> list[str]:
        """Probes that could not run (no reference solution, no outputs found): not passed."""
        return sorted(k for k, v in self.checks.items() if v.status == "skipped")

    def json_line(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "passed": self.passed, "skipped": self.skipped,
                "checks": {k: v.model_dump() for k, v in self.checks.items()}}


def _archive(files: dict[str, bytes]) -> bytes:
    return tar_files([TaskFile(path=p, data=d) for p, d in files.items()])


def reference_outputs(task: Task, backend: str = "bwrap") -> tuple[dict[str, bytes] | None, str | None]:
    """The workspace after the reference solution (path -> bytes), or None and why not."""
    if solution_entry(task) is None:
        return None, "no reference solution"
    with create_sandbox(backend, files=task.workspace, mount_path=task.mount_path) as sb:
        r = run_solution(task, sb)
        sb.kill_all()
        if r is None or not r.ok:
            return None, f"solution exited {r.exit_code if r else '?'}{' (timed out)' if r and r.timed_out else ''}"
        return sb.export_files(), None


def output_paths(task: Task, reference: dict[str, bytes] | None) -> list[str]:
    """Outputs: what the reference solution adds or changes, else the paths the instruction names
    that the workspace does not already hold."""
    initial = {f.path: f.data for f in task.workspace}
    if reference is not None:
        return sorted(p for p, d in reference.items() if initial.get(p) != d)
    named = {m.lstrip("./") for m in _PATH_RE.findall(task.instruction)}
    return sorted(p for p in named if p not in initial and not p.startswith(("input/", "/")))


def placeholder_variants(paths: list[str], reference: dict[str, bytes] | None) -> dict[str, dict[str, bytes]]:
    def header(p: str) -> bytes:
        ref = (reference or {}).get(p)
        first = ref.split(b"\n", 1)[0] if ref else b"id,value"
        return first + b"\n"

    return {
        "empty": {p: b"" for p in paths},
        "empty_json": {p: b"{}" if p.endswith((".json", ".jsonl")) else b"" for p in paths},
        "one_word": {p: b"placeholder\n" for p in paths},
        "header_only": {p: header(p) if p.endswith((".csv", ".tsv")) else b"{}" if p.endswith(".json") else b"x\n"
                        for p in paths},
    }


DATA_SUFFIXES = (".json", ".jsonl", ".csv", ".tsv", ".yaml", ".yml", ".ini", ".toml", ".cron")


def mutations(path: str, data: bytes) -> dict[str, bytes]:
    """Damaged copies of one reference output file; only the kinds that apply to it.

    Every file is truncated. Records, fields and numbers are notions of data files, so only
    those (JSON, CSV, YAML, ...) also lose a record, get a number perturbed and two fields
    swapped: in prose or code such edits need not be wrong (a comment, an optional sentence),
    and their quality is the rubric's job, not the code checks'.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"truncate": data[: len(data) // 2]}
    out: dict[str, bytes] = {}
    lines = text.splitlines(keepends=True)
    if len(text) > 1:
        out["truncate"] = text[: len(text) // 2].encode()
    if not path.endswith(DATA_SUFFIXES):
        return out
    parsed = None
    if path.endswith(".json"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
    if isinstance(parsed, (list, dict)) and parsed:
        container = parsed
        if isinstance(parsed, dict):  # drop a record from the first list inside, else a key
            inner = next((v for v in parsed.values() if isinstance(v, list) and v), None)
            container = inner if inner is not None else parsed
        dropped = json.loads(text)
        target = dropped if container is parsed else next(v for v in dropped.values() if isinstance(v, list) and v)
        if isinstance(target, list):
            target.pop()
        else:
            target.pop(next(iter(target)))
        out["drop_record"] = json.dumps(dropped, indent=2).encode()
    elif len([ln for ln in lines if ln.strip()]) >= 2:
        idx = max(i for i, ln in enumerate(lines) if ln.strip())
        out["drop_record"] = "".join(lines[:idx] + lines[idx + 1:]).encode()
    m = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", text)
    if m:
        num = m.group(1)
        bumped = str(int(num) + 7) if "." not in num else f"{float(num) * 1.5 + 1:.2f}"
        out["perturb_number"] = (text[: m.start()] + bumped + text[m.end():]).encode()
    swapped = _swap(path, text, parsed, lines)
    if swapped is not None and swapped != data:
        out["swap_fields"] = swapped
    return out


def _swap(path: str, text: str, parsed: Any, lines: list[str]) -> bytes | None:
    if path.endswith((".csv", ".tsv")) and len(lines) >= 2:
        sep = "\t" if path.endswith(".tsv") else ","
        for i in range(1, len(lines)):
            cells = lines[i].rstrip("\r\n").split(sep)
            for a in range(len(cells)):
                for b in range(a + 1, len(cells)):
                    if cells[a] != cells[b]:
                        cells[a], cells[b] = cells[b], cells[a]
                        end = lines[i][len(lines[i].rstrip("\r\n")):]
                        return "".join(lines[:i] + [sep.join(cells) + end] + lines[i + 1:]).encode()
        return None
    if isinstance(parsed, dict) or (isinstance(parsed, list) and parsed and isinstance(parsed[0], dict)):
        copy = json.loads(text)
        obj = copy if isinstance(copy, dict) else copy[0]
        keys = [k for k in obj if not isinstance(obj[k], (dict, list))] or list(obj)
        for a in range(len(keys)):
            for b in range(a + 1, len(keys)):
                if obj[keys[a]] != obj[keys[b]]:
                    obj[keys[a]], obj[keys[b]] = obj[keys[b]], obj[keys[a]]
                    return json.dumps(copy, indent=2).encode()
        return None
    body = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(body) >= 2 and lines[body[0]] != lines[body[-1]]:  # line-based data: swap two records
        a, b = body[0], body[-1]
        swapped = [ln.rstrip("\n") for ln in lines]
        swapped[a], swapped[b] = swapped[b], swapped[a]
        return ("\n".join(swapped) + ("\n" if text.endswith("\n") else "")).encode()
    return None


def qa_task(task: Task, *, aggregation: Aggregation = "default", tolerance: float = 0.0, backend: str = "bwrap",
            reference: dict[str, bytes] | None = None, **verify_kwargs: Any) -> QAResult:
    """Run the probes on one task's verifier. `reference`: the workspace after the reference
    solution (path -> bytes), when the caller already ran it in a sandbox (synthesis does); else
    the solution runs here."""
    checks: dict[str, ProbeResult] = {}
    durations: list[float] = []

    def score(files: dict[str, bytes] | None, name: str) -> VerifyResult:
        archive = None if files is None else _archive(files)
        r = verify(task, archive=archive, aggregation=aggregation, backend=backend, **verify_kwargs)
        durations.append(r.duration_s)
        return r

    initial = {f.path: f.data for f in task.workspace}
    noop = score(None, "noop")
    if noop.status != "ok":
        checks["noop"] = ProbeResult(status="fail", detail=f"verifier error: {noop.error}")
    else:
        ok = noop.score <= tolerance
        checks["noop"] = ProbeResult(status="pass" if ok else "fail", detail={
            "score": noop.score, **({"credited": {k: v for k, v in noop.checks.items() if v > 0}} if not ok else {})})
    why = None
    if reference is None:
        reference, why = reference_outputs(task, backend)
    ref_result = None
    if reference is None:
        checks["reference"] = ProbeResult(status="skipped" if why == "no reference solution" else "fail", detail=why)
    else:
        ref_result = score(reference, "reference")
        ok = ref_result.status == "ok" and ref_result.score >= 1 - 1e-9
        checks["reference"] = ProbeResult(status="pass" if ok else "fail", detail={
            "score": ref_result.score, "error": ref_result.error,
            "failed": [k for k, v in ref_result.checks.items() if v < 1]})
    paths = output_paths(task, reference)
    if not paths:
        checks["placeholders"] = ProbeResult(status="skipped", detail="no output paths found")
    else:
        scores = {name: score({**initial, **files}, f"ph-{name}").score
                  for name, files in placeholder_variants(paths, reference).items()}
        bad = {k: v for k, v in scores.items() if v >= 0.5}
        checks["placeholders"] = ProbeResult(status="fail" if bad else "pass",
                                             detail={"paths": paths, "scores": scores})
    if reference is None or ref_result is None or ref_result.status != "ok":
        checks["mutations"] = ProbeResult(status="skipped", detail="needs a reference output that scores")
    else:
        results: dict[str, float] = {}
        for p in paths:
            for kind, damaged in mutations(p, reference[p]).items():
                results[f"{p}:{kind}"] = score({**reference, p: damaged}, f"mut-{len(results)}").score
        not_lower = {k: v for k, v in results.items() if v >= ref_result.score}
        checks["mutations"] = ProbeResult(
            status="skipped" if not results else "fail" if not_lower else "pass",
            detail={"scores": results, "not_lower": sorted(not_lower)} if results else "no mutable outputs")
    again_files = reference if reference is not None else None
    first = ref_result if ref_result is not None else noop
    second = score(again_files, "determinism")
    same = (second.score, second.checks, second.status) == (first.score, first.checks, first.status)
    checks["determinism"] = ProbeResult(status="pass" if same else "fail",
                                        detail={"first": first.score, "second": second.score})
    budget = task.limits.verify_timeout_s or DEFAULT_VERIFY_TIMEOUT_S
    slowest = max(durations)
    checks["runtime"] = ProbeResult(status="pass" if slowest <= budget else "fail",
                                    detail={"slowest_s": round(slowest, 3), "budget_s": budget})
    return QAResult(task_id=task.id, passed=all(c.status != "fail" for c in checks.values()), checks=checks)


def qa_many(tasks: list[Task], *, concurrency: int = 2, on_result=None, **kwargs: Any) -> list[QAResult]:
    def one(t: Task) -> QAResult:
        r = qa_task(t, **kwargs)
        if on_result:
            on_result(r)
        return r

    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        return list(pool.map(one, tasks))
